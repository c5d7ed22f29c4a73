"""failover-test's `holds` detail, --force's found-down prediction line and never-held
details: cases the mutation tester found no test for."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from rich.console import Console
from test_failover_run import FABRIC_2S4L, LAG, TWO_MEMBERS_ON_LEAF1, FakeNornir, _killed_run_state

from nornir_evpn.failover import CheckOutcome, FailoverOptions, Faults, run_failover
from nornir_evpn.failover.run import what_changed
from nornir_evpn.intent import derive_intent
from nornir_evpn.reporting.failover import print_report
from nornir_evpn.topology import load_topology


def test_what_changed_names_items_the_fault_adds_and_none_of_a_non_dict():
    """An item only the degraded expectation has is named with its value alone; an
    expectation that is no item dict on either side (none before it: a check only the fault
    brings) has nothing to compare."""
    assert what_changed({"a": ["10.0.0.1", "10.0.0.2"], "c": 1}, {"a": ["10.0.0.2"], "b": "x", "c": 1}) == (
        "a: [10.0.0.1, 10.0.0.2] -> [10.0.0.2]; b: x")
    assert what_changed(None, {"a": 1}) == ""
    assert what_changed("up", {"a": 1}) == what_changed({"a": 1}, "down") == ""


def test_force_shutting_the_member_found_down_predicts_nothing_more(tmp_path: Path) -> None:
    """--force, leaf1's ethernet-1/2 out of its LAG before the test, and the shut is of that
    member itself: the fault already has it down, the pre-check line adds no `predicted with`
    (it named the shut link as if found down besides)."""
    topo = tmp_path / "two.clab.yml"
    topo.write_text(TWO_MEMBERS_ON_LEAF1)
    fabric = derive_intent(load_topology(topo))
    es = fabric.segment_of("leaf1", "ethernet-1/2")
    assert es is not None
    lacp = ("lacp.members_in_sync", "leaf1")

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {
            lacp: CheckOutcome(False, f"leaf1 {es.lag} ethernet-1/2 - Expected: IN_SYNC Actual: not in sync",
                               {f"{es.lag} ethernet-1/2": "IN_SYNC"}, (f"{es.lag} ethernet-1/2",)),
            ("lag.up", "leaf1"): CheckOutcome(True, "", {es.lag: "up"}),
        }

    report = run_failover(FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
                          FailoverOptions(interface="ethernet-1/2", interval=0.01, timeout=2, traffic=False,
                                          force=True, state_file=tmp_path / "s.json"))
    assert report.ok, report.error
    [pre] = [e.detail for e in report.timeline if e.event == "precheck"]
    assert pre == "1 failing, --force: 1 failing item(s) left out of the targets, their checks' other items judged"


def test_a_never_held_expectation_whose_poll_said_nothing_has_no_detail(tmp_path: Path) -> None:
    """The last poll's outcome had no detail: no empty one is kept (`es.df@leaf2: ` with
    nothing after the colon)."""
    fabric = derive_intent(load_topology(FABRIC_2S4L))
    df = ("es.df", "leaf2")

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {LAG: CheckOutcome(True, "", "down" if faults else "up"),
                df: CheckOutcome(not faults, "", "10.0.0.2")}

    report = run_failover(
        FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
        FailoverOptions(interval=0.01, timeout=0.05, traffic=False, state_file=tmp_path / "state.json"),
    )
    assert not report.degraded.reached and report.degraded.failing == [df]
    assert report.failing_details == {}
    out = io.StringIO()
    print_report(Console(file=out, width=250, color_system=None), report)
    assert "es.df@leaf2" in out.getvalue() and "es.df@leaf2:" not in out.getvalue()


def test_a_recovery_poll_still_running_at_the_timeout_is_a_recovery_detail(tmp_path: Path) -> None:
    """The recovery's poll of leaf2 outlasts its timeout: `not recovered` says its read was
    still running, in the recovery's details, not in the degraded phase's (never held)."""
    import time

    fabric = derive_intent(load_topology(FABRIC_2S4L))
    shut_seen: list[bool] = []

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        if faults:
            shut_seen.append(True)
        elif shut_seen:
            time.sleep(1.6)  # the timeout, 0.2s, and the poller's 1s grace
        return {LAG: CheckOutcome(True, "", "down" if faults else "up")}

    evaluate.in_flight = lambda: ["leaf2"]  # type: ignore[attr-defined]
    report = run_failover(
        FakeNornir(), fabric, evaluate,  # type: ignore[arg-type]
        FailoverOptions(interval=0.01, timeout=0.2, traffic=False, state_file=tmp_path / "state.json"),
    )
    assert report.degraded.reached and not report.recovery.reached
    assert report.failing_details == {}
    assert list(report.recovery_failing_details) == [("poll", "leaf2")]
    assert report.recovery_failing_details["poll", "leaf2"].startswith(
        "leaf2: its read was still running at the 0.2s timeout")


def test_a_restore_not_recovered_names_only_what_recovery_waited_for(tmp_path: Path) -> None:
    """`failover-test --restore` whose fabric does not recover: its details are those of the
    expectations recovery waited for and failed, with something said: not a MAC check left
    unjudged (no CE traffic), nor one whose poll said nothing."""
    from nornir_evpn.failover.restore import restore_from_state

    state = tmp_path / "state.json"
    doc = _killed_run_state(state)
    df, mac = ("es.df", "leaf2"), ("mac.esi_remote", "leaf3")

    def evaluate(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        return {LAG: CheckOutcome(False, "leaf1 lag1 - Expected: up Actual: down", "up"),
                df: CheckOutcome(False, "", "10.0.0.2"),
                mac: CheckOutcome(False, "leaf3 mac-vrf-1 aa:c1:ab:00:00:01 - Expected: evpn Actual: absent", "x")}

    report = restore_from_state(FakeNornir(), doc, state, evaluate, interval=0.01, timeout=0.2)  # type: ignore[arg-type]
    assert report.recovery is not None and set(report.recovery.failing) == {LAG, df}
    assert report.not_judged == ["mac.esi_remote"]
    assert report.recovery_failing_details == {LAG: "leaf1 lag1 - Expected: up Actual: down"}


def _report_with(timeline: list[tuple[float, str, str | None]], convergence_s: float) -> Any:
    from nornir_evpn.failover.model import FailoverReport, TimelineEvent
    from nornir_evpn.polling import PollOutcome

    return FailoverReport(
        host="leaf1", interface="ethernet-1/1", segment="ES-1",
        degraded=PollOutcome(reached=True, converged_s=convergence_s),
        recovery=PollOutcome(reached=True, converged_s=0.5),
        timeline=[TimelineEvent(t=t, event=e, host=h) for t, e, h in timeline])


def test_a_host_unread_since_the_precheck_holds_back_only_the_phase_that_reads_it_again():
    """Events before the shut count their time from the test's start, not the shut's: leaf3
    unreachable at the pre-check's 4 ms (--force left it out), a convergence of 1 ms, and
    leaf3 read again only in recovery. Sorted by time with the phase's events, its
    `unreachable` fell after the convergence's end (flaky under load). None of its
    expectations was waited for in the convergence: no upper bound there; the recovery's
    polls waited for it once it was read again: an upper bound there."""
    report = _report_with([(0.004, "unreachable", "leaf3"), (0.005, "precheck", None), (0.0, "shut", "leaf1"),
                           (0.001, "converged", None), (0.002, "restore", "leaf1"),
                           (0.003, "reachable", "leaf3"), (0.004, "recovered", None)], convergence_s=0.001)
    assert report.unread_hosts("convergence") == []
    assert report.unread_hosts("recovery") == ["leaf3"]


def test_a_host_read_again_before_the_shut_is_not_unread_in_the_convergence():
    """leaf3 unreachable at the pre-check's first read (1 s) and read again at its second
    (3 s, the warm-up's), before the shut: every poll after the shut read it. Sorted with the
    phase's events, the `reachable` at 3 s fell inside a 10 s convergence and marked it
    unread there."""
    report = _report_with([(1.0, "unreachable", "leaf3"), (3.0, "reachable", "leaf3"), (3.5, "precheck", None),
                           (0.0, "shut", "leaf1"), (10.0, "converged", None), (10.5, "restore", "leaf1"),
                           (11.0, "recovered", None)], convergence_s=10.0)
    assert report.unread_hosts("convergence") == []
    assert report.unread_hosts("recovery") == []
