"""EVPN route checks: what a leaf advertises to one overlay peer, what it holds in its RIB.

Counts per route type, derived from the intent: per ES that is up on a leaf, 2 RT1 (tag 0
per EVI, tag 4294967295 per ES) and 1 RT4; 1 RT3 per mac-vrf; RT2 per local MAC. RT4 is
imported by the PEs configured with an ES of the same ES-import RT (ESI octets 2-7).
Only the intent's mac-vrf (RD `<system-ip>:<evi>`, or the one RD a leaf sends) and ESes
(ESI) count: a fabric's other tenants are not the intent's to judge (`intent_routes`).
What a leaf receives is judged per (route type, originating leaf, ESI) too (`rib_groups`):
each leaf's RT1/RT3 by its own RD, so totals that add up cannot hide a leaf's routes
missing behind another's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nornir_evpn import platform
from nornir_evpn.checks.base import Check, Noted
from nornir_evpn.checks.bgp import ESTABLISHED, OverlayEstablished, session_state, sessions
from nornir_evpn.checks.mac import local_mac_count
from nornir_evpn.checks.model import FabricView, Observations, Unavailable
from nornir_evpn.intent import NodeIntent
from nornir_evpn.parsers.bgp_advertised import parse_advertised_evpn
from nornir_evpn.parsers.evpn_routes import EvpnRouteSet
from nornir_evpn.parsers.evpn_summary import parse_evpn_summary
from nornir_evpn.parsers.vxlan import parse_vxlan_brief
from nornir_evpn.validation import es_import_rt

LOCAL_MACS = "= local MACs"  # RT2 placeholder until the mac table is read


def _leaf_with_vrf(node: NodeIntent) -> bool:
    return node.role == "leaf" and node.mac_vrf is not None


def advertise_peer(view: FabricView, node: NodeIntent) -> str | None:
    """The overlay peer whose advertised routes we read: an ES peer first (as the tutorial
    does), else the first peer; only one whose session should be up. Once per view (asked
    four times a host a poll: its commands, expected, refine and observe)."""
    return view.memoised(("evpn.advertise_peer", node.name), lambda: _advertise_peer(view, node))


def _advertise_peer(view: FabricView, node: NodeIntent) -> str | None:
    es_peer_ips = [
        view.fabric.nodes[leaf].system_ip
        for name in node.ethernet_segments
        for leaf in view.fabric.ethernet_segments[name].peers if leaf != node.name
    ]
    ordered = [ip for ip in node.overlay.peers if ip in es_peer_ips] + [
        ip for ip in node.overlay.peers if ip not in es_peer_ips]
    return next((ip for ip in ordered if view.overlay_up(node.name, ip)), None)


def _session_down(obs: Observations, peer: str) -> bool:
    """The device shows the session to `peer` not established, or has none (a neighbor
    deleted by hand: bgp.overlay_established names it once); False when it cannot say."""
    try:
        session = sessions(obs).get(peer)
    except Unavailable:
        return False
    return session is None or not session.established


def _session_key(peer: str) -> str:
    return f"to {peer} session"


def _local_es_up(view: FabricView, node: NodeIntent) -> int:
    return sum(1 for name in node.ethernet_segments
               if view.lag_up(node.name, view.fabric.ethernet_segments[name]))


class EvpnAdvertised(Check):
    """`evpn.advertised`: RT1/RT2/RT3/RT4 counts this leaf advertises to one overlay peer.

    RT1 = 2 x local ES up, RT3 = 1, RT4 = local ES up, RT2 = MACs learnt locally (from the
    mac table, so it holds with or without traffic).
    Commands: `... bgp neighbor <peer> advertised-routes evpn`, the mac-vrf mac table.
    """

    name = "evpn.advertised"

    def applies(self, view: FabricView, node: NodeIntent) -> bool:
        return _leaf_with_vrf(node)

    def commands(self, view: FabricView, node: NodeIntent) -> list[str]:
        peer = advertise_peer(view, node)
        if peer is None or node.mac_vrf is None:
            return []
        # the session table tells a peer that is not there (verify reads it for bgp.* anyway)
        return [platform.show_advertised_evpn(peer), platform.show_mac_table(node.mac_vrf.name),
                platform.SHOW_BGP_NEIGHBORS]

    def expected(self, view: FabricView, node: NodeIntent) -> dict[str, Any]:
        peer = advertise_peer(view, node)
        if peer is None:
            return {}
        es_up = _local_es_up(view, node)
        return {f"to {peer} RT1": 2 * es_up, f"to {peer} RT2": LOCAL_MACS,
                f"to {peer} RT3": 1, f"to {peer} RT4": es_up}

    def refine(self, view, node, obs: Observations, expected) -> dict[str, Any]:
        assert node.mac_vrf is not None
        peer = advertise_peer(view, node)
        assert peer is not None
        if _session_down(obs, peer):
            # nothing reaches that peer (spine1 lost): "0 RT1/RT3/RT4 advertised" would say
            # the leaf advertises nothing, while it does to its other peers. The session is
            # bgp.overlay_established's to report; run without it, this check reports it
            if obs.runs(OverlayEstablished.name):
                obs.not_judged[self.name] = (f"its overlay session to {peer} is not established "
                                             f"(see {OverlayEstablished.name})")
                return {}
            return {_session_key(peer): ESTABLISHED}
        key = f"to {peer} RT2"
        try:
            local = local_mac_count(obs, node)
        except Unavailable:
            return {k: v for k, v in expected.items() if k != key}  # RT2 cannot be judged
        return {**expected, key: local}

    def observe(self, view, node, obs: Observations, expected) -> dict[str, Any]:
        peer = advertise_peer(view, node)
        assert peer is not None
        if _session_key(peer) in expected:
            return {_session_key(peer): session_state(obs, peer, ESTABLISHED)}
        adv = obs.get(platform.show_advertised_evpn(peer), parse_advertised_evpn)
        # the routes of the intent's mac-vrf and ESes (a few rows to one peer: always read).
        # A leaf whose one mac-vrf has an RD configured by hand (`100:111`) the intent does not
        # know (no data.route_distinguisher) sends it on all of them: that one is the
        # intent's; not another EVI's derived one (`10.0.0.3:222`), which would stand in for
        # the intent's missing routes
        rd = node.rd
        rds = {r.rd for t in (1, 2, 3) for r in adv.routes.of_type(t)}
        # (nor another leaf's RD: two leaves with one RD, RFC 7432 7.9, hide each other's RT1)
        if (node.route_distinguisher is None and rd not in rds and len(rds) == 1
                and not (seen := next(iter(rds))).startswith(f"{node.system_ip}:")
                and seen not in _rd_owners(view, node)):
            rd = seen
        esis = _intent_esis(view)
        counts = intent_routes(adv.routes, {rd}, esis, esis, valid_only=False)
        return {f"to {peer} RT{t}": counts[t] for t in (1, 2, 3, 4)}


def expected_received(view: FabricView, node: NodeIntent) -> dict[int, int]:
    """RT1/RT3/RT4 counts in `node`'s EVPN RIB (routes of other leaves only)."""
    return dict(view.memoised(("evpn.received", node.name), lambda: type_totals(expected_groups(view, node))))


