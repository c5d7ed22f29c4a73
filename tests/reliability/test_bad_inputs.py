"""Bad input at the CLI: one line, exit 2, no traceback, and no device touched.

Unit-level versions of the topology cases are in tests/foundation; these go through
`nornir-evpn` itself and, for the commands that talk to devices, a watched twin.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from reliability.helpers import (
    INVENTORY,
    LAB,
    ROOT,
    Watch,
    assert_usage_error,
    run_cli,
    run_subprocess,
)

FABRIC_2S4L = ROOT / "tests" / "fixtures" / "fabric-2s4l2es.clab.yml"
LAB_TEXT = LAB.read_text()
CE1 = "    ce1:\n      kind: linux\n"


def _ce1_labels(labels: str) -> str:
    return LAB_TEXT.replace(CE1, f"{CE1}      labels: {labels}\n")


def _same_lag() -> str:
    text = FABRIC_2S4L.read_text()
    text = text.replace("    mhce2:\n      kind: linux\n",
                        "    mhce2:\n      kind: linux\n      labels: {lag: lag1}\n")
    return text.replace("- mhce2:eth1\n    - leaf3:e1-1", "- mhce2:eth1\n    - leaf1:e1-2")


def refused_before_connecting(watch: Watch, capsys, message: str, *argv: str,  # type: ignore[no-untyped-def]
                              inventory: Path = INVENTORY):
    """`nornir-evpn <argv>` against the watched twin: exit 2 with one line containing
    `message`, no login on any node and no node's running config changed."""
    before = watch.running()
    run = run_cli(capsys, *argv, "--twin", "--twin-state", str(watch.state), "--inventory", str(inventory))
    assert_usage_error(run, message)
    assert watch.logins == {} and watch.running() == before
    return run


