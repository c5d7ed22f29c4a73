"""EvpnRouteSet.of_type reads one type's tables alone; an output it cannot place must still
be refused as the whole parse refuses it (mut15: a mutant dropping that guard survived)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nornir_evpn.errors import ParseError
from nornir_evpn.parsers.evpn_summary import parse_evpn_summary

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
STRAY = ("+--------+----------------+\n"
         "| Status | Route-distinguisher |\n"
         "+========+================+\n"
         "| u*>    | 10.0.0.9:111   |\n"
         "+--------+----------------+\n")


def test_a_table_before_any_type_title_is_refused_by_of_type_too() -> None:
    text = (FIXTURES / "tutorial_leaf3_show_bgp_routes_evpn_summary.txt").read_text()
    first = text.index("Type 1 ")
    garbled = text[:first] + STRAY + text[first:]
    with pytest.raises(ParseError, match="without a 'Type N' title"):
        _ = parse_evpn_summary(garbled).routes.routes
    with pytest.raises(ParseError, match="without a 'Type N' title"):
        parse_evpn_summary(garbled).routes.of_type(3)
    # the output as it is: of_type gives what the whole parse gives
    routes = parse_evpn_summary(text).routes
    assert [r.rd for r in routes.of_type(3)] == ["10.0.0.1:111", "10.0.0.2:111"]
