"""A Linux CE as the topology's `exec` lines build it: ports, LACP bonds, MACs, IPs, VRFs.

Only the iproute2 forms the evpn-mh labs use are understood (`ip link add X type bond
mode 802.3ad`, `ip link set [address M] [dev] X [master B]`, `ip link add dev V type vrf`,
`ip addr add A/L dev X`); anything else is ignored, as a CE's unrelated setup would be.
"""

from __future__ import annotations

import hashlib
import ipaddress
import shlex
from dataclasses import dataclass, field


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

    def owner_of(self, ip: str) -> CeIf | None:
        addr = ipaddress.IPv4Address(ip)
        for i in self.interfaces.values():
            if any(a.ip == addr for a in i.addresses):
                return i
        return None

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
    """Build a CE from its iproute2 commands."""
    ifs: dict[str, CeIf] = {}

    def get(ifname: str) -> CeIf:
        if ifname not in ifs:
            ifs[ifname] = CeIf(name=ifname, mac=default_mac(name, ifname))
        return ifs[ifname]

    for line in exec_lines:
        try:
            w = shlex.split(line)
        except ValueError:
            continue
        if len(w) < 3 or w[0] != "ip":
            continue
        if w[1] == "link" and w[2] == "add":
            rest = [x for x in w[3:] if x != "dev"]
            if not rest:
                continue
            iface = get(rest[0])
            if "bond" in rest:
                iface.bond = True
                iface.lacp = "802.3ad" in rest or "4" in rest[rest.index("bond") :]
        elif w[1] == "link" and w[2] == "set":
            rest = w[3:]
            dev = None
            if "dev" in rest:
                dev = rest[rest.index("dev") + 1]
            else:
                dev = next((x for x in rest if x not in ("up", "down", "address", "master")
                            and (rest.index(x) == 0 or rest[rest.index(x) - 1] not in ("address", "master"))),
                           None)
            if dev is None:
                continue
            iface = get(dev)
            if "address" in rest:
                iface.mac = rest[rest.index("address") + 1].upper()
            if "master" in rest:
                master = get(rest[rest.index("master") + 1])
                iface.master = master.name
                if master.bond and iface.name not in master.members:
                    master.members.append(iface.name)
        elif w[1] in ("addr", "address", "a") and w[2] == "add" and "dev" in w:
            try:
                addr = ipaddress.IPv4Interface(w[3])
            except ValueError:
                continue
            get(w[w.index("dev") + 1]).addresses.append(addr)
    return CeHost(name=name, interfaces=ifs)