TOPOLOGIES = [
    ("not-yaml", "name: t\ntopology: [a, b\nx: 1\n", "line 3: YAML syntax error"),
    ("empty", "", "file is empty"),
    ("no-topology", "name: t\n", "field 'topology' is missing"),
    ("unknown-node", LAB_TEXT.replace('"ce2:eth3"', '"ce9:eth3"'), "names unknown node 'ce9'"),
    ("interface-twice", LAB_TEXT.replace('"leaf3:e1-3"', '"leaf3:e1-2"'),
     "uses interface leaf3:ethernet-1/2 already used in topology.links[6]"),
    ("e1-1a", LAB_TEXT.replace('"leaf3:e1-3"', '"leaf3:e1-1a"'), "malformed interface 'leaf3:e1-1a'"),
    ("unknown-kind", LAB_TEXT.replace("    ce2:\n      kind: linux", "    ce2:\n      kind: ceos"),
     "field 'topology.nodes.ce2.kind' has unknown kind 'ceos'"),
    ("ce-on-no-leaf", LAB_TEXT.replace("  links:\n", "    ce3:\n      kind: linux\n    ce4:\n      kind: linux\n"
                                       "  links:\n    - endpoints: [\"ce3:eth1\", \"ce4:eth1\"]\n"),
     "CE 'ce3' is not wired to any leaf"),
    # a nested label could be an alias bomb: 48 s and 3 GB to turn into a string
    ("label-not-a-value", LAB_TEXT.replace("    ce1:\n      kind: linux\n",
                                           "    ce1:\n      kind: linux\n      labels:\n        es-name: [a, b]\n"),
     "field 'topology.nodes.ce1.labels.es-name' must be a single value, got a list"),
    ("same-lag", _same_lag(), "CEs 'mhce1' and 'mhce2' both want lag1 on leaf1"),
    ("bond-to-one-leaf", LAB_TEXT.replace(
        "        - ip link set dev eth1 master vrf-1\n",
        "        - ip link add bond0 type bond mode 802.3ad\n"
        "        - ip link set eth1 master bond0\n        - ip link set eth2 master bond0\n",
     ).replace("        - ip link set dev eth2 master vrf-2\n", ""),
     "CE 'ce2' bonds eth1, eth2 to leaf3 alone: a LAG without an ethernet segment is not modelled"),
    ("malformed-esi", _ce1_labels("{esi: '01:11:zz'}"), "invalid ESI '01:11:zz'"),
    ("short-esi", _ce1_labels("{esi: '01:11:11:11:11:11:11:00:00'}"), "invalid ESI"),
    ("lacp-key-range", _ce1_labels("{lacp-admin-key: 70000}"),
     "field 'topology.nodes.ce1.labels.lacp-admin-key' is 70000, expected 1 to 65535"),
    ("member-speed", _ce1_labels("{lag-member-speed: 30G}"),
     "field 'topology.nodes.ce1.labels.lag-member-speed' has invalid value '30G' (expected one of 10M, "),
    ("esi-0", _ce1_labels("{esi: '00:00:00:00:00:00:00:00:00:00'}"), "reserved ESI '00:00:00:00:00:00:00:00:00:00'"),
    ("max-esi", _ce1_labels("{esi: 'FF:FF:FF:FF:FF:FF:FF:FF:FF:FF'}"), "reserved ESI"),
    ("esi-null-rt", _ce1_labels("{esi: '01:00:00:00:00:00:00:00:00:07'}"), "null ES-import route target"),
    ("lag0", _ce1_labels("{lag: lag0}"), "invalid value 'lag0' (expected lagN"),
    ("lag07", _ce1_labels("{lag: lag07}"), "invalid value 'lag07' (expected lagN"),
    ("kind-list", LAB_TEXT.replace("    ce2:\n      kind: linux", "    ce2:\n      kind: [linux]"),
     "field 'topology.nodes.ce2.kind' must be a string"),
    ("kinds-string", LAB_TEXT.replace("  kinds:\n", "  kinds:\n    other: ghcr.io/x\n", 1),
     "field 'topology.kinds.other' must be a mapping"),
    ("mgmt-ipv4-int", LAB_TEXT.replace(CE1, f"{CE1}      mgmt-ipv4: 12345\n"),
     "field 'topology.nodes.ce1.mgmt-ipv4' has invalid IPv4 address 12345"),
    ("mgmt-ipv4-bad", LAB_TEXT.replace(CE1, f"{CE1}      mgmt-ipv4: 999.1.1.1\n"), "invalid IPv4 address '999.1.1.1'"),
    ("mgmt-ipv4-twice", LAB_TEXT.replace(CE1, f"{CE1}      mgmt-ipv4: 172.20.20.9\n").replace(
        "    ce2:\n      kind: linux\n", "    ce2:\n      kind: linux\n      mgmt-ipv4: 172.20.20.9\n"),
     "nodes 'ce1' and 'ce2' have the same mgmt-ipv4 172.20.20.9"),
    ("image-int", LAB_TEXT.replace(CE1, f"{CE1}      image: 23\n"), "field 'topology.nodes.ce1.image' must be a string"),
    ("mgmt-subnet-int", LAB_TEXT.replace("ipv4-subnet: 172.20.20.0/24", "ipv4-subnet: 5", 1),
     "field 'mgmt.ipv4-subnet' has invalid value 5"),
    ("ce-mac-typo", LAB_TEXT.replace("address 00:c1:ab:00:00:21 dev eth1", "address zz:zz dev eth1"),
     "field 'topology.nodes.ce2.exec (eth1 address)' has invalid MAC 'zz:zz'"),
    ("ce-ip-typo", LAB_TEXT.replace("ip addr add 192.168.0.21/24", "ip addr add 999.1.1.1/24"),
     "field 'topology.nodes.ce2.exec (eth1 addr)' has invalid IP address '999.1.1.1/24'"),
    ("duplicate-node", LAB_TEXT.replace(CE1, f"{CE1}    ce1:\n      kind: linux\n"), "duplicate key 'ce1'"),
    # injection through the topology: names and labels never reach a template
    ("lag-semicolon", _ce1_labels("{lag: 'lag1;reboot'}"), "unsafe or invalid value 'lag1;reboot'"),
    ("es-name-brace", _ce1_labels("{es-name: 'ES-1 }'}"), "unsafe or invalid value 'ES-1 }'"),
    ("es-name-newline", _ce1_labels('{es-name: "ES-1\\ncommit now"}'), "unsafe or invalid value"),
    ("es-name-bang", _ce1_labels("{es-name: 'ES!1'}"), "unsafe or invalid value 'ES!1'"),
    # SR Linux's own bounds (srl_nokia-common.yang interface-all, the ethernet-segment list):
    # the twin committed them, a device refuses them
    ("lag-1001", _ce1_labels("{lag: lag1001}"), "expected lagN, N from 1 to 1000"),
    ("es-name-33", _ce1_labels("{es-name: " + "E" * 33 + "}"),
     "an SR Linux ethernet-segment name has at most 32"),
    ("port-129", LAB_TEXT.replace("leaf3:e1-1", "leaf3:e1-129"), "port N from 1 to 128"),
    ("port-0", LAB_TEXT.replace("leaf3:e1-1", "leaf3:e1-0"), "port N from 1 to 128"),
    ("node-name-semicolon", LAB_TEXT.replace("leaf3", "leaf3;x"), "leaf3;x"),
    ("node-name-brace", LAB_TEXT.replace("leaf3", "leaf3{"), "leaf3{"),
]


@pytest.mark.parametrize(("text", "message"), [t[1:] for t in TOPOLOGIES],
                         ids=[t[0] for t in TOPOLOGIES])
def test_bad_topology_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, text, message):
    (tmp_path / "configs").symlink_to(LAB.parent / "configs")
    topo = tmp_path / "bad.clab.yml"
    topo.write_text(text)
    out = tmp_path / "out"
    run = run_cli(capsys, "inventory", "--topology", str(topo), "--out", str(out))
    assert_usage_error(run, message)
    assert str(topo) in run.err  # the line names the file
    assert not out.exists()


