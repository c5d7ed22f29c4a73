"""Inventory: generated files round-trip through InitNornir; the plugin builds the same."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from nornir import InitNornir
from nornir.core.filter import F

from nornir_evpn import session
from nornir_evpn.errors import InventoryError
from nornir_evpn.intent import derive_intent
from nornir_evpn.inventory import (
    build_inventory,
    fabric_from_nornir,
    load_inventory_docs,
    write_inventory,
)
from nornir_evpn.topology import load_topology

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "inventory" / "evpn-mh01.clab.yml"


def _simple(inv_dir: Path):
    return InitNornir(
        inventory={"plugin": "SimpleInventory", "options": {
            "host_file": str(inv_dir / "hosts.yaml"), "group_file": str(inv_dir / "groups.yaml"),
            "defaults_file": str(inv_dir / "defaults.yaml")}},
        logging={"enabled": False},
    )


def test_generated_inventory_round_trips_through_initnornir(tmp_path: Path) -> None:
    topo = load_topology(LAB)
    fabric = derive_intent(topo)
    write_inventory(build_inventory(topo, fabric), tmp_path)
    nr = _simple(tmp_path)
    hosts = nr.inventory.hosts
    assert sorted(hosts) == ["ce1", "ce2", "leaf1", "leaf2", "leaf3", "spine1"]
    leaf1 = hosts["leaf1"]
    assert leaf1.hostname == "clab-evpn-mh01-leaf1"
    assert leaf1.platform == "nokia_srlinux"
    assert [g.name for g in leaf1.groups] == ["srl", "leaf"]
    assert [g.name for g in hosts["spine1"].groups] == ["srl", "spine"]
    assert [g.name for g in hosts["ce1"].groups] == ["ce"]
    assert leaf1.data["system_ip"] == "10.0.0.1" and leaf1.data["asn"] == 101
    assert leaf1["ethernet_segments"] == ["ES-1"]
    assert leaf1.get_connection_parameters("scrapli").platform == "nokia_srlinux"
    assert leaf1.username == "admin"
    assert fabric_from_nornir(nr) == fabric
    # the committed inventory is the generator's current output
    for name in ("hosts.yaml", "groups.yaml", "defaults.yaml"):
        assert (tmp_path / name).read_text() == (ROOT / "inventory" / name).read_text()


def test_no_secret_in_generated_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NORNIR_EVPN_PASSWORD", "S3cret-unique-4711")
    proc = subprocess.run(
        [sys.executable, "-m", "nornir_evpn", "inventory", "--topology", str(LAB), "--out", str(tmp_path)],
        capture_output=True, text=True, check=True,
    )
    blob = proc.stdout + proc.stderr + "".join(p.read_text() for p in tmp_path.iterdir())
    assert "S3cret-unique-4711" not in blob
    assert "NokiaSrl1" not in blob
    assert "password:" not in blob.lower()


def test_a_runbook_s_unknown_overlay_mode_is_one_line() -> None:
    """A typo in the plugin's options (`route_reflector`) was pydantic's multi-line dump
    from deep inside FabricIntent; it is an IntentError naming the value and the choices."""
    from nornir_evpn.errors import IntentError

    with pytest.raises(IntentError) as err:
        InitNornir(inventory={"plugin": "ContainerlabInventory",
                              "options": {"topology_file": str(LAB), "overlay_mode": "route_reflector"}},
                   logging={"enabled": False})
    assert str(err.value) == "overlay mode 'route_reflector': expected one of full-mesh, route-reflector"


def test_inventory_plugin_builds_the_same_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NORNIR_EVPN_PASSWORD", "from-env")
    nr = InitNornir(
        inventory={"plugin": "ContainerlabInventory", "options": {"topology_file": str(LAB)}},
        logging={"enabled": False},
    )
    leaf2 = nr.inventory.hosts["leaf2"]
    assert leaf2.hostname == "clab-evpn-mh01-leaf2"
    assert leaf2.password == "from-env"
    assert leaf2.data["underlay"][0]["ip"] == "192.168.12.1/30"
    assert sorted(nr.inventory.groups) == ["ce", "leaf", "spine", "srl"]
    assert fabric_from_nornir(nr).ethernet_segments["ES-1"].peers == ["leaf1", "leaf2"]
    # SR Linux sessions open/close with the lighter callables; other settings kept
    extras = leaf2.get_connection_parameters("scrapli").extras
    assert extras["on_open"] is session.on_open and extras["on_close"] is session.on_close
    assert extras["transport"] == session.transport("ssh2")  # paramiko where ssh2-python is not
    ce = nr.inventory.hosts["ce1"].get_connection_parameters("scrapli").extras or {}
    assert "on_open" not in ce  # not an SR Linux host


def test_host_edits_reach_the_fabric(tmp_path: Path) -> None:
    topo = load_topology(LAB)
    docs = build_inventory(topo, derive_intent(topo))
    docs["hosts"]["leaf1"]["data"]["asn"] = 65001
    write_inventory(docs, tmp_path)
    fabric = fabric_from_nornir(_simple(tmp_path))
    assert fabric.nodes["leaf1"].asn == 65001


def test_a_vni_edited_in_one_place_only_is_refused(tmp_path: Path) -> None:
    """defaults.yaml's fabric.mac_vrf was read by nothing: a VNI edited there left configure
    with nothing to change and verify passing. Edited in both places it reaches the leaves."""
    topo = load_topology(LAB)
    docs = build_inventory(topo, derive_intent(topo))
    docs["defaults"]["data"]["fabric"]["mac_vrf"]["vni"] = 5
    write_inventory(docs, tmp_path)
    with pytest.raises(InventoryError) as err:
        fabric_from_nornir(_simple(tmp_path))
    assert str(err.value) == ("host leaf1: data.mac_vrf.vni is 1 but defaults data.fabric.mac_vrf.vni "
                              "is 5: the fabric has one mac-vrf, set both alike")
    for leaf in ("leaf1", "leaf2", "leaf3"):
        docs["hosts"][leaf]["data"]["mac_vrf"]["vni"] = 5
    write_inventory(docs, tmp_path)
    assert {n.mac_vrf.vni for n in fabric_from_nornir(_simple(tmp_path)).nodes.values() if n.mac_vrf} == {5}


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: (d / "hosts.yaml").write_text("leaf1:\n  hostname: a\nleaf1:\n  hostname: b\n"), "duplicate key 'leaf1'"),
        (lambda d: (d / "hosts.yaml").write_text("leaf9:\n  hostname: a\n"), "host 'leaf9' has no platform"),
    ],
)
def test_bad_inventories(tmp_path: Path, mutate, message: str) -> None:
    inv = tmp_path / "inv"
    topo = load_topology(LAB)
    write_inventory(build_inventory(topo, derive_intent(topo)), inv)
    mutate(inv)
    with pytest.raises(InventoryError) as err:
        load_inventory_docs(inv)
    assert message in str(err.value)


def test_missing_inventory_directory(tmp_path: Path) -> None:
    with pytest.raises(InventoryError) as err:
        load_inventory_docs(tmp_path / "nope")
    assert str(err.value) == f"{tmp_path / 'nope'}: inventory directory not found"


def test_bad_host_data_is_one_line(tmp_path: Path) -> None:
    topo = load_topology(LAB)
    docs = build_inventory(topo, derive_intent(topo))
    docs["hosts"]["leaf1"]["data"]["asn"] = "not-a-number"
    write_inventory(docs, tmp_path)
    from nornir_evpn.inventory import fabric_from_docs

    with pytest.raises(InventoryError) as err:
        fabric_from_docs(load_inventory_docs(tmp_path), source=str(tmp_path))
    assert "nodes.leaf1.asn" in str(err.value)
    assert "\n" not in str(err.value)


def test_a_mac_vrf_ecmp_above_8_is_refused_before_any_device(tmp_path: Path) -> None:
    """SR Linux keeps a mac-vrf's ecmp at 1..8 (a 24.x box refuses 16 only at commit)."""
    topo = load_topology(LAB)
    docs = build_inventory(topo, derive_intent(topo))
    docs["hosts"]["leaf1"]["data"]["mac_vrf"]["ecmp"] = 16
    write_inventory(docs, tmp_path)
    from nornir_evpn.inventory import fabric_from_docs

    with pytest.raises(InventoryError) as err:
        fabric_from_docs(load_inventory_docs(tmp_path), source=str(tmp_path))
    assert "ecmp" in str(err.value) and "8" in str(err.value) and "\n" not in str(err.value)


