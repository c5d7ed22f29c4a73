"""failover-test --force leaves out the *items* that failed the pre-check, not whole checks.

A fault unrelated to the test (leaf3 exports mac-vrf-1 with a route target nobody imports)
makes every other leaf's `evpn.received` fail its `mac-vrf-1 RT1 from leaf3 ES-2` and
`mac-vrf-1 RT3 from leaf3` items (and the RT1/RT3 totals). 0.21's --force left the whole
check out on those leaves: the tested ES's withdrawal (leaf1's RT1/RT4 of ES-1 leaving the
RIBs) was judged on no leaf at all, and a fabric that never withdrew them PASSed.

The fabric is the twin's model (no SSH): a generated 2-spine 6-leaf fabric, 2 multi-homed
pairs, every node configured as `configure` renders it; the evaluator commits the shut into
the model and reads every leaf's `show` outputs from it. `withdraws=False` keeps each leaf's
EVPN RIB as it was before the shut: leaf1's LAG and ES go down, its routes stay.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from test_failover_run import FakeNornir
from twin.fabric_helpers import configured_fabric

from nornir_evpn import platform
from nornir_evpn.checks import commands_for, evaluate
from nornir_evpn.failover import CheckOutcome, FailoverOptions, Faults, run_failover
from nornir_evpn.failover.evaluator import outcome_of
from nornir_evpn.reporting.failover import failover_document, print_report
from nornir_evpn.twin.fabric_lab import with_lines
from nornir_evpn.twin.show_render import FabricShow

CHECKS = ["lag.up", "lacp.members_in_sync", "es.oper_up", "es.esi", "es.df", "evpn.advertised",
          "evpn.received", "vxlan.vni"]
RT = "set / network-instance mac-vrf-1 protocols bgp-vpn bgp-instance 1"
# ES-2's leaves export mac-vrf-1 with a route target nobody imports: unrelated to ES-1, and
# every leaf's evpn.received fails the pre-check (leaf3's on leaf4's routes, and so on)
UNRELATED = {"leaf3": f"{RT} route-target export-rt target:100:999\n",
             "leaf4": f"{RT} route-target export-rt target:100:999\n"}
# what the remote leaves fail before the test: the totals and ES-2's leaves' routes
LEFT_OUT = ["mac-vrf-1 RT1", "mac-vrf-1 RT3", "mac-vrf-1 RT1 from leaf3 ES-2", "mac-vrf-1 RT1 from leaf4 ES-2",
            "mac-vrf-1 RT3 from leaf3", "mac-vrf-1 RT3 from leaf4"]
LEAVES = ("leaf1", "leaf2", "leaf3", "leaf4", "leaf5", "leaf6")


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any, dict[str, Any]]:
    return configured_fabric(Path(tmp_path_factory.mktemp("force-items")), "full-mesh", UNRELATED)


def model_evaluator(fabric: Any, twin: Any, running: dict[str, Any], *, withdraws: bool = True) -> Any:
    show = FabricShow(twin)
    ribs: dict[str, str] = {}  # each leaf's EVPN RIB before the shut
    shut: set[tuple[str, str]] = set()

    def evaluate_fabric(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        if set(faults) != shut:  # the shut (or the restore) into the model
            for node in {n for n, _ in faults} | {n for n, _ in shut}:
                lines = "".join(f"set / interface {i} admin-state disable\n" for n, i in faults if n == node)
                twin.on_commit(node, with_lines(running[node], lines))
            shut.clear()
            shut.update(faults)
        out = {}
        for leaf in fabric.leaves:
            outputs = {c: show.show(leaf.name, c) for c in commands_for(fabric, leaf.name, CHECKS, faults)}
            if not faults:
                ribs[leaf.name] = outputs[platform.SHOW_EVPN_SUMMARY]
            elif not withdraws:
                outputs[platform.SHOW_EVPN_SUMMARY] = ribs[leaf.name]
            for r in evaluate(fabric, leaf.name, outputs, faults, CHECKS):
                out[(r.check, leaf.name)] = outcome_of(r)
        return out

    return evaluate_fabric


def _run(broken: Any, tmp_path: Path, *, withdraws: bool) -> Any:
    fabric, twin, running = broken
    return run_failover(FakeNornir(), fabric, model_evaluator(fabric, twin, running, withdraws=withdraws),
                        FailoverOptions(interval=0.01, timeout=0.3, traffic=False, force=True,
                                        state_file=tmp_path / "state.json"))


def test_the_unrelated_fault_fails_items_of_evpn_received_on_every_leaf(broken, tmp_path: Path) -> None:
    report = _run(broken, tmp_path, withdraws=True)
    failed = {(f["check"], f["host"]) for f in report.precheck_failures}
    assert failed == {("evpn.received", h) for h in LEAVES}


def test_a_withdrawal_that_never_happens_fails_despite_the_unrelated_fault(broken, tmp_path: Path) -> None:
    """leaf1's LAG and ES-1 go down, but every RIB keeps its RT1/RT4 of ES-1: the remote
    leaves' `mac-vrf-1 RT1 from leaf1 ES-1` item is judged (it did not fail before) and never
    holds. 0.21: PASS, evpn.received left out on every leaf, the withdrawal judged nowhere."""
    report = _run(broken, tmp_path, withdraws=False)
    assert not report.ok and report.degraded is not None and not report.degraded.reached
    never = {k for k in report.degraded.failing if k[0] == "evpn.received"}
    assert never == {("evpn.received", h) for h in ("leaf2", "leaf3", "leaf4", "leaf5", "leaf6")}
    # only what is judged: not the items failing before (ES-2's leaves' routes, the totals)
    assert report.failing_details[("evpn.received", "leaf5")] == (
        "leaf5 mac-vrf-1 RT1 from leaf1 ES-1 - Expected: 0 Actual: 2")
    # ES-1's peer imports ES-1's RT4 too (its own ES-import RT)
    assert report.failing_details[("evpn.received", "leaf2")] == (
        "leaf2 mac-vrf-1 RT4 - Expected: 2 Actual: 3; leaf2 mac-vrf-1 RT1 from leaf1 ES-1 - Expected: 0 Actual: 2; "
        "leaf2 mac-vrf-1 RT4 from leaf1 ES-1 - Expected: 0 Actual: 1")
    assert report.recovery is not None and report.recovery.reached  # the routes were there all along


def test_the_withdrawal_is_judged_on_every_leaf_and_the_run_passes(broken, tmp_path: Path) -> None:
    report = _run(broken, tmp_path, withdraws=True)
    assert report.ok, (report.error, report.failing_details, report.recovery_failing_details)
    doc = failover_document(report, [])
    left = {f["host"]: f["left_out"] for f in json.loads(json.dumps(doc))["precheck_failures"]}
    assert left == {"leaf1": LEFT_OUT, "leaf2": LEFT_OUT, "leaf5": LEFT_OUT, "leaf6": LEFT_OUT,
                    "leaf3": [i for i in LEFT_OUT if "leaf3" not in i],
                    "leaf4": [i for i in LEFT_OUT if "leaf4" not in i]}
    # their other items held in the degraded state, timed as any, saying what the fault changed
    held = {e.host: (e.event, e.detail) for e in report.timeline if e.check == "evpn.received"}
    assert held == {
        "leaf1": ("unchanged", ""),  # the shut leaf receives what it did
        **{h: ("degraded", "mac-vrf-1 RT4: 3 -> 2; mac-vrf-1 RT1 from leaf1 ES-1: 0; "
                           "mac-vrf-1 RT4 from leaf1 ES-1: 0") for h in ("leaf2", "leaf3", "leaf4")},
        **{h: ("degraded", "mac-vrf-1 RT1 from leaf1 ES-1: 0") for h in ("leaf5", "leaf6")},
    }
    times = doc["checks"]["evpn.received"]
    assert sorted(times) == list(LEAVES)
    assert all(t["degraded_s"] is not None and t["recovered_s"] is not None for t in times.values())
    [pre] = [e.detail for e in report.timeline if e.event == "precheck"]
    assert pre == "6 failing, --force: 32 failing item(s) left out of the targets, their checks' other items judged"
    out = io.StringIO()
    print_report(Console(file=out, width=1000, color_system=None), report)
    assert ("ignored (--force) │ evpn.received@leaf1, leaf2, leaf5, leaf6: mac-vrf-1 RT1, mac-vrf-1 RT3, "
            "mac-vrf-1 RT1 from leaf3 ES-2, mac-vrf-1 RT1 from leaf4 ES-2 and 2 more item(s); "
            "evpn.received@leaf3: mac-vrf-1 RT1, mac-vrf-1 RT3, mac-vrf-1 RT1 from leaf4 ES-2, mac-vrf-1 RT3 from leaf4; "
            "evpn.received@leaf4: mac-vrf-1 RT1, mac-vrf-1 RT3, mac-vrf-1 RT1 from leaf3 ES-2, mac-vrf-1 RT3 from leaf3 "
            "(the times above do not include them)") in out.getvalue(), out.getvalue()


def test_what_names_no_item_is_left_out_whole_and_a_new_failure_of_a_check_is_judged(tmp_path: Path) -> None:
    """Scripted: leaf4's overlay check failed with no item named (left out whole, as in 0.21);
    leaf3's es.df failed on one item, and after the shut fails on another: judged, never held."""
    from test_failover_run import FABRIC_2S4L, LAG

    from nornir_evpn.intent import derive_intent
    from nornir_evpn.topology import load_topology

    fabric = derive_intent(load_topology(FABRIC_2S4L))
    overlay, df = ("bgp.overlay_established", "leaf4"), ("es.df", "leaf3")
    want = {"ES-2 mac-vrf-1 DF": "10.0.0.3", "ES-2 mac-vrf-1 candidates": ["10.0.0.3", "10.0.0.4"]}

    def evaluate_fabric(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        bad = ("ES-2 mac-vrf-1 candidates",) + (("ES-2 mac-vrf-1 DF",) if faults else ())
        return {overlay: CheckOutcome(False, "leaf4 overlay 10.0.0.1 - Expected: established", {}),
                df: CheckOutcome(False, "leaf3 ...", want, bad, {"ES-2 mac-vrf-1 DF": "10.0.0.4" if faults else
                                                                 "10.0.0.3", "ES-2 mac-vrf-1 candidates": []}),
                LAG: CheckOutcome(True, "", "down" if faults else "up")}

    report = run_failover(FakeNornir(), fabric, evaluate_fabric,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=0.2, traffic=False, force=True,
                                          state_file=tmp_path / "state.json"))
    [pre] = [e.detail for e in report.timeline if e.event == "precheck"]
    assert pre == ("2 failing, --force: 1 failing item(s) left out of the targets, their checks' other items "
                   "judged; 1 expectation(s) left out whole")
    assert {f["host"]: f["left_out"] for f in report.precheck_failures} == {
        "leaf4": None, "leaf3": ["ES-2 mac-vrf-1 candidates"]}
    assert report.degraded is not None and report.degraded.failing == [df]
    assert report.failing_details[df] == "leaf3 ES-2 mac-vrf-1 DF - Expected: 10.0.0.3 Actual: 10.0.0.4"
    assert report.recovery is not None and report.recovery.reached and not report.ok


