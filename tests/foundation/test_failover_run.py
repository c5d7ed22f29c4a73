"""run_failover's bookkeeping with a scripted evaluator: no devices, no twin."""

from __future__ import annotations

import io
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from nornir_evpn.checks.mac import NOT_LEARNT
from nornir_evpn.commands.failover import exit_code
from nornir_evpn.failover import CheckOutcome, FailoverOptions, Faults, run_failover
from nornir_evpn.intent import derive_intent
from nornir_evpn.reporting.failover import print_report
from nornir_evpn.topology import load_topology

FABRIC_2S4L = Path(__file__).resolve().parents[1] / "fixtures" / "fabric-2s4l2es.clab.yml"
ADVERTISED = ("evpn.advertised", "leaf4")  # its RT2 count follows the MACs learnt
LAG = ("lag.up", "leaf1")  # the fault takes it down


class FakeNornir:
    """Shut and restore succeed; `run_failover` only looks at `failed` and `changed`
    (`changed=False`: the device's diff was empty, the interface already so)."""

    def __init__(self, changed: bool = True) -> None:
        self.tasks: list[str] = []
        self.changed = changed

    def filter(self, **_kw: Any) -> FakeNornir:
        return self

    def with_runner(self, _runner: Any) -> FakeNornir:  # the restore's spare session
        return self

    def run(self, task: Any, **_kw: Any) -> dict[str, Any]:
        self.tasks.append(task.__name__)
        return {"leaf1": SimpleNamespace(failed=False, changed=self.changed)}


def test_warm_up_refreshes_what_healthy_expects(tmp_path: Path) -> None:
    """A pre-check that only misses traffic-learnt state sends traffic and polls again. The
    expectations read after that are the healthy ones: an expectation the fault leaves as
    it was is reported "unchanged", not "degraded" (it was, against the stale pre-check)."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    warmed = []

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        learnt = bool(warmed)
        return {
            ADVERTISED: CheckOutcome(learnt, "", {"rt2": 2 if learnt else 0}),
            LAG: CheckOutcome(True, "", "down" if faults else "up"),
        }

    nr = FakeNornir()
    report = run_failover(
        nr, fabric, evaluate,  # type: ignore[arg-type]
        FailoverOptions(interval=0.01, timeout=5, state_file=tmp_path / "state.json"),
        warm_up=lambda: warmed.append(1),
    )
    assert report.ok and warmed and nr.tasks == ["shut_interface", "restore_interface"]
    events = {(e.check, e.host): e.event for e in report.timeline if e.check}
    assert events == {ADVERTISED: "unchanged", LAG: "degraded"}
    assert [e.event for e in report.timeline if not e.check][:2] == ["warm-up", "precheck"]


def test_refused_for_unlearnt_macs_offers_the_traffic_command(tmp_path: Path) -> None:
    fabric = derive_intent(load_topology(FABRIC_2S4L))

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {("mac.local", "leaf3"): CheckOutcome(False, f"leaf3 mac-vrf-1 aa - Actual: {NOT_LEARNT}")}

    nr = FakeNornir()
    report = run_failover(nr, fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(traffic=False, state_file=tmp_path / "state.json"))
    assert report.refused and nr.tasks == []  # nothing was shut
    hint = "python -m nornir_evpn twin traffic --twin-state /x/twin.json"
    for given, shown in ((hint, True), (None, False)):
        buf = io.StringIO()
        print_report(Console(file=buf, width=300, color_system=None), report, traffic_hint=given)
        assert (f"hint: leaves learn MACs from CE traffic only; if none was sent, `{hint}` sends some, then run failover-test again"
                in buf.getvalue()) is shown
        # the verdict is the last line, as every command's (`| tail -1` read a table border)
        assert buf.getvalue().splitlines()[-1].startswith("failover-test refused: ")


def test_an_expectation_the_fault_only_narrows_is_unchanged(tmp_path: Path) -> None:
    """The shut leaf stops checking the DF of the ES whose link is down and keeps checking
    its other ES: that held before the fault, so it is not a "holds" the fault brought."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    df = ("es.df", "leaf1")
    both = {"ES-1 mac-vrf-1 DF": "10.0.0.2", "ES-3 mac-vrf-1 DF": "10.0.0.1"}

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {
            df: CheckOutcome(True, "", {"ES-3 mac-vrf-1 DF": "10.0.0.1"} if faults else both),
            LAG: CheckOutcome(True, "", "down" if faults else "up"),
        }

    report = run_failover(
        FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
        FailoverOptions(interval=0.01, timeout=5, traffic=False, state_file=tmp_path / "state.json"),
    )
    events = {(e.check, e.host): e.event for e in report.timeline if e.check}
    assert events == {df: "unchanged", LAG: "degraded"}


def test_force_leaves_what_failed_before_out_of_the_targets(tmp_path: Path) -> None:
    """--force on an unhealthy fabric: a check failing before the fault can hold neither
    target; it must not keep the test polling until two timeouts pass."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    broken = ("bgp.overlay_established", "leaf4")

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {
            broken: CheckOutcome(False, "leaf4 overlay 10.0.0.1 - Expected: established", {}),
            LAG: CheckOutcome(True, "", "down" if faults else "up"),
        }

    report = run_failover(
        FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
        FailoverOptions(interval=0.01, timeout=30, traffic=False, force=True,
                        state_file=tmp_path / "state.json"),
    )
    assert report.ok and report.degraded.reached and report.recovery.reached
    assert report.degraded.converged_s < 5 and report.recovery.converged_s < 5
    assert [f["check"] for f in report.precheck_failures] == ["bgp.overlay_established"]
    assert {(e.check, e.host) for e in report.timeline if e.check} == {LAG}
    out = io.StringIO()
    print_report(Console(file=out, width=120), report)
    assert "ignored (--force) │ bgp.overlay_established@leaf4" in out.getvalue()
    assert "(the times above do not include them)" in out.getvalue()
    # no item named: left out whole (--json `left_out` null), and never timed (`checks`)
    assert report.precheck_failures[0]["left_out"] is None
    assert set(report.checks_times()) == {"lag.up"}


def test_a_shut_that_changes_nothing_measures_nothing_and_restores_nothing(tmp_path: Path) -> None:
    """The pre-check passed (no check looks at what is down, or a warm-up hid it) but the
    shut's diff is empty: the interface was already admin-state disable. No degraded poll,
    no restore (it would enable a port an operator shut), no state file left; a FAIL."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    polled: list[Faults] = []

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        polled.append(faults)
        return {LAG: CheckOutcome(True, "", "down" if faults else "up")}

    nr = FakeNornir(changed=False)
    state = tmp_path / "state.json"
    report = run_failover(nr, fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=5, traffic=False, state_file=state))
    message = "leaf1 ethernet-1/1 was already admin-state disable: nothing to test; left as found"
    assert not report.ok and report.already_disabled and report.error == message
    assert nr.tasks == ["shut_interface"] and not report.restore_attempted and report.restore_ok is None
    assert polled == [frozenset()]  # the pre-check only: nothing measured
    assert report.degraded is None and report.recovery is None and report.convergence_s is None
    assert [(e.event, e.host) for e in report.timeline] == [("precheck", None), ("left-as-found", "leaf1")]
    assert not state.exists()
    assert exit_code(report) == 1
    out = io.StringIO()
    print_report(Console(file=out, width=200, color_system=None), report)
    assert out.getvalue().splitlines()[-1] == f"failover-test FAIL: {message}"
    assert "restore" not in out.getvalue().lower()


@pytest.mark.usefixtures("signals_not_ignored")
def test_ctrl_c_while_the_probe_stops_keeps_the_report(tmp_path: Path) -> None:
    """The probe's last ping may take a moment to finish; a Ctrl-C then must end in a report
    that says interrupted (the link was already restored), not in a bare KeyboardInterrupt."""
    import os
    import signal

    from nornir_evpn.tasks.failover import TrafficStats

    class Probe:
        def start(self) -> Probe:
            return self

        def stop(self, **_kw: Any) -> TrafficStats:
            os.kill(os.getpid(), signal.SIGINT)  # delivered while stop() runs
            return TrafficStats(sent=12, lost=3)

    fabric = derive_intent(load_topology(FABRIC_2S4L))

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {LAG: CheckOutcome(True, "", "down" if faults else "up")}

    report = run_failover(
        FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
        FailoverOptions(interval=0.01, timeout=5, traffic=True, state_file=tmp_path / "state.json"),
        probe=Probe(),  # type: ignore[arg-type]
    )
    assert report.interrupted == "SIGINT" and report.restore_ok and not report.ok
    assert (report.traffic.sent, report.traffic.lost) == (12, 3)


class StatsProbe:
    """A probe whose numbers are given: what `run_failover` judges."""

    def __init__(self, per_target: dict[str, tuple[int, int]]) -> None:
        self.per_target = per_target
        self.rechecked: list[bool] = []

    def start(self) -> StatsProbe:
        return self

    def stop(self, *, recheck: bool = False) -> Any:
        from nornir_evpn.tasks.failover import TrafficStats

        self.rechecked.append(recheck)
        return TrafficStats(sum(s for s, _ in self.per_target.values()), sum(lost for _, lost in self.per_target.values()),
                            per_target={t: {"sent": s, "lost": lost} for t, (s, lost) in self.per_target.items()})


def _traffic_run(tmp_path: Path, per_target: dict[str, tuple[int, int]]) -> tuple[Any, StatsProbe]:
    fabric = derive_intent(load_topology(FABRIC_2S4L))

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {LAG: CheckOutcome(True, "", "down" if faults else "up")}

    probe = StatsProbe(per_target)
    report = run_failover(FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=5, state_file=tmp_path / "state.json"),
                          probe=probe)  # type: ignore[arg-type]
    return report, probe


def test_traffic_false_uses_neither_the_probe_nor_the_warm_up(tmp_path: Path) -> None:
    """A runbook's `FailoverOptions(traffic=False)` is the CLI's --no-traffic: a probe and a
    warm-up passed along are not used (both ran before, and the option was read nowhere)."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    warmed: list[int] = []

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {("mac.local", "leaf3"): CheckOutcome(not faults, ""),
                LAG: CheckOutcome(True, "", "down" if faults else "up")}

    probe = StatsProbe({"172.30.0.12": (18, 18)})
    report = run_failover(FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=5, traffic=False, state_file=tmp_path / "state.json"),
                          probe=probe, warm_up=lambda: warmed.append(1))  # type: ignore[arg-type]
    assert probe.rechecked == [] and warmed == [] and report.traffic is None
    assert report.not_judged == ["mac.local"]
    assert report.ok  # a target lost every ping, but no traffic was asked for


def test_a_probe_target_that_never_answered_fails_the_run(tmp_path: Path) -> None:
    """Convergence and recovery fine, but one target lost every ping of the whole test: FAIL,
    naming it (its CE from the intent when the address is one); partial loss elsewhere is the
    failover's and fails nothing."""
    import json
    from xml.etree import ElementTree

    from nornir_evpn.reporting.common import write_junit
    from nornir_evpn.reporting.failover import failover_document, junit_suites

    report, probe = _traffic_run(tmp_path, {"172.30.0.12": (18, 18), "10.9.9.9": (15, 8)})
    assert report.degraded.reached and report.recovery.reached and report.restore_ok
    assert probe.rechecked == [True]  # recovered: not-yet-answered targets get a last batch
    assert not report.ok and report.error is None
    line = "traffic: 172.30.0.12 (mhce2) never answered (18/18 lost)"
    assert report.traffic_failures == [line]
    assert exit_code(report) == 1
    out = io.StringIO()
    print_report(Console(file=out, width=200, color_system=None), report)
    text = out.getvalue()
    rows = " ".join(text.split())  # the table's widths follow its longest row
    assert "│ traffic │ 33 sent, 26 lost │" in rows
    assert "│ 172.30.0.12 (mhce2) │ 18 sent, 18 lost: never answered │" in rows
    assert "│ 10.9.9.9 │ 15 sent, 8 lost │" in rows
    assert text.splitlines()[-1].endswith(f"s; {line}")
    assert text.splitlines()[-1].startswith("failover-test FAIL: convergence ")
    doc = json.loads(json.dumps(failover_document(report, ["leaf1"])))
    assert doc["ok"] is False
    assert doc["traffic"]["never_answered"] == ["172.30.0.12"]
    assert doc["traffic"]["per_target"] == {"172.30.0.12": {"sent": 18, "lost": 18, "ce": "mhce2"},
                                            "10.9.9.9": {"sent": 15, "lost": 8}}
    junit = tmp_path / "f.xml"
    write_junit(junit, junit_suites(report))
    failures = {c.get("name"): c.find("failure").get("message")
                for c in ElementTree.parse(junit).getroot().iter("testcase") if c.find("failure") is not None}
    assert failures == {"leaf1 ethernet-1/1 traffic": line}


def test_loss_during_the_failover_alone_passes(tmp_path: Path) -> None:
    report, _ = _traffic_run(tmp_path, {"172.30.0.12": (18, 17), "10.9.9.9": (0, 0)})
    assert report.ok and report.traffic_failures == []
    out = io.StringIO()
    print_report(Console(file=out, width=200, color_system=None), report)
    text = out.getvalue()
    assert "172.30.0.12 (mhce2) │ 18 sent, 17 lost │" in " ".join(text.split())
    assert "10.9.9.9" not in text  # nothing lost there
    assert text.splitlines()[-1].startswith("failover-test PASS: convergence ")


@pytest.mark.parametrize("recheck", [True, False])
def test_probe_recheck_gives_a_target_hit_only_in_the_loss_window_one_more_batch(recheck: bool) -> None:
    """Every ping to `b` so far fell in the failover's loss window: the batch `stop(recheck=True)`
    sends once the fabric is healthy again answers; `a`, really cut off, stays never answered."""
    import threading

    from nornir_evpn.tasks.failover import TrafficProbe

    healthy = threading.Event()
    pinged: dict[str, int] = {}

    def runner(ip: str, count: int, interval: float) -> str:
        pinged[ip] = pinged.get(ip, 0) + 1
        received = count if ip == "b" and healthy.is_set() else 0
        return f"{count} packets transmitted, {received} received"

    # the loop sleeps 0.3 s between batches: it is waiting, not pinging, when `healthy` is set
    probe = TrafficProbe(runner, ["a", "b"], interval=0.1).start()
    deadline = time.monotonic() + 5
    while len(pinged) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    healthy.set()
    stats = probe.stop(recheck=recheck)
    assert stats.never_answered() == (["a"] if recheck else ["a", "b"])
    assert stats.per_target["a"]["lost"] == stats.per_target["a"]["sent"] > 0


