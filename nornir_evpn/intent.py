"""Derive the fabric intent (roles, addressing, ASNs, ethernet segments) from a topology.

Rules (documented in the README, section "How the intent is derived"):

* An SR Linux node wired to a CE (kind linux) is a leaf; one wired only to SR Linux nodes
  is a spine. Label ``role: leaf|spine`` overrides.
* Leaf N gets system0 10.0.0.N/32 and AS 100+N, spine M gets 10.0.1.M/32 and AS 200+M
  (from 100 on, 4200000000+N and 4200001000+M), N and M from the names (`node_numbers`).
* Leaf–spine links get /30s, leaf .1 and spine .2: 192.168.(10M+N).0/30 when M and N
  are below 10 (exactly the evpn-mh01 lab), else a fixed 172.16.0.0/16 slot per link.
* Overlay: iBGP AS 100 (``local-as``) between leaves, full mesh by default, or spines as
  route reflectors (``overlay_mode="route-reflector"``) for big fabrics.
* A CE whose bond reaches two or more leaves is an all-active ethernet segment (ES-k, k
  from the CE's name like a node's number): lag k on each leaf, LACP admin-key 10+k, system-id-mac and
  system-priority derived from it, ESI 01:11:11:11:11:11:11:00:HH:LL with k in the last
  two octets. For evpn-mh01 that is exactly the tutorial: ES-1, lag1, admin-key 11,
  00:00:00:00:00:11, priority 11, ESI 01:11:11:11:11:11:11:00:00:01.
  CE labels override: ``es-name``, ``esi``, ``lag``, ``lacp-admin-key``,
  ``lacp-system-id-mac``, ``lacp-system-priority``, ``lag-member-speed`` (10G, the tutorial's).
* Every other CE link gets a plain bridged subinterface (``<if>.0``) in the mac-vrf.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Callable
from typing import Annotated, Literal, get_args

from pydantic import BaseModel, Field, field_validator

from nornir_evpn.ce_commands import parse_ce_commands
from nornir_evpn.errors import IntentError
from nornir_evpn.platform import LAG_MAX, MEMBER_SPEEDS
from nornir_evpn.topology import Link, Node, Topology
from nornir_evpn.validation import (
    check_es_name,
    check_esi,
    check_ip,
    check_lag,
    check_mac,
)

OverlayMode = Literal["full-mesh", "route-reflector"]

OVERLAY_AS = 100
LEAF_AS_BASE = 100
SPINE_AS_BASE = 200


def natural_key(name: str) -> list[object]:
    """Sort `leaf10` after `leaf9`, `ethernet-1/10` after `ethernet-1/2`."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name)]


class Lacp(BaseModel):
    interval: Literal["SLOW", "FAST"] = "SLOW"
    mode: Literal["ACTIVE", "PASSIVE"] = "ACTIVE"
    # srl_nokia-lacp.yang: admin-key 1..65535, system-priority 0..65535. Out of range, the
    # host data is refused before any connection (exit 2), not by every device's commit
    admin_key: Annotated[int, Field(strict=True, ge=1, le=65_535)]
    system_id_mac: str
    system_priority: Annotated[int, Field(strict=True, ge=0, le=65_535)]


class EthernetSegment(BaseModel):
    """An all-active ES: one CE bond multi-homed to several leaves."""

    name: str
    esi: str
    lag: str
    ce: str
    ce_mac: str | None = None
    multi_homing_mode: Literal["all-active", "single-active"] = "all-active"
    member_speed: Literal[MEMBER_SPEEDS] = "10G"  # type: ignore[valid-type]
    lacp: Lacp
    # leaf name -> member interfaces on that leaf
    members: dict[str, list[str]]

    @property
    def peers(self) -> list[str]:
        return sorted(self.members, key=natural_key)


# a 4-byte AS number; strict, so `asn: true` is not AS 1
Asn = Annotated[int, Field(strict=True, ge=1, le=4_294_967_295)]


class UnderlayLink(BaseModel):
    interface: str
    ip: str  # with prefix length, e.g. 192.168.11.1/30
    peer: str
    peer_interface: str
    peer_ip: str  # without prefix length
    peer_asn: Asn


class Overlay(BaseModel):
    asn: Asn = OVERLAY_AS
    group: str = "iBGP-overlay"
    mode: OverlayMode = "full-mesh"
    peers: list[str] = Field(default_factory=list)  # system IPs this node peers with
    route_reflector: bool = False
    cluster_id: str | None = None


