"""A Linux CE as the topology's `exec` lines build it: ports, LACP bonds, MACs, IPs, VRFs.

The lines are read by `nornir_evpn.ce_commands`, as the intent reads them (so verify and
failover-test expect of a CE what the twin's CE has); this module adds what only the twin
needs: default MACs, IPv4 interfaces, and the lookups its traffic model makes.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field

from nornir_evpn.ce_commands import parse_ce_commands


@dataclass
class CeIf:
    name: str
    mac: str  # upper-case, SR Linux style
    bond: bool = False
    lacp: bool = False
    members: list[str] = field(default_factory=list)
    master: str | None = None  # bond or vrf it is enslaved to
    addresses: list[ipaddress.IPv4Interface] = field(default_factory=list)


@dataclass
class CeHost:
    name: str
    interfaces: dict[str, CeIf]

    def l3_interfaces(self) -> list[CeIf]:
        """Interfaces that carry an IP (a bond or a plain port), in config order."""
        return [i for i in self.interfaces.values() if i.addresses]

    def ports_of(self, iface: CeIf) -> list[str]:
        """Physical ports under an L3 interface: bond members, or the port itself."""
        return list(iface.members) if iface.bond else [iface.name]

    def source_for(self, dst: str) -> CeIf | None:
        """The interface whose subnet holds `dst` (first match, like a connected route)."""
        addr = ipaddress.IPv4Address(dst)
        for i in self.l3_interfaces():
            if any(addr in a.network for a in i.addresses):
                return i
        return None


def default_mac(node: str, ifname: str) -> str:
    """Deterministic locally administered MAC for a port without `set address`."""
    h = hashlib.sha1(f"{node}:{ifname}".encode()).digest()
    return "AA:C1:" + ":".join(f"{b:02X}" for b in h[:4])


def parse_ce(name: str, exec_lines: list[str]) -> CeHost:
    """Build a CE from its commands (`ce_commands`, the reader the intent shares); the twin
    adds default MACs and keeps the IPv4 addresses (its traffic model is IPv4)."""
    ifs: dict[str, CeIf] = {}
    for d in parse_ce_commands(exec_lines).values():
        addresses = []
        for ip in d.ips:
            try:
                addresses.append(ipaddress.IPv4Interface(ip))
            except ValueError:
                continue
        ifs[d.name] = CeIf(
            name=d.name, mac=(d.mac or default_mac(name, d.name)).upper(), bond=d.kind == "bond",
            lacp=d.lacp, members=list(d.members) if d.kind == "bond" else [], master=d.master,
            addresses=addresses,
        )
    return CeHost(name=name, interfaces=ifs)
