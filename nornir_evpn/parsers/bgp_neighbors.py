"""`show network-instance default protocols bgp neighbor [<ip>]`: the BGP session table."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nornir_evpn.errors import ParseError
from nornir_evpn.parsers.tables import clean_lines, iter_tables

# `[39/39/13]`, one per address family: a session with two (24.x and later) wraps the
# second onto a continuation row, read as `[39/39/13] [4/4/2]`
_RAT_RE = re.compile(r"\[(\d+)/(\d+)/(\d+)\]")


@dataclass
class BgpNeighbor:
    network_instance: str
    peer: str
    group: str
    flags: str
    peer_as: str
    state: str
    uptime: str
    afi_safi: str  # its address families, space separated (`evpn ipv4-unicast`)
    received: int | None  # the counts summed over its address families (None: not shown)
    active: int | None
    sent: int | None
    # per address family: (received, active, sent)
    prefixes: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    @property
    def established(self) -> bool:
        return self.state == "established"


def group_key(name: str) -> str:
    """A BGP group's name for comparing with one read from the neighbor table: without its
    spaces. The Group column wraps long names, and a wrap at a space right after a piece
    that filled the cell reads like a hard wrap (`EVPN-overlay-1` + `rr` is `EVPN-overlay-1rr`
    to any reader), so the space of `EVPN-overlay-1 rr` is lost."""
    return "".join(name.split())


def parse_bgp_neighbors(text: str) -> dict[str, BgpNeighbor]:
    """Sessions keyed by peer address; a table with no rows gives an empty dict."""
    lines = clean_lines(text)
    if not any(ln.startswith("BGP neighbor summary") for ln in lines):
        raise ParseError("show bgp neighbor: no 'BGP neighbor summary' header")
    out: dict[str, BgpNeighbor] = {}
    for table in iter_tables(lines):
        table.require("Peer", "State", "Peer-AS")
        rat_key = next((k for k in table.column_keys() if k.startswith("rx")), None)
        for r in table.records:
            afi_safi = r.get("afisafi", "")
            counts = [tuple(map(int, m)) for m in _RAT_RE.findall(r.get(rat_key or "", ""))]
            totals = [sum(c[i] for c in counts) for i in range(3)] if counts else [None] * 3
            out[r["peer"]] = BgpNeighbor(
                network_instance=r.get("netinst", ""), peer=r["peer"], group=r.get("group", ""),
                flags=r.get("flags", ""), peer_as=r["peeras"], state=r["state"],
                uptime=r.get("uptime", ""), afi_safi=afi_safi,
                received=totals[0], active=totals[1], sent=totals[2],
                prefixes=dict(zip(afi_safi.split(), counts, strict=False)),
            )
    return out