def test_yaml_has_no_python_tags() -> None:
    text = (ROOT / "inventory" / "hosts.yaml").read_text()
    assert "!!python" not in text
    assert yaml.safe_load(text)["leaf3"]["data"]["access"][0]["interface"] == "ethernet-1/1"


def test_deployed_lab_addresses_win(tmp_path: Path) -> None:
    """A deployed lab's topology-data.json gives the real management IPs."""
    import json
    import shutil

    shutil.copytree(LAB.parent / "configs", tmp_path / "configs")
    topo_file = tmp_path / "evpn-mh01.clab.yml"
    topo_file.write_text(LAB.read_text())
    lab_dir = tmp_path / "clab-evpn-mh01"
    lab_dir.mkdir()
    (lab_dir / "topology-data.json").write_text(json.dumps({
        "name": "evpn-mh01",
        "nodes": {
            "leaf1": {"longname": "clab-evpn-mh01-leaf1", "kind": "srl", "mgmt-ipv4-address": "172.20.20.4"},
            "ce1": {"longname": "clab-evpn-mh01-ce1", "kind": "linux", "mgmt-ipv4-address": "172.20.20.2"},
        },
    }))
    topo = load_topology(topo_file)
    hosts = build_inventory(topo, derive_intent(topo))["hosts"]
    assert hosts["leaf1"]["hostname"] == "172.20.20.4"
    assert hosts["ce1"]["hostname"] == "172.20.20.2"
    assert hosts["leaf2"]["hostname"] == "clab-evpn-mh01-leaf2"