def test_bad_topology_in_a_real_process_has_no_traceback(tmp_path):
    topo = tmp_path / "bad.clab.yml"
    topo.write_text("name: t\ntopology: {nodes: {a: {kind: srl}}, links: [{endpoints: [a]}]}\n")
    run = run_subprocess("inventory", "--topology", str(topo), "--out", str(tmp_path / "o"),
                         cwd=tmp_path)
    assert_usage_error(run, str(topo))
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(("argv", "message"), [
    (["inventory", "--topology", str(LAB), "--out", "/proc/none/inv"],
     "--out /proc/none/inv: cannot create directory"),
    (["inventory", "--topology", str(LAB), "--out", str(LAB)], f"--out {LAB}: exists and is not a directory"),
    (["topology", "generate", "--spines", "1", "--leaves", "2", "--out", "/proc/none/t.yml"],
     "--out /proc/none/t.yml: cannot create directory /proc/none"),
    (["topology", "generate", "--spines", "1", "--leaves", "2", "--out", "/"], "--out /: is a directory"),
    (["topology", "generate", "--spines", "1", "--leaves", "2", "--name", "bad name/x", "--out", "t.yml"],
     "--name 'bad name/x': a lab name is a letter"),
    (["topology", "generate", "--spines", "1", "--leaves", "2", "--name", "", "--out", "t.yml"],
     "--name '': a lab name is a letter"),
    # (--ce-per-pair was ignored: a topology with none of the CEs asked for; combinations tester)
    (["topology", "generate", "--spines", "1", "--leaves", "2", "--mh-pairs", "0", "--ce-per-pair", "3",
      "--out", "t.yml"], "--ce-per-pair 3 with --mh-pairs 0: no leaf pair to multi-home CEs to"),
], ids=["inventory-out-no-dir", "inventory-out-is-file", "generate-out-no-dir", "generate-out-is-dir",
        "generate-bad-name", "generate-empty-name", "generate-ce-per-pair-without-pairs"])
def test_unwritable_output_is_one_line_exit_2(tmp_path, monkeypatch, capsys, argv, message):
    monkeypatch.chdir(tmp_path)
    assert_usage_error(run_cli(capsys, *argv), message)
    assert list(tmp_path.iterdir()) == []


def test_topology_not_utf8(tmp_path, capsys):
    topo = tmp_path / "bad.clab.yml"
    topo.write_bytes(LAB_TEXT.encode() + b"\n# \xff\xfe\n")
    assert_usage_error(run_cli(capsys, "inventory", "--topology", str(topo), "--out", str(tmp_path / "o")),
                       f"{topo}: not UTF-8 text")
    assert_usage_error(run_cli(capsys, "twin", "up", "--topology", str(topo), "--state-file",
                               str(tmp_path / "t.json")), "not UTF-8 text")


def test_missing_topology_file(tmp_path, capsys):
    run = run_cli(capsys, "inventory", "--topology", str(tmp_path / "nope.yml"), "--out",
                  str(tmp_path / "o"))
    assert_usage_error(run, "nope.yml")


# -- inventories -------------------------------------------------------------------------------

def _inventory_copy(tmp_path: Path) -> Path:
    inv = tmp_path / "inv"
    inv.mkdir()
    for f in ("hosts.yaml", "groups.yaml", "defaults.yaml"):
        (inv / f).write_text((INVENTORY / f).read_text())
    return inv


def _edit_hosts(inv: Path, edit) -> None:  # type: ignore[no-untyped-def]
    hosts = yaml.safe_load((inv / "hosts.yaml").read_text())
    edit(hosts)
    (inv / "hosts.yaml").write_text(yaml.safe_dump(hosts))


def _no_platform(inv: Path) -> None:
    groups = yaml.safe_load((inv / "groups.yaml").read_text())
    del groups["srl"]["platform"]
    (inv / "groups.yaml").write_text(yaml.safe_dump(groups))
    _edit_hosts(inv, lambda h: h["leaf2"].pop("platform", None))


def _duplicate(inv: Path) -> None:
    text = (inv / "hosts.yaml").read_text()
    start, end = text.index("\nleaf2:\n"), text.index("\nleaf3:\n")
    (inv / "hosts.yaml").write_text(text + text[start:end] + "\n")


def _data(field: str, value: object):  # type: ignore[no-untyped-def]
    def edit(inv: Path) -> None:
        _edit_hosts(inv, lambda h: h["leaf2"]["data"].__setitem__(field, value))
    return edit


def _host(field: str, value: object):  # type: ignore[no-untyped-def]
    def edit(inv: Path) -> None:
        _edit_hosts(inv, lambda h: h["leaf2"].__setitem__(field, value))
    return edit


def _nested(edit_data):  # type: ignore[no-untyped-def]
    return lambda inv: _edit_hosts(inv, lambda h: edit_data(h["leaf2"]["data"]))


def _ce2_ip(value: str):  # type: ignore[no-untyped-def]
    return lambda inv: _edit_hosts(inv, lambda h: h["ce2"]["data"]["interfaces"]["eth1"].__setitem__("ips", [value]))