class MacVrf(BaseModel):
    name: str = "mac-vrf-1"
    tunnel_interface: str = "vxlan1"
    vxlan_index: Annotated[int, Field(strict=True, ge=0, le=99_999_999)] = 1
    vni: Annotated[int, Field(strict=True, ge=1, le=16_777_215)] = 1
    evi: Annotated[int, Field(strict=True, ge=1, le=65_535)] = 111
    route_target: str = "target:100:111"
    # 1..8 in a mac-vrf (srl_nokia-bgp-evpn.yang: a uint8 1..8 in 23.10; 1..64 from 24.10
    # with a `must` that keeps a mac-vrf at 8, refused only at commit)
    ecmp: Annotated[int, Field(strict=True, ge=1, le=8)] = 2

    @property
    def vxlan_interface(self) -> str:
        return f"{self.tunnel_interface}.{self.vxlan_index}"


class AccessPort(BaseModel):
    """A single-homed CE port: bridged subinterface 0 of `interface` in the mac-vrf."""

    interface: str
    ce: str
    ce_interface: str
    ce_mac: str | None = None


class NodeIntent(BaseModel):
    """Everything the templates and checks need for one SR Linux node."""

    name: str
    role: Literal["leaf", "spine"]
    index: int
    system_ip: str
    asn: Asn
    underlay_group: str = "eBGP-underlay"
    underlay: list[UnderlayLink] = Field(default_factory=list)
    overlay: Overlay = Field(default_factory=Overlay)
    mac_vrf: MacVrf | None = None
    # the mac-vrf's RD when set by hand (a fabric built before this tool); None: SR Linux
    # derives `<system-ip>:<evi>` (srl_nokia-bgp-vpn.yang). Per leaf: RFC 7432 7.9 wants it
    # unique per PE, and the checks count a leaf's routes by it
    route_distinguisher: str | None = None
    access: list[AccessPort] = Field(default_factory=list)
    ethernet_segments: list[str] = Field(default_factory=list)  # ES names this leaf serves

    @field_validator("route_distinguisher", mode="before")
    @classmethod
    def _rd_read_as_a_number(cls, value: object) -> object:
        """YAML 1.1 reads an unquoted `65001:11` (a last part below 60) as a base-60 integer,
        3900071: "Input should be a valid string" did not say why, nor what to write."""
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            raise ValueError(f"read as the number {value}: YAML reads an unquoted A:B whose B is below 60 "
                             f"in base 60; quote it (route_distinguisher: \"{value // 60}:{value % 60}\")")
        return value

    @property
    def rd(self) -> str:
        """The RD of this leaf's mac-vrf on the device: the one set, else the derived one."""
        assert self.mac_vrf is not None
        return self.route_distinguisher or f"{self.system_ip}:{self.mac_vrf.evi}"


class CeInterface(BaseModel):
    name: str
    mac: str | None = None
    ips: list[str] = Field(default_factory=list)
    master: str | None = None  # bond or vrf
    bond_mode: str | None = None


class CeIntent(BaseModel):
    name: str
    interfaces: dict[str, CeInterface] = Field(default_factory=dict)
    # CE interface -> (leaf, leaf interface)
    attachments: dict[str, tuple[str, str]] = Field(default_factory=dict)
    ethernet_segment: str | None = None

    @property
    def ips(self) -> list[str]:
        return [ip.split("/")[0] for i in self.interfaces.values() for ip in i.ips]

    @property
    def macs(self) -> list[str]:
        return [i.mac for i in self.interfaces.values() if i.mac]


