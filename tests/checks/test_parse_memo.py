"""failover-test's polls read every host again and again: an output unchanged since the last
poll must not be parsed again, a changed one must (never a stale verdict)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nornir_evpn import platform
from nornir_evpn.checks.model import FabricView, Observations
from nornir_evpn.intent import derive_intent
from nornir_evpn.parsers.mac_table import parse_mac_table
from nornir_evpn.topology import load_topology

ROOT = Path(__file__).resolve().parents[2]
MAC_TABLE = (ROOT / "tests" / "fixtures" / "tutorial_leaf3_show_mac_table_mac-vrf-1.txt").read_text()
CMD = platform.show_mac_table("mac-vrf-1")


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, text: str):
        self.calls += 1
        return parse_mac_table(text)


def test_identical_output_is_parsed_once_across_polls() -> None:
    parser, memo = Counting(), {}
    first = Observations({CMD: MAC_TABLE}, memo).get(CMD, parser)
    # the next poll: a new Observations, the same text (an equal string, not the same object)
    again = Observations({CMD: "".join(list(MAC_TABLE))}, memo).get(CMD, parser)
    assert parser.calls == 1
    assert again is first
    assert sorted(again.entries) == ["00:c1:ab:00:00:11", "00:c1:ab:00:00:21", "00:c1:ab:00:00:22",
                                    "00:c1:ab:00:00:23"]


def test_changed_output_is_parsed_again() -> None:
    parser, memo = Counting(), {}
    Observations({CMD: MAC_TABLE}, memo).get(CMD, parser)
    # a CE's MAC aged out between two polls: the verdict must follow the new table
    gone = "\n".join(ln for ln in MAC_TABLE.splitlines() if "00:C1:AB:00:00:22" not in ln)
    table = Observations({CMD: gone}, memo).get(CMD, parser)
    assert parser.calls == 2
    assert "00:c1:ab:00:00:22" not in table.entries
    assert len(table.entries) == 3


def test_without_a_memo_each_read_parses() -> None:
    parser = Counting()
    Observations({CMD: MAC_TABLE}).get(CMD, parser)
    Observations({CMD: MAC_TABLE}).get(CMD, parser)
    assert parser.calls == 2


def test_view_memo_computes_once_per_key() -> None:
    fabric = derive_intent(load_topology(ROOT / "inventory" / "evpn-mh01.clab.yml"))
    view = FabricView(fabric)
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return 7

    assert view.memoised(("k", "leaf1"), compute) == 7
    assert view.memoised(("k", "leaf1"), compute) == 7
    assert view.memoised(("k", "leaf2"), compute) == 7
    assert len(calls) == 2


def test_a_parser_that_keeps_its_text_is_not_memoised() -> None:
    from nornir_evpn.parsers.evpn_summary import parse_evpn_summary

    summary = (ROOT / "tests" / "fixtures" / "tutorial_leaf3_show_bgp_routes_evpn_summary.txt").read_text()
    memo: dict = {}
    cmd = platform.SHOW_EVPN_SUMMARY
    first = Observations({cmd: summary}, memo).get(cmd, parse_evpn_summary)
    assert memo == {}  # its value holds the whole view: a memo would keep every host's
    assert first.routes.count(1) == Observations({cmd: summary}, memo).get(cmd, parse_evpn_summary).routes.count(1)


def test_a_parser_made_anew_each_poll_does_not_grow_the_memo() -> None:
    """A lambda (or partial) is a new key every poll: a failover-test's memo, kept for the
    whole run, gained a parsed copy of the output per poll (contributor tester)."""
    from nornir_evpn.checks.model import MEMO_PARSERS_PER_COMMAND

    memo: dict = {}
    for _ in range(100):
        Observations({CMD: MAC_TABLE}, memo).get(CMD, lambda t: parse_mac_table(t))
    assert len(memo) == MEMO_PARSERS_PER_COMMAND
    # a module-level parser keeps its entry (and its memoised parse) among them
    parser = Counting()
    for _ in range(3):
        Observations({CMD: MAC_TABLE}, memo).get(CMD, parser)
    assert parser.calls == 1 and len(memo) == MEMO_PARSERS_PER_COMMAND


def test_a_value_drawn_from_an_output_is_kept_while_the_output_is_unchanged() -> None:
    """`Observations.derived`: failover-test's polls counted a 128-leaf RIB's rows anew each
    round (the view itself is too big to keep). Computed once for one text across polls,
    again for a changed one, each time without a memo; its entries are not parsers of the
    command (the parsers' pruning never takes them)."""
    memo: dict = {}
    calls: list[str] = []

    def count(text: str) -> int:
        calls.append(text)
        return text.count("\n")

    for text in (MAC_TABLE, "".join(list(MAC_TABLE)), MAC_TABLE + "\n"):
        obs = Observations({CMD: text}, memo)
        assert obs.derived(CMD, "lines", lambda obs=obs: count(obs.outputs[CMD])) == text.count("\n")
    assert len(calls) == 2  # the equal copy was not counted again, the changed text was
    for _ in range(100):
        Observations({CMD: MAC_TABLE}, memo).get(CMD, lambda t: parse_mac_table(t))
    assert ("derived", CMD, "lines") in memo
    Observations({CMD: MAC_TABLE}).derived(CMD, "lines", lambda: count(MAC_TABLE))
    Observations({CMD: MAC_TABLE}).derived(CMD, "lines", lambda: count(MAC_TABLE))
    assert len(calls) == 4


def test_evpn_received_counts_an_unchanged_rib_once_across_polls(monkeypatch) -> None:
    """The RIB's rows are judged once while it is unchanged; a changed RIB is judged again and
    the verdict follows it (never a stale count)."""
    from nornir_evpn.checks import evpn
    from nornir_evpn.checks.evpn import EvpnReceived

    fabric = derive_intent(load_topology(ROOT / "inventory" / "evpn-mh01.clab.yml"))
    view, node = FabricView(fabric), fabric.nodes["leaf3"]
    rib = (ROOT / "tests" / "fixtures" / "tutorial_leaf3_show_bgp_routes_evpn_summary.txt").read_text()
    judged: list[str] = []
    real = evpn.rib_groups
    monkeypatch.setattr(evpn, "rib_groups", lambda *a, **k: (judged.append("rib_groups"), real(*a, **k))[1])
    memo: dict = {}
    check = EvpnReceived()
    for _ in range(3):
        result = check.run(view, node, Observations({platform.SHOW_EVPN_SUMMARY: rib}, memo))
        assert result is not None and result.ok, result
    assert judged == ["rib_groups"]
    # leaf1's ES down: it withdraws its RT1 routes, the counts are read again and fail
    changed = "\n".join(ln for ln in rib.splitlines() if not ln.startswith("| u*>    | 10.0.0.1:111            | 01:")
                        ).replace("4 Ethernet Auto-Discovery routes 4 used, 4 valid",
                                  "2 Ethernet Auto-Discovery routes 2 used, 2 valid")
    assert changed != rib
    result = check.run(view, node, Observations({platform.SHOW_EVPN_SUMMARY: changed}, memo))
    assert result is not None and not result.ok
    assert judged[1:] == ["rib_groups"]  # once, though refine and observe both read it


def test_evpn_received_is_not_judged_again_for_mac_routes_alone(monkeypatch) -> None:
    """failover-test's probes change the MAC routes (RT2) from one poll to the next; what
    evpn.received judges (RT1/RT3/RT4 and their counts) is kept while those are unchanged:
    with the whole view as the key, 473 of 593 judgments ran again in a 128-leaf run."""
    from nornir_evpn.checks import evpn
    from nornir_evpn.checks.evpn import EvpnReceived, without_mac_routes

    fabric = derive_intent(load_topology(ROOT / "inventory" / "evpn-mh01.clab.yml"))
    view, node = FabricView(fabric), fabric.nodes["leaf3"]
    rib = (ROOT / "tests" / "fixtures" / "tutorial_leaf3_show_bgp_routes_evpn_summary.txt").read_text()
    lines = rib.splitlines(keepends=True)
    at = next(i for i, ln in enumerate(lines) if ln.startswith("| u*>   | 10.0.0.2:111 | 0"))
    # one MAC route fewer (a CE's MAC aged out): its two rows and the count
    fewer = "".join(lines[:at] + lines[at + 2:]).replace(
        "2 MAC-IP Advertisement routes 2 used, 2 valid", "1 MAC-IP Advertisement routes 1 used, 1 valid")
    assert fewer != rib and without_mac_routes(fewer) == without_mac_routes(rib)
    assert "MAC-IP" not in without_mac_routes(rib).split("Type 3")[1]
    # an RT1 row less is seen
    rt1 = next(ln for ln in rib.splitlines() if ln.startswith("| u*>    | 10.0.0.1:111            | 01:"))
    assert without_mac_routes(rib.replace(rt1 + "\n", "", 1)) != without_mac_routes(rib)
    judged: list[str] = []
    real = evpn.rib_groups
    monkeypatch.setattr(evpn, "rib_groups", lambda *a, **k: (judged.append("rows"), real(*a, **k))[1])
    memo: dict = {}
    for text in (rib, fewer, rib):
        result = EvpnReceived().run(view, node, Observations({platform.SHOW_EVPN_SUMMARY: text}, memo))
        assert result is not None and result.ok, result
    assert judged == ["rows"]


def _leaf3_rib() -> tuple[FabricView, Any, str]:
    fabric = derive_intent(load_topology(ROOT / "inventory" / "evpn-mh01.clab.yml"))
    rib = (ROOT / "tests" / "fixtures" / "tutorial_leaf3_show_bgp_routes_evpn_summary.txt").read_text()
    return FabricView(fabric), fabric.nodes["leaf3"], rib


def _without_rt1_of(rib: str, ip: str, left: int) -> str:
    return "\n".join(ln for ln in rib.splitlines() if not ln.startswith(f"| u*>    | {ip}:111            | 01:")
                     ).replace("4 Ethernet Auto-Discovery routes 4 used, 4 valid",
                               f"{left} Ethernet Auto-Discovery routes {left} used, {left} valid")


def test_evpn_received_recounts_each_changed_degraded_rib_across_polls() -> None:
    """A failover-test's polls of a degraded leaf: each changed RIB is counted anew (the
    counts, kept while the RIB's RT1/RT3/RT4 are unchanged, never stale)."""
    from nornir_evpn.checks.evpn import EvpnReceived

    view, node, rib = _leaf3_rib()
    one_gone = _without_rt1_of(rib, "10.0.0.1", 2)
    both_gone = _without_rt1_of(one_gone, "10.0.0.2", 0).replace(
        "2 Ethernet Auto-Discovery routes 2 used, 2 valid", "0 Ethernet Auto-Discovery routes 0 used, 0 valid")
    memo: dict = {}
    seen = []
    for text in (one_gone, both_gone, one_gone, rib):
        result = EvpnReceived().run(view, node, Observations({platform.SHOW_EVPN_SUMMARY: text}, memo))
        assert result is not None
        seen.append((result.ok, result.observed["mac-vrf-1 RT1"]))
    assert seen == [(False, 2), (False, 0), (False, 2), (True, 4)]


def test_evpn_received_counts_the_rows_where_a_row_is_not_the_intents_across_polls() -> None:
    """Footers as expected but a row not the intent's (an RT3 with leaf2's RD from 10.0.0.9,
    no leaf of the intent, where leaf2's own IMET should be): leaf2's IMET is missing, in
    every poll (the kept value is the RIB's, the verdict is drawn from it each time). Before
    0.22 this RT3 stood in for leaf2's: its RD was one of the intent's."""
    from nornir_evpn.checks.evpn import EvpnReceived

    view, node, rib = _leaf3_rib()
    foreign = rib.replace("| u*>    | 10.0.0.2:111                         | 0          | 10.0.0.2            |",
                          "| u*>    | 10.0.0.2:111                         | 0          | 10.0.0.9            |", 1)
    assert foreign != rib
    memo: dict = {}
    for _ in range(2):
        result = EvpnReceived().run(view, node, Observations({platform.SHOW_EVPN_SUMMARY: foreign}, memo))
        assert result is not None and not result.ok, result
        assert result.observed == {"mac-vrf-1 RT1": 4, "mac-vrf-1 RT3": 1, "mac-vrf-1 RT4": 0,
                                   "mac-vrf-1 RT3 from leaf2": "0"}, result.observed
        assert "leaf3 mac-vrf-1 RT3 from leaf2 - Expected: 1 Actual: 0 (leaf2's RD is on routes of 10.0.0.9 too)" \
            in result.detail, result.detail


def test_a_value_drawn_from_an_output_changed_in_place_is_drawn_again() -> None:
    """An output of the same length (a MAC `learnt` then `static`; a path `u*>` then `u >`)
    is another output: its value is drawn again, never the last poll's."""
    memo: dict = {}
    changed = MAC_TABLE.replace("learnt", "static", 1)
    assert changed != MAC_TABLE and len(changed) == len(MAC_TABLE)
    for text in (MAC_TABLE, changed):
        obs = Observations({CMD: text}, memo)
        assert obs.derived(CMD, "text", lambda obs=obs: obs.outputs[CMD]) == text


def test_a_value_drawn_from_a_failed_command_is_computed_and_not_kept() -> None:
    from nornir_evpn.checks.model import CommandFailure

    memo: dict = {}
    for answer in (CommandFailure("timed out"), None):
        outputs = {CMD: answer} if answer is not None else {}
        calls: list[int] = []
        for _ in range(2):
            assert Observations(outputs, memo).derived(CMD, "n", lambda calls=calls: calls.append(1) or 7) == 7
        assert len(calls) == 2
    assert not memo


def _mh01_leaf3() -> tuple[Any, Any]:
    fabric = derive_intent(load_topology(ROOT / "inventory" / "evpn-mh01.clab.yml"))
    return FabricView(fabric), fabric.nodes["leaf3"]


def _retimed(table: str, when: str) -> str:
    """The table as a later poll shows it: every entry re-timed (an EVPN update elsewhere)."""
    import re

    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", when, table)


def test_mac_checks_do_not_parse_a_table_again_for_its_update_times_alone(monkeypatch) -> None:
    """Each EVPN update (a failover-test's shut, its restore) re-times every entry of every
    leaf's mac table: its polls parsed every table again although no entry changed. The MAC
    checks and evpn.advertised's RT2 count keep what they drew from it; a changed entry is
    read again and the verdict follows it."""
    from nornir_evpn.checks import mac
    from nornir_evpn.checks.mac import MacEsiRemote, MacLocal

    view, node = _mh01_leaf3()
    parsed: list[int] = []
    real = mac.parse_mac_table
    monkeypatch.setattr(mac, "parse_mac_table", lambda text: (parsed.append(1), real(text))[1])
    later = _retimed(MAC_TABLE, "2023-11-28T19:09:31.176Z")
    assert later != MAC_TABLE
    memo: dict = {}
    for text in (MAC_TABLE, later, _retimed(MAC_TABLE, "2023-11-28T19:09:32.5Z")):
        obs = Observations({CMD: text}, memo)
        for check in (MacEsiRemote(), MacLocal()):
            result = check.run(view, node, obs)
            assert result is not None and result.ok, result
        assert mac.local_mac_count(obs, node) == 3
    assert len(parsed) == 1
    # a CE's MAC moved to another port: read again, and mac.local fails on it
    moved = later.replace("| ethernet-1/2.0                        | 4 ", "| ethernet-1/9.0                        | 4 ")
    assert moved != later
    obs = Observations({CMD: moved}, memo)
    result = MacLocal().run(view, node, obs)
    assert result is not None and not result.ok
    assert "mac-vrf-1 00:c1:ab:00:00:22 - Expected: learnt ethernet-1/2.0 Actual: learnt ethernet-1/9.0" in result.detail
    assert result.commands == [CMD]  # the command its verdict rests on, kept value or not
    assert len(parsed) == 2
    # an entry gone: evpn.advertised's RT2 count follows (its table read once more at most)
    gone = "\n".join(ln for ln in moved.splitlines() if "00:C1:AB:00:00:23" not in ln)
    assert mac.local_mac_count(Observations({CMD: gone}, memo), node) == 2


def test_a_failed_mac_check_names_its_table_when_the_value_was_kept() -> None:
    """A verdict drawn from a kept value still rests on the command: a failing check lists
    it (`CheckResult.commands`) as when it parsed the table itself."""
    from nornir_evpn.checks.mac import MacLocal

    view, node = _mh01_leaf3()
    gone = "\n".join(ln for ln in MAC_TABLE.splitlines() if "00:C1:AB:00:00:22" not in ln)
    memo: dict = {}
    for text in (gone, _retimed(gone, "2023-11-28T19:09:31.176Z")):
        result = MacLocal().run(view, node, Observations({CMD: text}, memo))
        assert result is not None and not result.ok
        assert result.commands == [CMD]


NEIGHBORS = (ROOT / "tests" / "fixtures" / "l2evpn_spine1_show_bgp_neighbor.txt").read_text()


def test_bgp_sessions_are_not_parsed_again_for_uptimes_and_route_counts(monkeypatch) -> None:
    """The neighbor table's Uptime and [Rx/Active/Tx] change every poll; the sessions the
    checks judge (peer, group, state) are kept while the rest is unchanged, a session's
    state change is read again (wrapped uptimes too, as a device prints them)."""
    from nornir_evpn.checks import bgp

    parsed: list[int] = []
    real = bgp.parse_bgp_neighbors
    monkeypatch.setattr(bgp, "parse_bgp_neighbors", lambda text: (parsed.append(1), real(text))[1])
    cmd = platform.SHOW_BGP_NEIGHBORS
    later = (NEIGHBORS.replace("| 0d:18h:20m: |", "| 0d:18h:21m: |").replace("| 49s         |", "| 9s          |")
             .replace("[2/1/4]               |", "[12/11/40]            |"))
    assert later != NEIGHBORS and len(later.splitlines()) == len(NEIGHBORS.splitlines())
    assert bgp.without_counters(later) == bgp.without_counters(NEIGHBORS)
    memo: dict = {}
    for text in (NEIGHBORS, later):
        found = bgp.sessions(Observations({cmd: text}, memo))
        assert {p: (s.group, s.state, s.established) for p, s in found.items()} == {
            "192.168.11.1": ("eBGP-underlay", "established", True),
            "192.168.12.1": ("eBGP-underlay", "established", True)}
    assert len(parsed) == 1
    down = later.replace("| established | 0d:18h:21m: |", "| active      | 0d:18h:21m: |", 1)
    assert down != later
    found = bgp.sessions(Observations({cmd: down}, memo))
    assert found["192.168.11.1"].state == "active" and not found["192.168.11.1"].established
    assert len(parsed) == 2


def test_a_value_drawn_from_an_output_that_comes_back_is_not_drawn_again() -> None:
    """A failover-test reads the fabric healthy, degraded, healthy again: the recovery polls
    read what the pre-check read. `derived` keeps the value before the last one too, and
    one from further back is drawn again."""
    memo: dict = {}
    calls: list[str] = []
    texts = ("healthy", "degraded", "healthy", "degraded", "other", "healthy")
    for text in texts:
        obs = Observations({CMD: text}, memo)
        assert obs.derived(CMD, "n", lambda text=text: calls.append(text) or text.upper()) == text.upper()
    assert calls == ["healthy", "degraded", "other", "healthy"]


def test_an_unchanged_output_is_not_cut_to_its_part_again() -> None:
    """A steady fabric's polls read the same texts: the part a value rests on (a RIB without
    its MAC routes, a table without its times) is not cut again for an unchanged output, and
    is for a changed one; two values drawn from one piece in one poll cut it once."""
    memo: dict = {}
    cuts: list[str] = []

    def part(text: str) -> str:
        cuts.append(text)
        return text.rstrip("!")

    for text in ("abc", "".join(list("abc")), "abc!", "abc!"):
        obs = Observations({CMD: text}, memo)
        assert obs.derived(CMD, "upper", lambda text=text: text.rstrip("!").upper(), part=part) == "ABC"
        assert obs.derived(CMD, "len", lambda text=text: len(text.rstrip("!")), part=part) == 3
    assert cuts == ["abc", "abc!"]