def test_probe_recheck_judges_a_target_the_round_robin_never_reached() -> None:
    """A short test with many targets pings only some of them; the recheck after recovery
    pings the rest, so a dead one among them fails the run instead of passing unseen."""
    from nornir_evpn.tasks.failover import TrafficProbe

    counts: dict[str, list[int]] = {}

    def runner(ip: str, count: int, interval: float) -> str:
        counts.setdefault(ip, []).append(count)
        return f"{count} packets transmitted, {0 if ip == 'dead' else count} received"

    targets = [f"t{i}" for i in range(20)] + ["dead"]
    probe = TrafficProbe(runner, targets, interval=0.1).start()
    time.sleep(0.05)  # one batch (0.3 s each): far from reaching the 21st target
    stats = probe.stop(recheck=True)
    assert all(c["sent"] > 0 for c in stats.per_target.values())
    assert stats.never_answered() == ["dead"]
    # the recheck sends one packet per target (~100 targets at 128 leaves), batches before it 3
    assert counts["t0"] == [3] and counts["dead"] == [1] and counts["t19"] == [1]


def test_an_expectation_that_breaks_after_it_held_is_on_the_timeline() -> None:
    """leaf3's ESI entry for mhce1 holds, goes away for a moment (the withdrawals reach it
    before the other peer's routes), then holds again: the convergence waited for it, and
    the timeline says so instead of only 'holds' lines that all end earlier."""
    from nornir_evpn.tasks.failover import wait_for_state

    key = ("mac.esi_remote", "leaf3")
    other = ("lag.up", "leaf1")
    polls = [{key: True, other: False}, {key: False, other: True}, {key: False, other: True},
             {key: True, other: True}]
    done = [0]  # the clock reads the number of polls done: poll n completes at t = n

    def state() -> dict[tuple[str, str], bool]:
        done[0] += 1
        return polls[done[0] - 1]

    seen: list[tuple[tuple[str, str], float, bool]] = []
    outcome = wait_for_state(state, t0=0.0, interval=0.0, timeout=50, clock=lambda: float(done[0]),
                             sleep=lambda _s: None, on_change=lambda k, t, h: seen.append((k, t, h)))
    assert outcome.reached and (outcome.first_held[key], outcome.first_held[other]) == (1.0, 2.0)
    assert seen == outcome.changes == [(key, 2.0, False), (key, 4.0, True)]
    assert outcome.converged_s == 4.0


def test_a_slow_poll_bounds_the_time_from_below_by_the_poll_before() -> None:
    """All hosts are read in one poll: the poll that still saw the state broken started at
    1.5 and took 6 s (one host stalled), the next one found it at 8.0. The state began to
    hold after 1.5, not 'at 8.0': the outcome keeps both ends and the slow poll."""
    from nornir_evpn.tasks.failover import wait_for_state

    key = ("lag.up", "leaf1")
    now = [0.0]
    took = iter([1.0, 6.0, 0.5])  # each poll's duration; 0.5 s between their starts asked
    seen = iter([False, False, True])

    def state() -> dict[tuple[str, str], bool]:
        now[0] += next(took)
        return {key: next(seen)}

    def sleep(seconds: float) -> None:
        now[0] += seconds

    outcome = wait_for_state(state, t0=0.0, interval=0.5, timeout=50, clock=lambda: now[0], sleep=sleep)
    assert outcome.reached and outcome.converged_s == 7.5
    assert (outcome.converged_after_s, outcome.slowest_poll_s, outcome.interval) == (1.0, 6.0, 0.5)


def test_a_stalled_host_s_poll_is_said_to_make_the_times_coarse(tmp_path: Path) -> None:
    """Over a stalling VPN one host's read took 6 s during convergence: every expectation
    was timed at that poll's end and the run said `convergence 6.25s` for a fabric that
    degraded in the poll the stall held up, with nothing saying so (WAN tester). The
    table now gives the lower end and the slow poll, --json `convergence_after_s`, and the
    verdict line marks the time an upper bound; fast polls say nothing of the kind."""
    from nornir_evpn.reporting.failover import failover_document

    fabric = derive_intent(load_topology(FABRIC_2S4L))
    now = [0.0]
    polls = iter([(0.25, False), (6.0, False), (0.25, True)])  # the 2nd poll stalls 6 s

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        if not faults:
            now[0] += 0.25
            return {LAG: CheckOutcome(True, "", "up")}
        took, degraded = next(polls, (0.25, True))
        now[0] += took
        return {LAG: CheckOutcome(degraded, "", "down" if degraded else "up")}

    report = run_failover(FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.5, timeout=30, traffic=False, state_file=tmp_path / "s.json"),
                          clock=lambda: now[0])  # (its sleeps do not move this clock)
    assert report.ok and report.convergence_s == 6.5
    assert report.coarse("convergence") == (0.25, 6.0, 0.5) and report.coarse("recovery") is None
    doc = failover_document(report, ["leaf1"])
    assert (doc["convergence_after_s"], doc["recovery_after_s"]) == (0.25, 0.0)
    out = io.StringIO()
    print_report(Console(file=out, width=300, color_system=None), report)
    text = out.getvalue()
    assert ("6.500s (held from some time after 0.250s: a poll took 6.00s, longer than the 0.5s interval)"
            in text)
    assert text.splitlines()[-1] == ("failover-test PASS: convergence 6.500s (an upper bound, see above), "
                                     "recovery 0.250s")


@pytest.mark.parametrize(("polls", "coarse"), [
    ((0.41, 0.41, 0.41), None),  # over a 0.2 s interval, but a 0.82 s window: as fine as it gets
    ((0.41, 1.2, 0.41), (0.41, 1.2, 0.2)),  # a 1.61 s window
])
def test_a_time_is_coarse_only_past_the_interval_and_a_second_of_doubt(polls, coarse) -> None:
    """A finer --interval got the louder caveat (review): 16 leaves polled every 0.2 s in
    0.41 s were marked for a 0.82 s window, the default 0.5 s interval's 0.91 s was not."""
    from nornir_evpn.tasks.failover import wait_for_state

    from nornir_evpn.failover.model import FailoverReport

    now = [0.0]
    took, seen = iter(polls), iter([False, False, True])

    def state() -> dict[tuple[str, str], bool]:
        now[0] += next(took)
        return {("lag.up", "leaf1"): next(seen)}

    outcome = wait_for_state(state, t0=0.0, interval=0.2, timeout=50, clock=lambda: now[0],
                             sleep=lambda s: now.__setitem__(0, now[0] + s))
    report = FailoverReport(host="leaf1", interface="ethernet-1/1", segment="ES-1", degraded=outcome)
    assert report.coarse("convergence") == coarse


def test_the_timeline_shows_an_expectation_breaking_and_holding_again(tmp_path: Path) -> None:
    """mac.esi_remote on leaf3 holds at the shut, breaks on the next poll, holds again on
    the one after: the report's timeline carries both, so a convergence later than every
    'holds' line is explained."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    esi = ("mac.esi_remote", "leaf3")
    # (esi holds, lag holds) per poll under the fault: the LAG goes down on the 2nd poll
    degraded_polls = iter([(True, False), (False, True), (True, True)])

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        esi_ok, lag_ok = next(degraded_polls, (True, True)) if faults else (True, True)
        return {esi: CheckOutcome(esi_ok, "", "evpn esi:01:..."),
                LAG: CheckOutcome(lag_ok, "", "down" if faults else "up")}

    report = run_failover(FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=5, state_file=tmp_path / "s.json"),
                          probe=StatsProbe({}))  # type: ignore[arg-type] (with traffic: MACs judged)
    assert report.ok
    events = [(e.event, e.check, e.host) for e in report.timeline if e.check == "mac.esi_remote"]
    assert events == [("unchanged", *esi), ("breaks", *esi), ("holds again", *esi)]
    times = {e.event: e.t for e in report.timeline}
    assert times["breaks"] < times["holds again"] <= times["converged"]


def test_force_leaves_a_ce_broken_before_the_test_out_of_the_traffic_verdict(tmp_path: Path) -> None:
    """--force leaves pre-check failures out of the targets; a CE those failures name (its
    port on its leaf) is left out of the traffic verdict the same way, and said so."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    broken = ("lacp.members_in_sync", "leaf3")

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {LAG: CheckOutcome(True, "", "down" if faults else "up"),
                broken: CheckOutcome(False, "leaf3 lag2 ethernet-1/1 - Expected: IN_SYNC/True/True/True "
                                            "Actual: down", "IN_SYNC", ("lag2 ethernet-1/1",))}

    def run(force: bool) -> Any:
        probe = StatsProbe({"172.30.0.12": (18, 18), "10.9.9.9": (15, 8)})
        return run_failover(FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
                            FailoverOptions(interval=0.01, timeout=5, force=force,
                                            state_file=tmp_path / "state.json"),
                            probe=probe)  # type: ignore[arg-type]

    report = run(force=True)
    assert report.traffic_left_out == ["172.30.0.12"] and report.traffic_failures == []
    assert report.ok
    out = io.StringIO()
    print_report(Console(file=out, width=200, color_system=None), report)
    assert "18 sent, 18 lost: never answered (broken before, --force: not judged)" in out.getvalue()
    assert run(force=False).refused  # without --force the pre-check refuses the test


def test_ces_failing_before_match_their_own_port_only() -> None:
    from nornir_evpn.failover import ces_failing_before

    fabric = derive_intent(load_topology(FABRIC_2S4L))
    port = CheckOutcome(False, "leaf3 ethernet-1/1.0 network-instance - ...", failing=("ethernet-1/1.0 network-instance",))
    ten = CheckOutcome(False, "leaf3 ethernet-1/10 - ...", failing=("ethernet-1/10",))  # not mhce2's port
    mac = fabric.ces["mhce1"].macs[0]
    mac_on_leaf2 = CheckOutcome(False, "...", failing=(f"mac-vrf-1 {mac.lower()}",))
    assert ces_failing_before(fabric, {("access.up", "leaf3"): port}) == {"mhce2"}
    assert ces_failing_before(fabric, {("access.up", "leaf3"): ten}) == set()
    assert ces_failing_before(fabric, {("access.up", "leaf1"): port}) == {"mhce1"}  # leaf1's e1-1 is mhce1's
    assert ces_failing_before(fabric, {("mac.local", "leaf2"): mac_on_leaf2}) == {"mhce1"}
    assert ces_failing_before(fabric, {("mac.local", "leaf3"): mac_on_leaf2}) == set()  # not wired there
    # the wording is not read: a detail that names the port with no failing item names no CE
    assert ces_failing_before(fabric, {("collect", "leaf3"): CheckOutcome(False, "leaf3 ethernet-1/1 bug")}) == set()


def test_a_probe_that_never_ran_a_ping_fails_the_traffic_verdict() -> None:
    """docker missing or refused, or an address ping takes for an option: no ping summary
    at all. That read "traffic 0 sent, 0 lost" and PASS; it is "not measured" now."""
    from nornir_evpn.tasks.failover import TrafficProbe

    from nornir_evpn.failover import FailoverReport

    def runner(ip: str, count: int, interval: float) -> str:
        return "permission denied while trying to connect to the Docker daemon socket\n"

    probe = TrafficProbe(runner, ["192.168.0.21", "192.168.0.22"], interval=0.01).start()
    time.sleep(0.05)
    stats = probe.stop(recheck=True)
    assert (stats.sent, stats.lost) == (0, 0)
    assert stats.not_measured() == ["192.168.0.21", "192.168.0.22"]
    reason = "no ping result: permission denied while trying to connect to the Docker daemon socket"
    assert stats.error_for("192.168.0.21") == reason
    report = FailoverReport(host="leaf1", interface="ethernet-1/1", segment="ES-1", traffic=stats)
    assert report.traffic_failures == [f"traffic: 192.168.0.21 not measured ({reason})",
                                       f"traffic: 192.168.0.22 not measured ({reason})"]
    assert stats.as_dict()["not_measured"] == ["192.168.0.21", "192.168.0.22"]
    # not rechecked (the run failed before recovery): nothing is judged as not measured
    assert TrafficProbe(runner, ["x"]).stop(recheck=False).not_measured() == []


def test_the_state_file_is_written_without_touching_a_sibling_tmp(tmp_path: Path) -> None:
    """write_state went through `<name>.tmp`, overwriting then deleting a file of that name."""
    from nornir_evpn.failover_state import read_state, write_state

    theirs = tmp_path / "fo.tmp"
    theirs.write_text("someone else's\n")
    write_state(tmp_path / "fo.json", {"kind": "x", "host": "leaf1", "interface": "ethernet-1/1"})
    assert theirs.read_text() == "someone else's\n"
    assert read_state(tmp_path / "fo.json")["host"] == "leaf1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fo.json", "fo.tmp"]


