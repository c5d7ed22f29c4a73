"""EVPN route checks: what a leaf advertises to one overlay peer, what it holds in its RIB.

Counts per route type, derived from the intent: per ES that is up on a leaf, 2 RT1 (tag 0
per EVI, tag 4294967295 per ES) and 1 RT4; 1 RT3 per mac-vrf; RT2 per local MAC. RT4 is
imported by the PEs configured with an ES of the same ES-import RT (ESI octets 2-7).
Only the intent's mac-vrf (RD `<system-ip>:<evi>`, or the one RD a leaf sends) and ESes
(ESI) count: a fabric's other tenants are not the intent's to judge (`intent_routes`).
"""

from __future__ import annotations

import re
from typing import Any

from nornir_evpn import platform
from nornir_evpn.checks.base import Check
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
        if (node.route_distinguisher is None and rd not in rds and len(rds) == 1
                and not (seen := next(iter(rds))).startswith(f"{node.system_ip}:")):
            rd = seen
        esis = _intent_esis(view)
        counts = intent_routes(adv.routes, {rd}, esis, esis, valid_only=False)
        return {f"to {peer} RT{t}": counts[t] for t in (1, 2, 3, 4)}


def expected_received(view: FabricView, node: NodeIntent) -> dict[int, int]:
    """RT1/RT3/RT4 counts in `node`'s EVPN RIB (routes of other leaves only)."""
    return dict(view.memoised(("evpn.received", node.name), lambda: _expected_received(view, node)))


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


def _expected_received(view: FabricView, node: NodeIntent) -> dict[int, int]:
    fabric = view.fabric
    rt1 = rt4 = rt3 = 0
    imported_esis = _imported_esis(view, node)
    for es in fabric.ethernet_segments.values():
        imported = es.esi.lower() in imported_esis
        for leaf in view.es_up_on(es):
            paths = view.overlay_paths(node.name, leaf)
            rt1 += 2 * paths
            if imported:
                rt4 += paths
    for other in fabric.leaves:
        if other.name != node.name and other.mac_vrf is not None:
            rt3 += view.overlay_paths(node.name, other.name)
    return {1: rt1, 3: rt3, 4: rt4}


class EvpnReceived(Check):
    """`evpn.received`: RT1/RT3/RT4 counts in the leaf's BGP EVPN table (valid paths: an
    invalid or stale path is received but not usable).

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

    def observe(self, view, node, obs: Observations, expected) -> dict[str, Any]:
        assert node.mac_vrf is not None
        s = obs.get(platform.SHOW_EVPN_SUMMARY, parse_evpn_summary)
        totals = {f"{node.mac_vrf.name} RT{t}": s.routes.count(t) for t in (1, 3, 4)}
        others = [o for o in view.fabric.leaves if o.name != node.name and o.mac_vrf is not None]
        esis = _intent_esis(view)
        # RT4 of the ESes this leaf imports, as expected (an ES configured by hand with the
        # same octets 2-7 imports the intent's too: not the intent's to count)
        imported = _imported_esis(view, node)
        # the footers count every network-instance's routes: when they are what the intent
        # gives and every RT1/RT3/RT4 row is the intent's, they are its counts (a 128-leaf
        # RIB's rows cost 2 ms to read); else its routes are counted row by row (and always
        # with RDs set by hand: the rows are told by derived RDs, `<ip>:<evi>`)
        # (both drawn from the RIB's RT1/RT3/RT4 and the intent alone: failover-test's polls
        # keep them while those are unchanged, `derived`; its probes' MAC routes change often)
        if totals == expected and not any(o.route_distinguisher for o in others) and obs.derived(
                platform.SHOW_EVPN_SUMMARY, ("evpn.only_intent_rows", node.name), lambda: only_intent_rows(
                    s.routes, node.mac_vrf.evi, {o.system_ip for o in others}, esis, imported),
                part=without_mac_routes):
            return totals
        counts = obs.derived(platform.SHOW_EVPN_SUMMARY, ("evpn.intent_routes", node.name), lambda: intent_routes(
            s.routes, {o.rd for o in others}, esis, imported, valid_only=True,
            types=(1, 3, 4)), part=without_mac_routes)  # not the MAC routes: most of a RIB
        return {f"{node.mac_vrf.name} RT{t}": counts[t] for t in (1, 3, 4)}


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


def only_intent_rows(routes: EvpnRouteSet, evi: int, leaves: set[str], esis: frozenset[str],
                     imported: frozenset[str]) -> bool:
    """Every RT1, RT3 and RT4 row of the view is the intent's: RT1 of its EVI and an intent
    ESI, RT3 of its EVI from an intent leaf (Originator-IP), RT4 (RD `<ip>:0`) of an ES
    `imported` by this leaf. False when a row is not, or cannot be told without reading the
    tables."""
    own = str(evi)
    wanted = {
        1: lambda rd, esi: rd.rpartition(":")[2] == own and esi.lower() in esis,
        3: lambda rd, originator: rd.rpartition(":")[2] == own and originator in leaves,
        4: lambda rd, esi: rd.rpartition(":")[2] == "0" and esi.lower() in imported,
    }
    for rtype in _ROWS:
        rows = _rows_of(routes, rtype)
        if rows is None:
            return False
        if rows is _ABSENT and routes.count(rtype):
            return False  # counted, and no table to tell whose
        # (each distinct row judged once: an ES's RT1 comes from every leaf, over every path)
        if not all(wanted[rtype](rd, key) for rd, key in {(rd, key) for _status, rd, key in rows}):
            return False
    return True


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
