"""`configure --prune`: delete what an older intent left in the BGP groups this one owns.

configure renders `set` lines: it adds and changes, and empties only the few lists the
intent owns before setting them (addresses, policies, an ES's interface). Switching the
overlay to route reflectors, or taking a leaf out of the topology, leaves its old BGP
neighbors configured (verify names them `(not in the intent)`). With prune, every
neighbor whose peer-group is the intent's underlay or overlay group and whose address the
intent lacks is deleted in the same private candidate, so it shows in the diff (`-`
lines) and goes with the same commit. Neighbors of other groups are never touched.
"""

from __future__ import annotations

from collections.abc import Sequence

from nornir_evpn import platform
from nornir_evpn.errors import ParseError
from nornir_evpn.intent import NodeIntent
from nornir_evpn.parsers.bgp_neighbors import parse_bgp_neighbors
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
