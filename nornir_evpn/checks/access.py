"""Single-homed access ports: the link to the CE is up and its subinterface is in the mac-vrf.

Without this, a down access link or a port taken out of the mac-vrf only shows as a CE MAC
not learnt, which reads like missing traffic.
"""

from __future__ import annotations

from typing import Any

from nornir_evpn import platform
from nornir_evpn.checks.base import Check, observe_bridged
from nornir_evpn.checks.model import FabricView, Observations
from nornir_evpn.intent import NodeIntent


class AccessUp(Check):
    """`access.up`: each single-homed access port is oper up (down while its link is shut
    or failed), its subinterface 0 up with it and in the mac-vrf.

    Command: `show interface <port>`.
    """

    name = "access.up"

    def applies(self, view: FabricView, node: NodeIntent) -> bool:
        return node.role == "leaf" and node.mac_vrf is not None and bool(node.access)

    def commands(self, view: FabricView, node: NodeIntent) -> list[str]:
        return [platform.show_interface(port.interface) for port in node.access]

    def expected(self, view: FabricView, node: NodeIntent) -> dict[str, Any]:
        assert node.mac_vrf is not None  # applies() holds
        out: dict[str, Any] = {}
        for port in node.access:
            out[port.interface] = "up" if view.port_up(node.name, port.interface) else "down"
            out[f"{port.interface}.0 network-instance"] = node.mac_vrf.name
        return out

    def observe(self, view, node, obs: Observations, expected) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for port in node.access:
            out.update(observe_bridged(obs, port.interface))
        return out