def _intent_esis(view: FabricView) -> frozenset[str]:
    """The ESIs of the intent's ethernet segments (lower case, as the parsers give them)."""
    return view.memoised("evpn.esis", lambda: frozenset(
        es.esi.lower() for es in view.fabric.ethernet_segments.values()))


def _imported_esis(view: FabricView, node: NodeIntent) -> frozenset[str]:
    """The intent ESIs whose RT4 `node` imports: every ES whose ES-import RT one of node's
    own ESes has (its own ESes', and any other ES whose ESI shares octets 2-7 with one of
    them: RFC 7432 7.6)."""
    def compute() -> frozenset[str]:
        segments = view.fabric.ethernet_segments.values()
        own_rts = {es_import_rt(es.esi) for es in segments if node.name in es.members}
        return frozenset(es.esi.lower() for es in segments if es_import_rt(es.esi) in own_rts)

    return view.memoised(("evpn.imported_esis", node.name), compute)


Group = tuple[int, str, str]  # (route type, originator's system IP, ESI or "" for RT3)


def type_totals(groups: dict[Group, int]) -> dict[int, int]:
    """RT1/RT3/RT4 counts of `groups` (expected or found) per route type."""
    out = {1: 0, 3: 0, 4: 0}
    for (rtype, _origin, _esi), n in groups.items():
        out[rtype] += n
    return out


