"""Parsers on the verbatim transcripts of the tutorials (tests/fixtures/*.txt)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nornir_evpn.errors import ParseError
from nornir_evpn.parsers.bgp_advertised import parse_advertised_evpn
from nornir_evpn.parsers.bgp_neighbors import parse_bgp_neighbors
from nornir_evpn.parsers.ethernet_segment import parse_ethernet_segment
from nornir_evpn.parsers.evpn_summary import parse_evpn_summary
from nornir_evpn.parsers.interface import parse_show_interface
from nornir_evpn.parsers.lacp import parse_lacp_state
from nornir_evpn.parsers.mac_table import parse_mac_table
from nornir_evpn.parsers.tables import clean_lines, iter_tables
from nornir_evpn.parsers.vxlan import VxlanInterface, parse_vxlan_brief

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ESI = "01:11:11:11:11:11:11:00:00:01"


def fx(name: str) -> str:
    return (FIXTURES / name).read_text()


@pytest.mark.parametrize("source", ["tutorial", "verifymd"])
def test_show_interface_lag(source: str) -> None:
    lag = parse_show_interface(fx(f"{source}_leaf1_show_interface_lag1.txt"))
    assert (lag.name, lag.oper_state, lag.up) == ("lag1", "up", True)
    sub = lag.subinterfaces["lag1.0"]
    assert (sub.oper_state, sub.network_instance, sub.encapsulation, sub.type) == (
        "up", "mac-vrf-1", "null", "bridged")


def test_show_interface_down_with_reason() -> None:
    lag = parse_show_interface("lag1 is down, reason lag-min-link-threshold\n  lag1.0 is down\n")
    assert (lag.oper_state, lag.detail, lag.subinterfaces["lag1.0"].oper_state) == (
        "down", "reason lag-min-link-threshold", "down")


@pytest.mark.parametrize("source", ["tutorial", "verifymd"])
def test_lacp_state_joins_wrapped_cells(source: str) -> None:
    st = parse_lacp_state(fx(f"{source}_leaf1_show_lag_lag1_lacp_state.txt"))
    assert (st.lag, st.interval, st.mode, st.system_id, st.system_priority) == (
        "lag1", "SLOW", "ACTIVE", "00:00:00:00:00:11", "11")
    m = st.members["ethernet-1/1"]
    assert m.state == "IN_SYNC/True/True/True"
    assert m.partner_id == "00:C1:AB:00:00:11"
    assert m.system_id == "00:00:00:00:00:11"
    assert (m.oper_state, m.oper_key, m.partner_key, m.port_no, m.partner_port_no) == (
        "up", "11", "15", "1", "1")
    assert m.in_sync


def test_lacp_state_member_name_wrapped_in_its_column() -> None:
    # The transcript's table with a second member, ethernet-1/10: 13 characters in the
    # 12-character Members column wrap to `ethernet-1/1` / `0`, and the first row of the
    # next record fills every column while the wrap row leaves some empty.
    lines = fx("tutorial_leaf1_show_lag_lag1_lacp_state.txt").splitlines()
    rows = [i for i, line in enumerate(lines) if line.startswith("| ethernet-1/1 ")]
    assert len(rows) == 1
    first = lines[rows[0]:rows[0] + 3]
    second = [first[0].replace("| 1         | 1 ", "| 2         | 2 "),
              first[1].replace("|              |", "| 0            |", 1), first[2]]
    text = "\n".join(lines[:rows[0] + 3] + second + lines[rows[0] + 3:])
    st = parse_lacp_state(text)
    assert list(st.members) == ["ethernet-1/1", "ethernet-1/10"]
    m = st.members["ethernet-1/10"]
    assert (m.state, m.partner_id, m.port_no, m.partner_port_no) == (
        "IN_SYNC/True/True/True", "00:C1:AB:00:00:11", "2", "2")
    assert st.members["ethernet-1/1"].port_no == "1"


def test_lacp_state_member_without_partner_is_its_own_record() -> None:
    # A second member, down, with no partner: its first cell fills the Members column
    # like the wrapped `ethernet-1/1` / `0` above, and it leaves the partner columns empty,
    # but `down` under `up` (a short cell cannot wrap) makes it a new record
    lines = fx("tutorial_leaf1_show_lag_lag1_lacp_state.txt").splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("| ethernet-1/1 "))
    down = ("| ethernet-1/2 | down      | ACTIVE    | LONG      | OUT_OF_SY | 00:00:00: | 11        "
            "|           |           | 2         |           |")
    assert len(down) == len(lines[at])
    text = "\n".join([*lines[:at + 3], down, *lines[at + 3:]])
    st = parse_lacp_state(text)
    assert list(st.members) == ["ethernet-1/1", "ethernet-1/2"]
    assert st.members["ethernet-1/1"].in_sync and st.members["ethernet-1/1"].port_no == "1"
    m = st.members["ethernet-1/2"]
    assert (m.oper_state, m.partner_id, m.port_no, m.in_sync) == ("down", "", "2", False)


def test_table_row_with_a_value_under_a_short_cell_is_a_new_record() -> None:
    # one-row records: `ethernet-1/1` fills its column and the next row leaves a column
    # empty that the first had, yet `down` under `up` cannot be wrapped text
    text = """\
