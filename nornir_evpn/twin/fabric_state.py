"""One consistent control-plane state computed from a set of inputs (configs, faults, MACs).

A `Snapshot` is pure: the same `Inputs` always give the same state. Every piece is computed
lazily and cached, so a 128-leaf full mesh only pays for what a reader asks for.
The layers: links → interfaces/LAG/LACP → BGP sessions (underlay, then overlay over the
underlay's reachability) → ethernet segments → EVPN routes → DF election and MAC tables.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import NamedTuple

from nornir_evpn.twin.fabric_ce import CeHost
from nornir_evpn.twin.fabric_config import EVPN, IPV4, ZERO_ESI, BgpNeighbor, NodeConfig
from nornir_evpn.validation import es_import_rt as import_rt_of


@lru_cache(maxsize=8192)  # the fabric's addresses: bounded, and sorted by at every snapshot
def ip_key(ip: str) -> int:
    """Sort key for dotted IPv4 addresses (raises ValueError like `IPv4Address`): an int,
    cached, as a 128-leaf route table sorts its routes by originator ~100k times and
    `IPv4Address` compares in Python."""
    return int(ipaddress.IPv4Address(ip))


Port = tuple[str, str]  # (node, interface)
PER_ES_TAG = 4294967295


@dataclass(frozen=True)
class Learnt:
    """A MAC learnt on a leaf's bridged subinterface (from CE traffic)."""

    subif: str
    wall_time: float


@dataclass(frozen=True)
class Inputs:
    configs: Mapping[str, NodeConfig]
    down_links: frozenset[frozenset[Port]]
    # (leaf, mac-vrf, MAC) -> where it was learnt
    learnt: Mapping[tuple[str, str, str], Learnt]


class Route(NamedTuple):
    """An EVPN route; `key` identifies it within the originator.

    A NamedTuple, not a frozen dataclass: a 128-leaf snapshot hashes routes half a million
    times (every RIB dedupes them), and a tuple hashes in C, not through a Python __hash__."""

    type: int
    rd: str
    originator: str
    esi: str = ZERO_ESI
    tag: int = 0
    mac: str = ""
    vni: int | None = None
    rts: frozenset[str] = frozenset()

    @property
    def next_hop(self) -> str:
        return self.originator


@dataclass
class Session:
    node: str
    address: str  # neighbor address as configured
    group: str | None
    peer_as: int | None
    local_as: int | None
    established: bool
    peer: str | None  # peer node name
    overlay: bool  # this end enables the evpn afi-safi (the neighbor's, else its group's, ...)
    peer_evpn: bool = False  # the far end enables it too: EVPN routes cross the session
    admin: bool = True  # admin-state (the neighbor's, its group's, BGP's): disabled is idle
    ipv4: bool = True  # this end enables the ipv4-unicast afi-safi
    peer_ipv4: bool = False  # the far end enables it too

    @property
    def state(self) -> str:
        """The session-state SR Linux shows: a disabled session returns to idle."""
        return "established" if self.established else ("active" if self.admin else "idle")


@dataclass
class EsState:
    name: str
    esi: str
    admin: bool
    oper_up: bool
    interface: str | None
    mode: str
    peers: list[str] = field(default_factory=list)  # sorted ES peer IPs (incl. self if up)
    df: dict[str, str | None] = field(default_factory=dict)  # mac-vrf -> DF IP


@dataclass
class MacEntry:
    mac: str
    destination: str  # subif name, or "vxlan-interface:vxlan1.1 esi:..." / "... vtep:ip vni:n"
    kind: str  # learnt | evpn
    esi: str | None = None
    vteps: tuple[str, ...] = ()  # remote leaves the MAC is reachable through (aliasing)
    wall_time: float = 0.0


