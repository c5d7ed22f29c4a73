"""The evpn-mh01 reference lab for the fabric model: boot configs and the tutorial's MH config.

Used by tests and demos to get a fabric in the tutorial's state without the SSH layer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nornir_evpn.topology import Topology, load_topology
from nornir_evpn.twin import timing as tm
from nornir_evpn.twin.config_tree import ConfigTree, parse_flat
from nornir_evpn.twin.fabric import Fabric

TIMING_ENV = "NORNIR_EVPN_TWIN_TIMING"
LAB_TOPOLOGY = Path(__file__).resolve().parents[2] / "inventory" / "evpn-mh01.clab.yml"

# The tutorial's leaf1/leaf2 multi-homing configuration (000_6bcc7703818999df.txt), flat.
MH_CONFIG = """\
set / interface ethernet-1/1 admin-state enable
set / interface ethernet-1/1 ethernet aggregate-id lag1
set / interface lag1 admin-state enable
set / interface lag1 vlan-tagging true
set / interface lag1 subinterface 0 type bridged
set / interface lag1 subinterface 0 vlan encap untagged
set / interface lag1 lag lag-type lacp
set / interface lag1 lag member-speed 10G
set / interface lag1 lag lacp interval SLOW
set / interface lag1 lag lacp lacp-mode ACTIVE
set / interface lag1 lag lacp admin-key 11
set / interface lag1 lag lacp system-id-mac 00:00:00:00:00:11
set / interface lag1 lag lacp system-priority 11
set / system network-instance protocols evpn ethernet-segments bgp-instance 1 ethernet-segment ES-1 admin-state enable
set / system network-instance protocols evpn ethernet-segments bgp-instance 1 ethernet-segment ES-1 esi 01:11:11:11:11:11:11:00:00:01
set / system network-instance protocols evpn ethernet-segments bgp-instance 1 ethernet-segment ES-1 multi-homing-mode all-active
set / system network-instance protocols evpn ethernet-segments bgp-instance 1 ethernet-segment ES-1 interface lag1
set / system network-instance protocols bgp-vpn bgp-instance 1
set / network-instance mac-vrf-1 interface lag1.0
set / network-instance mac-vrf-1 protocols bgp-evpn bgp-instance 1 ecmp 2
"""


def startup_configs(topology: Topology) -> dict[str, ConfigTree]:
    """Every SR Linux node's startup config parsed (empty tree when it has none)."""
    out: dict[str, ConfigTree] = {}
    for node in topology.nodes.values():
        if node.is_srl:
            out[node.name] = parse_flat(node.startup_text())
    return out


def with_lines(tree: ConfigTree, flat: str) -> ConfigTree:
    """A copy of `tree` with the `set / ...` lines of `flat` applied."""
    new = tree.copy()
    new.merge(parse_flat(flat))
    return new


def boot_lab(
    topology: Topology | None = None,
    profile: tm.TimingProfile | None = None,
    clock: tm.Clock = tm.monotonic_clock,
) -> tuple[Fabric, dict[str, ConfigTree]]:
    """A fabric booted from the lab's startup configs; returns it and the running configs."""
    topo = topology or load_topology(LAB_TOPOLOGY)
    running = startup_configs(topo)
    fabric = Fabric(topo, profile=profile, clock=clock)
    fabric.load_configs(running)
    return fabric, running


def attach(twin: Any, profile: tm.TimingProfile | None = None, release: str | None = None) -> Fabric:
    """Wire a fabric model into a `runtime.Twin`: commits feed it, it answers `show`, CEs ping.

    Returns the fabric; the twin also gets it as `twin.fabric` for link faults. Without a
    profile, `$NORNIR_EVPN_TWIN_TIMING` (instant | fast | realistic | demo) picks one.
    `release` picks the SR Linux release whose `show` layouts (and `set` semantics) every
    node follows (default 23.7), or `image`: each node its containerlab image's.
    """
    from nornir_evpn.twin.ce_shell import engine_factory
    from nornir_evpn.twin.releases import node_releases
    from nornir_evpn.twin.show_render import FabricShow, PerNodeShow

    if profile is None:  # `twin up` passes none: let the environment choose (demos: realistic)
        profile = tm.get_profile(os.environ.get(TIMING_ENV, "instant"))
    fabric = Fabric(twin.topology, profile=profile)
    fabric.load_configs({name: ds.running for name, ds in twin.datastores.items()})
    twin.add_commit_hook(fabric.on_commit)
    releases = node_releases({n.name: n.image for n in twin.topology.nodes.values() if n.is_srl}, release)
    shows = {r: FabricShow(fabric, r) for r in sorted(set(releases.values()))}
    twin.set_show_provider(PerNodeShow(shows, releases) if len(shows) > 1
                           else next(iter(shows.values()), FabricShow(fabric)))
    twin.register_engine_factory("linux", engine_factory(fabric))
    twin.fabric = fabric
    return fabric
