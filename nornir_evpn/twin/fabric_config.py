"""Read the facts the fabric model needs out of one SR Linux node's running config.

Only what is committed counts: the model never looks at intent, so a wrong config shows up
as wrong state, like on a device. Defaults follow SR Linux where the model relies on them
(ethernet and subinterface admin-state enable, LAG min-links 1, BGP neighbor enabled).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from nornir_evpn.twin.config_tree import ConfigTree

ZERO_ESI = "00:00:00:00:00:00:00:00:00:00"
EVPN, IPV4 = "evpn", "ipv4-unicast"  # the afi-safi names the model reads


@dataclass
class SubIf:
    name: str  # e.g. lag1.0
    admin: bool
    type: str  # bridged | routed
    addresses: list[ipaddress.IPv4Interface]
    # takes VLAN-tagged frames only (`vlan encap single-tagged ...`): a CE's untagged frames
    # are not bridged into it
    tagged: bool = False


@dataclass
class IfCfg:
    name: str
    admin: bool
    lag: str | None  # ethernet aggregate-id
    subifs: dict[str, SubIf]
    # LAG-only settings
    lag_type: str | None = None
    lacp_interval: str = "SLOW"
    lacp_mode: str = "ACTIVE"
    lacp_admin_key: str = "-"
    lacp_system_id: str = "-"
    lacp_system_priority: str = "-"
    min_links: int = 1


@dataclass
class MacVrf:
    name: str
    admin: bool
    interfaces: list[str]  # subinterface names
    vxlan: str | None  # vxlan1.1
    evi: int | None
    evpn_enabled: bool
    export_rt: str | None
    import_rt: str | None
    vni: int | None
    rd: str | None = None  # route-distinguisher rd, when set (else derived: `rd_of`)

    def rd_of(self, system_ip: str) -> str:
        """The RD its routes carry: the one set, else SR Linux's `<system-ip>:<evi>`."""
        return self.rd or f"{system_ip}:{self.evi}"


@dataclass
class BgpGroup:
    name: str
    peer_as: int | None
    local_as: int | None
    export_policy: bool
    rr_client: bool
    cluster_id: str | None
    # afi-safi name -> its admin-state is enable, where the group sets one
    afi: dict[str, bool] = field(default_factory=dict)


@dataclass
class BgpNeighbor:
    address: str
    group: str | None
    peer_as: int | None
    local_address: str | None
    admin: bool
    # afi-safi name -> its admin-state is enable, where the neighbor sets one
    afi: dict[str, bool] = field(default_factory=dict)


@dataclass
class EsCfg:
    name: str
    admin: bool
    esi: str
    mode: str
    interface: str | None


@dataclass
class NodeConfig:
    name: str
    system_ip: str | None
    interfaces: dict[str, IfCfg]
    macvrfs: dict[str, MacVrf]
    default_subifs: list[str]
    asn: int | None
    router_id: str | None
    groups: dict[str, BgpGroup]
    neighbors: dict[str, BgpNeighbor]
    ethernet_segments: dict[str, EsCfg]
    bgp_vpn: bool
    subif_ni: dict[str, str] = field(default_factory=dict)  # subif -> network-instance
    # vxlan-interface (vxlan1.1) -> (type, ingress VNI), as configured
    vxlan_interfaces: dict[str, tuple[str | None, int | None]] = field(default_factory=dict)
    # afi-safi name -> its admin-state is enable, where the BGP instance sets one
    afi: dict[str, bool] = field(default_factory=dict)

    def addresses(self) -> list[tuple[str, ipaddress.IPv4Interface]]:
        return [
            (s.name, a) for i in self.interfaces.values() for s in i.subifs.values() for a in s.addresses
        ]

    def group_of(self, nb: BgpNeighbor) -> BgpGroup | None:
        return self.groups.get(nb.group) if nb.group else None

    def peer_as(self, nb: BgpNeighbor) -> int | None:
        if nb.peer_as is not None:
            return nb.peer_as
        g = self.group_of(nb)
        return g.peer_as if g else None

    def local_as(self, nb: BgpNeighbor) -> int | None:
        g = self.group_of(nb)
        if g and g.local_as is not None:
            return g.local_as
        return self.asn

    def afi_enabled(self, nb: BgpNeighbor, afi: str, default: bool = False) -> bool:
        """Whether `nb`'s session carries `afi`: SR Linux takes the neighbor's afi-safi
        admin-state, else its group's, else the BGP instance's (srl_nokia-bgp.yang: none of
        the three has a default). `default` where none sets one."""
        if afi in nb.afi:
            return nb.afi[afi]
        g = self.group_of(nb)
        if g is not None and afi in g.afi:
            return g.afi[afi]
        return self.afi.get(afi, default)


