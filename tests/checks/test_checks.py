"""Checks as tables: transcript outputs (+ faults) -> status and messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from nornir_evpn import platform
from nornir_evpn.checks import CHECK_NAMES, CommandFailure, commands_for, evaluate, expected_state
from nornir_evpn.errors import UserInputError
from nornir_evpn.intent import FabricIntent, derive_intent
from nornir_evpn.topology import load_topology

from .edited import fx

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
ESI1 = "01:11:11:11:11:11:11:00:00:01"
DOWN = {("leaf1", "ethernet-1/1")}


LEAF1 = {
    platform.show_interface("lag1"): "tutorial_leaf1_show_interface_lag1.txt",
    platform.show_lacp_state("lag1"): "tutorial_leaf1_show_lag_lag1_lacp_state.txt",
    platform.show_ethernet_segment("ES-1"): "tutorial_leaf1_show_es_ES-1_detail.txt",
    platform.show_advertised_evpn("10.0.0.2"): "tutorial_leaf1_show_bgp_neighbor_10.0.0.2_advertised_evpn.txt",
}
LEAF2 = {platform.SHOW_EVPN_SUMMARY: "tutorial_leaf2_show_bgp_routes_evpn_summary.txt"}
LEAF3 = {
    platform.SHOW_EVPN_SUMMARY: "tutorial_leaf3_show_bgp_routes_evpn_summary.txt",
    platform.show_mac_table("mac-vrf-1"): "tutorial_leaf3_show_mac_table_mac-vrf-1.txt",
}


def outputs(files: dict[str, str]) -> dict[str, str]:
    return {cmd: fx(name) for cmd, name in files.items()}


def run(fabric: FabricIntent, node: str, files: dict[str, str], checks: list[str], faults=()):
    return {r.check: r for r in evaluate(fabric, node, outputs(files), faults=faults, checks=checks)}


# ---------------------------------------------------------------- healthy, tutorial transcripts
@pytest.mark.parametrize("node,files,checks", [
    ("leaf1", LEAF1, ["lag.up", "lacp.members_in_sync", "es.oper_up", "es.esi", "es.df", "evpn.advertised"]),
    ("leaf2", LEAF2, ["evpn.received"]),
    ("leaf3", LEAF3, ["evpn.received", "mac.esi_remote", "mac.local"]),
])
def test_tutorial_transcripts_pass(mh01, node, files, checks) -> None:
    results = run(mh01, node, files, checks)
    assert sorted(results) == sorted(checks)
    failed = {k: r.detail for k, r in results.items() if not r.ok}
    assert failed == {}


def test_passing_results_carry_values(mh01) -> None:
    r = run(mh01, "leaf1", LEAF1, ["es.df", "evpn.advertised", "lacp.members_in_sync"])
    assert r["es.df"].observed == {"ES-1 mac-vrf-1 candidates": ["10.0.0.1", "10.0.0.2"],
                                   "ES-1 mac-vrf-1 DF": "10.0.0.2"}
    # no mac table collected: RT2 is not judged, the other counts are
    assert r["evpn.advertised"].expected == {"to 10.0.0.2 RT1": 2, "to 10.0.0.2 RT3": 1, "to 10.0.0.2 RT4": 1}
    assert r["evpn.advertised"].observed["to 10.0.0.2 RT2"] == 1
    assert r["lacp.members_in_sync"].observed["lag1 ethernet-1/1 partner"] == "00:c1:ab:00:00:11"
    r3 = run(mh01, "leaf3", LEAF3, ["mac.esi_remote"])["mac.esi_remote"]
    assert r3.observed == {"mac-vrf-1 00:c1:ab:00:00:11": f"evpn esi:{ESI1}"}
    assert r3.detail == f"leaf3 mac-vrf-1 00:c1:ab:00:00:11: evpn esi:{ESI1}"


def test_rt2_judged_against_local_macs(mh01) -> None:
    # leaf3's own mac table has 3 learnt MACs; the advertised view says 1 RT2 -> mismatch
    # (leaf1's view as leaf3's: its routes carry leaf3's RD)
    as_leaf3 = fx(LEAF1[platform.show_advertised_evpn("10.0.0.2")]).replace("10.0.0.1:111", "10.0.0.3:111")
    texts = {platform.show_advertised_evpn("10.0.0.1"): as_leaf3,
             platform.show_mac_table("mac-vrf-1"): fx(LEAF3[platform.show_mac_table("mac-vrf-1")])}
    r = evaluate(mh01, "leaf3", texts, checks=["evpn.advertised"])[0]
    assert not r.ok
    assert "leaf3 to 10.0.0.1 RT2 - Expected: 3 Actual: 1" in r.detail
    assert "leaf3 to 10.0.0.1 RT1 - Expected: 0 Actual: 2" in r.detail


# ---------------------------------------------------------------- failures with precise messages
@pytest.mark.parametrize("node,files,check,faults,detail", [
    # degraded fabric (leaf1 e1-1 down) but the healthy transcript: leaf1 must have withdrawn
    # (and which leaf's routes are not as expected: the totals alone do not say)
    ("leaf3", LEAF3, "evpn.received", DOWN, "leaf3 mac-vrf-1 RT1 - Expected: 2 Actual: 4; "
                                            "leaf3 mac-vrf-1 RT1 from leaf1 ES-1 - Expected: 0 Actual: 2"),
    ("leaf2", LEAF2, "evpn.received", DOWN, "leaf2 mac-vrf-1 RT1 - Expected: 0 Actual: 2; "
                                            "leaf2 mac-vrf-1 RT4 - Expected: 0 Actual: 1; "
                                            "leaf2 mac-vrf-1 RT1 from leaf1 ES-1 - Expected: 0 Actual: 2; "
                                            "leaf2 mac-vrf-1 RT4 from leaf1 ES-1 - Expected: 0 Actual: 1"),
    ("leaf1", LEAF1, "lag.up", DOWN, "leaf1 lag1 - Expected: down Actual: up"),
    ("leaf1", LEAF1, "es.oper_up", DOWN, "leaf1 ES-1 oper-state - Expected: down Actual: up"),
    ("leaf1", LEAF1, "lacp.members_in_sync", DOWN,
     "leaf1 lag1 ethernet-1/1 - Expected: not in sync Actual: IN_SYNC/True/True/True"),
    ("leaf1", {platform.show_ethernet_segment("ES-1"): "verifymd_leaf1_show_es_ES-1_detail.txt"}, "es.esi", (),
     f"leaf1 ES-1 esi - Expected: {ESI1} Actual: 00:11:11:11:11:11:11:00:00:01"),
    ("spine1", {platform.SHOW_BGP_NEIGHBORS: "l2evpn_spine1_show_bgp_neighbor.txt"}, "bgp.underlay_established", (),
     "spine1 underlay 192.168.13.1 (leaf3) - Expected: established Actual: absent"),
    ("leaf3", {platform.show_mac_table("mac-vrf-1"): "tutorial_leaf3_show_mac_table_mac-vrf-1.txt"}, "mac.local",
     {("leaf3", "ethernet-1/2")}, None),
])
def test_failures(mh01, node, files, check, faults, detail) -> None:
    r = run(mh01, node, files, [check], faults)[check]
    if detail is None:
        assert r.ok and "00:c1:ab:00:00:22" not in r.expected.__repr__()
    else:
        assert (r.ok, r.detail) == (False, detail)


def test_lacp_key_priority_and_mode_are_the_intents(mh01) -> None:
    """Both ES peers must present one LACP system and key to the CE bond: the tutorial's
    leaf1 does (key 11, priority 11, ACTIVE); a leaf2 edited to key 99 / priority 99 does not."""
    healthy = run(mh01, "leaf1", LEAF1, ["lacp.members_in_sync"])["lacp.members_in_sync"]
    assert healthy.ok
    assert {k: healthy.observed[k] for k in ("lag1 system-priority", "lag1 mode", "lag1 ethernet-1/1 key")} == {
        "lag1 system-priority": "11", "lag1 mode": "ACTIVE", "lag1 ethernet-1/1 key": "11"}
    text = fx("tutorial_leaf1_show_lag_lag1_lacp_state.txt")
    text = text.replace("System Priority: 11", "System Priority: 99").replace(
        "| 11        | 00:C1:AB: |", "| 99        | 00:C1:AB: |")
    [r] = evaluate(mh01, "leaf1", {platform.show_lacp_state("lag1"): text}, checks=["lacp.members_in_sync"])
    assert (r.ok, r.detail) == (False, "leaf1 lag1 system-priority - Expected: 11 Actual: 99; "
                                       "leaf1 lag1 ethernet-1/1 key - Expected: 11 Actual: 99")


def test_a_lag_member_the_intent_moved_away_fails(mh01) -> None:
    """A CE re-cabled from ethernet-1/1 to ethernet-1/5 in the topology: configure adds
    ethernet-1/5 to lag1 and leaves ethernet-1/1's aggregate-id. lag1 then lists both; the
    old port is no member of the intent's and must fail the check (it passed)."""
    text = fx("tutorial_leaf1_show_lag_lag1_lacp_state.txt")
    rows = text.splitlines()
    first = next(i for i, ln in enumerate(rows) if ln.startswith("| ethernet-1/1 "))
    stale = [ln.replace("ethernet-1/1", "ethernet-1/5").replace("| up        |", "| down      |")
             for ln in rows[first:first + 3]]
    text = "\n".join(rows[:first + 3] + stale + rows[first + 3:])
    [r] = evaluate(mh01, "leaf1", {platform.show_lacp_state("lag1"): text}, checks=["lacp.members_in_sync"])
    assert r.ok is False
    assert r.detail == ("leaf1 lag1 ethernet-1/5 (not in the intent) - Expected: absent Actual: member, down")
    # the intent's own member is still judged as before
    assert r.observed["lag1 ethernet-1/1"] == "IN_SYNC/True/True/True"