def nlri(r: Route) -> tuple[object, ...]:
    """BGP's key of an EVPN route: its RD and the fields RFC 7432 7.1-7.4 key each route type
    on (RT1 ESI and tag; RT2 tag and MAC; RT3 tag and originator IP; RT4 ESI and originator
    IP). Two leaves' RT1 of one ES under one RD (an RD shared by hand) are one route with two
    paths, of which BGP uses one: a route reflector reflects that one alone (RFC 4456)."""
    if r.type == 1:
        return (1, r.rd, r.esi, r.tag)
    if r.type == 2:
        return (2, r.rd, r.tag, r.mac)
    return (r.type, r.rd, r.esi if r.type == 4 else r.tag, r.originator)


def best_first(routes: list[Route], bgp_id: Callable[[str], str] = str) -> list[Route]:
    """The paths of one route, the one BGP selects first: alike in every attribute the twin
    models, they are told apart by the lowest BGP Identifier of their originator (RFC 4271
    9.1.2.2 f, with RFC 4456 9's ORIGINATOR_ID: its router-id, `bgp_id` of its system IP, not
    that IP), then the lowest originator, in arrival order otherwise."""
    return sorted(routes, key=lambda r: path_rank(r, bgp_id))


def path_rank(r: Route, bgp_id: Callable[[str], str] = str) -> tuple[int, int]:
    """Where a path of a route stands in BGP's selection (`best_first`): lower is preferred."""
    return ip_key(bgp_id(r.originator)), ip_key(r.originator)


def es_import_rt(esi: str) -> str:
    """ES-import route target of an RT4 (RFC 7432: ESI octets 2-7; see validation)."""
    return "es-import:" + import_rt_of(esi)


