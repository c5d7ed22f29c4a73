"""Table layout and `show` dispatch of the twin's renderers."""

from __future__ import annotations

import asyncio
import json

import pytest
from fabric_helpers import tables, tutorial_fabric

from nornir_evpn import platform
from nornir_evpn.parsers.bgp_neighbors import parse_bgp_neighbors
from nornir_evpn.twin.cli_engine import UnknownCommand
from nornir_evpn.twin.fabric_lab import with_lines
from nornir_evpn.twin.show_table import render_table, wrap


@pytest.mark.parametrize(
    ("text", "width", "lines"),
    [
        ("IN_SYNC/True/True/True", 9, ["IN_SYNC/T", "rue/True/", "True"]),
        ("iBGP-overlay", 9, ["iBGP-", "overlay"]),  # letter before the hyphen: break there
        ("ipv4-unicast", 9, ["ipv4-unic", "ast"]),  # digit before it: cut at the width
        ("Route-distinguisher", 12, ["Route-distin", "guisher"]),
        ("00:C1:AB:00:00:11", 15, ["00:C1:AB:00:00:", "11"]),
        ("vxlan-interface:vxlan1.1 esi:01:11:11:11:11:11:11:00:00:01", 37,
         ["vxlan-interface:vxlan1.1", "esi:01:11:11:11:11:11:11:00:00:01"]),
        ("", 5, [""]),
    ],
)
def test_wrap_like_sr_linux(text, width, lines):
    assert wrap(text, width) == lines


def test_render_table_centres_headers_and_wraps_cells():
    out = render_table(["Members", "Partner Id"], [14, 11], [["ethernet-1/1", "00:C1:AB:00:00:11"]])
    assert out == [
        "+--------------+-----------+",
        "|   Members    |  Partner  |",
        "|              |    Id     |",
        "+==============+===========+",
        "| ethernet-1/1 | 00:C1:AB: |",
        "|              | 00:00:11  |",
        "+--------------+-----------+",
    ]


@pytest.fixture(scope="module")
def lab():
    return tutorial_fabric()


def test_unknown_commands_raise(lab):
    show = lab[2]
    with pytest.raises(UnknownCommand):
        show.show("leaf1", "show foo bar")
    with pytest.raises(UnknownCommand):
        show.show("leaf1", "show interface lag9")
    with pytest.raises(UnknownCommand):
        show.show("ce1", "show version")


def test_show_version_and_leading_slash(lab):
    show = lab[2]
    assert "Hostname             : leaf2" in show.show("leaf2", "show version")
    assert show.show("leaf1", "/show interface lag1") == show.show("leaf1", "show interface lag1")


def test_show_interface_all_lists_every_interface(lab):
    out = lab[2].show("spine1", "show interface")
    assert "ethernet-1/1 is up, speed 10G, type None" in out
    assert "    IPv4 addr    : 192.168.11.2/30 (static, None)" in out
    assert "    Network-instance: default" in out
    assert out.index("ethernet-1/1 is up") < out.index("ethernet-1/3 is up") < out.index("system0 is up")


def test_bgp_neighbor_table_layout_matches_l2evpn_transcript(lab):
    out = lab[2].show("spine1", platform.SHOW_BGP_NEIGHBORS)
    rows = tables(out)[0]
    assert [r[:6] for r in rows] == [
        ["default", "192.168.11.1", "eBGP-underlay", "S", "101", "established"],
        ["default", "192.168.12.1", "eBGP-underlay", "S", "102", "established"],
        ["default", "192.168.13.1", "eBGP-underlay", "S", "103", "established"],
    ]
    assert "| ipv4-unic |" in out and "|  s   |" in out
    assert "3 configured neighbors, 3 configured sessions are established,0 disabled peers" in out
    parsed = parse_bgp_neighbors(out)
    assert len(parsed) == 3
    leaf1 = lab[2].show("leaf1", "show network-instance default protocols bgp neighbor 10.0.0.2")
    assert [r[1:7:4] for r in tables(leaf1)[0]] == [["10.0.0.2", "established"]]
    assert "| evpn" in leaf1


