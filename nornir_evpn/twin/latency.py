"""Per-command-kind delays for the twin, so timing-sensitive code can be exercised."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

# Command kinds the CLI engine reports: "commit", "show", "info", "edit", "default".
PROFILES: dict[str, dict[str, float]] = {
    "fast": {},
    # Rough SR Linux 23.x timings on a containerlab host: commits take about a second.
    "realistic": {"commit": 1.0, "show": 0.05, "info": 0.03, "edit": 0.002, "default": 0.005},
}


@dataclass
class Latency:
    """Delays in seconds by command kind plus an `extra` added to every command (slow node)."""

    delays: dict[str, float] = field(default_factory=dict)
    extra: float = 0.0

    @classmethod
    def of(cls, spec: Latency | Mapping[str, float] | str | None) -> Latency:
        """Build from a profile name, a mapping, an existing Latency (copied) or None (zero)."""
        if spec is None:
            return cls()
        if isinstance(spec, Latency):
            return cls(dict(spec.delays), spec.extra)
        if isinstance(spec, str):
            return cls(dict(PROFILES[spec]))
        return cls(dict(spec))

    def delay(self, kind: str) -> float:
        return self.delays.get(kind, self.delays.get("default", 0.0)) + self.extra


class Pacer:
    """A session's device clock: a line finishes `delay` after the later of its arrival and
    the previous line's finish.

    A device runs a pasted batch line after line, so line k of a batch answers at the batch's
    arrival plus the delays of lines 1..k. Sleeping `delay` per line would add the emulator's
    own lateness to every line (a loop busy with 130 sessions wakes a 2 ms sleep late) and
    make a 900-line spine take far longer than the profile says; sleeping until each line's
    due time makes that lateness up on the next line. Time spent waiting for input is not
    made up: the clock restarts at the arrival of the next line.

    Answers leave the twin only when the server writes (every `coalesce` seconds while a
    pasted chunk is worked on, and at its end), so `pause` sleeps only once `coalesce` is
    owed and `settle`, called before each write, sleeps the rest: the written answers are
    exactly on time, with one timer per write instead of one per line (41.7k timers in a
    128-leaf full-mesh configure).
    """

    def __init__(self, latency: Latency, coalesce: float = 0.01) -> None:
        self.latency = latency
        self.coalesce = coalesce
        self._due = 0.0

    async def pause(self, kind: str, received_at: float | None = None) -> None:
        seconds = self.latency.delay(kind)
        if seconds <= 0:
            return
        now = asyncio.get_running_loop().time()
        self._due = max(self._due, now if received_at is None else received_at) + seconds
        if self._due - now >= self.coalesce:
            await asyncio.sleep(self._due - now)

    async def settle(self) -> None:
        """Sleep until the last line handled is due (before its answer is written)."""
        now = asyncio.get_running_loop().time()
        if self._due > now:
            await asyncio.sleep(self._due - now)
