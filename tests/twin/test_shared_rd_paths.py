"""Two ES leaves with one RD (leaf3 given leaf4's by hand): their RT1 of the ES are one BGP
route with two paths (RFC 7432 7.1: RD, ESI and tag are its key), of which a leaf uses one,
and a route reflector reflects one (RFC 4456, no add-path). The twin kept both as two
routes, each used: a remote leaf aliased the ES's MAC over both leaves and every reflector
client held both leaves' paths, as a fabric with unique RDs does."""

from __future__ import annotations

from pathlib import Path

import pytest
from fabric_helpers import configured_fabric

from nornir_evpn.failover import other_ce_ips
from nornir_evpn.twin.show_render import FabricShow

SUMMARY = "show network-instance default protocols bgp routes evpn route-type summary"
SHARED = "set / network-instance mac-vrf-1 protocols bgp-vpn bgp-instance 1 route-distinguisher rd 10.0.0.4:111\n"


def _fabric(tmp_path: Path, overlay: str, shared_rd: bool, leaf3_lines: str = ""):  # type: ignore[no-untyped-def]
    fabric, twin, _ = configured_fabric(tmp_path, overlay, {"leaf3": (SHARED if shared_rd else "") + leaf3_lines})
    for ce in fabric.ces:
        for ip in other_ce_ips(fabric, ce):
            assert twin.probe(ce, ip).delivered
    return fabric, twin


def _es2_rt1(twin, node: str) -> list[tuple[str, int, str]]:  # type: ignore[no-untyped-def]
    """(RD, tag, originator) of each ES-2 RT1 path in `node`'s RIB."""
    esi2 = "01:11:11:11:11:11:11:00:00:02"
    return sorted((r.rd, r.tag, r.originator) for r, _a in twin.view().rib(node) if r.type == 1 and r.esi == esi2)


def test_a_leaf_uses_one_path_of_a_route_two_leaves_share(tmp_path: Path) -> None:
    fabric, twin = _fabric(tmp_path, "full-mesh", shared_rd=True)
    # both paths are received and valid; one is used and best
    rows = [ln for ln in FabricShow(twin).show("leaf1", SUMMARY).splitlines() if "| 10.0.0.4:111 " in ln and
            "01:11:11:11:11:11:11:00:00:02" in ln]
    assert [(ln.split("|")[1].strip(), ln.split("|")[6].strip()) for ln in rows] == [
        ("u*>", "10.0.0.3"), ("u*>", "10.0.0.3"), ("*", "10.0.0.4"), ("*", "10.0.0.4")], rows
    summary = FabricShow(twin).show("leaf1", SUMMARY)
    assert "6 Ethernet Auto-Discovery routes 4 used, 6 valid" in summary, summary[-700:]
    # aliasing: the per-EVI A-D path used is leaf3's; leaf4's MAC route of the CE is the same
    # route as leaf3's (RD, MAC): the remote leaf reaches ES-2 through one leaf
    ce_mac = fabric.ethernet_segments["ES-2"].ce_mac.upper()
    entry = twin.view().mac_table("leaf1", "mac-vrf-1")[ce_mac]
    assert entry.vteps == ("10.0.0.3",), entry
    healthy = _fabric(tmp_path / "h", "full-mesh", shared_rd=False)[1]
    assert healthy.view().mac_table("leaf1", "mac-vrf-1")[ce_mac].vteps == ("10.0.0.3", "10.0.0.4")


def test_a_route_reflector_reflects_one_path_of_a_route_two_leaves_share(tmp_path: Path) -> None:
    fabric, twin = _fabric(tmp_path, "route-reflector", shared_rd=True)
    # each RR reflects its best path (the lower originator's), once per RR
    assert _es2_rt1(twin, "leaf1") == [("10.0.0.4:111", 0, "10.0.0.3")] * 2 + [
        ("10.0.0.4:111", 4294967295, "10.0.0.3")] * 2
    # leaf3's own path is the best: it receives none; leaf4 receives leaf3's (valid, not
    # used: its own route is)
    assert _es2_rt1(twin, "leaf3") == []
    assert _es2_rt1(twin, "leaf4") == [("10.0.0.4:111", 0, "10.0.0.3")] * 2 + [
        ("10.0.0.4:111", 4294967295, "10.0.0.3")] * 2
    rt1 = FabricShow(twin).show("leaf4", SUMMARY).split("Type 1 ")[1].split("Type 2 ")[0]
    rows = [ln for ln in rt1.splitlines() if "| 10.0.0.4:111 " in ln]
    assert len(rows) == 4 and all(ln.split("|")[1].strip() == "*" for ln in rows), rows
    # what the reflector sends a client is what the client holds from it
    snap = twin.view()
    spine1 = fabric.nodes["spine1"].system_ip
    for leaf in ("leaf1", "leaf3", "leaf4"):
        sent = snap.advertised("spine1", fabric.nodes[leaf].system_ip)
        held = [r for r, a in snap.rib(leaf) if a == spine1]
        assert sorted(map(repr, sent)) == sorted(map(repr, held)), leaf
        assert snap.advertised_count("spine1", fabric.nodes[leaf].system_ip) == len(sent)


@pytest.mark.parametrize("overlay", ["full-mesh", "route-reflector"])
def test_unique_rds_keep_every_leafs_paths(tmp_path: Path, overlay: str) -> None:
    _, twin = _fabric(tmp_path, overlay, shared_rd=False)
    per = 2 if overlay == "route-reflector" else 1
    assert _es2_rt1(twin, "leaf1") == sorted(
        [("10.0.0.3:111", t, "10.0.0.3") for t in (0, 4294967295)] * per
        + [("10.0.0.4:111", t, "10.0.0.4") for t in (0, 4294967295)] * per)


# leaf3 (system IP 10.0.0.3) with a router-id above leaf4's (10.0.0.4, its system IP)
HIGH_ROUTER_ID = "set / network-instance default protocols bgp router-id 10.0.0.200\n"


def test_the_path_selected_is_the_lowest_router_ids_not_the_lowest_system_ips(tmp_path: Path) -> None:
    """RFC 4271 9.1.2.2 f compares BGP Identifiers (RFC 4456 9: the ORIGINATOR_ID, the
    originator's router-id), not next hops or VTEP addresses: where a leaf's router-id is not
    its system IP, the other leaf's path may be the one selected. The twin took the lowest
    system IP's."""
    fabric, twin = _fabric(tmp_path, "route-reflector", shared_rd=True, leaf3_lines=HIGH_ROUTER_ID)
    assert _es2_rt1(twin, "leaf1") == [("10.0.0.4:111", 0, "10.0.0.4")] * 2 + [
        ("10.0.0.4:111", 4294967295, "10.0.0.4")] * 2
    assert _es2_rt1(twin, "leaf4") == []  # its own path is the one reflected
    fabric, twin = _fabric(tmp_path / "m", "full-mesh", shared_rd=True, leaf3_lines=HIGH_ROUTER_ID)
    rows = [ln for ln in FabricShow(twin).show("leaf1", SUMMARY).splitlines() if "| 10.0.0.4:111 " in ln and
            "01:11:11:11:11:11:11:00:00:02" in ln]
    assert sorted((ln.split("|")[1].strip(), ln.split("|")[6].strip()) for ln in rows) == [
        ("*", "10.0.0.3"), ("*", "10.0.0.3"), ("u*>", "10.0.0.4"), ("u*>", "10.0.0.4")], rows
    ce_mac = fabric.ethernet_segments["ES-2"].ce_mac.upper()
    assert twin.view().mac_table("leaf1", "mac-vrf-1")[ce_mac].vteps == ("10.0.0.4",)
