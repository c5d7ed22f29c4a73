"""`configure --prune`: delete what an older intent left in what this one owns.

configure renders `set` lines: it adds and changes (and resets the export/import-policy
leaf-lists of its BGP groups). Switching the overlay to route reflectors, or taking a leaf
out of the topology, leaves its old BGP neighbors configured (verify names them `(not in
the intent)`). With prune, every neighbor whose peer-group is the intent's underlay or
overlay group and whose address the intent lacks is deleted in the same private
candidate, so it shows in the diff (`-` lines) and goes with the same commit. Neighbors
of other groups are never touched.

A port moved out of an intent's LAG in the topology keeps its `aggregate-id` (verify names
it `(not in the intent)`): prune deletes that leaf on each port a LAG the intent sets lists
as a member and the intent does not.

Prune also empties, first in that candidate, the lists whose entries the intent sets:
the IPv4 addresses of system0.0 and of the uplinks (a renumbered node kept its old /32,
the lowest address hence the primary one, and its old /30s) and each ethernet segment's
one-entry `interface` (a renamed LAG became a second entry, refused at commit). The
rendered `set` lines put back what the intent has: no diff where nothing was left over.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from nornir_evpn import platform
from nornir_evpn.errors import ParseError
from nornir_evpn.intent import NodeIntent
from nornir_evpn.parsers.bgp_neighbors import parse_bgp_neighbors
from nornir_evpn.parsers.lacp import parse_lacp_state
from nornir_evpn.validation import check_ip

COMMANDS = (platform.SHOW_BGP_NEIGHBORS,)


def owned_groups(node: NodeIntent, features: Sequence[str]) -> dict[str, set[str]]:
    """BGP group → the peer addresses the intent has in it, for the features configured."""
    owned: dict[str, set[str]] = {}
    if "underlay" in features and node.underlay:
        owned.setdefault(node.underlay_group, set()).update(u.peer_ip for u in node.underlay)
    if "overlay" in features:
        owned.setdefault(node.overlay.group, set()).update(node.overlay.peers)
    return owned


def prune_lines(node: NodeIntent, features: Sequence[str], neighbors_output: str) -> list[str]:
    """`delete` lines for the neighbors the intent no longer has (COMMANDS[0]'s output).

    An answer that is a device error (no BGP configured yet) has nothing to prune; one that
    does not parse raises ParseError: pruning blind is not an option.
    """
    if platform.show_failed(neighbors_output):
        return []
    owned = owned_groups(node, features)
    lines = []
    for peer, session in parse_bgp_neighbors(neighbors_output).items():
        known = owned.get(session.group)
        if known is None or peer in known:
            continue
        try:
            check_ip(peer, "neighbor")
        except ValueError:
            raise ParseError(f"prune: unexpected BGP neighbor {peer!r} in group {session.group}") from None
        lines.append(f"delete / network-instance default protocols bgp neighbor {peer}")
    return lines


# `set` lines whose last token is an entry of a list the intent owns entirely
_OWNED_LISTS = (
    re.compile(r"^set / (interface \S+ subinterface 0 ipv4 address) \S+$"),
    re.compile(r"^set / (system network-instance protocols evpn ethernet-segments bgp-instance 1 "
               r"ethernet-segment \S+ interface) \S+$"),
)


def list_resets(config: Sequence[str]) -> list[str]:
    """`delete` lines emptying each owned list the rendered `config` sets entries of, in
    order and once each; they go before `config` in the candidate."""
    out: dict[str, None] = {}
    for line in config:
        for pattern in _OWNED_LISTS:
            m = pattern.match(line)
            if m:
                out[f"delete / {m[1]}"] = None
                break
    return list(out)


_MEMBER = re.compile(r"^set / interface (\S+) ethernet aggregate-id (\S+)$")


def intent_lag_members(config: Sequence[str]) -> dict[str, set[str]]:
    """LAG -> the member ports the rendered `config` gives it."""
    members: dict[str, set[str]] = {}
    for line in config:
        m = _MEMBER.match(line)
        if m:
            members.setdefault(m[2], set()).add(m[1])
    return members


def lag_commands(config: Sequence[str]) -> list[str]:
    """The `show lag <lag> lacp-state` of each LAG the rendered `config` has members for."""
    return [platform.show_lacp_state(lag) for lag in intent_lag_members(config)]


def stale_member_lines(config: Sequence[str], outputs: Sequence[str]) -> list[str]:
    """`delete` lines for the ports in an intent LAG that the intent puts in no LAG
    (`outputs`: the answers to `lag_commands(config)`, in order). A LAG not configured yet
    (a device error) has none; an answer that does not parse raises ParseError."""
    lines = []
    members = intent_lag_members(config)
    # a port the intent moves to another of its LAGs is that LAG's now: its `set` moves it
    # (a delete after it would leave the port in no LAG at all)
    in_a_lag = set().union(*members.values())
    for lag, out in zip(members, outputs, strict=True):
        if platform.show_failed(out):
            continue
        for port in parse_lacp_state(out).members:
            if port not in in_a_lag:
                if not platform.INTERFACE_NAME_RE.match(port):
                    raise ParseError(f"prune: unexpected member {port!r} in {lag}")
                lines.append(f"delete / interface {port} ethernet aggregate-id")
    return lines