def test_a_withdrawal_from_a_leaf_whose_rd_another_leaf_carries_passes(tmp_path: Path) -> None:
    """leaf5's mac-vrf set by hand to leaf1's RD (unrelated to ES-1: every other leaf's
    evpn.received fails on `mac-vrf-1 RT3 from leaf5`). The groups the shut changes are listed
    whatever their count, and leaf1's groups carry the note `leaf1's RD is on routes of leaf5
    too`: a withdrawn `RT1 from leaf1 ES-1` read `Expected: 0 Actual: 0 (...)`, which never
    held, and a healthy --force run FAILed on every remote leaf."""
    fabric, twin, running = configured_fabric(tmp_path, "full-mesh", {
        "leaf5": f"{RT} route-distinguisher rd 10.0.0.1:111\n"})
    assert fabric.nodes["leaf1"].rd == "10.0.0.1:111"
    report = run_failover(FakeNornir(), fabric, model_evaluator(fabric, twin, running),
                          FailoverOptions(interval=0.01, timeout=0.3, traffic=False, force=True,
                                          state_file=tmp_path / "state.json"))
    assert report.ok, report.failing_details
    held = {e.host: e.detail for e in report.timeline if e.check == "evpn.received" and e.event == "degraded"}
    assert held["leaf3"] == "mac-vrf-1 RT1: 6 -> 4; mac-vrf-1 RT4: 3 -> 2; mac-vrf-1 RT1 from leaf1 ES-1: 0; " \
                            "mac-vrf-1 RT4 from leaf1 ES-1: 0"
    # a RIB that keeps them still fails, with the note that tells why
    kept = run_failover(FakeNornir(), fabric, model_evaluator(fabric, twin, running, withdraws=False),
                        FailoverOptions(interval=0.01, timeout=0.3, traffic=False, force=True,
                                        state_file=tmp_path / "state.json"))
    assert not kept.ok
    assert ("leaf6 mac-vrf-1 RT1 from leaf1 ES-1 - Expected: 0 Actual: 2 (leaf1's RD is on routes of leaf5 too)"
            in kept.failing_details[("evpn.received", "leaf6")])


