"""BGP session checks: eBGP underlay per fabric link, iBGP overlay per EVPN peer."""

from __future__ import annotations

import re
from typing import Any, NamedTuple

from nornir_evpn import platform
from nornir_evpn.checks.base import ABSENT, Check
from nornir_evpn.checks.model import FabricView, Observations
from nornir_evpn.intent import NodeIntent
from nornir_evpn.parsers.bgp_neighbors import group_key, parse_bgp_neighbors

ESTABLISHED = "established"
NOT_ESTABLISHED = "not established"


class Session(NamedTuple):
    """What the checks read of one row of the BGP neighbor table."""

    group: str
    state: str

    @property
    def established(self) -> bool:
        return self.state == "established"


# the neighbor table's Uptime (`0d:0h:10m:3s` from its `d:`, or wrapped: `0d:18h:20m:` over
# `49s`) and [Rx/Active/Tx] (`[205/205/4]`) cells, with their padding: they change from one
# poll to the next, and no check judges them (a pattern each, with a literal start: one
# alternation scans a spine's table 10x slower)
_UPTIME_RE = re.compile(r"d:\d+h:\d+m:(?:\d+s)? *")
_UPTIME_WRAPPED_RE = re.compile(r"\| \d{1,2}s +(?=\|)")
_COUNTS_RE = re.compile(r"\[\d+/\d+/\d+\] *")


def without_counters(text: str) -> str:
    """A BGP neighbor table without its uptimes and route counts: what `sessions` rests on."""
    return _COUNTS_RE.sub("", _UPTIME_WRAPPED_RE.sub("|", _UPTIME_RE.sub("", text)))


def sessions(obs: Observations) -> dict[str, Session]:
    """The BGP sessions of the neighbor table (peer address -> group, state). failover-test's
    polls keep them while the table is unchanged but for its uptimes and route counts
    (`Observations.derived`): they parsed every host's table again each poll, a spine's
    (a session per leaf) the longest."""
    return obs.derived(platform.SHOW_BGP_NEIGHBORS, "bgp.sessions", lambda: {
        peer: Session(s.group, s.state)
        for peer, s in obs.get(platform.SHOW_BGP_NEIGHBORS, parse_bgp_neighbors).items()
    }, part=without_counters)


def session_state(obs: Observations, peer: str, expected: str) -> str:
    s = sessions(obs).get(peer)
    if s is None:
        return ABSENT if expected in (ESTABLISHED, ABSENT) else NOT_ESTABLISHED
    if s.established:
        return ESTABLISHED
    # any other state (active, connect, idle) is "not established"; keep it visible when wrong
    return NOT_ESTABLISHED if expected == NOT_ESTABLISHED else s.state


UNKNOWN_PEER = "(not in the intent)"


def _with_unknown_peers(obs: Observations, group: str, known: set[str],
                        expected: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Also expect no session in `group` with a peer the intent does not have: what a
    configure of an older intent left behind (configure adds; only --prune deletes neighbors)."""
    found = sessions(obs)
    # configure refuses a group name with a space; verify may meet one in host data, which the
    # table's wrapping can glue (group_key); only then are names compared without spaces
    same = (lambda g: group_key(g) == group_key(group)) if " " in group else (lambda g: g == group)
    extra = {
        f"{prefix} {peer} {UNKNOWN_PEER}": ABSENT
        for peer, s in found.items() if same(s.group) and peer not in known
    }
    return {**expected, **extra} if extra else expected


def _observe(obs: Observations, expected: dict[str, Any]) -> dict[str, Any]:
    """`<prefix> <peer> ...` keys: each peer's session state (see `_state`)."""
    return {key: session_state(obs, key.split()[1], want) for key, want in expected.items()}


class UnderlayEstablished(Check):
    """`bgp.underlay_established`: one eBGP session per leaf-spine link, established while
    the link is up.

    Command: `show network-instance default protocols bgp neighbor`.
    """

    name = "bgp.underlay_established"
    finds_unexpected = True

    def commands(self, view: FabricView, node: NodeIntent) -> list[str]:
        return [platform.SHOW_BGP_NEIGHBORS]

    def expected(self, view: FabricView, node: NodeIntent) -> dict[str, Any]:
        return {
            f"underlay {u.peer_ip} ({u.peer})":
                ESTABLISHED if view.port_up(node.name, u.interface) else NOT_ESTABLISHED
            for u in node.underlay
        }

    def refine(self, view, node, obs: Observations, expected) -> dict[str, Any]:
        known = {u.peer_ip for u in node.underlay}
        return _with_unknown_peers(obs, node.underlay_group, known, expected, "underlay")

    def observe(self, view, node, obs: Observations, expected) -> dict[str, Any]:
        return _observe(obs, expected)


class OverlayEstablished(Check):
    """`bgp.overlay_established`: every iBGP EVPN session (leaf mesh or leaf-RR) is
    established while the underlay connects the two loopbacks.

    Command: `show network-instance default protocols bgp neighbor`.
    """

    name = "bgp.overlay_established"
    finds_unexpected = True  # a spine of a full mesh still holding route-reflector sessions

    def commands(self, view: FabricView, node: NodeIntent) -> list[str]:
        return [platform.SHOW_BGP_NEIGHBORS]

    def expected(self, view: FabricView, node: NodeIntent) -> dict[str, Any]:
        return {
            f"overlay {ip}": ESTABLISHED if view.overlay_up(node.name, ip) else NOT_ESTABLISHED
            for ip in node.overlay.peers
        }

    def refine(self, view, node, obs: Observations, expected) -> dict[str, Any]:
        return _with_unknown_peers(obs, node.overlay.group, set(node.overlay.peers), expected, "overlay")

    def observe(self, view, node, obs: Observations, expected) -> dict[str, Any]:
        return _observe(obs, expected)