def test_received_routes_from_leaf2_on_leaf3(lab):
    out = lab[2].show("leaf3", "show network-instance default protocols bgp neighbor 10.0.0.2 received-routes evpn")
    assert "2 received Ethernet Auto-Discovery routes" in out
    assert "0 received Ethernet Segment routes" in out


def test_info_from_state_json_paths(lab):
    show = lab[2]
    lag = json.loads(show.state("leaf1", "/interface lag1", True))
    assert lag["oper-state"] == "up"
    assert lag["lag"]["member"]["ethernet-1/1"]["oper-state"] == "up"
    es = json.loads(show.state(
        "leaf2", "/system network-instance protocols evpn ethernet-segments bgp-instance 1 ethernet-segment ES-1",
        True))
    assert (es["oper-state"], es["df"], es["peers"]) == ("up", {"mac-vrf-1": "10.0.0.2"}, ["10.0.0.1", "10.0.0.2"])
    nb = json.loads(show.state("leaf3", "/network-instance default protocols bgp neighbor 10.0.0.1", True))
    assert nb["session-state"] == "established"
    macs = json.loads(show.state("leaf3", "/network-instance mac-vrf-1 bridge-table mac-table mac", True))
    assert macs["00:C1:AB:00:00:11"]["type"] == "evpn"
    with pytest.raises(UnknownCommand):
        show.state("leaf1", "/nothing here", True)


def test_cell_fast_path_wraps_exactly_like_textwrap():
    """Cells that fit skip textwrap (and results are cached): same lines either way."""
    import random
    import string

    from nornir_evpn.twin.show_table import _SrlWrapper, wrap

    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits + " -:/._\t"
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        width = rng.randint(1, 30)
        assert wrap(text, width) == (_SrlWrapper(width=width).wrap(text) or [""]), (text, width)
    lines = wrap("IN_SYNC/True/True/True", 10)
    lines.append("callers may change what they get")
    assert wrap("IN_SYNC/True/True/True", 10) == ["IN_SYNC/Tr", "ue/True/Tr", "ue"]


def test_route_views_are_rendered_once_per_fabric_state():
    """A poll that reads the same RIB again gets the same text without a new render; any
    change of state (here leaf1's member to ce1 unplugged) shows at once."""
    fabric, _, show = tutorial_fabric()
    summary = show.show("leaf3", platform.SHOW_EVPN_SUMMARY)
    advertised = show.show("leaf1", platform.show_advertised_evpn("10.0.0.2"))
    assert show.show("leaf3", platform.SHOW_EVPN_SUMMARY) is summary  # cached, not re-rendered
    assert show.show("leaf1", platform.show_advertised_evpn("10.0.0.2")) is advertised
    assert "4 Ethernet Auto-Discovery routes 4 used, 4 valid" in summary
    fabric.set_link("leaf1:e1-1", "ce1:eth1", up=False)
    after = show.show("leaf3", platform.SHOW_EVPN_SUMMARY)
    assert "2 Ethernet Auto-Discovery routes 2 used, 2 valid" in after  # leaf1 withdrew ES-1
    assert "0 advertised Ethernet Auto-Discovery routes" in show.show(
        "leaf1", platform.show_advertised_evpn("10.0.0.2"))
    fabric.set_link("leaf1:e1-1", "ce1:eth1", up=True)
    back = show.show("leaf3", platform.SHOW_EVPN_SUMMARY)
    assert "4 Ethernet Auto-Discovery routes 4 used, 4 valid" in back
    # leaf1 flushed ce1's MAC with the link: its RT2 comes back with ce1's next frame only
    def rt2(text: str) -> str:
        return text.split("Type 2 ")[1].split("Type 3 ")[0]

    assert "| 10.0.0.1:111 |" in rt2(summary) and "| 10.0.0.1:111 |" not in rt2(back)
    assert "| 10.0.0.2:111 |" in rt2(back) and "1 MAC-IP Advertisement routes 1 used, 1 valid" in back
    assert fabric.probe("ce1", "192.168.0.21").path[1] == "leaf1"
    assert show.show("leaf3", platform.SHOW_EVPN_SUMMARY) == summary


# --------------------------------------------------------------------- SR Linux 24.10 layouts
def _fixture_lines(fixtures, name: str) -> list[str]:
    return (fixtures / name).read_text().splitlines()


