"""Where the twin reads a BGP session's address families from (the neighbor's afi-safi, else
its group's, else the BGP instance's) and how its neighbor table shows them: cases the
mutation tester found no test for."""

from __future__ import annotations

import asyncio

from fabric_helpers import tables

from nornir_evpn import platform
from nornir_evpn.twin.cli_engine import CliSession
from nornir_evpn.twin.config_tree import parse_flat
from nornir_evpn.twin.datastore import NodeDatastore
from nornir_evpn.twin.fabric_lab import boot_lab
from nornir_evpn.twin.show_render import FabricShow

BGP = "/ network-instance default protocols bgp"


def _commit(fabric, running, node: str, *lines: str) -> None:
    tree = running[node].copy()
    tree.merge(parse_flat("\n".join(f"set {line}" for line in lines)))
    fabric.on_commit(node, tree)
    running[node] = tree


def _rows(fabric, node: str) -> dict[str, tuple[str, str]]:
    """peer -> (AFI/SAFI, [Rx/Active/Tx]) of `node`'s neighbor table (a session's family
    lines joined, as `tables` joins a cell's wrapped lines)."""
    return {r[1]: (r[7], r[8]) for r in tables(FabricShow(fabric).show(node, platform.SHOW_BGP_NEIGHBORS))[0]}


def test_the_neighbor_table_has_one_line_per_family_a_session_enables():
    """leaf3 enables ipv4-unicast on its session to leaf1 (evpn too, from the group) and
    only ipv4-unicast on the one to leaf2: the first has an evpn line with its routes and an
    ipv4-unicast line under it ([1/1/1]: leaf1 enables it too); the second one line,
    [0/0/0] (leaf2's group disables ipv4-unicast). leaf2's side of that session still
    enables evpn, which leaf3 no longer does: an evpn line with nothing exchanged."""
    fabric, running = boot_lab()
    _commit(fabric, running, "leaf3", f"{BGP} neighbor 10.0.0.1 afi-safi ipv4-unicast admin-state enable",
            f"{BGP} neighbor 10.0.0.2 afi-safi evpn admin-state disable",
            f"{BGP} neighbor 10.0.0.2 afi-safi ipv4-unicast admin-state enable")
    _commit(fabric, running, "leaf1", f"{BGP} neighbor 10.0.0.3 afi-safi ipv4-unicast admin-state enable")
    assert _rows(fabric, "leaf3") == {
        "10.0.0.1": ("evpnipv4-unicast", "[1/1/1][1/1/1]"),
        "10.0.0.2": ("ipv4-unicast", "[0/0/0]"),
        "192.168.13.2": ("ipv4-unicast", "[1/1/1]"),
    }
    assert _rows(fabric, "leaf2")["10.0.0.3"] == ("evpn", "[0/0/0]")


def test_a_session_not_established_shows_no_family():
    """A session down shows `-` for its families and counts, whatever it enables."""
    fabric, _ = boot_lab()
    fabric.set_link("leaf3:e1-49", "spine1:e1-3", up=False)
    rows = _rows(fabric, "leaf3")
    assert rows["10.0.0.1"] == rows["192.168.13.2"] == ("-", "-")


def test_the_bgp_instances_ipv4_unicast_disable_holds_where_no_group_or_neighbor_sets_one():
    """The underlay group and neighbors set no ipv4-unicast admin-state: BGP's own disable
    is theirs, no route crosses leaf3's uplink and its overlay sessions go down."""
    fabric, running = boot_lab()
    _commit(fabric, running, "leaf3", f"{BGP} afi-safi ipv4-unicast admin-state disable",
            f"{BGP} afi-safi evpn admin-state enable")
    v = fabric.view()
    assert v.session("leaf3", "192.168.13.2").established
    assert (v.session("leaf3", "192.168.13.2").ipv4, v.session("spine1", "192.168.13.1").peer_ipv4) == (False, False)
    assert not v.session("leaf3", "10.0.0.1").established
    assert v.session("leaf1", "10.0.0.2").established


def test_ipv4_unicast_set_nowhere_is_taken_as_enabled():
    """No level sets ipv4-unicast's admin-state (BGP's deleted on both ends): the twin takes
    it as enabled, as before it read the afi-safi levels; the underlay carries routes."""
    fabric, running = boot_lab()
    for node in ("leaf3", "spine1"):
        running[node].delete(("network-instance", "default", "protocols", "bgp", "afi-safi", "ipv4-unicast",
                              "admin-state"))
        fabric.on_commit(node, running[node])
    assert _rows(fabric, "leaf3")["192.168.13.2"] == ("ipv4-unicast", "[1/1/1]")
    assert fabric.view().session("leaf3", "10.0.0.1").established


def test_a_neighbors_afi_safi_entry_without_admin_state_follows_its_group():
    """configure deletes a neighbor's `afi-safi evpn admin-state`, not the afi-safi entry:
    the entry left with no admin-state sets nothing, and the group's evpn enable carries
    the routes again."""
    fabric, running = boot_lab()
    _commit(fabric, running, "leaf3", f"{BGP} neighbor 10.0.0.1 afi-safi evpn admin-state disable",
            f"{BGP} neighbor 10.0.0.1 afi-safi ipv4-unicast admin-state enable")
    assert "10.0.0.1" not in {a for _r, a in fabric.view().rib("leaf3")}
    nb = ("network-instance", "default", "protocols", "bgp", "neighbor", "10.0.0.1", "afi-safi")
    tree = running["leaf3"].copy()
    tree.delete((*nb, "evpn", "admin-state"))
    tree.delete((*nb, "ipv4-unicast", "admin-state"))
    assert set(tree.keys(nb)) == {"evpn", "ipv4-unicast"}  # the entries stay
    fabric.on_commit("leaf3", tree)
    v = fabric.view()
    assert (v.session("leaf3", "10.0.0.1").overlay, v.session("leaf3", "10.0.0.1").ipv4) == (True, False)
    assert "10.0.0.1" in {a for _r, a in v.rib("leaf3")}


def _commit_cli(ds: NodeDatastore, *lines: str) -> str:
    s = CliSession(ds)
    for line in ("enter candidate private", *lines):
        assert "rror" not in asyncio.run(s.handle_line(line))
    return asyncio.run(s.handle_line("commit now"))


def test_a_disabled_group_may_have_no_address_family(leaf1_ds: NodeDatastore) -> None:
    """The `must` is on an enabled group's admin-state: a group disabled commits with every
    family disabled (its neighbors, each its own `must`, disabled too)."""
    assert "rror" not in _commit_cli(leaf1_ds, f"set {BGP} group iBGP-overlay admin-state disable",
                                     f"set {BGP} neighbor 10.0.0.2 admin-state disable",
                                     f"set {BGP} neighbor 10.0.0.3 admin-state disable",
                                     f"set {BGP} group iBGP-overlay afi-safi evpn admin-state disable")


def test_ipv6_unicast_alone_is_an_address_family(leaf1_ds: NodeDatastore) -> None:
    """ipv6-unicast counts as much as ipv4-unicast or evpn: a neighbor carrying only it commits."""
    assert "rror" not in _commit_cli(leaf1_ds, f"set {BGP} neighbor 10.0.0.2 afi-safi evpn admin-state disable",
                                     f"set {BGP} neighbor 10.0.0.2 afi-safi ipv6-unicast admin-state enable")