def test_vxlan_vni_is_the_intents() -> None:
    """The L2 EVPN tutorial's leaf2 takes VNI 1 in on vxlan1.1; the same table with VNI 2
    (a leaf cut off from the others: its ingress VNI no longer matches what they send)
    fails, and so does a mac-vrf whose vxlan-interface is not configured."""
    fabric = derive_intent(load_topology(ROOT / "inventory" / "evpn-mh01.clab.yml"))
    brief = fx("l2evpn_leaf2_show_tunnel_interface_vxlan_interface_brief.txt")
    [ok] = evaluate(fabric, "leaf2", {platform.SHOW_VXLAN_BRIEF: brief}, checks=["vxlan.vni"])
    assert ok.ok and ok.observed == {"vxlan1.1 type": "bridged", "vxlan1.1 ingress vni": "1"}
    [r] = evaluate(fabric, "leaf2", {platform.SHOW_VXLAN_BRIEF: brief.replace("| 1           |", "| 2           |")},
                   checks=["vxlan.vni"])
    assert (r.ok, r.detail) == (False, "leaf2 vxlan1.1 ingress vni - Expected: 1 Actual: 2")
    [r] = evaluate(fabric, "leaf2", {platform.SHOW_VXLAN_BRIEF: brief.replace("vxlan1.1", "vxlan1.7")},
                   checks=["vxlan.vni"])
    assert (r.ok, r.detail) == (False, "leaf2 vxlan1.1 type - Expected: bridged Actual: absent; "
                                       "leaf2 vxlan1.1 ingress vni - Expected: 1 Actual: absent")
    assert evaluate(fabric, "spine1", {}, checks=["vxlan.vni"]) == []  # no mac-vrf on a spine