def test_probe_targets_are_the_ipv4_addresses() -> None:
    """A CE with an IPv6 address too: `ping` to it failed on the twin and failed the run."""
    from nornir_evpn.failover import other_ce_ips

    fabric = derive_intent(load_topology(FABRIC_2S4L))
    iface = next(i for c in fabric.ces.values() for i in c.interfaces.values() if i.ips)
    iface.ips.append("2001:db8::9/64")
    targets = other_ce_ips(fabric, "nobody")
    assert targets and all(":" not in t for t in targets)
    assert set(targets) == {ip for c in fabric.ces.values() for ip in c.ips if ":" not in ip}


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_state_file_belongs_to_the_run_that_wrote_it(tmp_path: Path) -> None:
    """Two runs on one state file: the second overwrote the first's file, and the first's
    restore then deleted the second's, whose link stayed down with no record."""
    import json
    import os

    from nornir_evpn.errors import UserInputError
    from nornir_evpn.failover_state import (
        PHASE_CLAIMED,
        prepare_state_file,
        release_claim,
        remove_state,
        run_alive,
        write_state,
    )
    from nornir_evpn.processes import process_start

    path = tmp_path / "fo.json"
    prepare_state_file(path, "leaf1", "ethernet-1/1")
    mine = json.loads(path.read_text())
    assert (mine["phase"], mine["pid"], mine["host"]) == (PHASE_CLAIMED, os.getpid(), "leaf1") and run_alive(mine)
    with pytest.raises(UserInputError, match=rf"a failover-test \(pid {os.getpid()}\) is running on leaf1 ethernet-1/1"):
        prepare_state_file(path, "leaf2", "ethernet-1/1")
    write_state(path, {"kind": "nornir_evpn failover-test state", "phase": "shut", "host": "leaf1",
                       "interface": "ethernet-1/1"})
    release_claim(path)  # past its pre-check: left to the restore
    assert json.loads(path.read_text())["phase"] == "shut"

    # another run's file (a killed run after its shut) in the same place
    theirs = {"kind": "nornir_evpn failover-test state", "phase": "shut", "host": "leaf2",
              "interface": "ethernet-1/1", "pid": _dead_pid(), "pid_start": 1}
    path.write_text(json.dumps(theirs))
    remove_state(path)  # our restore done: their file stays
    assert json.loads(path.read_text())["host"] == "leaf2"
    with pytest.raises(UserInputError, match="another run's file took its place"):
        write_state(path, {"kind": "x", "host": "leaf1", "interface": "ethernet-1/1"})
    with pytest.raises(UserInputError, match="stopped before its restore left leaf2 ethernet-1/1 disabled"):
        prepare_state_file(path, "leaf1", "ethernet-1/1")
    remove_state(path, owner=theirs)  # `--restore` of their file removes it
    assert not path.exists()

    # a run killed in its pre-check disabled nothing: its claim is taken over
    path.write_text(json.dumps({**theirs, "phase": PHASE_CLAIMED}))
    prepare_state_file(path, "leaf1", "ethernet-1/1")
    assert json.loads(path.read_text())["pid"] == os.getpid()
    release_claim(path)
    assert not path.exists()
    # a live pid that started at another time is another process (reused pid)
    assert not run_alive({"pid": os.getpid(), "pid_start": (process_start(os.getpid()) or 0) + 1})
    assert not run_alive({"pid": os.getpid()})  # an older version's file: taken as stopped


def test_convergence_and_recovery_count_from_the_end_of_their_commits(tmp_path: Path) -> None:
    """Convergence counted from before the shut was sent (its ~1 s commit on SR Linux
    included) and recovery from after the restore's commit: neither consistent nor the
    fabric's time. Both count from their commit's end; the commits are reported apart."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    now = [0.0]

    class SlowCommits(FakeNornir):
        def run(self, task: Any, **kw: Any) -> dict[str, Any]:
            now[0] += 1.0  # the commit of the shut or of the restore
            return super().run(task, **kw)

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        now[0] += 0.25  # a poll
        return {LAG: CheckOutcome(True, "", "down" if faults else "up")}

    report = run_failover(
        SlowCommits(), fabric, evaluate,  # type: ignore[arg-type]
        FailoverOptions(interval=0.01, timeout=5, traffic=False, state_file=tmp_path / "state.json"),
        clock=lambda: now[0],
    )
    assert report.ok
    assert (report.shut_commit_s, report.restore_commit_s) == (1.0, 1.0)
    assert (report.convergence_s, report.recovery_s) == (0.25, 0.25)  # one poll each, no commit
    events = {ev.event: ev.t for ev in report.timeline}
    assert events["shut"] == 0.0 and events["restore"] == 1.25  # the restore's commit ended then


@pytest.mark.parametrize("commit_s", [6.0, 0.1])
def test_a_commit_answered_later_than_the_fabric_converged_gives_an_upper_bound(
        tmp_path: Path, commit_s: float) -> None:
    """Over a VPN, the shut's `commit now` reached leaf1 and its answer stalled 6 s on the way
    back: counted from the answer, the first poll found the fabric converged and the run said
    `convergence 0.211s` for a fabric that took 2.5 s ("never shorter than the real one").
    A commit longer than the time measured after it now gives the time from its send too."""
    from nornir_evpn.reporting.failover import failover_document

    fabric = derive_intent(load_topology(FABRIC_2S4L))
    now = [0.0]

    class Commits(FakeNornir):
        def run(self, task: Any, **kw: Any) -> dict[str, Any]:
            now[0] += commit_s
            return super().run(task, **kw)

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        now[0] += 0.25  # a poll: the fabric is where the fault takes it already
        return {LAG: CheckOutcome(True, "", "down" if faults else "up")}

    report = run_failover(
        Commits(), fabric, evaluate,  # type: ignore[arg-type]
        # (polls within the interval: the times are not coarse, only the commit bounds them)
        FailoverOptions(interval=0.5, timeout=5, traffic=False, state_file=tmp_path / "state.json"),
        clock=lambda: now[0],
    )
    assert report.ok and (report.convergence_s, report.recovery_s) == (0.25, 0.25)
    doc = failover_document(report, ["leaf1"])
    out = io.StringIO()
    print_report(Console(file=out, width=300, color_system=None), report)
    if commit_s > 0.25:
        assert (doc["convergence_at_most_s"], doc["recovery_at_most_s"]) == (6.25, 6.25)
        assert ("0.250s (from the shut's commit, which took 6.00s: the link may have changed before its "
                "answer came, so at most 6.250s from when it was sent)") in out.getvalue()
    else:  # a commit shorter than what was measured after it: the time stands alone
        assert (doc["convergence_at_most_s"], doc["recovery_at_most_s"]) == (None, None)
        assert "0.250s (from the shut's commit, which took 0.10s)" in out.getvalue()


@pytest.mark.parametrize("df,detail", [
    ("10.0.0.2", "ES-1 mac-vrf-1 candidates: [10.0.0.1, 10.0.0.2] -> [10.0.0.2]"),
    ("10.0.0.1", "ES-1 mac-vrf-1 candidates: [10.0.0.1, 10.0.0.2] -> [10.0.0.2]; ES-1 mac-vrf-1 DF: 10.0.0.1 -> 10.0.0.2"),
])
def test_the_holds_line_says_whether_the_df_moved(tmp_path: Path, df: str, detail: str) -> None:
    """`holds es.df on leaf2` read the same for a non-DF's link (the candidates shrink, the DF
    stays) as for the DF's (the DF moves to leaf2): a reader could not tell whether the test
    expected a DF change (the matrix tester, 8 leaves, every MH link). leaf1's link is shut;
    `df` is the DF before."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    peer = ("es.df", "leaf2")
    healthy = {"ES-1 mac-vrf-1 candidates": ["10.0.0.1", "10.0.0.2"], "ES-1 mac-vrf-1 DF": df}
    degraded = {"ES-1 mac-vrf-1 candidates": ["10.0.0.2"], "ES-1 mac-vrf-1 DF": "10.0.0.2"}

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {peer: CheckOutcome(True, "", degraded if faults else healthy),
                LAG: CheckOutcome(True, "", {"lag1": "down" if faults else "up"})}

    report = run_failover(
        FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
        FailoverOptions(interval=0.01, timeout=5, traffic=False, state_file=tmp_path / "state.json"),
    )
    held = {(e.check, e.host): e.detail for e in report.timeline if e.event == "degraded"}
    assert held == {peer: detail, LAG: "lag1: up -> down"}
    out = io.StringIO()
    print_report(Console(file=out, width=250, color_system=None), report, timeline=True)
    assert f"holds          es.df on leaf2 {detail}" in out.getvalue()


def test_what_never_held_is_reported_with_what_the_last_poll_saw(tmp_path: Path) -> None:
    """`never held │ es.df@leaf2` was all a FAIL said: no expected, no observed, and verify
    cannot tell afterwards (the link is back)."""
    import json

    from nornir_evpn.reporting.failover import failover_document

    fabric = derive_intent(load_topology(FABRIC_2S4L))
    df = ("es.df", "leaf2")
    detail = "leaf2 ES-1 mac-vrf-1 DF - Expected: 10.0.0.2 Actual: 10.0.0.1"

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {LAG: CheckOutcome(True, "", "down" if faults else "up"),
                df: CheckOutcome(not faults, "" if not faults else detail, "10.0.0.2")}

    report = run_failover(
        FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
        FailoverOptions(interval=0.01, timeout=0.05, traffic=False, state_file=tmp_path / "state.json"),
    )
    assert not report.ok and not report.degraded.reached and report.recovery.reached
    assert report.failing_details == {df: detail}
    doc = json.loads(json.dumps(failover_document(report, ["leaf1", "leaf3"])))
    assert doc["never_held"] == [{"check": "es.df", "host": "leaf2", "detail": detail}]
    assert doc["not_recovered"] == []
    out = io.StringIO()
    print_report(Console(file=out, width=250, color_system=None), report)
    assert f"es.df@leaf2: {detail}" in out.getvalue()


def test_an_expectation_failing_in_both_phases_is_reported_with_each_phase_s_poll(tmp_path: Path) -> None:
    """A --timeout shorter than the fabric's ES timer: leaf1's ES was still up when the
    degraded phase timed out, and still down when recovery did. `never held` read
    `es.oper_up@leaf1: ... Expected: up Actual: down`, the recovery's poll: one dict held both
    phases' details and the second overwrote the first (the matrix tester, --timeout 1.5)."""
    import json

    from nornir_evpn.reporting.failover import failover_document

    fabric = derive_intent(load_topology(FABRIC_2S4L))
    es = ("es.oper_up", "leaf1")
    in_degraded = "leaf1 ES-1 oper-state - Expected: down Actual: up"
    in_recovery = "leaf1 ES-1 oper-state - Expected: up Actual: down"

    shut = [False]

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        shut[0] = shut[0] or bool(faults)  # healthy at the pre-check, then slower than the timeout
        return {LAG: CheckOutcome(True, "", "down" if faults else "up"),
                es: CheckOutcome(not shut[0], in_degraded if faults else in_recovery, "down" if faults else "up")}

    report = run_failover(
        FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
        FailoverOptions(interval=0.01, timeout=0.05, traffic=False, state_file=tmp_path / "state.json"),
    )
    assert not report.degraded.reached and not report.recovery.reached
    doc = json.loads(json.dumps(failover_document(report, ["leaf1"])))
    assert doc["never_held"] == [{"check": "es.oper_up", "host": "leaf1", "detail": in_degraded}]
    assert doc["not_recovered"] == [{"check": "es.oper_up", "host": "leaf1", "detail": in_recovery}]
    out = io.StringIO()
    print_report(Console(file=out, width=250, color_system=None), report)
    text = out.getvalue()
    assert f"never held    │ es.oper_up@leaf1: {in_degraded}" in text
    assert f"not recovered │ es.oper_up@leaf1: {in_recovery}" in text


def test_a_check_that_broke_and_held_again_is_timed_when_it_held_for_good() -> None:
    """Its first hold was kept: the check that set the convergence carried an early time, and
    none carried the reported figure."""
    from nornir_evpn.tasks.failover import PollOutcome

    from nornir_evpn.failover import FailoverReport

    adv, rcv, gone = ("evpn.advertised", "leaf2"), ("evpn.received", "leaf4"), ("mac.local", "leaf4")
    degraded = PollOutcome(reached=True, converged_s=4.02,
                           first_held={adv: 0.017, rcv: 2.529, gone: 0.5},
                           changes=[(adv, 2.018, False), (adv, 4.02, True), (gone, 1.0, False)])
    report = FailoverReport(host="leaf1", interface="ethernet-1/1", segment="ES-1", degraded=degraded)
    times = report.checks_times()
    assert times["evpn.advertised"]["leaf2"]["degraded_s"] == 4.02 == report.convergence_s
    assert times["evpn.received"]["leaf4"]["degraded_s"] == 2.529
    assert "mac.local" not in times  # broke and never held again


def test_without_traffic_the_mac_checks_are_left_out_of_both_targets(tmp_path: Path) -> None:
    """The tester's F2: ce1's MAC was learnt through the shut leaf only, so it leaves the
    fabric at the shut and comes back only with CE traffic. Without a probe the MAC checks
    are not judged after the shut (said once, in the report and --json) and the rest is;
    with one, the same fabric FAILs on them (nothing re-taught the MAC)."""
    from nornir_evpn.failover import NOT_JUDGED_WITHOUT_TRAFFIC, restore_from_state
    from nornir_evpn.reporting.failover import failover_document

    fabric = derive_intent(load_topology(FABRIC_2S4L))
    esi, local = ("mac.esi_remote", "leaf3"), ("mac.local", "leaf3")
    shut = [False]

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        shut[0] = shut[0] or bool(faults)
        gone = f"leaf3 mac-vrf-1 00:c1:ab:00:00:11 - Actual: {NOT_LEARNT}"
        return {esi: CheckOutcome(not shut[0], "" if not shut[0] else gone, "evpn esi:01:..."),
                local: CheckOutcome(True, "", "learnt ethernet-1/1.0"),
                LAG: CheckOutcome(True, "", "down" if faults else "up")}

    def run(probe: Any = None) -> Any:
        shut[0] = False
        return run_failover(FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
                            FailoverOptions(interval=0.01, timeout=0.3, traffic=probe is not None,
                                            state_file=tmp_path / "s.json"), probe=probe)

    report = run()
    assert report.ok and report.not_judged == ["mac.esi_remote", "mac.local"]
    assert not [e for e in report.timeline if (e.check or "").startswith("mac.")]
    assert [e.event for e in report.timeline if e.check == "lag.up"] == ["degraded"]
    doc = failover_document(report, ["leaf1", "leaf3"])
    assert doc["not_judged"] == {"checks": ["mac.esi_remote", "mac.local"], "reason": NOT_JUDGED_WITHOUT_TRAFFIC}
    assert set(doc["checks"]) == {"lag.up"}
    out = io.StringIO()
    print_report(Console(file=out, width=200, color_system=None), report)
    assert [line for line in out.getvalue().splitlines() if "MAC checks" in line] == [
        f"{NOT_JUDGED_WITHOUT_TRAFFIC} (mac.esi_remote, mac.local)"]

    judged = run(probe=StatsProbe({"192.168.0.21": (6, 2)}))
    assert not judged.ok and judged.not_judged == []
    assert judged.degraded.failing == judged.recovery.failing == [esi]
    assert failover_document(judged, ["leaf3"])["not_judged"] is None

    # --restore sends no traffic either: the fabric is healthy without the MAC checks
    shut[0] = True
    restored = restore_from_state(FakeNornir(), {"host": "leaf1", "interface": "ethernet-1/1"},  # type: ignore[arg-type]
                                  tmp_path / "gone.json", evaluate, interval=0.01, timeout=0.3)
    assert restored.ok and restored.not_judged == ["mac.esi_remote", "mac.local"]