class FabricIntent(BaseModel):
    name: str
    overlay_mode: OverlayMode = "full-mesh"
    mac_vrf: MacVrf
    nodes: dict[str, NodeIntent]
    ces: dict[str, CeIntent]
    ethernet_segments: dict[str, EthernetSegment]

    def __repr__(self) -> str:
        # short: Nornir logs a run's arguments at INFO (`-v`), and the whole intent of a
        # 128-leaf fabric made that one log line 390 KB. `model_dump()` has it all
        return (f"FabricIntent(name={self.name!r}, overlay_mode={self.overlay_mode!r}, "
                f"{len(self.leaves)} leaves, {len(self.spines)} spines, {len(self.ces)} CEs, "
                f"{len(self.ethernet_segments)} ethernet segments)")

    @property
    def leaves(self) -> list[NodeIntent]:
        return [n for n in self.nodes.values() if n.role == "leaf"]

    @property
    def spines(self) -> list[NodeIntent]:
        return [n for n in self.nodes.values() if n.role == "spine"]

    def gap(self, host: str) -> str | None:
        """Why checks on `host` cannot run on this intent (None when they can): the host is
        not one of its SR Linux nodes, or a node it names is missing (an intent built from
        a filtered inventory)."""
        if host not in self.nodes:
            return f"{host} is not an SR Linux node of the fabric intent"
        named: dict[str, str] = {}
        for node in self.nodes.values():
            for link in node.underlay:
                named.setdefault(link.peer, f"underlay peer of {node.name}")
        for es in self.ethernet_segments.values():
            for leaf in es.members:
                named.setdefault(leaf, f"member of {es.name}")
        for ce in self.ces.values():
            for leaf, _ in ce.attachments.values():
                named.setdefault(leaf, f"attachment of {ce.name}")
        missing = sorted((n for n in named if n not in self.nodes), key=natural_key)
        if not missing:
            return None
        first = missing[0]
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        return (f"the fabric intent lacks {first} ({named[first]}){more}: build it from the "
                f"whole inventory (fabric_from_nornir before nr.filter)")

    def segment_of(self, node: str, interface: str) -> EthernetSegment | None:
        """The ES an interface of a leaf is a member of, if any."""
        for es in self.ethernet_segments.values():
            if interface in es.members.get(node, []):
                return es
        return None


# --------------------------------------------------------------------------- derivation


def derive_intent(topology: Topology, overlay_mode: OverlayMode = "full-mesh") -> FabricIntent:
    """Compute the fabric intent from a validated topology."""
    if overlay_mode not in get_args(OverlayMode):  # a runbook's typo: one line, not pydantic's dump
        raise IntentError(f"overlay mode {overlay_mode!r}: expected one of {', '.join(get_args(OverlayMode))}")
    leaves, spines = _leaves_and_spines(topology)
    ces = _parse_ces(topology)
    segments = _ethernet_segments(topology, ces, leaves)
    max_peers = max((len(es.members) for es in segments.values()), default=2)
    mac_vrf = MacVrf(ecmp=max(2, max_peers))

    if len(leaves) > 255 or len(spines) > 255:
        raise IntentError(f"{topology.path}: more than 255 leaves or spines is not supported")
    nodes: dict[str, NodeIntent] = {}
    for name, i in node_numbers(topology, leaves)[0].items():
        nodes[name] = NodeIntent(
            name=name, role="leaf", index=i, system_ip=f"10.0.0.{i}", asn=node_asn("leaf", i),
            mac_vrf=mac_vrf,
        )
    for name, i in node_numbers(topology, spines)[0].items():
        nodes[name] = NodeIntent(
            name=name, role="spine", index=i, system_ip=f"10.0.1.{i}", asn=node_asn("spine", i),
        )
    _assign_underlay(topology, nodes)
    _assign_overlay(nodes, overlay_mode)
    _assign_access(topology, nodes, ces, segments)
    return FabricIntent(
        name=topology.name, overlay_mode=overlay_mode, mac_vrf=mac_vrf, nodes=nodes, ces=ces,
        ethernet_segments=segments,
    )


POOL_SPINES, POOL_LINKS = 8, 8  # 8 spines x 256 leaf numbers x 8 links = 16384 /30s in a /16
# private 4-byte ASes (RFC 6996) for numbers of 100 and up: 100+N would make leaf101 share
# AS 201 with spine1, turning their eBGP underlay session into iBGP
PRIVATE_AS_LEAF, PRIVATE_AS_SPINE = 4_200_000_000, 4_200_001_000


def node_asn(role: Literal["leaf", "spine"], number: int) -> int:
    """Leaf N: AS 100+N, spine M: 200+M (the lab's); from 100 on, 4200000000+N and
    4200001000+M, so that no leaf, spine or the overlay's AS 100 ever share one."""
    if number < 100:
        return (LEAF_AS_BASE if role == "leaf" else SPINE_AS_BASE) + number
    return (PRIVATE_AS_LEAF if role == "leaf" else PRIVATE_AS_SPINE) + number


