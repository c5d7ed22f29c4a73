"""A big inventory file parsed once, not at every command.

PyYAML builds every node in Python, LibYAML or not: a 128-leaf fabric's hosts.yaml (225 KB)
took 110 ms to load, JSON of the same data 3 ms. At 130 hosts that was about a millisecond
of every host's share of each command's CPU (issue 8's target is 10). So the parse of a
file of `MIN_BYTES` or more is kept as JSON in `.nornir_evpn/yaml-cache/<sha256>.json`,
named by the SHA-256 of the file's text: it is used for that very text only, whatever
the file's name, time or place.

Trusted like the other state files (`own_files`: this user's, writable by this user
alone), written whole (0600, in a 0700 directory). Never kept: a parse holding a
`password` key anywhere, or another key that names a secret (`auth_private_key_passphrase`
in scrapli's extras): no secret is copied; one JSON does not give back equal (a date,
an integer key); and anything when the directory cannot be written. Delete the directory
at will: the next command parses again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nornir_evpn.outputs import replace_atomically
from nornir_evpn.own_files import NotOwnFile, read_own_text

CACHE_DIR = Path(".nornir_evpn") / "yaml-cache"
MIN_BYTES = 16 * 1024  # smaller files parse in a few milliseconds
KEPT = 16  # parses kept; the least recently used go first
_FORMAT = 1


def parsed(text: str, parse: Callable[[str], Any], cache_dir: Path | None = None) -> Any:
    """`parse(text)`, from the cache when this text was parsed before. Errors of `parse`
    are never kept: a text that fails fails again, with its own message."""
    if len(text) < MIN_BYTES:
        return parse(text)
    directory = CACHE_DIR if cache_dir is None else cache_dir
    key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    path = directory / f"{key}.json"
    with contextlib.suppress(OSError, ValueError, NotOwnFile):
        doc = json.loads(read_own_text(path))
        if isinstance(doc, dict) and doc.get("format") == _FORMAT and doc.get("sha256") == key:
            with contextlib.suppress(OSError):
                os.utime(path)  # used now: pruned last (the oldest use goes first, not the oldest write)
            return doc["value"]
    value = parse(text)
    _keep(directory, path, key, value)
    return value


def _keep(directory: Path, path: Path, key: str, value: Any) -> None:
    if not _keepable(value):
        return
    try:  # a date, a set, bytes: TypeError (JSON has none of them)
        text = json.dumps({"format": _FORMAT, "sha256": key, "value": value}, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        return
    with contextlib.suppress(OSError):
        replace_atomically(path, text)
        _prune(directory)


# keys that hold a secret: Nornir's `password`, and scrapli's in `connection_options` extras
# (`auth_password`, `auth_private_key_passphrase`, `auth_secondary`, the enable secret)
_SECRET = re.compile(r"pass|secret|auth_secondary|token", re.IGNORECASE)


def _keepable(value: Any) -> bool:
    """No key names a secret, and every key is a string: JSON writes `1:` as `"1"`, which
    would come back as another mapping (what else JSON cannot hold, `json.dumps` refuses)."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and not _SECRET.search(k) and _keepable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_keepable(v) for v in value)
    return True


def _prune(directory: Path) -> None:
    entries = []
    for entry in directory.glob("*.json"):
        with contextlib.suppress(OSError):
            entries.append((entry.stat().st_mtime, entry))
    for _, entry in sorted(entries)[:-KEPT]:
        with contextlib.suppress(OSError):
            entry.unlink()
