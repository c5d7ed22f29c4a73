"""Failover in the fabric model: a leaf1 member goes down (admin or cable), the fabric
converges after the profile's delays, traffic survives over leaf2, and restore reverses it."""

from __future__ import annotations

import pytest
from fabric_helpers import CE2_IPS, FakeClock, tables, tutorial_fabric

from nornir_evpn import platform
from nornir_evpn.twin import timing as tm
from nornir_evpn.twin.fabric_lab import with_lines

FAST = tm.PROFILES["fast"]
DISABLE = "set / interface ethernet-1/1 admin-state disable\n"
ENABLE = "set / interface ethernet-1/1 admin-state enable\n"


def summary_counts(show, node: str) -> dict[int, int]:
    text = show.show(node, platform.SHOW_EVPN_SUMMARY)
    names = {"Ethernet Auto-Discovery": 1, "MAC-IP Advertisement": 2,
             "Inclusive Multicast Ethernet Tag": 3, "Ethernet Segment": 4}
    out = {}
    for line in text.splitlines():
        for name, t in names.items():
            if line.endswith("valid") and f" {name} routes " in line:
                out[t] = int(line.split()[0])
    return out


def break_leaf1(fabric, running, how: str) -> None:
    if how == "admin":
        running["leaf1"] = with_lines(running["leaf1"], DISABLE)
        fabric.on_commit("leaf1", running["leaf1"])
    else:
        fabric.set_link("leaf1:ethernet-1/1", "ce1:eth1", up=False)


def restore_leaf1(fabric, running, how: str) -> None:
    if how == "admin":
        running["leaf1"] = with_lines(running["leaf1"], ENABLE)
        fabric.on_commit("leaf1", running["leaf1"])
    else:
        fabric.set_link("ce1:eth1", "leaf1:e1-1", up=True)


@pytest.mark.parametrize("how", ["admin", "cable"])
def test_member_down_converges_to_leaf2_and_restores(how):
    clock = FakeClock()
    fabric, running, show = tutorial_fabric(FAST, clock)
    clock.advance(1.0)
    assert "lag1 is up" in show.show("leaf1", platform.show_interface("lag1"))

    break_leaf1(fabric, running, how)
    # before any delay elapsed the control plane still shows the old state
    assert "lag1 is up" in show.show("leaf1", platform.show_interface("lag1"))
    clock.advance(FAST.lacp)
    assert "lag1 is down" in show.show("leaf1", platform.show_interface("lag1"))
    assert "Oper State        : up" in show.show("leaf1", platform.show_ethernet_segment("ES-1"))
    clock.advance(FAST.longest)

    es1 = show.show("leaf1", platform.show_ethernet_segment("ES-1"))
    assert "Oper State        : down" in es1
    es2 = show.show("leaf2", platform.show_ethernet_segment("ES-1"))
    assert es2.splitlines()[-2:] == ["mac-vrf-1              10.0.0.2 (DF)", "=" * 111]
    assert "10.0.0.1" not in es2.split("DF Candidates")[1]
    # leaf1 withdrew its RT1/RT4: leaf3 keeps 2 RT1 (leaf2's), leaf2 has no RT4
    assert summary_counts(show, "leaf3")[1] == 2
    assert summary_counts(show, "leaf2").get(4, 0) == 0
    assert "0 advertised Ethernet Segment routes" in show.show("leaf1", platform.show_advertised_evpn("10.0.0.3"))
    # traffic survives through leaf2 and leaf3 still reaches ce1's MAC via the ESI
    for ip in CE2_IPS:
        result = fabric.probe("ce1", ip)
        assert result.delivered, result
        assert result.path[1] == "leaf2"
    clock.advance(FAST.longest)
    mac = tables(show.show("leaf3", platform.show_mac_table("mac-vrf-1")))[0][0]
    assert mac[:2] == ["00:C1:AB:00:00:11", "vxlan-interface:vxlan1.1esi:01:11:11:11:11:11:11:00:00:01"]
    assert fabric.view(tm.EVPN).mac_table("leaf3", "mac-vrf-1")["00:C1:AB:00:00:11"].vteps == ("10.0.0.2",)

    restore_leaf1(fabric, running, how)
    clock.advance(FAST.longest)
    for ip in CE2_IPS:
        assert fabric.probe("ce1", ip).delivered
    clock.advance(FAST.longest)
    assert "lag1 is up" in show.show("leaf1", platform.show_interface("lag1"))
    assert "mac-vrf-1              10.0.0.1\nmac-vrf-1              10.0.0.2 (DF)" in show.show(
        "leaf1", platform.show_ethernet_segment("ES-1"))
    assert summary_counts(show, "leaf3")[1] == 4
    assert fabric.view(tm.EVPN).mac_table("leaf3", "mac-vrf-1")["00:C1:AB:00:00:11"].vteps == (
        "10.0.0.1", "10.0.0.2")


