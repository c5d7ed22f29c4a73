"""`show system network-instance ethernet-segments <es> detail`: ES state, peers and DF."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nornir_evpn.errors import ParseError
from nornir_evpn.parsers.tables import clean_lines, is_rule, key_values

# `mac-vrf-1              10.0.0.2 (DF)` under `Network-instance       ES Peers`; an
# instance name may hold a space (`MAC-VRF 1              100.0.0.1`, a 24.x lab)
_CANDIDATE_RE = re.compile(r"^(?P<ni>\S(?:.*?\S)?)\s+(?P<peer>\d{1,3}(?:\.\d{1,3}){3})(?P<df>\s+\(DF\))?\s*$")


@dataclass
class DfCandidate:
    network_instance: str
    peer: str
    df: bool


@dataclass
class EthernetSegmentState:
    name: str
    admin_state: str
    oper_state: str
    esi: str
    multi_homing: str
    oper_multi_homing: str
    interface: str
    df_election: str
    candidates: list[DfCandidate] = field(default_factory=list)

    def peers(self, network_instance: str | None = None) -> list[str]:
        return [c.peer for c in self.candidates
                if network_instance is None or c.network_instance == network_instance]

    def df(self, network_instance: str | None = None) -> str | None:
        for c in self.candidates:
            if c.df and (network_instance is None or c.network_instance == network_instance):
                return c.peer
        return None


def parse_ethernet_segment(text: str) -> EthernetSegmentState:
    """Parse the detail view of one ethernet segment."""
    lines = clean_lines(text)
    try:
        cand_at = next(i for i, ln in enumerate(lines) if ln.strip() == "DF Candidates")
    except StopIteration:
        cand_at = len(lines)
    kv = key_values(lines[:cand_at])
    missing = [k for k in ("name", "operstate", "esi") if k not in kv]
    if missing:
        raise ParseError(f"show ethernet-segments detail: missing field(s) {missing}")
    es = EthernetSegmentState(
        name=kv["name"], admin_state=kv.get("adminstate", ""), oper_state=kv["operstate"],
        esi=kv["esi"].lower(), multi_homing=kv.get("multihoming", ""),
        oper_multi_homing=kv.get("opermultihoming", ""), interface=kv.get("interface", ""),
        df_election=kv.get("dfelection", ""),
    )
    for line in lines[cand_at + 1:]:
        if not line.strip() or is_rule(line) or line.strip().startswith("Network-instance"):
            continue
        m = _CANDIDATE_RE.match(line.strip())
        if not m:
            raise ParseError(f"show ethernet-segments detail: bad DF candidate line {line.strip()!r}")
        es.candidates.append(DfCandidate(m["ni"], m["peer"], bool(m["df"])))
    return es