def test_recovery_gets_its_timeout_after_a_degraded_poll_that_overran(tmp_path: Path) -> None:
    """A degraded-phase poll behind a slow host outlives --timeout: the restore goes out on
    time, then waits for that poll. Its wait was taken out of the recovery's --timeout, so
    a fabric that recovers on the second poll was reported as not recovered."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    calls = {"healthy": 0}

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        if faults:
            time.sleep(1.6)  # longer than --timeout + the 1 s grace: left to finish
            return {LAG: CheckOutcome(False, "", "down")}
        calls["healthy"] += 1
        ok = calls["healthy"] != 2  # the pre-check holds; recovery on its second poll
        return {LAG: CheckOutcome(ok, "", "up")}

    report = run_failover(
        FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
        FailoverOptions(interval=0.05, timeout=0.3, traffic=False, state_file=tmp_path / "state.json"),
    )
    assert report.restore_ok and not report.degraded.reached
    assert report.recovery is not None and report.recovery.reached, report.recovery
    assert report.recovery.polls == 2


def _claim_in_child(path: str, go: Any, hold: Any, out: Any) -> None:
    from nornir_evpn.errors import UserInputError
    from nornir_evpn.failover_state import prepare_state_file

    go.wait()
    try:
        prepare_state_file(Path(path), "leaf1", "ethernet-1/1")
        out.put("claimed")
    except UserInputError as exc:
        out.put(str(exc))
    hold.wait(30)  # a run that claimed is alive while the others try


def test_only_one_of_many_runs_takes_over_a_stale_claim(tmp_path: Path) -> None:
    """Two runs replacing the same stale claim (a run killed in its pre-check) could both
    take it: each unlinked the file, then created its own over the other's."""
    import json
    import multiprocessing

    path = tmp_path / "fo.json"
    ctx = multiprocessing.get_context("fork")
    for _ in range(5):
        path.write_text(json.dumps({"kind": "nornir_evpn failover-test state", "phase": "pre-check",
                                    "host": "leaf1", "interface": "ethernet-1/1", "pid": _dead_pid(),
                                    "pid_start": 1}))
        go, hold, out = ctx.Event(), ctx.Event(), ctx.Queue()
        procs = [ctx.Process(target=_claim_in_child, args=(str(path), go, hold, out)) for _ in range(6)]
        for p in procs:
            p.start()
        go.set()
        answers = [out.get(timeout=30) for _ in procs]
        hold.set()
        for p in procs:
            p.join(30)
        assert answers.count("claimed") == 1, answers
        assert all("is running" in a or "just now" in a for a in answers if a != "claimed"), answers
        path.unlink()


def test_device_text_in_the_report_is_printed_as_it_is_never_as_markup() -> None:
    """SR Linux names paths in brackets (`/interface[name=lag1]`): rich read them as style
    tags and dropped them (the RESTORE FAILED line lost its interface), and `[/system/lldp]`
    raised MarkupError before the --json document and the JUnit file were written. Long
    values folded, not cut to "…" in a 40-column terminal."""
    from nornir_evpn.failover import FailoverReport

    refused = FailoverReport(host="leaf1", interface="ethernet-1/1", segment="ES-1", refused=True,
                             error="pre-check failed on [/system/lldp]", precheck_failures=[{
                                 "check": "lag.up", "host": "leaf-ams-dc3-hall2-row12-rack07-unit42-2",
                                 "detail": "`show interface lag1`: Error: Path '/interface[name=lag1]' is not valid"}])
    restore = FailoverReport(host="leaf1", interface="ethernet-1/1", segment="ES-1", restore_attempted=True,
                             restore_ok=False, error="shut failed: Error: [/system/lldp] is locked",
                             restore_error="Error: Path '/interface[name=ethernet-1/1]/admin-state' is locked")
    for report, shown in ((refused, ("[/system/lldp]", "/interface[name=lag1]",
                                     "leaf-ams-dc3-hall2-row12-rack07-unit42-2")),
                          (restore, ("/interface[name=ethernet-1/1]/admin-state", "[/system/lldp] is locked"))):
        out = io.StringIO()
        print_report(Console(file=out, width=40, color_system=None), report)
        lines = out.getvalue().splitlines()
        assert "…" not in out.getvalue()
        # undo the wrapping: the text outside the table, and each column of the table
        text = "".join(line for line in lines if not line.startswith(("│", "┃", "┏", "┡", "└")))
        cells = [line.split("│")[1:-1] for line in lines if line.startswith("│")]
        text += "".join("".join(row[i] for row in cells) for i in range(len(cells[0]) if cells else 0))
        for value in shown:
            assert value.replace(" ", "") in text.replace(" ", "")


@pytest.mark.usefixtures("signals_not_ignored")
def test_an_interrupt_is_the_verdict_not_the_traffic_it_cut_short(tmp_path: Path) -> None:
    """A Ctrl-C during convergence: the targets were pinged only inside the loss window and
    never re-checked, yet the verdict read `FAIL ... ce2 never answered` (JUnit: a traffic
    failure) and nothing said where the run was when the signal came."""
    import os
    import signal

    from nornir_evpn.reporting.failover import failover_document, junit_suites

    fabric = derive_intent(load_topology(FABRIC_2S4L))

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        if faults:
            os.kill(os.getpid(), signal.SIGINT)  # while the run waits for the degraded state
        return {LAG: CheckOutcome(True, "", "up"), ("lag.up", "leaf2"): CheckOutcome(not faults, "")}

    nr = FakeNornir()
    report = run_failover(nr, fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=5, state_file=tmp_path / "state.json"),
                          probe=StatsProbe({"192.168.0.23": (3, 3)}))  # type: ignore[arg-type]
    assert (report.interrupted, report.interrupted_phase) == ("SIGINT", "convergence")
    assert report.restore_ok and nr.tasks == ["shut_interface", "restore_interface"]
    assert report.traffic_failures == [] and exit_code(report) == 130
    out = io.StringIO()
    print_report(Console(file=out, width=200, color_system=None), report)
    assert ("failover-test INTERRUPTED: interrupted (SIGINT) during convergence; leaf1 ethernet-1/1 restored"
            in out.getvalue())
    assert "never answered" not in out.getvalue()
    assert failover_document(report, ["leaf1"])["interrupted_phase"] == "convergence"
    cases = {c.name.split(" ", 2)[2]: c for c in junit_suites(report)[0].cases}
    for name in ("degraded state", "recovery", "traffic"):
        assert (cases[name].failure, cases[name].error) == (None, "interrupted (SIGINT) during convergence")


@pytest.mark.parametrize(("leaf2", "refused"), [
    ({("lag.up", "leaf2"): ("lag1",)}, True),
    ({("es.oper_up", "leaf2"): ("ES-1 oper-state",)}, True),
    ({("lacp.members_in_sync", "leaf2"): ("lag1 ethernet-1/1",)}, True),
    ({("connect", "leaf2"): ("session",)}, True),
    # broken, but not the CE's other link: --force measures as before
    ({("lacp.members_in_sync", "leaf2"): ("lag1 system-priority",)}, False),
    ({("bgp.overlay_established", "leaf2"): ("overlay 10.0.0.1",)}, False),
])
def test_force_never_shuts_the_last_link_of_a_ce(tmp_path: Path, leaf2, refused) -> None:
    """With ES-1's other link (leaf2) down before the test, --force shut leaf1's and cut the CE
    off the fabric for the whole test, saying nothing: it refuses that one case now."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        out = {key: CheckOutcome(False, f"{key[1]} {items[0]} - Expected: x Actual: y", {}, items)
               for key, items in leaf2.items()}
        return {**out, LAG: CheckOutcome(True, "", "down" if faults else "up")}

    nr = FakeNornir()
    report = run_failover(nr, fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=5, traffic=False, force=True,
                                          state_file=tmp_path / "state.json"))
    assert report.refused is refused
    if refused:
        assert nr.tasks == [] and report.error == (
            "--force: no other link of ES-1 passed the pre-check, so shutting leaf1 ethernet-1/1 "
            "would cut mhce1 off; nothing was changed")
    else:
        assert report.ok and nr.tasks == ["shut_interface", "restore_interface"]


class FlakyRestoreNornir(FakeNornir):
    """The shut goes through; the leaf's management plane is gone for the first `lost`
    restores (a transport error), or refuses the restore's commit for good."""

    def __init__(self, lost: int, error: str = "connection lost") -> None:
        super().__init__()
        self.lost, self.error = lost, error

    def run(self, task: Any, **_kw: Any) -> dict[str, Any]:
        self.tasks.append(task.__name__)
        if task.__name__ == "restore_interface" and self.lost:
            self.lost -= 1
            return {"leaf1": SimpleNamespace(failed=True, changed=False, error=self.error)}
        return {"leaf1": SimpleNamespace(failed=False, changed=True)}


@pytest.mark.parametrize(("lost", "error", "restores", "ok"), [
    (5, "connection lost", 6, True),  # a blip longer than 3 attempts: still restored in time
    (99, "connection lost", None, False),  # gone for good: gives up at --timeout
    (99, "Error: commit refused", 1, False),  # the device refuses: it will again, no retry
])
def test_the_restore_keeps_trying_a_leaf_it_cannot_reach_until_the_timeout(
        tmp_path: Path, monkeypatch, lost, error, restores, ok) -> None:
    """Three restores one second apart, then RESTORE FAILED: a leaf whose management plane
    blipped for ~2 s kept the CE link down until someone read the report."""
    from nornir_evpn.failover import restore

    monkeypatch.setattr(restore, "RESTORE_RETRY_DELAY_S", 0.01)
    monkeypatch.setattr(restore, "RESTORE_RETRY_MAX_S", 0.05)
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    nr = FlakyRestoreNornir(lost, error)
    _patch_run_on(monkeypatch)

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {LAG: CheckOutcome(True, "", "down" if faults else "up")}

    report = run_failover(nr, fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=0.5, traffic=False,
                                          state_file=tmp_path / "state.json"))
    tries = nr.tasks.count("restore_interface")
    if restores is None:  # until the timeout: many more than 3 at these delays
        assert 5 < tries < 40, tries
    else:
        assert tries == restores
    assert report.restore_ok is ok and report.ok is ok
    retries = [e for e in report.timeline if e.event == "restore-retry"]
    assert len(retries) == tries - 1
    assert (tmp_path / "state.json").exists() is not ok  # kept for --restore when it failed


def _patch_run_on(monkeypatch: Any) -> None:
    """`run_on` for the shut and the restore: over FlakyRestoreNornir's plain results."""
    from nornir_evpn.failover import restore, run

    monkeypatch.setattr(run, "run_on", _fake_run_on)
    monkeypatch.setattr(restore, "run_on", _fake_run_on)


def _fake_run_on(nr: Any, host: str, task: Any, **_kw: Any) -> Any:
    """`run_on` over FlakyRestoreNornir's plain results."""
    from nornir_evpn.failover import Step

    result = nr.run(task)[host]
    if not result.failed:
        return Step(True, None, True)
    return Step(False, result.error)


def test_an_aborted_poll_is_cut_again_until_it_ends(monkeypatch) -> None:
    """The poll was cut once at the interrupt: a host still logging in then had no session
    to cut, and the exit waited for its whole poll. The join keeps cutting."""
    import threading

    from nornir_evpn.failover import poller as polling_thread

    released = threading.Event()
    cuts: list[str] = []

    def cut_short(host: Any, _connection: str) -> None:
        cuts.append(host)
        if len(cuts) == 3:  # its session opened: this cut ends the poll's reads
            released.set()

    monkeypatch.setattr(polling_thread, "cut_short", cut_short)
    poller = polling_thread.Poller(time.monotonic, in_flight=lambda: ["leaf3"])
    poller.done = threading.Event()  # the poll has no answer yet
    poller.thread = threading.Thread(target=released.wait, args=(30,))
    poller.thread.start()
    nr = SimpleNamespace(inventory=SimpleNamespace(hosts={"leaf3": "leaf3"}))
    start = time.monotonic()
    assert poller.join(cutting=nr) is None
    assert time.monotonic() - start < 5 and cuts[:3] == ["leaf3"] * 3


