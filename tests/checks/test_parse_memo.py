"""failover-test's polls read every host again and again: an output unchanged since the last
poll must not be parsed again, a changed one must (never a stale verdict)."""

from __future__ import annotations

from pathlib import Path

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