def node_numbers(topology: Topology, names: list[str], limit: int = 255) -> tuple[dict[str, int], list[str]]:
    """Each node's number N (system IP, AS, /30s) and the nodes numbered by position.

    A `number` label pins N. Otherwise N is the number the name ends in, when every other
    name has a distinct one too, so taking leaf3 out leaves leaf4 as it was (renumbered, it
    took leaf3's addresses while its own stayed configured). Failing that, the remaining
    nodes are numbered in natural order, skipping pinned numbers: those are the nodes that
    taking one out renumbers (`inventory` names them).
    """
    pinned: dict[str, int] = {}
    for name in names:
        label = topology.nodes[name].labels.get("number")
        if label is None:
            continue
        field = f"topology.nodes.{name}.labels.number"
        if not label.isdigit() or not 1 <= int(label) <= limit:
            raise IntentError(f"{topology.path}: field '{field}' is {label!r}, expected 1 to {limit}")
        owner = next((n for n, v in pinned.items() if v == int(label)), None)
        if owner is not None:
            raise IntentError(f"{topology.path}: nodes {owner!r} and {name!r} both have number {label}")
        pinned[name] = int(label)
    rest = [n for n in names if n not in pinned]
    found = {n: int(m.group(1)) for n in rest if (m := re.search(r"(\d+)$", n))}
    numbers = [*found.values(), *pinned.values()]
    if len(found) == len(rest) and len(set(numbers)) == len(numbers) and all(1 <= v <= limit for v in numbers):
        return {**pinned, **found}, []
    taken = set(pinned.values())
    free = (i for i in range(1, limit + 1) if i not in taken)
    return {**pinned, **{n: next(free) for n in rest}}, rest


def positional_nodes(topology: Topology) -> list[str]:
    """Nodes numbered by their position: taking one of their role out renumbers them (SR
    Linux nodes, and multi-homed CEs, whose number is their ethernet segment's)."""
    leaves, spines = _leaves_and_spines(topology)
    multihomed = [ce.name for ce in _multihomed_ces(topology, _parse_ces(topology), leaves)]
    return [name for names, limit in ((leaves, 255), (spines, 255), (multihomed, MAX_ES_NUMBER))
            for name in node_numbers(topology, names, limit)[1]]


# the CE labels an ethernet segment takes (`_ethernet_segments`)
ES_LABELS = ("es-name", "esi", "lag", "lacp-admin-key", "lacp-system-id-mac", "lacp-system-priority",
             "lag-member-speed")


def unused_es_labels(topology: Topology) -> list[str]:
    """CEs with ethernet-segment labels that are no ethernet segment (single-homed, or using
    their links one by one), each with those labels: `ce2 (lag-member-speed)`. Their labels
    change nothing, not even checked: `inventory` names them (a label put on the wrong CE)."""
    ces = _parse_ces(topology)
    multihomed = {ce.name for ce in _multihomed_ces(topology, ces, _leaves_and_spines(topology)[0])}
    out = []
    for name in sorted(ces, key=natural_key):
        labels = [label for label in ES_LABELS if label in topology.nodes[name].labels]
        if labels and name not in multihomed:
            out.append(f"{name} ({', '.join(labels)})")
    return out


def assumed_bonds(topology: Topology) -> list[str]:
    """Multi-homed CEs whose commands show no bond: taken as one LACP bond by default
    (`inventory` names them, so a CE using its links one by one is not made an ES unseen)."""
    leaves = _leaves_and_spines(topology)[0]
    return [ce.name for ce in _multihomed_ces(topology, _parse_ces(topology), leaves) if not _bonded_links(ce)]


def _leaves_and_spines(topology: Topology) -> tuple[list[str], list[str]]:
    """The SR Linux nodes' names by role, each in natural order.

    A `role` label decides; otherwise a node with a CE (a non-SR Linux neighbour) is a leaf,
    an SR Linux neighbour of a leaf is a spine, and a node left over is a leaf if it links
    to a spine (a leaf whose last CE was taken out: as a spine it lost its underlay and
    its AS, and its link to the spine was dropped as spine-to-spine), a spine otherwise.
    """
    srl = sorted((n for n in topology.nodes.values() if n.is_srl), key=lambda n: natural_key(n.name))
    roles: dict[str, str | None] = {n.name: _labelled_role(topology, n) for n in srl}
    for n in srl:
        if roles[n.name] is None and any(not topology.nodes[m].is_srl for m in topology.neighbors(n.name)):
            roles[n.name] = "leaf"
    leaves = {name for name, role in roles.items() if role == "leaf"}
    for name, role in roles.items():
        if role is None and any(m in leaves for m in topology.neighbors(name)):
            roles[name] = "spine"
    spines = {name for name, role in roles.items() if role == "spine"}
    for name, role in roles.items():
        if role is None:
            roles[name] = "leaf" if any(m in spines for m in topology.neighbors(name)) else "spine"
    _refuse_leaves_without_spine(topology, srl, roles)
    return ([n.name for n in srl if roles[n.name] == "leaf"],
            [n.name for n in srl if roles[n.name] == "spine"])


