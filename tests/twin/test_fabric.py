"""Fabric model: derived state, timing views, scale."""

from __future__ import annotations

import time

import pytest
from fabric_helpers import FakeClock, tutorial_fabric

from nornir_evpn.topology import Endpoint, Link, Node, Topology
from nornir_evpn.twin import timing as tm
from nornir_evpn.twin.config_tree import parse_flat
from nornir_evpn.twin.fabric import Fabric, flow_hash, parse_endpoint
from nornir_evpn.twin.fabric_ce import parse_ce
from nornir_evpn.twin.fabric_lab import boot_lab


def test_boot_sessions_underlay_and_overlay_are_established():
    fabric, _ = boot_lab()
    v = fabric.view()
    states = {(s.node, s.address): (s.established, s.peer) for n in fabric.srl_nodes for s in v.sessions(n)}
    assert states[("leaf1", "192.168.11.2")] == (True, "spine1")
    assert states[("spine1", "192.168.13.1")] == (True, "leaf3")
    assert states[("leaf1", "10.0.0.3")] == (True, "leaf3")
    assert states[("leaf3", "10.0.0.2")] == (True, "leaf2")


def test_overlay_goes_down_when_the_underlay_path_breaks():
    fabric, _ = boot_lab()
    fabric.set_link("leaf3:e1-49", "spine1:e1-3", up=False)
    v = fabric.view()
    assert not v.session("leaf3", "192.168.13.2").established
    assert not v.session("leaf1", "10.0.0.3").established
    assert v.session("leaf1", "10.0.0.2").established


def test_peer_as_mismatch_keeps_session_down():
    fabric, running = boot_lab()
    tree = running["spine1"].copy()
    tree.merge(parse_flat("set / network-instance default protocols bgp neighbor 192.168.11.1 peer-as 999"))
    fabric.on_commit("spine1", tree)
    assert not fabric.view().session("leaf1", "192.168.11.2").established


@pytest.mark.parametrize("line", [
    "set / network-instance default protocols bgp group iBGP-overlay admin-state disable",
    "set / network-instance default protocols bgp admin-state disable",
])
def test_a_disabled_bgp_group_or_instance_takes_its_sessions_down(line: str):
    """A hand edit disabling the overlay group or BGP itself left every session up in the
    twin (verify PASS); SR Linux tears them down (srl_nokia-bgp.yang admin-state)."""
    fabric, running = boot_lab()
    tree = running["leaf3"].copy()
    tree.merge(parse_flat(line))
    fabric.on_commit("leaf3", tree)
    v = fabric.view()
    assert not v.session("leaf3", "10.0.0.1").established
    assert not v.session("leaf1", "10.0.0.3").established
    assert v.session("leaf1", "10.0.0.2").established
    underlay_up = v.session("leaf3", "192.168.13.2").established
    assert underlay_up == ("group" in line)  # the group disables the overlay only
    # the disabled side is idle (a disabled session returns to IDLE), the other one active
    assert (v.session("leaf3", "10.0.0.1").state, v.session("leaf1", "10.0.0.3").state) == ("idle", "active")


BGP = "set / network-instance default protocols bgp"


@pytest.mark.parametrize("lines", [
    # the neighbor's afi-safi overrides its group's evpn enable (srl_nokia-bgp.yang); with
    # ipv4-unicast enabled there instead, as SR Linux commits it
    [f"{BGP} neighbor 10.0.0.1 afi-safi evpn admin-state disable",
     f"{BGP} neighbor 10.0.0.1 afi-safi ipv4-unicast admin-state enable"],
    # the group's: every session of it
    [f"{BGP} group iBGP-overlay afi-safi evpn admin-state disable",
     f"{BGP} group iBGP-overlay afi-safi ipv4-unicast admin-state enable"],
])
def test_an_evpn_address_family_disabled_on_a_session_stops_its_routes(lines: list[str]):
    """`afi-safi evpn admin-state disable` on an overlay neighbor left the twin exchanging
    EVPN routes over the session (it read the group's afi-safi only): verify PASSed where a
    device loses the routes. The session stays up, carrying ipv4-unicast; the far end's
    still enables evpn, so its neighbor table says evpn with nothing exchanged."""
    fabric, running = boot_lab()
    v = fabric.view()
    assert {a for _r, a in v.rib("leaf3")} == {"10.0.0.1", "10.0.0.2"}
    tree = running["leaf3"].copy()
    tree.merge(parse_flat("\n".join(lines)))
    fabric.on_commit("leaf3", tree)
    v = fabric.view()
    s, far = v.session("leaf3", "10.0.0.1"), v.session("leaf1", "10.0.0.3")
    assert s.established and far.established
    assert (s.overlay, s.ipv4, far.overlay, far.peer_evpn) == (False, True, True, False)
    assert "10.0.0.1" not in {a for _r, a in v.rib("leaf3")}
    assert "10.0.0.3" not in {a for _r, a in v.rib("leaf1")}
    assert v.advertised("leaf1", "10.0.0.3") == [] and v.advertised_count("leaf1", "10.0.0.3") == 0
    # the other session of the group keeps its routes where only the neighbor's changed
    assert ("10.0.0.2" in {a for _r, a in v.rib("leaf3")}) == ("neighbor" in lines[0])