def test_session_in_the_intents_group_with_a_peer_the_intent_lacks_fails(mh01) -> None:
    # spine1 of the L2 EVPN transcript peers with leaf1 and leaf2 in eBGP-underlay; an
    # intent without leaf2 (configure never deletes) must name the session left behind
    fabric = mh01.model_copy(deep=True)
    spine1 = fabric.nodes["spine1"]
    spine1.underlay = [u for u in spine1.underlay if u.peer == "leaf1"]
    [r] = evaluate(fabric, "spine1", outputs({platform.SHOW_BGP_NEIGHBORS: "l2evpn_spine1_show_bgp_neighbor.txt"}),
                   checks=["bgp.underlay_established"])
    assert r.expected == {"underlay 192.168.11.1 (leaf1)": "established",
                          "underlay 192.168.12.1 (not in the intent)": "absent"}
    assert (r.ok, r.detail) == (
        False, "spine1 underlay 192.168.12.1 (not in the intent) - Expected: absent Actual: established")
    spine1.underlay_group = "another-group"  # sessions of groups the intent does not own are not ours
    [r] = evaluate(fabric, "spine1", outputs({platform.SHOW_BGP_NEIGHBORS: "l2evpn_spine1_show_bgp_neighbor.txt"}),
                   checks=["bgp.underlay_established"])
    assert r.ok and list(r.expected) == ["underlay 192.168.11.1 (leaf1)"]


