"""The twin's fabric model: committed configs + topology links + link faults → state.

Every change (a commit, a pulled cable, a MAC learnt from CE traffic) appends a version of
the inputs with its time. A reader of component K (see `timing`) sees the state computed
from the newest version older than `now - delay(K)`, so LACP reacts before the ethernet
segment, and the ethernet segment before the EVPN routes, like on a real fabric. States
are cached per version and computed lazily, so a commit costs nothing until someone looks.

The data plane (`probe`) uses the physical state *now* for links and the delayed control
plane for decisions (which bond member a CE hashes onto, which VTEP a leaf aliases to), so
traffic hashed onto a dead path is lost until the control plane converges.
"""

from __future__ import annotations

import bisect
import ipaddress
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from nornir_evpn.topology import Endpoint, Topology, normalise_srl_interface
from nornir_evpn.twin import timing as tm
from nornir_evpn.twin.config_tree import ConfigTree
from nornir_evpn.twin.fabric_ce import CeHost, CeIf, parse_ce
from nornir_evpn.twin.fabric_config import NodeConfig, read_node
from nornir_evpn.twin.fabric_state import Inputs, Learnt, Port, Snapshot

__all__ = ["Fabric", "ProbeResult", "parse_endpoint"]


@dataclass(frozen=True)
class ProbeResult:
    delivered: bool
    reason: str  # "ok" or why the probe was lost
    path: tuple[str, ...] = ()  # nodes the request crossed


def parse_endpoint(text: str) -> Port:
    """`leaf1:ethernet-1/1`, `leaf1:e1-1` or `ce1:eth1` → (node, normalised interface)."""
    node, sep, ifname = text.partition(":")
    if not sep or not node or not ifname:
        raise ValueError(f"endpoint {text!r} is not node:interface")
    return node, normalise_srl_interface(ifname) or ifname


def flow_hash(src: str, dst: str) -> int:
    """Per-flow hash (sum of address octets): stable, and spreads .11→.21/.22/.23 over 2 links."""
    return sum(ipaddress.IPv4Address(src).packed) + sum(ipaddress.IPv4Address(dst).packed)


