"""`configure --prune`: which BGP neighbors the intent no longer has (transcript input)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nornir_evpn.errors import ParseError
from nornir_evpn.intent import derive_intent
from nornir_evpn.prune import prune_lines
from nornir_evpn.topology import load_topology

ROOT = Path(__file__).resolve().parents[2]
SPINE1 = (ROOT / "tests" / "fixtures" / "l2evpn_spine1_show_bgp_neighbor.txt").read_text()


@pytest.fixture
def spine1():
    return derive_intent(load_topology(ROOT / "inventory" / "evpn-mh01.clab.yml")).nodes["spine1"]


def test_only_peers_of_owned_groups_the_intent_lacks(spine1) -> None:
    # the transcript's spine1 has eBGP-underlay sessions to leaf1 (192.168.11.1) and leaf2
    assert prune_lines(spine1, ["underlay", "overlay"], SPINE1) == []
    spine1.underlay = [u for u in spine1.underlay if u.peer != "leaf2"]
    assert prune_lines(spine1, ["underlay", "overlay"], SPINE1) == [
        "delete / network-instance default protocols bgp neighbor 192.168.12.1"]
    assert prune_lines(spine1, ["overlay"], SPINE1) == []  # underlay not configured now: not owned
    spine1.underlay_group = "underlay-v2"  # sessions of a group the intent does not name stay
    assert prune_lines(spine1, ["underlay", "overlay"], SPINE1) == []


def test_no_bgp_yet_prunes_nothing_and_garbage_is_an_error(spine1) -> None:
    assert prune_lines(spine1, ["underlay"], "Error: network-instance default has no bgp\n") == []
    with pytest.raises(ParseError):
        prune_lines(spine1, ["underlay"], "something else entirely\n")


def test_list_resets_empty_each_owned_list_the_config_sets_once_before_it() -> None:
    from nornir_evpn.prune import list_resets
    from nornir_evpn.render import Renderer

    fabric = derive_intent(load_topology(ROOT / "inventory" / "evpn-mh01.clab.yml"))
    config = [ln for lines in Renderer().render(fabric.nodes["leaf1"], fabric).values() for ln in lines]
    es = "system network-instance protocols evpn ethernet-segments bgp-instance 1 ethernet-segment ES-1 interface"
    assert list_resets(config) == [
        "delete / interface ethernet-1/49 subinterface 0 ipv4 address",
        "delete / interface system0 subinterface 0 ipv4 address",
        f"delete / {es}",
    ]
    # nothing else the intent sets is emptied: not a BGP group, not the mac-vrf's interfaces
    assert list_resets(["set / network-instance mac-vrf-1 interface lag1.0",
                        "set / interface lag1 subinterface 0 vlan encap untagged"]) == []
