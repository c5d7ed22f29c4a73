"""A mac-vrf RD set by hand (a fabric built before this tool): `data.route_distinguisher`.

The checks counted a leaf's routes by the RD SR Linux derives (`<system-ip>:<evi>`): on a
fabric whose leaves carry RDs of their own, every other leaf's RT1/RT3 were "not received"
and verify failed a healthy fabric (a left-out item of several stops). The intent now takes
the RD over; configure renders it, the twin advertises it, the checks count by it.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from nornir_evpn.checks import evaluate
from nornir_evpn.cli import main
from nornir_evpn.errors import UserInputError
from nornir_evpn.intent import derive_intent
from nornir_evpn.inventory import fabric_from_docs, load_inventory_docs
from nornir_evpn.parsers.evpn_summary import parse_evpn_summary
from nornir_evpn.render import Renderer
from nornir_evpn.topology import load_topology
from nornir_evpn.validation import check_route_distinguisher

ROOT = Path(__file__).resolve().parent.parent
INVENTORY = ROOT / "inventory"
LAB = INVENTORY / "evpn-mh01.clab.yml"
RDS = {"leaf1": "65001:111", "leaf2": "10.0.0.2:1111", "leaf3": "4200000003:111"}
SUMMARY = "show network-instance default protocols bgp routes evpn route-type summary"


@pytest.mark.parametrize("rd", ["65001:111", "10.0.0.1:111", "4200000001:111", "100:4294967295",
                                "1.2:3", "0.0.0.0:513", "65535:0"])
def test_route_distinguishers_sr_linux_takes(rd) -> None:
    assert check_route_distinguisher(rd, "route_distinguisher") == rd


@pytest.mark.parametrize("rd,why", [
    ("0:5", "0:* is not allowed"), ("0.0:1", "0:* is not allowed"),
    ("0.0.0.0:512", "reserved"),  # srl_nokia-bgp-vpn.yang's three `must`s
    ("10.0.0.256:1", "expected ASN:NN"), ("10.0.0.1:65536", "expected ASN:NN"),
    ("4200000001:65536", "expected ASN:NN"),  # a 4-byte AS leaves 2 bytes for the number
    ("65536.1:2", "expected ASN:NN"), ("1.2.3:4", "expected ASN:NN"), ("65001:011", "expected ASN:NN"),
    ("65001", "expected ASN:NN"), ("auto", "expected ASN:NN"), ("65001:111\n", "expected ASN:NN"),
    ("", "expected ASN:NN"),
])
def test_route_distinguishers_sr_linux_refuses(rd, why) -> None:
    with pytest.raises(ValueError, match=re.escape(why)):
        check_route_distinguisher(rd, "route_distinguisher")


def _docs(rds: dict[str, object]) -> dict:
    docs = copy.deepcopy(load_inventory_docs(INVENTORY))
    for host, rd in rds.items():
        docs["hosts"][host]["data"]["route_distinguisher"] = rd
    return docs


def test_the_inventory_carries_the_rds_into_the_intent() -> None:
    fabric = fabric_from_docs(_docs(RDS))
    assert {n.name: n.rd for n in fabric.leaves} == RDS
    # a leaf without one: the RD SR Linux derives
    assert fabric_from_docs(_docs({"leaf1": "65001:111"})).nodes["leaf2"].rd == "10.0.0.2:111"


@pytest.mark.parametrize("rds,message", [
    ({"leaf2": "65001:0111"}, "host leaf2: field 'route_distinguisher' has invalid route distinguisher '65001:0111'"),
    ({"leaf1": "65001:111", "leaf3": "65001:111"},
     "hosts leaf1 and leaf3: both mac-vrfs have route distinguisher '65001:111'"),
    # set to the one leaf1 derives: the same RD on two leaves all the same
    ({"leaf2": "10.0.0.1:111"}, "hosts leaf1 and leaf2: both mac-vrfs have route distinguisher '10.0.0.1:111'"),
    ({"spine1": "65001:111"}, "host spine1: field 'route_distinguisher' is set but the node has no mac_vrf"),
    # a CE's was ignored without a word
    ({"ce1": "65001:111"}, "host ce1: data.route_distinguisher is a leaf's setting; ce1 is a ce (move it to the leaf "
                           "it is for)"),
    ({"leaf1": "65001:111;commit"}, "host leaf1:"),
])
def test_a_bad_or_shared_rd_is_refused_in_one_line(rds, message) -> None:
    with pytest.raises(UserInputError) as err:  # exit 2 in the CLI, before any connection
        fabric_from_docs(_docs(rds))
    assert str(err.value).startswith(message) and "\n" not in str(err.value), err.value



def test_an_rd_yaml_read_as_a_number_says_to_quote_it(tmp_path) -> None:
    """`route_distinguisher: 65001:11` unquoted is YAML 1.1's base-60 integer 3900071: the
    error said "Input should be a valid string", not why."""
    inv = tmp_path / "inventory"
    shutil.copytree(INVENTORY, inv)
    hosts = inv / "hosts.yaml"
    hosts.write_text(hosts.read_text().replace("    name: leaf1\n", "    name: leaf1\n    route_distinguisher: 65001:11\n", 1))
    with pytest.raises(UserInputError) as err:
        fabric_from_docs(load_inventory_docs(inv))
    assert str(err.value).endswith("'nodes.leaf1.route_distinguisher': read as the number 3900071: YAML reads an "
                                   'unquoted A:B whose B is below 60 in base 60; quote it (route_distinguisher: '
                                   '"65001:11")'), err.value

def test_configure_renders_the_rd_only_where_set() -> None:
    fabric = fabric_from_docs(_docs({"leaf1": "65001:111"}))
    line = "set / network-instance mac-vrf-1 protocols bgp-vpn bgp-instance 1 route-distinguisher rd 65001:111"
    renderer = Renderer()
    assert line in renderer.render(fabric.nodes["leaf1"], fabric, ["mac_vrf"])["mac_vrf"]
    assert not any("route-distinguisher" in x for x in renderer.render(fabric.nodes["leaf2"], fabric, ["mac_vrf"])["mac_vrf"])


fabric_lab = pytest.importorskip("nornir_evpn.twin.fabric_lab")
show_render = pytest.importorskip("nornir_evpn.twin.show_render")


def _lab_with_rds():
    """The tutorial's lab, multi-homed, each leaf's mac-vrf with the RD of `RDS` set by hand."""
    fabric, running = fabric_lab.boot_lab()
    for leaf in ("leaf1", "leaf2", "leaf3"):
        lines = fabric_lab.MH_CONFIG if leaf != "leaf3" else ""
        lines += ("set / network-instance mac-vrf-1 protocols bgp-vpn bgp-instance 1 "
                  f"route-distinguisher rd {RDS[leaf]}\n")
        running[leaf] = fabric_lab.with_lines(running[leaf], lines)
        fabric.on_commit(leaf, running[leaf])
    for ip in ("192.168.0.21", "192.168.0.22", "192.168.0.23"):
        fabric.probe("ce1", ip)
    return fabric, show_render.FabricShow(fabric)


def _results(intent, show, node: str, checks: list[str]) -> dict:
    from nornir_evpn.checks import commands_for
    outputs = {c: show.show(node, c) for c in commands_for(intent, node)}
    return {r.check: r for r in evaluate(intent, node, outputs, checks=checks)}


def test_the_twin_advertises_an_rd_set_by_hand() -> None:
    _, show = _lab_with_rds()
    routes = parse_evpn_summary(show.show("leaf3", SUMMARY)).routes  # a wide RD wraps its cell
    assert {(t, r.rd) for t in (1, 2, 3) for r in routes.of_type(t)} == {
        (1, "65001:111"), (1, "10.0.0.2:1111"), (2, "65001:111"), (2, "10.0.0.2:1111"),
        (3, "65001:111"), (3, "10.0.0.2:1111")}


def test_verify_counts_each_leafs_routes_by_its_own_rd() -> None:
    _, show = _lab_with_rds()
    told = fabric_from_docs(_docs(RDS))
    r = _results(told, show, "leaf3", ["evpn.received", "evpn.advertised"])
    assert r["evpn.received"].ok, r["evpn.received"].detail
    assert r["evpn.received"].observed == {"mac-vrf-1 RT1": 4, "mac-vrf-1 RT3": 2, "mac-vrf-1 RT4": 0}
    assert r["evpn.advertised"].ok, r["evpn.advertised"].detail
    for leaf in ("leaf1", "leaf2"):
        got = _results(told, show, leaf, ["evpn.received", "evpn.advertised"])
        assert all(x.ok for x in got.values()), {k: x.detail for k, x in got.items()}
    # the intent without them: leaf3 receives leaf1's and leaf2's routes all the same, and
    # cannot tell them from another mac-vrf's (what verify said before, on every leaf)
    blind = derive_intent(load_topology(LAB))
    r = _results(blind, show, "leaf3", ["evpn.received"])
    assert not r["evpn.received"].ok and r["evpn.received"].observed["mac-vrf-1 RT3"] == 0


def test_an_rd_the_device_does_not_use_fails_advertised() -> None:
    """The intent says 65009:111 for leaf1, leaf1 advertises 65001:111: not the intent's
    routes (the one-RD guess for an RD the intent does not know is not made for one it does)."""
    _, show = _lab_with_rds()
    told = fabric_from_docs(_docs({**RDS, "leaf1": "65009:111"}))
    r = _results(told, show, "leaf1", ["evpn.advertised"])["evpn.advertised"]
    assert not r.ok and r.observed["to 10.0.0.2 RT3"] == 0, r.detail


def test_configure_then_verify_on_the_twin(tmp_path, capsys) -> None:
    """The CLI: RDs in hosts.yaml, configure commits them, verify passes."""
    from nornir_evpn.twin.runtime import Twin

    inventory = tmp_path / "inventory"
    shutil.copytree(INVENTORY, inventory, ignore=shutil.ignore_patterns("*.clab.yml"))
    shutil.copy(LAB, inventory / LAB.name)
    hosts = yaml.safe_load((inventory / "hosts.yaml").read_text())
    for leaf, rd in RDS.items():
        hosts[leaf]["data"]["route_distinguisher"] = rd
    (inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    with Twin(LAB) as twin:
        fabric_lab.attach(twin)
        state = tmp_path / "twin.json"
        twin.state().write(state)
        args = ["--twin", "--twin-state", str(state), "--inventory", str(inventory), "--json"]
        assert main(["configure", *args]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert "insert / network-instance mac-vrf-1 protocols bgp-vpn bgp-instance 1 route-distinguisher rd 65001:111" in doc["hosts"]["leaf1"]["diff"]
        for ip in ("192.168.0.21", "192.168.0.22", "192.168.0.23"):
            twin.fabric.probe("ce1", ip)
        assert main(["verify", *args]) == 0
        doc = json.loads(capsys.readouterr().out)
        assert doc["ok"] and doc["summary"]["checks_failed"] == 0, doc["summary"]
        leaf3 = {c["name"]: c for c in doc["hosts"]["leaf3"]["checks"]}
        assert leaf3["evpn.received"]["observed"]["mac-vrf-1 RT3"] == 2


def test_writing_the_inventory_again_keeps_a_leafs_rd(tmp_path, capsys) -> None:
    """It was dropped without a word: configure saw nothing to change and verify failed every
    other leaf's evpn.received, with no hint that an RD was involved (regression tester)."""
    inv = tmp_path / "inv"
    assert main(["inventory", "--topology", str(LAB), "--out", str(inv)]) == 0
    hosts = yaml.safe_load((inv / "hosts.yaml").read_text())
    hosts["leaf1"]["data"]["route_distinguisher"] = "65001:111"
    hosts["ce1"]["data"]["route_distinguisher"] = "65009:1"  # not a leaf: not carried
    (inv / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    capsys.readouterr()
    assert main(["inventory", "--topology", str(LAB), "--out", str(inv)]) == 0
    again = yaml.safe_load((inv / "hosts.yaml").read_text())
    assert again["leaf1"]["data"]["route_distinguisher"] == "65001:111"
    assert "route_distinguisher" not in again["leaf2"]["data"]
    assert "note: kept your host data: leaf1 route_distinguisher" in capsys.readouterr().err
