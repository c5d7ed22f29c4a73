"""`configure --prune`: delete what an older intent left in what this one owns.

configure renders `set` lines: it adds and changes (and resets the export/import-policy
leaf-lists of its BGP groups). Switching the overlay to route reflectors, or taking a leaf
out of the topology, leaves its old BGP neighbors configured (verify names them `(not in
the intent)`). With prune, every neighbor whose peer-group is the intent's underlay or
overlay group and whose address the intent lacks is deleted in the same private
candidate, so it shows in the diff (`-` lines) and goes with the same commit. Neighbors
of other groups are never touched.

A leaf or spine taken out of the topology also leaves, on each node it was cabled to, the
routed subinterface of that link and its default network-instance entry: prune deletes the
default network-instance's subinterface whose /30 (or /31) holds the address of an underlay
neighbor it deletes, unless the rendered config still routes it (a renumbered peer: the list
reset below renews its address); an old uplink now a CE's access port goes whole first.

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

import ipaddress
import re
from collections.abc import Mapping, Sequence

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


def stale_neighbors(node: NodeIntent, features: Sequence[str], neighbors_output: str) -> dict[str, str]:
    """Peer -> group of each neighbor of an owned group the intent no longer has
    (COMMANDS[0]'s output). An answer that is a device error (no BGP configured yet) has
    none; one that does not parse raises ParseError: pruning blind is not an option."""
    if platform.show_failed(neighbors_output):
        return {}
    owned = owned_groups(node, features)
    stale = {}
    for peer, session in parse_bgp_neighbors(neighbors_output).items():
        known = owned.get(session.group)
        if known is None or peer in known:
            continue
        try:
            check_ip(peer, "neighbor")
        except ValueError:
            raise ParseError(f"prune: unexpected BGP neighbor {peer!r} in group {session.group}") from None
        stale[peer] = session.group
    return stale


def prune_lines(node: NodeIntent, features: Sequence[str], neighbors_output: str) -> list[str]:
    """`delete` lines for the neighbors the intent no longer has (COMMANDS[0]'s output)."""
    return neighbor_deletes(stale_neighbors(node, features, neighbors_output))


def neighbor_deletes(stale: Mapping[str, str]) -> list[str]:
    """`delete` lines for the `stale_neighbors`."""
    return [f"delete / network-instance default protocols bgp neighbor {peer}" for peer in stale]


# `set` lines whose last token is an entry of a list the intent owns entirely
_OWNED_LISTS = (
    re.compile(r"^set / (interface \S+ subinterface 0 ipv4 address) \S+$"),
    re.compile(r"^set / (system network-instance protocols evpn ethernet-segments bgp-instance 1 "
               r"ethernet-segment \S+ interface) \S+$"),
    re.compile(r"^set / (network-instance \S+ vxlan-interface) \S+$"),  # max-elements 1
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


# --- a CE taken out of the topology: its mac-vrf attachment, ES and LAG ----------------------
_ES_ROOT = "system network-instance protocols evpn ethernet-segments"
_ES_LIST = f"{_ES_ROOT} bgp-instance 1"
_ES_IFACE = re.compile(rf"^set / {re.escape(_ES_LIST)} ethernet-segment (\S+) interface (\S+)$")
_ES_NAME = re.compile(rf"^(?:set|delete) / {re.escape(_ES_LIST)} ethernet-segment (\S+)")
_SUBINTERFACE = re.compile(r"^(\S+)\.(\d+)$")
_SET_INTERFACE = re.compile(r"^set / interface (\S+) (.*)$")


def attachment_commands(node: NodeIntent, features: Sequence[str]) -> list[str]:
    """The configuration reads `stale_attachment_lines` needs: the intent's mac-vrf, the
    ethernet segments and every interface. None on a node without the mac-vrf, or unless
    configure sets both the access ports (mac_vrf) and the LAGs (multihoming): the mac-vrf's
    interface list is owned whole only then."""
    if node.mac_vrf is None or not {"mac_vrf", "multihoming"} <= set(features):
        return []
    return [platform.info_flat_running(f"/network-instance {node.mac_vrf.name}"),
            platform.info_flat_running(f"/{_ES_ROOT}"),
            platform.info_flat_running("/interface *")]


def _by_interface(lines: Sequence[str]) -> dict[str, list[str]]:
    """`set / interface <name> <rest>` lines -> {name: [rest, ...]}."""
    out: dict[str, list[str]] = {}
    for ln in lines:
        if m := _SET_INTERFACE.match(ln):
            out.setdefault(m[1], []).append(m[2])
    return out


def _set_lines(answer: str, what: str, *, required: bool) -> list[str]:
    if platform.show_failed(answer):
        if required:
            raise ParseError(f"prune: could not read {what}: {answer.strip().splitlines()[0][:120]}")
        return []
    lines = [ln.strip() for ln in answer.splitlines() if ln.strip()]
    if any(not ln.startswith("set / ") for ln in lines if not ln.startswith(("--{", "A:", "B:"))):
        raise ParseError(f"prune: unexpected answer reading {what}")
    return [ln for ln in lines if ln.startswith("set / ")]


def stale_attachment_lines(node: NodeIntent, config: Sequence[str], outputs: Sequence[str]) -> list[str]:
    """`delete` lines for what a CE taken out of the topology left on this leaf.

    The intent owns its mac-vrf's interface list: an entry the rendered `config` does not
    attach is deleted; so are, when its interface is one the config does not set up, a LAG
    (`interface lagN`, the `aggregate-id` of its ports that join no intent LAG, the ethernet
    segment on it unless the config keeps that ES) or a single-homed port's subinterface and
    `vlan-tagging`. A port or LAG with another subinterface (a VLAN serving something else)
    loses this subinterface only; an IRB or loopback attachment is left alone (never a CE's).
    `outputs`: the answers to `attachment_commands`, in order. A mac-vrf not
    configured yet has nothing to prune; an answer that does not parse raises ParseError.
    """
    if node.mac_vrf is None or not outputs:
        return []
    mv = node.mac_vrf.name
    mv_out, es_out, if_out = outputs
    attached_re = re.compile(rf"^set / network-instance {re.escape(mv)} interface (\S+)(?: |$)")
    device_attached = [m[1] for ln in _set_lines(mv_out, f"network-instance {mv}", required=False)
                       if (m := attached_re.match(ln))]
    intent_attached = {m[1] for ln in config if (m := attached_re.match(ln))}
    stale = [x for x in dict.fromkeys(device_attached) if x not in intent_attached]
    if not stale:
        return []
    es_iface = {m[1]: m[2] for ln in _set_lines(es_out, "the ethernet segments", required=False)
                if (m := _ES_IFACE.match(ln))}
    device_if = _by_interface(_set_lines(if_out, "the interfaces", required=True))
    intent_if = _by_interface(config)
    intent_es = {m[1] for ln in config if (m := _ES_NAME.match(ln))}
    in_a_lag = set().union(*intent_lag_members(config).values())
    lines = []
    for attachment in stale:
        m = _SUBINTERFACE.match(attachment)
        if not m or not platform.INTERFACE_NAME_RE.match(m[1]):
            raise ParseError(f"prune: unexpected interface {attachment!r} in network-instance {mv}")
        port, index = m[1], m[2]
        if not (port.startswith("ethernet-") or platform.LAG_NAME_RE.match(port)):
            continue  # an IRB or loopback in the mac-vrf is never what a CE left: someone's design
        lines.append(f"delete / network-instance {mv} interface {attachment}")
        kept = intent_if.get(port, [])  # what the config still sets on this interface
        # another subinterface of the port serves something else (a VLAN in another mac-vrf):
        # the port, its tagging, its LAG and ES stay; only this subinterface goes
        others = {leaf.split()[1] for leaf in device_if.get(port, []) if leaf.startswith("subinterface ")} - {index}
        if platform.LAG_NAME_RE.match(port) and not others:
            if kept:
                continue
            lines += [f"delete / {_ES_LIST} ethernet-segment {es}" for es, iface in es_iface.items()
                      if iface == port and es not in intent_es]
            lines += [f"delete / interface {member} ethernet aggregate-id"
                      for member, leaves in device_if.items()
                      if f"ethernet aggregate-id {port}" in leaves and member not in in_a_lag]
            lines.append(f"delete / interface {port}")
            continue
        # a single-homed CE's port; taken out, or now a LAG member (which SR Linux refuses
        # alongside `vlan-tagging`), or an uplink: the subinterface goes whole (bridged, its
        # vlan encap); the rendered lines, after the prune's, set what the intent has on it
        lines.append(f"delete / interface {port} subinterface {index}")
        if not others and "vlan-tagging true" in device_if.get(port, []) and not any(
                leaf.startswith("vlan-tagging ") for leaf in kept):
            lines.append(f"delete / interface {port} vlan-tagging")
    return lines


# --- a leaf or spine taken out: the routed link that faced it --------------------------------
LINK_PREFIX_MIN = 30  # an IPv4 fabric link: /30 (what the templates set) or /31
_SUBIF_V4 = re.compile(r"^set / interface (\S+) subinterface (\d+) ipv4 address (\S+)$")
_DEFAULT_NI_IFACE = re.compile(r"^set / network-instance default interface (\S+?)(?: |$)")


def link_commands(features: Sequence[str]) -> list[str]:
    """The configuration reads `stale_link_lines` needs (every interface, the default
    network-instance's interfaces): only when configure sets the underlay."""
    if "underlay" not in features:
        return []
    return [platform.info_flat_running("/interface *"),
            platform.info_flat_running("/network-instance default interface *")]


def stale_link_lines(node: NodeIntent, config: Sequence[str], stale: Mapping[str, str],
                     outputs: Sequence[str]) -> list[str]:
    """`delete` lines for the fabric links to the underlay peers prune deletes (a node taken
    out of the topology): the subinterface of the default network-instance whose /30 or /31
    holds such a peer's address, and its network-instance entry, unless the rendered `config`
    still gives it an IPv4 address. The port itself stays (its admin-state is the lab's).
    `stale`: the node's `stale_neighbors`; `outputs`: the answers to `link_commands`, in
    order; one that does not parse raises ParseError."""
    if not outputs:
        return []
    gone = [ipaddress.ip_address(peer) for peer, group in stale.items() if group == node.underlay_group]
    if not gone:
        return []
    if_out, ni_out = outputs
    in_default = {m[1] for ln in _set_lines(ni_out, "the default network-instance", required=False)
                  if (m := _DEFAULT_NI_IFACE.match(ln))}
    lines: list[str] = []
    for ln in _set_lines(if_out, "the interfaces", required=True):
        if not (m := _SUBIF_V4.match(ln)):
            continue
        port, index, prefix = m[1], m[2], m[3]
        try:
            subnet = ipaddress.ip_interface(prefix).network
        except ValueError:
            raise ParseError(f"prune: unexpected address {prefix!r} on {port}") from None
        # a fabric link: a point-to-point subnet in the default network-instance (a tenant's
        # ip-vrf port or a hand-made /16 that happens to hold the peer's address is not one)
        if (f"{port}.{index}" not in in_default or subnet.prefixlen < LINK_PREFIX_MIN
                or not any(peer in subnet for peer in gone)):
            continue
        # still routed by the intent (a renumbered peer: the list reset renews the address);
        # set up as something else (an old uplink now a CE's access port), it goes whole and
        # the rendered lines, after prune's, set what the intent has
        if any(c.startswith(f"set / interface {port} subinterface {index} ipv4 address ") for c in config):
            continue
        if not platform.INTERFACE_NAME_RE.match(port):
            raise ParseError(f"prune: unexpected interface {port!r}")
        lines.append(f"delete / network-instance default interface {port}.{index}")
        lines.append(f"delete / interface {port} subinterface {index}")
    return list(dict.fromkeys(lines))
