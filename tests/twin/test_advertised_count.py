"""The neighbor summary's Tx count, computed once per node, equals the routes advertised."""

from __future__ import annotations

from pathlib import Path

import pytest

from nornir_evpn.failover import other_ce_ips
from nornir_evpn.generate import generate_topology, write_topology
from nornir_evpn.intent import derive_intent
from nornir_evpn.render import FEATURES, Renderer
from nornir_evpn.topology import load_topology
from nornir_evpn.twin.fabric_lab import boot_lab, with_lines


@pytest.mark.parametrize("overlay", ["route-reflector", "full-mesh"])
def test_advertised_count_is_the_advertised_routes(tmp_path: Path, overlay: str) -> None:
    topo = load_topology(write_topology(generate_topology(2, 6, 2), tmp_path / "g.clab.yml"))
    fabric = derive_intent(topo, overlay)
    twin, running = boot_lab(topo)
    renderer = Renderer()
    for name, node in fabric.nodes.items():
        lines = [line for block in renderer.render(node, fabric, FEATURES).values() for line in block]
        running[name] = with_lines(running[name], "\n".join(lines))
        twin.on_commit(name, running[name])
    for ce in fabric.ces:
        for ip in other_ce_ips(fabric, ce):
            assert twin.probe(ce, ip).delivered
    snap = twin.view()
    counts = {(node, a): (snap.advertised_count(node, a), len(snap.advertised(node, a)))
              for node in fabric.nodes for a in snap.cfg[node].neighbors}
    assert all(fast == slow for fast, slow in counts.values()), counts
    # a reflector sends each client every route but the client's own: leaves with an
    # ethernet segment originate more, so their counts are lower
    tx = {a: c for (node, a), (c, _) in counts.items() if node == "spine1" and snap.session(node, a).overlay}
    if overlay == "route-reflector":
        assert len(tx) == 6 and min(tx.values()) > 0 and len(set(tx.values())) > 1
    else:
        assert tx == {}
