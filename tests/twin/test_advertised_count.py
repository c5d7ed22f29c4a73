"""The neighbor summary's Tx count, computed once per node, equals the routes advertised."""

from __future__ import annotations

from pathlib import Path

import pytest
from fabric_helpers import configured_fabric

from nornir_evpn.failover import other_ce_ips


@pytest.mark.parametrize("overlay", ["route-reflector", "full-mesh"])
def test_advertised_count_is_the_advertised_routes(tmp_path: Path, overlay: str) -> None:
    fabric, twin, _ = configured_fabric(tmp_path, overlay)
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


def test_a_route_reflector_holds_what_it_reflects_rt4_included(tmp_path: Path) -> None:
    """A spine RR kept RT1/RT2/RT3 but dropped RT4 (it has no ethernet segment to import
    for) while reflecting them: its table showed 0 RT4 and it counted 4 routes received
    from a leaf that sent 5. What a client sends is what its RR receives, RT4 too."""
    from nornir_evpn.twin.show_render import FabricShow

    fabric, twin, _ = configured_fabric(tmp_path, "route-reflector")
    snap = twin.view()
    es_leaves = sorted({leaf for es in fabric.ethernet_segments.values() for leaf in es.members})
    rr_rib = [r for r, _a in snap.rib("spine1")]
    assert sum(r.type == 4 for r in rr_rib) == sum(len(es.members) for es in fabric.ethernet_segments.values())
    spine1 = fabric.nodes["spine1"]
    for leaf in es_leaves:
        ip = fabric.nodes[leaf].system_ip
        sent = len(snap.advertised(leaf, fabric.nodes["spine1"].system_ip))
        received = sum(1 for r in rr_rib if r.originator == ip)
        assert sent == received and any(r.type == 4 for r in snap.advertised(leaf, spine1.system_ip))
    summary = FabricShow(twin).show("spine1", "show network-instance default protocols bgp routes evpn route-type summary")
    assert "4 Ethernet Segment routes 4 used, 4 valid" in summary, summary[-600:]
