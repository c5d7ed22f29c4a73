"""SR Linux's own bounds, from its YANG (srl_nokia-common.yang typedef interface-all;
srl_nokia-system-network-instance-bgp-evpn-ethernet-segments.yang), v23.7.1 to v24.10.3:
lag1..lag1000, ethernet-<slot 1..99>/<port 1..128>, an ethernet-segment name of 1..32
characters. The tool refuses past them (exit 2) and the twin refuses what a device would:
both accepted them, so a dense fabric passed on the twin and failed on the device."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nornir_evpn.errors import IntentError, UserInputError
from nornir_evpn.failover import segment_for
from nornir_evpn.generate import generate_topology
from nornir_evpn.intent import derive_intent
from nornir_evpn.topology import load_topology
from nornir_evpn.twin.leaf_values import leaf_error


def _fabric(tmp_path: Path, doc: dict):  # type: ignore[no-untyped-def]
    path = tmp_path / "t.clab.yml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return derive_intent(load_topology(path))


def test_an_es_numbered_past_lag1000_needs_a_lag_label(tmp_path: Path) -> None:
    doc = generate_topology(1, 2, 1)
    doc["topology"]["nodes"]["mhce1001"] = doc["topology"]["nodes"].pop("mhce1")
    for link in doc["topology"]["links"]:
        link["endpoints"] = [e.replace("mhce1:", "mhce1001:") for e in link["endpoints"]]
    with pytest.raises(IntentError, match=r"CE 'mhce1001' is ethernet segment 1001: its LAG would be "
                                          r"lag1001, and SR Linux numbers LAGs 1 to 1000; give it a `lag` label"):
        _fabric(tmp_path, doc)
    doc["topology"]["nodes"]["mhce1001"]["labels"] = {"lag": "lag7"}
    assert _fabric(tmp_path, doc).ethernet_segments["ES-1001"].lag == "lag7"


def test_generated_lags_are_numbered_per_leaf_pair(tmp_path: Path) -> None:
    """Numbered across the fabric, pair 3 of 40 CEs each got lag81..lag120: past the 64
    LAGs of a 7220 D2 on 23.7 (the generator's leaf type and image), past lag1000 at 26 pairs."""
    fabric = _fabric(tmp_path, generate_topology(1, 6, 3, ce_per_pair=40))
    lags = {es.ce: es.lag for es in fabric.ethernet_segments.values()}
    assert lags["ce1x1"] == lags["ce3x1"] == "lag1" and lags["ce3x40"] == "lag40"
    assert fabric.ethernet_segments["ES-120"].ce == "ce3x40"  # ES and ESI numbers stay fabric-wide
    with pytest.raises(ValueError, match=r"^at most 128 leaves \(a spine's ports: ethernet-1/1 to 1/128\), got 129$"):
        generate_topology(1, 129, 1)
    # each limit named alone: --spines 9 was told of the leaves' too
    with pytest.raises(ValueError, match=r"^at most 8 spines \(a leaf's uplinks: ethernet-1/49 to 1/56\), got 9$"):
        generate_topology(9, 4, 1)
    assert len([n for n in generate_topology(8, 2, 1)["topology"]["nodes"] if n.startswith("spine")]) == 8
    # each limit itself is allowed: 128 leaves fill a spine's ethernet-1/1 to 1/128
    widest = generate_topology(1, 128, 1)["topology"]
    assert len([n for n in widest["nodes"] if n.startswith("leaf")]) == 128
    assert {"endpoints": ["leaf128:e1-49", "spine1:e1-128"]} in widest["links"]


@pytest.mark.parametrize(("path", "refused"), [
    (["interface", "ethernet-1/1", "ethernet", "aggregate-id", "lag1000"], False),
    (["interface", "ethernet-1/1", "ethernet", "aggregate-id", "lag1001"], True),
    (["interface", "lag1001", "admin-state", "enable"], True),
    (["interface", "ethernet-1/129", "admin-state", "enable"], True),
    (["interface", "ethernet-1/128", "admin-state", "enable"], False),
    (["system", "network-instance", "protocols", "evpn", "ethernet-segments", "bgp-instance", "1",
      "ethernet-segment", "E" * 33, "admin-state", "enable"], True),
    (["system", "network-instance", "protocols", "evpn", "ethernet-segments", "bgp-instance", "1",
      "ethernet-segment", "E" * 32, "admin-state", "enable"], False),
])
def test_the_twin_refuses_what_the_yang_refuses(path: list[str], refused: bool) -> None:
    assert (leaf_error(path) is not None) is refused


def test_an_interface_in_no_segment_names_that_hosts_members_only(tmp_path: Path) -> None:
    """The exit-2 line listed every member of the fabric: 6.7 KB at 16 leaves x 40 CEs."""
    fabric = _fabric(tmp_path, generate_topology(1, 5, 2, ce_per_pair=12))
    with pytest.raises(UserInputError) as err:
        segment_for(fabric, "leaf2", "ethernet-1/41")
    assert str(err.value) == ("--interface: leaf2 ethernet-1/41 is not a member of an ethernet segment "
                              "(leaf2's members: ethernet-1/1, ethernet-1/2, ethernet-1/3, ethernet-1/4, "
                              "ethernet-1/5, ethernet-1/6, ethernet-1/7, ethernet-1/8 and 4 more)")
    with pytest.raises(UserInputError) as err:
        segment_for(fabric, "leaf5", "ethernet-1/1")
    assert str(err.value).endswith("(leaf5 serves no ethernet segment; leaves that do: leaf1, leaf2, leaf3, leaf4)")


def test_generate_and_inventory_count_in_the_singular_when_there_is_one(tmp_path: Path, capsys) -> None:
    """`1 multi-homing pairs`, `1 spines` (review of the '1 host' fix)."""
    from nornir_evpn.cli import main

    topo = tmp_path / "t.yml"
    assert main(["topology", "generate", "--spines", "1", "--leaves", "2", "--mh-pairs", "1", "--out", str(topo)]) == 0
    assert capsys.readouterr().err == f"wrote {topo}: 1 spine, 2 leaves, 1 multi-homing pair\n"
    assert main(["inventory", "--topology", str(topo), "--out", str(tmp_path / "inv")]) == 0
    assert capsys.readouterr().err.rstrip().endswith(": 2 leaves, 1 spine, 1 CE, 1 ethernet segment")
