"""Topology parsing: both lab forms, normalisation, and one-line errors for bad input."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from nornir_evpn.errors import TopologyError
from nornir_evpn.topology import load_topology, normalise_srl_interface

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "inventory" / "evpn-mh01.clab.yml"
PUBLISHED = ROOT / "tests" / "fixtures" / "published-lab" / "evpn-mh.clab.yml"


def test_lab_nodes_kinds_and_links_are_normalised() -> None:
    topo = load_topology(LAB)
    assert topo.name == "evpn-mh01"
    assert topo.mgmt_subnet == "172.20.20.0/24"
    assert {n: v.kind for n, v in topo.nodes.items()} == {
        "leaf1": "srl", "leaf2": "srl", "leaf3": "srl", "spine1": "srl", "ce1": "linux", "ce2": "linux",
    }
    assert [f"{link.a}-{link.b}" for link in topo.links[:2]] == [
        "leaf1:ethernet-1/49-spine1:ethernet-1/1",
        "leaf2:ethernet-1/49-spine1:ethernet-1/2",
    ]
    assert topo.nodes["leaf1"].startup_config == (LAB.parent / "configs" / "leaf1.cfg").resolve()
    assert topo.nodes["ce1"].exec_lines[0] == "ip link add bond0 type bond mode 802.3ad"


def test_published_lab_reads_ce_scripts_through_binds() -> None:
    inline = load_topology(LAB)
    binds = load_topology(PUBLISHED)
    assert binds.name == "evpn-mh"
    assert binds.nodes["ce1"].exec_lines == inline.nodes["ce1"].exec_lines
    assert binds.nodes["ce2"].exec_lines == inline.nodes["ce2"].exec_lines
    assert binds.nodes["leaf1"].type == "ixrd2"


@pytest.mark.parametrize(
    ("raw", "norm"),
    [("e1-49", "ethernet-1/49"), ("ethernet-1/2", "ethernet-1/2"), ("e1-1a", None), ("eth1", None)],
)
def test_interface_normalisation(raw: str, norm: str | None) -> None:
    assert normalise_srl_interface(raw) == norm


GOOD = """name: t
topology:
  nodes:
    leaf1: {kind: srl}
    spine1: {kind: nokia_srlinux}
    ce1: {kind: linux}
  links:
    - endpoints: ["leaf1:e1-49", "spine1:e1-1"]
    - endpoints: ["ce1:eth1", "leaf1:e1-1"]
"""

BAD_CASES = [
    ("name: t\ntopology: [a, b\nx: 1\n", "line 3: YAML syntax error"),
    ("", "file is empty"),
    ("name: t\n", "field 'topology' is missing"),
    (GOOD.replace("name: t\n", ""), "field 'name' is missing"),
    (GOOD.replace('"ce1:eth1"', '"ce9:eth1"'), "names unknown node 'ce9'"),
    (GOOD.replace('"leaf1:e1-1"]', '"leaf1:e1-49"]'), "uses interface leaf1:ethernet-1/49 already used in topology.links[0]"),
    (GOOD.replace('"leaf1:e1-1"]', '"leaf1:e1-1a"]'), "malformed interface 'leaf1:e1-1a'"),
    (GOOD.replace("ce1: {kind: linux}", "ce1: {kind: ceos}"), "field 'topology.nodes.ce1.kind' has unknown kind 'ceos'"),
    (GOOD.replace("leaf1: {kind: srl}", "leaf1: {}"), "field 'topology.nodes.leaf1.kind' is missing"),
]


@pytest.mark.parametrize(("text", "message"), BAD_CASES)
def test_bad_topologies_give_one_precise_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.clab.yml"
    path.write_text(text)
    with pytest.raises(TopologyError) as err:
        load_topology(path)
    line = str(err.value)
    assert "\n" not in line
    assert line.startswith(str(path.resolve()))
    assert message in line


def test_cli_reports_bad_topology_with_exit_code_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.clab.yml"
    path.write_text(GOOD.replace('"ce1:eth1"', '"ce9:eth1"'))
    proc = subprocess.run(
        [sys.executable, "-m", "nornir_evpn", "inventory", "--topology", str(path), "--out", str(tmp_path / "inv")],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.strip().count("\n") == 0
    assert "names unknown node 'ce9'" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "inv").exists()


def test_kind_from_group_and_defaults_as_containerlab_does(tmp_path: Path) -> None:
    """containerlab fills a node from its `group`, then from `topology.defaults`: the same
    lab written that way is the same fabric (it was refused: kind is missing)."""
    from nornir_evpn.intent import derive_intent

    text = LAB.read_text().replace("      kind: srl\n", "      group: fabric\n").replace("      kind: linux\n", "")
    text = text.replace("topology:\n", "topology:\n  defaults:\n    kind: linux\n"
                        "  groups:\n    fabric:\n      kind: srl\n      labels: {team: dc}\n", 1)
    (tmp_path / "configs").symlink_to(LAB.parent / "configs")
    (tmp_path / "t.clab.yml").write_text(text)
    topo = load_topology(tmp_path / "t.clab.yml")
    assert topo.nodes["leaf1"].kind == "srl" and topo.nodes["ce1"].kind == "linux"
    assert topo.nodes["leaf1"].labels == {"team": "dc"}
    assert topo.nodes["leaf1"].image == "ghcr.io/nokia/srlinux:23.3.1"  # from kinds
    original = derive_intent(load_topology(LAB))
    assert derive_intent(topo).nodes == original.nodes
    bad = tmp_path / "bad.clab.yml"
    bad.write_text(text.replace("group: fabric", "group: fabrik", 1))
    with pytest.raises(TopologyError, match=r"'topology\.nodes\.leaf1\.group' names unknown group 'fabrik'"):
        load_topology(bad)
