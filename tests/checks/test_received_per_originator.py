"""evpn.received judges a RIB's RT1/RT3/RT4 per (originator, ESI), not per route type alone:
totals that add up hid a leaf's routes missing behind another's, or carried under another
leaf's RD (0.21 passed each fabric below: the footers matched and every row's RD ended in the
intent's EVI). Fabrics: a generated 2-spine, 6-leaf one with 2 multi-homed pairs, every node
configured as `configure` renders it, in the twin's model (no SSH)."""

from __future__ import annotations

from pathlib import Path

import pytest
from twin.fabric_helpers import configured_fabric

from nornir_evpn.checks import commands_for, evaluate
from nornir_evpn.twin.fabric_lab import with_lines
from nornir_evpn.twin.show_render import FabricShow

EVPN_CHECKS = ["evpn.advertised", "evpn.received", "es.df", "es.esi", "es.oper_up", "lag.up", "vxlan.vni"]
RT = "set / network-instance mac-vrf-1 protocols bgp-vpn bgp-instance 1"


@pytest.fixture(scope="module", params=["full-mesh", "route-reflector"])
def configured(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    return configured_fabric(Path(tmp_path_factory.mktemp(request.param)), request.param)


def _verdicts(fabric, twin, checks=EVPN_CHECKS):  # type: ignore[no-untyped-def]
    show = FabricShow(twin)
    out = {}
    for leaf in fabric.leaves:
        outputs = {c: show.show(leaf.name, c) for c in commands_for(fabric, leaf.name)}
        out.update({(r.check, leaf.name): r for r in evaluate(fabric, leaf.name, outputs, checks=checks)})
    return out


def _changed(fabric, twin, running, leaf: str, lines: str):  # type: ignore[no-untyped-def]
    """The verdicts with `lines` committed on `leaf`, then the leaf as it was."""
    before = running[leaf]
    twin.on_commit(leaf, with_lines(before, lines))
    try:
        return _verdicts(fabric, twin)
    finally:
        twin.on_commit(leaf, before)


def test_the_configured_fabric_passes(configured) -> None:
    fabric, twin, _ = configured
    bad = {k: r.detail for k, r in _verdicts(fabric, twin).items() if not r.ok}
    assert bad == {}


def test_an_es_leaf_with_its_es_peers_rd(configured) -> None:
    """leaf3 takes leaf4's RD (its ES peer's, ES-2): the two leaves' RT1 of ES-2 are one
    route (RFC 7432 7.1: RD, ESI, tag), a remote leaf keeps one of them (with route
    reflectors, the one the reflector picks) and loses aliasing and mass withdrawal to the
    other. Every count still added up (0.21: PASS everywhere)."""
    fabric, twin, running = configured
    got = _changed(fabric, twin, running, "leaf3", f"{RT} route-distinguisher rd 10.0.0.4:111\n")
    failed = {k for k, r in got.items() if not r.ok}
    assert ("evpn.received", "leaf1") in failed and ("evpn.advertised", "leaf3") in failed, failed
    detail = got[("evpn.received", "leaf1")].detail
    assert "leaf1 mac-vrf-1 RT1 from leaf3 ES-2 - Expected: " in detail, detail
    assert "leaf3's routes carry RD 10.0.0.4:111 (leaf4's), not 10.0.0.3:111" in detail, detail
    assert "leaf1 mac-vrf-1 RT3 from leaf3 - Expected: " in detail, detail


def test_a_leaf_whose_routes_another_mac_vrf_stands_in_for(configured) -> None:
    """leaf2 exports mac-vrf-1 with a route target nobody imports, and a second mac-vrf of
    its own on the ES's LAG (EVI 222, VNI 222) with the intent's route target and an RD
    ending in 111: every leaf's totals add up and every row's RD ends in the EVI, so 0.21
    passed; the other leaves send leaf2's share of ES-1's traffic and its BUM in VNI 222,
    into the other mac-vrf."""
    fabric, twin, running = configured
    m = "set / network-instance mac-vrf-2"
    lines = "\n".join([
        f"{RT} route-target export-rt target:100:999",
        "set / interface lag1 subinterface 1 type bridged",
        "set / interface lag1 subinterface 1 vlan encap single-tagged vlan-id 2",
        "set / tunnel-interface vxlan1 vxlan-interface 2 type bridged",
        "set / tunnel-interface vxlan1 vxlan-interface 2 ingress vni 222",
        f"{m} type mac-vrf", f"{m} admin-state enable", f"{m} interface lag1.1", f"{m} vxlan-interface vxlan1.2",
        f"{m} protocols bgp-evpn bgp-instance 1 admin-state enable",
        f"{m} protocols bgp-evpn bgp-instance 1 vxlan-interface vxlan1.2",
        f"{m} protocols bgp-evpn bgp-instance 1 evi 222",
        f"{m} protocols bgp-vpn bgp-instance 1 route-distinguisher rd 10.0.0.9:111",
        f"{m} protocols bgp-vpn bgp-instance 1 route-target export-rt target:100:111",
        f"{m} protocols bgp-vpn bgp-instance 1 route-target import-rt target:100:222",
    ]) + "\n"
    got = _changed(fabric, twin, running, "leaf2", lines)
    r = got[("evpn.received", "leaf5")]
    assert not r.ok, r.detail
    assert "leaf5 mac-vrf-1 RT1 from leaf2 ES-1 - Expected: 2 Actual: 0 (leaf2's routes carry RD 10.0.0.9:111" \
        in r.detail or "leaf5 mac-vrf-1 RT1 from leaf2 ES-1 - Expected: 4 Actual: 0 (leaf2's routes carry RD 10.0.0.9:111" \
        in r.detail, r.detail


def test_an_rd_set_by_hand_the_intent_does_not_know_fails_whatever_else_the_rib_holds(configured) -> None:
    """leaf6's RD set by hand (65000:111), not in hosts.yaml: the other leaves cannot tell
    its routes from another mac-vrf's. 0.21 passed while the footers added up and failed once
    an unrelated mac-vrf's route (leaf5's EVI 222) was in the RIB: its verdict was the fast
    path's or the row count's."""
    fabric, twin, running = configured
    hand = f"{RT} route-distinguisher rd 65000:111\n"
    alone = _changed(fabric, twin, running, "leaf6", hand)
    r = alone[("evpn.received", "leaf1")]
    assert not r.ok and "leaf6's routes carry RD 65000:111, not 10.0.0.6:111: an RD set by hand is its " \
        "route_distinguisher in hosts.yaml" in r.detail, r.detail
    m = "set / network-instance mac-vrf-2"
    tenant = "\n".join([
        "set / tunnel-interface vxlan1 vxlan-interface 2 type bridged",
        "set / tunnel-interface vxlan1 vxlan-interface 2 ingress vni 222",
        f"{m} type mac-vrf", f"{m} admin-state enable", f"{m} vxlan-interface vxlan1.2",
        f"{m} protocols bgp-evpn bgp-instance 1 admin-state enable",
        f"{m} protocols bgp-evpn bgp-instance 1 vxlan-interface vxlan1.2",
        f"{m} protocols bgp-evpn bgp-instance 1 evi 222",
        f"{m} protocols bgp-vpn bgp-instance 1 route-target export-rt target:100:111",
        f"{m} protocols bgp-vpn bgp-instance 1 route-target import-rt target:100:222",
    ]) + "\n"
    before = running["leaf5"]
    twin.on_commit("leaf5", with_lines(before, tenant))
    try:
        with_tenant = _changed(fabric, twin, running, "leaf6", hand)
        assert _verdicts(fabric, twin)[("evpn.received", "leaf1")].ok  # the tenant alone is fine
    finally:
        twin.on_commit("leaf5", before)
    assert with_tenant[("evpn.received", "leaf1")].detail == r.detail
