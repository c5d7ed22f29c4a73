"""verify against the digital twin.

Part 1 drives the twin's fabric model directly (its `show` text, no SSH): the whole
catalog on every node, healthy / before multi-homing / degraded / misconfigured.
Part 2 runs `python -m nornir_evpn verify --twin --json` in-process against a served twin
(SSH on 127.0.0.1), so the Nornir task, scrapli batch, reporting and exit codes are real.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from nornir_evpn import __version__
from nornir_evpn.checks import CommandFailure, commands_for, evaluate
from nornir_evpn.intent import FabricIntent, derive_intent
from nornir_evpn.topology import load_topology

fabric_lab = pytest.importorskip("nornir_evpn.twin.fabric_lab")
show_render = pytest.importorskip("nornir_evpn.twin.show_render")
UnknownCommand = pytest.importorskip("nornir_evpn.twin.cli_engine").UnknownCommand
NoSuchEntry = pytest.importorskip("nornir_evpn.twin.cli_engine").NoSuchEntry

ROOT = Path(__file__).resolve().parents[1]
TOPOLOGY = ROOT / "inventory" / "evpn-mh01.clab.yml"
BIG = ROOT / "tests" / "fixtures" / "fabric-2s4l2es.clab.yml"
CE2_IPS = ("192.168.0.21", "192.168.0.22", "192.168.0.23")
MH_CHECKS = {"lag.up", "lacp.members_in_sync", "es.oper_up", "es.esi", "es.df"}
WRONG_ESI = ("set / system network-instance protocols evpn ethernet-segments bgp-instance 1 "
             "ethernet-segment ES-1 esi 01:11:11:11:11:11:11:00:00:02\n")


@pytest.fixture(scope="module")
def intent() -> FabricIntent:
    return derive_intent(load_topology(TOPOLOGY))


def _lab(mh: bool = True, traffic: bool = True):
    fabric, running = fabric_lab.boot_lab()
    if mh:
        for leaf in ("leaf1", "leaf2"):
            running[leaf] = fabric_lab.with_lines(running[leaf], fabric_lab.MH_CONFIG)
            fabric.on_commit(leaf, running[leaf])
    if traffic:
        for ip in CE2_IPS:
            fabric.probe("ce1", ip)
    return fabric, running, show_render.FabricShow(fabric)


def _show(show, node: str, command: str) -> str | CommandFailure:
    try:
        return show.show(node, command)
    except NoSuchEntry as exc:  # what the CLI prints as an `Error:` line
        return CommandFailure(f"Error: {exc} is not configured")
    except UnknownCommand as exc:
        return CommandFailure(f"Error: unknown {exc}")


def _verify(intent: FabricIntent, show, faults=()) -> dict[str, dict[str, object]]:
    """{node: {check: result}} over every SR Linux node."""
    out = {}
    for node in intent.nodes:
        outputs = {c: _show(show, node, c) for c in commands_for(intent, node, faults=faults)}
        out[node] = {r.check: r for r in evaluate(intent, node, outputs, faults=faults)}
    return out


def _failed(results) -> dict[tuple[str, str], str]:
    return {(n, c): r.detail for n, rs in results.items() for c, r in rs.items() if not r.ok}


# ------------------------------------------------------------------ part 1: fabric model
def test_tutorial_state_passes_every_check(intent) -> None:
    _, _, show = _lab()
    results = _verify(intent, show)
    assert _failed(results) == {}
    assert set(results["leaf1"]) == MH_CHECKS | {"bgp.underlay_established", "bgp.overlay_established",
                                                 "evpn.advertised", "evpn.received", "vxlan.vni"}
    assert set(results["leaf3"]) == {"access.up", "bgp.underlay_established", "bgp.overlay_established",
                                     "evpn.advertised", "evpn.received", "vxlan.vni", "mac.esi_remote", "mac.local"}
    assert results["leaf3"]["access.up"].observed == {
        "ethernet-1/1": "up", "ethernet-1/1.0 network-instance": "mac-vrf-1",
        "ethernet-1/2": "up", "ethernet-1/2.0 network-instance": "mac-vrf-1",
        "ethernet-1/3": "up", "ethernet-1/3.0 network-instance": "mac-vrf-1"}
    assert results["leaf3"]["evpn.received"].observed == {"mac-vrf-1 RT1": 4, "mac-vrf-1 RT3": 2, "mac-vrf-1 RT4": 0}
    assert results["leaf2"]["es.df"].observed["ES-1 mac-vrf-1 DF"] == "10.0.0.2"


def test_before_multihoming_the_mh_checks_fail(intent) -> None:
    _, _, show = _lab(mh=False, traffic=False)
    failed = _failed(_verify(intent, show))
    for leaf in ("leaf1", "leaf2"):
        for check in MH_CHECKS - {"es.df"}:
            assert (leaf, check) in failed
    assert failed[("leaf3", "evpn.received")].startswith("leaf3 mac-vrf-1 RT1 - Expected: 4 Actual: 0")
    assert "leaf1 lag1 - Expected: up Actual:" in failed[("leaf1", "lag.up")]
    assert not any(c.startswith("bgp.") for _, c in failed)
    # what the matrix's `absent` cells have in common, said once (a brownfield fabric's names)
    from nornir_evpn.reporting.verify import absent_objects_note

    results = _verify(intent, show)
    entries = {n: {"checks": [r.as_dict() for r in rs.values()]} for n, rs in results.items()}
    assert absent_objects_note(entries) == [
        "absent: lag1 on leaf1, leaf2; ES-1 on leaf1, leaf2. Not configured yet (`configure`), or configured "
        "by hand under other names (README, A fabric configured by hand: what the intent can take over)"]
    unreadable = {n: {"checks": [{**c, "detail": c["detail"].replace("` failed: Error: interface lag1 is not configured",
                                                                      "`: unexpected output (no table)")}
                                 for c in e["checks"]]} for n, e in entries.items()}
    assert "lag1 on" not in "".join(absent_objects_note(unreadable))  # unreadable is not absent (review)
    _, _, healthy = _lab()
    assert absent_objects_note({n: {"checks": [r.as_dict() for r in rs.values()]}
                                for n, rs in _verify(intent, healthy).items()}) == []

# leaf1's ES down and its RT1 still expected: the count, and whose routes are missing
LEAF3_RT1_DOWN = ("leaf3 mac-vrf-1 RT1 - Expected: 4 Actual: 2; "
                  "leaf3 mac-vrf-1 RT1 from leaf1 ES-1 - Expected: 2 Actual: 0")


def test_member_down_degraded_expectations(intent) -> None:
    fabric, _, show = _lab()
    fabric.set_link("leaf1:e1-1", "ce1:eth1", up=False)
    faults = {("leaf1", "ethernet-1/1")}
    assert _failed(_verify(intent, show, faults)) == {}
    # judged as healthy, the same state fails exactly where the fault shows
    failed = _failed(_verify(intent, show))
    assert {n for n, _ in failed} == {"leaf1", "leaf2", "leaf3"}
    assert failed[("leaf3", "evpn.received")] == LEAF3_RT1_DOWN
    assert "leaf1 lag1 - Expected: up Actual: down" in failed[("leaf1", "lag.up")]
    assert ("leaf3", "mac.esi_remote") not in failed and ("spine1", "bgp.underlay_established") not in failed


def test_session_down_fails_bgp_checks_on_both_ends(intent) -> None:
    fabric, _, show = _lab()
    fabric.set_link("leaf3:e1-49", "spine1:e1-3", up=False)
    failed = _failed(_verify(intent, show))
    assert "leaf3 underlay 192.168.13.2 (spine1) - Expected: established" in failed[("leaf3", "bgp.underlay_established")]
    assert "spine1 underlay 192.168.13.1 (leaf3) - Expected: established" in failed[("spine1", "bgp.underlay_established")]
    assert ("leaf1", "bgp.overlay_established") in failed and ("leaf1", "lag.up") not in failed


def test_wrong_esi_on_leaf2(intent) -> None:
    fabric, running, show = _lab()
    running["leaf2"] = fabric_lab.with_lines(running["leaf2"], WRONG_ESI)
    fabric.on_commit("leaf2", running["leaf2"])
    failed = _failed(_verify(intent, show))
    assert failed[("leaf2", "es.esi")] == (
        "leaf2 ES-1 esi - Expected: 01:11:11:11:11:11:11:00:00:01 Actual: 01:11:11:11:11:11:11:00:00:02")
    assert ("leaf1", "es.esi") not in failed and ("leaf2", "lag.up") not in failed
    assert not any(c.startswith("bgp.") for _, c in failed)


def test_wrong_vni_on_leaf1(intent) -> None:
    """Every session and route count still looks right; only the VNI check sees it."""
    fabric, running, show = _lab()
    running["leaf1"] = fabric_lab.with_lines(
        running["leaf1"], "set / tunnel-interface vxlan1 vxlan-interface 1 ingress vni 2\n")
    fabric.on_commit("leaf1", running["leaf1"])
    assert _failed(_verify(intent, show)) == {
        ("leaf1", "vxlan.vni"): "leaf1 vxlan1.1 ingress vni - Expected: 1 Actual: 2"}
    # and the data plane agrees: flows that hash to leaf1 no longer reach leaf3's CE
    probes = [fabric.probe("ce1", ip) for ip in CE2_IPS]
    assert [p.delivered for p in probes] == [False, True, False]
    assert probes[0].reason == "leaf1: VTEP 10.0.0.3 sends VNI 1, not 2"



def test_a_second_mac_vrf_of_ones_own_leaves_the_first_one_forwarding() -> None:
    """The twin kept one VNI per VTEP (the last IMET route's): a second mac-vrf (VNI 2) on
    every leaf made each VTEP look like the wrong VNI for mac-vrf-1, and all CE traffic was
    dropped (a template tester's custom templates). SR Linux keys it per mac-vrf."""
    fabric, running, _show = _lab(traffic=False)
    second = "".join(f"set / {line}\n" for line in (
        "tunnel-interface vxlan1 vxlan-interface 2 type bridged",
        "tunnel-interface vxlan1 vxlan-interface 2 ingress vni 2",
        "network-instance mac-vrf-2 type mac-vrf",
        "network-instance mac-vrf-2 admin-state enable",
        "network-instance mac-vrf-2 vxlan-interface vxlan1.2",
        "network-instance mac-vrf-2 protocols bgp-evpn bgp-instance 1 admin-state enable",
        "network-instance mac-vrf-2 protocols bgp-evpn bgp-instance 1 vxlan-interface vxlan1.2",
        "network-instance mac-vrf-2 protocols bgp-evpn bgp-instance 1 evi 222",
        "network-instance mac-vrf-2 protocols bgp-vpn bgp-instance 1 route-target export-rt target:100:222",
        "network-instance mac-vrf-2 protocols bgp-vpn bgp-instance 1 route-target import-rt target:100:222",
    ))
    for leaf in ("leaf1", "leaf2", "leaf3"):
        running[leaf] = fabric_lab.with_lines(running[leaf], second)
        fabric.on_commit(leaf, running[leaf])
    for ip in CE2_IPS:
        fabric.probe("ce1", ip)  # MACs learnt
    probes = [fabric.probe("ce1", ip) for ip in CE2_IPS]
    assert [p.delivered for p in probes] == [True, True, True], [p.reason for p in probes]


def _tenant_b(port: str, name: str = "tenant-b") -> str:
    """A mac-vrf of the operator's own (EVI 222, VLAN 10 on `port`): the multi-tenant tester's."""
    return "".join(f"set / {line.replace('tenant-b', name)}\n" for line in (
        f"interface {port} subinterface 10 type bridged",
        f"interface {port} subinterface 10 vlan encap single-tagged vlan-id 10",
        "tunnel-interface vxlan1 vxlan-interface 222 type bridged",
        "tunnel-interface vxlan1 vxlan-interface 222 ingress vni 222",
        "network-instance tenant-b type mac-vrf",
        "network-instance tenant-b admin-state enable",
        f"network-instance tenant-b interface {port}.10",
        "network-instance tenant-b vxlan-interface vxlan1.222",
        "network-instance tenant-b protocols bgp-evpn bgp-instance 1 admin-state enable",
        "network-instance tenant-b protocols bgp-evpn bgp-instance 1 vxlan-interface vxlan1.222",
        "network-instance tenant-b protocols bgp-evpn bgp-instance 1 evi 222",
        "network-instance tenant-b protocols bgp-vpn bgp-instance 1 route-target export-rt target:100:222",
        "network-instance tenant-b protocols bgp-vpn bgp-instance 1 route-target import-rt target:100:222",
    ))


def test_a_tenant_of_ones_own_is_not_the_intents_to_count(intent) -> None:
    """Another mac-vrf on the same leaves and ES: the EVPN checks counted every EVI's routes
    (leaf1 received RT1 6 for 2, RT3 6 for 2), verify failed a healthy fabric and
    failover-test refused it (multi-tenant tester). Its routes carry its own RD (<ip>:222)."""
    fabric, running, show = _lab()
    for leaf, port in (("leaf1", "lag1"), ("leaf2", "lag1"), ("leaf3", "ethernet-1/1")):
        running[leaf] = fabric_lab.with_lines(running[leaf], _tenant_b(port))
        fabric.on_commit(leaf, running[leaf])
    summary = show.show("leaf1", "show network-instance default protocols bgp routes evpn route-type summary")
    assert "10.0.0.2:222" in summary  # the tenant's routes are there
    assert _failed(_verify(intent, show)) == {}
    # ... and a tenant's routes do not stand in for the intent's missing ones: leaf3's
    # mac-vrf-1 stops advertising, its RT3 count must not be made up by tenant-b's
    running["leaf3"] = fabric_lab.with_lines(
        running["leaf3"], "set / network-instance mac-vrf-1 protocols bgp-evpn bgp-instance 1 admin-state disable\n")
    fabric.on_commit("leaf3", running["leaf3"])
    failed = _failed(_verify(intent, show))
    assert "leaf3 to 10.0.0.1 RT3 - Expected: 1 Actual: 0" in failed[("leaf3", "evpn.advertised")]
    assert "leaf1 mac-vrf-1 RT3 - Expected: 2 Actual: 1" in failed[("leaf1", "evpn.received")]


def test_a_ces_untagged_frames_stay_out_of_a_tenants_vlan(intent) -> None:
    """The twin bridged a CE's untagged frames into the first mac-vrf with any subinterface of
    its port: a tenant named before mac-vrf-1 (`a-tenant`, VLAN 10 on lag1) took ce1's MACs
    (multi-tenant tester). Only an untagged subinterface takes them, as on SR Linux."""
    fabric, running, show = _lab(traffic=False)
    for leaf, port in (("leaf1", "lag1"), ("leaf2", "lag1"), ("leaf3", "ethernet-1/1")):
        running[leaf] = fabric_lab.with_lines(running[leaf], _tenant_b(port, "a-tenant"))
        fabric.on_commit(leaf, running[leaf])
    for ip in CE2_IPS:
        fabric.probe("ce1", ip)
    assert "00:C1:AB:00:00:11" in show.show("leaf1", "show network-instance mac-vrf-1 bridge-table mac-table all")
    assert _failed(_verify(intent, show)) == {}


ES_T = "".join(f"set / system network-instance protocols evpn ethernet-segments bgp-instance 1 "
               f"ethernet-segment ES-T {leaf}\n" for leaf in (
                   "admin-state enable", "esi 01:11:11:11:11:11:11:00:00:09", "interface ethernet-1/3",
                   "multi-homing-mode all-active"))


def test_an_es_of_ones_own_neither_fails_nor_stands_in(intent) -> None:
    """An ES configured by hand on leaf3, its ESI numbered like the intent's (same octets
    2-7, so leaf3 imports ES-1's RT4 too): verify failed a healthy fabric; and with leaf1's
    ES-1 down, its routes made up leaf2's received counts (review)."""
    fabric, running, show = _lab()
    running["leaf3"] = fabric_lab.with_lines(running["leaf3"], ES_T)
    fabric.on_commit("leaf3", running["leaf3"])
    assert _failed(_verify(intent, show)) == {}
    running["leaf1"] = fabric_lab.with_lines(running["leaf1"], (
        "set / system network-instance protocols evpn ethernet-segments bgp-instance 1 "
        "ethernet-segment ES-1 admin-state disable\n"))
    fabric.on_commit("leaf1", running["leaf1"])
    received = _failed(_verify(intent, show))[("leaf2", "evpn.received")]
    assert "leaf2 mac-vrf-1 RT1 - Expected: 2 Actual: 0" in received, received
    assert "leaf2 mac-vrf-1 RT4 - Expected: 1 Actual: 0" in received, received

def test_access_port_down_or_out_of_the_mac_vrf(intent) -> None:
    """Named as what it is, not only as a CE MAC not learnt."""
    fabric, running, show = _lab()
    fabric.set_link("leaf3:e1-2", "ce2:eth2", up=False)
    running["leaf3"] = fabric_lab.with_lines(running["leaf3"], "")
    running["leaf3"].delete(("network-instance", "mac-vrf-1", "interface", "ethernet-1/1.0"))
    fabric.on_commit("leaf3", running["leaf3"])
    failed = _failed(_verify(intent, show))
    assert failed[("leaf3", "access.up")] == (
        "leaf3 ethernet-1/1.0 network-instance - Expected: mac-vrf-1 Actual: absent; "
        "leaf3 ethernet-1/2 - Expected: up Actual: down (lower-layer-down)")  # no link, not a shut
    # the port out of the mac-vrf took its learnt MAC with it (SR Linux flushes it)
    assert "leaf3 mac-vrf-1 00:c1:ab:00:00:21 - Expected: learnt ethernet-1/1.0 Actual: absent" in failed[
        ("leaf3", "mac.local")]


def test_a_ces_subinterface_disabled_by_hand_under_an_up_lag_fails(intent) -> None:
    """`set / interface lag1 subinterface 0 admin-state disable` on leaf1: LACP and the ES
    stay up, the CE keeps hashing onto the link and its frames go nowhere; verify said PASS
    (it read only the subinterface's network-instance). An access port alike."""
    fabric, running, show = _lab()
    running["leaf1"] = fabric_lab.with_lines(running["leaf1"], "set / interface lag1 subinterface 0 admin-state disable")
    fabric.on_commit("leaf1", running["leaf1"])
    running["leaf3"] = fabric_lab.with_lines(running["leaf3"],
                                             "set / interface ethernet-1/1 subinterface 0 admin-state disable")
    fabric.on_commit("leaf3", running["leaf3"])
    failed = _failed(_verify(intent, show))
    assert failed[("leaf1", "lag.up")] == "leaf1 lag1 - Expected: up Actual: up, lag1.0 down (admin-disabled)"
    assert failed[("leaf3", "access.up")] == (
        "leaf3 ethernet-1/1 - Expected: up Actual: up, ethernet-1/1.0 down (admin-disabled)")
    assert ("leaf2", "lag.up") not in failed


def test_a_neighbor_or_es_deleted_by_hand_is_named_once_and_not_as_a_twin_gap(intent) -> None:
    """leaf3's iBGP neighbor 10.0.0.1 deleted: evpn.advertised reported it a second time
    (its advertised-routes read failing), and a deleted ES read "not modelled by the digital
    twin" where the device says it is not configured."""
    fabric, running, show = _lab()
    running["leaf3"].delete(("network-instance", "default", "protocols", "bgp", "neighbor", "10.0.0.1"))
    fabric.on_commit("leaf3", running["leaf3"])
    running["leaf2"].delete(("system", "network-instance", "protocols", "evpn", "ethernet-segments",
                             "bgp-instance", "1", "ethernet-segment", "ES-1"))
    fabric.on_commit("leaf2", running["leaf2"])
    failed = _failed(_verify(intent, show))
    assert "leaf3 overlay 10.0.0.1 - Expected: established Actual: absent" in failed[
        ("leaf3", "bgp.overlay_established")]
    assert ("leaf3", "evpn.advertised") not in failed
    assert "not modelled" not in failed[("leaf2", "es.oper_up")]
    assert "ethernet-segment ES-1 is not configured" in failed[("leaf2", "es.oper_up")]


def test_a_ce_mac_no_rt2_can_bring_says_so_not_no_traffic(intent) -> None:
    """leaf3's overlay sessions to both ES peers down: mac.esi_remote said `absent (not learnt:
    no CE traffic yet ...)` and the report's hint sent the operator to `twin traffic`, while
    the device showed why no RT2 could arrive (an on-call test)."""
    fabric, running, show = _lab()
    for peer in ("10.0.0.1", "10.0.0.2"):
        running["leaf3"] = fabric_lab.with_lines(
            running["leaf3"], f"set / network-instance default protocols bgp neighbor {peer} admin-state disable\n")
    fabric.on_commit("leaf3", running["leaf3"])
    failed = _failed(_verify(intent, show))
    detail = failed[("leaf3", "mac.esi_remote")]
    assert "Actual: absent (no RT2 can arrive: overlay to 10.0.0.1, 10.0.0.2 not established)" in detail, detail
    assert "no CE traffic" not in detail


def _big_fabric(overlay: str = "full-mesh"):
    """fabric-2s4l2es configured by configure's own templates (all features) in the model."""
    from nornir_evpn.render import FEATURES, Renderer
    from nornir_evpn.twin.fabric import Fabric

    topo = load_topology(BIG)
    intent = derive_intent(topo, overlay_mode=overlay)
    fabric = Fabric(topo)
    running = fabric_lab.startup_configs(topo)
    fabric.load_configs(running)
    renderer = Renderer()
    for name, node in intent.nodes.items():
        lines = [line for feature in renderer.render(node, intent, FEATURES).values() for line in feature]
        running[name] = fabric_lab.with_lines(running[name], "\n".join(lines) + "\n")
        fabric.on_commit(name, running[name])
    assert fabric.probe("mhce1", "172.30.0.12").delivered and fabric.probe("mhce2", "172.30.0.11").delivered
    return intent, fabric, show_render.FabricShow(fabric)


@pytest.mark.parametrize("links,faults,leaf4_candidates", [
    ((), set(), ["10.0.0.3", "10.0.0.4"]),
    ((("leaf3:e1-1", "mhce2:eth1"),), {("leaf3", "ethernet-1/1")}, ["10.0.0.4"]),
    ((("leaf1:e1-49", "spine1:e1-1"), ("leaf1:e1-50", "spine2:e1-1")),
     {("leaf1", "ethernet-1/49"), ("leaf1", "ethernet-1/50")}, ["10.0.0.3", "10.0.0.4"]),
])
def test_two_spine_four_leaf_two_es_fabric(links, faults, leaf4_candidates) -> None:
    intent, fabric, show = _big_fabric()
    for a, b in links:
        fabric.set_link(a, b, up=False)
    results = _verify(intent, show, faults)
    assert _failed(results) == {}
    assert results["leaf4"]["es.df"].observed["ES-2 mac-vrf-1 candidates"] == leaf4_candidates
    assert results["leaf1"]["mac.esi_remote"].ok and list(results["spine2"]) == ["bgp.underlay_established"]


def test_route_reflector_fabric_verifies_with_a_path_per_reflector() -> None:
    """Two spine RRs: every leaf holds each route twice (one path per RR), as SR Linux lists it."""
    intent, _fabric, show = _big_fabric("route-reflector")
    results = _verify(intent, show)
    assert _failed(results) == {}
    summary = show.show("leaf1", "show network-instance default protocols bgp routes evpn route-type summary")
    # RT1: leaf2 (ES-1), leaf3 and leaf4 (ES-2) send 2 each = 6 routes, 12 paths via 2 RRs
    assert "12 Ethernet Auto-Discovery routes 6 used, 12 valid" in summary
    assert "6 Inclusive Multicast Ethernet Tag routes 3 used, 6 valid" in summary
    # RT4: ES-1 and ES-2 share their ES-import RT (ESI octets 2-7, 11:11:11:11:11:11), so leaf1
    # holds leaf2's (ES-1) and leaf3's and leaf4's (ES-2): 3 routes, 6 paths (RFC 7432 7.6)
    assert "6 Ethernet Segment routes 3 used, 6 valid" in summary


def test_a_reflector_down_fails_the_sessions_not_what_every_leaf_advertises() -> None:
    """spine1 cut off: evpn.advertised read what each leaf sends to spine1, and all leaves
    failed with '0 RT1/RT3/RT4 advertised', while they advertise everything through spine2.
    A peer whose session the device shows down is not judged there (bgp.* report it)."""
    intent, fabric, show = _big_fabric("route-reflector")
    for leaf in range(1, 5):
        fabric.set_link(f"leaf{leaf}:e1-49", f"spine1:e1-{leaf}", up=False)
    results = _verify(intent, show)
    failed = _failed(results)
    assert {c for _, c in failed} == {"bgp.underlay_established", "bgp.overlay_established", "evpn.received"}
    assert all("evpn.advertised" not in results[f"leaf{n}"] for n in range(1, 5))  # not judged
    for leaf in range(1, 5):
        fabric.set_link(f"leaf{leaf}:e1-49", f"spine1:e1-{leaf}", up=True)
    adv = _verify(intent, show)["leaf1"]["evpn.advertised"]
    assert adv.ok and adv.observed["to 10.0.1.1 RT1"] == 2  # judged again once the session is back


def test_srl_24_10_layouts_give_the_same_verdicts(intent) -> None:
    """The twin printing SR Linux 24.10's layouts (a subinterface's `Network-instances:` list,
    the indented ES header, one more mac-table total): every check reads them alike."""
    fabric, _, _ = _lab()
    show = show_render.FabricShow(fabric, "24.10")
    assert "      * Name: mac-vrf-1 (mac-vrf)" in show.show("leaf1", "show interface lag1")
    results = _verify(intent, show)
    assert _failed(results) == {}
    assert results["leaf3"]["access.up"].observed["ethernet-1/2.0 network-instance"] == "mac-vrf-1"
    assert results["leaf1"]["lag.up"].observed["lag1.0 network-instance"] == "mac-vrf-1"
    assert results["leaf2"]["es.df"].observed["ES-1 mac-vrf-1 DF"] == "10.0.0.2"
    fabric.set_link("leaf1:e1-1", "ce1:eth1", up=False)
    failed = _failed(_verify(intent, show))
    assert "leaf1 lag1 - Expected: up Actual: down" in failed[("leaf1", "lag.up")]
    assert failed[("leaf3", "evpn.received")] == LEAF3_RT1_DOWN


def test_srl_25_10_layouts_give_the_same_verdicts(intent) -> None:
    """The twin printing SR Linux 25.10's layouts (the route summary's Path-id and Label
    columns, `, 0 stale` and Selective Multicast footers): the same verdicts and observed
    values as 24.10, healthy and degraded."""
    fabric, _, _ = _lab()
    v24, v25 = show_render.FabricShow(fabric, "24.10"), show_render.FabricShow(fabric, "25.10")
    assert "| Path-  |" in v25.show("leaf3", "show network-instance default protocols bgp routes evpn route-type summary")

    def observed(show):
        return {(n, c): (r.ok, r.observed, r.detail) for n, rs in _verify(intent, show).items() for c, r in rs.items()}

    healthy = observed(v25)
    assert all(ok for ok, _, _ in healthy.values()) and healthy == observed(v24)
    assert healthy[("leaf3", "evpn.received")][1] == {"mac-vrf-1 RT1": 4, "mac-vrf-1 RT3": 2, "mac-vrf-1 RT4": 0}
    fabric.set_link("leaf1:e1-1", "ce1:eth1", up=False)
    degraded = observed(v25)
    assert degraded == observed(v24)
    assert _failed(_verify(intent, v25))[("leaf3", "evpn.received")] == LEAF3_RT1_DOWN


# ------------------------------------------------------------------ part 2: over SSH
runtime = pytest.importorskip("nornir_evpn.twin.runtime")


def _served(tmp_path_factory, release: str | None = None, topology: Path = TOPOLOGY):
    """The tutorial's lab, multi-homing committed and ce1's MACs learnt, served over SSH."""
    with runtime.Twin(topology) as twin:
        fabric = fabric_lab.attach(twin, release=release)
        for leaf in ("leaf1", "leaf2"):
            ds = twin.datastore(leaf)
            ds.commit(ds.running, fabric_lab.with_lines(ds.running, fabric_lab.MH_CONFIG))
        for ip in CE2_IPS:
            assert fabric.probe("ce1", ip).delivered
        state = tmp_path_factory.mktemp("twin") / "twin.json"
        twin.state().write(state)
        yield twin, fabric, state


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    yield from _served(tmp_path_factory)


@pytest.fixture(scope="module")
def served_24(tmp_path_factory):
    """The same lab, its nodes printing SR Linux 24.10's layouts (`twin up --release 24.10`)."""
    yield from _served(tmp_path_factory, "24.10")


@pytest.fixture(scope="module")
def served_25(tmp_path_factory):
    """The same lab, its nodes printing SR Linux 25.10's layouts (`twin up --release 25.10`)."""
    yield from _served(tmp_path_factory, "25.10")


@pytest.fixture(scope="module")
def served_mixed(tmp_path_factory):
    """The same lab halfway through a rolling upgrade: leaf1 on 25.10.1, leaf2 and spine1 on
    24.10.3, leaf3 on the kind's 23.3.1 (`twin up`: each node its image's release)."""
    import yaml

    doc = yaml.safe_load(TOPOLOGY.read_text())
    for node, tag in (("leaf1", "25.10.1"), ("leaf2", "24.10.3"), ("spine1", "24.10.3")):
        doc["topology"]["nodes"][node]["image"] = f"ghcr.io/nokia/srlinux:{tag}"
    lab = tmp_path_factory.mktemp("mixed")
    (lab / "configs").symlink_to(TOPOLOGY.parent / "configs")
    (lab / "mixed.clab.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
    yield from _served(tmp_path_factory, "image", lab / "mixed.clab.yml")


def _cli(state: Path, *extra: str, capsys=None) -> tuple[int, dict]:
    """`python -m nornir_evpn verify --twin --json` as a user runs it (its own process)."""
    proc = subprocess.run(
        [sys.executable, "-m", "nornir_evpn", "verify", "--inventory", str(ROOT / "inventory"), "--twin",
         "--twin-state", str(state), "--json", *extra],
        capture_output=True, text=True, timeout=60, check=False,
    )
    return proc.returncode, json.loads(proc.stdout)


def test_cli_verify_over_ssh(served, capsys, tmp_path) -> None:
    _, fabric, state = served
    junit = tmp_path / "verify.xml"
    rc, doc = _cli(state, "--junit", str(junit), capsys=capsys)
    assert (rc, doc["command"], doc["ok"]) == (0, "verify", True), doc
    assert set(doc["hosts"]) == {"leaf1", "leaf2", "leaf3", "spine1"}
    assert doc["target"] == {"lab": "evpn-mh01", "inventory": str((ROOT / "inventory").resolve()),
                             "twin_state": str(state.resolve())}
    leaf3 = {c["name"]: c for c in doc["hosts"]["leaf3"]["checks"]}
    assert leaf3["mac.esi_remote"]["observed"] == {"mac-vrf-1 00:c1:ab:00:00:11": "evpn esi:01:11:11:11:11:11:11:00:00:01"}
    assert doc["hosts"]["spine1"] == {**doc["hosts"]["spine1"], "ok": True, "changed": False, "error": None}
    assert junit.read_text().count("<testcase") == doc["summary"]["checks"]

    with _link_down(fabric, ("leaf2:e1-1", "ce1:eth2")):
        rc, doc = _cli(state, "--checks", "lacp.members_in_sync,lag.up", capsys=capsys)
    assert (rc, doc["ok"]) == (1, False)
    assert [h for h, e in doc["hosts"].items() if not e["ok"]] == ["leaf2"]
    lacp = {c["name"]: c for c in doc["hosts"]["leaf2"]["checks"]}["lacp.members_in_sync"]
    assert lacp["expected"]["lag1 ethernet-1/1"] == "IN_SYNC/True/True/True"
    assert lacp["observed"]["lag1 ethernet-1/1"] != "IN_SYNC/True/True/True"


def test_the_log_file_tells_a_pipeline_the_run_its_verdict_and_each_failed_host(served, tmp_path) -> None:
    """An SRE ships --log-file to Loki/ELK: each line starts with its UTC time and the run's
    id (the --json `run_id`), a start and an end line frame the run (command, exit code),
    and a host whose checks failed is named at WARNING with the failed checks. 0.16's INFO
    log was two lines of Nornir's task reprs: nothing said verify FAILed, or on which host."""
    _, fabric, state = served
    log = tmp_path / "verify.log"
    with _link_down(fabric, ("leaf2:e1-1", "ce1:eth2")):
        rc, doc = _cli(state, "--checks", "lacp.members_in_sync,lag.up", "--log-file", str(log))
    assert rc == 1
    lines = log.read_text().splitlines()
    run = doc["run_id"]
    assert all(re.match(rf"\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z run={run} - ", line) for line in lines), lines
    assert " - start: nornir-evpn verify --inventory " in lines[0] and " INFO - " in lines[0]
    assert re.search(r" ERROR - +log_end\(\) - end: verify exit 1 \(a host or check failed\) in \d+\.\d\ds$", lines[-1])
    assert [line.split(" - ", 4)[-1] for line in lines if " WARNING - " in line] == [
        "leaf2: verify (checks): 2 of 2 check(s) failed: lag.up, lacp.members_in_sync (--json has each item)"]
    # Nornir's line per run without its 1 KB of reprs below -vv
    assert any(line.endswith(" - Running task 'verify_host' on 4 hosts") for line in lines)
    assert not any(" object at 0x" in line for line in lines)


def _passes_as_on_23_7(served, release_state) -> dict:
    """verify over SSH on a twin of another release: every check 23.7 runs, all passing."""
    rc, doc = _cli(release_state)
    assert (rc, doc["ok"], doc["summary"]["checks_failed"]) == (0, True, 0), doc["summary"]
    assert doc["summary"] == _cli(served[2])[1]["summary"]  # the checks 23.7 runs, all of them
    return doc


@contextlib.contextmanager
def _link_down(fabric, ends: tuple[str, str]) -> Iterator[None]:
    """The link between `ends` down for the block, then up again with ce1's traffic sent
    again: the module's twins are shared, and a CE link's down flushed the MACs learnt on
    it. Two tests each cycling one of ce1's links left leaf3 without ce1's RT2 (mac.esi_remote
    FAIL) for whichever test came next (`-p randomly --randomly-seed=12345`)."""
    fabric.set_link(*ends, up=False)
    try:
        yield
    finally:
        fabric.set_link(*ends, up=True)
        for ip in CE2_IPS:
            fabric.probe("ce1", ip)


def _with_link_down(fabric, ends: tuple[str, str], state, *args: str) -> dict:
    """verify `args` while the link between `ends` is down: it fails, and the doc says how."""
    with _link_down(fabric, ends):
        rc, doc = _cli(state, *args)
    assert (rc, doc["ok"]) == (1, False)
    return doc


def test_a_check_left_to_another_is_said_not_judged(served) -> None:
    """leaf3's uplink down: its overlay sessions are bgp.overlay_established's to report, and
    evpn.advertised (which reads the routes sent to 10.0.0.1) had no cell but "not
    applicable", as if nothing were expected there (an on-call reading)."""
    _, fabric, state = served
    doc = _with_link_down(fabric, ("leaf3:e1-49", "spine1:e1-3"), state)
    leaf3 = doc["hosts"]["leaf3"]
    assert "evpn.advertised" not in {c["name"] for c in leaf3["checks"]}
    assert leaf3["not_judged"] == {
        "evpn.advertised": "its overlay session to 10.0.0.1 is not established (see bgp.overlay_established)"}
    assert "leaf3: its overlay session to 10.0.0.1 is not established (see bgp.overlay_established)" in \
        " ".join(doc["notes"])
    assert all("not_judged" not in e for h, e in doc["hosts"].items() if h != "leaf3")


def test_cli_verify_over_ssh_on_srl_24_10(served, served_24) -> None:
    _, fabric, state = served_24
    doc = _passes_as_on_23_7(served, state)
    leaf1 = {c["name"]: c for c in doc["hosts"]["leaf1"]["checks"]}
    assert leaf1["lag.up"]["observed"]["lag1.0 network-instance"] == "mac-vrf-1"
    doc = _with_link_down(fabric, ("leaf2:e1-1", "ce1:eth2"), state,
                          "--hosts", "leaf2", "--checks", "lag.up,lacp.members_in_sync")
    lag = {c["name"]: c for c in doc["hosts"]["leaf2"]["checks"]}["lag.up"]
    assert not lag["ok"] and "leaf2 lag1 - Expected: up Actual: down" in lag["detail"]
    assert lag["observed"]["lag1.0 network-instance"] == "mac-vrf-1"  # read while down too


def test_cli_verify_over_ssh_on_srl_25_10(served, served_25) -> None:
    _, fabric, state = served_25
    doc = _passes_as_on_23_7(served, state)
    leaf3 = {c["name"]: c for c in doc["hosts"]["leaf3"]["checks"]}
    assert leaf3["evpn.received"]["observed"] == {"mac-vrf-1 RT1": 4, "mac-vrf-1 RT3": 2, "mac-vrf-1 RT4": 0}
    doc = _with_link_down(fabric, ("leaf1:e1-1", "ce1:eth1"), state, "--hosts", "leaf3", "--checks", "evpn.received")
    received = {c["name"]: c for c in doc["hosts"]["leaf3"]["checks"]}["evpn.received"]
    assert "leaf3 mac-vrf-1 RT1 - Expected: 4 Actual: 2" in received["detail"]


def test_cli_unreachable_host_is_one_line(served, capsys) -> None:
    twin, _, state = served
    twin.set_unreachable("spine1", True)
    try:
        rc, doc = _cli(state, "--hosts", "spine1", capsys=capsys)
    finally:
        twin.set_unreachable("spine1", False)
    err = doc["hosts"]["spine1"]["error"]
    assert rc == 1 and err and "\n" not in err and "Traceback" not in err


def test_cli_pasted_shows_and_one_at_a_time_give_the_same_verdicts(served, capsys) -> None:
    """`--batch-lines 1` (scrapli's send_commands) and 2 (pasted, several round trips) see
    exactly what the default single paste sees."""
    _, _, state = served
    docs = {n: _cli(state, "--batch-lines", str(n), capsys=capsys)[1] for n in (64, 2, 1)}

    def verdicts(doc: dict) -> dict:
        return {h: [(c["name"], c["ok"], c["observed"]) for c in e["checks"]] for h, e in doc["hosts"].items()}

    assert docs[64]["ok"] is True
    assert verdicts(docs[2]) == verdicts(docs[64]) == verdicts(docs[1])


def test_a_twin_of_another_version_is_named(served, tmp_path) -> None:
    """A twin left running across an upgrade models the topology as the version that started
    it read it (0.4 reads groups and env vars differently): its verdicts are that version's."""
    _, _, state = served
    doc = json.loads(state.read_text())
    same = subprocess.run([sys.executable, "-m", "nornir_evpn", "verify", "--inventory", str(ROOT / "inventory"),
                           "--twin", "--twin-state", str(state), "--checks", "lag.up"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert same.returncode == 0 and "note: the twin was started by" not in same.stderr
    old = tmp_path / "old.json"
    old.write_text(json.dumps({k: v for k, v in doc.items() if k != "version"}))  # written by 0.3
    # (with the known_hosts file a twin of 0.14 on writes: one without it is refused, "restart it")
    for suffix in (".known_hosts", ".known_hosts.scrapli"):
        Path(f"{old}{suffix}").write_text(Path(f"{state}{suffix}").read_text())
    r = subprocess.run([sys.executable, "-m", "nornir_evpn", "verify", "--inventory", str(ROOT / "inventory"),
                        "--twin", "--twin-state", str(old), "--checks", "lag.up"],
                       capture_output=True, text=True, timeout=60, check=False)
    note = (f"note: the twin was started by nornir_evpn before 0.4, this is {__version__}: restart it (`twin down`, "
            "`twin up`) to model the topology as this version reads it")
    assert r.returncode == 0 and note in r.stderr
    status = subprocess.run([sys.executable, "-m", "nornir_evpn", "twin", "status", "--state-file", str(old)],
                            capture_output=True, text=True, timeout=60, check=False)
    assert status.returncode == 0 and status.stderr.splitlines() == [note]
    up = subprocess.run([sys.executable, "-m", "nornir_evpn", "twin", "up", "--state-file", str(old)],
                        capture_output=True, text=True, timeout=60, check=False)
    # it said "already running" alone, then (0.16.0) the note twice
    assert up.returncode == 0 and up.stderr.splitlines().count(note) == 1, up.stderr
    # 0.16.0: verify --json said it on stderr alone
    as_json = subprocess.run([sys.executable, "-m", "nornir_evpn", "verify", "--inventory", str(ROOT / "inventory"),
                              "--twin", "--twin-state", str(old), "--checks", "lag.up", "--json"],
                             capture_output=True, text=True, timeout=60, check=False)
    assert json.loads(as_json.stdout)["notes"][0] == note.removeprefix("note: ")


def test_cli_verify_over_ssh_on_a_fabric_halfway_through_an_upgrade(served, served_mixed) -> None:
    """Each node prints its own release's layouts (and `show version`): verify runs the same
    checks with the same verdicts as on a 23.7 fabric, healthy and with a link down."""
    twin, fabric, state = served_mixed
    assert {n: twin.show_provider.show(n, "show version").split("Software Version")[1].split()[1]
            for n in ("leaf1", "leaf2", "leaf3", "spine1")} == {
        "leaf1": "v25.10.1", "leaf2": "v24.10.1", "leaf3": "v23.7.1", "spine1": "v24.10.1"}
    doc = _passes_as_on_23_7(served, state)
    leaf2 = {c["name"]: c for c in doc["hosts"]["leaf2"]["checks"]}
    assert leaf2["lag.up"]["observed"]["lag1.0 network-instance"] == "mac-vrf-1"  # 24.10's layout
    args = ("--checks", "evpn.received,lag.up")
    doc = _with_link_down(fabric, ("leaf1:e1-1", "ce1:eth1"), state, *args)
    same = _with_link_down(served[1], ("leaf1:e1-1", "ce1:eth1"), served[2], *args)  # all on 23.7

    def verdicts(d: dict) -> dict:
        return {(h, c["name"]): (c["ok"], c["detail"]) for h, e in d["hosts"].items() for c in e["checks"]}

    assert verdicts(doc) == verdicts(same)
    received = {c["name"]: c for c in doc["hosts"]["leaf3"]["checks"]}["evpn.received"]
    assert "leaf3 mac-vrf-1 RT1 - Expected: 4 Actual: 2" in received["detail"]


SECRET = "S3cr\"t $ev'pn %s {0} \\n!#"  # quotes, a shell's and Python's format characters


def test_the_log_names_each_failure_and_what_was_sent_never_the_password(tmp_path) -> None:
    """-vv: the tasks log each host's failure at WARNING (host, step, reason) and, at DEBUG,
    the commands typed to each host; the password (full of characters a shell or a format
    string would mangle) appears nowhere in the log, also when a login fails."""
    import os

    with runtime.Twin(TOPOLOGY, password=SECRET) as twin:
        fabric_lab.attach(twin)
        state = tmp_path / "twin.json"
        twin.state().write(state)
        twin.set_password("leaf3", "another one")  # leaf3's login fails
        log = tmp_path / "run.log"
        env = {**os.environ, "NORNIR_EVPN_PASSWORD": SECRET}
        for command in (["verify"], ["configure", "--dry-run"]):
            r = subprocess.run(
                [sys.executable, "-m", "nornir_evpn", *command, "--inventory", str(ROOT / "inventory"),
                 "--twin", "--twin-state", str(state), "-vv", "--log-file", str(log)],
                capture_output=True, text=True, timeout=120, check=False, env=env)
            assert r.returncode == 1, (r.stdout + r.stderr)[-2000:]
            assert SECRET not in r.stdout + r.stderr
        # --log-file without -v: INFO (it was ignored, and no file told why leaf3 failed); with
        # -v alone INFO too, as its help says (-vv is DEBUG)
        for verbose in ([], ["-v"]):
            plain = tmp_path / f"plain{len(verbose)}.log"
            r = subprocess.run(
                [sys.executable, "-m", "nornir_evpn", "verify", "--inventory", str(ROOT / "inventory"),
                 "--twin", "--twin-state", str(state), *verbose, "--log-file", str(plain)],
                capture_output=True, text=True, timeout=120, check=False, env=env)
            assert r.returncode == 1, (r.stdout + r.stderr)[-2000:]
            assert "log_failure() - leaf3: verify (login, show commands): authentication failed" in plain.read_text()
            assert " - DEBUG - " not in plain.read_text() and "> show" not in plain.read_text(), verbose
    text = log.read_text()
    lines = [line.split(" - ", 3)[1:] for line in text.splitlines() if " - " in line]
    warnings = [(who.strip(), what) for who, level, what in
                ((w, lv.strip(), m) for w, lv, m in (x for x in lines if len(x) == 3)) if level == "WARNING"]
    assert ("nornir.nornir_evpn.tasks", "log_failure() - leaf3: verify (login, show commands): "
            "authentication failed: all authentication methods failed") in warnings
    assert ("nornir.nornir_evpn.tasks", "log_failure() - leaf3: connect: "
            "authentication failed: all authentication methods failed") in warnings
    assert "- leaf1: > show interface lag1" in text  # what verify read
    assert "- spine1: > set / interface system0 subinterface 0 ipv4 address 10.0.1.1/32" in text  # configure's
    for piece in (SECRET, "S3cr", "ev'pn", "another one"):
        assert piece not in text


def test_outputs_dir_keeps_what_verify_read(served, tmp_path, capsys) -> None:
    """`verify --outputs DIR`: each host's raw `show` outputs, one file per command verify
    sent (no more), and each failure names the commands it read."""
    _, fabric, state = served
    out = tmp_path / "outputs"
    with _link_down(fabric, ("leaf2:e1-1", "ce1:eth2")):
        proc = subprocess.run(
            [sys.executable, "-m", "nornir_evpn", "verify", "--inventory", str(ROOT / "inventory"), "--twin",
             "--twin-state", str(state), "--checks", "lag.up,lacp.members_in_sync", "--outputs", str(out)],
            capture_output=True, text=True, timeout=60, check=False)
        rc, doc = _cli(state, "--checks", "lag.up,lacp.members_in_sync", "--outputs", str(tmp_path / "json"))
    assert proc.returncode == rc == 1, proc.stderr[-2000:]
    assert ("✗ lag.up: leaf2 lag1 - Expected: up Actual: down (no-active-links) (from: show interface lag1)"
            in proc.stdout)
    assert sorted(p.name for p in out.iterdir()) == ["leaf1", "leaf2"]  # leaf3/spine1: no check selected
    assert sorted(p.name for p in (out / "leaf2").iterdir()) == [
        "show_interface_lag1.txt", "show_lag_lag1_lacp-state.txt"]
    raw = (out / "leaf2" / "show_interface_lag1.txt").read_text()
    assert "lag1 is down, reason no-active-links" in raw.splitlines()[1]
    lag = {c["name"]: c for c in doc["hosts"]["leaf2"]["checks"]}["lag.up"]
    assert lag["detail"] == "leaf2 lag1 - Expected: up Actual: down (no-active-links)"  # as before
    assert lag["commands"] == ["show interface lag1"]
    assert "outputs" not in doc["hosts"]["leaf2"]


def test_verify_notes_a_run_busy_on_its_fabric_before_or_after_its_reads_once(served, capsys, monkeypatch) -> None:
    """verify looks for a failover-test or a committing configure/rollback of its fabric
    before its reads and again after (one that started meanwhile): what either saw is a note,
    a run seen both times once."""
    from nornir_evpn import commit_claims
    from nornir_evpn.cli import main

    _, _, state = served
    seen: list[tuple[str, str | None]] = []
    before = "a failover-test (pid 1) of leaf1 ethernet-1/1 was running during this run"
    after = "a configure (pid 2) was committing to leaf2 during this run"

    def busy_notes(lab: str, twin_state: str | None) -> list[str]:
        seen.append((lab, twin_state))
        return [before] if len(seen) == 1 else [before, after]

    monkeypatch.setattr(commit_claims, "busy_notes", busy_notes)
    code = main(["verify", "--inventory", str(ROOT / "inventory"), "--twin", "--twin-state", str(state),
                 "--hosts", "leaf1,leaf2", "--json"])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0, doc
    assert seen == [("evpn-mh01", str(state.resolve()))] * 2  # this twin's, whichever hosts it reads
    assert doc["notes"][-2:] == [before, after] and doc["notes"].count(before) == 1
