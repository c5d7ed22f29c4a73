"""`show network-instance default protocols bgp neighbor <ip> advertised-routes evpn`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nornir_evpn.errors import ParseError
from nornir_evpn.parsers.evpn_routes import EvpnRouteSet, parse_route_sections
from nornir_evpn.parsers.tables import clean_lines, key_values

_FOOTER_RE = re.compile(r"^(?P<count>\d+) advertised (?P<name>.+?) routes$")


@dataclass
class AdvertisedRoutes:
    peer: str
    group: str
    routes: EvpnRouteSet


def parse_advertised_evpn(text: str) -> AdvertisedRoutes:
    """Routes this node advertises to one peer, with the per-type counts."""
    lines = clean_lines(text)
    kv = key_values(lines)
    if "peer" not in kv:
        raise ParseError("advertised-routes evpn: no 'Peer :' line")
    peer = kv["peer"].split(",")[0].strip()
    return AdvertisedRoutes(peer=peer, group=kv.get("group", ""),
                            routes=parse_route_sections(lines, _FOOTER_RE))