def test_degraded_es_peer_is_sole_df(mh01) -> None:
    exp = expected_state(mh01, "leaf2", DOWN)
    assert exp["es.df"] == {"ES-1 mac-vrf-1 candidates": ["10.0.0.2"], "ES-1 mac-vrf-1 DF": "10.0.0.2"}
    assert "es.df" not in expected_state(mh01, "leaf1", DOWN)  # ES down there: no DF role
    assert exp["bgp.overlay_established"] == {"overlay 10.0.0.1": "established", "overlay 10.0.0.3": "established"}
    assert expected_state(mh01, "leaf3", DOWN)["mac.esi_remote"] == {
        "mac-vrf-1 00:c1:ab:00:00:11": f"evpn esi:{ESI1}"}
    # a CE-side fault means the same wire
    assert expected_state(mh01, "leaf1", {("ce1", "eth1")})["lag.up"]["lag1"] == "down"


def test_uplink_down_takes_overlay_down(mh01) -> None:
    exp = expected_state(mh01, "leaf1", {("spine1", "e1-1")})
    assert exp["bgp.underlay_established"] == {"underlay 192.168.11.2 (spine1)": "not established"}
    assert exp["bgp.overlay_established"] == {"overlay 10.0.0.2": "not established",
                                              "overlay 10.0.0.3": "not established"}
    assert "evpn.advertised" not in exp  # no overlay peer to read advertised routes from
    assert expected_state(mh01, "leaf3", {("leaf1", "ethernet-1/49")})["evpn.received"]["mac-vrf-1 RT1"] == 2


def test_lag_up_reads_the_24x_interface_layout(mh01) -> None:
    # SR Linux 24.x+ lists a subinterface's instances under `Network-instances:` as
    # `* Name: <ni> (<type>)` (tests/fixtures/srl24_pe2_show_interface.txt); the 23.x
    # transcript's lag1 in that layout must pass as the transcript itself does
    text = fx("tutorial_leaf1_show_interface_lag1.txt").replace(
        "    Network-instance: mac-vrf-1\n",
        "    Network-instances:\n      * Name: mac-vrf-1 (mac-vrf)\n")
    assert "* Name: mac-vrf-1 (mac-vrf)" in text
    [r] = evaluate(mh01, "leaf1", {platform.show_interface("lag1"): text}, checks=["lag.up"])
    assert r.ok, r.detail
    assert r.observed == {"lag1": "up", "lag1.0 network-instance": "mac-vrf-1"}
    [r] = evaluate(mh01, "leaf1", {platform.show_interface("lag1"): text.replace(
        "mac-vrf-1 (mac-vrf)", "mac-vrf-9 (mac-vrf)")}, checks=["lag.up"])
    assert not r.ok and r.observed["lag1.0 network-instance"] == "mac-vrf-9"