+--------------+-----------+-----------+
|   Members    |   Oper    |  Partner  |
|              |   state   |    Key    |
+==============+===========+===========+
| ethernet-1/1 | up        | 15        |
| ethernet-1/2 | down      |           |
| ethernet-1/1 | up        | 15        |
| 0            |           |           |
+--------------+-----------+-----------+
"""
    [table] = iter_tables(clean_lines(text))
    assert [(r["members"], r["operstate"], r["partnerkey"]) for r in table.records] == [
        ("ethernet-1/1", "up", "15"), ("ethernet-1/2", "down", ""), ("ethernet-1/10", "up", "15")]


@pytest.mark.parametrize("name,esi", [
    ("tutorial_leaf1_show_es_ES-1_detail.txt", ESI),
    ("verifymd_leaf1_show_es_ES-1_detail.txt", "00:11:11:11:11:11:11:00:00:01"),
    ("verifymd_leaf2_show_es_ES-1_detail.txt", "00:11:11:11:11:11:11:00:00:01"),
])
def test_ethernet_segment_detail(name: str, esi: str) -> None:
    es = parse_ethernet_segment(fx(name))
    assert (es.name, es.admin_state, es.oper_state, es.esi) == ("ES-1", "enable", "up", esi)
    assert (es.multi_homing, es.oper_multi_homing, es.interface, es.df_election) == (
        "all-active", "all-active", "lag1", "default")
    assert es.peers("mac-vrf-1") == ["10.0.0.1", "10.0.0.2"]
    assert es.df("mac-vrf-1") == "10.0.0.2"


def test_bgp_neighbors_spine_table() -> None:
    peers = parse_bgp_neighbors(fx("l2evpn_spine1_show_bgp_neighbor.txt"))
    assert list(peers) == ["192.168.11.1", "192.168.12.1"]
    p = peers["192.168.11.1"]
    assert (p.group, p.flags, p.peer_as, p.state, p.uptime, p.afi_safi) == (
        "eBGP-underlay", "S", "101", "established", "0d:18h:20m:49s", "ipv4-unicast")
    assert (p.received, p.active, p.sent) == (2, 1, 4) and p.prefixes == {"ipv4-unicast": (2, 1, 4)}
    assert peers["192.168.12.1"].uptime == "0d:18h:20m:9s"


def test_bgp_neighbors_narrow_columns_wrap_words() -> None:
    peers = parse_bgp_neighbors(fx("l2evpn_leaf1_show_bgp_neighbor_10.0.0.2.txt"))
    p = peers["10.0.0.2"]
    # `iBGP-` + `overlay`, `establish` + `ed`, `[Rx/Activ` + `e/Tx]` in the header
    assert (p.group, p.state, p.established, p.afi_safi) == ("iBGP-overlay", "established", True, "evpn")
    assert (p.received, p.active, p.sent) == (0, 0, 0)


@pytest.mark.parametrize("source,esi", [("tutorial", ESI), ("verifymd", "00:11:11:11:11:11:11:00:00:01")])
def test_advertised_routes_leaf1(source: str, esi: str) -> None:
    adv = parse_advertised_evpn(fx(f"{source}_leaf1_show_bgp_neighbor_10.0.0.2_advertised_evpn.txt"))
    assert (adv.peer, adv.group) == ("10.0.0.2", "iBGP-overlay")
    assert adv.routes.counts == {1: 2, 2: 1, 3: 1, 4: 1, 5: 0}
    rt1 = adv.routes.of_type(1)
    assert [r.tag for r in rt1] == ["0", "4294967295"]
    assert {r.esi for r in rt1} == {esi} and {r.rd for r in rt1} == {"10.0.0.1:111"}
    assert [r.mac for r in adv.routes.of_type(2)] == ["00:c1:ab:00:00:11"]
    rt4 = adv.routes.of_type(4)
    assert [(r.rd, r.esi, r.originator) for r in rt4] == [("10.0.0.1:0", esi, "10.0.0.1")]


def test_advertised_routes_leaf2_misaligned_header() -> None:
    adv = parse_advertised_evpn(fx("tutorial_leaf2_show_bgp_neighbor_10.0.0.1_advertised_evpn.txt"))
    assert adv.peer == "10.0.0.1"
    assert adv.routes.counts == {1: 2, 2: 1, 3: 1, 4: 1, 5: 0}
    assert [(r.rd, r.mac, r.next_hop) for r in adv.routes.of_type(2)] == [
        ("10.0.0.2:111", "00:c1:ab:00:00:11", "10.0.0.2")]
    assert adv.routes.of_type(4)[0].rd == "10.0.0.2:0"


def test_advertised_routes_leaf2_without_rt2() -> None:
    adv = parse_advertised_evpn(fx("verifymd_leaf2_show_bgp_neighbor_10.0.0.1_advertised_evpn.txt"))
    assert adv.routes.counts == {1: 2, 2: 0, 3: 1, 4: 1, 5: 0}
    assert adv.routes.of_type(2) == []


def test_evpn_summary_leaf3() -> None:
    s = parse_evpn_summary(fx("tutorial_leaf3_show_bgp_routes_evpn_summary.txt"))
    assert (s.router_id, s.asn) == ("10.0.0.3", "103")
    assert s.routes.counts == {1: 4, 2: 2, 3: 2, 4: 0, 5: 0}
    assert sorted({r.neighbor for r in s.routes.of_type(1)}) == ["10.0.0.1", "10.0.0.2"]
    rt2 = s.routes.of_type(2)  # `Statu`/`s` header, `00:C1:AB:00:00:` + `11` cells
    assert [(r.status, r.rd, r.mac, r.esi) for r in rt2] == [
        ("u*>", "10.0.0.1:111", "00:c1:ab:00:00:11", ESI),
        ("u*>", "10.0.0.2:111", "00:c1:ab:00:00:11", ESI),
    ]


def test_evpn_summary_leaf2() -> None:
    s = parse_evpn_summary(fx("tutorial_leaf2_show_bgp_routes_evpn_summary.txt"))
    assert s.router_id == "10.0.0.2"
    assert s.routes.counts == {1: 2, 2: 3, 3: 2, 4: 1, 5: 0}
    assert [(r.originator, r.esi) for r in s.routes.of_type(4)] == [("10.0.0.1", ESI)]
    assert [r.mac for r in s.routes.of_type(2)] == [
        "00:c1:ab:00:00:11", "00:c1:ab:00:00:21", "00:c1:ab:00:00:23"]


def test_evpn_summary_counts_footers_wherever_they_are() -> None:
    """The footers are read under the last table first; footers printed elsewhere (a format
    this tool has not seen) are still all found."""
    text = fx("tutorial_leaf2_show_bgp_routes_evpn_summary.txt")
    lines = text.splitlines()
    footers = [ln for ln in lines if " used, " in ln]
    assert len(footers) == 5
    first_table = next(i for i, ln in enumerate(lines) if ln.startswith("+"))
    rest = [ln for ln in lines if ln not in footers]
    moved = "\n".join(rest[:first_table - 1] + footers + rest[first_table - 1:])
    assert parse_evpn_summary(moved).routes.counts == {1: 2, 2: 3, 3: 2, 4: 1, 5: 0}
    with pytest.raises(ParseError, match="no route count footer"):
        parse_evpn_summary("\n".join(rest))


def test_evpn_summary_three_line_header_wrap() -> None:
    s = parse_evpn_summary(fx("verifymd_leaf2_show_bgp_routes_evpn_summary.txt"))
    # `Route-dis` + `tinguishe` + `r`; ESI over four lines
    rt2 = s.routes.of_type(2)
    assert [r.rd for r in rt2] == ["10.0.0.1:111"] + ["10.0.0.3:111"] * 3
    assert rt2[0].esi == "00:11:11:11:11:11:11:00:00:01"
    assert rt2[1].esi == "00:00:00:00:00:00:00:00:00:00"
    assert s.routes.counts[2] == 4


@pytest.mark.parametrize("source,esi", [("tutorial", ESI), ("verifymd", "00:11:11:11:11:11:11:00:00:01")])
def test_mac_table_leaf3(source: str, esi: str) -> None:
    t = parse_mac_table(fx(f"{source}_leaf3_show_mac_table_mac-vrf-1.txt"))
    assert t.network_instance == "mac-vrf-1"
    e = t.entries["00:c1:ab:00:00:11"]
    assert e.address == "00:C1:AB:00:00:11"
    assert (e.type, e.destination, e.esi) == ("evpn", f"vxlan-interface:vxlan1.1 esi:{esi}", esi)
    assert e.dest_index == "717308117220"
    learnt = {m: (x.destination, x.type) for m, x in t.entries.items() if x.type == "learnt"}
    assert learnt == {
        "00:c1:ab:00:00:21": ("ethernet-1/1.0", "learnt"),
        "00:c1:ab:00:00:22": ("ethernet-1/2.0", "learnt"),
        "00:c1:ab:00:00:23": ("ethernet-1/3.0", "learnt"),
    }
    assert [x.address for x in t.local()] == ["00:C1:AB:00:00:21", "00:C1:AB:00:00:22", "00:C1:AB:00:00:23"]
    assert t.totals["learnt"] == (3, 3) and t.totals["evpn"] == (1, 1)


def test_empty_mac_table_is_valid() -> None:
    text = (
        "-----\nMac-table of network instance mac-vrf-1\n-----\n"
        "Total Learnt Macs              :    0 Total    0 Active\n"
    )
    t = parse_mac_table(text)
    assert t.entries == {} and t.totals["learnt"] == (0, 0)


def test_vxlan_interface_brief() -> None:
    assert parse_vxlan_brief(fx("l2evpn_leaf2_show_tunnel_interface_vxlan_interface_brief.txt")) == {
        "vxlan1.1": VxlanInterface(name="vxlan1.1", tunnel_interface="vxlan1", type="bridged",
                                   ingress_vni="1", source_ip="10.0.0.2/32")}


def test_prompt_and_echo_lines_are_dropped() -> None:
    text = "\r\nA:leaf1# show interface lag1\r\nlag1 is up, speed None, type None\r\n\r\n--{ running }--[  ]--\r\nA:leaf1# "
    assert clean_lines(text) == ["lag1 is up, speed None, type None"]


@pytest.mark.parametrize("parser,text", [
    (parse_show_interface, ""),
    (parse_show_interface, "Error: Path '/interface[name=lag9]' is not valid"),
    (parse_lacp_state, "some unrelated text"),
    (parse_ethernet_segment, "Name : ES-1\n"),
    (parse_bgp_neighbors, fx("tutorial_leaf3_show_mac_table_mac-vrf-1.txt")),
    (parse_advertised_evpn, fx("tutorial_leaf3_show_bgp_routes_evpn_summary.txt")),
    (parse_evpn_summary, fx("tutorial_leaf1_show_bgp_neighbor_10.0.0.2_advertised_evpn.txt")),
    (parse_mac_table, fx("l2evpn_spine1_show_bgp_neighbor.txt")),
    (parse_vxlan_brief, fx("tutorial_leaf3_show_mac_table_mac-vrf-1.txt")),
])
def test_unknown_output_raises_parse_error(parser, text: str) -> None:
    with pytest.raises(ParseError):
        parser(text)


def test_broken_table_raises() -> None:
    text = "+----+----+\n| a  | b  |\n+====+====+\n| 1  | 2  | 3 |\n+----+----+\n"
    with pytest.raises(ParseError, match="3 cells where the header has 2"):
        list(iter_tables(clean_lines(text)))


def test_a_row_cut_before_its_closing_bar_raises() -> None:
    """`| 1  | 2` (an answer cut mid-row) is not read as cells `1` and ` `: one cell short
    of its bar, the row is broken, as the old per-row reader said."""
    text = "+----+----+\n| a  | b  |\n+====+====+\n| 1  | 2  |\n| 3  | 4\n+----+----+\n"
    with pytest.raises(ParseError, match="line 5: expected a table row"):
        list(iter_tables(clean_lines(text)))


def test_a_first_row_with_an_empty_first_cell_is_a_record() -> None:
    """The first row has no record to continue, whatever its first cell."""
    text = "+----+----+\n| a  | b  |\n+====+====+\n|    | 2  |\n| 3  | 4  |\n+----+----+\n"
    [table] = iter_tables(clean_lines(text))
    assert table.records == [{"a": "", "b": "2"}, {"a": "3", "b": "4"}]


def test_norm_keeps_digits() -> None:
    from nornir_evpn.parsers.tables import norm

    assert [norm(h) for h in ("Route-distinguisher", "IPv4 Address", "Path-id", "ES-1")] == [
        "routedistinguisher", "ipv4address", "pathid", "es1"]


# SR Linux 24.x transcripts from public labs (tests/fixtures/srl24_*): the layouts changed
# after the tutorial's 23.x, and a real lab may run either. srl24_pe2_*: an SR Linux
# 24.10.1 PE in a containerlab VM workshop's README; srl24_3stage_*: a 3-stage Clos
# (RFC 7938) EVPN multi-homing lab's README, output of 2024-10-08.

def _interface_block(text: str, name: str) -> str:
    """One interface of a full `show interface`, as `show interface <name>` prints it."""
    return next(b for b in text.split("-" * 82)
                if any(ln.startswith(f"{name} is ") for ln in b.splitlines()))


def test_show_interface_of_every_interface_is_refused_not_misread() -> None:
    """The whole `show interface` read as one interface gave the first one's state with every
    other interface's subinterfaces under it (contributor tester)."""
    with pytest.raises(ParseError, match=r"a second interface \(ethernet-1/\S+ after ethernet-1/1\)"):
        parse_show_interface(fx("srl24_pe2_show_interface.txt"))


