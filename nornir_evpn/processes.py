"""Is a process still the one a file names? (twin and failover-test state files)

A pid alone may be another process's after a crash or a reboot: the files record the
process's start too, read from /proc/<pid>/stat in clock ticks since boot (unlike
wall-clock times, it never moves with the clock), or from psutil where there is no /proc.
"""

from __future__ import annotations

import os


def names_one_process(pid: object) -> bool:
    """`pid` can be one process's id: to os.kill 0 is the caller's process group and -1
    every process the user may signal (a hand-edited state file's `"pid": -1` made `twin
    down` SIGTERM all of them), and one past the C long an OverflowError traceback."""
    return isinstance(pid, int) and not isinstance(pid, bool) and 0 < pid < 2**31


def pid_alive(pid: int) -> bool:
    if not names_one_process(pid):
        return False
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
    """When `pid` started, in clock ticks since boot (/proc/<pid>/stat). Unlike wall-clock
    times it never moves with the clock (NTP steps, a VM resumed). Without /proc (macOS)
    psutil's creation time in hundredths of a second (a process's own, fixed at its start);
    None when neither can tell (the process is gone)."""
    if not names_one_process(pid):
        return None
    fields = _proc_stat(pid)
    if fields is None and not os.path.isdir("/proc"):
        return _created_centiseconds(pid)
    try:
        return int(fields[19]) if fields is not None else None
    except (IndexError, ValueError):
        return None


def _created_centiseconds(pid: int) -> int | None:
    """psutil (installed wherever there is no /proc): a None here made every state file
    say "not running", so a configure could re-enable the link a live failover-test shut."""
    try:
        import psutil
    except ImportError:
        return None
    try:
        return round(psutil.Process(pid).create_time() * 100)
    except (psutil.Error, OSError):
        return None
