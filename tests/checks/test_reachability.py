"""FabricView.reachable: one search of the underlay serves every node it reaches, and only
where the links go both ways (as `inventory` writes them)."""

from __future__ import annotations

from pathlib import Path

from nornir_evpn.checks.model import FabricView
from nornir_evpn.intent import derive_intent
from nornir_evpn.topology import load_topology

ROOT = Path(__file__).resolve().parents[2]
FABRIC = ROOT / "tests" / "fixtures" / "fabric-2s4l2es.clab.yml"


def _per_node(view: FabricView, a: str, b: str) -> bool:
    """The definition: a search from a alone, over the links up at a's side of each hop."""
    seen, todo = {a}, [a]
    while todo:
        cur = todo.pop()
        for u in view.fabric.nodes[cur].underlay:
            if u.peer not in seen and view.port_up(cur, u.interface):
                seen.add(u.peer)
                todo.append(u.peer)
    return b in seen


def test_one_search_answers_for_every_node_it_reaches() -> None:
    fabric = derive_intent(load_topology(FABRIC))
    names = sorted(fabric.nodes)
    cut = [("leaf1", u.interface) for u in fabric.nodes["leaf1"].underlay]  # leaf1 isolated
    for faults in ([], cut, cut[:1]):
        view = FabricView(fabric, faults)
        assert view.reachable("leaf2", "spine1") or faults  # (the searches start here)
        for a in names:
            for b in names:
                assert view.reachable(a, b) == _per_node(view, a, b), (faults, a, b)
    view = FabricView(fabric, cut)
    view.reachable("leaf2", "leaf3")
    # leaf2's search found leaf3, leaf4 and both spines: their answers came with it
    assert set(view._reach) == {"leaf2", "leaf3", "leaf4", "spine1", "spine2"}
    assert not view.reachable("leaf1", "leaf2") and not view.reachable("spine2", "leaf1")


def test_a_link_listed_at_one_end_only_keeps_its_direction() -> None:
    """A hand-edited inventory may list leaf1's links on leaf1 alone: the spines then have no
    way to leaf1 of their own, and what leaf1 reaches is not what the spines reach."""
    fabric = derive_intent(load_topology(FABRIC))
    for spine in ("spine1", "spine2"):
        fabric.nodes[spine].underlay = [u for u in fabric.nodes[spine].underlay if u.peer != "leaf1"]
    view = FabricView(fabric)
    assert view.reachable("leaf1", "spine2")
    assert not view.reachable("spine2", "leaf1")
    for a in sorted(fabric.nodes):
        for b in sorted(fabric.nodes):
            assert view.reachable(a, b) == _per_node(view, a, b), (a, b)


def test_a_link_whose_ends_disagree_keeps_its_direction() -> None:
    """leaf1's entry for its spine1 link names the spine1 port that goes to leaf2 (a hand
    edit's slip): both ends are listed, but not as one link, so the links do not go both
    ways; with spine1's port to leaf1 and spine2's link to leaf1 down, leaf1 still reaches
    the fabric and nothing reaches leaf1."""
    fabric = derive_intent(load_topology(FABRIC))
    spine1 = {u.peer: u.interface for u in fabric.nodes["spine1"].underlay}
    to_spine1 = next(u for u in fabric.nodes["leaf1"].underlay if u.peer == "spine1")
    to_spine1.peer_interface = spine1["leaf2"]
    to_spine2 = next(u for u in fabric.nodes["leaf1"].underlay if u.peer == "spine2")
    faults = [("spine1", spine1["leaf1"]), ("leaf1", to_spine2.interface)]
    view = FabricView(fabric, faults)
    assert view.reachable("leaf1", "leaf2")
    for a in sorted(fabric.nodes):
        for b in sorted(fabric.nodes):
            assert view.reachable(a, b) == _per_node(view, a, b), (a, b)
    assert not view.reachable("spine1", "leaf1")