def test_a_check_left_out_by_items_that_fails_naming_none_is_judged(tmp_path: Path) -> None:
    """leaf3's es.df failed the pre-check on its candidates (left out); after the shut it fails
    without naming any item (nothing read of it, a parse that failed): nothing shows the rest
    held, so it is not taken as failing "as before" (an empty set of failing items is a subset
    of any) and never holds."""
    from test_failover_run import FABRIC_2S4L, LAG

    from nornir_evpn.intent import derive_intent
    from nornir_evpn.topology import load_topology

    fabric = derive_intent(load_topology(FABRIC_2S4L))
    df = ("es.df", "leaf3")
    want = {"ES-2 mac-vrf-1 DF": "10.0.0.3", "ES-2 mac-vrf-1 candidates": ["10.0.0.3", "10.0.0.4"]}

    def evaluate_fabric(faults: Faults) -> dict[tuple[str, str], CheckOutcome]:
        outcome = (CheckOutcome(False, "leaf3: show output unreadable", want) if faults else
                   CheckOutcome(False, "leaf3 ...", want, ("ES-2 mac-vrf-1 candidates",),
                                {**want, "ES-2 mac-vrf-1 candidates": []}))
        return {df: outcome, LAG: CheckOutcome(True, "", "down" if faults else "up")}

    report = run_failover(FakeNornir(), fabric, evaluate_fabric,  # type: ignore[arg-type]
                          FailoverOptions(interval=0.01, timeout=0.2, traffic=False, force=True,
                                          state_file=tmp_path / "state.json"))
    assert [f["left_out"] for f in report.precheck_failures] == [["ES-2 mac-vrf-1 candidates"]]
    assert report.degraded is not None and report.degraded.failing == [df] and not report.ok
    assert report.failing_details[df] == "leaf3: show output unreadable"