def test_a_ce_whose_other_link_was_not_polled_is_not_cut_off(tmp_path: Path) -> None:
    """`--force --hosts leaf1` with ES-1's other link down: leaf2 was never polled, so
    nothing failed there, and the shut cut the CE off (a reviewer's run: PASS)."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))

    class OnlyLeaf1(FakeNornir):
        inventory = SimpleNamespace(hosts={"leaf1": None})

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {LAG: CheckOutcome(True, "", "down" if faults else "up")}

    nr = OnlyLeaf1()
    for force in (False, True):
        report = run_failover(nr, fabric, evaluate,  # type: ignore[arg-type]
                              FailoverOptions(interval=0.01, timeout=5, traffic=False, force=force,
                                              state_file=tmp_path / "state.json"))
        assert report.refused and nr.tasks == []
        assert report.error == ("no other link of ES-1 was checked: leaf2 left out by --hosts/--role, and "
                                "shutting leaf1 ethernet-1/1 may cut mhce1 off; nothing was changed")


@pytest.mark.usefixtures("signals_not_ignored")
def test_an_interrupt_ends_the_restore_retries(tmp_path: Path, monkeypatch) -> None:
    """The Ctrl-C that brought the run to its restore did not count: an unreachable leaf
    kept the operator waiting the whole --timeout (57 s) through 13 retries."""
    import os
    import signal

    from nornir_evpn.failover import restore

    monkeypatch.setattr(restore, "RESTORE_RETRY_DELAY_S", 0.2)
    _patch_run_on(monkeypatch)
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    nr = FlakyRestoreNornir(99)

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        if faults:
            os.kill(os.getpid(), signal.SIGINT)
        return {LAG: CheckOutcome(True, "", "up")}

    start = time.monotonic()
    report = run_failover(nr, fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=60, traffic=False,
                                          state_file=tmp_path / "state.json"))
    assert nr.tasks.count("restore_interface") == restore.RESTORE_ATTEMPTS
    assert time.monotonic() - start < 10
    assert report.interrupted == "SIGINT" and report.restore_ok is False
    assert (tmp_path / "state.json").exists()  # kept for --restore


def test_the_undo_command_survives_any_state_file_path() -> None:
    """`--state-file 'job[ci]/state.json'`: rich ate `[ci]` from the printed undo command
    (a file that does not exist), and `[/nightly]` crashed the report, on the very run
    that left the link down. The path is shell-quoted and printed as it is."""
    from nornir_evpn.failover import FailoverReport

    for path in ("/srv/ci/[/nightly]/state.json", "/srv/job[ci]/my state.json"):
        report = FailoverReport(host="leaf1", interface="ethernet-1/1", segment="ES-1", restore_attempted=True,
                                restore_ok=False, restore_error="connection lost", state_file=path)
        out = io.StringIO()
        print_report(Console(file=out, width=300, color_system=None), report)
        assert f"undo it with: python -m nornir_evpn failover-test --restore --state-file '{path}'" in out.getvalue()


def test_a_fabric_too_slow_to_read_within_the_timeout_is_not_shut(tmp_path: Path) -> None:
    """One host answering slowly made the pre-check take 44 s of a 60 s timeout: the link was
    shut anyway and stayed down the whole timeout, twice, for `never held │ poll@leaf3`."""
    from nornir_evpn.failover import SLOW_READ_SHARE

    fabric = derive_intent(load_topology(FABRIC_2S4L))

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        time.sleep(1.2)
        return {LAG: CheckOutcome(True, "", "down" if faults else "up")}

    evaluate.read_seconds = lambda: {"leaf3": 1.2, "leaf1": 0.01}  # type: ignore[attr-defined]
    nr = FakeNornir()
    report = run_failover(nr, fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=3, traffic=False, state_file=tmp_path / "s.json"))
    assert report.refused and not report.ok and nr.tasks == []  # never shut
    assert 3 * SLOW_READ_SHARE < 1.2
    assert report.error.startswith("one read of the fabric took 1.2s (slowest: leaf3 1.2s), over 30% of "
                                   "--timeout 3s: too few polls to watch it converge; nothing was changed"), report.error


def test_a_host_unreachable_three_polls_in_a_row_ends_the_wait_with_the_link_back(tmp_path: Path) -> None:
    """leaf3 gone right after the shut: the degraded phase could never be seen to its end, and
    waited the whole --timeout with the link down. Now it ends once leaf3 was unreachable in
    3 polls over a quarter of the timeout, and restores; the recovery still waits its own time
    for what can be read (a first version stopped it at its first poll, counting the degraded
    phase's polls, and called a healthy recovery failed)."""
    from nornir_evpn.tasks.failover import CONNECT_CHECK

    fabric = derive_intent(load_topology(FABRIC_2S4L))
    lost = ("connect", "leaf3")
    assert lost[0] == CONNECT_CHECK
    restored_at: list[float] = []

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        out = {LAG: CheckOutcome(True, "", "down" if faults else "up")}
        if nr.tasks[-1:] == ["restore_interface"] and not restored_at:
            restored_at.append(time.monotonic())
        if faults or (restored_at and time.monotonic() - restored_at[0] < 0.3):  # back 0.3 s after
            out[lost] = CheckOutcome(False, "leaf3: cannot connect: refused", {"session": "open"})
        return out

    nr = FakeNornir()
    started = time.monotonic()
    report = run_failover(nr, fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=4, traffic=False, state_file=tmp_path / "s.json"))
    took = time.monotonic() - started
    assert 1.0 <= took < 3  # a quarter of the 4 s timeout, then a recovery of about 0.3 s
    assert nr.tasks == ["shut_interface", "restore_interface"]
    assert report.degraded.stopped == "leaf3 unreachable for 1s (3+ polls in a row): leaf3 cannot connect: refused"
    assert report.recovery.reached and report.recovery.stopped is None
    assert not report.ok  # the degraded state was never seen
    [stopped] = [e.detail for e in report.timeline if e.event == "stopped"]
    assert stopped.startswith("degraded state not watched to its end: leaf3 unreachable")


class _Multi(list):  # type: ignore[type-arg]
    """A Nornir MultiResult as `_run_on` reads it."""

    def __init__(self, error: str | None) -> None:
        super().__init__([SimpleNamespace(failed=error is not None, result={"error": error}, exception=None)])
        self.failed, self.changed = error is not None, error is None


class LockedOnce(FakeNornir):
    """The restore's first commit meets another session's exclusive candidate."""

    def __init__(self, answers: list[str | None]) -> None:
        super().__init__()
        self.answers = answers

    def run(self, task: Any, **_kw: Any) -> dict[str, Any]:
        if task.__name__ == "restore_interface" and self.answers:
            self.tasks.append(task.__name__)
            return {"leaf1": _Multi(self.answers.pop(0))}
        return super().run(task)


@pytest.mark.parametrize("error,attempts,restored", [
    ("Error: the candidate is locked by an exclusive session; try again later", 2, True),
    ("Error: commit in progress", 2, True),
    ("Error: Path '/interface[name=ethernet-1/1]/admin-state' is locked", 2, True),
    ("Error: leafref ... does not exist", 1, False),  # refused for good: not again
])
def test_a_restore_refused_only_for_now_is_tried_again(tmp_path: Path, error, attempts, restored) -> None:
    """Another session's `enter candidate exclusive` right after the shut: the one restore
    attempt failed with `... locked ...; try again later` and left the port disabled with 17 s
    of the timeout unused (a chaos test)."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {LAG: CheckOutcome(True, "", "down" if faults else "up")}

    nr = LockedOnce([error])
    report = run_failover(nr, fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=5, traffic=False, state_file=tmp_path / "s.json"))
    assert nr.tasks.count("restore_interface") == attempts
    assert report.restore_ok is restored and report.ok is restored
    assert [e.event for e in report.timeline if e.event.startswith("restore")] == (
        ["restore-retry", "restore"] if restored else ["restore-failed"])


def test_a_phase_timed_across_a_host_nobody_could_read_is_an_upper_bound() -> None:
    """leaf1's management dropped 1.3 s after the shut and came back at 10.5 s: the run said
    `convergence_s: 10.605` with no word that 10.6 s was when leaf1 could be read again."""
    from nornir_evpn.tasks.failover import PollOutcome

    from nornir_evpn.failover import FailoverReport, TimelineEvent
    from nornir_evpn.reporting.failover import failover_document

    report = FailoverReport(host="leaf1", interface="ethernet-1/1", segment="ES-1", ok=True)
    report.degraded = PollOutcome(reached=True, converged_s=10.605)
    report.recovery = PollOutcome(reached=True, converged_s=2.5)
    report.timeline = [TimelineEvent(t=0.0, event="shut", host="leaf1"),
                       TimelineEvent(t=1.3, event="unreachable", host="leaf1", detail="connection lost"),
                       TimelineEvent(t=10.5, event="reachable", host="leaf1"),
                       TimelineEvent(t=10.605, event="converged"),
                       TimelineEvent(t=11.0, event="restore", host="leaf1"),
                       TimelineEvent(t=13.5, event="recovered")]
    doc = failover_document(report, ["leaf1", "leaf2"])
    assert doc["convergence_s"] == 10.605 and doc["convergence_unread"] == ["leaf1"]
    assert doc["recovery_unread"] == []
    out = io.StringIO()
    print_report(Console(file=out, width=200, color_system=None), report)
    assert "10.605s (at most: leaf1 could not be read for part of it)" in out.getvalue()


def test_precheck_names_why_hosts_were_not_read(tmp_path: Path) -> None:
    """A login refused or a device too slow is not an "unreachable" host: the refusal says
    how each host that could not be read failed (the reasons tasks' host_error gives)."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {
            ("connect", "leaf2"): CheckOutcome(False, "leaf2: timeout: no answer within 30s "
                                               "(timeout_transport in groups.yaml)", {"session": "open"}),
            ("connect", "leaf3"): CheckOutcome(False, "leaf3: authentication failed: password "
                                               "authentication failed", {"session": "open"}),
            ("connect", "leaf4"): CheckOutcome(False, "leaf4: cannot connect: connection refused", {}),
            ("bgp.overlay_established", "leaf1"): CheckOutcome(False, "leaf1 overlay 10.0.0.3 - x", {}),
        }

    nr = FakeNornir()
    report = run_failover(nr, fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(traffic=False, state_file=tmp_path / "state.json"))
    assert report.refused and nr.tasks == []
    assert report.error == ("fabric not healthy: 1 check(s) failing, 3 host(s) not read (1 timeout, "
                            "1 authentication failed, 1 unreachable); nothing was changed")


def test_a_slow_first_read_alone_is_not_a_slow_fabric(tmp_path: Path) -> None:
    """The first read logs in everywhere: a 1.5 s AAA login made a --timeout 4 test refuse a
    fabric whose polls (on open sessions) take milliseconds (a review)."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    calls = [0]

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        calls[0] += 1
        if calls[0] == 1:
            time.sleep(1.3)  # the logins
        return {LAG: CheckOutcome(True, "", "down" if faults else "up")}

    report = run_failover(FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=4, traffic=False, state_file=tmp_path / "s.json"))
    assert not report.refused and report.ok, report.error


def test_force_past_a_host_lost_before_the_test_still_measures(tmp_path: Path) -> None:
    """--force with leaf3 unreachable from the start: its polls counted towards the early stop
    (it is left out of the targets) and the run FAILed after one poll (a review)."""
    from nornir_evpn.tasks.failover import CONNECT_CHECK

    fabric = derive_intent(load_topology(FABRIC_2S4L))
    lost = (CONNECT_CHECK, "leaf3")

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {LAG: CheckOutcome(True, "", "down" if faults else "up"),
                lost: CheckOutcome(False, "leaf3: cannot connect: refused", {"session": "open"})}

    report = run_failover(FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=2, traffic=False, force=True,
                                          state_file=tmp_path / "s.json"))
    assert report.ok and report.degraded.stopped is None, report.error


def test_a_host_force_left_out_unread_holds_no_time_back(tmp_path: Path) -> None:
    """--force with leaf3 unreachable from the pre-check on: none of its expectations was
    judged, yet both times read `(at most: leaf3 could not be read for part of it)` and the
    verdict `(an upper bound, see above)`, in the same table as `never read ... leaf3
    (--force: left out, not judged)` (--json: convergence_unread ["leaf3"]). A host that
    comes back during the run is judged from then on, and does hold the time back."""
    import json

    from nornir_evpn.tasks.failover import CONNECT_CHECK

    from nornir_evpn.reporting.failover import failover_document

    fabric = derive_intent(load_topology(FABRIC_2S4L))
    lost = (CONNECT_CHECK, "leaf3")

    def run(back_after: int | None, lag_down_from: int = 0) -> Any:
        polls = [0]  # 1: the pre-check, 2: the first poll after the shut, ...

        def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
            polls[0] += 1
            time.sleep(0.005)  # polls further apart than the timeline's ms rounding
            # the fault shows from poll `lag_down_from` on: a convergence of several polls
            slow = bool(faults) and polls[0] < lag_down_from
            out = {LAG: CheckOutcome(not slow, "", "up" if slow or not faults else "down")}
            if back_after is None or polls[0] <= back_after:
                out[lost] = CheckOutcome(False, "leaf3: cannot connect: refused", {"session": "open"})
            return out

        return run_failover(FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
                            FailoverOptions(interval=0.01, timeout=2, traffic=False, force=True,
                                            state_file=tmp_path / "s.json"))

    report = run(back_after=None)
    assert report.ok
    doc = json.loads(json.dumps(failover_document(report, ["leaf1", "leaf3"])))
    assert doc["convergence_unread"] == [] and doc["recovery_unread"] == []
    out = io.StringIO()
    print_report(Console(file=out, width=250, color_system=None), report)
    text = out.getvalue()
    assert "never read" in text and "(--force: left out, not judged)" in text
    assert "could not be read for part of it" not in text and "an upper bound" not in text
    # read again by the second poll after the shut, the state reached at the third: from then
    # on it is judged like any host, and holds the convergence time back
    report = run(back_after=2, lag_down_from=4)
    assert report.ok and report.unread_hosts("convergence") == ["leaf3"]
    assert report.unread_hosts("recovery") == []
    # read again only by the recovery's first poll (the state reached at the first poll
    # after the shut): none of its expectations was waited for in the convergence, each was
    # in the recovery. This read the pre-check's `unreachable` (timed on the clock before the
    # shut) as after the convergence whenever the pre-check took longer than it: flaky
    for _ in range(20):
        report = run(back_after=2)
        assert report.ok and report.convergence_s is not None
        assert (report.unread_hosts("convergence"), report.unread_hosts("recovery")) == ([], ["leaf3"])


def test_a_host_read_again_during_the_convergence_bounds_it_whatever_the_pre_check_took() -> None:
    """--force with leaf3 unreachable at the pre-check (1.2 s into the test, on the clock
    before the shut) and read again 0.5 s after the shut, the degraded state reached at 0.9 s:
    leaf3 held the time back, an upper bound. unread_hosts sorted the pre-check's
    `unreachable` (t=1.2) after the convergence's end and left leaf3 out: whether a time was
    marked depended on whether the pre-check took longer than the convergence."""
    from nornir_evpn.tasks.failover import CONNECT_CHECK

    from nornir_evpn.failover.model import FailoverReport, TimelineEvent
    from nornir_evpn.polling import PollOutcome

    def report(precheck_took: float) -> FailoverReport:
        return FailoverReport(
            host="leaf1", interface="ethernet-1/1", segment="ES-1",
            precheck_failures=[{"check": CONNECT_CHECK, "host": "leaf3", "detail": "leaf3: cannot connect: refused"}],
            degraded=PollOutcome(reached=True, converged_s=0.9),
            recovery=PollOutcome(reached=True, converged_s=0.6),
            timeline=[TimelineEvent(precheck_took, "unreachable", host="leaf3"),
                      TimelineEvent(precheck_took, "precheck"),
                      TimelineEvent(0.0, "shut", host="leaf1"),
                      TimelineEvent(0.5, "reachable", host="leaf3"),
                      TimelineEvent(0.9, "converged"),
                      TimelineEvent(0.91, "restore", host="leaf1"),
                      TimelineEvent(1.51, "recovered")])

    for took in (0.2, 1.2):
        r = report(took)
        assert (r.unread_hosts("convergence"), r.unread_hosts("recovery"), r.never_read()) == (["leaf3"], [], set()), took


TWO_MEMBERS_ON_LEAF1 = """\
name: twomembers
topology:
  nodes:
    spine1: {kind: srl}
    leaf1: {kind: srl}
    leaf2: {kind: srl}
    ce1:
      kind: linux
      exec:
      - ip link add bond0 type bond mode 802.3ad
      - ip link set eth1 master bond0
      - ip link set eth2 master bond0
      - ip link set eth3 master bond0
      - ip addr add 192.168.0.11/24 dev bond0
  links:
  - endpoints: [leaf1:e1-49, spine1:e1-1]
  - endpoints: [leaf2:e1-49, spine1:e1-2]
  - endpoints: [ce1:eth1, leaf1:e1-1]
  - endpoints: [ce1:eth2, leaf1:e1-2]
  - endpoints: [ce1:eth3, leaf2:e1-1]
