"""`show network-instance default protocols bgp routes evpn route-type summary`: received EVPN routes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nornir_evpn.errors import ParseError
from nornir_evpn.parsers.evpn_routes import ROUTE_TYPE_NAMES, EvpnRouteSet, route_counts
from nornir_evpn.parsers.tables import clean_lines, key_values, lines_with

# `4 Ethernet Auto-Discovery routes 4 used, 4 valid`: the count is the valid paths. The
# first number also holds invalid or stale ones (`6 Ethernet Segment routes 1 used, 2
# valid` in a 24.x lab that keeps all routes), which the fabric cannot use.
_FOOTER_RE = re.compile(r"^\d+ (?P<name>.+?) routes \d+ used, (?P<count>\d+) valid(?:, \d+ stale)?$")
_FOOTER_MARK = " used, "


@dataclass
class EvpnSummary:
    router_id: str
    asn: str
    routes: EvpnRouteSet


def parse_evpn_summary(text: str) -> EvpnSummary:
    """The BGP EVPN RIB of the default network-instance, per route type.

    A 128-leaf fabric's view is 150 KB of route tables between a short header and the footers:
    the header (above the first table) and the footer lines are read now, the tables on first
    use of `routes.routes`.
    """
    first_table = text.find("\n+")
    head = clean_lines(text if first_table < 0 else text[:first_table])
    if not any(ln.startswith("Show report for the BGP route table") for ln in head):
        raise ParseError("bgp routes evpn summary: no 'Show report for the BGP route table' header")
    # the `Key : value` lines are the header above the first table (rows never are)
    kv = key_values(head)
    if "bgprouterid" not in kv:
        raise ParseError("bgp routes evpn summary: no 'BGP Router ID:' line")
    # `N <type> routes N used, N valid`, one per type, printed under the last table: read the
    # tail first (scanning all 150 KB costs 0.1 ms even in C), the whole view if one is missing
    last_table = text.rfind("\n+")
    footers = lines_with(text[last_table + 1:], _FOOTER_MARK)
    if len(footers) < len(ROUTE_TYPE_NAMES) and last_table >= 0:
        footers = lines_with(text, _FOOTER_MARK)
    counts = route_counts(footers, _FOOTER_RE)
    return EvpnSummary(router_id=kv["bgprouterid"], asn=kv.get("as", ""),
                       routes=EvpnRouteSet(counts, text=text))


# not kept from one failover-test poll to the next (checks.model.Observations): it reads the
# footers only (40 µs), and its value holds the whole view for a lazy route list (168 KB per
# leaf at 128 leaves: 35 MB more for a run)
parse_evpn_summary.memoise = False  # type: ignore[attr-defined]