def test_the_ignored_row_groups_hosts_and_counts_the_items_it_does_not_show() -> None:
    from nornir_evpn.reporting.failover import LEFT_OUT_SHOWN, left_out_summary

    items = [f"item{i}" for i in range(LEFT_OUT_SHOWN + 1)]
    fails = [{"check": "evpn.received", "host": f"leaf{i}", "detail": "", "left_out": items} for i in range(1, 13)]
    assert left_out_summary(fails) == (
        "evpn.received@leaf1 … leaf12 (12): item0, item1, item2, item3 and 1 more item(s)")
    whole = [{"check": "bgp.overlay_established", "host": h, "detail": "", "left_out": None} for h in ("leaf3", "leaf4")]
    # only whole expectations: as 0.21 said them; with items beside: one part per group
    assert left_out_summary(whole) == "bgp.overlay_established@leaf3, bgp.overlay_established@leaf4"
    assert left_out_summary(whole[:1] + fails[:1]) == (
        "bgp.overlay_established@leaf3; evpn.received@leaf1: item0, item1, item2, item3 and 1 more item(s)")


def test_a_healthy_view_lists_no_group_for_a_fault_and_computes_nothing(broken) -> None:
    """The healthy poll's CPU: without faults, `_fault_changed` neither compares the view
    with itself nor memoises anything; with leaf1's link down, the groups it changes."""
    from nornir_evpn.checks.evpn import _fault_changed
    from nornir_evpn.checks.model import FabricView

    fabric, _twin, _running = broken
    view = FabricView(fabric, ())
    assert _fault_changed(view, fabric.nodes["leaf5"]) == frozenset() and view._memo == {}
    down = FabricView(fabric, frozenset({("leaf1", "ethernet-1/1")}))
    assert _fault_changed(down, fabric.nodes["leaf5"]) == {(1, fabric.nodes["leaf1"].system_ip, next(
        es.esi.lower() for es in fabric.ethernet_segments.values() if es.name == "ES-1"))}
