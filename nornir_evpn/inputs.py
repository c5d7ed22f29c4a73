"""Files the commands read (topology, inventory, templates, state files).

A file that cannot be read or is not UTF-8 is bad input, named in one line (exit 2), as
`outputs` does for the files the commands write; never a UnicodeDecodeError traceback.
"""

from __future__ import annotations

from pathlib import Path

from nornir_evpn.errors import NornirEvpnError


def unreadable(path: Path | str, exc: OSError | UnicodeDecodeError) -> str:
    """What is wrong with a file that could not be read as text, in a few words."""
    if isinstance(exc, UnicodeDecodeError):
        return f"{path}: not UTF-8 text (invalid byte at offset {exc.start})"
    if isinstance(exc, FileNotFoundError):
        return f"{path}: file not found"
    return f"{path}: cannot read ({exc.strerror or exc})"


def read_text(path: Path, error: type[NornirEvpnError]) -> str:
    """The UTF-8 text of `path`; `error` with one line when it cannot be had."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise error(unreadable(path, exc)) from None