def expected_groups(view: FabricView, node: NodeIntent) -> dict[Group, int]:
    """The paths `node`'s RIB holds per (route type, originator, ESI): per ES leaf whose ES is
    up, its 2 RT1 (per EVI, per ES) of that ESI and, where `node` imports it, its RT4; each
    leaf's RT3; times the overlay paths that bring them (1 per RR with route reflectors)."""
    return view.memoised(("evpn.received.groups", node.name), lambda: _expected_groups(view, node))


def _expected_groups(view: FabricView, node: NodeIntent) -> dict[Group, int]:
    fabric = view.fabric
    out: dict[Group, int] = {}
    imported_esis = _imported_esis(view, node)
    for es in fabric.ethernet_segments.values():
        esi = es.esi.lower()
        for leaf in view.es_up_on(es):
            paths = view.overlay_paths(node.name, leaf)
            if not paths:
                continue
            ip = fabric.nodes[leaf].system_ip
            out[(1, ip, esi)] = out.get((1, ip, esi), 0) + 2 * paths
            if esi in imported_esis:
                out[(4, ip, esi)] = out.get((4, ip, esi), 0) + paths
    for other in fabric.leaves:
        if (other.name != node.name and other.mac_vrf is not None
                and (paths := view.overlay_paths(node.name, other.name))):
            out[(3, other.system_ip, "")] = paths
    return out


def _rd_owners(view: FabricView, node: NodeIntent) -> dict[str, str]:
    """The intent's RD of each other leaf's mac-vrf -> that leaf's system IP."""
    return view.memoised(("evpn.rd_owners", node.name), lambda: {
        o.rd: o.system_ip for o in view.fabric.leaves if o.name != node.name and o.mac_vrf is not None})


@dataclass(frozen=True)
class RibGroups:
    """The valid RT1/RT3/RT4 paths of a RIB that are the intent's, per `Group`: RT1 by the
    leaf whose RD it carries and its ESI (an intent ESI), RT3 by its Originator-IP when its
    RD is that leaf's own (an IMET is the originator's: RFC 7432 7.3, BUM goes to its IP),
    RT4 by the IP of its RD (`<ip>:0`) and its ESI (one this leaf imports). `foreign_rds`:
    per originator of an RT3 not counted so, the RDs it carries (an RD set by hand the intent
    does not know, another leaf's RD): what the failure names."""

    groups: dict[Group, int]
    foreign_rds: dict[str, tuple[str, ...]]

    def totals(self) -> dict[int, int]:
        return type_totals(self.groups)


def rib_groups(routes: EvpnRouteSet, owners: dict[str, str], esis: frozenset[str],
               imported: frozenset[str]) -> RibGroups:
    """`RibGroups` of a RIB view: its rows read fast (`_ROWS`) where they all read so, else
    from its tables. `owners`: the intent's RD -> system IP of each other leaf."""
    groups: dict[Group, int] = {}
    foreign: dict[str, set[str]] = {}
    leaves = set(owners.values())

    def add(key: Group) -> None:
        groups[key] = groups.get(key, 0) + 1

    for rtype in (1, 3, 4):
        rows = _rows_of(routes, rtype)
        if rows is None:  # read from the tables
            rows = [(r.status, r.rd, r.originator if rtype == 3 else r.esi) for r in routes.of_type(rtype)]
        for status, rd, key in rows:
            if "*" not in status:
                continue  # received, not usable (invalid, stale): as the footers count
            if rtype == 1:
                if (origin := owners.get(rd)) is not None and (esi := key.lower()) in esis:
                    add((1, origin, esi))
            elif rtype == 3:
                if owners.get(rd) == key:
                    add((3, key, ""))
                elif key in leaves or rd in owners:
                    foreign.setdefault(key, set()).add(rd)
            elif (esi := key.lower()) in imported:
                ip, _, number = rd.rpartition(":")
                add((4, ip if number == "0" else rd, esi))  # an RD not `<ip>:0` tells no leaf
    return RibGroups(groups, {ip: tuple(sorted(rds)) for ip, rds in sorted(foreign.items())})