def test_show_interface_24x_lists_network_instances() -> None:
    # 24.x: `Network-instances:` then `* Name: store1 (mac-vrf)`; 23.x had
    # `Network-instance: mac-vrf-1` and read the same (test_show_interface_lag)
    text = fx("srl24_pe2_show_interface.txt")
    port = parse_show_interface(_interface_block(text, "ethernet-1/10"))
    sub = port.subinterfaces["ethernet-1/10.0"]
    assert (port.name, port.up, sub.oper_state, sub.network_instance, sub.type) == (
        "ethernet-1/10", True, "up", "store1", "bridged")
    mgmt = parse_show_interface(_interface_block(text, "mgmt0")).subinterfaces["mgmt0.0"]
    assert (mgmt.network_instance, mgmt.network_instances, mgmt.type) == ("mgmt", ["mgmt"], "None")


def test_es_detail_24x_instance_name_with_space() -> None:
    es = parse_ethernet_segment(fx("srl24_3stage_leaf1_show_es_detail.txt"))
    assert (es.name, es.oper_state, es.esi, es.interface) == (
        "ES-Client12", "up", "01:12:00:00:00:00:00:00:00:00", "ethernet-1/1")
    assert es.peers("MAC-VRF 1") == ["100.0.0.1", "100.0.0.2"]
    assert es.df("MAC-VRF 1") == "100.0.0.2"


