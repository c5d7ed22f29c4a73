"""MAC table checks: multi-homed CE MACs via their ESI on remote leaves, single-homed CE
MACs learnt on their access port. Both need CE traffic: a missing MAC fails and says so.
"""

from __future__ import annotations

import re
from typing import Any

from nornir_evpn import platform
from nornir_evpn.checks.base import ABSENT, Check
from nornir_evpn.checks.bgp import sessions
from nornir_evpn.checks.model import FabricView, Observations, Unavailable
from nornir_evpn.intent import CeIntent, EthernetSegment, FabricIntent, NodeIntent
from nornir_evpn.parsers.mac_table import MacEntry, parse_mac_table

MAC_CHECKS = ("mac.esi_remote", "mac.local")


def ces_without_mac(fabric: FabricIntent) -> list[str]:
    """CEs wired to the fabric whose MAC the intent does not know: the MAC checks (and the
    LACP partner) cannot check them. The topology pins a MAC with `ip link set ... address`
    or an endpoint's `mac`. A multi-homed CE's is its bond's: its ports' own MACs are not it."""
    def unknown(ce: CeIntent) -> bool:
        if ce.ethernet_segment is not None and ce.ethernet_segment in fabric.ethernet_segments:
            return fabric.ethernet_segments[ce.ethernet_segment].ce_mac is None
        return not ce.macs

    return sorted(name for name, ce in fabric.ces.items() if ce.attachments and unknown(ce))


NOT_LEARNT = "absent (not learnt: no CE traffic yet, or the CE's link down?)"

# a mac table's Last Update cells (`2026-11-28T19:09:31.176Z`), the year left: an EVPN update
# anywhere in the fabric rewrites them on every remote entry, and nothing the checks judge is
# in them (the pattern starts at its `-`: one at a digit scans the table 10x slower)
_UPDATED_RE = re.compile(r"-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z")


def without_update_times(text: str) -> str:
    """A mac table without its Last Update times: what the MAC checks draw from it."""
    return _UPDATED_RE.sub("", text)


def described_macs(obs: Observations, node: NodeIntent, macs: tuple[str, ...],
                   via_esi: bool) -> dict[str, str | None]:
    """How `node`'s mac table describes each of `macs` (`_describe`; None: not in it).
    failover-test's polls keep it while the table is unchanged but for its Last Update times
    (`Observations.derived`): a table of every CE's MAC was parsed again each poll, as each
    EVPN update (the shut's, the restore's) re-times every entry of every leaf."""
    assert node.mac_vrf is not None
    command = platform.show_mac_table(node.mac_vrf.name)

    def compute() -> dict[str, str | None]:
        entries = obs.get(command, parse_mac_table).entries
        return {mac: None if (e := entries.get(mac)) is None else _describe(e, via_esi) for mac in macs}

    return obs.derived(command, ("mac.described", macs, via_esi), compute, part=without_update_times)


def local_mac_count(obs: Observations, node: NodeIntent) -> int:
    """How many MACs `node` learnt on its own ports (`MacTable.local`), kept as `described_macs`."""
    assert node.mac_vrf is not None
    command = platform.show_mac_table(node.mac_vrf.name)
    return obs.derived(command, "mac.local_count", lambda: len(obs.get(command, parse_mac_table).local()),
                       part=without_update_times)


def _describe(entry: MacEntry | None, via_esi: bool) -> str:
    """What the table says of a MAC, as the expectations spell it (`evpn esi:<ESI>`,
    `learnt ethernet-1/1.0`); an entry the device lists but did not program (`Active`
    false: a duplicate MAC, a MAC limit) is said so, and matches no expectation."""
    if entry is None:
        return NOT_LEARNT
    said = f"{entry.type} esi:{entry.esi}" if via_esi and entry.esi else f"{entry.type} {entry.destination}"
    if not entry.active:
        said += f" (not active: {entry.not_programmed})" if entry.not_programmed else " (not active)"
    return said


class _MacCheck(Check):
    def applies(self, view: FabricView, node: NodeIntent) -> bool:
        return node.role == "leaf" and node.mac_vrf is not None

    def commands(self, view: FabricView, node: NodeIntent) -> list[str]:
        assert node.mac_vrf is not None
        return [platform.show_mac_table(node.mac_vrf.name)]


