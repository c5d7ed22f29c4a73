"""Verdicts no other test pinned: each of these went unnoticed when the code deciding it was
flipped (mutation testing of checks/ and parsers/). Verbatim transcripts, edited where a
test needs a broken fabric."""
from __future__ import annotations

import pytest

from nornir_evpn import platform
from nornir_evpn.checks import CommandFailure, evaluate

from .edited import fx, spine1_with_leftover_overlay_session


# 1. a check whose command failed / was unparseable must FAIL, for the checks whose observe()
#    lets Unavailable through (bgp.*, evpn.*, vxlan.vni, mac.*), not only those that catch it
@pytest.mark.parametrize("node,check,cmd", [
    ("spine1", "bgp.underlay_established", platform.SHOW_BGP_NEIGHBORS),
    ("leaf2", "evpn.received", platform.SHOW_EVPN_SUMMARY),
    ("leaf2", "vxlan.vni", platform.SHOW_VXLAN_BRIEF),
    ("leaf3", "mac.esi_remote", platform.show_mac_table("mac-vrf-1")),
    ("leaf3", "mac.local", platform.show_mac_table("mac-vrf-1")),
])
@pytest.mark.parametrize("answer", [CommandFailure("Error: Path not found"), "garbage"])
def test_a_check_that_cannot_read_its_command_fails(mh01, node, check, cmd, answer) -> None:
    [r] = evaluate(mh01, node, {cmd: answer}, checks=[check])
    assert not r.ok, r.detail


# 2. a full-mesh spine still holding an iBGP-overlay session (left by a route-reflector
#    intent) fails bgp.overlay_established although the intent expects no overlay there
def test_full_mesh_spine_with_a_leftover_overlay_session_fails(mh01) -> None:
    text = spine1_with_leftover_overlay_session()
    [r] = evaluate(mh01, "spine1", {platform.SHOW_BGP_NEIGHBORS: text}, checks=["bgp.overlay_established"])
    assert (r.ok, r.detail) == (
        False, "spine1 overlay 10.0.0.1 (not in the intent) - Expected: absent Actual: established")


# 3. a LAG member bundled with the wrong partner (CE cabled to the wrong port / wrong bond)
def test_lacp_partner_other_than_the_es_ce_fails(mh01) -> None:
    text = fx("tutorial_leaf1_show_lag_lag1_lacp_state.txt")
    assert "00:C1:AB: |" in text
    row = "| rue/True/ | 00:00:11  |           | 00:00:11  |"
    bad = text.replace(row, "| rue/True/ | 00:00:11  |           | 00:00:99  |")
    assert bad != text
    [r] = evaluate(mh01, "leaf1", {platform.show_lacp_state("lag1"): bad}, checks=["lacp.members_in_sync"])
    assert not r.ok and "partner - Expected: 00:c1:ab:00:00:11 Actual: 00:c1:ab:00:00:99" in r.detail


# 4. a session in any state but established, where the intent expects it up, fails
def test_underlay_session_not_established_fails(mh01) -> None:
    text = fx("l2evpn_spine1_show_bgp_neighbor.txt").replace("| established |", "| active      |", 1)
    [r] = evaluate(mh01, "spine1", {platform.SHOW_BGP_NEIGHBORS: text}, checks=["bgp.underlay_established"])
    assert not r.ok
    assert "spine1 underlay 192.168.11.1 (leaf1) - Expected: established Actual: active" in r.detail


# 5. evpn.advertised is judged when the session to the peer is up (verify always collects the
#    session table): a leaf that stopped advertising its ES routes fails
def test_advertised_routes_are_judged_when_the_session_is_up(mh01) -> None:
    files = {
        platform.show_advertised_evpn("10.0.0.2"): fx("tutorial_leaf1_show_bgp_neighbor_10.0.0.2_advertised_evpn.txt"),
        platform.SHOW_BGP_NEIGHBORS: fx("l2evpn_leaf1_show_bgp_neighbor_10.0.0.2.txt"),
    }
    [r] = evaluate(mh01, "leaf1", files, checks=["evpn.advertised"])
    assert r.ok, r.detail
    # its ES route gone: the row and the footer (the rows are what is counted)
    view = files[platform.show_advertised_evpn("10.0.0.2")]
    es_row = next(line for line in view.splitlines() if line.startswith("| 10.0.0.1:0 "))
    files[platform.show_advertised_evpn("10.0.0.2")] = view.replace(es_row + "\n", "").replace(
        "1 advertised Ethernet Segment routes", "0 advertised Ethernet Segment routes")
    [r] = evaluate(mh01, "leaf1", files, checks=["evpn.advertised"])
    assert not r.ok and r.detail.startswith("leaf1 to 10.0.0.2 RT4 - Expected: 1 Actual: 0"), r.detail