def test_mac_table_24x() -> None:
    t = parse_mac_table(fx("srl24_3stage_leaf1_show_mac_table.txt"))
    assert t.network_instance == "MAC-VRF 1"
    local = t.entries["aa:c1:ab:99:96:9d"]
    remote = t.entries["aa:c1:ab:a4:6d:69"]
    assert (local.type, local.destination, local.aging) == ("learnt", "ethernet-1/1.1", "293")
    assert (remote.type, remote.esi, remote.dest_index) == (
        "evpn", "01:34:00:00:00:00:00:00:00:00", "436547439498")
    assert [e.address for e in t.local()] == ["AA:C1:AB:99:96:9D"]
    assert t.totals["learnt"] == (1, 1) and t.totals["evpn"] == (1, 1)


def test_evpn_summary_counts_valid_paths() -> None:
    # the footers of a 24.x lab that keeps all routes: the first number also counts
    # invalid paths (6 ES routes, 2 valid); the check compares the valid ones
    text = fx("tutorial_leaf2_show_bgp_routes_evpn_summary.txt")
    text = text.replace("1 Ethernet Segment routes 1 used, 1 valid",
                        "6 Ethernet Segment routes 1 used, 2 valid")
    assert "6 Ethernet Segment routes 1 used, 2 valid" in text
    assert parse_evpn_summary(text).routes.count(4) == 2


