"""What the two EVPN route views share: route-type sections (`Type N ...` + table) and footers.

Used by `bgp_advertised` (`... neighbor <ip> advertised-routes evpn`) and `evpn_summary`
(`... bgp routes evpn route-type summary`). Counts come from the footer lines, which
SR Linux prints for every route type even when its table is absent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from nornir_evpn.errors import ParseError
from nornir_evpn.parsers.tables import clean_lines, iter_tables

# Footer names of the route types (`2 advertised Ethernet Auto-Discovery routes`).
ROUTE_TYPE_NAMES = {
    1: "Ethernet Auto-Discovery",
    2: "MAC-IP Advertisement",
    3: "Inclusive Multicast Ethernet Tag",
    4: "Ethernet Segment",
    5: "IP Prefix",
}
_NAME_TO_TYPE = {v.lower(): k for k, v in ROUTE_TYPE_NAMES.items()}
_SECTION_RE = re.compile(r"^\s*Type (\d) ")


@dataclass
class EvpnRoute:
    route_type: int
    rd: str
    esi: str = ""
    tag: str = ""
    mac: str = ""
    ip: str = ""
    originator: str = ""
    neighbor: str = ""
    next_hop: str = ""
    status: str = ""


class EvpnRouteSet:
    """The footer counts per type (1..5), read at once, and the routes per type, read from
    the tables on first use: the checks only need the counts, and a 128-leaf fabric's RIB
    is ~500 rows per leaf (a broken table raises ParseError when `routes` is first read)."""

    def __init__(self, counts: dict[int, int], lines: list[str] | None = None, text: str = "") -> None:
        """`lines`: the view's cleaned lines; or `text`, the raw view, cleaned on first use."""
        self.counts = counts
        self._lines = lines
        self._text = text

    @cached_property
    def _clean(self) -> list[str]:
        return self._lines if self._lines is not None else clean_lines(self._text)

    @cached_property
    def _titles(self) -> list[tuple[int, int]]:
        """(line index, route type) of each `Type N` title."""
        return [(i, int(m.group(1))) for i, ln in enumerate(self._clean) if (m := _SECTION_RE.match(ln))]

    @cached_property
    def routes(self) -> dict[int, list[EvpnRoute]]:
        lines, titles = self._clean, self._titles
        out: dict[int, list[EvpnRoute]] = {}
        for table in iter_tables(lines):
            before = [t for i, t in titles if i < table.start]
            if not before:
                raise ParseError(f"line {table.start + 1}: EVPN table without a 'Type N' title")
            rtype = before[-1]
            out.setdefault(rtype, []).extend(_route(rtype, r) for r in table.records)
        return out

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, EvpnRouteSet):
            return NotImplemented
        return self.counts == other.counts and self.routes == other.routes

    __hash__ = None  # type: ignore[assignment]  (mutable, like the dataclass it replaces)

    def __repr__(self) -> str:
        return f"EvpnRouteSet(counts={self.counts!r})"

    @property
    def text(self) -> str | None:
        """The raw view, when the set was made from it (None: from cleaned lines)."""
        return self._text if self._lines is None else None

    def of_type(self, route_type: int) -> list[EvpnRoute]:
        """The routes of one type, reading that type's tables alone (a check counting RT1,
        RT3 and RT4 never builds the MAC routes: with tenants of one's own a leaf's RIB is
        3 MB, 20k paths, most of them RT2)."""
        if "routes" in self.__dict__:
            return self.routes.get(route_type, [])
        kept = self.__dict__.setdefault("_by_type", {})
        if route_type not in kept:
            lines, titles = self._clean, self._titles
            if not titles or next(iter(iter_tables(lines[: titles[0][0]])), None) is not None:
                return self.routes.get(route_type, [])  # no title, or a table before one: as there
            found: list[EvpnRoute] = []
            for n, (start, rtype) in enumerate(titles):
                if rtype != route_type:
                    continue
                end = titles[n + 1][0] if n + 1 < len(titles) else len(lines)
                for table in iter_tables(lines[start:end]):
                    found.extend(_route(rtype, r) for r in table.records)
            kept[route_type] = found
        return kept[route_type]

    def count(self, route_type: int) -> int:
        return self.counts.get(route_type, 0)


def _route(route_type: int, r: dict[str, str]) -> EvpnRoute:
    rd = r.get("routedistinguisher")
    if rd is None:
        raise ParseError(f"EVPN type {route_type} table has no Route-distinguisher column")
    return EvpnRoute(
        route_type=route_type, rd=rd, esi=r.get("esi", "").lower(), tag=r.get("tagid", ""),
        mac=r.get("macaddress", "").lower(), ip=r.get("ipaddress", ""),
        originator=r.get("originatingip") or r.get("originatingrouter") or r.get("originatorip", ""),
        neighbor=r.get("neighbor", ""), next_hop=r.get("nexthop", ""), status=r.get("status", ""),
    )


def route_counts(lines: Iterable[str], footer_re: re.Pattern[str]) -> dict[int, int]:
    """{route type: count} from the footer lines matched by `footer_re` (groups `count` and
    `name`; table rows and borders never count). No footer at all: not an EVPN route view,
    ParseError."""
    counts: dict[int, int] = {}
    for line in lines:
        if line.startswith(("|", "+")):
            continue
        m = footer_re.match(line.strip())
        if m:
            rtype = _NAME_TO_TYPE.get(m["name"].lower())
            if rtype is not None:
                counts[rtype] = int(m["count"])
    if not counts:
        raise ParseError("EVPN routes: no route count footer (e.g. '2 ... Ethernet Auto-Discovery routes')")
    return counts


def parse_route_sections(lines: list[str], footer_re: re.Pattern[str]) -> EvpnRouteSet:
    """Footer counts matched by `footer_re` now (`route_counts`), the tables under `Type N`
    titles lazily."""
    return EvpnRouteSet(route_counts(lines, footer_re), lines)
