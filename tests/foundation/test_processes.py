"""Without /proc (macOS) a state file must still tell a live process from a gone one."""

from __future__ import annotations

import os
import subprocess
import sys

from nornir_evpn import processes


def test_start_time_without_proc_comes_from_psutil(monkeypatch) -> None:
    monkeypatch.setattr(processes, "_proc_stat", lambda pid: None)
    real_isdir = os.path.isdir
    monkeypatch.setattr(os.path, "isdir", lambda p: False if p == "/proc" else real_isdir(p))
    me = processes.process_start(os.getpid())
    assert isinstance(me, int) and me == processes.process_start(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        other = processes.process_start(child.pid)
        assert isinstance(other, int) and other != me  # a later process: a later start
    finally:
        child.kill()
        child.wait()
    assert processes.process_start(child.pid) is None  # gone: nothing to compare with


def test_a_pid_that_names_no_single_process_is_never_alive() -> None:
    """os.kill(0, 0) and os.kill(-1, 0) succeed (the caller's process group, every process
    the user may signal): a state file saying `"pid": -1` read as a live twin, and `twin
    down` sent SIGTERM to -1. A pid past the C long was an OverflowError traceback."""
    for pid in (0, -1, -os.getpid(), 2**31, 10**20, True):
        assert not processes.pid_alive(pid), pid
        assert processes.process_start(pid) is None, pid
    assert processes.pid_alive(os.getpid())


def test_without_proc_a_pid_that_names_no_single_process_has_no_start(monkeypatch) -> None:
    """psutil's branch (macOS) must not see `-1` either: psutil.Process(-1) raises ValueError,
    which no caller expects of process_start (mutation testing: the guard was untested there)."""
    monkeypatch.setattr(processes, "_proc_stat", lambda pid: None)
    real_isdir = os.path.isdir
    monkeypatch.setattr(os.path, "isdir", lambda p: False if p == "/proc" else real_isdir(p))
    for pid in (0, -1, -os.getpid(), 2**31, True):
        assert processes.process_start(pid) is None, pid