# 5b. a session to that peer that is down is bgp.overlay_established's to report; when that
#     check is not run (`verify --checks evpn.advertised`), evpn.advertised reports it itself
#     instead of judging nothing and passing
@pytest.mark.parametrize("table,actual", [
    (lambda t: t.replace("| establish |", "| active    |").replace("| ed        |", "|           |"), "active"),
    (lambda t: t.replace("| 10.0.0.2  |", "| 10.0.0.9  |"), "absent"),  # deleted by hand
])
def test_advertised_alone_fails_when_the_session_to_its_peer_is_down(mh01, table, actual) -> None:
    files = {
        platform.show_advertised_evpn("10.0.0.2"): fx("tutorial_leaf1_show_bgp_neighbor_10.0.0.2_advertised_evpn.txt"),
        platform.SHOW_BGP_NEIGHBORS: table(fx("l2evpn_leaf1_show_bgp_neighbor_10.0.0.2.txt")),
    }
    [r] = evaluate(mh01, "leaf1", files, checks=["evpn.advertised"])
    assert not r.ok
    assert r.detail == f"leaf1 to 10.0.0.2 session - Expected: established Actual: {actual}", r.detail
    # with the session check selected, the session is reported once, by it
    results = {x.check: x for x in evaluate(mh01, "leaf1", files,
                                            checks=["evpn.advertised", "bgp.overlay_established"])}
    assert "evpn.advertised" not in results
    assert not results["bgp.overlay_established"].ok
    # ... and the check says it was not judged, and why, rather than look not applicable
    from nornir_evpn.checks import evaluate_host

    both = evaluate_host(mh01, "leaf1", files, checks=["evpn.advertised", "bgp.overlay_established"])
    assert both.not_judged == {"evpn.advertised": "its overlay session to 10.0.0.2 is not established "
                                                  "(see bgp.overlay_established)"}
    assert evaluate_host(mh01, "leaf1", files, checks=["evpn.advertised"]).not_judged == {}


# 6. verify asks each leaf for its advertised routes (commands_for drives what is collected)
def test_leaf_commands_include_the_advertised_routes(mh01) -> None:
    from nornir_evpn.checks import commands_for
    assert platform.show_advertised_evpn("10.0.0.2") in commands_for(mh01, "leaf1", checks=["evpn.advertised"])


# 7. a poll that judged nothing (every check filtered out) is not "converged"
def test_an_empty_poll_never_reaches_a_state() -> None:
    from nornir_evpn.tasks.failover import wait_for_state

    assert not wait_for_state(lambda: {}, t0=0, interval=0.01, timeout=0.05).reached


# 7. a mac-vrf of the operator's own: its routes (RD <ip>:<its evi>) are told apart without
#    reading a 128-leaf RIB's tables when there are none, and counted out when there are
def test_the_footers_are_trusted_only_when_every_row_is_the_intents(mh01) -> None:
    from nornir_evpn.parsers.evpn_summary import parse_evpn_summary

    from .test_rib_rows import only_intent_rows

    leaves, esis = {"10.0.0.1", "10.0.0.2"}, {"01:11:11:11:11:11:11:00:00:01"}
    text = fx("tutorial_leaf3_show_bgp_routes_evpn_summary.txt")

    def only(view: str, evi: int = 111, imported: set[str] = frozenset()) -> bool:
        return only_intent_rows(parse_evpn_summary(view).routes, evi, leaves, esis, set(imported))

    assert only(text) is True
    assert only(text, 222) is False
    rt3 = "| u*>    | 10.0.0.2:111                         | 0          | 10.0.0.2            |"
    assert rt3 in text
    assert only(text.replace(rt3, rt3.replace(":111", ":222"))) is False  # another EVI's IMET
    # an IMET of the intent's EVI from a leaf outside the intent (review)
    assert only(text.replace(rt3, rt3.replace("10.0.0.2", "10.0.0.9"))) is False
    # an ES of one's own in the intent's EVI (review): its RT1 carry another ESI
    assert only(text.replace("01:11:11:11:11:11:11:00:00:01  | 0 ", "01:11:11:11:11:11:11:00:00:09  | 0 ", 1)) is False
    # another lab's ESI: its rows are not the intent's (mh01's ESI is 01:..., this one 00:...)
    verifymd = fx("verifymd_leaf3_show_bgp_routes_evpn_summary.txt")
    assert only(verifymd) is False
    assert only_intent_rows(parse_evpn_summary(verifymd).routes, 111, leaves,
                            {"00:11:11:11:11:11:11:00:00:01"}, set()) is True


