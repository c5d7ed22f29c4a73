"""MAC table checks: multi-homed CE MACs via their ESI on remote leaves, single-homed CE
MACs learnt on their access port. Both need CE traffic: a missing MAC fails and says so.
"""

from __future__ import annotations

from typing import Any

from nornir_evpn import platform
from nornir_evpn.checks.base import ABSENT, Check
from nornir_evpn.checks.model import FabricView, Observations
from nornir_evpn.intent import FabricIntent, NodeIntent
from nornir_evpn.parsers.mac_table import MacEntry, parse_mac_table

MAC_CHECKS = ("mac.esi_remote", "mac.local")


def ces_without_mac(fabric: FabricIntent) -> list[str]:
    """CEs wired to the fabric whose MAC the intent does not know: the MAC checks (and the
    LACP partner) cannot check them. The topology pins a MAC with `ip link set ... address`."""
    return sorted(name for name, ce in fabric.ces.items() if ce.attachments and not ce.macs)


NOT_LEARNT = "absent (not learnt: no CE traffic yet, or the CE's link down?)"


def _describe(entry: MacEntry | None, via_esi: bool) -> str:
    if entry is None:
        return NOT_LEARNT
    if via_esi and entry.esi:
        return f"{entry.type} esi:{entry.esi}"
    return f"{entry.type} {entry.destination}"


class _MacCheck(Check):
    def applies(self, view: FabricView, node: NodeIntent) -> bool:
        return node.role == "leaf" and node.mac_vrf is not None

    def commands(self, view: FabricView, node: NodeIntent) -> list[str]:
        assert node.mac_vrf is not None
        return [platform.show_mac_table(node.mac_vrf.name)]


class MacEsiRemote(_MacCheck):
    """`mac.esi_remote`: on a leaf outside an ES, the ES's CE MAC is an `evpn` entry against
    `esi:<ESI>` (aliasing over all ES peers) while any ES peer is up and reachable.

    Command: `show network-instance <mac-vrf> bridge-table mac-table all`.
    """

    name = "mac.esi_remote"

    def expected(self, view: FabricView, node: NodeIntent) -> dict[str, Any]:
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
        table = obs.get(platform.show_mac_table(node.mac_vrf.name), parse_mac_table)
        out: dict[str, Any] = {}
        for key, want in expected.items():
            mac = key.rsplit(" ", 1)[1]
            entry = table.entries.get(mac)
            out[key] = ABSENT if entry is None and want == ABSENT else _describe(entry, True)
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
        table = obs.get(platform.show_mac_table(node.mac_vrf.name), parse_mac_table)
        return {key: _describe(table.entries.get(key.rsplit(" ", 1)[1]), False) for key in expected}
