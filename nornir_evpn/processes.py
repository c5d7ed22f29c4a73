"""Is a process still the one a file names? (twin and failover-test state files)

A pid alone may be another process's after a crash or a reboot: the files record the
process's start too, read from /proc/<pid>/stat in clock ticks since boot (unlike
wall-clock times, it never moves with the clock).
"""

from __future__ import annotations

import os


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    fields = _proc_stat(pid)  # a zombie (exited, not yet reaped by its parent) is not running
    return fields is None or fields[0] != "Z"


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of /proc/<pid>/stat after the command name (state first); None without it."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(") ", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields or None


def process_start(pid: int) -> int | None:
    """When `pid` started, in clock ticks since boot (/proc/<pid>/stat); None without /proc.
    Unlike wall-clock times it never moves with the clock (NTP steps, a VM resumed)."""
    fields = _proc_stat(pid)
    try:
        return int(fields[19]) if fields is not None else None
    except (IndexError, ValueError):
        return None