# SR Linux 25.x/26.x transcripts from public labs: srl25_eda_*: a 25.7.2 EDA CX simulator
# (a "Testing EDA on WSL" write-up); srl26_iffirb_*: the 26.3.1 lab andywhitaker/
# srl-evpn-iff-irb (README). Copied verbatim.

def test_evpn_summary_25x_footers_count_stale_too() -> None:
    # 25.x prints `3 MAC-IP Advertisement routes 1 used, 2 valid, 0 stale` and three more
    # multicast route types; the `valid` count is still the one compared
    summary = parse_evpn_summary(fx("srl25_eda_leaf1_show_bgp_routes_evpn_summary.txt"))
    assert {t: summary.routes.count(t) for t in range(1, 6)} == {1: 0, 2: 2, 3: 2, 4: 0, 5: 0}


def test_mac_table_26x_wrapped_addresses_and_soft_wrapped_destinations() -> None:
    """26.x's extra columns narrow Address to 15: every MAC wraps (`AA:C1:AB:12:DF:` / `09`)
    while, on the same row, Destination wraps at a space (`... vtep:3.3.3.3` / `vni:10010`):
    a piece that did not fit after the text above, not one that filled its cell."""
    t = parse_mac_table(fx("srl26_iffirb_leaf1_show_mac_table.txt"))
    assert t.network_instance == "app" and len(t.entries) == 9
    remote = t.entries["aa:c1:ab:12:df:09"]
    assert (remote.destination, remote.dest_index, remote.type) == (
        "vxlan-interface:vxlan0.101 vtep:3.3.3.3 vni:10010", "285108343473", "evpn")
    assert t.entries["00:00:5e:00:01:01"].type == "irb-interface-anycast"
    assert [e.address for e in t.local()] == ["AA:C1:AB:3E:6A:2B"]


