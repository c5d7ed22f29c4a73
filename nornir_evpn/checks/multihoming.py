"""Multi-homing checks on ES peers: LAG, LACP, ethernet segment state, ESI and DF election.

Text parsers, not `info from state | as json`: these are the tutorial's commands, the
ones an engineer reads, and the twin serves them verbatim.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from nornir_evpn import platform
from nornir_evpn.checks.base import ABSENT, Check, observe_bridged
from nornir_evpn.checks.model import FabricView, Observations, Unavailable
from nornir_evpn.intent import EthernetSegment, NodeIntent
from nornir_evpn.parsers.ethernet_segment import parse_ethernet_segment
from nornir_evpn.parsers.lacp import IN_SYNC, parse_lacp_state

NOT_IN_SYNC = "not in sync"


def _segments(view: FabricView, node: NodeIntent) -> list[EthernetSegment]:
    return [view.fabric.ethernet_segments[n] for n in node.ethernet_segments
            if n in view.fabric.ethernet_segments]


class _EsCheck(Check):
    def applies(self, view: FabricView, node: NodeIntent) -> bool:
        return node.role == "leaf" and bool(node.ethernet_segments)


class LagUp(_EsCheck):
    """`lag.up`: each ES LAG is oper up (down when all its members on this leaf are down),
    and its subinterface 0 is up with it and sits in the mac-vrf.

    Command: `show interface <lag>`.
    """

    name = "lag.up"

    def commands(self, view: FabricView, node: NodeIntent) -> list[str]:
        return [platform.show_interface(es.lag) for es in _segments(view, node)]

    def expected(self, view: FabricView, node: NodeIntent) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for es in _segments(view, node):
            out[es.lag] = "up" if view.lag_up(node.name, es) else "down"
            if node.mac_vrf is not None:
                out[f"{es.lag}.0 network-instance"] = node.mac_vrf.name
        return out

    def observe(self, view, node, obs: Observations, expected) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for es in _segments(view, node):
            out.update(observe_bridged(obs, es.lag))
        return out


UNKNOWN_MEMBER = "(not in the intent)"


def _unknown_members(es: EthernetSegment, node: NodeIntent, st: Any) -> list[str]:
    """The members `show lag <lag> lacp-state` lists that the intent does not give the LAG."""
    members = set(es.members.get(node.name, []))
    return [m for m in st.members if m not in members]


class LacpMembersInSync(_EsCheck):
    """`lacp.members_in_sync`: every LAG member that is up is IN_SYNC/True/True/True with
    the CE bond as partner; a member that is down is not. The LAG presents the intent's
    LACP system (id, priority), mode and key: all ES peers must present the same ones, or
    the CE bundles their links into different aggregators and drops what one of them sends.

    Command: `show lag <lag> lacp-state`.
    """

    name = "lacp.members_in_sync"

    def commands(self, view: FabricView, node: NodeIntent) -> list[str]:
        return [platform.show_lacp_state(es.lag) for es in _segments(view, node)]

    def expected(self, view: FabricView, node: NodeIntent) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for es in _segments(view, node):
            out[f"{es.lag} system-id"] = es.lacp.system_id_mac.lower()
            out[f"{es.lag} system-priority"] = str(es.lacp.system_priority)
            out[f"{es.lag} mode"] = es.lacp.mode
            for member in es.members.get(node.name, []):
                up = view.port_up(node.name, member)
                out[f"{es.lag} {member}"] = IN_SYNC if up else NOT_IN_SYNC
                if up:
                    out[f"{es.lag} {member} key"] = str(es.lacp.admin_key)
                if up and es.ce_mac:
                    out[f"{es.lag} {member} partner"] = es.ce_mac.lower()
        return out

    def refine(self, view, node, obs: Observations, expected) -> dict[str, Any]:
        """Also expect no member the intent does not have: a port moved out of the LAG in the
        topology keeps its `aggregate-id` (configure sets, it does not delete), stays in the
        bundle, and a CE re-cabled to it later joins this LAG."""
        extra: dict[str, Any] = {}
        for es in _segments(view, node):
            try:
                st = obs.get(platform.show_lacp_state(es.lag), parse_lacp_state)
            except Unavailable:
                continue  # observe leaves this LAG's keys absent: the check fails already
            extra.update({f"{es.lag} {m} {UNKNOWN_MEMBER}": ABSENT for m in _unknown_members(es, node, st)})
        return {**expected, **extra} if extra else expected

    def observe(self, view, node, obs: Observations, expected) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for es in _segments(view, node):
            try:
                st = obs.get(platform.show_lacp_state(es.lag), parse_lacp_state)
            except Unavailable:
                continue  # every key of this LAG stays absent
            out[f"{es.lag} system-id"] = st.system_id.lower()
            out[f"{es.lag} system-priority"] = st.system_priority
            out[f"{es.lag} mode"] = st.mode
            out.update({f"{es.lag} {m} {UNKNOWN_MEMBER}": f"member, {st.members[m].oper_state}"
                        for m in _unknown_members(es, node, st)})
            for member in es.members.get(node.name, []):
                m = st.members.get(member)
                if m is None:
                    out[f"{es.lag} {member}"] = ABSENT
                    continue
                out[f"{es.lag} {member} key"] = m.oper_key
                out[f"{es.lag} {member}"] = IN_SYNC if m.in_sync else (
                    NOT_IN_SYNC if expected.get(f"{es.lag} {member}") == NOT_IN_SYNC else f"{m.oper_state} {m.state}")
                out[f"{es.lag} {member} partner"] = m.partner_id.lower()
        return out


def _es_detail(obs: Observations, es: EthernetSegment):
    return obs.get(platform.show_ethernet_segment(es.name), parse_ethernet_segment)


class EsOperUp(_EsCheck):
    """`es.oper_up`: each ES is oper up on this leaf while its LAG is up, down otherwise.

    Command: `show system network-instance ethernet-segments <es> detail`.
    """

    name = "es.oper_up"

    def commands(self, view: FabricView, node: NodeIntent) -> list[str]:
        return [platform.show_ethernet_segment(es.name) for es in _segments(view, node)]

    def expected(self, view: FabricView, node: NodeIntent) -> dict[str, Any]:
        return {f"{es.name} oper-state": "up" if view.lag_up(node.name, es) else "down"
                for es in _segments(view, node)}

    def observe(self, view, node, obs: Observations, expected) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for es in _segments(view, node):
            try:
                out[f"{es.name} oper-state"] = _es_detail(obs, es).oper_state
            except Unavailable:
                out[f"{es.name} oper-state"] = ABSENT
        return out


class EsConfig(_EsCheck):
    """`es.esi`: each ES carries the intent's ESI, LAG interface and multi-homing mode.

    Command: `show system network-instance ethernet-segments <es> detail`.
    """

    name = "es.esi"

    def commands(self, view: FabricView, node: NodeIntent) -> list[str]:
        return [platform.show_ethernet_segment(es.name) for es in _segments(view, node)]

    def expected(self, view: FabricView, node: NodeIntent) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for es in _segments(view, node):
            out[f"{es.name} esi"] = es.esi.lower()
            out[f"{es.name} interface"] = es.lag
            out[f"{es.name} multi-homing"] = es.multi_homing_mode
        return out

    def observe(self, view, node, obs: Observations, expected) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for es in _segments(view, node):
            try:
                d = _es_detail(obs, es)
            except Unavailable:
                continue
            out[f"{es.name} esi"] = d.esi
            out[f"{es.name} interface"] = d.interface
            out[f"{es.name} multi-homing"] = d.multi_homing
        return out


def df_election(
    view: FabricView, es: EthernetSegment, evi: int, seen_from: str
) -> tuple[list[str], str | None]:
    """Default (modulo) DF election as `seen_from` runs it: (candidates, DF).

    Candidates are `seen_from` and the ES peers whose ES is up and whose RT4 reaches it
    (an isolated peer elects itself). RFC 7432 §8.5: order the IPs numerically,
    DF = candidates[EVI mod N].
    """
    leaves = [leaf for leaf in view.es_up_on(es)
              if leaf == seen_from or view.overlay_paths(seen_from, leaf) > 0]
    ips = sorted((view.fabric.nodes[leaf].system_ip for leaf in leaves), key=ipaddress.ip_address)
    return ips, (ips[evi % len(ips)] if ips else None)


class EsDf(_EsCheck):
    """`es.df`: DF candidates are the ES peers that are up and the DF is the modulo winner
    (EVI 111 over 10.0.0.1/10.0.0.2 -> 10.0.0.2). Not checked for an ES that is down here.

    Command: `show system network-instance ethernet-segments <es> detail`.
    """

    name = "es.df"

    def commands(self, view: FabricView, node: NodeIntent) -> list[str]:
        return [platform.show_ethernet_segment(es.name) for es in _segments(view, node)]

    def expected(self, view: FabricView, node: NodeIntent) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if node.mac_vrf is None:
            return out
        for es in _segments(view, node):
            if not view.lag_up(node.name, es):
                continue
            ips, df = df_election(view, es, node.mac_vrf.evi, node.name)
            out[f"{es.name} {node.mac_vrf.name} candidates"] = ips
            out[f"{es.name} {node.mac_vrf.name} DF"] = df
        return out

    def observe(self, view, node, obs: Observations, expected) -> dict[str, Any]:
        out: dict[str, Any] = {}
        assert node.mac_vrf is not None  # expected() is empty otherwise
        ni = node.mac_vrf.name
        for es in _segments(view, node):
            if f"{es.name} {ni} DF" not in expected:
                continue
            try:
                d = _es_detail(obs, es)
            except Unavailable:
                continue
            out[f"{es.name} {ni} candidates"] = sorted(d.peers(ni), key=ipaddress.ip_address)
            out[f"{es.name} {ni} DF"] = d.df(ni)
        return out