def _refuse_leaves_without_spine(topology: Topology, srl: list[Node], roles: dict[str, str | None]) -> None:
    """A leaf whose SR Linux neighbours are all leaves has no underlay: its links join leaf to
    leaf, which the fabric leaves out. A linux node wired to a spine (a probe, a collector)
    made that spine a leaf, and every leaf-spine link of the fabric vanished unsaid. The
    node named is the one most of those leaves link to (the spine, not one of its leaves):
    itself without a spine, or, when a leaf without CE was taken as its spine, the one that
    left the others none."""
    stranded: dict[str, list[str]] = {}
    for node in srl:
        peers = sorted({m for m in topology.neighbors(node.name) if topology.nodes[m].is_srl}, key=natural_key)
        if roles[node.name] == "leaf" and peers and not any(roles[m] == "spine" for m in peers):
            stranded[node.name] = peers
    if not stranded:
        return
    linked = Counter(m for peers in stranded.values() for m in peers)
    hub = min(linked, key=lambda m: (-linked[m], natural_key(m)))  # the first of the most linked to
    node = topology.nodes[hub]
    linux = sorted({m for m in topology.neighbors(hub) if not topology.nodes[m].is_srl}, key=natural_key)
    why = ("is labelled role: leaf" if node.labels.get("role") is not None
           else "is taken as a leaf" + (f", as it is wired to linux node(s) {', '.join(linux)}," if linux else ""))
    if hub in stranded:
        what = f"{hub} {why} but links to no spine: its links to {', '.join(stranded[hub])} join leaf to leaf"
    else:  # it links to a leaf without CE, taken as a spine: its leaves have none
        leaves = sorted((n for n, peers in stranded.items() if hub in peers), key=natural_key)
        what = (f"{hub} {why} so {', '.join(leaves)} link{'s' if len(leaves) == 1 else ''} to no spine: "
                f"{'its link' if len(leaves) == 1 else 'their links'} to {hub} join leaf to leaf")
    raise IntentError(
        f"{topology.path}: {what} and would be left out (no underlay). A linux node wired to a spine is "
        "no CE: take that link out of the topology")


def leaves_without_ce(topology: Topology) -> list[str]:
    """Leaves by inference that have no CE (they link to a spine): a leaf whose CEs were
    taken out, or a super-spine, which links alone cannot tell apart (`inventory` names them)."""
    leaves = _leaves_and_spines(topology)[0]
    return [name for name in leaves
            if topology.nodes[name].labels.get("role") is None
            and all(topology.nodes[m].is_srl for m in topology.neighbors(name))]


def _labelled_role(topology: Topology, node: Node) -> Literal["leaf", "spine"] | None:
    label = node.labels.get("role")
    if label is None:
        return None
    if label not in ("leaf", "spine"):
        raise IntentError(
            f"{topology.path}: field 'topology.nodes.{node.name}.labels.role' has invalid "
            f"value {label!r} (expected leaf or spine)"
        )
    return label  # type: ignore[return-value]


def _fabric_links(topology: Topology, nodes: dict[str, NodeIntent]) -> list[tuple[Link, str, str]]:
    out = []
    for link in topology.links:
        a, b = link.a.node, link.b.node
        if a in nodes and b in nodes and {nodes[a].role, nodes[b].role} == {"leaf", "spine"}:
            leaf, spine = (a, b) if nodes[a].role == "leaf" else (b, a)
            out.append((link, leaf, spine))
    out.sort(key=lambda t: (natural_key(t[2]), natural_key(t[1]), natural_key(t[0].end(t[1]).interface)))
    return out


def _assign_underlay(topology: Topology, nodes: dict[str, NodeIntent]) -> None:
    links = _fabric_links(topology, nodes)
    parallel: dict[tuple[str, str], int] = {}
    pool = int(ipaddress.ip_network("172.16.0.0/16").network_address)
    for link, leaf, spine in links:
        pair = (leaf, spine)
        j = parallel[pair] = parallel.get(pair, -1) + 1  # 0 for a pair's first link
        m, n = nodes[spine].index, nodes[leaf].index
        # each link's /30 follows from its own (spine, leaf, link) numbers alone: adding
        # leaf10 re-addresses no other link
        if m < 10 and n < 10 and j == 0:
            net = ipaddress.ip_network(f"192.168.{10 * m + n}.0/30")
        else:
            if m > POOL_SPINES or j >= POOL_LINKS:
                raise IntentError(
                    f"{topology.path}: the 172.16.0.0/16 underlay pool has room for spines 1-{POOL_SPINES} "
                    f"and {POOL_LINKS} links per leaf-spine pair ({spine}, {leaf})"
                )
            slot = ((m - 1) * 256 + n) * POOL_LINKS + j
            net = ipaddress.ip_network((pool + 4 * slot, 30))
        leaf_ip, spine_ip = (str(h) for h in list(net.hosts())[:2])
        leaf_if, spine_if = link.end(leaf).interface, link.end(spine).interface
        nodes[leaf].underlay.append(UnderlayLink(
            interface=leaf_if, ip=f"{leaf_ip}/30", peer=spine, peer_interface=spine_if,
            peer_ip=spine_ip, peer_asn=nodes[spine].asn,
        ))
        nodes[spine].underlay.append(UnderlayLink(
            interface=spine_if, ip=f"{spine_ip}/30", peer=leaf, peer_interface=leaf_if,
            peer_ip=leaf_ip, peer_asn=nodes[leaf].asn,
        ))
    for n in nodes.values():
        n.underlay.sort(key=lambda u: natural_key(u.interface))


