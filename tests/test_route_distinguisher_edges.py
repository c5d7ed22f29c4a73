"""Edges of the RD support that mutation testing found unpinned (0.15 review, mut15).

Each test names what a user would see go wrong: an RD SR Linux refuses accepted here (the
commit fails on the device, not in one line before any connection), or a verify verdict
that counts another mac-vrf's or another ES's routes as the intent's.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from nornir_evpn import platform
from nornir_evpn.checks import evaluate
from nornir_evpn.intent import derive_intent
from nornir_evpn.inventory import fabric_from_docs, load_inventory_docs
from nornir_evpn.topology import load_topology
from nornir_evpn.validation import check_route_distinguisher

ROOT = Path(__file__).resolve().parent.parent
INVENTORY = ROOT / "inventory"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.mark.parametrize("rd", [
    "65535:4294967295",  # the largest 2-byte AS takes a 4-byte number
    "65536:65535",  # the smallest 4-byte AS, with the largest 2-byte number
    "4294967295:1",  # the largest 4-byte AS
    "65535.65535:65535",  # asdot at its bounds
])
def test_rds_at_the_bounds_are_taken(rd) -> None:
    assert check_route_distinguisher(rd, "route_distinguisher") == rd


@pytest.mark.parametrize("rd", [
    "4294967296:1",  # an AS past 4 bytes
    "100:4294967296",  # a number past 4 bytes
    "65536:65536",  # a 4-byte AS leaves 2 bytes for the number
    "1.2:65536",  # asdot: <2-byte>.<2-byte>:<2-byte>
    "1.2.3.4.5:6",  # neither an IPv4 address nor asdot
])
def test_rds_past_the_bounds_are_refused(rd) -> None:
    with pytest.raises(ValueError, match=re.escape("expected ASN:NN")):
        check_route_distinguisher(rd, "route_distinguisher")


@pytest.fixture(scope="module")
def mh01():
    return derive_intent(load_topology(INVENTORY / "evpn-mh01.clab.yml"))


def test_another_evis_derived_rd_does_not_stand_in_for_the_intents_routes(mh01) -> None:
    """leaf1 advertises only another mac-vrf's routes (`10.0.0.1:222`, an RD derived from its
    own system IP): the one-RD guess is for an RD set by hand, not for these (evpn.py)."""
    view = (FIXTURES / "tutorial_leaf1_show_bgp_neighbor_10.0.0.2_advertised_evpn.txt").read_text()
    view = view.replace("10.0.0.1:111", "10.0.0.1:222")
    [r] = evaluate(mh01, "leaf1", {platform.show_advertised_evpn("10.0.0.2"): view}, checks=["evpn.advertised"])
    assert not r.ok and r.observed["to 10.0.0.2 RT3"] == 0, r.detail


def test_an_rt1_of_an_es_outside_the_intent_is_not_counted(mh01) -> None:
    """One of leaf1's RT1 rows in leaf3's RIB carries an ES of the operator's own in the
    intent's EVI: that row is not one of the intent's, and does not stand in for it."""
    text = (FIXTURES / "tutorial_leaf3_show_bgp_routes_evpn_summary.txt").read_text()
    row = "| u*>    | 10.0.0.1:111            | 01:11:11:11:11:11:11:00:00:01  | 0          |"
    assert row in text
    view = text.replace(row, row.replace(":00:00:01  |", ":00:00:09  |"))
    [r] = evaluate(mh01, "leaf3", {platform.SHOW_EVPN_SUMMARY: view}, checks=["evpn.received"])
    assert not r.ok and r.observed["mac-vrf-1 RT1"] == 3, r.detail


fabric_lab = pytest.importorskip("nornir_evpn.twin.fabric_lab")
show_render = pytest.importorskip("nornir_evpn.twin.show_render")


def test_received_fails_when_a_leaf_does_not_use_the_rd_the_intent_gives_it() -> None:
    """Every leaf's RD set by hand with the intent's EVI as its number (`6500N:111`); the
    intent says 65009:111 for leaf1, which advertises 65001:111. The footers add up and every
    row's number is the EVI, yet leaf1's routes are not the ones the intent names: leaf3's
    evpn.received is counted row by row, and fails (as leaf1's evpn.advertised does)."""
    rds = {"leaf1": "65001:111", "leaf2": "65002:111", "leaf3": "65003:111"}
    fabric, running = fabric_lab.boot_lab()
    for leaf, rd in rds.items():
        lines = fabric_lab.MH_CONFIG if leaf != "leaf3" else ""
        lines += f"set / network-instance mac-vrf-1 protocols bgp-vpn bgp-instance 1 route-distinguisher rd {rd}\n"
        running[leaf] = fabric_lab.with_lines(running[leaf], lines)
        fabric.on_commit(leaf, running[leaf])
    show = show_render.FabricShow(fabric)
    docs = copy.deepcopy(load_inventory_docs(INVENTORY))
    for leaf, rd in {**rds, "leaf1": "65009:111"}.items():
        docs["hosts"][leaf]["data"]["route_distinguisher"] = rd
    told = fabric_from_docs(docs)
    from nornir_evpn.checks import commands_for

    outputs = {c: show.show("leaf3", c) for c in commands_for(told, "leaf3")}
    [r] = evaluate(told, "leaf3", outputs, checks=["evpn.received"])
    assert not r.ok and r.observed["mac-vrf-1 RT3"] == 1, r.detail
    # the same lab told the RDs it has passes
    right = copy.deepcopy(docs)
    right["hosts"]["leaf1"]["data"]["route_distinguisher"] = "65001:111"
    [r] = evaluate(fabric_from_docs(right), "leaf3", outputs, checks=["evpn.received"])
    assert r.ok, r.detail


def test_writing_the_inventory_again_carries_an_rd_only_to_the_same_leaf(tmp_path, capsys) -> None:
    """The hosts.yaml written over has a leaf the topology no longer has (leaf9) and a node
    that was a leaf and is now a spine (spine1): the first is left out (the command crashed
    on it under a mutant), the second does not get a leaf's RD (the next command would
    refuse "route_distinguisher is set but the node has no mac_vrf")."""
    import yaml

    from nornir_evpn.cli import main

    lab = INVENTORY / "evpn-mh01.clab.yml"
    inv = tmp_path / "inv"
    assert main(["inventory", "--topology", str(lab), "--out", str(inv)]) == 0
    hosts = yaml.safe_load((inv / "hosts.yaml").read_text())
    hosts["leaf1"]["data"]["route_distinguisher"] = "65001:111"
    hosts["leaf9"] = copy.deepcopy(hosts["leaf3"])
    hosts["leaf9"]["data"]["route_distinguisher"] = "65009:111"
    hosts["spine1"]["data"] = {**hosts["leaf2"]["data"], "route_distinguisher": "65002:111"}
    (inv / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    capsys.readouterr()
    assert main(["inventory", "--topology", str(lab), "--out", str(inv)]) == 0
    again = yaml.safe_load((inv / "hosts.yaml").read_text())
    assert "leaf9" not in again and "route_distinguisher" not in again["spine1"]["data"]
    assert again["leaf1"]["data"]["route_distinguisher"] == "65001:111"
    assert "note: kept your host data: leaf1 route_distinguisher (" in capsys.readouterr().err
    fabric_from_docs(load_inventory_docs(inv))  # what the next command reads: valid


def test_a_received_path_that_is_not_valid_is_not_counted(mh01) -> None:
    """leaf2's IMET in leaf3's RIB is there but not valid (status `x`, stale: no `*`):
    the footer says 1 valid, and the row by row count must not take it for a usable one."""
    text = (FIXTURES / "tutorial_leaf3_show_bgp_routes_evpn_summary.txt").read_text()
    row = "| u*>    | 10.0.0.2:111                         | 0          | 10.0.0.2  "
    assert row in text
    view = text.replace(row, row.replace("| u*>    |", "| x      |")).replace(
        "2 Inclusive Multicast Ethernet Tag routes 2 used, 2 valid",
        "2 Inclusive Multicast Ethernet Tag routes 1 used, 1 valid")
    [r] = evaluate(mh01, "leaf3", {platform.SHOW_EVPN_SUMMARY: view}, checks=["evpn.received"])
    assert not r.ok and r.observed["mac-vrf-1 RT3"] == 1, r.detail


def test_the_inventory_snapshot_is_as_readable_as_the_inventory(tmp_path) -> None:
    """`.generated-connection.yaml` is the inventory's, not the tool's state: a teammate's
    `inventory` run reads it to keep what was edited, so it takes the umask as the YAML
    files do (not 0600)."""
    import os

    from nornir_evpn.cli import main

    old = os.umask(0o022)
    try:
        assert main(["inventory", "--topology", str(INVENTORY / "evpn-mh01.clab.yml"),
                     "--out", str(tmp_path / "inv")]) == 0
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "inv").iterdir() if p.is_file()}
    assert modes[".generated-connection.yaml"] == modes["hosts.yaml"] == 0o644, modes
