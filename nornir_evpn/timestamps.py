"""When a command ran: the wall-clock times its --json document carries (UTC), and the
run's id (`run_id`, also on each line of its --log-file).

Kept apart from the reporting modules so the CLI can note its start before it imports
them (they pull in rich)."""

from __future__ import annotations

import datetime as dt
import os
import time

_RUN_STARTED: list[float] = []
_RUN_ID: list[str] = []


def mark_run_start(at: float | None = None) -> None:
    """Note when this process's command started (`started_at`), under a new run id."""
    _RUN_STARTED[:] = [time.time() if at is None else at]
    _RUN_ID[:] = [os.urandom(6).hex()]


def run_id() -> str:
    """This run's id: 12 hex digits, in its --json document and on each line of its log, so
    a log pipeline can tell apart two runs appending to one file and find a document's lines."""
    if not _RUN_ID:
        _RUN_ID.append(os.urandom(6).hex())
    return _RUN_ID[0]


def run_started(default: float) -> float:
    return _RUN_STARTED[0] if _RUN_STARTED else default


def iso_utc(wall: float) -> str:
    """`2026-11-27T06:12:27.487Z`: UTC, milliseconds, the form SR Linux prints its times in."""
    t = dt.datetime.fromtimestamp(wall, tz=dt.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"