def test_missing_or_failed_command_fails_the_check(mh01) -> None:
    cmd = platform.show_interface("lag1")
    [r] = evaluate(mh01, "leaf1", {cmd: CommandFailure("Error: lag1 does not exist")}, checks=["lag.up"])
    assert not r.ok and r.observed == {"lag1": "absent"}
    assert r.detail == ("leaf1 lag1 - Expected: up Actual: absent; leaf1 lag1.0 network-instance - Expected: "
                        "mac-vrf-1 Actual: absent (`show interface lag1` failed: Error: lag1 does not exist)")
    [r] = evaluate(mh01, "leaf1", {}, checks=["es.df"])
    assert not r.ok and "was not collected" in r.detail
    [r] = evaluate(mh01, "leaf1", {platform.show_ethernet_segment("ES-1"): "garbage"}, checks=["es.df"])
    assert not r.ok and "unexpected output" in r.detail


def test_mac_not_learnt_is_reported(mh01) -> None:
    empty = "Mac-table of network instance mac-vrf-1\nTotal Learnt Macs : 0 Total 0 Active\n"
    [r] = evaluate(mh01, "leaf3", {platform.show_mac_table("mac-vrf-1"): empty}, checks=["mac.esi_remote"])
    assert r.detail == "leaf3 mac-vrf-1 00:c1:ab:00:00:11 - Expected: evpn esi:01:11:11:11:11:11:11:00:00:01 Actual: absent (not learnt: no CE traffic yet, or the CE's link down?)"


def test_commands_and_names(mh01) -> None:
    assert commands_for(mh01, "spine1") == [platform.SHOW_BGP_NEIGHBORS]
    assert commands_for(mh01, "leaf1", checks=["es.oper_up", "es.df"]) == [platform.show_ethernet_segment("ES-1")]
    assert commands_for(mh01, "leaf3", checks=["lag.up"]) == []
    assert CHECK_NAMES[:3] == ["lag.up", "lacp.members_in_sync", "es.oper_up"]
    with pytest.raises(UserInputError, match=r"unknown check 'lag\.upp'"):
        commands_for(mh01, "leaf1", checks=["lag.upp"])


# ---------------------------------------------------------------- 2 spines, 4 leaves, 2 ES
def test_two_es_fabric_expectations(big) -> None:
    assert sorted(big.ethernet_segments) == ["ES-1", "ES-2"]
    leaf1 = expected_state(big, "leaf1")
    # RT4: ES-1's (leaf2) and ES-2's (leaf3, leaf4): both ESIs have ES-import RT 11:11:11:11:11:11
    assert leaf1["evpn.received"] == {"mac-vrf-1 RT1": 6, "mac-vrf-1 RT3": 3, "mac-vrf-1 RT4": 3}
    assert leaf1["bgp.underlay_established"] == {
        "underlay 192.168.11.2 (spine1)": "established", "underlay 192.168.21.2 (spine2)": "established"}
    es2 = big.ethernet_segments["ES-2"]
    assert leaf1["mac.esi_remote"] == {f"mac-vrf-1 {es2.ce_mac}": f"evpn esi:{es2.esi}"}
    assert expected_state(big, "leaf3")["es.df"] == {
        "ES-2 mac-vrf-1 candidates": ["10.0.0.3", "10.0.0.4"], "ES-2 mac-vrf-1 DF": "10.0.0.4"}
    # one uplink down: the other spine keeps the overlay up
    one = expected_state(big, "leaf1", {("leaf1", "ethernet-1/49")})
    assert set(one["bgp.overlay_established"].values()) == {"established"}
    # both uplinks down: leaf1 is cut off, the others lose its RT1/RT4
    cut = {("leaf1", "ethernet-1/49"), ("leaf1", "ethernet-1/50")}
    assert expected_state(big, "leaf2", cut)["evpn.received"] == {"mac-vrf-1 RT1": 4, "mac-vrf-1 RT3": 2, "mac-vrf-1 RT4": 2}
    assert expected_state(big, "leaf4", cut)["evpn.received"]["mac-vrf-1 RT1"] == 4  # leaf2 ES-1 + leaf3 ES-2