def test_probe_hashed_onto_dead_member_is_lost_until_lacp_converges():
    clock = FakeClock()
    fabric, _running, _show = tutorial_fabric(FAST, clock)
    clock.advance(1.0)
    # .21 hashes onto eth1 (leaf1)
    assert fabric.probe("ce1", "192.168.0.21").path[1] == "leaf1"
    fabric.set_link("leaf1:ethernet-1/1", "ce1:eth1", up=False)
    lost = fabric.probe("ce1", "192.168.0.21")
    assert not lost.delivered and "link down" in lost.reason
    clock.advance(FAST.lacp)
    # ce1 now sends via leaf2, but leaf3 still aliases the reply onto leaf1 until the
    # EVPN withdrawal of leaf1's RT1 is visible
    half = fabric.probe("ce1", "192.168.0.21")
    assert not half.delivered and half.path[1] == "leaf2" and "10.0.0.1" in half.reason
    clock.advance(FAST.evpn)
    assert fabric.probe("ce1", "192.168.0.21").delivered


def test_wrong_esi_on_leaf2_gives_two_segments_and_no_aliasing():
    clock = FakeClock()
    fabric, running, show = tutorial_fabric(tm.PROFILES["instant"], clock)
    running["leaf2"] = with_lines(
        running["leaf2"],
        "set / system network-instance protocols evpn ethernet-segments bgp-instance 1 "
        "ethernet-segment ES-1 esi 01:22:22:22:22:22:22:00:00:02\n",
    )
    fabric.on_commit("leaf2", running["leaf2"])
    for ip in CE2_IPS:
        fabric.probe("ce1", ip)
    es1 = show.show("leaf1", platform.show_ethernet_segment("ES-1"))
    es2 = show.show("leaf2", platform.show_ethernet_segment("ES-1"))
    assert es1.splitlines()[-2] == "mac-vrf-1              10.0.0.1 (DF)"
    assert es2.splitlines()[-2] == "mac-vrf-1              10.0.0.2 (DF)"
    assert "10.0.0.2" not in es1.split("DF Candidates")[1]
    rt1 = tables(show.show("leaf3", platform.SHOW_EVPN_SUMMARY))[0]
    assert {r[2] for r in rt1} == {"01:11:11:11:11:11:11:00:00:01", "01:22:22:22:22:22:22:00:00:02"}
    entry = fabric.view(tm.EVPN).mac_table("leaf3", "mac-vrf-1")["00:C1:AB:00:00:11"]
    assert len(entry.vteps) == 1  # no aliasing across two different ESIs
    assert summary_counts(show, "leaf1").get(4, 0) == 0  # RT4 not imported: ESIs differ