def _es1(field: str, value: object):  # type: ignore[no-untyped-def]
    def edit(inv: Path) -> None:
        defaults = yaml.safe_load((inv / "defaults.yaml").read_text())
        defaults["data"]["fabric"]["ethernet_segments"]["ES-1"][field] = value
        (inv / "defaults.yaml").write_text(yaml.safe_dump(defaults))
    return edit


FABRIC_VALUES = [
    # a CE address is a ping target: "-f" became a ping option, a typo pinged nothing
    ("ce-ip-typo", _ce2_ip("192.168.0.21x/24"),
     "host ce2: data field 'interfaces.eth1.ips' has invalid IP address '192.168.0.21x/24'"),
    ("ce-ip-option", _ce2_ip("-f/24"), "host ce2: data field 'interfaces.eth1.ips' has invalid IP address '-f/24'"),
    # typed into `set` lines: only the values SR Linux takes
    ("member-speed-pipe", _es1("member_speed", "10G | x"),
     "field 'ethernet_segments.ES-1.member_speed': Input should be '10M'"),
    ("lacp-mode", _es1("lacp", {"interval": "SLOW", "mode": "ACTIVE > x", "admin_key": 11,
                                "system_id_mac": "00:00:00:00:00:11", "system_priority": 11}),
     "field 'ethernet_segments.ES-1.lacp.mode': Input should be 'ACTIVE' or 'PASSIVE'"),
    # out of the YANG ranges: every device refused its commit (exit 1), the others' ran on
    ("lacp-admin-key-range", _es1("lacp", {"interval": "SLOW", "mode": "ACTIVE", "admin_key": 70000,
                                           "system_id_mac": "00:00:00:00:00:11", "system_priority": 11}),
     "field 'ethernet_segments.ES-1.lacp.admin_key': Input should be less than or equal to 65535"),
    ("lacp-priority-negative", _es1("lacp", {"interval": "SLOW", "mode": "ACTIVE", "admin_key": 11,
                                             "system_id_mac": "00:00:00:00:00:11", "system_priority": -1}),
     "field 'ethernet_segments.ES-1.lacp.system_priority': Input should be greater than or equal to 0"),
]


@pytest.mark.parametrize(("edit", "message"), [i[1:] for i in FABRIC_VALUES], ids=[i[0] for i in FABRIC_VALUES])
def test_bad_fabric_value_exits_2_before_connecting(watch: Watch, tmp_path, capsys, edit, message):
    inv = _inventory_copy(tmp_path)
    edit(inv)
    refused_before_connecting(watch, capsys, message, "verify", inventory=inv)


INVENTORIES = [
    ("no-platform", _no_platform, "host 'leaf2' has no platform"),
    ("name-newline", _data("name", "leaf2\n"), "host 'leaf2': data.name is 'leaf2\\n'"),
    ("duplicate-host", _duplicate, "duplicate key 'leaf2'"),
    ("bad-system-ip", _data("system_ip", "10.0.0.300"), "system_ip"),
    ("bad-asn", _data("asn", "many"), "asn"),
    ("asn-negative", _data("asn", -5), "field 'nodes.leaf2.asn': Input should be greater than or equal to 1"),
    ("asn-too-big", _data("asn", 99999999999), "field 'nodes.leaf2.asn': Input should be less than or equal to 4294967295"),
    ("asn-bool", _data("asn", True), "field 'nodes.leaf2.asn': Input should be a valid integer"),
    ("role-not-group", _data("role", "spine"), "host 'leaf2' is in group 'leaf' but data.role is 'spine'"),
    ("bad-role", _data("role", "router"), "role"),
    # injection through host data: refused before any connection
    ("group-semicolon", _data("underlay_group", "eBGP; commit now"), "underlay_group"),
    ("group-newline", _data("underlay_group", "eBGP\ncommit now"), "underlay_group"),
    ("group-brace", _data("underlay_group", "eBGP }"), "underlay_group"),
    ("access-bang", _nested(lambda d: d["access"].append(
        {"interface": "ethernet-1/5!", "ce": "ce9", "ce_interface": "eth1",
         "ce_mac": None})), "ethernet-1/5!"),
    ("host-key-semicolon", lambda inv: _edit_hosts(inv, lambda h: h.__setitem__(
        "leaf2;reboot", h.pop("leaf2"))), "host 'leaf2;reboot': data.name is 'leaf2'"),
    ("mac-vrf-brace", _nested(lambda d: d["mac_vrf"].__setitem__("name", "mac-vrf-1 {")),
     "mac-vrf-1 {"),
    # how to reach the host: wrong here, it failed at connect time while others committed
    ("port-text", _host("port", "abc"), "host 'leaf2' field 'port': Input should be a valid integer"),
    ("port-too-big", _host("port", 70000), "host 'leaf2' field 'port': Input should be less than or equal to 65535"),
    ("port-float", _host("port", 22.5), "host 'leaf2' field 'port'"),
    ("hostname-int", _host("hostname", 5), "host 'leaf2' field 'hostname': Input should be a valid string"),
    ("hostname-empty", _host("hostname", ""), "host 'leaf2' field 'hostname'"),
    ("username-int", _host("username", 5), "host 'leaf2' field 'username'"),
    ("groups-string", _host("groups", "srl"), "host 'leaf2' field 'groups': Input should be a valid list"),
    ("groups-unknown", _host("groups", ["srl", "leafs"]),
     "host 'leaf2' is in group 'leafs', which groups.yaml does not define"),
    ("data-string", _host("data", "foo"), "host 'leaf2' field 'data': Input should be a valid dictionary"),
    ("password-int", _host("password", 98765), "host 'leaf2' field 'password': Input should be a valid string"),
]