@pytest.mark.parametrize(("prefix", "leaf1", "ce1"), [
    (None, "clab-evpn-mh01-leaf1", "clab-evpn-mh01-ce1"),
    ("", "clab-evpn-mh01-leaf1", "clab-evpn-mh01-ce1"),  # `prefix:` with no value is the default
    ("lab", "lab-evpn-mh01-leaf1", "lab-evpn-mh01-ce1"),
    ('""', "leaf1", "ce1"),
    ("__lab-name", "evpn-mh01-leaf1", "evpn-mh01-ce1"),
])
def test_containerlab_prefix_names_the_containers(tmp_path: Path, prefix, leaf1, ce1) -> None:
    """Hosts are reached (and CE pings run with docker exec) by the container names
    containerlab gives them, which follow the topology's `prefix`."""
    from nornir_evpn.topology import container_name

    text = LAB.read_text()
    if prefix is not None:
        text = text.replace("name: evpn-mh01\n", f"name: evpn-mh01\nprefix: {prefix}\n", 1)
    (tmp_path / "configs").symlink_to(LAB.parent / "configs")
    topo = load_topology(_write_text(tmp_path / "t.clab.yml", text))
    docs = build_inventory(topo, derive_intent(topo))
    assert docs["hosts"]["leaf1"]["hostname"] == leaf1 and docs["hosts"]["ce1"]["hostname"] == ce1
    assert container_name(docs["defaults"]["data"]["clab_prefix"], "evpn-mh01", "ce1") == ce1


