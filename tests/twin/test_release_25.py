"""The twin playing SR Linux 25.10 (`twin up --release 25.10`).

Its layouts are 24.10's except where a public 25.x transcript shows another (each cited in
show_render.py): the lines it changes are checked against the 25.x transcripts in
tests/fixtures, and everything the tool reads parses to the same values as 24.10's for the
same fabric state.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fabric_helpers import CE2_IPS

from nornir_evpn import platform
from nornir_evpn.checks import commands_for
from nornir_evpn.intent import derive_intent
from nornir_evpn.parsers.bgp_advertised import parse_advertised_evpn
from nornir_evpn.parsers.bgp_neighbors import parse_bgp_neighbors
from nornir_evpn.parsers.ethernet_segment import parse_ethernet_segment
from nornir_evpn.parsers.evpn_summary import parse_evpn_summary
from nornir_evpn.parsers.interface import parse_show_interface
from nornir_evpn.parsers.lacp import parse_lacp_state
from nornir_evpn.parsers.mac_table import parse_mac_table
from nornir_evpn.parsers.tables import clean_lines, iter_tables
from nornir_evpn.parsers.vxlan import parse_vxlan_brief
from nornir_evpn.topology import load_topology
from nornir_evpn.twin.fabric_lab import MH_CONFIG, boot_lab, with_lines
from nornir_evpn.twin.show_render import FabricShow

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
TOPOLOGY = ROOT / "inventory" / "evpn-mh01.clab.yml"
SUMMARY_25 = FIXTURES / "srl25_eda_leaf1_show_bgp_routes_evpn_summary.txt"  # 25.7.2
NEIGHBOR_26 = FIXTURES / "srl26_iffirb_leaf1_show_bgp_neighbor.txt"  # 26.3.1
MAC_24 = FIXTURES / "srl24_3stage_leaf1_show_mac_table.txt"


def _lab(mh: bool = True):
    fabric, running = boot_lab()
    if mh:
        for leaf in ("leaf1", "leaf2"):
            running[leaf] = with_lines(running[leaf], MH_CONFIG)
            fabric.on_commit(leaf, running[leaf])
    for ip in CE2_IPS:
        fabric.probe("ce1", ip)
    return fabric


def _headers(text: str) -> dict[str, list[str]]:
    """{`Type N ...` title: the column names of its table}."""
    lines = clean_lines(text)
    out = {}
    for table in iter_tables(lines):
        title = next(ln for ln in reversed(lines[:table.start]) if ln.startswith("Type "))
        out[title] = table.headers
    return out


# ------------------------------------------------------------------------ the 25.x lines
def test_release_25_10_route_summary_is_laid_out_as_the_25_x_transcripts() -> None:
    fabric = _lab()
    text = FabricShow(fabric, "25.10").show("leaf2", platform.SHOW_EVPN_SUMMARY)  # RT1..RT4
    lines = text.splitlines()
    real = SUMMARY_25.read_text().splitlines()
    assert lines[3] == real[4] == "Status codes: u=used, *=valid, >=best, x=stale, b=backup, w=unused-weight-only"
    # footers: eight route types, each `N used, N valid, 0 stale`, in the transcript's order
    footer = re.compile(r"^(\d+) (.+) routes (\d+) used, (\d+) valid, 0 stale$")
    ours = [m.group(2) for ln in lines if (m := footer.match(ln))]
    theirs = [m.group(2) for ln in real if (m := footer.match(ln))]
    assert ours == theirs and len(ours) == 8
    assert "2 Ethernet Auto-Discovery routes 2 used, 2 valid, 0 stale" in lines
    # RT2/RT3: the transcript's columns (Path-id after neighbor, RT2's Label for VNI)
    heads, real_heads = _headers(text), _headers(SUMMARY_25.read_text())
    for title in ("Type 2 MAC-IP Advertisement Routes", "Type 3 Inclusive Multicast Ethernet Tag Routes"):
        assert heads[title] == real_heads[title], title
    # RT4: the columns of a 25.7 lab's `route-type 4 summary` ("SR Linux <-> Multivendor
    # EVPN-VXLAN Lab" README); RT1: no 25.x transcript, 24.10's columns
    assert heads["Type 4 Ethernet Segment Routes"] == [
        "Status", "Route-distinguisher", "ESI", "originating-router", "neighbor", "Path-id", "Next-Hop"]
    assert heads["Type 1 Ethernet Auto-Discovery Routes"] == [
        "Status", "Route-distinguisher", "ESI", "Tag-ID", "neighbor", "Next-hop", "VNI"]
    # with RT1 routes the rule that opens its table stays (24.10); without, one rule (25.x)
    assert lines[7:10] == [lines[0], lines[0], "Type 1 Ethernet Auto-Discovery Routes"]
    before_mh = FabricShow(_lab(mh=False), "25.10").show("leaf3", platform.SHOW_EVPN_SUMMARY).splitlines()
    assert before_mh[7] == before_mh[0] and before_mh[8].startswith("Type ") and "Type 1 " not in before_mh
    assert real[7][:13] == "BGP Router ID" and real[8:10] == [real[3], "Type 2 MAC-IP Advertisement Routes"]


def test_release_25_10_prints_the_rest_as_24_10() -> None:
    fabric = _lab()
    v24, v25 = FabricShow(fabric, "24.10"), FabricShow(fabric, "25.10")
    # the neighbor summary: `established, 0 disabled peers`, as 25.10.2 and 26.3.1 print it
    summary = v25.show("spine1", platform.SHOW_BGP_NEIGHBORS).splitlines()
    assert summary[-2] == "3 configured neighbors, 3 configured sessions are established, 0 disabled peers"
    assert NEIGHBOR_26.read_text().splitlines()[-2].endswith("are established, 0 disabled peers")
    assert summary[:-2] == v24.show("spine1", platform.SHOW_BGP_NEIGHBORS).splitlines()[:-2]
    version = v25.show("leaf1", "show version").splitlines()
    assert version[6:8] == ["OS                   : SR Linux", "Software Version     : v25.10.1"]
    # 24.7 and later print the OS line (public 24.7.1, 24.10.1/.3/.5 transcripts); 23.7 none
    assert v24.show("leaf1", "show version").splitlines()[6] == "OS                   : SR Linux"
    assert "OS  " not in FabricShow(fabric, "23.7").show("leaf1", "show version")
    # no 25.x transcript shows these otherwise: 24.10's text, byte for byte (the mac table
    # is 24.10's in 25.7 and 25.10.2 transcripts too; 26.x adds two columns)
    same = ["show interface lag1", "show interface ethernet-1/49", "show lag lag1 lacp-state",
            "show system network-instance ethernet-segments ES-1 detail",
            "show network-instance default protocols bgp neighbor 10.0.0.2 advertised-routes evpn",
            "show network-instance default protocols bgp neighbor 10.0.0.2 received-routes evpn",
            "show network-instance mac-vrf-1 bridge-table mac-table all", platform.SHOW_VXLAN_BRIEF]
    # the ES detail's DF-election time is the render's own clock, to the millisecond: two
    # renders apart by a millisecond differ there (seen once in a full run)
    def stamped(text: str) -> str:
        return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "<time>", text)

    for command in same:
        assert stamped(v25.show("leaf1", command)) == stamped(v24.show("leaf1", command)), command
    macs = v25.show("leaf3", platform.show_mac_table("mac-vrf-1")).splitlines()
    assert [ln.split(":")[0] for ln in macs[-11:]] == [ln.split(":")[0] for ln in MAC_24.read_text().splitlines()[-11:]]


def test_23_7_and_24_10_are_untouched_by_25_10() -> None:
    fabric = _lab()
    summary = {r: FabricShow(fabric, r).show("leaf2", platform.SHOW_EVPN_SUMMARY).splitlines() for r in ("23.7", "24.10")}
    for lines in summary.values():
        assert lines[3] == "Status codes: u=used, *=valid, >=best, x=stale"
        assert lines[-2] == "0 IP Prefix routes 0 used, 0 valid"
        assert "Path-" not in "\n".join(lines)
    assert summary["23.7"] == summary["24.10"]


# ------------------------------------------------------------ same values as 24.10, parsed
PARSERS: list[tuple[str, Callable[[str], Any]]] = [
    ("show interface ", parse_show_interface),
    ("show lag ", parse_lacp_state),
    ("show system network-instance ethernet-segments ", parse_ethernet_segment),
    (platform.SHOW_EVPN_SUMMARY, parse_evpn_summary),
    ("show network-instance default protocols bgp neighbor ", parse_advertised_evpn),
    (platform.SHOW_BGP_NEIGHBORS, parse_bgp_neighbors),
    ("show tunnel-interface ", parse_vxlan_brief),
    ("show network-instance ", parse_mac_table),
]


def _parsed(show: FabricShow, node: str, command: str) -> Any:
    parse = next(p for prefix, p in PARSERS if command.startswith(prefix))
    value = parse(show.show(node, command))
    if parse is parse_bgp_neighbors:  # an uptime moves with the clock between two reads
        value = {k: dataclasses.replace(v, uptime="") for k, v in value.items()}
    if parse is parse_evpn_summary:
        value.routes.routes  # noqa: B018 - the tables, read lazily, compared too
    return value


def _fault_leaf1_member(fabric) -> None:
    fabric.set_link("leaf1:e1-1", "ce1:eth1", up=False)


def _fault_spine_uplink(fabric) -> None:
    fabric.set_link("leaf3:e1-49", "spine1:e1-3", up=False)


@pytest.mark.parametrize("state", ["healthy", "before-multihoming", "leaf1-member-down", "leaf3-uplink-down"])
def test_25_10_output_parses_to_the_same_values_as_24_10(state: str) -> None:
    """Every `show` the checks read, on every node: 25.10's text and 24.10's parse alike."""
    fabric = _lab(mh=state != "before-multihoming")
    if state == "leaf1-member-down":
        _fault_leaf1_member(fabric)
    elif state == "leaf3-uplink-down":
        _fault_spine_uplink(fabric)
    intent = derive_intent(load_topology(TOPOLOGY))
    v24, v25 = FabricShow(fabric, "24.10"), FabricShow(fabric, "25.10")
    compared = 0
    for node in intent.nodes:
        for command in commands_for(intent, node):
            try:
                want = _parsed(v24, node, command)
            except Exception as exc:  # a command the state has no answer for: same on 25.10
                with pytest.raises(type(exc)):
                    _parsed(v25, node, command)
                continue
            assert _parsed(v25, node, command) == want, (node, command)
            compared += 1
    assert compared >= 15
    if state == "healthy":  # the route tables were really compared, not just the counts
        summary = _parsed(v25, "leaf2", platform.SHOW_EVPN_SUMMARY)
        rows = {t: len(r) for t, r in summary.routes.routes.items()}
        assert rows == {t: n for t, n in summary.routes.counts.items() if n} and set(rows) == {1, 2, 3, 4}