def test_fault_cli_over_the_control_socket(tmp_path, capsys):
    import argparse

    from conftest import TEST_PASSWORD

    from nornir_evpn.commands.twin_fault import (
        add_fault_parser,
        build_request,
        run_fault,
        serve_control,
    )
    from nornir_evpn.errors import TwinNotRunningError, UserInputError
    from nornir_evpn.twin.fabric_lab import attach
    from nornir_evpn.twin.runtime import Twin, default_topology

    state = tmp_path / "twin.json"
    parser = argparse.ArgumentParser()
    add_fault_parser(parser.add_subparsers())
    with pytest.raises(TwinNotRunningError):
        run_fault(parser.parse_args(["fault", "list", "--twin-state", str(state)]))
    with Twin(default_topology(), password=TEST_PASSWORD) as tw:
        fabric = attach(tw)
        tw.state().write(state)
        server = tw._run(serve_control(tw, state))
        try:
            args = parser.parse_args(["fault", "link-down", "leaf1:e1-1", "ce1:eth1", "--twin-state", str(state)])
            assert args.func(args) == 0
            assert fabric.down_links() == [(("ce1", "eth1"), ("leaf1", "ethernet-1/1"))]
            assert not fabric.view().iface_up("leaf1", "ethernet-1/1")
            assert run_fault(parser.parse_args(["fault", "reject-commit", "leaf2", "--twin-state", str(state)])) == 0
            assert tw.datastores["leaf2"].reject_next_commit
            # an undo says it was one: "done" alone read as the fault applied again
            capsys.readouterr()
            assert run_fault(parser.parse_args(["fault", "reject-commit", "leaf2", "--restore",
                                                "--twin-state", str(state)])) == 0
            assert not tw.datastores["leaf2"].reject_next_commit
            assert capsys.readouterr().out == "twin fault reject-commit leaf2 --restore: done\n"
            assert run_fault(parser.parse_args(["fault", "reject-commit", "leaf2", "--twin-state", str(state)])) == 0
            capsys.readouterr()
            assert run_fault(parser.parse_args(["fault", "slow", "leaf3", "0.25", "--twin-state", str(state)])) == 0
            assert tw.servers["leaf3"].extra_delay == 0.25
            assert capsys.readouterr().out == "twin fault slow leaf3 0.25: done\n"  # (success was silent)
            assert run_fault(parser.parse_args(["fault", "list", "--twin-state", str(state)])) == 0
            assert capsys.readouterr().out.splitlines() == [
                "link-down ce1:eth1 leaf1:ethernet-1/1", "reject-commit leaf2", "slow leaf3 0.25"]
            with pytest.raises(UserInputError, match="no link between"):
                run_fault(parser.parse_args(["fault", "link-down", "leaf1:e1-1", "ce1:eth2", "--twin-state", str(state)]))
            with pytest.raises(UserInputError, match="unknown node 'leaf9'"):
                run_fault(parser.parse_args(["fault", "drop", "leaf9", "--twin-state", str(state)]))
            args = parser.parse_args(["fault", "link-up", "ce1:eth1", "leaf1:ethernet-1/1", "--twin-state", str(state)])
            assert run_fault(args) == 0 and fabric.down_links() == []
        finally:
            # on the twin's loop: asyncio's Server is not thread-safe (closed from this thread it
            # raced the loop's own wake-up: "'NoneType' object is not iterable", once in CI)
            async def close() -> None:
                server.close()
                await server.wait_closed()

            tw._run(close())
    with pytest.raises(UserInputError, match="two endpoints"):
        build_request("link-down", ["leaf1"])
    for bad in ("-1", "nan", "inf", "301"):
        with pytest.raises(UserInputError, match="seconds must be from 0 to 300"):
            build_request("slow", ["leaf1", bad])
    assert build_request("slow", ["leaf1", "0.5"])["seconds"] == 0.5
    # --restore on a fault it does not undo was dropped: `link-down A B --restore` pulled the cable
    with pytest.raises(UserInputError, match="to undo link-down: link-up"):
        build_request("link-down", ["leaf1:e1-1", "ce1:eth1"], restore=True)
    with pytest.raises(UserInputError, match="to undo slow: slow NODE 0"):
        build_request("slow", ["leaf1", "1"], restore=True)
    assert build_request("reject-commit", ["leaf1"], restore=True)["restore"] is True


def test_mac_table_stands_still_with_the_state_and_follows_a_new_mac():
    """`Last Update` is when an entry changed, not when the table is read: the same state
    prints the same table (the twin keeps the text), and a MAC learnt later shows up."""
    clock = FakeClock()
    fabric, _running, show = tutorial_fabric(FAST, clock)
    clock.advance(FAST.longest)
    cmd = platform.show_mac_table("mac-vrf-1")
    first = show.show("leaf3", cmd)
    clock.advance(5.0)
    assert show.show("leaf3", cmd) == first
    fabric.learn("leaf3", "mac-vrf-1", "00:c1:ab:00:00:99", "ethernet-1/1.0")
    clock.advance(FAST.longest)
    later = show.show("leaf3", cmd)
    assert "00:C1:AB:00:00:99" not in first
    assert any(row[0] == "00:C1:AB:00:00:99" and row[3] == "learnt" for row in tables(later)[0])


def test_es_last_change_moves_only_with_that_es_state():
    """`Last Change` of an ES is when its own state changed: leaf1's ES-1 goes down and up
    again, leaf2's ES-1 stays up (it only becomes the sole DF) and keeps its time."""
    clock = FakeClock()
    fabric, running, show = tutorial_fabric(FAST, clock)
    fabric.wall_clock = lambda: 1.7e9 + clock()  # wall time moves with the fake clock

    def last_change(node: str) -> str:
        text = show.show(node, platform.show_ethernet_segment("ES-1"))
        return next(line.split(":", 1)[1].strip() for line in text.splitlines()
                    if line.startswith("Last Change"))

    before = {node: last_change(node) for node in ("leaf1", "leaf2")}
    clock.advance(5.0)
    break_leaf1(fabric, running, "admin")
    clock.advance(FAST.longest)
    assert "Oper State        : down" in show.show("leaf1", platform.show_ethernet_segment("ES-1"))
    down = {node: last_change(node) for node in ("leaf1", "leaf2")}
    assert down["leaf1"] > before["leaf1"]
    assert down["leaf2"] == before["leaf2"]
    clock.advance(5.0)
    restore_leaf1(fabric, running, "admin")
    clock.advance(FAST.longest)
    assert last_change("leaf1") > down["leaf1"] and last_change("leaf2") == before["leaf2"]


