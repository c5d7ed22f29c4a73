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

    async def pause(self, kind: str) -> None:
        seconds = self.delay(kind)
        if seconds > 0:
            await asyncio.sleep(seconds)