def test_release_24_10_prints_the_24_x_transcripts_layouts(fixtures) -> None:
    """Where 24.x prints differently from 23.7, the twin's 24.10 lines are those of the
    verbatim 24.x transcripts (the values differ: another lab)."""
    from nornir_evpn.twin.show_render import FabricShow

    fabric, _, _ = tutorial_fabric()
    show = FabricShow(fabric, "24.10")
    interface = _fixture_lines(fixtures, "srl24_pe2_show_interface.txt")
    lag = show.show("leaf1", "show interface lag1").splitlines()
    assert lag[3:5] == ["    Network-instances:", "      * Name: mac-vrf-1 (mac-vrf)"]
    uplink = show.show("leaf1", "show interface ethernet-1/49").splitlines()
    assert uplink[3:5] == interface[3:5]  # `* Name: default (default)`
    assert uplink[7].endswith(" (static, preferred, primary)") and interface[7].endswith(" (static, preferred, primary)")
    es = show.show("leaf1", "show system network-instance ethernet-segments ES-1 detail").splitlines()
    es24 = _fixture_lines(fixtures, "srl24_3stage_leaf1_show_es_detail.txt")
    assert es[15] == es24[16] == "  MAC-VRF     Actv Timer Rem   DF"
    macs = show.show("leaf3", "show network-instance mac-vrf-1 bridge-table mac-table all").splitlines()
    macs24 = _fixture_lines(fixtures, "srl24_3stage_leaf1_show_mac_table.txt")
    assert [ln.split(":")[0] for ln in macs[-11:]] == [ln.split(":")[0] for ln in macs24[-11:]]
    assert "v24.10.1" in show.show("leaf1", "show version")
    assert "Network-instance: mac-vrf-1" in FabricShow(fabric).show("leaf1", "show interface lag1")
    with pytest.raises(ValueError, match=r"release .25\.3.: the twin prints 23\.7, 24\.10, 25\.10$"):
        FabricShow(fabric, "25.3")



def test_a_human_at_the_twin() -> None:
    """What an engineer types from the tutorials: `/show ...` (absolute, as the tutorial
    does) was refused as "Unknown token 'show'", and an unknown show named its first word
    ('system' for `show system lldp neighbor`, 'version' for `show version | grep X`). A
    word only the first of which the device does not have is a typo; the others may be
    valid SR Linux the twin does not model."""
    from nornir_evpn.twin.cli_engine import CliSession
    from nornir_evpn.twin.datastore import NodeDatastore
    from nornir_evpn.twin.show_render import FabricShow

    fabric, running, _ = tutorial_fabric()
    session = CliSession(NodeDatastore("leaf1", running["leaf1"]), FabricShow(fabric))

    def run(line: str) -> str:
        return asyncio.run(session.handle_line(line))

    assert run("/show version") == run("show version")
    assert run("/show lag lag1 lacp-state") == run("show lag lag1 lacp-state")
    # SR Linux commands the twin does not model are not called typos
    for command in ("show system lldp neighbor", "show network-instance default protocols bgp summary",
                    "/show tunnel vxlan-tunnel all", "show interface brief", "show interface ethernet-1/33"):
        assert run(command).startswith(f"Error: not modelled by the digital twin: {command} (type 'help'")
    assert run("show versoin").startswith("Parsing error: Unknown token 'versoin'.")
    assert run("save startup now").startswith("Parsing error: Unknown token 'now'.")
    assert run("show version | grep Software").startswith(
        "Error: output modifiers (| grep, | as json ...) of show are not modelled by the digital twin")
    assert run("show lag").startswith("Error: not modelled by the digital twin: show lag")
    assert "show lag LAG lacp-state" in run("help")
    # an entry that is simply not configured (deleted by hand) is not a gap of the twin
    for command, entry in (("show system network-instance ethernet-segments ES-9 detail", "ethernet-segment ES-9"),
                           ("show network-instance default protocols bgp neighbor 10.0.0.9", "neighbor 10.0.0.9"),
                           ("show network-instance mac-vrf-9 bridge-table mac-table all", "network-instance mac-vrf-9"),
                           ("show lag lag9 lacp-state", "interface lag9"),
                           ("show interface lag9", "interface lag9")):  # was "not modelled" (review)
        assert run(command).startswith(f"Error: {entry} is not configured\n"), command