def _assign_overlay(nodes: dict[str, NodeIntent], mode: OverlayMode) -> None:
    leaves = [n for n in nodes.values() if n.role == "leaf"]
    spines = [n for n in nodes.values() if n.role == "spine"]
    if mode == "route-reflector" and not spines:
        raise IntentError("overlay mode route-reflector needs at least one spine")
    for n in leaves:
        if mode == "full-mesh":
            peers = [o.system_ip for o in leaves if o.name != n.name]
        else:
            peers = [s.system_ip for s in spines]
        n.overlay = Overlay(mode=mode, peers=peers)
    if mode == "route-reflector":
        for s in spines:
            s.overlay = Overlay(
                mode=mode, peers=[n.system_ip for n in leaves], route_reflector=True,
                cluster_id=s.system_ip,
            )


# --------------------------------------------------------------------------- CEs and ES


def _parse_ces(topology: Topology) -> dict[str, CeIntent]:
    ces: dict[str, CeIntent] = {}
    for node in sorted(topology.nodes.values(), key=lambda n: natural_key(n.name)):
        if node.is_srl:
            continue
        ce = ce_from_commands(node.name, node.exec_lines)
        _check_ce_addresses(topology, ce)
        # in the CE's interface order, not the topology's link order: moving a link in the
        # file reordered the CE's `attachments` in hosts.yaml and defaults.yaml (a diff in git
        # for the same fabric)
        wired = topology.links_of(node.name)
        for link in sorted(wired, key=lambda link: natural_key(link.end(node.name).interface)):
            mine, other = link.end(node.name), link.other(node.name)
            if topology.nodes[other.node].is_srl:
                ce.attachments[mine.interface] = (other.node, other.interface)
                ce.interfaces.setdefault(mine.interface, CeInterface(name=mine.interface))
        ces[node.name] = ce
    return ces


def check_ce_addresses(ce: CeIntent, field: Callable[[str, str], str]) -> None:
    """ValueError for the first MAC or IP of `ce` that is not one; `field(interface, kind)`
    names it (kind "mac" or "ips"). They are MAC-table keys and ping targets: a typo, or
    "-f" (a ping option), must stop before anything is sent."""
    for i in ce.interfaces.values():
        if i.mac is not None:
            check_mac(i.mac, field(i.name, "mac"))
        for ip in i.ips:
            check_ip(ip, field(i.name, "ips"), with_prefix=True)


def _check_ce_addresses(topology: Topology, ce: CeIntent) -> None:
    """The MACs and IPs a CE's commands set."""
    where = f"topology.nodes.{ce.name}.exec"
    try:
        check_ce_addresses(ce, lambda name, kind: f"{where} ({name} {'address' if kind == 'mac' else 'addr'})")
    except ValueError as exc:
        raise IntentError(f"{topology.path}: {exc}") from None


def ce_from_commands(name: str, lines: list[str]) -> CeIntent:
    """The CE its commands build (`ce_commands`, the reader the twin's CEs share): each
    device they give a MAC, an address, a master or a bond mode; the links come later."""
    ce = CeIntent(name=name)
    for d in parse_ce_commands(lines).values():
        if d.mac is not None or d.ips or d.master is not None or d.bond_mode is not None:
            ce.interfaces[d.name] = CeInterface(
                name=d.name, mac=d.mac, ips=list(d.ips), master=d.master, bond_mode=d.bond_mode)
    return ce


MAX_ES_PEERS = 4  # "An ethernet segment can be distributed up to 4 PE" (the tutorial)
MAX_ES_NUMBER = 65535 - 10  # ES-k's LACP admin-key is 10+k