def test_route_reflector_counts_one_path_per_rr(big) -> None:
    from nornir_evpn.topology import load_topology as lt
    rr = derive_intent(lt(FIXTURES / "fabric-2s4l2es.clab.yml"), overlay_mode="route-reflector")
    assert expected_state(rr, "leaf1")["evpn.received"] == {"mac-vrf-1 RT1": 12, "mac-vrf-1 RT3": 6, "mac-vrf-1 RT4": 6}
    assert "evpn.received" not in expected_state(rr, "spine1")


def test_rt4_follows_the_es_import_route_target_not_the_esi(big) -> None:
    """A PE imports the RT4 routes whose ES-import RT (ESI octets 2-7, RFC 7432 7.6) one of its
    own ESes has. The generated ESIs share those octets, so every ES leaf holds every ES's
    RT4: expecting only its own ES's gave a false FAIL on a real fabric of two ESes or more."""
    from nornir_evpn.validation import es_import_rt

    assert es_import_rt("01:11:11:11:11:11:11:00:00:02") == es_import_rt("01:11:11:11:11:11:11:00:00:01")
    assert es_import_rt("01:12:00:00:00:00:00:00:00:00") == "12:00:00:00:00:00"
    other = big.model_copy(deep=True)
    other.ethernet_segments["ES-2"].esi = "01:22:22:22:22:22:22:00:00:02"  # its own RT
    assert expected_state(other, "leaf1")["evpn.received"]["mac-vrf-1 RT4"] == 1  # leaf2's ES-1 only
    assert expected_state(other, "leaf3")["evpn.received"]["mac-vrf-1 RT4"] == 1  # leaf4's ES-2 only


def test_lag_down_names_sr_linux_s_reason(mh01) -> None:
    """The failure says why the LAG is down: an operator's shut (`port-admin-disabled`) or no
    member with link (`no-active-links`), from the first line of `show interface` (the
    srl-a transcript's lag5 block, renamed to the intent's lag1); the reason is not part of
    the compared value."""
    whole = fx("srldocs_srla_show_interface_lag5_down.txt")  # every interface: lag5's block only
    text = whole[: whole.index("\n" + "-" * 40)].replace("lag5", "lag1").replace(
        "    Network-instances:\n", "    Network-instances:\n      * Name: mac-vrf-1 (mac-vrf)\n")
    cmd = platform.show_interface("lag1")
    [r] = evaluate(mh01, "leaf1", {cmd: text}, checks=["lag.up"])
    assert r.detail == "leaf1 lag1 - Expected: up Actual: down (no-active-links)"
    assert r.observed == {"lag1": "down", "lag1.0 network-instance": "mac-vrf-1"}
    [r] = evaluate(mh01, "leaf1", {cmd: text}, checks=["lag.up"], faults=DOWN)
    assert r.ok, r.detail  # expected down: the reason does not spoil the comparison
    shut = text.replace("reason no-active-links", "reason port-admin-disabled")
    [r] = evaluate(mh01, "leaf1", {cmd: shut}, checks=["lag.up"])
    assert r.detail == "leaf1 lag1 - Expected: up Actual: down (port-admin-disabled)"
    import json
    assert json.loads(json.dumps(r.as_dict()))["observed"]["lag1"] == "down"


def test_a_failed_check_names_the_commands_it_read(mh01) -> None:
    """What to open in `verify --outputs DIR`: the `show` commands behind a failure (a new
    "commands" key; "detail" unchanged), none for a pass."""
    from nornir_evpn.reporting.verify import failure_text

    text = fx("tutorial_leaf1_show_interface_lag1.txt")
    cmd = platform.show_interface("lag1")
    [ok] = evaluate(mh01, "leaf1", {cmd: text}, checks=["lag.up"])
    assert ok.ok and ok.as_dict()["commands"] == []
    [bad] = evaluate(mh01, "leaf1", {cmd: text}, checks=["lag.up"], faults=DOWN)
    assert bad.as_dict()["commands"] == ["show interface lag1"]
    assert failure_text(bad.as_dict()) == "leaf1 lag1 - Expected: down Actual: up (from: show interface lag1)"
    [gone] = evaluate(mh01, "leaf1", {}, checks=["es.df"])  # an output missing: the same
    assert gone.commands == [platform.show_ethernet_segment("ES-1")]