@pytest.mark.parametrize("command", ["verify", "configure"])
@pytest.mark.parametrize(("edit", "message"), [i[1:] for i in INVENTORIES],
                         ids=[i[0] for i in INVENTORIES])
def test_bad_inventory_exits_2_before_connecting(watch: Watch, tmp_path, capsys, command, edit,
                                                 message):
    inv = _inventory_copy(tmp_path)
    edit(inv)
    run = refused_before_connecting(watch, capsys, message, command, inventory=inv)
    assert "host leaf2" in run.err or "leaf2" in run.err
    assert "98765" not in run.err  # a password is never echoed back


@pytest.mark.parametrize(("edit", "message"), [
    (lambda g: g["srl"]["connection_options"]["scrapli"]["extras"].__setitem__("timeout_transport", "abc"),
     "group 'srl' field 'connection_options.scrapli.extras.timeout_transport'"),
    (lambda g: g["leaf"].__setitem__("groups", "srl"), "group 'leaf' field 'groups': Input should be a valid list"),
], ids=["timeout-text", "parent-groups-string"])
def test_bad_group_exits_2_before_connecting(watch: Watch, tmp_path, capsys, edit, message):
    inv = _inventory_copy(tmp_path)
    groups = yaml.safe_load((inv / "groups.yaml").read_text())
    edit(groups)
    (inv / "groups.yaml").write_text(yaml.safe_dump(groups))
    refused_before_connecting(watch, capsys, message, "configure", inventory=inv)


@pytest.mark.parametrize(("doc", "message"), [
    ("not json", "unreadable failover state file"),
    ('{"host": "leaf1"}', "failover state file lacks host/interface"),
    ('{"host": "leaf1", "interface": "ethernet-1/1; delete /"}',
     "names interface 'ethernet-1/1; delete /', not an SR Linux port"),
    ('{"host": "leaf1\\ncommit now", "interface": "ethernet-1/1"}', "unsafe or invalid value"),
], ids=["not-json", "no-interface", "interface-injection", "host-newline"])
def test_restore_state_file_is_input_too(watch: Watch, tmp_path, capsys, doc, message):
    state = tmp_path / "failover-state.json"
    state.write_text(doc)
    refused_before_connecting(watch, capsys, message, "failover-test", "--restore", "--state-file", str(state))


@pytest.mark.parametrize(("content", "message"), [
    ('{"pid": 1, "topology": "t.clab.yml", "lab": "evpn-mh01", "username": "admin", "nodes": {}}',
     "exists and is not a failover-test state file; it is never overwritten"),  # the twin's own
    ("leaf1:\n  hostname: x\n", "exists and is not a failover-test state file"),
    ('{"kind": "nornir_evpn failover-test state", "host": "leaf2", "interface": "ethernet-1/1", "pid": 9}',
     "a failover-test stopped before its restore left leaf2 ethernet-1/1 disabled; run `failover-test --restore"),
], ids=["twin-state", "hosts-yaml", "left-by-a-killed-run"])
def test_failover_never_clobbers_an_existing_state_file(watch: Watch, tmp_path, capsys, content, message):
    state = tmp_path / "state.json"
    state.write_text(content)
    refused_before_connecting(watch, capsys, message, "failover-test", "--state-file", str(state))
    assert state.read_text() == content


def test_inventory_not_utf8(watch: Watch, tmp_path, capsys):
    """A Latin-1 byte in hosts.yaml gave a UnicodeDecodeError traceback and exit 1."""
    inv = _inventory_copy(tmp_path)
    (inv / "groups.yaml").write_bytes(b"srl:\n  platform: nokia_srlinux # \xe9\n")
    refused_before_connecting(watch, capsys, f"{inv / 'groups.yaml'}: not UTF-8 text (invalid byte at offset 33)",
                              "verify", inventory=inv)


def test_missing_inventory_directory(watch: Watch, tmp_path, capsys):
    run = run_cli(capsys, "configure", "--twin", "--twin-state", str(watch.state),
                  "--inventory", str(tmp_path / "none"))
    assert_usage_error(run, f"{tmp_path / 'none'}: inventory directory not found")
    assert watch.logins == {}


# -- flags -------------------------------------------------------------------------------------