def test_bgp_neighbors_26x_session_with_two_address_families() -> None:
    # a second AFI is a continuation row; peer, group and state are the record's
    n = parse_bgp_neighbors(fx("srl26_iffirb_leaf1_show_bgp_neighbor.txt"))
    assert {p: (s.group, s.state, s.afi_safi) for p, s in n.items()} == {
        "10.1.10.10": ("ebgp-evpn", "established", "evpn ipv4-unicast"),
        "10.1.20.20": ("ebgp-evpn", "established", "evpn ipv4-unicast")}
    # the counts of both families: they read None (`[39/39/13] [4/4/2]` is not one count)
    p = n["10.1.10.10"]
    assert p.prefixes == {"evpn": (39, 39, 13), "ipv4-unicast": (4, 4, 2)}
    assert (p.received, p.active, p.sent) == (43, 43, 15)


_EVPN_VIEWS = [
    ("srl25_eda_leaf1_show_bgp_routes_evpn_summary.txt", parse_evpn_summary),
    ("tutorial_leaf2_show_bgp_routes_evpn_summary.txt", parse_evpn_summary),
    ("tutorial_leaf3_show_bgp_routes_evpn_summary.txt", parse_evpn_summary),
    ("verifymd_leaf3_show_bgp_routes_evpn_summary.txt", parse_evpn_summary),
    ("tutorial_leaf1_show_bgp_neighbor_10.0.0.2_advertised_evpn.txt", parse_advertised_evpn),
    ("verifymd_leaf2_show_bgp_neighbor_10.0.0.1_advertised_evpn.txt", parse_advertised_evpn),
]


