"""Verdicts the checks decided right but no test held: each test here kills a mutant of
`nornir_evpn/checks` that the rest of the suite let pass (a check that would have passed a
broken fabric, or failed a healthy one, without any test noticing). Outputs are the
published transcripts (tests/fixtures), edited only where the test says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from nornir_evpn import platform
from nornir_evpn.checks import commands_for, evaluate, expected_state
from nornir_evpn.intent import FabricIntent, derive_intent
from nornir_evpn.topology import load_topology

from .edited import fx

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


def with_rds(fabric: FabricIntent, rds: dict[str, str]) -> FabricIntent:
    """The fabric with `data.route_distinguisher` set on some leaves (a fabric built by hand)."""
    nodes = {name: n.model_copy(update={"route_distinguisher": rds[name]}) if name in rds else n
             for name, n in fabric.nodes.items()}
    return fabric.model_copy(update={"nodes": nodes})


LACP = platform.show_lacp_state("lag1")
LACP_TEXT = "tutorial_leaf1_show_lag_lag1_lacp_state.txt"


# ---------------------------------------------------------------- lacp.members_in_sync
def test_a_lag_presenting_another_lacp_system_id_fails(mh01) -> None:
    """ES peers presenting different LACP system ids to the CE bond: it bundles their links
    into two aggregators and drops what one sends. The system id was expected, and compared
    with itself (a mutant dropping it, or observing the intent's, passed every test)."""
    text = fx(LACP_TEXT).replace("System Id      : 00:00:00:00:00:11", "System Id      : 00:00:00:00:00:99")
    [r] = evaluate(mh01, "leaf1", {LACP: text}, checks=["lacp.members_in_sync"])
    assert (r.ok, r.detail) == (False, "leaf1 lag1 system-id - Expected: 00:00:00:00:00:11 Actual: 00:00:00:00:00:99")


def test_a_lag_in_another_lacp_mode_fails(mh01) -> None:
    text = fx(LACP_TEXT).replace("Mode           : ACTIVE", "Mode           : PASSIVE")
    [r] = evaluate(mh01, "leaf1", {LACP: text}, checks=["lacp.members_in_sync"])
    assert (r.ok, r.detail) == (False, "leaf1 lag1 mode - Expected: ACTIVE Actual: PASSIVE")


def test_a_member_out_of_sync_shows_its_state_and_sync(mh01) -> None:
    """A member that should be in sync and is not reads `<oper state> <LACP state>`, what the
    device shows, not the bare `not in sync` a member expected down reads."""
    text = fx(LACP_TEXT).replace("| ethernet-1/1 | up        |", "| ethernet-1/1 | down      |")
    [r] = evaluate(mh01, "leaf1", {LACP: text}, checks=["lacp.members_in_sync"])
    assert (r.ok, r.detail) == (False, "leaf1 lag1 ethernet-1/1 - Expected: IN_SYNC/True/True/True "
                                       "Actual: down IN_SYNC/True/True/True")


# ---------------------------------------------------------------- lag.up / access.up
def test_a_subinterface_in_any_state_but_up_fails_lag_up(mh01) -> None:
    """`lag1.0` not up under an up lag1 fails whatever word SR Linux gives its state (not
    `down` only)."""
    text = fx("tutorial_leaf1_show_interface_lag1.txt").replace("  lag1.0 is up", "  lag1.0 is empty")
    [r] = evaluate(mh01, "leaf1", {platform.show_interface("lag1"): text}, checks=["lag.up"])
    assert (r.ok, r.detail) == (False, "leaf1 lag1 - Expected: up Actual: up, lag1.0 empty")


ACCESS_DOWN = """\
ethernet-1/2 is down, reason port-admin-disabled
  ethernet-1/2.0 is down, reason port-down
    Network-instance: mac-vrf-1
    Encapsulation   : null
    Type            : bridged
"""
ACCESS_UP = ACCESS_DOWN.replace(" is down, reason port-admin-disabled", " is up, speed 25G, type None").replace(
    " is down, reason port-down", " is up")


def test_an_access_port_shut_by_a_fault_is_expected_down(mh01) -> None:
    """failover-test shuts leaf3's access port ethernet-1/2: access.up then expects it down
    (and up elsewhere): a port up during the fault fails, a port down passes."""
    fault = {("leaf3", "ethernet-1/2")}
    outs = {platform.show_interface(p): ACCESS_UP.replace("ethernet-1/2", p)
            for p in ("ethernet-1/1", "ethernet-1/3")}
    [r] = evaluate(mh01, "leaf3", {**outs, platform.show_interface("ethernet-1/2"): ACCESS_DOWN},
                   faults=fault, checks=["access.up"])
    assert r.ok, r.detail
    assert r.expected["ethernet-1/2"] == "down" and r.expected["ethernet-1/1"] == "up"
    [r] = evaluate(mh01, "leaf3", {**outs, platform.show_interface("ethernet-1/2"): ACCESS_UP},
                   faults=fault, checks=["access.up"])
    assert (r.ok, r.detail) == (False, "leaf3 ethernet-1/2 - Expected: down Actual: up")


# ---------------------------------------------------------------- bgp
def test_a_session_missing_where_it_should_be_down_reads_not_established(mh01) -> None:
    """The L2 EVPN tutorial's spine1 has no session to 192.168.13.1 (leaf3): with that link
    faulted it is expected not established, and a session that is not there is not."""
    out = {platform.SHOW_BGP_NEIGHBORS: fx("l2evpn_spine1_show_bgp_neighbor.txt")}
    [r] = evaluate(mh01, "spine1", out, faults={("leaf3", "ethernet-1/49")}, checks=["bgp.underlay_established"])
    key = "underlay 192.168.13.1 (leaf3)"
    assert (r.expected[key], r.observed[key]) == ("not established", "not established")


# ---------------------------------------------------------------- evpn.advertised
def test_advertised_routes_are_read_towards_an_es_peer_first(big) -> None:
    """leaf3's overlay peers are 10.0.0.1, .2, .4; its ES peer is leaf4 (10.0.0.4): the
    tutorial reads what a leaf sends its ES peer, and so does evpn.advertised."""
    assert platform.show_advertised_evpn("10.0.0.4") in commands_for(big, "leaf3", ["evpn.advertised"])
    # leaf4 cut off: the first peer whose session should be up
    cut = {("leaf4", "ethernet-1/49"), ("leaf4", "ethernet-1/50")}
    assert platform.show_advertised_evpn("10.0.0.1") in commands_for(big, "leaf3", ["evpn.advertised"], faults=cut)


ADVERTISED = platform.show_advertised_evpn("10.0.0.2")
ADVERTISED_TEXT = "tutorial_leaf1_show_bgp_neighbor_10.0.0.2_advertised_evpn.txt"


def test_an_rd_other_than_the_intents_set_one_fails_advertised(mh01) -> None:
    """The intent sets leaf1's RD (65001:111); leaf1 sends another one set by hand
    (65009:111). Its routes are not the intent's mac-vrf's: only a leaf whose RD the intent
    does not know has its one RD taken as the intent's."""
    text = fx(ADVERTISED_TEXT).replace("10.0.0.1:111", "65009:111")
    [r] = evaluate(with_rds(mh01, {"leaf1": "65001:111"}), "leaf1", {ADVERTISED: text}, checks=["evpn.advertised"])
    assert r.ok is False
    assert r.observed == {"to 10.0.0.2 RT1": 0, "to 10.0.0.2 RT2": 0, "to 10.0.0.2 RT3": 0, "to 10.0.0.2 RT4": 1}
    # the same RD set in the intent: the intent's routes
    [ok] = evaluate(with_rds(mh01, {"leaf1": "65009:111"}), "leaf1", {ADVERTISED: text}, checks=["evpn.advertised"])
    assert ok.ok, ok.detail
    # not set in the intent, one RD sent: taken as the intent's mac-vrf's
    [ok] = evaluate(mh01, "leaf1", {ADVERTISED: text}, checks=["evpn.advertised"])
    assert ok.ok, ok.detail


@pytest.mark.parametrize("pair", range(8))
def test_two_rds_set_by_hand_are_not_guessed_between(mh01, pair) -> None:
    """Two mac-vrfs with RDs set by hand, the intent knowing neither: which is the intent's
    cannot be told, and the check does not pick one (it fails: set data.route_distinguisher).
    (Several RD pairs: a pick would follow the set's hash order, right by chance for some.)"""
    text = fx(ADVERTISED_TEXT)
    mine, other = f"6500{pair}:111", f"6510{pair}:222"
    text = text.replace("10.0.0.1:111", mine)
    # another tenant's IMET: a second RT3 row with its own RD
    rows = text.splitlines()
    at = next(i for i, ln in enumerate(rows) if "Originator-IP" in ln) + 2  # under the +===+ line
    assert mine in rows[at]
    rows.insert(at + 1, rows[at].replace(mine, other))
    text = "\n".join(rows).replace("1 advertised Inclusive Multicast", "2 advertised Inclusive Multicast")
    [r] = evaluate(mh01, "leaf1", {ADVERTISED: text}, checks=["evpn.advertised"])
    assert r.ok is False
    assert r.observed["to 10.0.0.2 RT3"] == 0


# ---------------------------------------------------------------- evpn.received
def test_received_routes_under_rds_other_than_the_intents_do_not_count(mh01) -> None:
    """The intent gives leaf1 and leaf2 RDs set by hand; leaf3's RIB holds their routes
    under the derived ones (`10.0.0.1:111`): whatever sends those, it is not the intent's
    mac-vrf. The footers give the intent's totals: they are not to be trusted then."""
    summary = {platform.SHOW_EVPN_SUMMARY: fx("tutorial_leaf3_show_bgp_routes_evpn_summary.txt")}
    [ok] = evaluate(mh01, "leaf3", summary, checks=["evpn.received"])
    assert ok.ok, ok.detail
    fabric = with_rds(mh01, {"leaf1": "65001:111", "leaf2": "65002:111"})
    [r] = evaluate(fabric, "leaf3", summary, checks=["evpn.received"])
    assert r.ok is False
    assert r.observed["mac-vrf-1 RT1"] == 0 and r.observed["mac-vrf-1 RT3"] == 0


def test_a_leaf_without_the_mac_vrf_sends_no_imet(mh01) -> None:
    """A leaf the inventory gives no mac-vrf (hosts.yaml edited) sends no RT3: the other
    leaves expect one IMET per leaf with the mac-vrf only."""
    nodes = {**mh01.nodes, "leaf2": mh01.nodes["leaf2"].model_copy(update={"mac_vrf": None, "ethernet_segments": []})}
    fabric = mh01.model_copy(update={"nodes": nodes})
    assert expected_state(fabric, "leaf3", checks=["evpn.received"])["evpn.received"]["mac-vrf-1 RT3"] == 1
    assert expected_state(mh01, "leaf3", checks=["evpn.received"])["evpn.received"]["mac-vrf-1 RT3"] == 2


# ---------------------------------------------------------------- es.esi
ES_DETAIL = platform.show_ethernet_segment("ES-1")
ES_TEXT = "tutorial_leaf1_show_es_ES-1_detail.txt"


@pytest.mark.parametrize("edit,detail", [
    (("Interface            : lag1", "Interface            : lag2"),
     "leaf1 ES-1 interface - Expected: lag1 Actual: lag2"),
    # the configured mode is judged, not the operational one next to it
    (("Multi-homing         : all-active", "Multi-homing         : single-active"),
     "leaf1 ES-1 multi-homing - Expected: all-active Actual: single-active"),
])
def test_an_es_on_another_interface_or_mode_fails(mh01, edit, detail) -> None:
    text = fx(ES_TEXT)
    assert edit[0] in text
    [r] = evaluate(mh01, "leaf1", {ES_DETAIL: text.replace(*edit)}, checks=["es.esi"])
    assert (r.ok, r.detail) == (False, detail)


def with_es(fabric: FabricIntent, **update) -> FabricIntent:
    es = fabric.ethernet_segments["ES-1"].model_copy(update=update)
    return fabric.model_copy(update={"ethernet_segments": {**fabric.ethernet_segments, "ES-1": es}})


def test_an_esi_the_inventory_writes_in_capitals_matches_the_devices(mh01) -> None:
    """hosts.yaml may spell an ESI in capitals (the inventory is not re-derived); SR Linux
    shows it in lower case: the same ESI."""
    fabric = with_es(mh01, esi="01:AB:11:11:11:11:11:00:00:01")
    text = fx(ES_TEXT).replace("01:11:11:11:11:11:11:00:00:01", "01:ab:11:11:11:11:11:00:00:01")
    [r] = evaluate(fabric, "leaf1", {ES_DETAIL: text}, checks=["es.esi"])
    assert r.ok, r.detail


# ---------------------------------------------------------------- es.df
def test_df_candidates_are_ordered_as_numbers_not_strings(mh01) -> None:
    """RFC 7432 8.5 orders the candidates by IP as a number: 10.0.0.2 before 10.0.0.10 (a
    fabric of ten leaves or more), where a string order puts 10.0.0.10 first and elects
    the other DF (EVI 111 mod 2 = 1: the second)."""
    nodes = {**mh01.nodes, "leaf1": mh01.nodes["leaf1"].model_copy(update={"system_ip": "10.0.0.10"})}
    fabric = mh01.model_copy(update={"nodes": nodes})
    assert expected_state(fabric, "leaf2", checks=["es.df"])["es.df"] == {
        "ES-1 mac-vrf-1 candidates": ["10.0.0.2", "10.0.0.10"], "ES-1 mac-vrf-1 DF": "10.0.0.10"}
    text = fx(ES_TEXT).replace("mac-vrf-1              10.0.0.1\n", "mac-vrf-1              10.0.0.10 (DF)\n").replace(
        "mac-vrf-1              10.0.0.2 (DF)", "mac-vrf-1              10.0.0.2")
    [r] = evaluate(fabric, "leaf2", {ES_DETAIL: text}, checks=["es.df"])
    assert r.ok, r.detail


# ---------------------------------------------------------------- mac.esi_remote
def test_an_es_down_on_every_peer_leaves_no_mac_to_learn(mh01) -> None:
    """Both ES-1 members down: no leaf has the ES, none advertises the CE's MAC; leaf3 must
    not hold it (reachable ES peers are not enough: their ES must be up)."""
    both = {("leaf1", "ethernet-1/1"), ("leaf2", "ethernet-1/1")}
    exp = expected_state(mh01, "leaf3", both, checks=["mac.esi_remote"])["mac.esi_remote"]
    assert exp == {"mac-vrf-1 00:c1:ab:00:00:11": "absent"}
    [r] = evaluate(mh01, "leaf3", {platform.show_mac_table("mac-vrf-1"): fx("tutorial_leaf3_show_mac_table_mac-vrf-1.txt")},
                   faults=both, checks=["mac.esi_remote"])
    assert (r.ok, r.detail) == (False, "leaf3 mac-vrf-1 00:c1:ab:00:00:11 - Expected: absent "
                                       "Actual: evpn esi:01:11:11:11:11:11:11:00:00:01")


def neighbor_table(states: dict[str, str]) -> str:
    """The L2 EVPN tutorial spine1's neighbor view (its header and borders, verbatim) with
    one iBGP overlay row per peer in `states` instead of its two rows."""
    lines = fx("l2evpn_spine1_show_bgp_neighbor.txt").splitlines()
    border = next(ln for ln in lines if ln.startswith("+-"))
    widths = [len(c) for c in border[1:-1].split("+")]
    first = next(i for i, ln in enumerate(lines) if ln.startswith("| default"))
    rows = ["|" + "|".join(f" {v}".ljust(w) for v, w in zip(
        ["default", ip, "iBGP-overlay", "S", "100", state, "-", "evpn", "[0/0/0]"], widths, strict=True)) + "|"
        for ip, state in states.items()]
    return "\n".join(lines[:first] + rows + lines[first + 4:])


@pytest.mark.parametrize("states,why", [
    # full mesh: the ES peers' sessions bring the ES's RT2, not leaf4's (which is up)
    ({"10.0.0.1": "active", "10.0.0.2": "active", "10.0.0.4": "established"},
     "absent (no RT2 can arrive: overlay to 10.0.0.1, 10.0.0.2 not established)"),
    # one ES peer still reachable: its RT2 can arrive, the MAC is missing for another reason
    ({"10.0.0.1": "active", "10.0.0.2": "established", "10.0.0.4": "established"},
     "absent (not learnt: no CE traffic yet, or the CE's link down?)"),
])
def test_a_ce_mac_missing_says_whether_an_rt2_can_arrive(big, states, why) -> None:
    """leaf3 (fabric-2s4l2es, full mesh) without ES-1's CE MAC: the reason given depends on
    the sessions to ES-1's leaves (leaf1, leaf2) alone, and on all of them being down."""
    table = fx("tutorial_leaf3_show_mac_table_mac-vrf-1.txt")
    outs = {platform.show_mac_table("mac-vrf-1"): table, platform.SHOW_BGP_NEIGHBORS: neighbor_table(states)}
    [r] = evaluate(big, "leaf3", outs, checks=["mac.esi_remote"])
    assert r.ok is False
    assert r.observed["mac-vrf-1 00:c1:ab:01:01:01"] == why


def test_a_ce_mac_from_one_vtep_not_the_esi_names_the_vtep(mh01) -> None:
    """ES-1's CE MAC learnt from one VTEP (the ESI lost from its RT2: no aliasing, no fast
    failover) fails, and says which VTEP: the whole destination, not its first word."""
    esi = "esi:01:11:11:11:11:11:11:00:00:01 "
    table = fx("tutorial_leaf3_show_mac_table_mac-vrf-1.txt").replace(esi, "vtep:10.0.0.1 vni:1".ljust(len(esi)))
    [r] = evaluate(mh01, "leaf3", {platform.show_mac_table("mac-vrf-1"): table}, checks=["mac.esi_remote"])
    assert (r.ok, r.observed) == (False, {
        "mac-vrf-1 00:c1:ab:00:00:11": "evpn vxlan-interface:vxlan1.1 vtep:10.0.0.1 vni:1"})


def test_a_ce_wired_to_no_leaf_is_no_ce_without_a_mac(mh01) -> None:
    """`ces_without_mac` names the CEs whose MAC the MAC checks cannot check: a CE in the
    topology but wired to no leaf is not checked at all, and not named."""
    from nornir_evpn.checks.mac import ces_without_mac

    ce2 = mh01.ces["ce2"]
    loose = ce2.model_copy(update={"name": "ce9", "attachments": {}, "interfaces": {}, "ethernet_segment": None})
    fabric = mh01.model_copy(update={"ces": {**mh01.ces, "ce9": loose}})
    assert ces_without_mac(fabric) == ces_without_mac(mh01) == []
    lost = ce2.model_copy(update={"interfaces": {}})  # no MAC pinned on its ports
    assert ces_without_mac(mh01.model_copy(update={"ces": {**mh01.ces, "ce2": lost}})) == ["ce2"]


def test_a_ce_mac_of_another_type_against_the_esi_fails(mh01) -> None:
    """mac.esi_remote wants a MAC the ES peers learnt from the CE (`evpn`); one configured
    on them by hand arrives as `evpn-static` (sticky: it never moves), and is said as such."""
    table = fx("tutorial_leaf3_show_mac_table_mac-vrf-1.txt").replace("| evpn       |", "| evpn-static|")
    [r] = evaluate(mh01, "leaf3", {platform.show_mac_table("mac-vrf-1"): table}, checks=["mac.esi_remote"])
    assert (r.ok, r.observed) == (False, {"mac-vrf-1 00:c1:ab:00:00:11": "evpn-static esi:01:11:11:11:11:11:11:00:00:01"})


def test_no_rt2_can_arrive_from_an_es_peer_whose_lag_is_down(mh01) -> None:
    """failover-test shuts leaf1's ES-1 member: leaf1 learns no CE MAC, so only leaf2's RT2
    brings it to leaf3. leaf3's session to leaf2 down as well (a second failure): no RT2
    can arrive, and the detail says so; it said `not learnt: no CE traffic yet`, because
    the session to leaf1 (which has nothing to send) was up."""
    outs = {platform.show_mac_table("mac-vrf-1"): fx("tutorial_leaf3_show_mac_table_mac-vrf-1.txt"),
            platform.SHOW_BGP_NEIGHBORS: neighbor_table({"10.0.0.1": "established", "10.0.0.2": "active"})}
    outs[platform.show_mac_table("mac-vrf-1")] = outs[platform.show_mac_table("mac-vrf-1")].replace(
        "00:C1:AB:00:00:11", "00:C1:AB:00:00:99")
    [r] = evaluate(mh01, "leaf3", outs, faults={("leaf1", "ethernet-1/1")}, checks=["mac.esi_remote"])
    assert (r.ok, r.observed) == (False, {
        "mac-vrf-1 00:c1:ab:00:00:11": "absent (no RT2 can arrive: overlay to 10.0.0.2 not established)"})


def test_a_node_whose_links_the_topology_dropped_still_has_its_underlay_judged(mh01) -> None:
    """A spine left in the topology without links (being retired) expects no underlay
    session; the ones an older configure left it are not in the intent and fail."""
    nodes = {**mh01.nodes, "spine1": mh01.nodes["spine1"].model_copy(update={"underlay": []})}
    fabric = mh01.model_copy(update={"nodes": nodes})
    out = {platform.SHOW_BGP_NEIGHBORS: fx("l2evpn_spine1_show_bgp_neighbor.txt")}
    [r] = evaluate(fabric, "spine1", out, checks=["bgp.underlay_established"])
    assert r.ok is False
    assert r.expected == {"underlay 192.168.11.1 (not in the intent)": "absent",
                          "underlay 192.168.12.1 (not in the intent)": "absent"}


def test_a_leaf_with_no_overlay_peer_receives_nothing(mh01) -> None:
    """A leaf the inventory gives no iBGP peer (hosts.yaml edited) has no session to bring
    it routes: it expects none, however reachable the other leaves are."""
    leaf3 = mh01.nodes["leaf3"]
    nodes = {**mh01.nodes, "leaf3": leaf3.model_copy(update={"overlay": leaf3.overlay.model_copy(update={"peers": []})})}
    exp = expected_state(mh01.model_copy(update={"nodes": nodes}), "leaf3", checks=["evpn.received", "mac.esi_remote"])
    assert exp == {"evpn.received": {"mac-vrf-1 RT1": 0, "mac-vrf-1 RT3": 0, "mac-vrf-1 RT4": 0},
                   "mac.esi_remote": {"mac-vrf-1 00:c1:ab:00:00:11": "absent"}}


def test_route_reflectors_bring_nothing_from_a_leaf_cut_off_from_them(big) -> None:
    """fabric-2s4l2es with route reflectors, leaf1's two uplinks down: leaf3 gets leaf2's
    and leaf4's routes over both reflectors, leaf1's over none (not one per reflector)."""
    rr = derive_intent(load_topology(FIXTURES / "fabric-2s4l2es.clab.yml"), overlay_mode="route-reflector")
    cut = {("leaf1", "ethernet-1/49"), ("leaf1", "ethernet-1/50")}
    # RT1: ES-1 up on leaf2 only (leaf1's is up, unreachable) 2 x 2, ES-2's leaf4 2 x 2
    assert expected_state(rr, "leaf3", cut, checks=["evpn.received"])["evpn.received"] == {
        "mac-vrf-1 RT1": 8, "mac-vrf-1 RT3": 4, "mac-vrf-1 RT4": 4}


def test_a_command_the_device_refuses_fails_the_check_with_its_error(mh01) -> None:
    """SR Linux answers an unknown path with `Error: ...` on the first line: the check fails
    saying the device's words, not that the output was unexpected."""
    err = "Error: Path '/show/interface lag1' is not valid\n"
    [r] = evaluate(mh01, "leaf1", {platform.show_interface("lag1"): err}, checks=["lag.up"])
    assert r.ok is False
    assert r.detail.endswith(f"(`{platform.show_interface('lag1')}`: Error: Path '/show/interface lag1' is not valid)")


def test_a_member_in_sync_but_not_distributing_is_not_in_sync(mh01) -> None:
    """`IN_SYNC/True/False/False`: synchronised, neither collecting nor distributing (the
    partner's mux is not there yet): no frame crosses the member."""
    text = fx(LACP_TEXT).replace("| rue/True/ |", "| rue/False |").replace("| True      |", "| /False    |")
    [r] = evaluate(mh01, "leaf1", {LACP: text}, checks=["lacp.members_in_sync"])
    assert (r.ok, r.detail) == (False, "leaf1 lag1 ethernet-1/1 - Expected: IN_SYNC/True/True/True "
                                       "Actual: up IN_SYNC/True/False/False")


@pytest.mark.parametrize("check,mac,seen", [
    ("mac.esi_remote", "00:c1:ab:00:00:11", "evpn esi:01:11:11:11:11:11:11:00:00:01 (not active)"),
    ("mac.local", "00:c1:ab:00:00:21", "learnt ethernet-1/1.0 (not active)"),
])
def test_a_mac_the_device_lists_but_did_not_program_fails(mh01, check, mac, seen) -> None:
    """The table's `Active` column was read by nothing: an entry present but `false` (not
    programmed: a duplicate MAC, a MAC limit) passed the MAC checks (mutation tester)."""
    lines = fx("tutorial_leaf3_show_mac_table_mac-vrf-1.txt").splitlines()
    i = next(i for i, ln in enumerate(lines) if ln.startswith(f"| {mac.upper()}"))
    lines[i] = lines[i].replace("| true    |", "| false   |")
    table = "\n".join(lines)
    [r] = evaluate(mh01, "leaf3", {platform.show_mac_table("mac-vrf-1"): table}, checks=[check])
    assert r.ok is False and r.observed[f"mac-vrf-1 {mac}"] == seen
    [r] = evaluate(mh01, "leaf3", {platform.show_mac_table("mac-vrf-1"): "\n".join(
        ln.replace("| false   |", "| true    |") for ln in lines)}, checks=[check])
    assert r.ok is True