class EvpnReceived(Check):
    """`evpn.received`: RT1/RT3/RT4 counts in the leaf's BGP EVPN table (valid paths: an
    invalid or stale path is received but not usable), and per originating leaf and ESI
    where those differ from the intent's (`expected_groups`, `rib_groups`).

    evpn-mh01 healthy: leaf3 RT1 4 / RT4 0, leaf2 RT1 2 / RT4 1; with leaf1's member down,
    leaf1 withdraws: leaf3 RT1 2, leaf2 RT4 0. RT2 depends on traffic and is not judged.
    Command: `... bgp routes evpn route-type summary`.
    """

    name = "evpn.received"

    def applies(self, view: FabricView, node: NodeIntent) -> bool:
        return _leaf_with_vrf(node)

    def commands(self, view: FabricView, node: NodeIntent) -> list[str]:
        return [platform.SHOW_EVPN_SUMMARY]

    def expected(self, view: FabricView, node: NodeIntent) -> dict[str, Any]:
        assert node.mac_vrf is not None
        return {f"{node.mac_vrf.name} RT{t}": n for t, n in expected_received(view, node).items()}

    def refine(self, view, node, obs: Observations, expected) -> dict[str, Any]:
        """Where the RIB's paths per (type, originator, ESI) are not the intent's, also expect
        each such group's count: totals that add up can hide a leaf's routes missing behind
        another's extra ones, or carried under another leaf's RD (RFC 7432 7.9: an RD is one
        PE's), and the failure then names the leaf."""
        try:
            rib = self._rib(view, node, obs)
        except Unavailable:
            return expected  # observe leaves the counts absent: the check fails already
        want = expected_groups(view, node)
        if rib.groups == want:
            return expected
        return {**expected, **{k: n for k, (n, _got, _key) in self._group_items(
            view, node, rib, want, _fault_changed(view, node)).items()}}

    def observe(self, view, node, obs: Observations, expected) -> dict[str, Any]:
        assert node.mac_vrf is not None
        rib = self._rib(view, node, obs)
        out: dict[str, Any] = {f"{node.mac_vrf.name} RT{t}": n for t, n in rib.totals().items()}
        if len(expected) > len(out):  # refine added the groups that differ
            for k, (n, got, key) in self._group_items(view, node, rib, expected_groups(view, node),
                                                        _fault_changed(view, node)).items():
                # a group listed for the fault (`also`) whose count is right is right: a note
                # (`leaf1's RD is on routes of leaf5 too`) would make `0` read unlike 0
                out[k] = got if got == n else _noted(view, node, rib, key, got)
        return out

    @staticmethod
    def _rib(view: FabricView, node: NodeIntent, obs: Observations) -> RibGroups:
        s = obs.get(platform.SHOW_EVPN_SUMMARY, parse_evpn_summary)
        # drawn from the RIB's RT1/RT3/RT4 rows and the intent alone: failover-test's polls
        # keep it while those are unchanged (`derived`; its probes' MAC routes change often).
        # The rows are read fast (a 128-leaf RIB's tables cost 2 ms to read, its rows 0.15)
        return obs.derived(platform.SHOW_EVPN_SUMMARY, ("evpn.rib_groups", node.name), lambda: rib_groups(
            s.routes, _rd_owners(view, node), _intent_esis(view), _imported_esis(view, node)),
            part=without_mac_routes)

    @staticmethod
    def _group_items(view: FabricView, node: NodeIntent, rib: RibGroups, want: dict[Group, int],
                     also: frozenset[Group] = frozenset()) -> dict[str, tuple[int, int, Group]]:
        """`<mac-vrf> RT1 from leaf2 ES-1`: (expected, observed, group) of each group whose
        counts differ, and of each group in `also` whatever its count."""
        assert node.mac_vrf is not None
        es_names = view.memoised("evpn.es_names", lambda: {
            es.esi.lower(): es.name for es in view.fabric.ethernet_segments.values()})
        out: dict[str, tuple[int, int, Group]] = {}
        for key in sorted(set(want) | set(rib.groups) | also):
            n, got = want.get(key, 0), rib.groups.get(key, 0)
            if n != got or key in also:
                rtype, origin, esi = key
                who = view.node_of_ip(origin) or origin
                where = f" {es_names.get(esi, esi)}" if esi else ""
                out[f"{node.mac_vrf.name} RT{rtype} from {who}{where}"] = (n, got, key)
        return out


def _fault_changed(view: FabricView, node: NodeIntent) -> frozenset[Group]:
    """The groups whose expected count the view's faults change (leaf1's RT1/RT4 of ES-1 with
    its link down): listed with the groups that differ, so that failover-test --force, which
    leaves out the totals a fault from before the test made wrong, still shows (and times)
    the tested ES's routes leaving, per originator. None without faults."""
    if not view.faults:
        return frozenset()

    def compute() -> frozenset[Group]:
        from nornir_evpn.checks.model import shared_view

        want, healthy = expected_groups(view, node), expected_groups(shared_view(view.fabric), node)
        return frozenset(k for k in set(want) | set(healthy) if want.get(k, 0) != healthy.get(k, 0))

    return view.memoised(("evpn.received.fault_changed", node.name), compute)


