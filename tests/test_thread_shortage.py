"""A machine that will not start more threads (`ulimit -u`, a container's pids limit,
`ulimit -v`): "can't start new thread".

A scarce-resources tester saw configure commit on 8 to 16 of 18 hosts, then end in a
traceback with no report (`ThreadPoolExecutor.submit` queues a host before starting its
thread; the runner took the error for an interrupt while the hosts already running went
on), and failover-test end after its restore without a verdict (a thread per poll).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from nornir_evpn.cli import main
from nornir_evpn.failover.poller import Poller

ROOT = Path(__file__).resolve().parent.parent
INVENTORY = ROOT / "inventory"
LAB = INVENTORY / "evpn-mh01.clab.yml"
TOO_MANY = "can't start new thread"


def _threads_capped(monkeypatch: pytest.MonkeyPatch, prefix: str, allowed: int) -> None:
    """Threads named `prefix...` start `allowed` times, then fail as CPython does."""
    real = threading.Thread.start
    started = []

    def start(self: threading.Thread) -> None:
        if self.name.startswith(prefix):
            if len(started) >= allowed:
                raise RuntimeError(TOO_MANY)
            started.append(self.name)
        real(self)

    monkeypatch.setattr(threading.Thread, "start", start)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[object, Path]]:
    from nornir_evpn.twin.fabric_lab import attach
    from nornir_evpn.twin.runtime import Twin

    with Twin(LAB) as twin:
        attach(twin)
        state = tmp_path / "twin.json"
        twin.state().write(state)
        yield twin, state


def _configure(state: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict, str]:
    capsys.readouterr()
    code = main(["configure", "--twin", "--twin-state", str(state), "--inventory", str(INVENTORY),
                 "--json", *extra])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_configure_goes_on_with_the_threads_it_could_start(served, capsys, monkeypatch) -> None:
    _, state = served
    _threads_capped(monkeypatch, "nornir_evpn_", 2)
    code, doc, err = _configure(state, capsys)
    # every host configured and reported, two at a time
    assert (code, doc["ok"]) == (0, True), doc
    assert {h: e["committed"] for h, e in doc["hosts"].items()} == {
        "leaf1": True, "leaf2": True, "leaf3": True, "spine1": False}
    assert err.count("note: only 2 of ") == 1 and TOO_MANY in err, err
    assert "Traceback" not in err


def test_not_one_thread_is_one_line_and_nothing_configured(served, capsys, monkeypatch, tmp_path) -> None:
    twin, state = served
    before = {n: set(twin.datastore(n).running.flat()) for n in ("leaf1", "leaf2", "leaf3", "spine1")}
    _threads_capped(monkeypatch, "nornir_evpn_", 0)
    junit = tmp_path / "c.xml"
    code, doc, err = _configure(state, capsys, "--junit", str(junit))
    assert code == 1 and doc["ok"] is False
    [line] = err.splitlines()
    assert line.startswith("nornir-evpn: error: cannot start a thread (can't start new thread): "), line
    assert "ulimit -u" in line
    assert "cannot start a thread" in doc["error"] and "<testcase" in junit.read_text()
    assert {n: set(twin.datastore(n).running.flat()) for n in before} == before


def test_a_poll_runs_in_the_callers_thread_when_none_can_start(monkeypatch) -> None:
    """failover-test's recovery wait: the link was restored, then the poll's thread failed
    to start and the run ended with no verdict."""
    _threads_capped(monkeypatch, "failover-poll", 0)
    clock = iter(range(100)).__next__
    poller = Poller(lambda: float(clock()))
    caller = threading.current_thread()
    seen = []

    def poll() -> dict:
        seen.append(threading.current_thread())
        return {("lag.up", "leaf1"): True}

    assert poller.bounded(poll, deadline=50.0)() == {("lag.up", "leaf1"): True}
    assert seen == [caller] and not poller.busy() and poller.join() is None


def test_a_traffic_probe_without_a_thread_is_one_error_and_stops_cleanly(monkeypatch) -> None:
    """failover-test started its probe before the shut: the thread not started, `stop` then
    joined it ("cannot join thread before it is started") and the run ended in a traceback."""
    from nornir_evpn.runner import ShortOfThreads
    from nornir_evpn.traffic import TrafficProbe

    _threads_capped(monkeypatch, "traffic-probe", 0)
    probe = TrafficProbe(lambda ip, count, interval: "", ["192.168.0.21"])
    with pytest.raises(ShortOfThreads, match=r"traffic probe's thread .*--no-traffic"):
        probe.start()
    assert probe.stop().sent == 0