def _templates_with(tmp_path: Path, name: str, text: str) -> Path:
    tdir = tmp_path / "templates"
    tdir.mkdir()
    for f in ("underlay", "overlay", "mac_vrf", "multihoming"):
        (tdir / f"{f}.j2").write_text((ROOT / "templates" / f"{f}.j2").read_text())
    (tdir / name).write_text(text)
    return tdir


FLAGS = [
    ("verify-unknown-host", ["verify", "--hosts", "leaf1,leaf9"], "--hosts: unknown host 'leaf9'"),
    ("configure-unknown-host", ["configure", "--hosts", "leafX"], "--hosts: unknown host 'leafX'"),
    ("verify-ce-host", ["verify", "--hosts", "ce1"], "--hosts: 'ce1' is not an SR Linux host (a CE)"),
    ("hosts-outside-role", ["verify", "--hosts", "spine1", "--role", "leaf"],
     "--hosts: 'spine1' is not a leaf (--role leaf)"),
    ("hosts-empty", ["configure", "--hosts", ""], "--hosts: no host named in ''"),
    ("hosts-commas", ["verify", "--hosts", " , "], "--hosts: no host named in ' , '"),
    ("junit-is-dir", ["configure", "--junit", "/"], "--junit /: is a directory, expected a file"),
    ("junit-no-dir", ["verify", "--junit", "/proc/none/j.xml"],
     "--junit /proc/none/j.xml: cannot create directory /proc/none"),
    ("junit-in-proc", ["verify", "--junit", "/proc/j.xml"], "--junit /proc/j.xml: cannot write"),
    # -v wrote ./nornir.log: a read-only working directory was a PermissionError traceback
    ("log-file-in-proc", ["verify", "-v", "--log-file", "/proc/n.log"], "--log-file /proc/n.log: cannot write"),
    ("state-file-in-proc", ["failover-test", "--state-file", "/proc/s.json"], "--state-file /proc/s.json: cannot write"),
    ("state-file-no-dir", ["failover-test", "--state-file", "/proc/none/s.json"],
     "--state-file /proc/none/s.json: cannot create directory /proc/none"),
    ("workers-0", ["verify", "--workers", "0"], "--workers: must be at least 1, got 0"),
    ("workers-text", ["configure", "--workers", "many"], "--workers: expected a positive integer"),
    ("timeout-negative", ["failover-test", "--timeout", "-1"],
     "argument --timeout: must not be negative, got -1"),
    ("interval-zero", ["failover-test", "--interval", "0"], "--interval"),
    ("interval-nan", ["failover-test", "--interval", "nan"], "argument --interval: expected a finite number, got 'nan'"),
    ("timeout-inf", ["failover-test", "--timeout", "inf"], "argument --timeout: expected a finite number, got 'inf'"),
    ("not-es-member", ["failover-test", "--interface", "ethernet-1/49"],
     "--interface: leaf1 ethernet-1/49 is not a member of an ethernet segment"),
    ("not-es-member-leaf3", ["failover-test", "--host", "leaf3"],
     # named: the single-homed CE's link (matrix tester: the refusal said nothing of ce2)
     "--interface: leaf3 ethernet-1/1 is not a member of an ethernet segment: it is ce2's single-homed link "
     "(leaf3 serves no ethernet segment; leaves that do: leaf1, leaf2)"),
    ("failover-unknown-host", ["failover-test", "--host", "leaf9"],
     "--host: unknown host 'leaf9'"),
    # an empty value (`--host "$HOST"`, HOST unset) is no option left out: refused, never
    # leaf1's ethernet-1/1 shut in its place
    ("failover-empty-host", ["failover-test", "--host", ""], "--host: unknown host ''"),
    ("failover-empty-interface", ["failover-test", "--interface", ""],
     "--interface: leaf1  is not a member of an ethernet segment"),
    ("failover-ce-host", ["failover-test", "--host", "ce1"],
     "--host: 'ce1' is a CE; failover-test shuts a leaf's link to it (--host leaf1 or leaf2)"),
    ("unknown-feature", ["configure", "--features", "vlans"], "unknown feature 'vlans'"),
    ("confirmed-0", ["configure", "--commit-confirmed", "0"],
     "argument --commit-confirmed: must be at least 1, got 0"),
    ("unknown-check", ["verify", "--checks", "nope"], "unknown check 'nope'"),
    ("no-check", ["verify", "--checks", ""], "no check selected; known checks: lag.up"),
    # a PASS of 0/0 would turn a CI gate green
    ("no-check-applies", ["verify", "--hosts", "spine1,leaf3", "--checks", "es.df,lag.up"],
     "no selected check applies to the selected hosts (leaf3, spine1): nothing to verify"),
    # injection through flags: never matched to a host or an interface, so never sent
    ("hosts-semicolon", ["verify", "--hosts", "leaf1;reboot"], "unknown host 'leaf1;reboot'"),
    ("interface-newline", ["failover-test", "--interface", "ethernet-1/1\ncommit now"],
     "is not a member of an ethernet segment"),
    ("interface-brace", ["failover-test", "--interface", "ethernet-1/1 }"],
     "is not a member of an ethernet segment"),
]