CE1_MAC = "00:C1:AB:00:00:11"


def _mac_rows(show, node: str) -> dict[str, list[str]]:
    return {row[0]: row for row in tables(show.show(node, platform.show_mac_table("mac-vrf-1")))[0]}


def _rt2_to(show, node: str, peer: str) -> int:
    text = show.show(node, platform.show_advertised_evpn(peer))
    return int(next(line.split()[0] for line in text.splitlines() if "advertised MAC-IP" in line))


@pytest.mark.parametrize("how", ["admin", "cable"])
def test_a_mac_flushed_by_a_link_down_stays_gone_after_link_up_until_the_ce_sends(how):
    """leaf1 flushes ce1's MAC when its member goes down and withdraws the RT2. The link
    coming back teaches it nothing: the MAC is not `learnt` on leaf1 (nor advertised) until
    ce1 sends a frame through leaf1 again, and then it has a new Last Update."""
    clock = FakeClock()
    fabric, running, show = tutorial_fabric(FAST, clock)
    fabric.wall_clock = lambda: 2e9 + clock()  # later than the learn in tutorial_fabric
    clock.advance(FAST.longest)
    before = _mac_rows(show, "leaf1")[CE1_MAC]
    assert before[3] == "learnt" and _rt2_to(show, "leaf1", "10.0.0.3") == 1

    break_leaf1(fabric, running, how)
    clock.advance(FAST.longest)
    assert CE1_MAC not in _mac_rows(show, "leaf1") or _mac_rows(show, "leaf1")[CE1_MAC][3] == "evpn"
    assert _rt2_to(show, "leaf1", "10.0.0.3") == 0

    restore_leaf1(fabric, running, how)
    clock.advance(5.0)  # long past every delay, no CE traffic at all
    assert "lag1 is up" in show.show("leaf1", platform.show_interface("lag1"))
    # leaf2 learnt ce1's MAC too (the flows hash over both links): leaf1 holds it as
    # leaf2's synced entry on its own lag1.0, not as a MAC of its own
    assert _mac_rows(show, "leaf1")[CE1_MAC][3] == "evpn"
    assert _rt2_to(show, "leaf1", "10.0.0.3") == 0
    assert fabric.view(tm.EVPN).mac_table("leaf3", "mac-vrf-1")[CE1_MAC].vteps == ("10.0.0.1", "10.0.0.2")

    assert fabric.probe("ce1", "192.168.0.21").path[1] == "leaf1"  # .21 hashes onto leaf1
    clock.advance(FAST.longest)
    after = _mac_rows(show, "leaf1")[CE1_MAC]
    assert after[3] == "learnt" and after[1] == "lag1.0" and after[-1] > before[-1]
    assert _rt2_to(show, "leaf1", "10.0.0.3") == 1


def test_a_mac_only_the_shut_leaf_learnt_leaves_the_fabric_until_the_ce_sends():
    """The tester's F2 state: every ce1 flow went through leaf1 (leaf2's link was down while
    ce1 sent), so leaf2 holds ce1's MAC only as leaf1's synced RT2. When leaf1's member
    goes down the MAC leaves the fabric, leaf3 included, and stays gone after the link is
    back (RFC 7432: no peer advertises a MAC it did not learn); a ping brings it back."""
    clock = FakeClock()
    fabric, running, show = tutorial_fabric(FAST, clock)
    fabric.set_link("leaf2:e1-1", "ce1:eth2", up=False)  # flushes leaf2's learnt copy
    clock.advance(FAST.longest)
    for ip in CE2_IPS:
        assert fabric.probe("ce1", ip).path[1] == "leaf1"
    fabric.set_link("leaf2:e1-1", "ce1:eth2", up=True)
    clock.advance(FAST.longest)
    assert _mac_rows(show, "leaf1")[CE1_MAC][3] == "learnt"
    assert _mac_rows(show, "leaf2")[CE1_MAC][3] == "evpn"
    assert _mac_rows(show, "leaf3")[CE1_MAC][1].endswith("esi:01:11:11:11:11:11:11:00:00:01")

    break_leaf1(fabric, running, "admin")
    clock.advance(FAST.longest)
    assert all(CE1_MAC not in _mac_rows(show, leaf) for leaf in ("leaf1", "leaf2", "leaf3"))
    restore_leaf1(fabric, running, "admin")
    clock.advance(5.0)
    assert all(CE1_MAC not in _mac_rows(show, leaf) for leaf in ("leaf1", "leaf2", "leaf3"))
    assert summary_counts(show, "leaf3").get(2, 0) == 0  # no leaf advertises it

    assert fabric.probe("ce1", "192.168.0.23").delivered
    clock.advance(FAST.longest)
    assert CE1_MAC in _mac_rows(show, "leaf3")