def test_an_underlay_session_without_ipv4_unicast_carries_no_routes():
    """An underlay neighbor's (or group's) ipv4-unicast disabled: no routes cross the
    session, so the loopbacks behind it are unreachable and the overlay sessions over it
    go down (leaf3 has one uplink)."""
    fabric, running = boot_lab()
    tree = running["leaf3"].copy()
    tree.merge(parse_flat(f"{BGP} neighbor 192.168.13.2 afi-safi ipv4-unicast admin-state disable\n"
                          f"{BGP} neighbor 192.168.13.2 afi-safi evpn admin-state enable"))
    fabric.on_commit("leaf3", tree)
    v = fabric.view()
    assert v.session("leaf3", "192.168.13.2").established
    assert not v.session("leaf3", "10.0.0.1").established
    assert not v.session("leaf1", "10.0.0.3").established
    assert v.session("leaf1", "10.0.0.2").established


def test_a_mac_vrf_without_its_vxlan_interface_advertises_nothing():
    """bgp-evpn with no vxlan-interface in the mac-vrf is oper-down (no-vxlan-interface):
    the twin kept originating leaf3's RT3 (verify PASS after the edit)."""
    fabric, running = boot_lab()
    assert [r.type for r in fabric.view().originated("leaf3")] == [3]
    tree = running["leaf3"].copy()
    tree.delete(("network-instance", "mac-vrf-1", "vxlan-interface", "vxlan1.1"))
    tree.delete(("network-instance", "mac-vrf-1", "protocols", "bgp-evpn", "bgp-instance", "1", "vxlan-interface"))
    fabric.on_commit("leaf3", tree)
    assert fabric.view().originated("leaf3") == []


def test_before_mh_config_leaf1_has_no_lag_and_no_es_routes():
    fabric, _ = boot_lab()
    v = fabric.view()
    assert v.ethernet_segments("leaf1") == {}
    assert [r.type for r in v.originated("leaf1")] == [3]
    assert not fabric.probe("ce1", "192.168.0.21").delivered


def test_views_lag_behind_changes_by_component_delay():
    clock = FakeClock()
    profile = tm.TimingProfile("t", lacp=1.0, bgp=2.0, es=3.0, evpn=4.0, mac=0.5)
    fabric, _running, _show = tutorial_fabric(profile, clock)
    fabric.set_link("leaf1:ethernet-1/1", "ce1:eth1", up=False)
    assert fabric.view(tm.LACP).iface_up("leaf1", "lag1")
    clock.advance(1.0)
    assert not fabric.view(tm.LACP).iface_up("leaf1", "lag1")
    assert fabric.view(tm.ES).ethernet_segments("leaf1")["ES-1"].oper_up
    clock.advance(2.0)
    assert not fabric.view(tm.ES).ethernet_segments("leaf1")["ES-1"].oper_up
    assert not fabric.converged()
    clock.advance(1.0)
    assert fabric.converged()
    assert len([r for r, _ in fabric.view(tm.EVPN).rib("leaf3") if r.type == 1]) == 2


def test_parse_ce_bond_and_vrf_ports():
    ce1 = parse_ce("ce1", [
        "ip link add bond0 type bond mode 802.3ad",
        "ip link set address 00:c1:ab:00:00:11 dev bond0",
        "ip addr add 192.168.0.11/24 dev bond0",
        "ip link set eth1 master bond0",
        "ip link set eth2 master bond0",
    ])
    bond = ce1.interfaces["bond0"]
    assert (bond.bond, bond.lacp, bond.members, bond.mac) == (True, True, ["eth1", "eth2"], "00:C1:AB:00:00:11")
    assert ce1.source_for("192.168.0.22") is bond