@pytest.mark.parametrize(("argv", "message"), [f[1:] for f in FLAGS], ids=[f[0] for f in FLAGS])
def test_bad_flag_exits_2_before_connecting(watch: Watch, capsys, argv, message):
    refused_before_connecting(watch, capsys, message, *argv)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("overlay.j2", "set / a\n{% for x in y %}\nset / b\n", "overlay.j2:"),
        ("underlay.j2", "set / a\n\nset / {{ x.name \n", "underlay.j2:3"),
        ("mac_vrf.j2", "{% endif %}\n", "mac_vrf.j2:1"),
    ],
)
def test_broken_template_reports_file_and_line(watch: Watch, tmp_path, capsys, name, text, message):
    tdir = _templates_with(tmp_path, name, text)
    run = run_cli(capsys, "configure", "--twin", "--twin-state", str(watch.state), "--inventory",
                  str(INVENTORY), "--templates", str(tdir))
    assert_usage_error(run, message)
    assert watch.logins == {}


def test_template_not_utf8(watch: Watch, tmp_path, capsys):
    tdir = _templates_with(tmp_path, "overlay.j2", "")
    (tdir / "overlay.j2").write_bytes(b"set / system information location caf\xe9\n")
    run = run_cli(capsys, "configure", "--twin", "--twin-state", str(watch.state), "--inventory",
                  str(INVENTORY), "--templates", str(tdir))
    assert_usage_error(run, f"{tdir / 'overlay.j2'}: not UTF-8 text (invalid byte at offset 37)")
    assert watch.logins == {}


def test_demo_refuses_a_bad_interval_before_starting_anything(capsys):
    """demo ran the twin, configure and verify, then its failover step refused the value."""
    run = run_cli(capsys, "demo", "--json", "--interval", "-1")
    assert run.code == 2 and "Traceback" not in run.err
    doc = json.loads(run.out)
    assert doc.pop("started_at") <= doc.pop("finished_at") and len(doc.pop("run_id")) == 12
    assert doc == {"command": "demo", "ok": False, "hosts": {}, "target": None, "interrupted": None, "notes": [],
                   "error": "argument --interval: must not be negative, got -1"}


def test_missing_templates_dir(watch: Watch, tmp_path, capsys):
    run = run_cli(capsys, "configure", "--twin", "--twin-state", str(watch.state), "--inventory",
                  str(INVENTORY), "--templates", str(tmp_path / "nope"))
    assert_usage_error(run, "templates directory not found")
    assert watch.logins == {}



# -- interrupted before the report ------------------------------------------------------------

@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
def test_an_interrupt_before_the_report_still_answers_json_and_junit(monkeypatch, tmp_path, capsys, sig):
    """Ctrl-C or `kill` while verify (or failover-test's pre-check) runs left the previous
    run's passing JUnit file in place and printed no --json: a cancelled CI job published
    the last green report. SIGTERM also ended the process with neither."""
    import os
    import signal
    import time

    import nornir_evpn.commands.verify as verify_cmd

    def interrupted(args):
        if sig == "SIGINT":
            raise KeyboardInterrupt
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises here
        raise AssertionError("SIGTERM was not turned into an interrupt")

    monkeypatch.setattr(verify_cmd, "build_target", interrupted)
    junit = tmp_path / "verify.xml"
    junit.write_text('<testsuites><testsuite name="verify" tests="29" failures="0"/></testsuites>')
    before = signal.getsignal(signal.SIGTERM)
    run = run_cli(capsys, "verify", "--json", "--junit", str(junit))
    assert run.code == 130 and run.err == "nornir-evpn: interrupted\n"
    doc = dict(run.doc)
    assert doc.pop("started_at") <= doc.pop("finished_at") and len(doc.pop("run_id")) == 12
    assert doc == {"command": "verify", "ok": False, "hosts": {}, "interrupted": sig, "target": None, "notes": [],
                   "error": f"interrupted ({sig}) before the report"}
    assert f"interrupted ({sig}) before the report" in junit.read_text() and 'errors="1"' in junit.read_text()
    assert signal.getsignal(signal.SIGTERM) is before  # the CLI's handler is gone with it


def test_the_cli_keeps_an_ignored_or_a_callers_own_signal_handler(monkeypatch, tmp_path, capsys):
    """`nohup ... twin up --foreground` died on SIGHUP once cli.main took the signal over, and a
    script calling main() in-process with its own SIGTERM handler had it swallowed."""
    import signal

    import nornir_evpn.commands.verify as verify_cmd

    seen = {}

    def look(args):
        seen.update({s: signal.getsignal(s) for s in (signal.SIGHUP, signal.SIGTERM)})
        raise KeyboardInterrupt

    def mine(signum, frame):  # the caller's own
        pass

    monkeypatch.setattr(verify_cmd, "build_target", look)
    before = {s: signal.getsignal(s) for s in (signal.SIGHUP, signal.SIGTERM)}
    try:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # nohup
        signal.signal(signal.SIGTERM, mine)
        run_cli(capsys, "verify")
        assert seen == {signal.SIGHUP: signal.SIG_IGN, signal.SIGTERM: mine}
        assert signal.getsignal(signal.SIGTERM) is mine
    finally:
        for s, h in before.items():
            signal.signal(s, h)


