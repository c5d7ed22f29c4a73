"""When a command ran: the wall-clock times its --json document carries (UTC).

Kept apart from the reporting modules so the CLI can note its start before it imports
them (they pull in rich)."""

from __future__ import annotations

import datetime as dt
import time

_RUN_STARTED: list[float] = []


def mark_run_start(at: float | None = None) -> None:
    """Note when this process's command started (`started_at`)."""
    _RUN_STARTED[:] = [time.time() if at is None else at]


def run_started(default: float) -> float:
    return _RUN_STARTED[0] if _RUN_STARTED else default


def iso_utc(wall: float) -> str:
    """`2026-11-27T06:12:27.487Z`: UTC, milliseconds, the form SR Linux prints its times in."""
    t = dt.datetime.fromtimestamp(wall, tz=dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