def test_every_check_class_is_in_the_catalog_once() -> None:
    """A check class left out of CATALOG runs nowhere, and two checks of one name made one
    silently stand in for the other (contributor tester)."""
    import importlib
    import inspect
    import pkgutil

    import nornir_evpn.checks as package
    from nornir_evpn.checks.base import Check
    from nornir_evpn.checks.catalog import CATALOG, _catalog

    defined = set()
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        defined |= {c for _, c in inspect.getmembers(module, inspect.isclass)
                    if issubclass(c, Check) and c.__module__ == module.__name__
                    and not c.__name__.startswith("_") and c is not Check}
    assert defined == {type(c) for c in CATALOG.values()}
    first = next(iter(CATALOG.values()))
    with pytest.raises(RuntimeError, match=f"two checks named '{first.name}'"):
        _catalog(first, type(first)())


def test_the_readme_lists_every_check_in_catalog_order() -> None:
    """The README's table of checks went stale with no test failing (contributor tester)."""
    import re
    from pathlib import Path

    from nornir_evpn.checks.catalog import CHECK_NAMES

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("### The checks\n", 1)[1].split("\n### ", 1)[0]
    assert re.findall(r"^\| `([\w.]+)` \|", section, re.M) == CHECK_NAMES


def test_a_failing_check_names_the_commands_it_read_not_all_it_may_read(mh01) -> None:
    """mac.esi_remote may read the BGP sessions (to say no RT2 can arrive) but reads them only
    for a MAC that is absent: a MAC against the wrong ESI rests on the MAC table alone, and
    naming the session table too sent the operator to the wrong output (contributor tester)."""
    table = fx("tutorial_leaf3_show_mac_table_mac-vrf-1.txt").replace(
        "esi:01:11:11:11:11:11:11:00:00:01", "esi:01:11:11:11:11:11:11:00:00:09")
    mac_table = platform.show_mac_table("mac-vrf-1")
    [r] = evaluate(mh01, "leaf3", {mac_table: table, platform.SHOW_BGP_NEIGHBORS: fx(
        "l2evpn_spine1_show_bgp_neighbor.txt")}, checks=["mac.esi_remote"])
    assert not r.ok and r.observed == {"mac-vrf-1 00:c1:ab:00:00:11": "evpn esi:01:11:11:11:11:11:11:00:00:09"}
    assert r.commands == [mac_table]


def test_a_long_failure_is_shortened_on_the_console_only() -> None:
    """A fresh lab's mac.esi_remote on 16 leaves with 280 remote CEs each printed 16 lines
    of 44 KB: the console shows the first items and counts the rest; the detail (--json,
    --junit) keeps every one."""
    from nornir_evpn.checks.base import mismatch_items
    from nornir_evpn.checks.model import CheckResult
    from nornir_evpn.reporting.verify import SHOWN_ITEMS, failure_text

    expected = {f"mac-vrf-1 00:c1:ab:00:00:{i:02x}": f"evpn esi:{i}" for i in range(40)}
    observed = dict.fromkeys(expected, "absent")
    observed["mac-vrf-1 00:c1:ab:00:00:00"] = "evpn esi:0"  # one holds
    bad = [k for k in expected if observed[k] != expected[k]]
    detail = "; ".join(mismatch_items("leaf3", expected, observed, bad)) + " (output unreadable)"
    c = CheckResult("leaf3", "mac.esi_remote", False, expected, observed, detail, ["show x"]).as_dict()
    full = failure_text(c)
    assert full == detail + " (from: show x)"
    short = failure_text(c, limit=SHOWN_ITEMS)
    assert short.count(" - Expected: ") == SHOWN_ITEMS
    assert short.startswith("leaf3 mac-vrf-1 00:c1:ab:00:00:01 - Expected: evpn esi:1 Actual: absent; ")
    assert short.endswith(f"; ... and {39 - SHOWN_ITEMS} more item(s), each Actual: absent "
                          "(39 in all: --json has each) (output unreadable) (from: show x)")
    few = dict(c, expected=dict(list(expected.items())[:3]))
    few["detail"] = "; ".join(mismatch_items("leaf3", few["expected"], observed, list(few["expected"])[1:]))
    assert failure_text(few, limit=SHOWN_ITEMS) == few["detail"] + " (from: show x)"  # nothing to cut
    odd = dict(c, detail="leaf3 could not read: Error: x")  # not made of the items: as it is
    assert failure_text(odd, limit=SHOWN_ITEMS) == "leaf3 could not read: Error: x (from: show x)"