def _noted(view: FabricView, node: NodeIntent, rib: RibGroups, key: Group, got: int) -> Any:
    """A group's observed count, with the RDs behind it when they tell why: the originator's
    routes under an RD not its own (another leaf's, or one set by hand the intent does not
    know), or its RD on another leaf's routes."""
    _rtype, origin, _esi = key
    name = view.node_of_ip(origin) or origin
    owners = {**_rd_owners(view, node), node.rd: node.system_ip}
    notes = []
    if rds := rib.foreign_rds.get(origin):
        own = next((rd for rd, ip in owners.items() if ip == origin), None)
        said = ", ".join(f"{rd} ({view.node_of_ip(owners[rd]) or owners[rd]}'s)" if rd in owners else rd for rd in rds)
        notes.append(f"{name}'s routes carry RD {said}" + (f", not {own}" if own else "")
                     + ("" if all(rd in owners for rd in rds) else
                        ": an RD set by hand is its route_distinguisher in hosts.yaml"))
    others = sorted(view.node_of_ip(ip) or ip for ip, rds in rib.foreign_rds.items()
                    if ip != origin and any(owners.get(rd) == origin for rd in rds))
    if others:
        notes.append(f"{name}'s RD is on routes of {', '.join(others)} too")
    return Noted(str(got), "; ".join(notes)) if notes else got


_MAC_ROUTES_FOOTER = "MAC-IP Advertisement routes"


def without_mac_routes(text: str) -> str:
    """The EVPN RIB view without its MAC routes' rows and count (RT2, which the clients'
    traffic changes from one poll to the next): all `evpn.received` judges is in the rest."""
    # its table's rows: from the end of the `+===+` line under its header to its last border
    # (cut in two slices, not line by line: ~500 rows at 128 leaves, each poll); a view not
    # drawn so keeps them (more of the view in the key: judged again, never stale)
    head, end = _section(text, 2) or (-1, -1)
    rows = text.find("\n", head + 1, end) if head >= 0 else -1
    last = text.rfind("\n+-", rows, end) if rows >= 0 else -1
    if last >= 0:
        text = text[:rows] + text[last:]
    at = text.find(_MAC_ROUTES_FOOTER)
    if at >= 0:
        text = text[:text.rfind("\n", 0, at) + 1] + text[at + len(_MAC_ROUTES_FOOTER):].partition("\n")[2]
    return text


def intent_routes(routes: EvpnRouteSet, rds: set[str], rt1_esis: frozenset[str], rt4_esis: frozenset[str], *,
                  valid_only: bool, types: tuple[int, ...] = (1, 2, 3, 4)) -> dict[int, int]:
    """Per route type, the routes of the intent's mac-vrf (RD in `rds`) and ESes, from the
    tables: a mac-vrf of the operator's own adds its RT1/RT2/RT3 (RD `<ip>:<its evi>`) and an
    ES of its own its RT1/RT4; neither is the intent's to judge. RT1 needs both the RD and
    an ESI of `rt1_esis`, RT4 an ESI of `rt4_esis` (RD `<ip>:0`, whatever the EVIs).
    `valid_only`: the paths a RIB can use (`*` in Status), as its footers count them.
    `types`: the route types counted (only their tables are read)."""
    def usable(r: Any) -> bool:
        return not valid_only or "*" in r.status

    def wanted(t: int, r: Any) -> bool:
        if t == 4:
            return r.esi in rt4_esis
        return r.rd in rds and (t != 1 or r.esi in rt1_esis)

    counts: dict[int, int] = {}
    for t in types:
        rows = _rows_of(routes, t) if t in _ROWS else None
        if rows is None:  # read from the tables
            counts[t] = sum(1 for r in routes.of_type(t) if wanted(t, r) and usable(r))
        elif t == 4:
            counts[t] = sum(1 for status, _rd, esi in rows if "*" in status or not valid_only
                            if esi.lower() in rt4_esis)
        else:
            counts[t] = sum(1 for status, rd, key in rows if "*" in status or not valid_only
                            if rd in rds and (t != 1 or key.lower() in rt1_esis))
    return counts