def test_a_host_moved_out_of_the_lab_with_host_keys_unchecked_is_named_once(tmp_path, capsys) -> None:
    """hosts.yaml edited to an address outside the lab, groups.yaml still containerlab's
    `auth_strict_key: false`: one note names the host before it is logged in to."""
    inv = _inventory_copy(tmp_path)
    _edit_hosts(inv, lambda h: h["leaf2"].__setitem__("hostname", "leaf2.invalid"))
    for selection, named in (("leaf2", True), ("leaf1", False)):
        run = run_cli(capsys, "verify", "--inventory", str(inv), "--hosts", selection)
        assert run.code == 1  # leaf2.invalid resolves nowhere; leaf1 has no lab running
        notes = [ln for ln in run.err.splitlines() if ln.startswith("note: SSH host keys are not checked")]
        assert notes == ([notes[0]] if named else []) and (not named or "for leaf2 (auth_strict_key: false" in notes[0])


def test_restore_of_a_run_killed_in_its_pre_check_removes_its_claim_and_sends_nothing(watch: Watch, tmp_path, capsys):
    """A run killed before its shut leaves only its claim (phase "pre-check"): `--restore`
    must not enable anything (an operator may have shut that port since), and the file goes.
    That branch of `--restore` never ran in a test."""
    state = tmp_path / "failover-state.json"
    state.write_text('{"kind": "nornir_evpn failover-test state", "phase": "pre-check", "host": "leaf1", '
                     '"interface": "ethernet-1/1", "pid": 999999999, "pid_start": 1}')
    refused_before_connecting(watch, capsys, "the failover-test that wrote it ended before its shut "
                              "(nothing to restore); file removed",
                              "failover-test", "--restore", "--state-file", str(state))
    assert not state.exists()


def test_restore_of_a_host_left_out_by_hosts_is_refused_and_keeps_the_file(watch: Watch, tmp_path, capsys):
    """`--restore --hosts leaf2` of a file naming leaf1: refused before any login (it would
    run the restore on no host and report nothing done), and the file still names the
    link that is down."""
    state = tmp_path / "failover-state.json"
    state.write_text('{"kind": "nornir_evpn failover-test state", "phase": "shut", "host": "leaf1", '
                     '"interface": "ethernet-1/1", "pid": 999999999, "pid_start": 1}')
    refused_before_connecting(watch, capsys, "host 'leaf1' is not in the selected inventory",
                              "failover-test", "--restore", "--state-file", str(state), "--hosts", "leaf2")
    assert state.exists()


@pytest.mark.parametrize("option, words", [(["--force"], "--restore with --force"),
                                           (["--traffic"], "--restore with --traffic: a restore sends no CE traffic")])
def test_restore_with_an_option_it_cannot_honour_is_refused_and_keeps_the_file(watch: Watch, tmp_path, capsys,
                                                                               option, words):
    """`--restore --traffic` was accepted and dropped: the restore's report said MAC checks
    were not judged "without CE traffic", to a user who had asked for it."""
    state = tmp_path / "failover-state.json"
    state.write_text('{"kind": "nornir_evpn failover-test state", "phase": "shut", "host": "leaf1", '
                     '"interface": "ethernet-1/1", "pid": 999999999, "pid_start": 1}')
    os.chmod(state, 0o600)
    refused_before_connecting(watch, capsys, words, "failover-test", "--restore", "--state-file", str(state), *option)
    assert state.exists()


def test_restore_from_a_state_file_others_may_write_is_refused(watch: Watch, tmp_path, capsys):
    """The state file names the host and port `--restore` enables: one anyone may write could
    point it at any port. read_state's refusal of it was never run."""
    import os

    state = tmp_path / "failover-state.json"
    state.write_text('{"kind": "nornir_evpn failover-test state", "phase": "shut", "host": "leaf1", '
                     '"interface": "ethernet-1/1", "pid": 999999999, "pid_start": 1}')
    os.chmod(state, 0o666)
    refused_before_connecting(watch, capsys, "writable by others",
                              "failover-test", "--restore", "--state-file", str(state))
    assert state.exists()


def test_failover_state_file_that_is_a_directory_is_refused_before_the_pre_check(watch: Watch, tmp_path, capsys):
    state = tmp_path / "a-dir"
    state.mkdir()
    refused_before_connecting(watch, capsys, f"--state-file {state}: is a directory, expected a file",
                              "failover-test", "--no-traffic", "--state-file", str(state))
    assert list(state.iterdir()) == []
