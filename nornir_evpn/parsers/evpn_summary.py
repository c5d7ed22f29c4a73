"""`show network-instance default protocols bgp routes evpn route-type summary`: received EVPN routes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nornir_evpn.errors import ParseError
from nornir_evpn.parsers.evpn_routes import EvpnRouteSet, parse_route_sections
from nornir_evpn.parsers.tables import clean_lines, key_values

# `4 Ethernet Auto-Discovery routes 4 used, 4 valid`
_FOOTER_RE = re.compile(r"^(?P<count>\d+) (?P<name>.+?) routes \d+ used, \d+ valid$")


@dataclass
class EvpnSummary:
    router_id: str
    asn: str
    routes: EvpnRouteSet


def parse_evpn_summary(text: str) -> EvpnSummary:
    """The BGP EVPN RIB of the default network-instance, per route type."""
    lines = clean_lines(text)
    if not any(ln.startswith("Show report for the BGP route table") for ln in lines):
        raise ParseError("bgp routes evpn summary: no 'Show report for the BGP route table' header")
    # the `Key : value` lines are the header above the first table (rows never are)
    first_table = next((i for i, ln in enumerate(lines) if ln.startswith("+")), len(lines))
    kv = key_values(lines[:first_table])
    if "bgprouterid" not in kv:
        raise ParseError("bgp routes evpn summary: no 'BGP Router ID:' line")
    return EvpnSummary(router_id=kv["bgprouterid"], asn=kv.get("as", ""),
                       routes=parse_route_sections(lines, _FOOTER_RE))