def _ethernet_segments(
    topology: Topology, ces: dict[str, CeIntent], leaves: list[str]
) -> dict[str, EthernetSegment]:
    segments: dict[str, EthernetSegment] = {}
    lag_owner: dict[tuple[str, str], str] = {}
    multihomed = _multihomed_ces(topology, ces, leaves)
    # ES-k, lag k, ... from the CE's name (mhce3 is 3) as for nodes, so adding a CE whose
    # name sorts first changes no other CE's ethernet segment
    numbers = node_numbers(topology, [ce.name for ce in multihomed], MAX_ES_NUMBER)[0]
    for ce in multihomed:
        k = numbers[ce.name]
        labels = topology.nodes[ce.name].labels
        field = f"topology.nodes.{ce.name}.labels"
        try:
            admin_key = int(labels.get("lacp-admin-key", 10 + k))
            priority = int(labels.get("lacp-system-priority", admin_key))
        except ValueError:
            raise IntentError(f"{topology.path}: field '{field}' LACP values must be integers") from None
        for label, value, low in (("lacp-admin-key", admin_key, 1), ("lacp-system-priority", priority, 0)):
            if not low <= value <= 65535:
                raise IntentError(
                    f"{topology.path}: field '{field}.{label}' is {value}, expected {low} to 65535"
                )
        digits = f"{admin_key:04d}"[-4:]
        default_sys_mac = f"00:00:00:00:{digits[:2]}:{digits[2:]}"
        values = {
            "es-name": labels.get("es-name", f"ES-{k}"),
            "esi": labels.get("esi", f"01:11:11:11:11:11:11:00:{k >> 8:02x}:{k & 0xFF:02x}"),
            "lag": labels.get("lag", f"lag{k}"),
            "lacp-system-id-mac": labels.get("lacp-system-id-mac", default_sys_mac),
            # (the tutorial's 10G: a fabric of 25G or 100G members says so here, not in a
            # template of its own; `25g` is 25G, as the YANG enum spells it)
            "lag-member-speed": labels.get("lag-member-speed", "10G").upper(),
        }
        if "lag" not in labels and k > LAG_MAX:
            raise IntentError(
                f"{topology.path}: CE {ce.name!r} is ethernet segment {k}: its LAG would be lag{k}, and SR "
                f"Linux numbers LAGs 1 to {LAG_MAX}; give it a `lag` label (lag1 to lag{LAG_MAX})")
        try:
            check_es_name(values["es-name"], f"{field}.es-name")
            check_esi(values["esi"], f"{field}.esi")
            check_lag(values["lag"], f"{field}.lag")
            check_mac(values["lacp-system-id-mac"], f"{field}.lacp-system-id-mac")
            if values["lag-member-speed"] not in MEMBER_SPEEDS:
                raise ValueError(f"field '{field}.lag-member-speed' has invalid value "
                                 f"{labels['lag-member-speed']!r} (expected one of {', '.join(MEMBER_SPEEDS)})")
        except ValueError as exc:
            raise IntentError(f"{topology.path}: {exc}") from None
        members: dict[str, list[str]] = {}
        for _ce_if, (leaf, leaf_if) in sorted(ce.attachments.items()):
            members.setdefault(leaf, []).append(leaf_if)
        for leaf in members:
            owner = lag_owner.get((leaf, values["lag"]))
            if owner is not None:
                raise IntentError(
                    f"{topology.path}: CEs {owner!r} and {ce.name!r} both want {values['lag']} "
                    f"on {leaf}"
                )
            lag_owner[(leaf, values["lag"])] = ce.name
        for other in segments.values():
            if other.esi == values["esi"].lower():
                raise IntentError(
                    f"{topology.path}: CEs {other.ce!r} and {ce.name!r} have the same ESI {other.esi}"
                )
            if other.name == values["es-name"]:
                raise IntentError(
                    f"{topology.path}: CEs {other.ce!r} and {ce.name!r} have the same ES name "
                    f"{other.name!r}"
                )
        bond_mac = _bond_mac(ce)
        es = EthernetSegment(
            name=values["es-name"], esi=values["esi"].lower(), lag=values["lag"], ce=ce.name,
            ce_mac=bond_mac, member_speed=values["lag-member-speed"],
            lacp=Lacp(admin_key=admin_key, system_id_mac=values["lacp-system-id-mac"].lower(),
                      system_priority=priority),
            members={leaf: sorted(v, key=natural_key) for leaf, v in members.items()},
        )
        ce.ethernet_segment = es.name
        segments[es.name] = es
    return segments


