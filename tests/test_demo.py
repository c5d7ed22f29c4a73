"""`python -m nornir_evpn demo` from a temporary directory: exit 0, one summary, no process left.

Every demo runs with a unique marker in its environment; its twin child inherits it, so
each process's environment (psutil) tells whether anything it started is still alive (other engineers'
demos on the same machine carry no marker).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest

pytestmark = pytest.mark.timeout(120)
MARKER = "NORNIR_EVPN_DEMO_TEST_MARKER"


def _marked(marker: str) -> list[int]:
    """pids whose environment carries `marker` (the demo and its children); psutil, not
    /proc, so the README's test command passes on macOS too."""
    return [p.pid for p in _marked_processes(marker)]


def _marked_processes(marker: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter():
        try:
            if proc.environ().get(MARKER) == marker and proc.status() != psutil.STATUS_ZOMBIE:
                found.append(proc)  # (a zombie is gone, just not reaped)
        except (psutil.Error, OSError):
            continue
    return found


def _twin_child_up(marker: str) -> bool:
    """The demo's twin child exists (imports may briefly spawn other helpers, e.g. ldconfig)."""
    for proc in _marked_processes(marker):
        try:
            if "--serve-twin" in proc.cmdline():
                return True
        except (psutil.Error, OSError):
            continue
    return False


def _wait_gone(marker: str, timeout: float = 10.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := _marked(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def _temp(tmp_path: Path) -> Path:
    """The demo's TMPDIR: beside its working directory, which must be left as it was."""
    return tmp_path.with_name(tmp_path.name + "-tmp")


def _demo(tmp_path: Path, *extra: str, session: bool = False) -> tuple[subprocess.Popen[str], str]:
    marker = uuid.uuid4().hex
    _temp(tmp_path).mkdir(exist_ok=True)  # the demo's own temp directory goes in here
    env = {**os.environ, MARKER: marker, "TMPDIR": str(_temp(tmp_path))}
    env.pop("NORNIR_EVPN_TWIN_STATE", None)
    proc = subprocess.Popen([sys.executable, "-m", "nornir_evpn", "demo", "--timing", "fast", *extra],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # Ctrl-C must work even when pytest was started with SIGINT ignored
                            # (a background job of a non-interactive shell)
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
                            start_new_session=session)  # a group of its own, as a terminal's job
    return proc, marker


def test_demo_runs_from_any_directory_and_leaves_nothing(tmp_path: Path) -> None:
    proc, marker = _demo(tmp_path)
    out, err = proc.communicate(timeout=110)
    assert proc.returncode == 0, (out + err)[-3000:]
    summary = out[out.index("demo summary"):]
    assert "convergence" in summary and "recovery" in summary and "demo OK" in summary
    for step in ("twin", "configure", "traffic", "verify", "failover-test"):
        assert step in summary
    assert "insert / interface lag1 lag lacp admin-key 11" in out  # configure printed its diff
    assert _wait_gone(marker) == []
    # nothing written to the user's directory (the twin's state lived in a temp dir)
    assert list(tmp_path.iterdir()) == []


def test_demo_json_summary(tmp_path: Path) -> None:
    proc, marker = _demo(tmp_path, "--json")
    out, err = proc.communicate(timeout=110)
    assert proc.returncode == 0, err[-3000:]
    doc = json.loads(out)
    assert doc["command"] == "demo" and doc["ok"] is True
    assert [s["name"] for s in doc["steps"]] == ["twin", "configure", "traffic", "verify", "failover-test"]
    assert doc["convergence_s"] > 0 and doc["recovery_s"] > 0
    assert doc["traffic"]["sent"] > 0
    assert "convergence" in err  # human output went to stderr
    assert _wait_gone(marker) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL])
def test_demo_killed_mid_run_leaves_no_process(tmp_path: Path, sig: signal.Signals) -> None:
    proc, marker = _demo(tmp_path)
    try:
        assert proc.stdout is not None
        # wait until the twin child serves (its state file written: its imports are done. A
        # child still importing, stopped by the demo's Ctrl-C, died inside ctypes' library
        # search and left that search's temp file in $TMPDIR)
        deadline = time.monotonic() + 60
        while not (_twin_child_up(marker) and list(_temp(tmp_path).glob("nornir-evpn-demo-*/twin.json"))):
            assert time.monotonic() < deadline and proc.poll() is None, "demo twin never started"
            time.sleep(0.05)
        proc.send_signal(sig)  # at once: with --timing fast the demo's steps after it take about a second
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    if sig == signal.SIGINT:
        assert proc.returncode == 130, err[-3000:]
    assert _wait_gone(marker) == []
    # a kill -9 skips the demo's own clean-up: its twin, left alone, removes the directory
    assert list(_temp(tmp_path).iterdir()) == []


def test_demo_json_interrupted_says_so(tmp_path: Path) -> None:
    """`demo --json` interrupted printed nothing on stdout: a CI step reading it had no verdict."""
    proc, marker = _demo(tmp_path, "--json")
    try:
        deadline = time.monotonic() + 60
        while not _twin_child_up(marker):
            assert time.monotonic() < deadline and proc.poll() is None, "demo twin never started"
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, err[-3000:]
    doc = json.loads(out)
    assert (doc["command"], doc["ok"], doc["interrupted"]) == ("demo", False, True)
    assert _wait_gone(marker) == []


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_to_the_whole_group_mid_failover_restores_and_says_interrupted(tmp_path: Path, sig) -> None:
    """A terminal's Ctrl-C and `timeout` signal the demo's process group: the twin child went
    down with the demo, the restore found no device (RESTORE FAILED) and the demo said FAILED,
    exit 1. The twin has a session of its own now: the link is restored, exit 130."""
    import threading

    proc, marker = _demo(tmp_path, "--json", session=True)
    failover = threading.Event()
    err: list[str] = []

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            err.append(line)
            if "leaf1 ethernet-1/1" in line and "shut" in line:
                failover.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert failover.wait(90), "".join(err)[-3000:]
        time.sleep(0.3)
        os.killpg(proc.pid, sig)
        out = proc.stdout.read() if proc.stdout else ""
        proc.wait(60)
        reader.join(10)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    text = "".join(err)
    assert proc.returncode == 130, text[-3000:]
    assert "restored" in text and "RESTORE FAILED" not in text, text[-3000:]
    doc = json.loads(out)
    assert (doc["ok"], doc["interrupted"]) == (False, True)
    assert _wait_gone(marker) == []


def test_the_demos_steps_keep_their_records_in_its_temp_dir(tmp_path: Path, monkeypatch) -> None:
    """An absolute $NORNIR_EVPN_CHECKPOINTS got the demo twin's configure run recorded under
    lab evpn-mh01, which a `rollback` of the user's real evpn-mh01 lab then chose; the
    variables are the user's again afterwards."""
    from nornir_evpn import checkpoint_record, failover_state
    from nornir_evpn.commands.demo import _cwd

    mine = tmp_path / "mine.json"
    monkeypatch.setenv("NORNIR_EVPN_CHECKPOINTS", str(mine))
    monkeypatch.delenv("NORNIR_EVPN_FAILOVER_STATE", raising=False)
    demo_dir = tmp_path / "demo"
    demo_dir.mkdir()
    with _cwd(demo_dir):
        assert checkpoint_record.record_path() == demo_dir / "checkpoints.json"
        assert failover_state.state_file_path() == demo_dir / "failover-state.json"
    assert checkpoint_record.record_path() == mine
    assert "NORNIR_EVPN_FAILOVER_STATE" not in os.environ


def test_the_demo_runs_from_a_directory_since_removed(tmp_path: Path, monkeypatch) -> None:
    """`cd build && ... && rm -rf ../build`, then `demo`: the demo needs nothing of the working
    directory, yet its step into its temp dir read it first and died with a
    FileNotFoundError traceback from `Path.cwd()` (every other command runs there)."""
    from nornir_evpn.commands.demo import _cwd

    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    demo_dir = tmp_path / "demo"
    demo_dir.mkdir()
    with _cwd(demo_dir):
        assert Path.cwd() == demo_dir


def test_the_demo_steps_back_to_the_directory_it_was_started_from(tmp_path: Path, monkeypatch) -> None:
    """A runbook that calls the demo goes on where it was: its relative paths still resolve."""
    from nornir_evpn.commands.demo import _cwd

    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    demo_dir = tmp_path / "demo"
    demo_dir.mkdir()
    with _cwd(demo_dir):
        assert Path.cwd() == demo_dir
    assert Path.cwd() == here