class Fabric:
    """Fabric state for one topology; feed it commits, faults and CE traffic."""

    def __init__(
        self,
        topology: Topology,
        profile: tm.TimingProfile | None = None,
        clock: tm.Clock = tm.monotonic_clock,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.topology = topology
        self.profile = profile or tm.PROFILES["instant"]
        self.clock = clock
        self.wall_clock = wall_clock
        self._lock = threading.RLock()
        self.links: dict[Port, Port] = {}
        for link in topology.links:
            a, b = (link.a.node, link.a.interface), (link.b.node, link.b.interface)
            self.links[a], self.links[b] = b, a
        self.ces: dict[str, CeHost] = {
            n.name: parse_ce(n.name, n.exec_lines) for n in topology.nodes.values() if n.kind == "linux"
        }
        # CE address -> (CE, interface), the first CE and interface holding it: a probe looked
        # it up by parsing every CE's every address (O(CEs) per ping: `twin traffic` on 320
        # CEs, 100k pings, spent most of its 7 minutes there)
        self._ip_owner: dict[ipaddress.IPv4Address, tuple[CeHost, CeIf]] = {}
        for ce in self.ces.values():
            for iface in ce.interfaces.values():
                for a in iface.addresses:
                    self._ip_owner.setdefault(a.ip, (ce, iface))
        self.srl_nodes = [n.name for n in topology.nodes.values() if n.is_srl]
        empty = {n: read_node(n, ConfigTree()) for n in self.srl_nodes}
        self._times: list[float] = [float("-inf")]
        self._inputs: list[Inputs] = [Inputs(empty, frozenset(), {})]
        self._snaps: dict[int, Snapshot] = {}
        self.last_change = float("-inf")

    # -- inputs --------------------------------------------------------------------------------
    def _push(self, **changes: object) -> None:
        with self._lock:
            cur = self._inputs[-1]
            new = self._flushed(Inputs(
                configs=changes.get("configs", cur.configs),  # type: ignore[arg-type]
                down_links=changes.get("down_links", cur.down_links),  # type: ignore[arg-type]
                learnt=changes.get("learnt", cur.learnt),  # type: ignore[arg-type]
            ))
            now = self.clock()
            self._times.append(now)
            self._inputs.append(new)
            self.last_change = now
            self._prune(now)

    def _flushed(self, inputs: Inputs) -> Inputs:
        """`inputs` without the MACs its change flushed: a port, LAG member or subinterface
        that goes down (or leaves the mac-vrf) drops the MACs learnt on it for good, as a
        leaf does (and withdraws their RT2). Bringing it back up teaches nothing: the MAC
        returns only with the CE's next frame through that leaf (`learn`)."""
        if not inputs.learnt:
            return inputs
        snap = Snapshot(inputs, self.links, self.ces)
        kept = {k: v for k, v in inputs.learnt.items() if snap.holds_learnt(k[0], k[1], v.subif)}
        if len(kept) == len(inputs.learnt):
            return inputs
        return Inputs(inputs.configs, inputs.down_links, kept)

    def _prune(self, now: float) -> None:
        """Forget versions no reader can see any more (older than the longest delay)."""
        horizon = now - self.profile.longest
        keep_from = max(0, bisect.bisect_right(self._times, horizon) - 1)
        if keep_from > 0:
            del self._times[:keep_from]
            del self._inputs[:keep_from]
            alive = {id(i) for i in self._inputs}
            self._snaps = {k: v for k, v in self._snaps.items() if k in alive}

    def on_commit(self, node: str, running: ConfigTree) -> None:
        """Commit hook: `node`'s running config is now `running`."""
        if node not in self.srl_nodes:
            return
        cfg: NodeConfig = read_node(node, running)
        configs = dict(self._inputs[-1].configs)
        configs[node] = cfg
        self._push(configs=configs)

    def load_configs(self, running: dict[str, ConfigTree]) -> None:
        """Boot: set every node's running config as one change, visible at once."""
        configs = dict(self._inputs[-1].configs)
        for node, tree in running.items():
            if node in self.srl_nodes:
                configs[node] = read_node(node, tree)
        with self._lock:
            self._times = [float("-inf")]
            self._inputs = [Inputs(configs, self._inputs[-1].down_links, self._inputs[-1].learnt)]
            self._snaps = {}

    def set_link(self, a: str | Port | Endpoint, b: str | Port | Endpoint, up: bool) -> None:
        """Pull (`up=False`) or re-plug the cable between two endpoints."""
        pa, pb = _port(a), _port(b)
        if self.links.get(pa) != pb:
            raise ValueError(f"no link between {pa[0]}:{pa[1]} and {pb[0]}:{pb[1]}")
        key = frozenset((pa, pb))
        down = set(self._inputs[-1].down_links)
        if up:
            down.discard(key)
        else:
            down.add(key)
        if frozenset(down) != self._inputs[-1].down_links:
            self._push(down_links=frozenset(down))

    def down_links(self) -> list[tuple[Port, Port]]:
        return [tuple(sorted(k)) for k in self._inputs[-1].down_links]  # type: ignore[misc]

    def learn(self, node: str, macvrf: str, mac: str, subif: str) -> None:
        """A frame from `mac` arrived on `subif`: learn it (no-op when already known there)."""
        key = (node, macvrf, mac.upper())
        cur = self._inputs[-1].learnt
        if key in cur and cur[key].subif == subif:
            return
        learnt = dict(cur)
        learnt[key] = Learnt(subif, self.wall_clock())
        self._push(learnt=learnt)

    # -- reading state -------------------------------------------------------------------------
    def _snapshot(self, idx: int) -> Snapshot:
        inputs = self._inputs[idx]
        snap = self._snaps.get(id(inputs))
        if snap is None or snap.inputs is not inputs:
            snap = Snapshot(inputs, self.links, self.ces)
            self._snaps[id(inputs)] = snap
        return snap

    def view(self, component: str | None = None) -> Snapshot:
        """State as a reader of `component` sees it now (None: undelayed, physical truth)."""
        with self._lock:
            delay = self.profile.delay(component) if component else 0.0
            t = self.clock() - delay
            idx = max(0, bisect.bisect_right(self._times, t) - 1)
            return self._snapshot(idx)

    def state_time(self, component: str) -> float:
        """Clock time at which the version `component` shows now took effect."""
        with self._lock:
            t = self.clock() - self.profile.delay(component)
            return self._times[max(0, bisect.bisect_right(self._times, t) - 1)]

    def converged(self) -> bool:
        """True once every component shows the newest change."""
        return self.clock() - self.last_change >= self.profile.longest

    # -- data plane ------------------------------------------------------------------------------
    def probe(self, ce: str, dst: str) -> ProbeResult:
        """One request/reply from CE `ce` to IP `dst` right now; learns MACs on the way."""
        with self._lock:
            return self._probe(ce, dst)

    def _probe(self, ce_name: str, dst: str) -> ProbeResult:
        ce = self.ces.get(ce_name)
        if ce is None:
            return ProbeResult(False, f"unknown CE {ce_name}")
        src_if = ce.source_for(dst)
        if src_if is None:
            return ProbeResult(False, "network unreachable")
        src_ip = str(src_if.addresses[0].ip)
        target = self._ip_owner.get(ipaddress.IPv4Address(dst))
        if target is None:
            return ProbeResult(False, "no host has that address")
        tce, tif = target
        if tce is ce:
            return ProbeResult(True, "ok", (ce_name,))
        h = flow_hash(src_ip, dst)
        ingress = self._ce_ingress(ce, src_if.name, h)
        if isinstance(ingress, str):
            return ProbeResult(False, ingress)
        leaf, vrf, subif = ingress
        self.learn(leaf, vrf, src_if.mac, subif)
        fwd = self._deliver(leaf, vrf, tce, tif.name, tif.mac, h)
        if isinstance(fwd, str):
            return ProbeResult(False, fwd, (ce_name, leaf))
        tleaf = fwd[0]
        # the reply enters the fabric where the target CE hashes it, and learns its MAC
        back_in = self._ce_ingress(tce, tif.name, h)
        if isinstance(back_in, str):
            return ProbeResult(False, "reply: " + back_in, (ce_name, leaf, tleaf))
        rleaf, rvrf, rsubif = back_in
        self.learn(rleaf, rvrf, tif.mac, rsubif)
        back = self._deliver(rleaf, rvrf, ce, src_if.name, src_if.mac, h)
        if isinstance(back, str):
            return ProbeResult(False, "reply: " + back, (ce_name, leaf, tleaf))
        return ProbeResult(True, "ok", (ce_name, leaf, tleaf, tce.name))

    def _attachment(self, snap: Snapshot, leaf: str, leaf_if: str) -> tuple[str, str] | None:
        """(mac-vrf, subif) a frame arriving on `leaf_if` is bridged into."""
        cfg = snap.cfg.get(leaf)
        if cfg is None:
            return None
        ic = cfg.interfaces.get(leaf_if)
        ifname = ic.lag if ic is not None and ic.lag else leaf_if
        port = cfg.interfaces.get(ifname)
        for vrf in cfg.macvrfs.values():
            for s in vrf.interfaces:
                if s.rsplit(".", 1)[0] == ifname and vrf.admin:
                    sub = port.subifs.get(s) if port is not None else None
                    if sub is not None and sub.tagged:
                        continue  # a VLAN of a tenant's: the CE sends untagged frames
                    return vrf.name, s
        return None

    def _ce_ports(self, ce: CeHost, ifname: str, snap: Snapshot) -> list[str]:
        """Ports the CE may send on: bond members LACP has bundled (in the LACP view)."""
        iface = ce.interfaces[ifname]
        ports = ce.ports_of(iface)
        out = []
        for p in ports:
            peer = self.links.get((ce.name, p))
            if peer is None:
                continue
            if iface.bond and iface.lacp:
                if peer[0] in snap.cfg and snap.member_up(peer[0], peer[1]):
                    out.append(p)
            elif snap.link_up((ce.name, p)):
                out.append(p)
        return out

    def _ce_ingress(self, ce: CeHost, ifname: str, h: int) -> tuple[str, str, str] | str:
        lacp = self.view(tm.LACP)
        now = self.view()
        ports = self._ce_ports(ce, ifname, lacp)
        if not ports:
            return f"{ce.name}:{ifname} has no active port"
        port = ports[h % len(ports)]
        if not now.link_up((ce.name, port)):
            return f"{ce.name}:{port} link down"
        leaf, leaf_if = self.links[(ce.name, port)]
        att = self._attachment(now, leaf, leaf_if)
        if att is None or not now.subif_up(leaf, att[1]):
            return f"{leaf}:{leaf_if} not bridged"
        return leaf, att[0], att[1]

    def _egress_ok(self, now: Snapshot, leaf: str, ce: CeHost, ifname: str) -> tuple[str, str, str] | None:
        """Can `leaf` hand a frame to CE `ce`'s interface right now? → (leaf, vrf, subif)."""
        for p in ce.ports_of(ce.interfaces[ifname]):
            peer = self.links.get((ce.name, p))
            if peer is None or peer[0] != leaf or not now.link_up((ce.name, p)):
                continue
            if ce.interfaces[ifname].bond and not now.member_up(leaf, peer[1]):
                continue
            att = self._attachment(now, leaf, peer[1])
            if att is not None and now.subif_up(leaf, att[1]):
                return leaf, att[0], att[1]
        return None

    def _deliver(
        self, leaf: str, vrf: str, ce: CeHost, ifname: str, mac: str, h: int
    ) -> tuple[str, str, str] | str:
        """Bridge a frame for `mac` (on CE `ce`/`ifname`) from `leaf`'s mac-vrf `vrf`."""
        now = self.view()
        local = self._egress_ok(now, leaf, ce, ifname)
        if local is not None:
            return local
        evpn = self.view(tm.EVPN)
        entry = evpn.mac_table(leaf, vrf).get(mac)
        sips = {c.system_ip: n for n, c in now.cfg.items() if c.system_ip}
        # SR Linux uses a remote VTEP only when the VNI its routes carry (the egress VNI) is
        # this mac-vrf's own ingress VNI: a leaf with another VNI is cut off both ways
        own = now.cfg[leaf].macvrfs.get(vrf)
        vni = own.vni if own is not None else None
        # per VTEP, the VNIs of its IMET routes: one per mac-vrf it has (a second mac-vrf of
        # the operator's own is not this one's VNI, and must not hide it)
        imet, vtep_vnis = evpn.imet(leaf)
        if entry is not None and entry.kind == "evpn" and entry.vteps:
            vteps = [v for v in entry.vteps if vni in vtep_vnis.get(v, {vni})]
            if not vteps:
                sent = ", ".join(str(x) for x in sorted(vtep_vnis.get(entry.vteps[0], set()), key=str))
                return f"{leaf}: VTEP {entry.vteps[0]} sends VNI {sent}, not {vni}"
            vtep = vteps[h % len(vteps)]
            far = sips.get(vtep)
            hit = self._egress_ok(now, far, ce, ifname) if far else None
            return hit if hit is not None else f"{leaf}: VTEP {vtep} cannot reach {mac}"
        # unknown unicast: flooded to every VTEP that sent us an IMET route
        for originator, rvni in imet:
            if originator in sips and rvni == vni:
                hit = self._egress_ok(now, sips[originator], ce, ifname)
                if hit is not None:
                    return hit
        return f"{leaf}: no path to {mac}"


def _port(x: str | Port | Endpoint) -> Port:
    if isinstance(x, Endpoint):
        return x.node, normalise_srl_interface(x.interface) or x.interface
    if isinstance(x, str):
        return parse_endpoint(x)
    return x
