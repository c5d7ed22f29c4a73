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
    # a breakout port says so (a many-CE leaf often uses them), on a CE's link or an uplink
    (GOOD.replace('"leaf1:e1-1"]', '"leaf1:e1-49-1"]'),
     "has a breakout port 'leaf1:e1-49-1' (breakout ports are not supported: wire the link to an e1-N port)"),
    (GOOD.replace('"leaf1:e1-49"', '"leaf1:e1-3-1"'),
     "has a breakout port 'leaf1:e1-3-1' (breakout ports are not supported: wire the link to an e1-N port)"),
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
    # a group `groups` lacks is free text (containerlab lays out `graph` by it): nothing inherited
    free = load_topology(bad)
    assert free.nodes["leaf1"].kind == "linux" and free.nodes["leaf1"].labels == {}
    assert free.notes == ["group(s) fabrik: not in topology.groups, nothing inherited from them"]


# --------------------------------------------------------------------------- what containerlab does to the file


@pytest.mark.parametrize(("text", "env", "out"), [  # hellt/envsubst v0.2.0, read from its source
    ("$A ${A} x${A}y", {"A": "1"}, "1 1 x1y"),
    ("$A ${A}", {}, "$A $A"),  # unset: `$A` (containerlab's "no replace")
    ("${A}_x", {"A": ""}, "$A_x"),  # empty: the same
    ("${A:=d} ${A:-d}", {}, "d d"),
    ("${A:=d} ${A:-d}", {"A": ""}, "d d"),
    ("${A:=d}", {"A": "v"}, "v"),
    ("${A=d} ${A-d}", {}, "d d"),
    ("${A=d}", {"A": "v"}, "v"),
    ("${A-d}", {"A": ""}, "$A"),
    ("${A+alt}|${A:+alt}", {"A": "v"}, "alt|alt"),
    ("${A+alt}|${A:+alt}", {}, "|"),
    ("${A:-} ${A:+}", {}, "$A $A"),  # an empty default is none
    ("${A:-x$B}", {"B": "b"}, "x$B"),  # a default is text ...
    ("${A:-$B} ${A=$B} ${C:-$A}", {"B": "bar"}, "bar bar $A"),  # ... unless it is one variable
    ("$$A costs $1 and ${1}", {"A": "x"}, "$A costs $1 and ${1}"),
    ("${DIR:=configs}/leaf1.cfg", {}, "configs/leaf1.cfg"),
])
def test_environment_variables_are_substituted_as_containerlab_does(text: str, env: dict[str, str], out: str) -> None:
    from nornir_evpn.topology import expand_env

    assert expand_env(text, env) == out