@pytest.mark.parametrize("name,parse", _EVPN_VIEWS)
def test_one_route_type_read_alone_is_what_reading_them_all_gives(name, parse) -> None:
    """of_type(t) reads type t's tables only (evpn.received never needs the MAC routes, most
    of a RIB with tenants of one's own: 3 MB, 20k paths, 134 ms a leaf to build them all)."""
    alone, together = parse(fx(name)).routes, parse(fx(name)).routes
    assert {t: alone.of_type(t) for t in range(1, 6)} == {t: together.routes.get(t, []) for t in range(1, 6)}
    assert any(alone.of_type(t) for t in range(1, 6))


def test_a_broken_mac_route_table_does_not_stop_counting_the_others() -> None:
    text = fx("tutorial_leaf3_show_bgp_routes_evpn_summary.txt")
    at = text.index("Type 2 ")
    row = text.index("\n|", text.index("\n+=", at))
    broken = text[:row] + "\n| u*>   | 10.0.0.1:111 | cut" + text[row:]
    routes = parse_evpn_summary(broken).routes
    assert len(routes.of_type(3)) == len(parse_evpn_summary(text).routes.of_type(3)) == 2
    with pytest.raises(ParseError):
        routes.of_type(2)


def test_a_long_line_without_a_key_costs_linear_time() -> None:
    """32 KB of words without a colon took 2.9 s (a quadratic lookahead); the same line with
    a key at its end still gives that key (no timer asserted: unbounded, this test takes
    seconds)."""
    from nornir_evpn.parsers.tables import key_values

    words = "  ".join(["word"] * 6000)
    assert key_values([words]) == {}
    assert key_values([words + "  Oper state : up"]) == {"operstate": "up"}
    assert key_values(["Oper state   : up        Multi-homing mode : all-active"]) == {
        "operstate": "up", "multihomingmode": "all-active"}


def test_bgp_neighbors_a_session_with_no_counts_shown_reads_none() -> None:
    """A session that is not up shows no `[Rx/Active/Tx]`: its counts are unknown (None),
    not 0 prefixes (mutation testing: `[0] * 3` passed every test)."""
    lines = fx("l2evpn_spine1_show_bgp_neighbor.txt").splitlines()
    row = next(i for i, line in enumerate(lines) if "192.168.12.1" in line)
    lines[row] = lines[row].replace("established", "active     ").replace("[2/1/4]", "       ")
    p = parse_bgp_neighbors("\n".join(lines) + "\n")["192.168.12.1"]
    assert p.state == "active" and (p.received, p.active, p.sent) == (None, None, None)
    assert p.prefixes == {}