"""


def test_force_predicts_from_the_lag_members_it_found_down(tmp_path: Path) -> None:
    """--force with leaf1's ethernet-1/2 out of its LAG before the test, then a shut of
    ethernet-1/1, the member left: the LAG and its ES go down on leaf1. The prediction had
    the shut port alone down (lag.up up), so every expectation the shut changed was the one
    failing before, left out: `converged` at the first poll (0.007s), the link restored 10 ms
    after its shut, PASS, nothing measured (the matrix tester, a CE with two links to leaf1)."""
    topo = tmp_path / "two.clab.yml"
    topo.write_text(TWO_MEMBERS_ON_LEAF1)
    fabric = derive_intent(load_topology(topo))
    es = fabric.segment_of("leaf1", "ethernet-1/1")
    assert es is not None and es.members["leaf1"] == ["ethernet-1/1", "ethernet-1/2"]
    lacp, lag = ("lacp.members_in_sync", "leaf1"), ("lag.up", "leaf1")
    seen: list[Faults] = []

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        seen.append(faults)
        both_down = {("leaf1", "ethernet-1/1"), ("leaf1", "ethernet-1/2")} <= faults
        return {
            # out of sync since before the test: fails whatever the prediction
            lacp: CheckOutcome(False, f"leaf1 {es.lag} ethernet-1/2 - Expected: IN_SYNC Actual: not in sync",
                               {f"{es.lag} ethernet-1/2": "IN_SYNC"}, (f"{es.lag} ethernet-1/2",)),
            lag: CheckOutcome(True, "", {es.lag: "down" if both_down else "up"}),
        }

    report = run_failover(FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=2, traffic=False, force=True,
                                          state_file=tmp_path / "s.json"))
    assert report.ok, report.error
    assert frozenset({("leaf1", "ethernet-1/1"), ("leaf1", "ethernet-1/2")}) in seen
    held = {(e.check, e.host): e.detail for e in report.timeline if e.event == "degraded"}
    assert held == {lag: f"{es.lag}: up -> down"}
    [pre] = [e.detail for e in report.timeline if e.event == "precheck"]
    assert pre.endswith("predicted with leaf1 ethernet-1/2 down, as found")


def test_configure_is_refused_by_a_failover_test_of_its_own_lab_only(tmp_path, monkeypatch) -> None:
    """Two fabrics' twins served from one directory share its default failover state file:
    pod A's test refused pod B's configure because both have a leaf1 (two-fabric tester). The
    claim now says its lab; a claim of another lab is not this fabric's test."""
    import types

    from nornir_evpn.commands.configure import refuse_during_failover_test
    from nornir_evpn.errors import UserInputError
    from nornir_evpn.failover_state import prepare_state_file, state_file_path

    monkeypatch.chdir(tmp_path)
    prepare_state_file(state_file_path(), "leaf1", "ethernet-1/1", {"lab": "pod-a"})

    def target(lab: str) -> types.SimpleNamespace:
        return types.SimpleNamespace(fabric=types.SimpleNamespace(name=lab))

    refuse_during_failover_test({"leaf1": None}, target("pod-b"))  # another fabric's test
    with pytest.raises(UserInputError, match="is running on leaf1 ethernet-1/1"):
        refuse_during_failover_test({"leaf1": None}, target("pod-a"))


def test_a_state_file_that_cannot_be_written_shuts_nothing_and_says_so(tmp_path: Path, monkeypatch) -> None:
    """A full disk before the shut: the run refused (right) as `error: OSError: [Errno 28] No
    space left on device`, naming neither the file nor that the link was left up."""
    import errno

    from nornir_evpn.failover import run as failover_run

    def full(*_a: Any, **_k: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(failover_run, "write_state", full)
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    nr = FakeNornir()
    state = tmp_path / "state.json"
    report = run_failover(nr, fabric, lambda faults: {LAG: CheckOutcome(True, "", "down" if faults else "up")},  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=5, traffic=False, state_file=state))
    assert not report.ok and nr.tasks == [] and not report.restore_attempted
    assert report.error == (f"--state-file {state}: cannot write: No space left on device; "
                            "ethernet-1/1 was not shut")


def test_an_exception_in_a_poll_after_the_shut_still_restores_and_fails_the_run(tmp_path: Path) -> None:
    """The degraded phase's poll raising something no check catches (a bug, a library's own
    error) went through the poller's thread and `except Exception` in shut_and_watch: never
    run by any test. The link must still be restored, the state file removed with it, and
    the run failed with the exception named (not a traceback, not a PASS)."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        if faults:
            raise RuntimeError("parser blew up on leaf2")
        return {LAG: CheckOutcome(True, "", "up")}

    nr = FakeNornir()
    state = tmp_path / "state.json"
    report = run_failover(nr, fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=5, traffic=False, state_file=state))
    assert nr.tasks == ["shut_interface", "restore_interface"]
    assert report.error == "RuntimeError: parser blew up on leaf2"
    assert report.restore_ok is True and report.ok is False
    assert not state.exists()  # restored: nothing left for --restore
    assert exit_code(report) == 1
    # the restored fabric is still watched (recovery is a measure of its own)
    assert [e.event for e in report.timeline if not e.check] == ["precheck", "shut", "restore", "recovered"]


def test_a_recovery_exception_after_a_degraded_one_keeps_the_first_error(tmp_path: Path) -> None:
    """Both phases' polls raise: the report names the degraded phase's exception, the cause,
    not the recovery's that followed from it."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        raise RuntimeError("degraded poll broke" if faults else "recovery poll broke")

    calls = {"n": 0}

    def healthy_once(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        calls["n"] += 1
        if calls["n"] == 1:  # the pre-check
            return {LAG: CheckOutcome(True, "", "up")}
        return evaluate(faults)

    state = tmp_path / "state.json"
    report = run_failover(FakeNornir(), fabric, healthy_once,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=5, traffic=False, state_file=state))
    assert report.restore_ok is True and not state.exists()
    assert report.error == "RuntimeError: degraded poll broke"
    assert report.ok is False and exit_code(report) == 1


class RefusingRestoreNornir(FakeNornir):
    """Every restore is refused by the device (`Error: ...`): refused for good, no retry."""

    def run(self, task: Any, **_kw: Any) -> dict[str, Any]:
        self.tasks.append(task.__name__)
        return {"leaf1": _Multi("commit now: Error: commit rejected")}


def _killed_run_state(path: Path) -> dict[str, Any]:
    import json

    doc = {"kind": "nornir_evpn failover-test state", "phase": "shut", "host": "leaf1",
           "interface": "ethernet-1/1", "segment": "ES-1", "pid": 999_999_999, "pid_start": 1}
    path.write_text(json.dumps(doc))
    return doc


def test_restore_from_state_that_fails_keeps_the_state_file(tmp_path: Path) -> None:
    """`failover-test --restore` whose enable the device refuses: the file naming the link
    still down must stay for the next attempt. Only the success path was tested."""
    from nornir_evpn.failover.restore import restore_from_state

    state = tmp_path / "state.json"
    doc = _killed_run_state(state)
    nr = RefusingRestoreNornir()
    report = restore_from_state(nr, doc, state, evaluate=None, interval=0.01, timeout=1)  # type: ignore[arg-type]
    assert nr.tasks == ["restore_interface"]  # a device's "Error:" is refused for good: once
    assert (report.restore_ok, report.ok) == (False, False)
    assert report.restore_error.endswith("commit now: Error: commit rejected")
    assert [e.event for e in report.timeline] == ["restore-failed"]
    assert state.exists()


def test_restore_from_state_whose_fabric_never_recovers_fails_and_removes_the_file(tmp_path: Path) -> None:
    """The enable went through but the fabric stays unhealthy: the run fails (no
    "recovered" event), and the file goes: the link it names is enabled again."""
    from nornir_evpn.failover.restore import restore_from_state

    state = tmp_path / "state.json"
    doc = _killed_run_state(state)

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {LAG: CheckOutcome(False, "leaf1 lag1 - Expected: up Actual: down", "up")}

    report = restore_from_state(FakeNornir(), doc, state, evaluate, interval=0.01, timeout=0.2)  # type: ignore[arg-type]
    assert report.restore_ok is True and report.ok is False
    assert report.recovery is not None and not report.recovery.reached
    assert LAG in report.recovery.failing
    assert [e.event for e in report.timeline] == ["restore"]
    assert not state.exists()
    # `not recovered` says what the last poll saw, as a whole run's does (matrix tester)
    assert report.recovery_failing_details == {LAG: "leaf1 lag1 - Expected: up Actual: down"}
    console = Console(record=True, width=200)
    print_report(console, report)
    assert "lag.up@leaf1: leaf1 lag1 - Expected: up Actual: down" in console.export_text()


@pytest.mark.parametrize("running", ["disable", "enable"])
def test_restore_from_state_keeps_an_admin_state_enable_set_since_the_kill(tmp_path: Path, running: str) -> None:
    """A killed run's file says the port had no admin-state of its own; since the kill a
    `configure` enabled it with `admin-state enable` (the intent's). `--restore` deleted that
    line: the link stayed up, but the running configuration no longer matched the intent it
    had just been configured to (`configure --dry-run --exit-code` exit 3). The restore reads
    the running value first: the delete only when the port is still the shut's `disable`."""
    from nornir_evpn.failover.restore import restore_from_state

    state = tmp_path / "state.json"
    doc = {**_killed_run_state(state), "admin_state_default": True}
    sent: list[dict[str, Any]] = []

    class Read(list):  # a MultiResult (a list) whose task's result is the dry run's
        failed, changed = False, True

    class Reads(FakeNornir):
        def run(self, task: Any, **kw: Any) -> dict[str, Any]:
            self.tasks.append(task.__name__)
            sent.append(kw)
            if kw.get("dry_run"):  # the delete's dry run: the running value it would take away
                return {"leaf1": Read([SimpleNamespace(result={"was": running})])}
            return {"leaf1": SimpleNamespace(failed=False, changed=running == "disable")}

    nr = Reads()
    report = restore_from_state(nr, doc, state, evaluate=None, interval=0.01, timeout=1)  # type: ignore[arg-type]
    assert report.restore_ok is True
    assert nr.tasks == ["set_admin_state", "restore_interface"]
    assert sent[-1]["as_default"] is (running == "disable")
    detail = report.timeline[0].detail
    assert detail.startswith("ethernet-1/1 admin-state enable")
    assert ("default" in detail) is (running == "disable")


