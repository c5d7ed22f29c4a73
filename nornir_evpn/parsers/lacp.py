"""`show lag <lag> lacp-state`: LAG LACP parameters and the per-member LACP table."""

from __future__ import annotations

from dataclasses import dataclass, field

from nornir_evpn.errors import ParseError
from nornir_evpn.parsers.tables import clean_lines, iter_tables, key_values

IN_SYNC = "IN_SYNC/True/True/True"  # synchronization/collecting/distributing/... all set


@dataclass
class LacpMember:
    interface: str
    oper_state: str
    activity: str
    timeout: str
    state: str  # e.g. IN_SYNC/True/True/True
    system_id: str
    oper_key: str
    partner_id: str
    partner_key: str
    port_no: str
    partner_port_no: str

    @property
    def in_sync(self) -> bool:
        return self.oper_state == "up" and self.state.upper() == IN_SYNC.upper()


@dataclass
class LacpState:
    lag: str
    interval: str
    mode: str
    system_id: str
    system_priority: str
    members: dict[str, LacpMember] = field(default_factory=dict)


def parse_lacp_state(text: str) -> LacpState:
    """Parse `show lag <lag> lacp-state`; a LAG without members gives an empty member map."""
    lines = clean_lines(text)
    kv = key_values(lines)
    if "lagid" not in kv:
        raise ParseError("show lag lacp-state: no 'Lag Id :' line")
    state = LacpState(
        lag=kv["lagid"], interval=kv.get("interval", ""), mode=kv.get("mode", ""),
        system_id=kv.get("systemid", ""), system_priority=kv.get("systempriority", ""),
    )
    for table in iter_tables(lines):
        table.require("Members", "Oper state", "State", "Partner Id")
        for r in table.records:
            state.members[r["members"]] = LacpMember(
                interface=r["members"], oper_state=r["operstate"], activity=r.get("activity", ""),
                timeout=r.get("timeout", ""), state=r["state"], system_id=r.get("systemid", ""),
                oper_key=r.get("operkey", ""), partner_id=r["partnerid"],
                partner_key=r.get("partnerkey", ""), port_no=r.get("portno", ""),
                partner_port_no=r.get("partnerportno", ""),
            )
    return state