def _multihomed_ces(topology: Topology, ces: dict[str, CeIntent], leaves: list[str]) -> list[CeIntent]:
    """The CEs that are all-active ethernet segments, in name order (`_multihomed`)."""
    return [ce for ce in ces.values() if _multihomed(topology, ce, leaves)]


def _multihomed(topology: Topology, ce: CeIntent, leaves: list[str]) -> bool:
    """Whether `ce` is an all-active ethernet segment: its links reach two leaves or more,
    unless its commands give each wired link an address or VRF of its own (the lab's ce2:
    one VRF per port), which makes it single-homed on each link, whatever leaves they
    reach. Commands this reader does not follow (a script baked into the image, another
    way to build the bond) keep the default: one bond, one ethernet segment."""
    leaf_set = {leaf for leaf, _ in ce.attachments.values()}
    bad = leaf_set - set(leaves)
    if bad:
        raise IntentError(
            f"{topology.path}: CE {ce.name!r} is wired to {sorted(bad)[0]!r}, which is not a leaf"
        )
    if not ce.attachments:
        raise IntentError(f"{topology.path}: CE {ce.name!r} is not wired to any leaf")
    bonded = _bonded_links(ce)
    if len(leaf_set) < 2:
        if len(bonded) > 1:
            raise IntentError(
                f"{topology.path}: CE {ce.name!r} bonds {', '.join(bonded)} to {leaf_set.pop()} "
                "alone: a LAG without an ethernet segment is not modelled; wire the bond to "
                "two leaves (all-active multi-homing) or use one link"
            )
        return False
    standalone = _standalone_links(topology, ce)
    if not bonded and standalone:
        # a link with an address or VRF of its own is no bond member, and no bond is in
        # sight: the CE uses its links one by one
        return False
    both = sorted(set(standalone) & set(bonded), key=natural_key)
    if both:
        raise IntentError(
            f"{topology.path}: CE {ce.name!r} bonds {', '.join(both)} and also gives them an address or "
            "VRF of their own (its commands: the defaults', its kind's and its group's exec, then its own): "
            "a bond member carries neither"
        )
    loose = sorted(standalone, key=natural_key) if bonded else []
    if loose:
        raise IntentError(
            f"{topology.path}: CE {ce.name!r} bonds {', '.join(bonded)} but not "
            f"{', '.join(loose)}, also wired to a leaf: a CE is either one all-active bond or "
            "single-homed links, not both"
        )
    if len(leaf_set) > MAX_ES_PEERS:
        raise IntentError(
            f"{topology.path}: CE {ce.name!r} is wired to {len(leaf_set)} leaves; an ethernet "
            f"segment spans at most {MAX_ES_PEERS} (SR Linux)"
        )
    return True


def _standalone_links(topology: Topology, ce: CeIntent) -> list[str]:
    """The CE's wired interfaces its commands use on their own: an address on them, or a
    VRF its commands create as their master (a master of unknown kind proves nothing: it
    may be a bond built in a way this reader does not follow)."""
    devices = parse_ce_commands(topology.nodes[ce.name].exec_lines)
    vrfs = {d.name for d in devices.values() if d.kind == "vrf"}
    return [name for name in ce.attachments
            if (i := ce.interfaces.get(name)) is not None and (i.ips or i.master in vrfs)]


def _bonded_links(ce: CeIntent) -> list[str]:
    """The CE's wired interfaces that are members of a bond."""
    return sorted(
        name for name in ce.attachments
        if name in ce.interfaces and (master := ce.interfaces[name].master) is not None
        and master in ce.interfaces and ce.interfaces[master].bond_mode is not None
    )


def _bond_mac(ce: CeIntent) -> str | None:
    attached = set(ce.attachments)
    for i in ce.interfaces.values():
        if i.bond_mode is not None and any(
            ce.interfaces[m].master == i.name for m in attached if m in ce.interfaces
        ):
            return i.mac
    return None


def _assign_access(
    topology: Topology, nodes: dict[str, NodeIntent], ces: dict[str, CeIntent],
    segments: dict[str, EthernetSegment],
) -> None:
    for es in segments.values():
        for leaf in es.members:
            nodes[leaf].ethernet_segments.append(es.name)
    for ce in ces.values():
        if ce.ethernet_segment is not None:
            continue
        for ce_if, (leaf, leaf_if) in sorted(ce.attachments.items()):
            nodes[leaf].access.append(AccessPort(
                interface=leaf_if, ce=ce.name, ce_interface=ce_if,
                ce_mac=ce.interfaces[ce_if].mac if ce_if in ce.interfaces else None,
            ))
    for n in nodes.values():
        n.access.sort(key=lambda a: natural_key(a.interface))