def _no_route_in(view: FabricView, node: NodeIntent, obs: Observations, es: EthernetSegment) -> str | None:
    """Why `es`'s CE MAC cannot have arrived, when the device says so: every overlay session
    that would bring its RT2 is down (in a full mesh, those to the ES peers whose ES should
    be up: a peer whose LAG is down learns no CE MAC to advertise; the reflectors' with
    route reflectors). Then no CE traffic would teach it, and the hint to send some misleads."""
    peers = node.overlay.peers
    if node.overlay.mode != "route-reflector":
        members = {view.fabric.nodes[leaf].system_ip for leaf in view.es_up_on(es) if leaf in view.fabric.nodes}
        peers = [ip for ip in peers if ip in members]
    if platform.SHOW_BGP_NEIGHBORS not in obs.outputs:  # optional here: not a cause when absent
        return None
    try:
        found = sessions(obs)
    except Unavailable:
        return None
    if not peers or any((s := found.get(ip)) is not None and s.established for ip in peers):
        return None
    return f"absent (no RT2 can arrive: overlay to {', '.join(peers)} not established)"


class MacEsiRemote(_MacCheck):
    """`mac.esi_remote`: on a leaf outside an ES, the ES's CE MAC is an `evpn` entry against
    `esi:<ESI>` (aliasing over all ES peers) while any ES peer is up and reachable.

    Command: `show network-instance <mac-vrf> bridge-table mac-table all`.
    """

    name = "mac.esi_remote"

    def commands(self, view: FabricView, node: NodeIntent) -> list[str]:
        # the session table says when no RT2 can arrive at all (verify reads it for bgp.*)
        return [*super().commands(view, node), platform.SHOW_BGP_NEIGHBORS]

    def expected(self, view: FabricView, node: NodeIntent) -> dict[str, Any]:
        # once per view (every ES against every leaf's paths: failover-test asks each poll)
        return dict(view.memoised(("mac.esi_remote", node.name), lambda: self._expected(view, node)))

    @staticmethod
    def _expected(view: FabricView, node: NodeIntent) -> dict[str, Any]:
        assert node.mac_vrf is not None
        out: dict[str, Any] = {}
        for es in view.fabric.ethernet_segments.values():
            if node.name in es.members or not es.ce_mac:
                continue
            alive = any(view.overlay_paths(node.name, leaf) for leaf in view.es_up_on(es))
            out[f"{node.mac_vrf.name} {es.ce_mac.lower()}"] = f"evpn esi:{es.esi.lower()}" if alive else ABSENT
        return out

    def observe(self, view, node, obs: Observations, expected) -> dict[str, Any]:
        assert node.mac_vrf is not None
        macs = tuple(key.rsplit(" ", 1)[1] for key in expected)
        said = described_macs(obs, node, macs, True)
        by_mac = {es.ce_mac.lower(): es for es in view.fabric.ethernet_segments.values() if es.ce_mac}
        out: dict[str, Any] = {}
        for (key, want), mac in zip(expected.items(), macs, strict=True):
            entry = said[mac]
            if entry is None and want == ABSENT:
                out[key] = ABSENT
            elif entry is None and (why := _no_route_in(view, node, obs, by_mac[mac])) is not None:
                out[key] = why
            else:
                out[key] = NOT_LEARNT if entry is None else entry
        return out


class MacLocal(_MacCheck):
    """`mac.local`: each single-homed CE MAC is `learnt` on `<access port>.0` of its leaf.

    Command: `show network-instance <mac-vrf> bridge-table mac-table all`.
    """

    name = "mac.local"

    def expected(self, view: FabricView, node: NodeIntent) -> dict[str, Any]:
        assert node.mac_vrf is not None
        return {
            f"{node.mac_vrf.name} {a.ce_mac.lower()}": f"learnt {a.interface}.0"
            for a in node.access if a.ce_mac and view.port_up(node.name, a.interface)
        }

    def observe(self, view, node, obs: Observations, expected) -> dict[str, Any]:
        assert node.mac_vrf is not None
        macs = tuple(key.rsplit(" ", 1)[1] for key in expected)
        said = described_macs(obs, node, macs, False)
        return {key: NOT_LEARNT if said[mac] is None else said[mac] for key, mac in zip(expected, macs, strict=True)}
