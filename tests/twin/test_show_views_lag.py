"""Views lag each other by their delays: `show` must not mix a newer BGP view with an older
EVPN view and crash (a neighbor committed between the two delays)."""

from __future__ import annotations

import json
from pathlib import Path

from nornir_evpn.intent import derive_intent
from nornir_evpn.render import Renderer
from nornir_evpn.topology import load_topology
from nornir_evpn.twin.config_tree import parse_flat
from nornir_evpn.twin.fabric import Fabric
from nornir_evpn.twin.show_render import FabricShow
from nornir_evpn.twin.timing import get_profile

FABRIC = Path(__file__).resolve().parents[1] / "fixtures" / "fabric-2s4l2es.clab.yml"


def test_neighbor_added_between_bgp_and_evpn_delays() -> None:
    now = [0.0]
    topo = load_topology(FABRIC)
    intent = derive_intent(topo)
    fabric = Fabric(topo, profile=get_profile("fast"), clock=lambda: now[0])
    show = FabricShow(fabric)
    renderer = Renderer()

    def commit(features: tuple[str, ...]) -> None:
        for node in intent.nodes.values():
            lines = [ln for ls in renderer.render(node, intent, features).values() for ln in ls]
            fabric.on_commit(node.name, parse_flat("\n".join(lines)))

    commit(("underlay", "mac_vrf"))
    now[0] = 10.0
    commit(("underlay", "overlay", "mac_vrf"))
    now[0] = 10.0 + 0.15  # past the BGP delay (0.1), before the EVPN delay (0.2)
    text = show.show("leaf1", "show network-instance default protocols bgp neighbor")
    assert "10.0.0.2" in text and "[0/0/0]" in text
    state = json.loads(show.state("leaf1", "/network-instance default protocols bgp", True))
    assert "10.0.0.2" in json.dumps(state)
    now[0] = 11.0
    text = show.show("leaf1", "show network-instance default protocols bgp neighbor")
    assert "[0/0/0]" not in text.split("10.0.0.2", 1)[1].splitlines()[0]