# one row of each table, found without reading the tables (a 128-leaf RIB's rows cost 2 ms
# to read, these 0.15 ms): (Status, Route-distinguisher, then RT1/RT4's ESI or RT3's
# Originator-IP): RT1 `| u*> | 10.0.0.1:111 | 01:11:...:01 |`, RT3 `| u*> | 10.0.0.1:111 | 0 |
# 10.0.0.1 |`, RT4 `| u*> | 10.0.0.1:0 | 01:11:...:01 |`. A row these do not match (a wrapped
# cell, another release's columns) leaves the count short: the tables are read instead.
_ROWS = {
    1: re.compile(r"\n\|([^|\n]*)\| *([^|\n ]+) *\| *([0-9A-Fa-f:]{29}) "),
    3: re.compile(r"\n\|([^|\n]*)\| *([^|\n ]+) *\| *\d+ *\| *(\d{1,3}(?:\.\d{1,3}){3}) "),
    4: re.compile(r"\n\|([^|\n]*)\| *([^|\n ]+) *\| *([0-9A-Fa-f:]{29}) "),
}
_ABSENT: list[tuple[str, str, str]] = []  # (no `Type N` table in the view)


def _rows_of(routes: EvpnRouteSet, rtype: int) -> list[tuple[str, str, str]] | None:
    """The rows of the view's `Type <rtype>` table as `_ROWS` reads them; `_ABSENT` (empty)
    without such a table; None when they cannot be read so (no view text, a row `_ROWS`
    does not match): the caller reads the tables."""
    text = routes.text
    if text is None:
        return None
    section = _section(text, rtype)
    if section is None:
        return _ABSENT
    body, end = section
    if body < 0:
        return None
    rows = _ROWS[rtype].findall(text, body, end)
    return rows if len(rows) == text.count("\n|", body, end) else None


def _section(text: str, rtype: int) -> tuple[int, int] | None:
    """In an EVPN route view, the `Type <rtype>` section's table body: (where the `+===+`
    line under its header starts, or -1 without one; where the section ends: its rule line
    or the next title). None without a `Type <rtype>` title."""
    start = text.rfind(f"\nType {rtype} ")
    if start < 0:
        return None
    # (the rule line is looked for before the next title only: not across the MAC routes)
    title = _NEXT_TITLE.search(text, start + 1)
    end = len(text) if title is None else title.start()
    rule = _RULE.search(text, start, end)
    end = end if rule is None else rule.start()
    head = _HEADER_RULE.search(text, start, end)
    return -1 if head is None else head.start(), end


# what `_section` and `without_mac_routes` look for, as patterns: str.find scans a route view
# 2-3x slower for these (a 2-character needle, or one ending in a space, skips little), and
# each poll looks through every leaf's view
_NEXT_TITLE = re.compile("\nType ")
_RULE = re.compile("\n-")
_HEADER_RULE = re.compile("\n\\+=")


class VxlanVni(Check):
    """`vxlan.vni`: the mac-vrf's vxlan-interface is bridged and takes the intent's VNI in.
    SR Linux forwards between two leaves only when the egress VNI they learn from each
    other's routes equals their configured ingress VNI: a leaf with another VNI is cut off
    from the rest while every session and route count still looks right.

    Command: `show tunnel-interface vxlan-interface brief`.
    """

    name = "vxlan.vni"

    def applies(self, view: FabricView, node: NodeIntent) -> bool:
        return _leaf_with_vrf(node)

    def commands(self, view: FabricView, node: NodeIntent) -> list[str]:
        return [platform.SHOW_VXLAN_BRIEF]

    def expected(self, view: FabricView, node: NodeIntent) -> dict[str, Any]:
        assert node.mac_vrf is not None  # applies() holds
        vx = node.mac_vrf.vxlan_interface
        return {f"{vx} type": "bridged", f"{vx} ingress vni": str(node.mac_vrf.vni)}

    def observe(self, view, node, obs: Observations, expected) -> dict[str, Any]:
        assert node.mac_vrf is not None
        vx = node.mac_vrf.vxlan_interface
        found = obs.get(platform.SHOW_VXLAN_BRIEF, parse_vxlan_brief).get(vx)
        if found is None:
            return {}
        return {f"{vx} type": found.type, f"{vx} ingress vni": found.ingress_vni}