def test_endpoint_parsing_and_flow_hash():
    assert parse_endpoint("leaf1:e1-1") == ("leaf1", "ethernet-1/1")
    assert parse_endpoint("ce1:eth1") == ("ce1", "eth1")
    with pytest.raises(ValueError):
        parse_endpoint("leaf1")
    assert [flow_hash("192.168.0.11", f"192.168.0.2{i}") % 2 for i in (1, 2, 3)] == [0, 1, 0]


def test_set_link_rejects_endpoints_that_are_not_cabled():
    fabric, _ = boot_lab()
    with pytest.raises(ValueError, match="no link"):
        fabric.set_link("leaf1:e1-1", "ce1:eth2", up=False)


def _big_fabric(n_leaves: int) -> tuple[Fabric, dict]:
    nodes = {"spine1": Node(name="spine1", kind="srl")}
    links = []
    configs = {}
    spine = ["set / network-instance default protocols bgp autonomous-system 201",
             "set / network-instance default protocols bgp group eBGP-underlay export-policy all"]
    for i in range(1, n_leaves + 1):
        name = f"leaf{i}"
        nodes[name] = Node(name=name, kind="srl")
        links.append(Link(a=Endpoint(node=name, interface="ethernet-1/49"),
                          b=Endpoint(node="spine1", interface=f"ethernet-1/{i}")))
        net = f"10.{i // 200}.{i % 200}"
        spine += [f"set / interface ethernet-1/{i} subinterface 0 ipv4 address {net}.2/30",
                  f"set / network-instance default protocols bgp neighbor {net}.1 peer-group eBGP-underlay",
                  f"set / network-instance default protocols bgp neighbor {net}.1 peer-as {1000 + i}"]
        lines = [f"set / interface ethernet-1/49 subinterface 0 ipv4 address {net}.1/30",
                 f"set / interface system0 subinterface 0 ipv4 address 10.255.{i // 250}.{i % 250}/32",
                 f"set / network-instance default protocols bgp autonomous-system {1000 + i}",
                 "set / network-instance default protocols bgp group eBGP-underlay export-policy all",
                 "set / network-instance default protocols bgp group eBGP-underlay peer-as 201",
                 f"set / network-instance default protocols bgp neighbor {net}.2 peer-group eBGP-underlay",
                 "set / network-instance default protocols bgp group iBGP-overlay peer-as 100",
                 "set / network-instance default protocols bgp group iBGP-overlay local-as as-number 100",
                 "set / network-instance default protocols bgp group iBGP-overlay afi-safi evpn admin-state enable",
                 "set / network-instance mac-vrf-1 type mac-vrf",
                 "set / network-instance mac-vrf-1 vxlan-interface vxlan1.1",
                 "set / network-instance mac-vrf-1 protocols bgp-evpn bgp-instance 1 evi 111",
                 "set / network-instance mac-vrf-1 protocols bgp-vpn bgp-instance 1 route-target export-rt target:100:111",
                 "set / network-instance mac-vrf-1 protocols bgp-vpn bgp-instance 1 route-target import-rt target:100:111"]
        for j in range(1, n_leaves + 1):
            if j != i:
                lines += [f"set / network-instance default protocols bgp neighbor 10.255.{j // 250}.{j % 250} peer-group iBGP-overlay",
                          f"set / network-instance default protocols bgp neighbor 10.255.{j // 250}.{j % 250} transport local-address 10.255.{i // 250}.{i % 250}"]
        configs[name] = parse_flat("\n".join(lines))
    configs["spine1"] = parse_flat("\n".join(spine))
    topo = Topology(name="big", path="/tmp/big.clab.yml", nodes=nodes, links=links)
    fabric = Fabric(topo)
    fabric.load_configs(configs)
    return fabric, configs


def test_128_leaf_full_mesh_recompute_after_commit_is_fast():
    fabric, configs = _big_fabric(128)
    v = fabric.view()
    assert sum(s.established for s in v.sessions("leaf1")) == 128  # 127 iBGP + 1 eBGP
    assert len([r for r, _ in v.rib("leaf1") if r.type == 3]) == 127
    tree = configs["leaf5"].copy()
    tree.merge(parse_flat("set / network-instance mac-vrf-1 admin-state disable"))
    start = time.perf_counter()
    fabric.on_commit("leaf5", tree)
    v = fabric.view()
    imet = [r for r, _ in v.rib("leaf1") if r.type == 3]
    sessions = v.sessions("leaf77")
    elapsed = time.perf_counter() - start
    assert len(imet) == 126
    assert sum(s.established for s in sessions) == 128
    assert elapsed < 1.0, elapsed