def test_an_exception_in_a_recovery_poll_still_reports_and_stops_the_probe(tmp_path: Path) -> None:
    """The same exception one phase later (after the restore) went out of run_failover: the
    degraded phase catches it, recovery did not. The report with its measured convergence
    was lost (no --json, no JUnit, a traceback) and the traffic probe never stopped."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    polls: list[bool] = []

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        polls.append(bool(faults))
        if not faults and True in polls:
            raise RuntimeError("parser blew up on leaf2")
        return {LAG: CheckOutcome(True, "", "down" if faults else "up")}

    class Probe:
        stopped = False

        def start(self) -> None:
            pass

        def stop(self, recheck: bool = False) -> Any:
            from nornir_evpn.traffic import TrafficStats

            Probe.stopped = True
            return TrafficStats()

    state = tmp_path / "state.json"
    report = run_failover(FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=2, state_file=state), probe=Probe())  # type: ignore[arg-type]
    assert report.degraded is not None and report.degraded.reached  # measured before the error
    assert report.restore_ok is True and not state.exists()
    assert report.error == "RuntimeError: parser blew up on leaf2 (while waiting for recovery)"
    assert report.ok is False and exit_code(report) == 1
    assert Probe.stopped


@pytest.mark.parametrize(("error", "for_good"), [
    ("leaf1: ethernet-1/1 admin-state enable not committed: commit now: Error: commit rejected", True),
    ("Error: leafref ... does not exist", True),
    ("Error: the candidate is locked by an exclusive session; try again later", False),
    # a network error said with its exception's name (failures.one_line: `OSError: ...`)
    ("leaf1: ethernet-1/1 admin-state enable not committed: OSError: [Errno 113] No route to host "
     "while loading the candidate: nothing committed", False),
    ("leaf1: ethernet-1/1 admin-state enable not committed: OSError: Socket is closed", False),
    ("EOFError: ", False),
    ("ConnectionRefusedError: [Errno 111] Connection refused", False),
    ("connection lost", False),
    ("internal error (KeyError: 'x'), see the traceback above", True),
    # the same bug caught by apply_config, said after the step's context: not retried either
    ("leaf1: ethernet-1/1 admin-state enable not committed: internal error (KeyError: 'x') while "
     "loading the candidate: nothing committed, see the traceback above", True),
])
def test_a_network_error_named_like_an_exception_is_not_a_device_refusal(error: str, for_good: bool) -> None:
    """`refused_for_good` looked for "Error:" anywhere: `OSError: ...`, the one line
    `failures.one_line` gives a socket error it has no words for (and which `internal` takes
    for a network problem, not a bug), has it too, so such a restore was tried once and the
    CE link left down where a dropped session is retried until --timeout."""
    from nornir_evpn.failover.restore import refused_for_good
    from nornir_evpn.failures import one_line

    assert refused_for_good(error) is for_good
    assert refused_for_good(one_line(OSError(113, "No route to host"))) is False


def test_a_restore_that_hits_a_socket_error_is_tried_again(tmp_path: Path, monkeypatch) -> None:
    """End to end through run_failover: the first restore fails with the one line an
    OSError becomes, the second goes through; the CE link is restored, not left down."""
    from nornir_evpn.failover import restore
    from nornir_evpn.failures import one_line

    monkeypatch.setattr(restore, "RESTORE_RETRY_DELAY_S", 0.01)
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    error = f"leaf1: ethernet-1/1 admin-state enable not committed: {one_line(OSError(113, 'No route to host'))}"

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {LAG: CheckOutcome(True, "", "down" if faults else "up")}

    nr = LockedOnce([error])
    report = run_failover(nr, fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=5, traffic=False, state_file=tmp_path / "s.json"))
    assert nr.tasks.count("restore_interface") == 2
    assert report.restore_ok is True and report.ok is True
    assert [e.event for e in report.timeline if e.event.startswith("restore")] == ["restore-retry", "restore"]


def test_a_restore_whose_lost_answer_had_applied_times_the_recovery_from_that_attempt(
        tmp_path: Path, monkeypatch) -> None:
    """Over a VPN the restore's `commit now` reached leaf1 and applied, its answer stalled:
    after 30 s the attempt failed (`it may have committed`), the retry found the port enabled
    already (an empty diff), and the recovery was counted from the retry: `recovery 0.211s
    (from the restore's commit, which took 2.23s)` for a fabric that had been recovering for
    30 s. The commit counts from the attempt that reached the host; the time is an upper
    bound from there."""
    from nornir_evpn.failover import restore

    monkeypatch.setattr(restore, "RESTORE_RETRY_DELAY_S", 0.0)
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    now = [0.0]
    error = ("leaf1: ethernet-1/1 admin-state enable not committed: timeout: no answer within 30s "
             "(timeout_transport in groups.yaml) after `commit now` was sent: it may have committed; "
             "check leaf1's running config")

    class AnswerLost(FakeNornir):
        def run(self, task: Any, **kw: Any) -> dict[str, Any]:
            if task.__name__ == "restore_interface":
                self.tasks.append(task.__name__)
                if self.tasks.count("restore_interface") == 1:
                    now[0] += 30.0  # applied at once; the answer never came
                    return {"leaf1": _Multi(error)}
                now[0] += 1.0
                return {"leaf1": SimpleNamespace(failed=False, changed=False)}  # enabled already
            return super().run(task, **kw)

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        now[0] += 0.25
        return {LAG: CheckOutcome(True, "", "down" if faults else "up")}

    nr = AnswerLost()
    report = run_failover(nr, fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=60, traffic=False, state_file=tmp_path / "s.json"),
                          clock=lambda: now[0])
    assert nr.tasks.count("restore_interface") == 2 and report.restore_ok is True
    assert report.recovery_s == 0.25
    assert report.restore_commit_s == 31.0  # from the first attempt's send, not the retry's 1.0
    assert report.commit_bound("recovery") == 31.25


def _restore_args(monkeypatch: pytest.MonkeyPatch, state_file: Path) -> Any:
    """What `failover-test --restore` of `state_file` goes on with (the inventory, twin and
    twin state it read there), stopped before it connects."""
    import argparse

    from nornir_evpn.commands import failover as failover_cmd

    seen: list[argparse.Namespace] = []

    def build_target(args: argparse.Namespace) -> Any:
        seen.append(args)
        raise RuntimeError("stop here")

    monkeypatch.setattr(failover_cmd, "build_target", build_target)
    args = argparse.Namespace(inventory=None, twin=False, twin_state=None, host=None, interface=None, force=False)
    with pytest.raises(RuntimeError, match="stop here"):
        failover_cmd.run_restore(args, state_file)
    return seen[0]


def test_restore_finds_the_killed_run_s_inventory_from_a_shell_in_another_locale(tmp_path: Path,
                                                                                  monkeypatch) -> None:
    """A failover-test killed after its shut under `LANG=fr_FR.ISO-8859-1` in `~/Réseau lab`
    named its inventory and twin `RÃ©seau lab`: `--restore` from a UTF-8 shell said
    `inventory directory not found` and left the link shut. The state file keeps the paths'
    bytes; each process reads them as its own."""
    import argparse
    import json
    import os

    from nornir_evpn.commands import failover as failover_cmd
    from nornir_evpn.failover_state import STATE_KIND
    from nornir_evpn.outputs import replace_atomically

    utf8 = tmp_path / "Réseau lab"
    latin1 = Path(os.fsencode(utf8).decode("latin-1"))  # how a latin-1 process names it
    real_encode = os.fsencode
    monkeypatch.setattr(os, "fsencode", lambda p: os.fspath(p).encode("latin-1"))  # the killed run's locale
    scope = failover_cmd._state_doc(argparse.Namespace(), SimpleNamespace(  # type: ignore[arg-type]
        inventory_dir=latin1 / "inventory", fabric=SimpleNamespace(name="evpn-mh01"), twin=True,
        twin_state=latin1 / ".nornir_evpn" / "twin.json"))
    monkeypatch.setattr(os, "fsencode", real_encode)
    state_file = tmp_path / "failover-state.json"
    replace_atomically(state_file, json.dumps({"kind": STATE_KIND, **scope, "phase": "shut", "host": "leaf1",
                                               "interface": "ethernet-1/1"}))  # (its pid is gone)

    restored = _restore_args(monkeypatch, state_file)
    assert (restored.inventory, restored.twin, restored.twin_state) == (
        utf8 / "inventory", True, utf8 / ".nornir_evpn" / "twin.json")


def test_restore_from_a_shell_in_another_locale_names_the_paths_as_that_locale_does(tmp_path: Path,
                                                                                      monkeypatch) -> None:
    """The other way round: a failover-test killed under a UTF-8 locale in `~/Réseau lab`,
    `--restore` from a shell under `LANG=fr_FR.ISO-8859-1`. The file's text is the paths'
    bytes as UTF-8; that process names the same bytes `RÃ©seau lab`, and only that name
    finds the inventory and the twin."""
    import argparse
    import json
    import os

    from nornir_evpn.commands import failover as failover_cmd
    from nornir_evpn.failover_state import STATE_KIND
    from nornir_evpn.outputs import replace_atomically

    utf8 = tmp_path / "Réseau lab"
    latin1 = Path(os.fsencode(utf8).decode("latin-1"))  # how a latin-1 process names it
    scope = failover_cmd._state_doc(argparse.Namespace(), SimpleNamespace(  # type: ignore[arg-type]
        inventory_dir=utf8 / "inventory", fabric=SimpleNamespace(name="evpn-mh01"), twin=True,
        twin_state=utf8 / ".nornir_evpn" / "twin.json"))
    state_file = tmp_path / "failover-state.json"
    replace_atomically(state_file, json.dumps({"kind": STATE_KIND, **scope, "phase": "shut", "host": "leaf1",
                                               "interface": "ethernet-1/1"}))  # (its pid is gone)

    monkeypatch.setattr(os, "fsdecode", lambda b: b.decode("latin-1") if isinstance(b, bytes) else b)  # its locale
    restored = _restore_args(monkeypatch, state_file)
    assert (restored.inventory, restored.twin, restored.twin_state) == (
        latin1 / "inventory", True, latin1 / ".nornir_evpn" / "twin.json")


def test_restore_of_a_state_file_edited_by_hand_with_a_lone_surrogate_names_its_path(tmp_path: Path,
                                                                                   monkeypatch) -> None:
    """A state file's path no `path_text` wrote (`"\\ud800"`, typed by hand) made `--restore`
    a UnicodeEncodeError traceback; it is taken as it is, and the path is then not found."""
    import json

    from nornir_evpn.failover_state import STATE_KIND
    from nornir_evpn.outputs import replace_atomically

    state_file = tmp_path / "failover-state.json"
    replace_atomically(state_file, json.dumps({"kind": STATE_KIND, "inventory": "/lab/\ud800/inventory",
                                               "lab": "evpn-mh01", "twin": False, "twin_state": None,
                                               "phase": "shut", "host": "leaf1", "interface": "ethernet-1/1"}))
    restored = _restore_args(monkeypatch, state_file)
    assert restored.inventory == Path("/lab/\ud800/inventory")


def test_probe_targets_follow_the_ces_in_natural_name_order() -> None:
    """The traffic table's per-target rows (and `per_target` in --json) listed shce10's
    address before shce7's: a plain sort of the CE names (determinism tester)."""
    import tempfile

    from nornir_evpn.failover import other_ce_ips
    from nornir_evpn.failover.segment import ce_of_ip
    from nornir_evpn.generate import generate_topology, write_topology

    with tempfile.TemporaryDirectory() as tmp:
        path = write_topology(generate_topology(1, 12, 1), Path(tmp) / "fab.clab.yml")
        fabric = derive_intent(load_topology(path))
    named = ce_of_ip(fabric)
    assert [named[ip] for ip in other_ce_ips(fabric, "mhce1")] == [f"shce{n}" for n in range(3, 13)]
    assert list(named.values()) == ["mhce1", *(f"shce{n}" for n in range(3, 13))]


# --------------------------------------------------------------------------- mutation-testing gaps
# Each test below failed on a hand-made mutant of this stop's code that every other test passed.


def _polls(durations: list[float], seen: list[bool], *, t0: float = 0.0, start: float = 0.0,
           interval: float = 0.5) -> Any:
    from nornir_evpn.tasks.failover import wait_for_state

    now = [start]
    took, held = iter(durations), iter(seen)

    def state() -> dict[tuple[str, str], bool]:
        now[0] += next(took)
        return {LAG: next(held)}

    def sleep(seconds: float) -> None:
        now[0] += seconds

    return wait_for_state(state, t0=t0, interval=interval, timeout=50, clock=lambda: now[0], sleep=sleep)


def test_the_slow_poll_may_be_the_one_that_found_the_state() -> None:
    """`slowest_poll_s` is the longer of the last two polls: here the last one (a stall while
    it read the state holding), not only the one before it."""
    outcome = _polls([0.25, 6.0], [False, True])
    assert outcome.reached and outcome.converged_s == 6.5
    assert (outcome.converged_after_s, outcome.slowest_poll_s) == (0.0, 6.0)


def test_the_lower_end_is_never_before_the_phase_began() -> None:
    """A poll that started before `t0` (the caller's clock read later than the poll began):
    the state began to hold after the phase's start, not at a negative time."""
    outcome = _polls([1.0, 0.25], [False, True], t0=0.5)
    assert outcome.reached and outcome.converged_after_s == 0.0


def _report(**kw: Any) -> Any:
    from nornir_evpn.failover.model import FailoverReport, TimelineEvent
    from nornir_evpn.polling import PollOutcome

    def outcome(converged: float | None, after: float | None = 0.0, slowest: float = 0.1,
                reached: bool = True) -> PollOutcome:
        return PollOutcome(reached=reached, converged_s=converged, converged_after_s=after,
                           slowest_poll_s=slowest, interval=0.5)

    report = FailoverReport(host="leaf1", interface="ethernet-1/1", segment="ES-1", ok=True,
                            degraded=outcome(kw.pop("convergence", 0.5), **kw.pop("degraded", {})),
                            recovery=outcome(kw.pop("recovery", 0.5), **kw.pop("recovered", {})),
                            restore_attempted=True, restore_ok=True,
                            timeline=[TimelineEvent(t=0.0, event="shut", host="leaf1"),
                                      TimelineEvent(t=2.0, event="restore", host="leaf1"),
                                      *kw.pop("events", [])])
    for name, value in kw.items():
        setattr(report, name, value)
    return report


def _printed(report: Any) -> str:
    out = io.StringIO()
    print_report(Console(file=out, width=300, color_system=None), report)
    return out.getvalue()


def test_a_poll_exactly_as_long_as_the_interval_is_not_coarse() -> None:
    report = _report(convergence=3.0, recovery=3.0,
                     degraded={"after": 0.1, "slowest": 0.5}, recovered={"after": 0.1, "slowest": 0.51})
    assert report.coarse("convergence") is None
    assert report.coarse("recovery") == (0.1, 0.51, 0.5)


def test_a_window_of_a_second_exactly_is_not_coarse() -> None:
    report = _report(convergence=1.5, recovery=1.51,
                     degraded={"after": 0.5, "slowest": 3.0}, recovered={"after": 0.5, "slowest": 3.0})
    assert report.coarse("convergence") is None
    assert report.coarse("recovery") == (0.5, 3.0, 0.5)


def test_a_phase_that_never_reached_its_state_is_not_coarse() -> None:
    report = _report(degraded={"after": 0.1, "slowest": 6.0, "reached": False})
    assert report.coarse("convergence") is None


