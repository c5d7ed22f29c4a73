"""Parser behaviour no test held: each test kills a mutant of `nornir_evpn/parsers` that the
rest of the suite let pass. Outputs are the verbatim transcripts (tests/fixtures), edited
only where the test says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from nornir_evpn.errors import ParseError
from nornir_evpn.parsers.ethernet_segment import parse_ethernet_segment
from nornir_evpn.parsers.mac_table import parse_mac_table

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fx(name: str) -> str:
    return (FIXTURES / name).read_text()


ES_TEXT = "tutorial_leaf1_show_es_ES-1_detail.txt"


@pytest.mark.parametrize("line", [
    "mac-vrf-1              10.0.0.2 (DF) (standby)",  # more than a DF mark after the peer
    "mac-vrf-1              (pending)",               # no peer address
])
def test_a_df_candidate_line_not_understood_is_refused_not_skipped(line) -> None:
    """A DF candidate line the parser does not understand raises ParseError (es.df fails
    saying the output was unexpected) instead of being dropped or half read: a candidate
    lost, or a DF mark read where it was qualified, would change the DF verdict."""
    text = fx(ES_TEXT).replace("mac-vrf-1              10.0.0.2 (DF)", line)
    with pytest.raises(ParseError, match="bad DF candidate line"):
        parse_ethernet_segment(text)


def test_an_esi_shown_in_capitals_reads_in_lower_case() -> None:
    """ESIs compare in lower case (the intent's, the MAC table's `esi:`, the route tables'):
    one shown in capitals is the same ESI."""
    text = fx(ES_TEXT).replace("01:11:11:11:11:11:11:00:00:01", "01:AB:11:11:11:11:11:00:00:01")
    es = parse_ethernet_segment(text)
    assert (es.esi, es.multi_homing, es.oper_multi_homing) == ("01:ab:11:11:11:11:11:00:00:01", "all-active", "all-active")


MAC_TEXT = "tutorial_leaf3_show_mac_table_mac-vrf-1.txt"


def test_a_static_mac_is_local_and_an_esi_in_capitals_reads_in_lower_case() -> None:
    """A MAC configured on a leaf (`static`) is advertised as an RT2 like a learnt one:
    evpn.advertised counts both as the leaf's own. An `esi:` in capitals is the ESI the
    intent gives in lower case."""
    from nornir_evpn.parsers.mac_table import parse_mac_table

    text = fx(MAC_TEXT).replace("| 5          | learnt     |", "| 5          | static     |").replace(
        "esi:01:11:11:11:11:11:11:00:00:01", "esi:01:AB:11:11:11:11:11:00:00:01")
    table = parse_mac_table(text)
    assert sorted(e.address for e in table.local()) == ["00:C1:AB:00:00:21", "00:C1:AB:00:00:22", "00:C1:AB:00:00:23"]
    assert table.entries["00:c1:ab:00:00:23"].type == "static"
    assert table.entries["00:c1:ab:00:00:11"].esi == "01:ab:11:11:11:11:11:00:00:01"


def test_a_destination_wrapped_where_its_cell_is_full_keeps_its_fields_apart() -> None:
    """`vxlan-interface:vxlan1.1` filling its cell reads like a word cut by the wrap, and
    the next piece is glued to it; `vtep:`/`vni:`/`esi:` start a field: mac.esi_remote's
    detail shows `... vxlan1.1 vtep:10.0.0.1 vni:1`, not `vxlan1.1vtep:...`."""
    from nornir_evpn.parsers.mac_table import parse_mac_table

    text = """\
Mac-table of network instance mac-vrf-1
+-------------------+--------------------------+--------+
|      Address      |       Destination        |  Type  |
+===================+==========================+========+
| 00:C1:AB:00:00:11 | vxlan-interface:vxlan1.1 | evpn   |
|                   | vtep:10.0.0.1 vni:1      |        |
+-------------------+--------------------------+--------+
"""
    entry = parse_mac_table(text).entries["00:c1:ab:00:00:11"]
    assert (entry.destination, entry.esi) == ("vxlan-interface:vxlan1.1 vtep:10.0.0.1 vni:1", None)


def test_a_table_without_its_closing_border_is_refused_even_with_text_after_it() -> None:
    """A table whose closing `+---+` is missing (output cut, then the next prompt or
    rule) raises: its last record may be cut too."""
    from nornir_evpn.parsers.lacp import parse_lacp_state

    lines = fx("tutorial_leaf1_show_lag_lag1_lacp_state.txt").splitlines()
    last_border = max(i for i, ln in enumerate(lines) if ln.startswith("+-"))
    assert lines[last_border + 1].startswith("---")  # the rule under the table stays
    with pytest.raises(ParseError, match="is not closed"):
        parse_lacp_state("\n".join(lines[:last_border] + lines[last_border + 1:]))


def test_an_entry_not_programmed_is_inactive_with_its_reason_and_not_the_leaf_s_own() -> None:
    """25.x+ prints why an entry is not programmed; an inactive local MAC is not advertised,
    so it is no RT2 of the leaf's (`local`). A view without the `Active` column reads active."""
    text = fx("srl26_iffirb_leaf1_show_mac_table.txt")
    row = next(ln for ln in text.splitlines() if ln.startswith("| AA:C1:AB:3E:6A:"))
    cells = row.split("|")
    cells[5] = " false".ljust(len(cells[5]))
    cells[7] = " mac-dup".ljust(len(cells[7]))
    t = parse_mac_table(text.replace(row, "|".join(cells)))
    entry = t.entries["aa:c1:ab:3e:6a:2b"]
    assert (entry.active, entry.not_programmed) == (False, "mac-dup")
    assert t.local() == []
    assert (t.entries["aa:c1:ab:12:df:09"].active, t.entries["aa:c1:ab:12:df:09"].not_programmed) == (True, "")
