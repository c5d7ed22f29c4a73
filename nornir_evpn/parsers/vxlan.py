"""`show tunnel-interface vxlan-interface brief`: each vxlan-interface's type, ingress VNI
and egress source IP (learn-srlinux L2 EVPN tutorial, evpn.md)."""

from __future__ import annotations

from dataclasses import dataclass

from nornir_evpn.errors import ParseError
from nornir_evpn.parsers.tables import clean_lines, iter_tables


@dataclass
class VxlanInterface:
    name: str  # vxlan1.1
    tunnel_interface: str
    type: str  # bridged | routed
    ingress_vni: str
    source_ip: str  # with prefix length, e.g. 10.0.0.2/32


def parse_vxlan_brief(text: str) -> dict[str, VxlanInterface]:
    """{vxlan-interface name: VxlanInterface}; empty when no vxlan-interface is configured."""
    lines = clean_lines(text)
    if not any(ln.startswith("Show report for vxlan-tunnels") for ln in lines):
        raise ParseError("show tunnel-interface vxlan-interface brief: no 'Show report for vxlan-tunnels' header")
    out: dict[str, VxlanInterface] = {}
    for table in iter_tables(lines):
        table.require("Tunnel Interface", "VxLAN Interface", "Type", "Ingress VNI")
        for r in table.records:
            out[r["vxlaninterface"]] = VxlanInterface(
                name=r["vxlaninterface"], tunnel_interface=r["tunnelinterface"], type=r["type"],
                ingress_vni=r["ingressvni"], source_ip=r.get("egresssourceip", ""),
            )
    return out