def afi_states(tree: ConfigTree, path: tuple[str, ...]) -> dict[str, bool]:
    """The afi-safi admin-states set under `path` (a BGP instance, group or neighbor)."""
    out = {}
    for name in tree.keys((*path, "afi-safi")):
        v = tree.value((*path, "afi-safi", name, "admin-state"))
        if v is not None:
            out[name] = v == "enable"
    return out


def _int(v: str | None) -> int | None:
    try:
        return int(v) if v is not None else None
    except ValueError:
        return None


def _enabled(tree: ConfigTree, path: tuple[str, ...], default: bool = True) -> bool:
    v = tree.value((*path, "admin-state"))
    return default if v is None else v == "enable"


def read_node(name: str, tree: ConfigTree) -> NodeConfig:
    """Extract the model-relevant facts of one node's running config."""
    interfaces: dict[str, IfCfg] = {}
    for ifname in tree.keys(("interface",)):
        base = ("interface", ifname)
        subifs: dict[str, SubIf] = {}
        for idx in tree.keys((*base, "subinterface")):
            sp = (*base, "subinterface", idx)
            addrs = []
            for a in tree.keys((*sp, "ipv4", "address")):
                try:
                    addrs.append(ipaddress.IPv4Interface(a))
                except ValueError:
                    continue
            sname = f"{ifname}.{idx}"
            subifs[sname] = SubIf(
                name=sname,
                admin=_enabled(tree, sp),
                type=tree.value((*sp, "type")) or "routed",
                addresses=addrs,
                tagged=any(tree.exists((*sp, "vlan", "encap", kind))
                           for kind in ("single-tagged", "single-tagged-range", "double-tagged")),
            )
        cfg = IfCfg(
            name=ifname,
            admin=_enabled(tree, base),
            lag=tree.value((*base, "ethernet", "aggregate-id")),
            subifs=subifs,
        )
        if tree.exists((*base, "lag")):
            lp = (*base, "lag", "lacp")
            cfg.lag_type = tree.value((*base, "lag", "lag-type")) or "static"
            cfg.lacp_interval = tree.value((*lp, "interval")) or "SLOW"
            cfg.lacp_mode = tree.value((*lp, "lacp-mode")) or "ACTIVE"
            cfg.lacp_admin_key = tree.value((*lp, "admin-key")) or "-"
            cfg.lacp_system_id = (tree.value((*lp, "system-id-mac")) or "-").upper()
            cfg.lacp_system_priority = tree.value((*lp, "system-priority")) or "-"
            cfg.min_links = _int(tree.value((*base, "lag", "min-links"))) or 1
        interfaces[ifname] = cfg

    vxlan_interfaces: dict[str, tuple[str | None, int | None]] = {}
    for tif in tree.keys(("tunnel-interface",)):
        for idx in tree.keys(("tunnel-interface", tif, "vxlan-interface")):
            vp = ("tunnel-interface", tif, "vxlan-interface", idx)
            vxlan_interfaces[f"{tif}.{idx}"] = (tree.value((*vp, "type")), _int(tree.value((*vp, "ingress", "vni"))))

    macvrfs: dict[str, MacVrf] = {}
    default_subifs: list[str] = []
    subif_ni: dict[str, str] = {}
    for ni in tree.keys(("network-instance",)):
        np_ = ("network-instance", ni)
        ifs = tree.keys((*np_, "interface"))
        for s in ifs:
            subif_ni[s] = ni
        if ni == "default":
            default_subifs = ifs
        if tree.value((*np_, "type")) != "mac-vrf":
            continue
        ev = (*np_, "protocols", "bgp-evpn", "bgp-instance", "1")
        vpn = (*np_, "protocols", "bgp-vpn", "bgp-instance", "1")
        rt = (*vpn, "route-target")
        vxs = tree.keys((*np_, "vxlan-interface"))
        # the bgp-evpn instance is oper-down (no-vxlan-interface) without one in the mac-vrf
        vx = vxs[0] if vxs else None
        macvrfs[ni] = MacVrf(
            name=ni,
            admin=_enabled(tree, np_),
            interfaces=ifs,
            vxlan=vx,
            evi=_int(tree.value((*ev, "evi"))),
            evpn_enabled=tree.exists(ev) and _enabled(tree, ev) and vx is not None,
            export_rt=tree.value((*rt, "export-rt")),
            import_rt=tree.value((*rt, "import-rt")),
            vni=vxlan_interfaces.get(vx, (None, None))[1] if vx else None,
            rd=tree.value((*vpn, "route-distinguisher", "rd")),
        )

    bgp = ("network-instance", "default", "protocols", "bgp")
    groups: dict[str, BgpGroup] = {}
    for g in tree.keys((*bgp, "group")):
        gp = (*bgp, "group", g)
        groups[g] = BgpGroup(
            name=g,
            peer_as=_int(tree.value((*gp, "peer-as"))),
            local_as=_int(tree.value((*gp, "local-as", "as-number"))),
            export_policy=bool(tree.keys((*gp, "export-policy"))),
            rr_client=tree.value((*gp, "route-reflector", "client")) == "true",
            cluster_id=tree.value((*gp, "route-reflector", "cluster-id")),
            afi=afi_states(tree, gp),
        )
    neighbors: dict[str, BgpNeighbor] = {}
    for n in tree.keys((*bgp, "neighbor")):
        np_ = (*bgp, "neighbor", n)
        group = tree.value((*np_, "peer-group"))
        neighbors[n] = BgpNeighbor(
            address=n,
            group=group,
            peer_as=_int(tree.value((*np_, "peer-as"))),
            local_address=tree.value((*np_, "transport", "local-address")),
            # SR Linux: the BGP instance's and the peer-group's admin-state disable tear the
            # session down too (srl_nokia-bgp.yang)
            admin=_enabled(tree, np_) and _enabled(tree, bgp) and (
                group is None or _enabled(tree, (*bgp, "group", group))),
            afi=afi_states(tree, np_),
        )

    # the one ES bgp-instance (max-elements 1), 1 or 2
    es_root = ("system", "network-instance", "protocols", "evpn", "ethernet-segments", "bgp-instance")
    esp = (*es_root, (tree.keys(es_root) or ["1"])[0], "ethernet-segment")
    segments: dict[str, EsCfg] = {}
    for es in tree.keys(esp):
        p = (*esp, es)
        segments[es] = EsCfg(
            name=es,
            admin=_enabled(tree, p, default=False),
            esi=(tree.value((*p, "esi")) or ZERO_ESI).upper(),
            mode=tree.value((*p, "multi-homing-mode")) or "all-active",
            interface=tree.value((*p, "interface")),
        )

    system_ip = None
    sys0 = interfaces.get("system0")
    if sys0 and "system0.0" in sys0.subifs and sys0.subifs["system0.0"].addresses:
        system_ip = str(sys0.subifs["system0.0"].addresses[0].ip)
    return NodeConfig(
        name=name,
        system_ip=system_ip,
        interfaces=interfaces,
        macvrfs=macvrfs,
        default_subifs=default_subifs,
        asn=_int(tree.value((*bgp, "autonomous-system"))),
        router_id=tree.value((*bgp, "router-id")),
        groups=groups,
        neighbors=neighbors,
        ethernet_segments=segments,
        bgp_vpn=tree.exists(("system", "network-instance", "protocols", "bgp-vpn")),
        subif_ni=subif_ni,
        vxlan_interfaces=vxlan_interfaces,
        afi=afi_states(tree, bgp),
    )