class Snapshot:
    """The whole fabric's state for one set of inputs."""

    def __init__(self, inputs: Inputs, links: Mapping[Port, Port], ces: Mapping[str, CeHost]) -> None:
        self.inputs = inputs
        self.cfg = inputs.configs
        self.links = links
        self.ces = ces
        self._rib: dict[str, list[tuple[Route, str]]] = {}
        self._es: dict[str, dict[str, EsState]] = {}
        self._macs: dict[tuple[str, str], dict[str, MacEntry]] = {}
        self._orig: dict[str, list[Route]] = {}
        # (node, neighbor address) -> _pair(); every `show` of sessions, routes or ES asks
        # again, and on a 128-leaf fabric resolving addresses dominated the twin's CPU
        self._pairs: dict[tuple[str, str], tuple[str, BgpNeighbor, str, str] | None] = {}
        # sessions and EVPN peers per node: a route reflector's are read again for each of
        # its clients' RIBs (128 x 128 sessions per snapshot without this)
        self._sessions: dict[tuple[str, str], Session] = {}
        self._peers: dict[str, list[tuple[str, str]]] = {}
        self._adv: dict[str, tuple[int, Counter[str]]] = {}
        self._imet: dict[str, tuple[list[tuple[str, int | None]], dict[str, set[int | None]]]] = {}
        self._reflected: dict[str, list[Route]] = {}
        self._bgp_ids: dict[str, str] | None = None

    # -- layer 1/2 -------------------------------------------------------------------------
    def port_admin(self, port: Port) -> bool:
        node, ifname = port
        cfg = self.cfg.get(node)
        if cfg is None:  # CE ports are always up
            return True
        ic = cfg.interfaces.get(ifname)
        return True if ic is None else ic.admin

    def link_up(self, port: Port) -> bool:
        """Physical link state: both ends admin enabled and the cable is in."""
        peer = self.links.get(port)
        if peer is None:
            return False
        if frozenset((port, peer)) in self.inputs.down_links:
            return False
        return self.port_admin(port) and self.port_admin(peer)

    def _lacp_partner(self, port: Port) -> tuple[str, int] | None:
        """(partner system MAC, partner port number) when the far end speaks LACP."""
        peer = self.links.get(port)
        if peer is None:
            return None
        ce = self.ces.get(peer[0])
        if ce is not None:
            pif = ce.interfaces.get(peer[1])
            if pif is None or pif.master is None:
                return None
            bond = ce.interfaces[pif.master]
            if not (bond.bond and bond.lacp):
                return None
            return bond.mac, bond.members.index(pif.name) + 1
        pcfg = self.cfg.get(peer[0])
        pic = pcfg.interfaces.get(peer[1]) if pcfg else None
        if pic is None or pic.lag is None:
            return None
        plag = pcfg.interfaces.get(pic.lag) if pcfg else None
        if plag is None or plag.lag_type != "lacp":
            return None
        return plag.lacp_system_id, int(peer[1].rsplit("/", 1)[-1])

    def lag_members(self, node: str, lag: str) -> list[str]:
        cfg = self.cfg[node]
        return [i for i, c in cfg.interfaces.items() if c.lag == lag]

    def member_up(self, node: str, member: str) -> bool:
        cfg = self.cfg[node]
        ic = cfg.interfaces.get(member)
        if ic is None or ic.lag is None or not self.link_up((node, member)):
            return False
        lag = cfg.interfaces.get(ic.lag)
        if lag is None or not lag.admin:
            return False
        if lag.lag_type == "lacp":
            return self._lacp_partner((node, member)) is not None
        return True

    def iface_up(self, node: str, ifname: str) -> bool:
        cfg = self.cfg.get(node)
        if cfg is None:
            return True
        ic = cfg.interfaces.get(ifname)
        if ic is None or not ic.admin:
            return False
        if ifname.startswith("lag"):
            up = sum(1 for m in self.lag_members(node, ifname) if self.member_up(node, m))
            return up >= ic.min_links
        if ifname.startswith("ethernet-"):
            return self.link_up((node, ifname))
        return True  # system0, mgmt0: no cable

    def subif_up(self, node: str, subif: str) -> bool:
        ifname = subif.rsplit(".", 1)[0]
        ic = self.cfg[node].interfaces.get(ifname)
        if ic is None or subif not in ic.subifs:
            return False
        return ic.subifs[subif].admin and self.iface_up(node, ifname)

    def lacp_partner(self, node: str, member: str) -> tuple[str, int] | None:
        return self._lacp_partner((node, member)) if self.link_up((node, member)) else None

    # -- BGP -------------------------------------------------------------------------------
    @cached_property
    def ip_owner(self) -> dict[str, tuple[str, str, ipaddress.IPv4Interface]]:
        out: dict[str, tuple[str, str, ipaddress.IPv4Interface]] = {}
        for node, cfg in self.cfg.items():
            for subif, addr in cfg.addresses():
                out[str(addr.ip)] = (node, subif, addr)
        return out

    def _local_for(self, cfg: NodeConfig, nb: BgpNeighbor) -> tuple[str, str] | None:
        """(local address, local subif) a session to `nb` is sourced from."""
        if nb.local_address:
            own = self.ip_owner.get(nb.local_address)
            return (nb.local_address, own[1]) if own and own[0] == cfg.name else None
        try:
            dst = ipaddress.IPv4Address(nb.address)
        except ValueError:
            return None
        for subif, addr in cfg.addresses():
            if dst in addr.network and addr.network.prefixlen < 32:
                return str(addr.ip), subif
        return None

    def _pair(self, node: str, nb: BgpNeighbor) -> tuple[str, BgpNeighbor, str, str] | None:
        """Both ends of a session agree (addresses, AS numbers): (peer, peer_nb, local_ip, subif)."""
        key = (node, nb.address)
        if key not in self._pairs:
            self._pairs[key] = self._pair_uncached(node, nb)
        return self._pairs[key]

    def _pair_uncached(self, node: str, nb: BgpNeighbor) -> tuple[str, BgpNeighbor, str, str] | None:
        cfg = self.cfg[node]
        local = self._local_for(cfg, nb)
        owner = self.ip_owner.get(nb.address)
        if local is None or owner is None or owner[0] == node:
            return None
        peer = owner[0]
        pcfg = self.cfg[peer]
        pnb = pcfg.neighbors.get(local[0])
        if pnb is None or not nb.admin or not pnb.admin:
            return None
        plocal = self._local_for(pcfg, pnb)
        if plocal is None or plocal[0] != nb.address:
            return None
        if cfg.peer_as(nb) != pcfg.local_as(pnb) or pcfg.peer_as(pnb) != cfg.local_as(nb):
            return None
        return peer, pnb, local[0], local[1]

    @cached_property
    def _underlay(self) -> tuple[dict[tuple[str, str], bool], dict[str, str]]:
        """Established directly-connected sessions and the reachability components."""
        est: dict[tuple[str, str], bool] = {}
        parent: dict[str, str] = {n: n for n in self.cfg}

        def find(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for node, cfg in self.cfg.items():
            for addr, nb in cfg.neighbors.items():
                if nb.local_address:
                    continue
                pair = self._pair(node, nb)
                ok = False
                if pair is not None:
                    peer, pnb, _lip, subif = pair
                    psubif = self.ip_owner[addr][1]
                    ifname, pifname = subif.rsplit(".", 1)[0], psubif.rsplit(".", 1)[0]
                    ok = (
                        self.links.get((node, ifname)) == (peer, pifname)
                        and self.subif_up(node, subif)
                        and self.subif_up(peer, psubif)
                    )
                    g = cfg.group_of(nb)
                    pcfg = self.cfg[peer]
                    # routes cross only where both ends enable ipv4-unicast (an afi-safi
                    # admin-state disable on the neighbor or its group stops them; where
                    # nothing sets it, the twin takes it as enabled, as it always did)
                    if (ok and g is not None and g.export_policy
                            and cfg.afi_enabled(nb, IPV4, default=True)
                            and pcfg.afi_enabled(pnb, IPV4, default=True)):
                        pg = pcfg.group_of(pnb)
                        if pg is not None and pg.export_policy:
                            parent[find(node)] = find(peer)
                est[(node, addr)] = ok
        comp = {n: find(n) for n in self.cfg}
        return est, comp

    def session(self, node: str, address: str) -> Session:
        key = (node, address)
        if key not in self._sessions:
            self._sessions[key] = self._session(node, address)
        return self._sessions[key]

    def _session(self, node: str, address: str) -> Session:
        cfg = self.cfg[node]
        nb = cfg.neighbors[address]
        # the neighbor's afi-safi evpn admin-state overrides its group's (srl_nokia-bgp.yang)
        overlay = cfg.afi_enabled(nb, EVPN)
        pair = self._pair(node, nb)
        est_map, comp = self._underlay
        if nb.local_address is None:
            established = est_map.get((node, address), False)
        else:
            established = pair is not None and comp[node] == comp[pair[0]]
        peer_evpn = peer_ipv4 = False
        if pair is not None:
            pcfg = self.cfg[pair[0]]
            peer_evpn = pcfg.afi_enabled(pair[1], EVPN)
            peer_ipv4 = pcfg.afi_enabled(pair[1], IPV4, default=True)
        return Session(
            node=node,
            address=address,
            group=nb.group,
            peer_as=cfg.peer_as(nb),
            local_as=cfg.local_as(nb),
            established=established,
            peer=pair[0] if pair else None,
            overlay=overlay,
            peer_evpn=peer_evpn,
            admin=nb.admin,
            ipv4=cfg.afi_enabled(nb, IPV4, default=True),
            peer_ipv4=peer_ipv4,
        )

    def sessions(self, node: str) -> list[Session]:
        return [self.session(node, a) for a in self.cfg[node].neighbors]

    def evpn_peers(self, node: str) -> list[tuple[str, str]]:
        """(peer node, neighbor address) of established EVPN sessions."""
        if node not in self._peers:
            self._peers[node] = [
                (s.peer, s.address)
                for s in self.sessions(node)
                if s.established and s.overlay and s.peer_evpn and s.peer is not None
            ]
        return self._peers[node]

    # -- ethernet segments and EVPN ----------------------------------------------------------
    def es_local(self, node: str) -> dict[str, EsState]:
        """ES oper state from local facts only (no DF yet)."""
        cfg = self.cfg[node]
        out: dict[str, EsState] = {}
        for name, es in cfg.ethernet_segments.items():
            up = es.admin and es.interface is not None and self.iface_up(node, es.interface)
            out[name] = EsState(name, es.esi, es.admin, up, es.interface, es.mode)
        return out

    def _macvrfs_on(self, node: str, ifname: str) -> list[str]:
        cfg = self.cfg[node]
        return [m.name for m in cfg.macvrfs.values() if any(s.rsplit(".", 1)[0] == ifname for s in m.interfaces)]

    def originated(self, node: str) -> list[Route]:
        if node not in self._orig:
            self._orig[node] = self._originate(node)
        return self._orig[node]

    def _originate(self, node: str) -> list[Route]:
        cfg = self.cfg.get(node)
        if cfg is None or cfg.system_ip is None:
            return []
        sip = cfg.system_ip
        out: list[Route] = []
        evpn_vrfs = [m for m in cfg.macvrfs.values() if m.admin and m.evpn_enabled and m.evi is not None]
        for es in self.es_local(node).values():
            if not es.oper_up or es.interface is None or es.esi == ZERO_ESI:
                continue
            vrfs = [m for m in evpn_vrfs if m.name in self._macvrfs_on(node, es.interface)]
            if vrfs:
                # per EVI on the ES: an A-D per EVI route and an A-D per ES route, each with that
                # EVI's RD and RT (RFC 7432 8.2.1.1 lets the per-ES set be split; SR Linux's
                # YANG says its per-ES routes carry the instance's RD and RTs)
                for m in vrfs:
                    rt = frozenset({m.export_rt} if m.export_rt else ())
                    out.append(Route(1, m.rd_of(sip), sip, es.esi, 0, vni=m.vni, rts=rt))
                    out.append(Route(1, m.rd_of(sip), sip, es.esi, PER_ES_TAG, rts=rt))
            out.append(Route(4, f"{sip}:0", sip, es.esi, rts=frozenset({es_import_rt(es.esi)})))
        es_by_if = {e.interface: e for e in self.es_local(node).values() if e.oper_up}
        for m in evpn_vrfs:
            rt = frozenset({m.export_rt} if m.export_rt else ())
            rd = m.rd_of(sip)
            out.append(Route(3, rd, sip, vni=m.vni, rts=rt))
            for mac, entry in sorted(self.local_macs(node, m.name).items()):
                es = es_by_if.get(entry.destination.rsplit(".", 1)[0])
                out.append(Route(2, rd, sip, es.esi if es else ZERO_ESI, 0, mac, m.vni, rt))
        return out

    def _importer(self, node: str) -> Callable[[Route], bool]:
        """`node`'s import policy as a test on a route (its ESIs and import RTs read once)."""
        cfg = self.cfg[node]
        # RT4: the ES-import RTs of its own ESes, which other ESes' may share (RFC 7432 7.6)
        es_rts = {es_import_rt(e.esi) for e in cfg.ethernet_segments.values()}
        rr = self._is_rr(node)  # a route reflector keeps everything it reflects, RT4 too
        imports = {m.import_rt for m in cfg.macvrfs.values() if m.import_rt}
        return lambda r: rr or (not es_rts.isdisjoint(r.rts) if r.type == 4 else not imports.isdisjoint(r.rts))

    def _is_rr(self, node: str) -> bool:
        return any(g.rr_client for g in self.cfg[node].groups.values())

    def rib(self, node: str) -> list[tuple[Route, str]]:
        """Received EVPN paths as (route, neighbor address), in arrival order per peer.

        One entry per path: with two route reflectors a leaf holds each route twice (one
        path per RR), as SR Linux lists it; consumers that want routes dedupe.
        """
        if node in self._rib:
            return self._rib[node]
        own = self.cfg[node].system_ip
        accepts = self._importer(node)
        seen: set[tuple[Route, str]] = set()
        out: list[tuple[Route, str]] = []
        for peer, addr in self.evpn_peers(node):
            routes = list(self.originated(peer))
            if self._is_rr(peer):  # reflect what the RR learnt from its other clients
                routes.extend(self.reflected(peer))
            for r in routes:
                if r.originator != own and (r, addr) not in seen and accepts(r):
                    seen.add((r, addr))
                    out.append((r, addr))
        self._rib[node] = out
        return out

    def bgp_id(self, system_ip: str) -> str:
        """The BGP Identifier (router-id) of the node whose system IP is `system_ip`, what BGP
        tells two paths of one route apart by (the IP itself where no router-id is set)."""
        if self._bgp_ids is None:
            self._bgp_ids = {c.system_ip: c.router_id or c.system_ip for c in self.cfg.values() if c.system_ip}
        return self._bgp_ids.get(system_ip, system_ip)

    def reflected(self, rr: str) -> list[Route]:
        """What route reflector `rr` reflects to its clients: of each route its clients send,
        the path it selects (`best_first`), in arrival order. A client drops the ones it
        originated itself (ORIGINATOR_ID)."""
        if rr not in self._reflected:
            best: dict[tuple[object, ...], Route] = {}
            for p2, _a in self.evpn_peers(rr):
                for r in self.originated(p2):
                    key = nlri(r)
                    if key not in best or self._preferred(r, best[key]):
                        best[key] = r
            self._reflected[rr] = list(best.values())
        return self._reflected[rr]

    def _preferred(self, r: Route, other: Route) -> bool:
        """`r` is selected over `other`, another path of its route (`best_first`)."""
        return path_rank(r, self.bgp_id) < path_rank(other, self.bgp_id)

    def imet(self, node: str) -> tuple[list[tuple[str, int | None]], dict[str, set[int | None]]]:
        """`node`'s IMET (RT3) paths as (originator, VNI) in RIB order, and per VTEP the
        VNIs of its IMET routes: what every CE frame bridged over the fabric looks at (a
        scan of the whole RIB per frame made a ping cost O(routes))."""
        if node not in self._imet:
            paths = [(r.originator, r.vni) for r, _a in self.rib(node) if r.type == 3]
            vnis: dict[str, set[int | None]] = {}
            for originator, vni in paths:
                vnis.setdefault(originator, set()).add(vni)
            self._imet[node] = paths, vnis
        return self._imet[node]

    def advertised(self, node: str, address: str) -> list[Route]:
        """What `node` sends to neighbor `address` (its own routes; RRs also reflect)."""
        s = self.session(node, address)
        if not (s.established and s.overlay and s.peer_evpn) or s.peer is None:
            return []
        routes = list(self.originated(node))
        if self._is_rr(node):  # its best path of each route (an RR holding two sends one)
            routes.extend(r for r in self.reflected(node) if r.originator != self.cfg[s.peer].system_ip)
        return list(dict.fromkeys(routes))

    def advertised_count(self, node: str, address: str) -> int:
        """`len(self.advertised(node, address))` without building the list: the neighbor
        summary of a route reflector with 128 clients asked for it once per client."""
        s = self.session(node, address)
        if not (s.established and s.overlay and s.peer_evpn) or s.peer is None:
            return 0
        own, reflected = self._advertisable(node)
        if not self._is_rr(node):
            return own
        return own + sum(reflected.values()) - reflected.get(self.cfg[s.peer].system_ip or "", 0)

    def _advertisable(self, node: str) -> tuple[int, Counter[str]]:
        """(distinct routes `node` originates, distinct received routes it does not
        originate counted per originator)."""
        if node not in self._adv:
            own = dict.fromkeys(self.originated(node))
            received = dict.fromkeys(self.reflected(node) if self._is_rr(node) else ())
            self._adv[node] = len(own), Counter(r.originator for r in received if r not in own)
        return self._adv[node]

    def ethernet_segments(self, node: str) -> dict[str, EsState]:
        if node in self._es:
            return self._es[node]
        cfg = self.cfg[node]
        out = self.es_local(node)
        rib = self.rib(node)
        for es in out.values():
            peers = {r.originator for r, _a in rib if r.type == 4 and r.esi == es.esi}
            if es.oper_up and cfg.system_ip:
                peers.add(cfg.system_ip)
            es.peers = sorted(peers, key=ip_key)
            for m in (self._macvrfs_on(node, es.interface) if es.interface else []):
                evi = cfg.macvrfs[m].evi
                es.df[m] = es.peers[evi % len(es.peers)] if es.peers and evi is not None else None
        self._es[node] = out
        return out

    # -- MAC tables ----------------------------------------------------------------------------
    def holds_learnt(self, node: str, macvrf: str, subif: str) -> bool:
        """A MAC learnt on `subif` of `node`'s `macvrf` can stay: the subinterface is still
        in the mac-vrf and up. One that went down (its port, LAG or itself) or left the
        mac-vrf takes its MACs with it (`Fabric` flushes them for good)."""
        cfg = self.cfg.get(node)
        mv = cfg.macvrfs.get(macvrf) if cfg is not None else None
        return mv is not None and subif in mv.interfaces and self.subif_up(node, subif)

    def local_macs(self, node: str, macvrf: str) -> dict[str, MacEntry]:
        out: dict[str, MacEntry] = {}
        for (n, m, mac), where in self.inputs.learnt.items():
            if n == node and m == macvrf and self.holds_learnt(node, macvrf, where.subif):
                out[mac] = MacEntry(mac, where.subif, "learnt", wall_time=where.wall_time)
        return out

    def mac_table(self, node: str, macvrf: str) -> dict[str, MacEntry]:
        key = (node, macvrf)
        if key in self._macs:
            return self._macs[key]
        cfg = self.cfg[node]
        mv = cfg.macvrfs.get(macvrf)
        table = self.local_macs(node, macvrf)
        if mv is not None and mv.evpn_enabled and mv.import_rt:
            rib = [r for r, _a in self.rib(node) if mv.import_rt in r.rts]
            aliases: dict[str, set[str]] = {}
            used: dict[tuple[object, ...], Route] = {}  # per A-D route, the path BGP uses
            for r in best_first([r for r in rib if r.type == 1 and r.tag == 0], self.bgp_id):
                used.setdefault(nlri(r), r)
            for r in used.values():
                aliases.setdefault(r.esi, set()).add(r.originator)
            local_es = {
                e.esi: e for e in self.es_local(node).values() if e.oper_up and e.interface is not None
            }
            mac_routes = [r for r in rib if r.type == 2]
            selected: dict[tuple[object, ...], Route] = {}  # a MAC route's other paths (a shared RD) are not used
            for r in best_first(mac_routes, self.bgp_id):
                selected.setdefault(nlri(r), r)
            seen: set[tuple[object, ...]] = set()
            for r in sorted(mac_routes, key=lambda r: ip_key(r.originator)):
                if (key := nlri(r)) in seen or selected[key] != r:
                    continue
                seen.add(key)
                if r.mac in table:
                    if table[r.mac].kind == "evpn" and r.esi != ZERO_ESI and r.esi == table[r.mac].esi:
                        table[r.mac].vteps = tuple(sorted({*table[r.mac].vteps, r.originator}))
                    continue
                vx = mv.vxlan or "vxlan1.1"
                if r.esi != ZERO_ESI and r.esi in local_es:
                    # a MAC behind our own ES (learnt by the ES peer) is reached locally
                    subifs = [s for s in mv.interfaces if s.rsplit(".", 1)[0] == local_es[r.esi].interface]
                    dest = subifs[0] if subifs else f"vxlan-interface:{vx} esi:{r.esi}"
                    table[r.mac] = MacEntry(r.mac, dest, "evpn", esi=r.esi)
                elif r.esi != ZERO_ESI:
                    vteps = tuple(sorted(aliases.get(r.esi, set()) | {r.originator}, key=ip_key))
                    table[r.mac] = MacEntry(r.mac, f"vxlan-interface:{vx} esi:{r.esi}", "evpn", r.esi, vteps)
                else:
                    dest = f"vxlan-interface:{vx} vtep:{r.originator} vni:{r.vni}"
                    table[r.mac] = MacEntry(r.mac, dest, "evpn", None, (r.originator,))
        self._macs[key] = table
        return table
