"""What every command reports per host, before any formatting: the host entry of the --json
contract, and a list of host names said short (`leaf2 … leaf9 (8)`) for the notes a run
returns (transaction) as well as for the report."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from nornir_evpn.intent import natural_key


def host_entry(ok: bool, changed: bool = False, error: str | None = None, **extra: Any) -> dict[str, Any]:
    """One host of the --json contract: ok, changed, error, then command-specific keys."""
    return {"ok": ok, "changed": changed, "error": error, **extra}


_NUMBERED = re.compile(r"(.*?)(\d+)")


def host_ranges(names: Iterable[str]) -> str:
    """`leaf2 … leaf9 (8), leaf11, spine1`: names in natural order, numbered runs folded."""
    runs: list[list[str]] = []
    last: tuple[str, int] | None = None
    for name in sorted(set(names), key=natural_key):
        m = _NUMBERED.fullmatch(name)
        key = (m[1], int(m[2])) if m else None
        if key and last and key == (last[0], last[1] + 1):
            runs[-1].append(name)
        else:
            runs.append([name])
        last = key
    return ", ".join(r[0] if len(r) == 1 else f"{r[0]}, {r[1]}" if len(r) == 2
                     else f"{r[0]} … {r[-1]} ({len(r)})" for r in runs)