def test_a_commit_as_long_as_the_time_after_it_gives_no_bound() -> None:
    report = _report(convergence=0.5, shut_commit_s=0.5, recovery=0.5, restore_commit_s=0.501)
    assert report.commit_bound("convergence") is None
    assert report.commit_bound("recovery") == 1.001


def test_the_json_lower_ends_are_rounded_as_every_time() -> None:
    from nornir_evpn.reporting.failover import failover_document

    doc = failover_document(_report(degraded={"after": 0.1 + 0.2}, recovered={"after": 1 / 3}), ["leaf1"])
    assert (doc["convergence_after_s"], doc["recovery_after_s"]) == (0.3, 0.333)


def test_the_verdict_line_marks_each_kind_of_upper_bound() -> None:
    """A script reads `tail -1`: a commit bound, or a host no poll could read, qualifies the
    time there as the coarse polls do."""
    from nornir_evpn.failover.model import TimelineEvent

    plain = _printed(_report()).splitlines()[-1]
    assert plain == "failover-test PASS: convergence 0.500s, recovery 0.500s"
    bound = _printed(_report(restore_commit_s=6.0)).splitlines()[-1]
    assert bound == "failover-test PASS: convergence 0.500s, recovery 0.500s (an upper bound, see above)"
    unread = _printed(_report(events=[TimelineEvent(t=0.1, event="unreachable", host="leaf2"),
                                      TimelineEvent(t=0.4, event="reachable", host="leaf2")]))
    assert unread.splitlines()[-1] == ("failover-test PASS: convergence 0.500s (an upper bound, see above), "
                                       "recovery 0.500s")


def test_the_recovery_row_carries_its_own_bounds() -> None:
    text = _printed(_report(recovery=2.0, restore_commit_s=6.0, recovered={"after": 0.25, "slowest": 3.0}))
    row = next(line for line in text.splitlines() if "recovery" in line and "2.000s" in line)
    assert "(held from some time after 0.250s: a poll took 3.00s, longer than the 0.5s interval)" in row
    assert ("(from the restore's commit, which took 6.00s: the link may have changed before its answer "
            "came, so at most 8.000s from when it was sent)") in row


def _enable(monkeypatch: pytest.MonkeyPatch, steps: list[Any]) -> tuple[Any, list[float]]:
    """enable_with_retries over `steps` (a Step, or an exception to raise), one a clock tick."""
    from nornir_evpn.failover import restore

    monkeypatch.setattr(restore, "RESTORE_RETRY_DELAY_S", 0.0)
    answers = iter(steps)
    now = [0.0]
    sent: list[float] = []

    def run_on(*_a: Any, **_kw: Any) -> Any:
        sent.append(now[0])
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def clock() -> float:
        now[0] += 1.0
        return now[0]

    monkeypatch.setattr(restore, "run_on", run_on)
    return restore.enable_with_retries(None, "leaf1", "ethernet-1/1", timeout=60, clock=clock), sent


BUSY = "Error: commit in progress"


def test_a_retry_that_changed_the_link_counts_from_its_own_send(monkeypatch) -> None:
    """The first attempt met a commit in progress (nothing applied), the second applied:
    the commit is the second's, not the first's (only an attempt that found the link enabled
    already points back to an earlier one)."""
    from nornir_evpn.failover.restore import Step

    (ok, err, sent_at), sent = _enable(monkeypatch, [Step(False, BUSY), Step(True, None, changed=True)])
    assert ok and err is None and sent_at == sent[1]


def test_an_attempt_that_never_reached_the_host_is_not_where_the_recovery_began(monkeypatch) -> None:
    from nornir_evpn.failover.restore import Step

    (ok, _err, sent_at), sent = _enable(monkeypatch, [
        Step(False, "connection refused", reached=False),  # nothing can have been applied
        Step(False, "timeout: it may have committed"),  # it reached leaf1: it may have applied
        Step(True, None, changed=False),  # enabled already: the second one did it
    ])
    assert ok and sent_at == sent[1]


def test_an_attempt_that_raised_may_have_reached_the_host(monkeypatch) -> None:
    from nornir_evpn.failover.restore import Step

    (ok, _err, sent_at), sent = _enable(monkeypatch, [OSError("socket closed"), Step(True, None, changed=False)])
    assert ok and sent_at == sent[0]


def test_a_full_disk_after_the_shut_still_restores_the_link_as_it_was(tmp_path: Path, monkeypatch) -> None:
    """The shut found no admin-state configured; writing that to the state file failed (a
    full disk). The run goes on: the restore deletes the leaf, the link comes up."""
    from nornir_evpn.failover import run as run_module
    from nornir_evpn.failover_state import STATE_ADMIN_STATE_DEFAULT

    fabric = derive_intent(load_topology(FABRIC_2S4L))
    real_write = run_module.write_state

    def write_state(path: Path, doc: dict[str, Any]) -> None:
        if doc.get(STATE_ADMIN_STATE_DEFAULT):
            raise OSError(28, "No space left on device")
        real_write(path, doc)

    monkeypatch.setattr(run_module, "write_state", write_state)

    class NoAdminState(FakeNornir):
        def __init__(self) -> None:
            super().__init__()
            self.restore_kw: dict[str, Any] = {}

        def run(self, task: Any, **kw: Any) -> Any:
            if task.__name__ == "shut_interface":
                self.tasks.append(task.__name__)
                multi = _Multi(None)
                multi[0].result = {"was": None}
                return {"leaf1": multi}
            if task.__name__ == "restore_interface":
                self.restore_kw = kw
            return super().run(task, **kw)

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {LAG: CheckOutcome(True, "", "down" if faults else "up")}

    nr = NoAdminState()
    report = run_failover(nr, fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=5, traffic=False, state_file=tmp_path / "s.json"))
    assert report.error is None and report.ok and report.restore_ok
    assert nr.restore_kw.get("as_default") is True


@pytest.mark.parametrize(("enabled", "line"), [
    (False, "set / interface ethernet-1/1 admin-state disable"),  # `as_default` is the restore's
    (True, "delete / interface ethernet-1/1 admin-state"),
])
def test_set_admin_state_deletes_the_leaf_only_to_enable(monkeypatch, enabled: bool, line: str) -> None:
    """And `was` is the value the commit replaced (the `old` of the diff), not the new one."""
    from nornir.core.task import Result
    from nornir_evpn.tasks import failover as tasks_failover

    sent: list[list[str]] = []

    def apply_config(task: Any, lines: list[str], **_kw: Any) -> Result:
        sent.append(lines)
        old, new = ("enable", "disable") if not enabled else ("disable", None)
        return Result(host=None, changed=True, result={
            "committed": True, "reached": True, "diff": "~",
            "replaced": [{"path": "interface ethernet-1/1 admin-state", "old": old, "new": new}]})

    monkeypatch.setattr(tasks_failover, "apply_config", apply_config)
    result = tasks_failover.set_admin_state(SimpleNamespace(host=None), "ethernet-1/1", enabled=enabled,
                                            as_default=True)
    assert sent == [[line]]
    assert result.result["was"] == ("enable" if not enabled else "disable")


@pytest.mark.parametrize(("flag", "as_default"), [(True, True), ("yes", False), (1, False), (None, False)])
def test_restore_from_state_deletes_the_leaf_only_for_a_literal_true(tmp_path: Path, flag: Any,
                                                                     as_default: bool) -> None:
    """Only a run's own `true` deletes the admin-state leaf; anything else a hand-edited file
    says sets `enable`, which brings the link up all the same."""
    from nornir_evpn.failover.restore import restore_from_state
    from nornir_evpn.failover_state import STATE_ADMIN_STATE_DEFAULT

    class Kwargs(FakeNornir):
        def run(self, task: Any, **kw: Any) -> Any:
            self.kw = kw
            return super().run(task, **kw)

    nr = Kwargs()
    doc = {"host": "leaf1", "interface": "ethernet-1/1", STATE_ADMIN_STATE_DEFAULT: flag}
    report = restore_from_state(nr, doc, tmp_path / "s.json", evaluate=None, interval=0.01, timeout=1)  # type: ignore[arg-type]
    assert report.restore_ok and nr.kw["as_default"] is as_default


def test_a_whole_second_interval_reads_as_such_in_the_coarse_note() -> None:
    from nornir_evpn.failover.model import FailoverReport
    from nornir_evpn.polling import PollOutcome

    report = FailoverReport(host="leaf1", interface="ethernet-1/1", segment="ES-1", ok=True,
                            degraded=PollOutcome(reached=True, converged_s=4.0, converged_after_s=1.0,
                                                 slowest_poll_s=3.0, interval=2.0))
    assert "a poll took 3.00s, longer than the 2s interval)" in _printed(report)


def test_a_precheck_failing_on_received_routes_alone_is_refused_without_a_warm_up(tmp_path: Path) -> None:
    """RT1/RT3/RT4 are not learnt from CE traffic: a pre-check failing on evpn.received alone
    (a leaf's export route target changed) waited out the 10 s warm-up of pings before its
    refusal (evpn.advertised, whose RT2 count follows the MACs, still warms up:
    test_warm_up_refreshes_what_healthy_expects)."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    warmed: list[int] = []

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {("evpn.received", "leaf3"): CheckOutcome(False, "", {"x": 1}), LAG: CheckOutcome(True, "", "up")}

    nr = FakeNornir()
    report = run_failover(
        nr, fabric, evaluate,  # type: ignore[arg-type]
        FailoverOptions(interval=0.01, timeout=5, state_file=tmp_path / "state.json"),
        warm_up=lambda: warmed.append(1),
    )
    assert not report.ok and nr.tasks == [] and warmed == []
    assert report.refused and "fabric not healthy: 1 check(s) failing" in (report.error or "")


def test_force_still_warms_up_macs_beside_a_failing_received_check(tmp_path: Path) -> None:
    """--force on a quiet fabric (leaf3's CE MAC aged out) with an unrelated configuration
    fault (leaf5's evpn.received): the pings still teach the MACs, so mac.local is not left
    out of the targets, and only evpn.received's items are. With TRAFFIC_DEPENDENT no longer
    matching evpn.received, the warm-up was skipped and leaf3's MAC items were left out of
    the targets, unjudged; the warm-up waits only for what traffic mends (no 10 s timeout)."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    mac, received = ("mac.local", "leaf3"), ("evpn.received", "leaf5")
    warmed: list[int] = []
    healthy_reads: list[int] = []

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        learnt = bool(warmed)
        if not faults:
            healthy_reads.append(1)
        return {mac: CheckOutcome(learnt, "", {"mac-vrf-1 aa": "learnt"}, () if learnt else ("mac-vrf-1 aa",),
                                  {"mac-vrf-1 aa": "learnt" if learnt else "absent"}),
                received: CheckOutcome(False, "", {"mac-vrf-1 RT3": 4}, ("mac-vrf-1 RT3",), {"mac-vrf-1 RT3": 3}),
                LAG: CheckOutcome(True, "", "down" if faults else "up")}

    report = run_failover(
        FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
        FailoverOptions(interval=0.01, timeout=5, force=True, state_file=tmp_path / "state.json"),
        warm_up=lambda: warmed.append(1),
    )
    assert warmed == [1] and report.ok
    assert [(f["check"], f["host"], f["left_out"]) for f in report.precheck_failures] == [
        ("evpn.received", "leaf5", ["mac-vrf-1 RT3"])]
    assert [e.event for e in report.timeline if not e.check][:2] == ["warm-up", "precheck"]
    assert len(healthy_reads) <= 4  # the pre-check, one warm-up read, the recovery's: not 10 s of polls


def test_without_force_the_warm_up_waits_for_the_whole_fabric(tmp_path: Path) -> None:
    """The warm-up waits only for the traffic-learnt checks with --force; without it, for
    every check, as ever: bgp flapping at the first warm-up read (the MACs learnt already)
    and holding at the next is a healthy fabric, not one refused."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    mac, bgp = ("mac.local", "leaf3"), ("bgp.overlay_established", "leaf4")
    warmed: list[int] = []

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {mac: CheckOutcome(bool(warmed), "", {"mac-vrf-1 aa": "learnt"}),
                bgp: CheckOutcome(len(warmed) != 1, "", {"10.0.0.1": "established"}),
                LAG: CheckOutcome(True, "", "down" if faults else "up")}

    report = run_failover(
        FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
        FailoverOptions(interval=0.01, timeout=5, state_file=tmp_path / "state.json"),
        warm_up=lambda: warmed.append(1),
    )
    assert len(warmed) >= 2 and not report.refused and report.ok and report.precheck_failures == []


@pytest.mark.parametrize("failing", [("evpn.received",), ("mac.local", "lag.up")])
def test_force_does_not_warm_up_what_pings_cannot_mend(tmp_path: Path, failing: tuple[str, ...]) -> None:
    """--force warms up beside evpn.received only when a traffic-learnt check fails too; not
    for evpn.received alone (nothing to learn), nor beside a LAG down (its CE's MACs would
    hold the warm-up to its 10 s timeout: the link a --force run finds shut)."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    warmed: list[int] = []

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        out = {(c, "leaf3"): CheckOutcome(False, "", {"x": 1}, ("x",), {"x": 0}) for c in failing}
        return {**out, LAG: CheckOutcome(True, "", "down" if faults else "up")}

    report = run_failover(
        FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
        FailoverOptions(interval=0.01, timeout=0.2, force=True, state_file=tmp_path / "state.json"),
        warm_up=lambda: warmed.append(1),
    )
    assert warmed == [] and [f["check"] for f in report.precheck_failures] == sorted(failing)


def test_without_force_macs_beside_a_failing_received_check_are_refused_at_once(tmp_path: Path) -> None:
    """Without --force, evpn.received failing refuses the run whatever the pings teach: no
    10 s warm-up first, MAC checks failing beside it or not."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    warmed: list[int] = []

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {(c, "leaf3"): CheckOutcome(False, "", {"x": 1}, ("x",), {"x": 0}) for c in ("mac.local", "evpn.received")}

    nr = FakeNornir()
    report = run_failover(nr, fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=5, state_file=tmp_path / "state.json"),
                          warm_up=lambda: warmed.append(1))
    assert report.refused and warmed == [] and nr.tasks == []