def _write_text(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_a_password_in_defaults_yaml_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    """It was dropped for the lab default, which every device was then offered."""
    from nornir_evpn import platform
    from nornir_evpn.inventory import password

    docs = {"defaults": {"password": "from-defaults"}}
    monkeypatch.delenv(platform.DEFAULT_PASSWORD_ENV, raising=False)
    assert password(docs) == "from-defaults"
    assert password({"defaults": {}}) == password() == platform.LAB_DEFAULT_PASSWORD
    monkeypatch.setenv(platform.DEFAULT_PASSWORD_ENV, "from-env")
    assert password(docs) == "from-env"


def test_twin_endpoints_drop_the_inventorys_passwords(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A lab inventory's password is for the real devices; the twin takes its own."""
    import json

    from nornir_evpn.commands.common import apply_twin_endpoints
    from nornir_evpn.inventory import load_inventory_docs, password
    from nornir_evpn.twin.state import process_start

    monkeypatch.delenv("NORNIR_EVPN_PASSWORD", raising=False)
    docs = load_inventory_docs(ROOT / "inventory")
    docs["defaults"]["password"] = "lab-devices"
    docs["groups"]["srl"]["password"] = "lab-group"
    docs["hosts"]["leaf1"]["password"] = "lab-host"
    state = tmp_path / "twin.json"
    state.write_text(json.dumps({"pid": os.getpid(), "pid_start": process_start(os.getpid()),
                                 "topology": "t", "lab": "evpn-mh01", "username": "admin",
                                 "nodes": {n: {"host": "127.0.0.1", "port": 1000 + i}
                                           for i, n in enumerate(docs["hosts"])}}))
    for name in ("twin.json.known_hosts", "twin.json.known_hosts.scrapli"):  # as `twin up` leaves them
        (tmp_path / name).write_text("")
    docs = apply_twin_endpoints(docs, state)
    assert "password" not in docs["defaults"] and "password" not in docs["groups"]["srl"]
    assert "password" not in docs["hosts"]["leaf1"]
    assert password(docs) == "NokiaSrl1!"


def test_a_role_given_by_a_group_counts_in_the_cli_and_in_runbooks(tmp_path: Path) -> None:
    """`role: leaf` set once in groups.yaml, not per host, is how Nornir inventories are
    written: the CLI refused it ("in group 'leaf' but data.role is None") and
    fabric_from_nornir dropped every such host without a word (an empty intent)."""
    from nornir import InitNornir

    from nornir_evpn.inventory import fabric_from_docs, fabric_from_nornir

    topo = load_topology(LAB)
    docs = build_inventory(topo, derive_intent(topo))
    for host in docs["hosts"].values():
        del host["data"]["role"]
    write_inventory(docs, tmp_path)
    from_docs = fabric_from_docs(load_inventory_docs(tmp_path), source=str(tmp_path))
    assert sorted(from_docs.nodes) == ["leaf1", "leaf2", "leaf3", "spine1"]
    assert sorted(from_docs.ces) == ["ce1", "ce2"]
    nr = InitNornir(inventory={"plugin": "SimpleInventory", "options": {
        "host_file": str(tmp_path / "hosts.yaml"), "group_file": str(tmp_path / "groups.yaml"),
        "defaults_file": str(tmp_path / "defaults.yaml")}}, logging={"enabled": False})
    from_nornir = fabric_from_nornir(nr)
    assert from_nornir == from_docs
    assert from_nornir.nodes["spine1"].role == "spine"
    # configure renders every host before connecting: it read host.data alone and refused
    from nornir_evpn.commands.configure import preflight
    from nornir_evpn.render import FEATURES, Renderer

    preflight(nr.filter(F(groups__contains="srl")), from_nornir, Renderer(), FEATURES)


def test_a_group_cycle_is_one_line(tmp_path: Path) -> None:
    """leaf: groups [loopy], loopy: groups [leaf] was a RecursionError traceback."""
    from nornir_evpn.inventory import fabric_from_docs

    topo = load_topology(LAB)
    docs = build_inventory(topo, derive_intent(topo))
    docs["groups"]["leaf"]["groups"] = ["loopy"]
    docs["groups"]["loopy"] = {"groups": ["leaf"]}
    write_inventory(docs, tmp_path)
    with pytest.raises(InventoryError) as err:
        fabric_from_docs(load_inventory_docs(tmp_path), source=str(tmp_path))
    assert str(err.value) == "groups.yaml: group cycle leaf -> loopy -> leaf"


def test_ipv6_management_addresses_become_hostnames(tmp_path: Path) -> None:
    """An IPv6-only management network (containerlab leaves mgmt-ipv4-address empty) and a
    node's own `mgmt-ipv6` gave container names, which resolve only on the lab host."""
    import json
    import shutil

    from nornir_evpn.errors import TopologyError

    shutil.copytree(LAB.parent / "configs", tmp_path / "configs")
    doc = yaml.safe_load(LAB.read_text())
    doc["topology"]["nodes"]["leaf2"]["mgmt-ipv6"] = "3fff:172:20:20::12"
    topo_file = tmp_path / "evpn-mh01.clab.yml"
    topo_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    (tmp_path / "clab-evpn-mh01").mkdir()
    (tmp_path / "clab-evpn-mh01" / "topology-data.json").write_text(json.dumps({"nodes": {
        "leaf1": {"mgmt-ipv4-address": "", "mgmt-ipv6-address": "3fff:172:20:20::4"},
        "ce1": {"mgmt-ipv4-address": "172.20.20.2", "mgmt-ipv6-address": "3fff:172:20:20::2"}}}))
    topo = load_topology(topo_file)
    hosts = build_inventory(topo, derive_intent(topo))["hosts"]
    assert (hosts["leaf1"]["hostname"], hosts["ce1"]["hostname"], hosts["leaf2"]["hostname"],
            hosts["leaf3"]["hostname"]) == ("3fff:172:20:20::4", "172.20.20.2", "3fff:172:20:20::12",
                                            "clab-evpn-mh01-leaf3")
    doc["topology"]["nodes"]["leaf2"]["mgmt-ipv6"] = "172.20.20.12"
    topo_file.write_text(yaml.safe_dump(doc, sort_keys=False))
    with pytest.raises(TopologyError, match=r"leaf2\.mgmt-ipv6' has invalid IPv6 address '172\.20\.20\.12'"):
        load_topology(topo_file)


def test_writing_the_inventory_again_keeps_your_connection_settings(tmp_path: Path) -> None:
    """A topology change means writing the inventory again: it reset `transport: system`, a
    known_hosts file and a password in defaults.yaml to the generated ones, silently. Your
    edits (changed, added, deleted keys) are kept now; what you left alone follows the
    generator (the snapshot of what it wrote last time tells the two apart)."""
    out = tmp_path / "inv"
    cmd = [sys.executable, "-m", "nornir_evpn", "inventory", "--topology", str(LAB), "--out", str(out)]
    first = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert "kept" not in first.stderr and (out / ".generated-connection.yaml").is_file()
    groups = yaml.safe_load((out / "groups.yaml").read_text())
    extras = groups["srl"]["connection_options"]["scrapli"]["extras"]
    extras.update(transport="system", ssh_known_hosts_file="/etc/lab_known_hosts")
    del extras["auth_strict_key"]  # scrapli's default (true), on purpose
    groups["ce"]["username"] = "clab"
    (out / "groups.yaml").write_text(yaml.safe_dump(groups, sort_keys=False))
    defaults = yaml.safe_load((out / "defaults.yaml").read_text())
    (out / "defaults.yaml").write_text(yaml.safe_dump({**defaults, "password": "Secret-pw-1"}))
    # a default an older version generated and you left alone: the new one replaces it, and
    # one it no longer generates goes (review: it stayed, named as yours)
    snapshot = yaml.safe_load((out / ".generated-connection.yaml").read_text())
    for doc in (snapshot["groups"]["srl"], groups["srl"]):
        doc["connection_options"]["scrapli"]["extras"].update(timeout_transport=20, timeout_keepalive=5)
    (out / ".generated-connection.yaml").write_text(yaml.safe_dump(snapshot))
    (out / "groups.yaml").write_text(yaml.safe_dump(groups, sort_keys=False))

    again = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert again.stderr.splitlines()[1] == (
        "note: kept your connection settings: groups.yaml srl.connection_options.scrapli.extras.transport, "
        "groups.yaml srl.connection_options.scrapli.extras.ssh_known_hosts_file, "
        "groups.yaml srl.connection_options.scrapli.extras.auth_strict_key (deleted), groups.yaml ce.username, "
        "defaults.yaml password (delete the files to write the generated ones)")
    assert "Secret-pw-1" not in again.stderr + again.stdout
    groups = yaml.safe_load((out / "groups.yaml").read_text())
    extras = groups["srl"]["connection_options"]["scrapli"]["extras"]
    assert (extras["transport"], extras["ssh_known_hosts_file"], extras["timeout_transport"]) == (
        "system", "/etc/lab_known_hosts", 30)
    assert "auth_strict_key" not in extras and "timeout_keepalive" not in extras
    assert groups["ce"] == {"data": {"role": "ce"}, "username": "clab"}
    assert yaml.safe_load((out / "defaults.yaml").read_text())["password"] == "Secret-pw-1"
    assert load_inventory_docs(out)["hosts"]["leaf1"]["data"]["role"] == "leaf"
    # the same again: the same settings, nothing new to say but what is kept
    third = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert third.stderr.splitlines()[1] == again.stderr.splitlines()[1]
    assert yaml.safe_load((out / "groups.yaml").read_text()) == groups


def test_writing_the_inventory_again_keeps_connection_settings_set_on_a_host(tmp_path: Path) -> None:
    """hosts.yaml edited to production names (or a port, a user, a password of one host: the
    README's first place for a password) went back to the container names, without a word,
    the next time the inventory was written after a topology change: in a repository the
    fabric's addresses were lost in an add-a-leaf review. A host's own connection settings are
    kept now, like the groups' (edited, added, deleted); a hostname left alone follows the
    generator (a lab deployed since: its management address)."""
    import json
    import shutil

    shutil.copytree(LAB.parent / "configs", tmp_path / "configs")
    topo_file = tmp_path / "evpn-mh01.clab.yml"
    shutil.copy(LAB, topo_file)
    out = tmp_path / "inv"
    cmd = [sys.executable, "-m", "nornir_evpn", "inventory", "--topology", str(topo_file), "--out", str(out)]
    subprocess.run(cmd, capture_output=True, text=True, check=True)
    hosts = yaml.safe_load((out / "hosts.yaml").read_text())
    hosts["leaf1"]["hostname"] = "leaf1.dc1.example.net"
    hosts["leaf2"]["port"] = 830
    hosts["spine1"]["connection_options"] = {"scrapli": {"extras": {"transport": "system"}}}
    hosts["ce1"].update(username="clab", password="Secret-pw-2")
    (out / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    (tmp_path / "clab-evpn-mh01").mkdir()  # deployed since: leaf3 left alone takes its address
    (tmp_path / "clab-evpn-mh01" / "topology-data.json").write_text(json.dumps({"nodes": {
        "leaf1": {"mgmt-ipv4-address": "172.20.20.4"}, "leaf3": {"mgmt-ipv4-address": "172.20.20.6"}}}))

    again = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert again.stderr.splitlines()[1] == (
        "note: kept your connection settings: hosts.yaml ce1.username, hosts.yaml ce1.password, "
        "hosts.yaml leaf1.hostname, hosts.yaml leaf2.port, hosts.yaml spine1.connection_options "
        "(delete the files to write the generated ones)")
    assert "Secret-pw-2" not in again.stderr + again.stdout
    hosts = yaml.safe_load((out / "hosts.yaml").read_text())
    assert (hosts["leaf1"]["hostname"], hosts["leaf2"]["port"], hosts["leaf3"]["hostname"]) == (
        "leaf1.dc1.example.net", 830, "172.20.20.6")
    assert hosts["spine1"]["connection_options"] == {"scrapli": {"extras": {"transport": "system"}}}
    assert (hosts["ce1"]["username"], hosts["ce1"]["password"]) == ("clab", "Secret-pw-2")
    assert "port" not in hosts["leaf1"] and hosts["leaf2"]["hostname"] == "clab-evpn-mh01-leaf2"
    # what `inventory` wrote stays the lab's address (host_keys names leaf1 as edited away)
    lab_hostnames = yaml.safe_load((out / "defaults.yaml").read_text())["data"]["lab_hostnames"]
    assert lab_hostnames["leaf1"] == "172.20.20.4"
    # the same again: the same files, and your edit taken back follows the generator again
    before = {f: (out / f).read_text() for f in ("hosts.yaml", "groups.yaml", "defaults.yaml")}
    third = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert third.stderr.splitlines()[1] == again.stderr.splitlines()[1]
    assert {f: (out / f).read_text() for f in before} == before
    hosts["leaf1"]["hostname"] = "172.20.20.4"
    del hosts["leaf2"]["port"]
    (out / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    fourth = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert "leaf1.hostname" not in fourth.stderr and "leaf2.port" not in fourth.stderr
    (tmp_path / "clab-evpn-mh01" / "topology-data.json").unlink()
    subprocess.run(cmd, capture_output=True, text=True, check=True)
    hosts = yaml.safe_load((out / "hosts.yaml").read_text())
    assert (hosts["leaf1"]["hostname"], hosts["leaf3"]["hostname"]) == ("clab-evpn-mh01-leaf1", "clab-evpn-mh01-leaf3")


def test_an_older_snapshot_keeps_a_hosts_settings_and_an_edited_address(tmp_path: Path) -> None:
    """An inventory written by 0.16 has no hosts in its snapshot: a host's own settings were
    all the user's (it wrote none), and its address is the user's where it is not the one
    `lab_hostnames` records."""
    out = tmp_path / "inv"
    cmd = [sys.executable, "-m", "nornir_evpn", "inventory", "--topology", str(LAB), "--out", str(out)]
    subprocess.run(cmd, capture_output=True, text=True, check=True)
    snapshot = yaml.safe_load((out / ".generated-connection.yaml").read_text())
    del snapshot["hosts"]
    (out / ".generated-connection.yaml").write_text(yaml.safe_dump(snapshot))
    hosts = yaml.safe_load((out / "hosts.yaml").read_text())
    hosts["leaf1"]["hostname"] = "leaf1.dc1.example.net"
    hosts["leaf2"]["port"] = 830
    (out / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    again = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert "hosts.yaml leaf1.hostname, hosts.yaml leaf2.port (delete" in again.stderr
    hosts = yaml.safe_load((out / "hosts.yaml").read_text())
    assert (hosts["leaf1"]["hostname"], hosts["leaf2"]["port"], hosts["ce1"]["hostname"]) == (
        "leaf1.dc1.example.net", 830, "clab-evpn-mh01-ce1")


@pytest.mark.parametrize(("first", "then", "written"), [
    (["--overlay", "route-reflector"], [], "route-reflector"),  # kept, with a note
    (["--overlay", "route-reflector"], ["--overlay", "full-mesh"], "full-mesh"),  # asked for
    ([], [], "full-mesh"),
    ([], ["--overlay", "route-reflector"], "route-reflector"),
])
def test_writing_the_inventory_again_keeps_its_overlay_design(tmp_path: Path, first, then, written) -> None:
    """Written again without `--overlay` (a leaf added), a route-reflector inventory became a
    full mesh without a word: every leaf's peers rewritten, and `configure` added a session to
    every other leaf. The design of the inventory written over is kept unless asked."""
    out = tmp_path / "inv"
    cmd = [sys.executable, "-m", "nornir_evpn", "inventory", "--topology", str(LAB), "--out", str(out)]
    subprocess.run(cmd + first, capture_output=True, text=True, check=True)
    again = subprocess.run(cmd + then, capture_output=True, text=True, check=True)
    docs = load_inventory_docs(out)
    assert docs["defaults"]["data"]["fabric"]["overlay_mode"] == written
    assert docs["hosts"]["leaf1"]["data"]["overlay"]["mode"] == written
    kept = ("note: overlay route-reflector as in the inventory written over (--overlay full-mesh "
            "to change it)")
    assert (kept in again.stderr.splitlines()) == (not then and written == "route-reflector")


def test_host_data_you_added_is_named_when_the_inventory_is_written_again(tmp_path: Path) -> None:
    """Every generated file says `edit host data freely`, and a key added to a host's data
    (`site: paris`) went at the next write without a word: the inventory names it now (the
    generated values edited are the topology's again, as the README says: no note)."""
    out = tmp_path / "inv"
    cmd = [sys.executable, "-m", "nornir_evpn", "inventory", "--topology", str(LAB), "--out", str(out)]
    subprocess.run(cmd, capture_output=True, text=True, check=True)
    hosts = yaml.safe_load((out / "hosts.yaml").read_text())
    hosts["leaf2"]["data"].update(site="paris", rack=12, asn=65002)
    hosts["leaf1"]["data"]["route_distinguisher"] = "65001:111"  # kept: its own note
    (out / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False))
    again = subprocess.run(cmd, capture_output=True, text=True, check=True)
    notes = [ln for ln in again.stderr.splitlines() if ln.startswith("note: not kept")]
    assert notes == ["note: not kept: host data leaf2 site, leaf2 rack (no topology derives it; host data "
                     "is the topology's again when the inventory is written)"]
    assert "leaf1 route_distinguisher" in again.stderr
    third = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert "not kept" not in third.stderr


def test_an_inventory_of_0_8_keeps_every_setting_found_and_a_broken_one_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "inv"
    cmd = [sys.executable, "-m", "nornir_evpn", "inventory", "--topology", str(LAB), "--out", str(out)]
    subprocess.run(cmd, capture_output=True, text=True, check=True)
    (out / ".generated-connection.yaml").unlink()  # as 0.8 wrote it
    groups = yaml.safe_load((out / "groups.yaml").read_text())
    extras = groups["srl"]["connection_options"]["scrapli"]["extras"]
    del extras["timeout_ops"]  # 0.8 may not have written what this version adds: not a deletion
    extras["transport"] = "system"
    (out / "groups.yaml").write_text(yaml.safe_dump(groups, sort_keys=False))
    again = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert "groups.yaml srl.connection_options.scrapli.extras.transport (delete" in again.stderr
    extras = yaml.safe_load((out / "groups.yaml").read_text())["srl"]["connection_options"]["scrapli"]["extras"]
    assert (extras["transport"], extras["timeout_ops"]) == ("system", 0)
    (out / "groups.yaml").write_text("srl: [unclosed\n")
    broken = subprocess.run(cmd, capture_output=True, text=True)
    assert broken.returncode == 2 and broken.stderr.count("\n") == 1 and "Traceback" not in broken.stderr
    assert broken.stderr.rstrip().endswith("fix the file or delete it)")


@pytest.mark.parametrize(("written", "hostname", "lab"), [
    (None, "clab-evpn-mh01-leaf1", True),  # what `inventory` wrote: the container name
    ("10.99.0.7", "10.99.0.7", True),  # a deployed or configured address, whatever its subnet
    ("10.99.0.7", "10.99.0.8", False),  # edited away from it
    (None, "leaf1.dc1.example.net", False),  # a hosts.yaml edited to production names
    (None, "127.0.0.1", True),
    (None, "::1", True),
])
def test_hosts_whose_keys_go_unchecked_outside_their_lab_are_named(tmp_path: Path, written, hostname, lab) -> None:
    """The generated inventory turns host-key checking off for containerlab (new keys each
    deploy); at an address that is not the lab's, the password went to whatever answered
    there without a word (security review): those hosts are named in one note."""
    from nornir_evpn.host_keys import unchecked_hosts, unchecked_note

    topo = load_topology(LAB)
    docs = build_inventory(topo, derive_intent(topo))
    lab_data = docs["defaults"]["data"]
    assert lab_data["lab_hostnames"] == {n: f"clab-evpn-mh01-{n}" for n in ("leaf1", "leaf2", "leaf3", "spine1")}
    if written is not None:  # as `inventory` writes a deployed lab's (topology-data.json)
        lab_data["lab_hostnames"]["leaf1"] = written
    docs["hosts"]["leaf1"]["hostname"] = hostname
    nr = _simple(Path(write_inventory(docs, tmp_path / "inv")[0]).parent)
    srl = [h for h in nr.inventory.hosts.values() if "srl" in h.groups]
    named = unchecked_hosts(srl, lab_data)
    assert named == ([] if lab else ["leaf1"])
    docs["groups"]["srl"]["connection_options"]["scrapli"]["extras"]["auth_strict_key"] = True  # checked
    nr = _simple(Path(write_inventory(docs, tmp_path / "inv2")[0]).parent)
    assert unchecked_hosts(nr.inventory.hosts.values(), lab_data) == []
    if not lab:
        assert unchecked_note(named).startswith("note: SSH host keys are not checked for leaf1 (auth_strict_key: false")


def test_an_older_inventory_counts_containerlab_names_and_default_networks_as_the_lab() -> None:
    """0.13 wrote no lab_hostnames: its container names and deployed 172.20.20.x addresses
    are still the lab's."""
    from nornir_evpn.host_keys import lab_address

    old = {"lab": "evpn-mh01", "clab_prefix": "clab"}
    assert lab_address("clab-evpn-mh01-leaf1", "leaf1", old) and lab_address("172.20.20.4", "leaf1", old)
    assert lab_address("3fff:172:20:20::4", "leaf1", old)
    assert not lab_address("clab-other-leaf1", "leaf1", old) and not lab_address("10.1.1.1", "leaf1", old)


def _write_again(out: Path, capsys, topology: Path = LAB) -> str:  # type: ignore[no-untyped-def]
    """`inventory --topology ... --out OUT` in this process: its stderr."""
    import argparse

    from nornir_evpn.commands.inventory import run

    capsys.readouterr()
    assert run(argparse.Namespace(topology=topology, out=out, overlay=None)) == 0
    return capsys.readouterr().err


def _edit_hosts(out: Path, edit) -> None:  # type: ignore[no-untyped-def]
    hosts = yaml.safe_load((out / "hosts.yaml").read_text())
    edit(hosts)
    (out / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False))


def test_a_hosts_file_with_odd_entries_is_written_over_without_a_traceback(tmp_path: Path, capsys) -> None:
    """A host emptied to `null`, a host whose data is no mapping, a host the topology no longer
    has (taken out with its data): none is a crash, and none is "host data not kept"."""
    out = tmp_path / "inv"
    _write_again(out, capsys)

    def edit(hosts):  # type: ignore[no-untyped-def]
        hosts["spine1"] = None
        hosts["leaf2"]["data"] = None
        hosts["leaf9"] = {"hostname": "leaf9.example.net", "data": {"site": "paris"}}

    _edit_hosts(out, edit)
    err = _write_again(out, capsys)
    assert "not kept" not in err and "leaf9" not in err
    hosts = yaml.safe_load((out / "hosts.yaml").read_text())
    assert "leaf9" not in hosts and hosts["spine1"]["hostname"] == "clab-evpn-mh01-spine1"
    assert hosts["leaf2"]["data"]["role"] == "leaf"


def test_a_ces_address_and_a_deleted_address_are_kept_and_named(tmp_path: Path, capsys) -> None:
    """A CE is not in `lab_hostnames`: its edited address is yours against the snapshot (not
    taken for the generated one); an address deleted stays deleted and is named so."""
    out = tmp_path / "inv"
    _write_again(out, capsys)

    def edit(hosts):  # type: ignore[no-untyped-def]
        hosts["ce1"]["hostname"] = "ce1.lab.example.net"
        del hosts["leaf2"]["hostname"]

    _edit_hosts(out, edit)
    err = " ".join(_write_again(out, capsys).split())
    assert "hosts.yaml ce1.hostname" in err and "hosts.yaml leaf2.hostname (deleted)" in err
    hosts = yaml.safe_load((out / "hosts.yaml").read_text())
    assert hosts["ce1"]["hostname"] == "ce1.lab.example.net" and "hostname" not in hosts["leaf2"]


def test_an_older_snapshot_takes_a_ces_written_address_for_the_generated_one(tmp_path: Path, capsys) -> None:
    """A snapshot of 0.16 has no hosts and `lab_hostnames` no CE: the CE's address found is the
    one generated then, so a lab renamed since moves it to the new name (not "kept yours")."""
    import shutil

    shutil.copytree(LAB.parent / "configs", tmp_path / "configs")
    out = tmp_path / "inv"
    _write_again(out, capsys)
    snapshot = yaml.safe_load((out / ".generated-connection.yaml").read_text())
    del snapshot["hosts"]
    (out / ".generated-connection.yaml").write_text(yaml.safe_dump(snapshot))
    renamed = tmp_path / "evpn-mh02.clab.yml"
    renamed.write_text(LAB.read_text().replace("name: evpn-mh01", "name: evpn-mh02", 1))
    err = _write_again(out, capsys, renamed)
    assert "ce1.hostname" not in err
    assert yaml.safe_load((out / "hosts.yaml").read_text())["ce1"]["hostname"] == "clab-evpn-mh02-ce1"


def test_an_overlay_design_this_version_does_not_know_is_not_kept(tmp_path: Path, capsys) -> None:
    out = tmp_path / "inv"
    _write_again(out, capsys)
    defaults = yaml.safe_load((out / "defaults.yaml").read_text())
    defaults["data"]["fabric"]["overlay_mode"] = "spine-reflector"
    (out / "defaults.yaml").write_text(yaml.safe_dump(defaults, sort_keys=False))
    err = _write_again(out, capsys)
    assert "note: overlay" not in err
    assert load_inventory_docs(out)["defaults"]["data"]["fabric"]["overlay_mode"] == "full-mesh"


def test_a_snapshot_entry_that_is_no_mapping_is_taken_as_none(tmp_path: Path, capsys) -> None:
    """A hand-edited snapshot whose group entry is no mapping: that group's settings are kept
    as without a snapshot, not a traceback."""
    out = tmp_path / "inv"
    _write_again(out, capsys)
    snapshot = yaml.safe_load((out / ".generated-connection.yaml").read_text())
    snapshot["groups"]["srl"] = "edited by hand"
    (out / ".generated-connection.yaml").write_text(yaml.safe_dump(snapshot))
    _write_again(out, capsys)
    assert yaml.safe_load((out / "groups.yaml").read_text())["srl"]["connection_options"]


def test_the_order_of_the_topologys_nodes_and_links_changes_no_inventory_file(tmp_path: Path) -> None:
    """The same fabric written in another order (links moved, a link's endpoints swapped,
    nodes reordered) is the same inventory, byte for byte: a CE's `attachments` followed
    the order of its links in the file, a diff in git for no change (determinism tester)."""
    import random

    doc = yaml.safe_load(LAB.read_text())
    for seed in range(3):
        shuffled = yaml.safe_load(LAB.read_text())
        rng = random.Random(seed)
        nodes = list(shuffled["topology"]["nodes"].items())
        rng.shuffle(nodes)
        shuffled["topology"]["nodes"] = dict(nodes)
        links = shuffled["topology"]["links"]
        rng.shuffle(links)
        for link in links:
            link["endpoints"].reverse()
        assert shuffled != doc
        out = {}
        for name, d in (("a", doc), ("b", shuffled)):
            topo_file = tmp_path / name / LAB.name
            topo_file.parent.mkdir(exist_ok=True)
            topo_file.write_text(yaml.safe_dump(d, sort_keys=False))
            topo = load_topology(topo_file)
            write_inventory(build_inventory(topo, derive_intent(topo)), tmp_path / name / "inv")
            out[name] = {f: (tmp_path / name / "inv" / f).read_text() for f in ("hosts.yaml", "defaults.yaml")}
        assert out["a"] == out["b"], seed
