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