def test_shorten_detail_cuts_at_items_of_its_host() -> None:
    """failover-test's pre-check table and never-held rows: the first items, then a count."""
    from nornir_evpn.reporting.common import shorten_detail

    detail = "; ".join(f"leaf1 mac-vrf-1 m{i} - Expected: evpn Actual: absent" for i in range(8))
    assert shorten_detail(detail, "leaf1", 8) == detail
    assert shorten_detail(detail, "leaf1", 3) == (
        "leaf1 mac-vrf-1 m0 - Expected: evpn Actual: absent; leaf1 mac-vrf-1 m1 - Expected: evpn "
        "Actual: absent; leaf1 mac-vrf-1 m2 - Expected: evpn Actual: absent; ... and 5 more "
        "item(s) (8 in all: --json has each)")
    assert shorten_detail("leaf1 unreachable: timeout", "leaf1", 1) == "leaf1 unreachable: timeout"


def test_a_lag_member_missing_from_the_lacp_table_fails_as_absent(mh01) -> None:
    """The intent's member not listed under the LAG at all (its aggregate-id removed by hand,
    the port re-cabled): no test reached that branch. It must fail, every value of it absent,
    not pass on the LAG's own fields."""
    rows = fx("tutorial_leaf1_show_lag_lag1_lacp_state.txt").splitlines()
    first = next(i for i, ln in enumerate(rows) if ln.startswith("| ethernet-1/1 "))
    text = "\n".join(rows[:first] + rows[first + 3:])
    [r] = evaluate(mh01, "leaf1", {platform.show_lacp_state("lag1"): text}, checks=["lacp.members_in_sync"])
    assert r.ok is False
    assert r.observed["lag1 ethernet-1/1"] == "absent"
    assert r.observed["lag1 system-id"] == "00:00:00:00:00:11"  # the LAG itself still read
    assert r.detail.startswith("leaf1 lag1 ethernet-1/1 - Expected: IN_SYNC/True/True/True Actual: absent")


def test_an_es_whose_candidates_name_no_df_fails_es_df(mh01) -> None:
    """A DF election not finished (or lost from the output): no peer marked `(DF)`. The
    parser's "no DF" answer never reached a check; es.df must fail on it, naming none."""
    text = fx("tutorial_leaf1_show_es_ES-1_detail.txt").replace("10.0.0.2 (DF)", "10.0.0.2")
    [r] = evaluate(mh01, "leaf1", {platform.show_ethernet_segment("ES-1"): text}, checks=["es.df"])
    assert r.ok is False
    assert r.observed == {"ES-1 mac-vrf-1 candidates": ["10.0.0.1", "10.0.0.2"], "ES-1 mac-vrf-1 DF": None}
    assert r.detail == "leaf1 ES-1 mac-vrf-1 DF - Expected: 10.0.0.2 Actual: None"


def test_a_table_cut_short_fails_its_check_and_says_so(mh01) -> None:
    """An answer cut before its table's closing border (a session dropped mid-output): the
    parser's "not closed" refusal was never reached by a test. The check must fail with
    that cause, not judge the rows it happened to get."""
    text = fx("tutorial_leaf1_show_lag_lag1_lacp_state.txt")
    cut = text[:text.rindex("+--------------+")]
    [r] = evaluate(mh01, "leaf1", {platform.show_lacp_state("lag1"): cut}, checks=["lacp.members_in_sync"])
    assert r.ok is False
    assert r.observed == {}
    assert "is not closed" in r.detail and r.detail.startswith("leaf1 ")