def _lab_copy(tmp_path: Path, text: str, name: str = "t.clab.yml") -> Path:
    if not (tmp_path / "configs").exists():
        (tmp_path / "configs").symlink_to(LAB.parent / "configs")
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_lab_written_with_variables_is_the_lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`${VAR:=default}` was read literally: "field 'name' has invalid value", or a startup
    config path and a bond name holding `${...}` that passed `inventory`."""
    from nornir_evpn.intent import derive_intent

    monkeypatch.setenv("LAB", "mylab")
    monkeypatch.delenv("CFG", raising=False)
    text = (LAB.read_text().replace("name: evpn-mh01", "name: ${LAB}")
            .replace("configs/leaf1.cfg", "${CFG:=configs}/leaf1.cfg")
            .replace("192.168.0.11/24", "${CE1_IP:=192.168.0.11/24}"))
    topo = load_topology(_lab_copy(tmp_path, text))
    assert topo.name == "mylab"
    assert topo.nodes["leaf1"].startup_config == (LAB.parent / "configs" / "leaf1.cfg").resolve()
    assert derive_intent(topo).ces == derive_intent(load_topology(LAB)).ces


def test_yaml_merge_keys_are_read(tmp_path: Path) -> None:
    """`leaf2: {<<: *srl, ...}` (YAML merge keys, which containerlab reads) failed with
    "could not determine a constructor for the tag 'tag:yaml.org,2002:merge'"."""
    text = LAB.read_text().replace("    leaf1:\n      kind: srl\n", "    leaf1: &srl\n      kind: srl\n")
    text = text.replace("    leaf2:\n      kind: srl\n", "    leaf2:\n      <<: *srl\n")
    topo = load_topology(_lab_copy(tmp_path, text))
    assert topo.nodes["leaf2"].kind == "srl"
    # the node's own key wins over the merged one
    assert topo.nodes["leaf2"].startup_config == (LAB.parent / "configs" / "leaf2.cfg").resolve()
    dup = _lab_copy(tmp_path, text.replace("      <<: *srl\n", "      <<: *srl\n      kind: srl\n      kind: srl\n"), "d.clab.yml")
    with pytest.raises(TopologyError, match="duplicate key 'kind'"):
        load_topology(dup)


def test_unique_key_loader_reads_as_yaml_does_and_names_every_repeated_key() -> None:
    """The loader builds a mapping once and counts its keys (it built every key twice, doubling
    a large inventory's parse): the same data as PyYAML's loader, and a repeat at any depth,
    a repeat of equal keys spelled differently and a list as a key still named."""
    import yaml

    from nornir_evpn.topology import UniqueKeyLoader

    text = LAB.read_text()
    assert yaml.load(text, Loader=UniqueKeyLoader) == yaml.safe_load(text)
    for doc, message in (
        ("a:\n  b:\n    c: 1\n    c: 2\n", "duplicate key 'c'"),
        ("1: x\n1.0: y\n", "duplicate key 1.0"),
        ("a:\n  ? [1]\n  : 2\n", "a mapping key must be a scalar"),
        ("? {k: 1}\n: 2\n", "a mapping key must be a scalar"),
    ):
        with pytest.raises(yaml.constructor.ConstructorError, match=message):
            yaml.load(doc, Loader=UniqueKeyLoader)


def test_group_and_kind_lists_join_the_nodes_as_containerlab_does(tmp_path: Path) -> None:
    """containerlab runs the defaults', the kind's, the group's and the node's `exec` lines,
    in that order, and merges `binds` by their path in the node. Only the node's were kept:
    a bond made by the group was "no bond", and a script in a directory the group binds was
    never read (ce2 lost its addresses and MACs)."""
    from nornir_evpn.intent import derive_intent

    original = load_topology(PUBLISHED)
    text = PUBLISHED.read_text()
    ce1 = original.nodes["ce1"].exec_lines
    # ce1's bond lines in a group, its address on the node
    assert ce1[2].startswith("ip addr add")
    lines = "".join(f"        - {line}\n" for line in ce1[:2] + ce1[3:])
    head = text.index("    ce1:\n")
    end = text.index("    ce2:\n")
    text = (text[:head] + f"    ce1:\n      kind: linux\n      group: bonded\n      exec:\n        - {ce1[2]}\n"
            + text[end:])
    text = text.replace("  nodes:\n", f"  groups:\n    bonded:\n      exec:\n{lines}  nodes:\n", 1)
    published = PUBLISHED.parent
    for item in ("configs",):
        (tmp_path / item).symlink_to(published / item)
    path = tmp_path / "g.clab.yml"
    path.write_text(text)
    topo = load_topology(path)
    assert topo.nodes["ce1"].exec_lines == ce1[:2] + ce1[3:] + [ce1[2]]
    assert derive_intent(topo).ethernet_segments == derive_intent(original).ethernet_segments
    # a directory bound by the kind, a file by the node: both are mounted
    text2 = PUBLISHED.read_text()
    assert "configs/ce2-config.sh:/ce2-config.sh" in text2
    text2 = text2.replace("configs/ce2-config.sh:/ce2-config.sh", "configs/motd:/etc/motd")
    text2 = text2.replace("bash /ce2-config.sh", "bash /configs/ce2-config.sh")
    text2 = text2.replace("    linux:\n", "    linux:\n      binds:\n        - configs:/configs\n", 1)
    path2 = tmp_path / "b.clab.yml"
    path2.write_text(text2)
    assert load_topology(path2).nodes["ce2"].exec_lines == original.nodes["ce2"].exec_lines


def test_magic_variables_and_startup_config_forms(tmp_path: Path) -> None:
    """`__clabNodeName__` (a startup config per node from the defaults), an embedded config
    (`startup-config: |`) and a URL: twin up said "file not found" for each."""
    text = LAB.read_text()
    for n in ("leaf1", "leaf2", "leaf3", "spine1"):
        text = text.replace(f"      startup-config: configs/{n}.cfg\n", "")
    text = text.replace("topology:\n", "topology:\n  defaults:\n    startup-config: configs/__clabNodeName__.cfg\n", 1)
    topo = load_topology(_lab_copy(tmp_path, text))
    assert topo.nodes["leaf3"].startup_config == (LAB.parent / "configs" / "leaf3.cfg").resolve()
    assert topo.nodes["spine1"].startup_text() == (LAB.parent / "configs" / "spine1.cfg").read_text()
    embedded = LAB.read_text().replace(
        "      startup-config: configs/spine1.cfg\n",
        "      startup-config: |\n        set / system name host-name spine1\n        set / interface system0 admin-state enable\n")
    spine = load_topology(_lab_copy(tmp_path, embedded, "e.clab.yml")).nodes["spine1"]
    assert spine.startup_text() == "set / system name host-name spine1\nset / interface system0 admin-state enable\n"
    url = LAB.read_text().replace("configs/spine1.cfg", "https://example.com/spine1.cfg")
    spine = load_topology(_lab_copy(tmp_path, url, "u.clab.yml")).nodes["spine1"]
    with pytest.raises(TopologyError, match=r"spine1: startup-config https://example.com/spine1.cfg is a URL: "
                                            "the twin reads local files only"):
        spine.startup_text()


def test_git_variables_in_the_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """containerlab names the lab after the branch and commit holding the topology; the
    literal `__gitBranch__` went into every host name."""
    import os

    # this test's own git runs and the loader must not see a GIT_DIR / GIT_INDEX_FILE of the
    # caller's (a pre-commit hook's): the test committed into that repository
    for name in [k for k in os.environ if k.startswith("GIT_")]:
        monkeypatch.delenv(name)
    text = LAB.read_text().replace("name: evpn-mh01", "name: evpn-__gitBranch__-__gitHash__")
    assert load_topology(_lab_copy(tmp_path, text)).name == "evpn-none-none"  # not in a repository
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q", "-b", "feature/x"], check=True)
    subprocess.run([*git, "commit", "-q", "--allow-empty", "-m", "x"], check=True)
    commit = subprocess.run([*git, "rev-parse", "--short=7", "HEAD"], check=True, capture_output=True,
                            text=True).stdout.strip()
    assert load_topology(tmp_path / "t.clab.yml").name == f"evpn-feature-x-{commit}"
    # containerlab opens <topology dir>/.git only: in a subdirectory of the repository, `none`
    (tmp_path / "labs").mkdir()
    assert load_topology(_lab_copy(tmp_path / "labs", text)).name == "evpn-none-none"
    # a repository with no commit yet: the branch HEAD names, no commit
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    subprocess.run(["git", "-C", str(fresh), "init", "-q", "-b", "main"], check=True)
    assert load_topology(_lab_copy(fresh, text)).name == "evpn-main-none"
    # a linked worktree (`.git` a file): containerlab's go-git resolves no HEAD there
    subprocess.run([*git, "worktree", "add", "-q", "-b", "wt", str(tmp_path / "wt")], check=True)
    assert load_topology(_lab_copy(tmp_path / "wt", text)).name == "evpn-wt-none"
    # a GIT_DIR in the environment (a hook's) names another repository: not the lab's
    other = _lab_copy(tmp_path / "labs", text, "o.clab.yml")
    monkeypatch.setenv("GIT_DIR", str(tmp_path / ".git"))
    assert load_topology(other).name == "evpn-none-none"


def test_an_endpoints_mac_is_the_ces_port_mac(tmp_path: Path) -> None:
    """containerlab gives a port the `mac` of its extended endpoint before `exec` runs: a CE
    pinned that way had no MAC in the intent (verify: "the topology gives no MAC", its MAC
    checks skipped) and another on the twin. An `exec` MAC still wins; a bond's MAC is its own."""
    from nornir_evpn.checks.mac import ces_without_mac
    from nornir_evpn.intent import derive_intent
    from nornir_evpn.twin.fabric_ce import parse_ce

    text = LAB.read_text().replace("        - ip link set address 00:c1:ab:00:00:21 dev eth1\n", "")
    text = text.replace('    - endpoints: ["ce2:eth1", "leaf3:e1-1"]\n',
                        "    - type: veth\n      endpoints:\n"
                        "        - {node: ce2, interface: eth1, mac: '00:C1:AB:00:00:21'}\n"
                        "        - {node: leaf3, interface: e1-1}\n")
    text = text.replace('    - endpoints: ["ce2:eth2", "leaf3:e1-2"]\n',  # exec's 00:c1:ab:00:00:22 wins
                        "    - type: veth\n      endpoints:\n"
                        "        - {node: ce2, interface: eth2, mac: '02:00:00:00:00:99'}\n"
                        "        - {node: leaf3, interface: e1-2}\n")
    topo = load_topology(_lab_copy(tmp_path, text))
    brief = derive_intent(load_topology(LAB))
    fabric = derive_intent(topo)
    assert fabric.nodes["leaf3"].access == brief.nodes["leaf3"].access
    assert fabric.ces["ce2"].interfaces["eth1"].mac == "00:c1:ab:00:00:21"
    twin_ce = parse_ce("ce2", topo.nodes["ce2"].exec_lines)
    assert (twin_ce.interfaces["eth1"].mac, twin_ce.interfaces["eth2"].mac) == ("00:C1:AB:00:00:21", "00:C1:AB:00:00:22")
    # ce1's ports pinned, its bond not: its MAC (the bond's) is still unknown, and said so
    bond = LAB.read_text().replace("        - ip link set address 00:c1:ab:00:00:11 dev bond0\n", "")
    bond = bond.replace('    - endpoints: ["ce1:eth1", "leaf1:e1-1"]\n',
                        "    - type: veth\n      endpoints:\n"
                        "        - {node: ce1, interface: eth1, mac: '00:c1:ab:00:00:91'}\n"
                        "        - {node: leaf1, interface: e1-1}\n")
    assert ces_without_mac(derive_intent(load_topology(_lab_copy(tmp_path, bond, "b.clab.yml")))) == ["ce1"]
    bad = _lab_copy(tmp_path, text.replace("'00:C1:AB:00:00:21'", "'00:C1:AB:00:00'"), "x.clab.yml")
    with pytest.raises(TopologyError, match=r"links\[5\]\.endpoints\[0\]\.mac' has invalid MAC '00:C1:AB:00:00'"):
        load_topology(bad)


def test_extended_links_and_links_to_the_outside(tmp_path: Path) -> None:
    """containerlab's extended link form (`type: veth`, endpoints as mappings) is the same
    fabric as the brief one; links to the host or the management network, a `mgmt` subnet
    `auto`, and link addresses are taken with a note, not refused."""
    brief = load_topology(LAB)
    text = LAB.read_text().replace("ipv4-subnet: 172.20.20.0/24", "ipv4-subnet: auto")
    text = text.replace('    - endpoints: ["leaf1:e1-49", "spine1:e1-1"]\n',
                        "    - type: veth\n      endpoints:\n        - {node: leaf1, interface: ethernet-1/49}\n"
                        "        - {node: spine1, interface: e1-1, ipv4: 10.1.1.1/31}\n"
                        '    - endpoints: ["leaf3:e1-10", "host:leaf3-e1-10"]\n'
                        "    - type: mgmt-net\n      endpoint: {node: leaf2, interface: e1-11}\n      host-interface: l2e11\n")
    assert text != LAB.read_text()
    topo = load_topology(_lab_copy(tmp_path, text))
    assert topo.links == brief.links and topo.mgmt_subnet is None
    assert topo.notes == [
        "links[1] (leaf3:e1-10, host:leaf3-e1-10), links[2] (mgmt-net): link(s) to the outside of the lab, left out",
        "links[0]: the link addresses the topology gives (ipv4/ipv6) are not used: the intent derives the "
        "fabric's own, and containerlab's stay on the device beside them: remove them from the topology",
    ]
    bad = _lab_copy(tmp_path, text.replace("type: veth", "type: vethx"), "b.clab.yml")
    with pytest.raises(TopologyError, match=r"links\[0\]\.type' has unsupported link type 'vethx'"):
        load_topology(bad)


def test_a_ce_endpoint_address_is_not_called_a_fabric_address_to_remove(tmp_path: Path) -> None:
    """An `ipv4` on a CE's extended endpoint may be that CE's only address: the note told to
    remove it as one of the fabric's, and the CE then had none the tool knew (hardware
    tester). Its own note says where the tool reads a CE's addresses."""
    text = LAB.read_text().replace('    - endpoints: ["ce1:eth1", "leaf1:e1-1"]\n',
                                   "    - type: veth\n      endpoints:\n"
                                   "        - {node: ce1, interface: eth1, ipv4: 192.168.0.99/24}\n"
                                   "        - {node: leaf1, interface: e1-1}\n")
    assert text != LAB.read_text()
    notes = load_topology(_lab_copy(tmp_path, text)).notes
    assert len(notes) == 1 and notes[0].startswith("links[")
    assert "(ce1): a CE's addresses are read from its exec commands (`ip addr add ADDR dev IF`)" in notes[0]
    assert "remove them from the topology" not in notes[0]