def test_an_imet_from_outside_the_intent_does_not_stand_in_for_a_missing_one(mh01) -> None:
    """leaf1's IMET replaced by one from 10.0.0.9 with the same EVI: the footers still say 2
    (review)."""
    text = fx("tutorial_leaf3_show_bgp_routes_evpn_summary.txt")
    rt3 = "| u*>    | 10.0.0.1:111                         | 0          | 10.0.0.1            | 10.0.0.1 "
    assert rt3 in text
    view = text.replace(rt3, rt3.replace("10.0.0.1", "10.0.0.9"))
    [r] = evaluate(mh01, "leaf3", {platform.SHOW_EVPN_SUMMARY: view}, checks=["evpn.received"])
    assert not r.ok and "leaf3 mac-vrf-1 RT3 - Expected: 2 Actual: 1" in r.detail, r.detail


def test_an_rd_configured_on_the_leafs_one_mac_vrf_is_the_intents(mh01) -> None:
    """`route-distinguisher rd 100:111` on leaf1's mac-vrf-1: every advertised row carries it;
    counting only <system-ip>:<evi> failed a healthy leaf (review)."""
    view = fx("tutorial_leaf1_show_bgp_neighbor_10.0.0.2_advertised_evpn.txt").replace("10.0.0.1:111", "100:111   ")
    [r] = evaluate(mh01, "leaf1", {platform.show_advertised_evpn("10.0.0.2"): view}, checks=["evpn.advertised"])
    assert r.ok, r.detail


def test_the_received_counts_leave_out_another_evis_routes(mh01) -> None:
    """leaf3's RIB with a second EVI's IMET route from leaf2: the footer says 3, the
    intent's mac-vrf has 2."""
    text = fx("tutorial_leaf3_show_bgp_routes_evpn_summary.txt")
    rt3 = "| u*>    | 10.0.0.2:111                         | 0          | 10.0.0.2            |"
    extra = rt3.replace(":111", ":222")
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith(rt3))
    tenant = "".join(lines[:at + 1]) + lines[at].replace(rt3, extra) + "".join(lines[at + 1:])
    tenant = tenant.replace("2 Inclusive Multicast Ethernet Tag routes 2 used, 2 valid",
                            "3 Inclusive Multicast Ethernet Tag routes 3 used, 3 valid")
    [r] = evaluate(mh01, "leaf3", {platform.SHOW_EVPN_SUMMARY: tenant}, checks=["evpn.received"])
    assert r.ok and r.observed["mac-vrf-1 RT3"] == 2, r.detail


def test_what_still_fails_is_listed_by_check_then_host_in_natural_order() -> None:
    """`never held` rows and --json's never_held of a 10-leaf fabric read leaf1, leaf10, leaf2:
    the hosts were sorted as text."""
    from nornir_evpn.polling import wait_for_state

    now = [0.0]
    state = {("es.df", "leaf10"): False, ("es.df", "leaf2"): False, ("bgp.x", "leaf9"): False,
             ("es.df", "leaf1"): False, ("lag.up", "leaf3"): True}
    outcome = wait_for_state(lambda: state, t0=0.0, interval=1.0, timeout=1.0, clock=lambda: now[0],
                             sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert outcome.failing == [("bgp.x", "leaf9"), ("es.df", "leaf1"), ("es.df", "leaf2"), ("es.df", "leaf10")]