def test_tables_fit_the_sessions_terminal_only_when_asked() -> None:
    from nornir_evpn.twin.show_table import MIN_CELL, TERMINAL_COLUMNS, fit, render_table

    widths = [20, 39, 12, 12, 9, 8, 39]  # the mac table's: 139 + 8 borders
    assert fit(widths, 200) == widths  # it fits: the transcripts' widths
    assert fit(widths, 80) == [11, 11, 11, 11, 9, 8, 11]  # the widest cut to one level: 72 + 8 borders
    assert fit(widths, 20) == [MIN_CELL] * 7  # never narrower than a readable cell
    rows = [("00:C1:AB:00:00:11", "vxlan-interface:vxlan1.1 esi:01:11:11:11:11:11:11:00:00:01",
             "1001", "evpn", "true", "N/A", "2026-11-27T06:12:27.487Z")]
    headers = ["Address", "Destination", "Dest Index", "Type", "Active", "Aging", "Last Update"]
    wide = render_table(headers, widths, rows)
    token = TERMINAL_COLUMNS.set(80)
    try:
        narrow = render_table(headers, widths, rows)
    finally:
        TERMINAL_COLUMNS.reset(token)
    assert max(map(len, wide)) == 147 and max(map(len, narrow)) <= 80
    assert len(narrow) > len(wide)  # cells wrapped onto more rows


def test_show_interface_down_reasons_are_sr_linux_s():
    """An operator's shut, a LAG without members and a port without link read as SR Linux
    words them (port-oper-down-reason in srl_nokia-interfaces.yang; the `lag5 is down,
    reason no-active-links` / `lag5.0 is down, reason ...` block of
    tests/fixtures/srldocs_srla_show_interface_lag5_down.txt)."""
    fabric, running, show = tutorial_fabric()
    fabric.set_link("leaf1:ethernet-1/1", "ce1:eth1", up=False)
    assert show.show("leaf1", "show interface lag1").splitlines()[1:3] == [
        "lag1 is down, reason no-active-links", "  lag1.0 is down, reason port-down"]
    assert show.show("leaf1", "show interface ethernet-1/1").splitlines()[1] == (
        "ethernet-1/1 is down, reason lower-layer-down")
    fabric.set_link("leaf1:ethernet-1/1", "ce1:eth1", up=True)
    running["leaf1"] = with_lines(running["leaf1"], "set / interface lag1 admin-state disable\n")
    fabric.on_commit("leaf1", running["leaf1"])
    assert show.show("leaf1", "show interface lag1").splitlines()[1] == (
        "lag1 is down, reason port-admin-disabled")
    running["leaf1"] = with_lines(running["leaf1"], "set / interface lag1 admin-state enable\n"
                                  "set / interface lag1 subinterface 0 admin-state disable\n")
    fabric.on_commit("leaf1", running["leaf1"])
    assert show.show("leaf1", "show interface lag1").splitlines()[1:3] == [
        "lag1 is up, speed None, type None", "  lag1.0 is down, reason admin-disabled"]


def test_an_ethernet_segment_under_bgp_instance_2_is_shown() -> None:
    """The ES list's one bgp-instance may be 2 (id 1..2): the twin read instance 1 only and
    answered `ethernet-segment ES-1 is not configured` while `info` showed it (brownfield)."""
    from fabric_helpers import boot_lab

    from nornir_evpn.parsers.ethernet_segment import parse_ethernet_segment
    from nornir_evpn.twin.fabric_lab import MH_CONFIG
    from nornir_evpn.twin.show_render import FabricShow

    fabric, running = boot_lab()
    on_2 = MH_CONFIG.replace("ethernet-segments bgp-instance 1", "ethernet-segments bgp-instance 2")
    for leaf in ("leaf1", "leaf2"):
        running[leaf] = with_lines(running[leaf], on_2)
        fabric.on_commit(leaf, running[leaf])
    es = parse_ethernet_segment(FabricShow(fabric).show("leaf1", "show system network-instance ethernet-segments ES-1 detail"))
    assert es.esi == "01:11:11:11:11:11:11:00:00:01" and es.interface == "lag1"
