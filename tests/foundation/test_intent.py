"""Fabric intent: evpn-mh01 reproduces the tutorial; generated fabrics get unique ES values."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from nornir_evpn.errors import IntentError
from nornir_evpn.intent import derive_intent
from nornir_evpn.topology import load_topology

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "inventory" / "evpn-mh01.clab.yml"
PUBLISHED = ROOT / "tests" / "fixtures" / "published-lab" / "evpn-mh.clab.yml"
FABRIC = ROOT / "tests" / "fixtures" / "fabric-2s4l2es.clab.yml"


def test_evpn_mh01_matches_tutorial_and_lab() -> None:
    f = derive_intent(load_topology(LAB))
    assert [n.name for n in f.leaves] == ["leaf1", "leaf2", "leaf3"]
    assert [n.name for n in f.spines] == ["spine1"]
    leaf1, spine1 = f.nodes["leaf1"], f.nodes["spine1"]
    assert (leaf1.system_ip, leaf1.asn) == ("10.0.0.1", 101)
    assert (spine1.system_ip, spine1.asn) == ("10.0.1.1", 201)
    assert [(u.interface, u.ip, u.peer_ip, u.peer_asn) for u in leaf1.underlay] == [
        ("ethernet-1/49", "192.168.11.1/30", "192.168.11.2", 201)
    ]
    assert [(u.interface, u.ip, u.peer_ip, u.peer_asn) for u in spine1.underlay] == [
        ("ethernet-1/1", "192.168.11.2/30", "192.168.11.1", 101),
        ("ethernet-1/2", "192.168.12.2/30", "192.168.12.1", 102),
        ("ethernet-1/3", "192.168.13.2/30", "192.168.13.1", 103),
    ]
    assert leaf1.overlay.peers == ["10.0.0.2", "10.0.0.3"]
    assert leaf1.overlay.asn == 100 and leaf1.overlay.group == "iBGP-overlay"
    mv = leaf1.mac_vrf
    assert mv is not None
    assert (mv.name, mv.vxlan_interface, mv.vni, mv.evi, mv.route_target, mv.ecmp) == (
        "mac-vrf-1", "vxlan1.1", 1, 111, "target:100:111", 2,
    )
    es = f.ethernet_segments["ES-1"]
    assert es.esi == "01:11:11:11:11:11:11:00:00:01"
    assert es.lag == "lag1"
    assert (es.lacp.admin_key, es.lacp.system_id_mac, es.lacp.system_priority) == (11, "00:00:00:00:00:11", 11)
    assert (es.lacp.interval, es.lacp.mode, es.member_speed, es.multi_homing_mode) == ("SLOW", "ACTIVE", "10G", "all-active")
    assert es.members == {"leaf1": ["ethernet-1/1"], "leaf2": ["ethernet-1/1"]}
    assert es.ce_mac == "00:c1:ab:00:00:11"
    assert [a.interface for a in f.nodes["leaf3"].access] == ["ethernet-1/1", "ethernet-1/2", "ethernet-1/3"]
    assert f.ces["ce2"].macs == ["00:c1:ab:00:00:21", "00:c1:ab:00:00:22", "00:c1:ab:00:00:23"]
    assert f.ces["ce1"].ips == ["192.168.0.11"]


def test_both_lab_forms_derive_the_same_intent() -> None:
    inline = derive_intent(load_topology(LAB))
    binds = derive_intent(load_topology(PUBLISHED))
    assert binds.ethernet_segments == inline.ethernet_segments
    assert binds.nodes == inline.nodes
    assert binds.ces == inline.ces


def test_generated_fabric_has_unique_consistent_segments() -> None:
    f = derive_intent(load_topology(FABRIC))
    assert len(f.leaves) == 4 and len(f.spines) == 2
    segs = list(f.ethernet_segments.values())
    assert [s.name for s in segs] == ["ES-1", "ES-2"]
    assert len({s.esi for s in segs}) == 2
    assert len({s.lacp.admin_key for s in segs}) == 2
    assert len({s.lacp.system_id_mac for s in segs}) == 2
    assert segs[1].members == {"leaf3": ["ethernet-1/1"], "leaf4": ["ethernet-1/1"]}
    assert segs[1].lag == "lag2" and segs[1].esi == "01:11:11:11:11:11:11:00:00:02"
    # two spines: one /30 per leaf-spine link, every address unique
    ips = [u.ip for n in f.nodes.values() for u in n.underlay]
    assert len(ips) == len(set(ips)) == 16
    assert f.nodes["leaf1"].overlay.peers == ["10.0.0.2", "10.0.0.3", "10.0.0.4"]


def test_route_reflector_overlay() -> None:
    f = derive_intent(load_topology(FABRIC), overlay_mode="route-reflector")
    assert f.nodes["leaf1"].overlay.peers == ["10.0.1.1", "10.0.1.2"]
    assert f.nodes["spine1"].overlay.route_reflector is True
    assert f.nodes["spine1"].overlay.peers == ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]


def test_es_across_three_leaves(tmp_path: Path) -> None:
    text = LAB.read_text().replace(
        '- endpoints: ["ce1:eth2", "leaf2:e1-1"]',
        '- endpoints: ["ce1:eth2", "leaf2:e1-1"]\n    - endpoints: ["ce1:eth3", "leaf3:e1-10"]',
    ).replace("- ip link set eth2 master bond0", "- ip link set eth2 master bond0\n        - ip link set eth3 master bond0")
    p = _write_text(tmp_path / "t.clab.yml", text)
    f = derive_intent(load_topology(p))
    assert f.ethernet_segments["ES-1"].peers == ["leaf1", "leaf2", "leaf3"]
    assert f.mac_vrf.ecmp == 3


def test_an_es_spans_at_most_four_leaves(tmp_path: Path) -> None:
    """SR Linux distributes an ES over up to 4 PEs (ecmp for its aliasing is 1..8 on 23.x):
    a CE bonded to five leaves is refused by the inventory, not by five failed commits."""
    from nornir_evpn.errors import IntentError
    from nornir_evpn.generate import generate_topology, write_topology

    doc = generate_topology(spines=1, leaves=5, mh_pairs=1)
    doc["topology"]["links"] += [{"endpoints": [f"mhce1:eth{i}", f"leaf{i}:e1-20"]} for i in range(3, 6)]
    doc["topology"]["nodes"]["mhce1"]["exec"] += [f"ip link set eth{i} master bond0" for i in range(3, 6)]
    p = write_topology(doc, tmp_path / "t.clab.yml")
    with pytest.raises(IntentError, match="CE 'mhce1' is wired to 5 leaves; an ethernet segment spans at most 4"):
        derive_intent(load_topology(p))


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        ("{esi: '01:zz'}", "invalid ESI '01:zz'"),
        ("{lag: 'lag1;reboot'}", "unsafe or invalid value 'lag1;reboot'"),
        ("{lacp-admin-key: x}", "LACP values must be integers"),
    ],
)
def test_bad_labels_are_refused(tmp_path: Path, labels: str, message: str) -> None:
    text = LAB.read_text().replace("    ce1:\n      kind: linux\n", f"    ce1:\n      kind: linux\n      labels: {labels}\n")
    assert message in _intent_error(tmp_path, text)


def test_two_ces_wanting_the_same_lag(tmp_path: Path) -> None:
    text = FABRIC.read_text()
    text = text.replace("    mhce2:\n      kind: linux\n", "    mhce2:\n      kind: linux\n      labels: {lag: lag1}\n")
    text = text.replace("- mhce2:eth1\n    - leaf3:e1-1", "- mhce2:eth1\n    - leaf1:e1-2")
    p = tmp_path / "t.clab.yml"
    p.write_text(text)
    with pytest.raises(IntentError) as err:
        derive_intent(load_topology(p))
    assert "CEs 'mhce1' and 'mhce2' both want lag1 on leaf1" in str(err.value)


def test_ce_on_no_leaf(tmp_path: Path) -> None:
    text = LAB.read_text().replace("  links:\n", "    ce3:\n      kind: linux\n    ce4:\n      kind: linux\n"
                                   "  links:\n    - endpoints: [\"ce3:eth1\", \"ce4:eth1\"]\n")
    assert "CE 'ce3' is not wired to any leaf" in _intent_error(tmp_path, text)


def test_a_linux_node_with_no_link_is_no_ce(tmp_path: Path) -> None:
    """A collector beside the fabric (gnmic, prometheus) stopped `inventory`: every linux
    node was taken for a CE, and this one "is not wired to any leaf"."""
    text = LAB.read_text().replace("  links:\n", "    gnmic:\n      kind: linux\n      image: ghcr.io/openconfig/gnmic\n"
                                   "  links:\n")
    p = _write_text(tmp_path / "t.clab.yml", text)
    topo = load_topology(p)
    assert "gnmic" not in topo.nodes
    assert topo.notes == ["gnmic: linux node(s) with no link at all, left out (not CEs)"]
    assert sorted(derive_intent(topo).ces) == ["ce1", "ce2"]


@pytest.mark.parametrize("leaves", [4, 12], ids=["192.168-addressing", "172.16-pool"])
def test_taking_a_leaf_out_leaves_the_others_as_they_were(tmp_path: Path, leaves: int) -> None:
    """Node numbers come from the names: without leaf3, leaf4 keeps its system IP, AS and
    /30s (renumbered, it took leaf3's while its own stayed configured: two addresses on an
    interface, sessions down)."""
    from nornir_evpn.generate import generate_topology

    doc = generate_topology(2, leaves, 1)
    before = derive_intent(load_topology(_write(tmp_path / "all.clab.yml", doc)))
    nodes = doc["topology"]["nodes"]
    del nodes["leaf3"], nodes["shce3"]
    doc["topology"]["links"] = [lk for lk in doc["topology"]["links"]
                                if not any(e.split(":")[0] in ("leaf3", "shce3") for e in lk["endpoints"])]
    after = derive_intent(load_topology(_write(tmp_path / "no3.clab.yml", doc)))
    for name in after.nodes:
        assert after.nodes[name].system_ip == before.nodes[name].system_ip
        assert after.nodes[name].asn == before.nodes[name].asn
        assert [(u.interface, u.ip) for u in after.nodes[name].underlay] == \
            [(u.interface, u.ip) for u in before.nodes[name].underlay if u.peer != "leaf3"]
    assert after.nodes["leaf4"].system_ip == "10.0.0.4"


def _write(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_names_without_distinct_numbers_are_numbered_in_order(tmp_path: Path) -> None:
    from nornir_evpn.intent import positional_nodes

    text = (FABRIC.read_text().replace("leaf1", "leafA").replace("leaf2", "leafB"))
    p = tmp_path / "t.clab.yml"
    p.write_text(text)
    topo = load_topology(p)
    f = derive_intent(topo)
    assert {n.name: n.index for n in f.leaves} == {"leaf3": 1, "leaf4": 2, "leafA": 3, "leafB": 4}
    assert positional_nodes(topo) == ["leaf3", "leaf4", "leafA", "leafB"]


def test_a_number_label_pins_a_node(tmp_path: Path) -> None:
    """Names without numbers: `number` labels keep every node's addresses when one goes."""
    from nornir_evpn.intent import positional_nodes

    doc = yaml.safe_load(FABRIC.read_text())
    nodes = doc["topology"]["nodes"]
    for old, new, number in (("leaf1", "leafA", 1), ("leaf2", "leafB", 2), ("leaf3", "leafC", 3), ("leaf4", "leafD", 4)):
        nodes[new] = {**nodes.pop(old), "labels": {"number": number}}
        for link in doc["topology"]["links"]:
            link["endpoints"] = [e.replace(f"{old}:", f"{new}:") for e in link["endpoints"]]
    before = derive_intent(load_topology(_write(tmp_path / "all.clab.yml", doc)))
    assert positional_nodes(load_topology(tmp_path / "all.clab.yml")) == []
    del nodes["leafC"]  # its CE stays, single-homed to leafD now
    doc["topology"]["links"] = [lk for lk in doc["topology"]["links"]
                                if not any(e.startswith("leafC:") for e in lk["endpoints"])]
    after = derive_intent(load_topology(_write(tmp_path / "no-c.clab.yml", doc)))
    assert after.nodes["leafD"].system_ip == before.nodes["leafD"].system_ip == "10.0.0.4"
    doc["topology"]["nodes"]["leafD"]["labels"] = {"number": 1}
    with pytest.raises(IntentError, match="nodes 'leafA' and 'leafD' both have number 1"):
        derive_intent(load_topology(_write(tmp_path / "clash.clab.yml", doc)))


def test_leaves_numbered_100_and_up_never_share_an_as_with_a_spine(tmp_path: Path) -> None:
    """leaf101 got AS 100+101 = 201, spine1's: its 'eBGP' underlay session was iBGP."""
    from nornir_evpn.generate import generate_topology

    doc = generate_topology(2, 2, 1)
    text = yaml.safe_dump(doc, sort_keys=False).replace("leaf1", "leaf101").replace("leaf2", "leaf102")
    f = derive_intent(load_topology(_write_text(tmp_path / "dc.clab.yml", text)))
    asns = {name: n.asn for name, n in f.nodes.items()}
    assert asns == {"leaf101": 4_200_000_101, "leaf102": 4_200_000_102, "spine1": 201, "spine2": 202}
    assert f.nodes["leaf101"].underlay[0].peer_asn == 201
    assert 100 not in asns.values()  # the overlay's AS


def test_adding_a_tenth_leaf_readdresses_no_other_link(tmp_path: Path) -> None:
    """The 192.168 / 172.16 choice was made for the whole fabric: leaf10 moved every link
    of leaves 1-9 to 172.16 (a second address and session on every uplink)."""
    from nornir_evpn.generate import generate_topology

    nine = derive_intent(load_topology(_write(tmp_path / "g9.clab.yml", generate_topology(2, 9, 1, name="g"))))
    ten = derive_intent(load_topology(_write(tmp_path / "g10.clab.yml", generate_topology(2, 10, 1, name="g"))))
    for name in nine.nodes:
        assert [(u.interface, u.ip, u.peer_ip) for u in ten.nodes[name].underlay if u.peer != "leaf10"] == \
            [(u.interface, u.ip, u.peer_ip) for u in nine.nodes[name].underlay]
    assert ten.nodes["leaf1"].underlay[0].ip == "192.168.11.1/30"
    assert ten.nodes["leaf10"].underlay[0].ip.startswith("172.16.")


def test_adding_a_multihomed_ce_changes_no_other_segment(tmp_path: Path) -> None:
    """ES-k came from the CE's position: a new CE sorting first moved every other CE to
    another LAG, ESI and LACP system-id (every bond re-negotiated, stale ESes left)."""
    from nornir_evpn.generate import generate_topology
    from nornir_evpn.intent import positional_nodes

    doc = generate_topology(1, 6, 3)
    nodes, links = doc["topology"]["nodes"], doc["topology"]["links"]
    del nodes["mhce1"]
    doc["topology"]["links"] = [lk for lk in links if not any(e.startswith("mhce1:") for e in lk["endpoints"])]
    before = derive_intent(load_topology(_write(tmp_path / "b.clab.yml", doc)))
    after = derive_intent(load_topology(_write(tmp_path / "a.clab.yml", generate_topology(1, 6, 3))))
    for ce in ("mhce2", "mhce3"):
        old = before.ethernet_segments[before.ces[ce].ethernet_segment]
        new = after.ethernet_segments[after.ces[ce].ethernet_segment]
        assert (new.name, new.esi, new.lag, new.lacp) == (old.name, old.esi, old.lag, old.lacp)
    assert after.ces["mhce2"].ethernet_segment == "ES-2"
    assert after.ethernet_segments["ES-1"].ce == "mhce1"
    assert positional_nodes(load_topology(tmp_path / "a.clab.yml")) == []


def test_a_ce_without_a_bond_is_single_homed_on_each_leaf(tmp_path: Path) -> None:
    """The lab's ce2 (one VRF per port) with eth2 moved to leaf2: its commands bond no link,
    so each link is a single-homed access port, not a LACP ethernet segment it cannot join."""
    text = LAB.read_text().replace('["ce2:eth2", "leaf3:e1-2"]', '["ce2:eth2", "leaf2:e1-2"]')
    f = derive_intent(load_topology(_write_text(tmp_path / "t.clab.yml", text)))
    assert list(f.ethernet_segments) == ["ES-1"] and f.ces["ce2"].ethernet_segment is None
    assert [(a.interface, a.ce_interface) for a in f.nodes["leaf2"].access] == [("ethernet-1/2", "eth2")]
    assert [a.interface for a in f.nodes["leaf3"].access] == ["ethernet-1/1", "ethernet-1/3"]


def test_a_ce_with_links_in_and_out_of_its_bond_is_refused(tmp_path: Path) -> None:
    text = LAB.read_text().replace(
        '- endpoints: ["ce1:eth2", "leaf2:e1-1"]',
        '- endpoints: ["ce1:eth2", "leaf2:e1-1"]\n    - endpoints: ["ce1:eth3", "leaf3:e1-10"]',
    ).replace("- ip link set bond0 up", "- ip link set bond0 up\n        - ip addr add 192.168.9.1/24 dev eth3")
    with pytest.raises(IntentError, match="CE 'ce1' bonds eth1, eth2 but not eth3, also wired to a leaf"):
        derive_intent(load_topology(_write_text(tmp_path / "t.clab.yml", text)))


def _intent_error(tmp_path: Path, text: str) -> str:
    """The one-line IntentError the lab edited to `text` gives."""
    with pytest.raises(IntentError) as err:
        derive_intent(load_topology(_write_text(tmp_path / "t.clab.yml", text)))
    return str(err.value)


def _write_text(path: Path, text: str) -> Path:
    (path.parent / "configs").symlink_to(LAB.parent / "configs")
    path.write_text(text)
    return path


@pytest.mark.parametrize("edit", [
    ("- bash /ce1-config.sh", "- /bin/bash /ce1-config.sh"),  # the script, by its full path
    ("- bash /ce1-config.sh", "- /opt/lacp-bond.sh"),  # a script baked into the image
], ids=["bin-bash", "image-script"])
def test_a_bond_the_reader_cannot_follow_keeps_the_segment(tmp_path: Path, edit: tuple[str, str]) -> None:
    """Commands that do not say how the links are used keep the default (one bond, one
    ES): a first version made such a CE single-homed on both leaves under a CE running LACP."""
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "configs").symlink_to(PUBLISHED.parent / "configs")
    text = PUBLISHED.read_text()
    assert edit[0] in text
    (lab / "t.clab.yml").write_text(text.replace(*edit))
    f = derive_intent(load_topology(lab / "t.clab.yml"))
    assert f.ethernet_segments["ES-1"].members == {"leaf1": ["ethernet-1/1"], "leaf2": ["ethernet-1/1"]}


def test_ip_link_add_name_builds_a_bond(tmp_path: Path) -> None:
    text = LAB.read_text().replace("- ip link add bond0 type bond mode 802.3ad",
                                   "- ip link add name bond0 type bond mode 802.3ad")
    f = derive_intent(load_topology(_write_text(tmp_path / "t.clab.yml", text)))
    assert f.ethernet_segments["ES-1"].ce == "ce1"
    assert f.ethernet_segments["ES-1"].ce_mac == "00:c1:ab:00:00:11"


@pytest.mark.parametrize("commands", [
    ["ip -6 addr add 2001:db8::21/64 dev eth1", "ip a add 192.168.9.22/24 dev eth2"],
    ["ip addr replace 192.168.9.21/24 dev eth1", "ip link set eth2 vrf vrf-2"],
    ["ip -4 address add 192.168.9.21/24 dev eth1"],  # the other link: nothing said
], ids=["ipv6-and-ip-a", "replace-and-vrf", "one-link-addressed"])
def test_other_spellings_of_links_used_one_by_one_are_single_homed(tmp_path: Path, commands: list[str]) -> None:
    """A first version took any command it could not read as "one bond" and made these an
    ethernet segment of a CE that never speaks LACP."""
    from nornir_evpn.intent import assumed_bonds

    text = LAB.read_text()
    start = text.index("    ce1:\n")
    end = text.index("    ce2:\n")
    ce1 = "    ce1:\n      kind: linux\n      exec:\n" + "".join(f"        - {c}\n" for c in commands)
    topo = load_topology(_write_text(tmp_path / "t.clab.yml", text[:start] + ce1 + text[end:]))
    f = derive_intent(topo)
    assert f.ethernet_segments == {} and f.ces["ce1"].ethernet_segment is None
    assert [a.interface for a in f.nodes["leaf1"].access] == ["ethernet-1/1"]
    assert [a.interface for a in f.nodes["leaf2"].access] == ["ethernet-1/1"]
    assert assumed_bonds(topo) == []


def test_a_script_under_a_directory_bind_is_read(tmp_path: Path) -> None:
    """`configs:/configs` + `bash -x /configs/ce1-config.sh`: the bond in it is seen."""
    from nornir_evpn.intent import assumed_bonds

    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "configs").symlink_to(PUBLISHED.parent / "configs")
    text = PUBLISHED.read_text().replace("configs/ce1-config.sh:/ce1-config.sh", "configs:/configs").replace(
        "bash /ce1-config.sh", "bash -x /configs/ce1-config.sh")
    (lab / "t.clab.yml").write_text(text)
    topo = load_topology(lab / "t.clab.yml")
    assert derive_intent(topo).ethernet_segments["ES-1"].ce_mac == "00:c1:ab:00:00:11"
    assert assumed_bonds(topo) == []
    image = PUBLISHED.read_text().replace("bash /ce1-config.sh", "/opt/bond.sh")
    (lab / "u.clab.yml").write_text(image)
    assert assumed_bonds(load_topology(lab / "u.clab.yml")) == ["ce1"]  # named by `inventory`


def test_a_bond_line_continued_with_a_backslash_is_read(tmp_path: Path) -> None:
    """The bond line, split with `\\`, was dropped; `master bond0` of an unknown kind then
    counted as a VRF and made the CE single-homed with no note."""
    lab = tmp_path / "lab"
    (lab / "configs").mkdir(parents=True)
    script = (PUBLISHED.parent / "configs" / "ce1-config.sh").read_text()
    assert "ip link add bond0 type bond mode 802.3ad" in script
    (lab / "configs" / "ce1-config.sh").write_text(
        script.replace("ip link add bond0 type bond mode 802.3ad", "ip link add bond0 \\\n  type bond mode 802.3ad"))
    (lab / "configs" / "tool").write_bytes(b"\x7fELF\x02\x01\xff\xfe")  # a program, not a script
    for name in ("ce2-config.sh",):
        (lab / "configs" / name).write_text((PUBLISHED.parent / "configs" / name).read_text())
    for cfg in (PUBLISHED.parent / "configs").glob("*.cfg"):
        (lab / "configs" / cfg.name).write_text(cfg.read_text())
    (lab / "t.clab.yml").write_text(PUBLISHED.read_text())
    f = derive_intent(load_topology(lab / "t.clab.yml"))
    assert f.ethernet_segments["ES-1"].ce == "ce1" and f.ces["ce1"].interfaces["bond0"].bond_mode == "802.3ad"
    text = PUBLISHED.read_text().replace("configs/ce1-config.sh:/ce1-config.sh", "configs:/configs").replace(
        "bash /ce1-config.sh", "/configs/tool")
    (lab / "u.clab.yml").write_text(text)
    assert derive_intent(load_topology(lab / "u.clab.yml")).ethernet_segments["ES-1"].ce == "ce1"


def test_more_address_spellings() -> None:
    from nornir_evpn.intent import ce_from_commands

    ce = ce_from_commands("c", ["ip a a 10.0.0.1/24 dev eth1", "ip -f inet addr add 10.0.0.2/24 dev eth2",
                                "ip addr add dev eth3 10.0.0.3/24"])
    assert {n: i.ips for n, i in ce.interfaces.items()} == {
        "eth1": ["10.0.0.1/24"], "eth2": ["10.0.0.2/24"], "eth3": ["10.0.0.3/24"]}


def test_a_comment_ending_in_a_backslash_does_not_swallow_the_next_line(tmp_path: Path) -> None:
    """bash never continues a comment: the bond line after `# bond \\` still runs."""
    lab = tmp_path / "lab"
    (lab / "configs").mkdir(parents=True)
    for f in (PUBLISHED.parent / "configs").iterdir():
        (lab / "configs" / f.name).write_text(f.read_text())
    script = lab / "configs" / "ce1-config.sh"
    script.write_text(script.read_text().replace(
        "ip link add bond0 type bond mode 802.3ad", "# the bond \\\nip link add bond0 type bond mode 802.3ad"))
    (lab / "t.clab.yml").write_text(PUBLISHED.read_text())
    f = derive_intent(load_topology(lab / "t.clab.yml"))
    assert f.ces["ce1"].interfaces["bond0"].bond_mode == "802.3ad"


def test_a_bond_member_given_an_address_is_named_once(tmp_path: Path) -> None:
    """A group bonds eth1/eth2 and the node's own exec gives them addresses: the message read
    "bonds eth1, eth2 but not eth1, eth2" (0.4 joins the group's exec to the node's)."""
    text = LAB.read_text()
    ce1 = load_topology(LAB).nodes["ce1"].exec_lines
    head, end = text.index("    ce1:\n"), text.index("    ce2:\n")
    text = (text[:head] + "    ce1:\n      kind: linux\n      group: bonded\n      exec:\n"
            "        - ip addr add 192.168.0.31/24 dev eth1\n        - ip addr add 192.168.0.32/24 dev eth2\n"
            + text[end:])
    lines = "".join(f"        - {line}\n" for line in ce1)
    text = text.replace("  nodes:\n", f"  groups:\n    bonded:\n      exec:\n{lines}  nodes:\n", 1)
    assert "CE 'ce1' bonds eth1, eth2 and also gives them an address or VRF of their own" in _intent_error(tmp_path, text)


def test_generated_ces_keep_their_segment_when_another_is_taken_out(tmp_path: Path) -> None:
    """ce2x1 names no number of its own: numbered by position it became ES-1 once pair 1's
    CEs were gone, an ESI leaf1 still held (two CEs on one ESI after configure)."""
    from nornir_evpn.generate import generate_topology

    doc = generate_topology(2, 4, 2, ce_per_pair=2)
    before = derive_intent(load_topology(_write(tmp_path / "a.clab.yml", doc)))
    owner = {es.ce: (name, es.esi, es.lag) for name, es in before.ethernet_segments.items()}
    # CE k of pair p is number (p-1)*40 + k, whatever --ce-per-pair; lag k on its own pair
    assert owner["ce2x1"] == ("ES-41", "01:11:11:11:11:11:11:00:00:29", "lag1")
    nodes = doc["topology"]["nodes"]
    for ce in ("ce1x1", "ce1x2"):
        del nodes[ce]
    doc["topology"]["links"] = [ln for ln in doc["topology"]["links"]
                                if not any(e.startswith(("ce1x1:", "ce1x2:")) for e in ln["endpoints"])]
    after = derive_intent(load_topology(_write(tmp_path / "b.clab.yml", doc)))
    assert {es.ce: (name, es.esi, es.lag) for name, es in after.ethernet_segments.items()} == {
        ce: owner[ce] for ce in ("ce2x1", "ce2x2")}


def test_a_leaf_whose_last_ce_is_taken_out_stays_a_leaf(tmp_path: Path) -> None:
    """A node with no CE was a spine: taking out the only CE of a leaf pair made leaf1 and
    leaf2 spines (new system IP and AS on commit, their spine links dropped as spine-to-
    spine): verify then failed the underlay and overlay of every host. A node with no CE that
    links to a spine stays a leaf."""
    from nornir_evpn.generate import generate_topology

    doc = generate_topology(1, 4, 2)
    before = derive_intent(load_topology(_write(tmp_path / "a.clab.yml", doc)))
    gone = [name for name, es in before.ethernet_segments.items() if "leaf1" in es.members]
    ce = before.ethernet_segments[gone[0]].ce
    del doc["topology"]["nodes"][ce]
    doc["topology"]["links"] = [ln for ln in doc["topology"]["links"]
                                if not any(e.startswith(f"{ce}:") for e in ln["endpoints"])]
    after = derive_intent(load_topology(_write(tmp_path / "b.clab.yml", doc)))
    for name in ("leaf1", "leaf2", "leaf3", "leaf4", "spine1"):
        old, new = before.nodes[name], after.nodes[name]
        assert (new.role, new.system_ip, new.asn, new.underlay) == (old.role, old.system_ip, old.asn, old.underlay)
    assert set(after.ethernet_segments) == set(before.ethernet_segments) - set(gone)
    # inventory names them: a super-spine (no CE, links to spines) looks the same
    from nornir_evpn.intent import leaves_without_ce

    assert leaves_without_ce(load_topology(tmp_path / "b.clab.yml")) == ["leaf1", "leaf2"]
    assert leaves_without_ce(load_topology(tmp_path / "a.clab.yml")) == []


def test_roles_without_labels_follow_the_links(tmp_path: Path) -> None:
    """Leaves: nodes with a CE, and nodes with none that link to a spine; spines: the SR
    Linux neighbours of leaves; a `role` label overrides both."""
    doc = {"name": "r", "topology": {
        "nodes": {"s1": {"kind": "nokia_srlinux"}, "a": {"kind": "nokia_srlinux"},
                  "b": {"kind": "nokia_srlinux"}, "c": {"kind": "nokia_srlinux", "labels": {"role": "spine"}},
                  "h1": {"kind": "linux"}},
        "links": [{"endpoints": ["a:e1-1", "h1:eth1"]}, {"endpoints": ["a:e1-49", "s1:e1-1"]},
                  {"endpoints": ["b:e1-49", "s1:e1-2"]}, {"endpoints": ["b:e1-50", "c:e1-2"]}]}}
    fabric = derive_intent(load_topology(_write(tmp_path / "r.clab.yml", doc)))
    assert {n: node.role for n, node in fabric.nodes.items()} == {
        "a": "leaf", "b": "leaf", "s1": "spine", "c": "spine"}


@pytest.mark.parametrize(("spine1", "message"), [
    ({"kind": "nokia_srlinux"}, "spine1 is taken as a leaf, as it is wired to linux node(s) probe, but links to "
                                "no spine: its links to a, b join leaf to leaf and would be left out"),
    ({"kind": "nokia_srlinux", "labels": {"role": "leaf"}}, "spine1 is labelled role: leaf but links to no spine"),
])
def test_a_leaf_that_links_to_no_spine_is_refused(tmp_path: Path, spine1: dict[str, object], message: str) -> None:
    """A linux node on a spine's data port (a probe, a collector) made the spine a leaf: the
    inventory said `3 leaves, 0 spines`, exit 0, and every leaf-spine link was dropped as
    leaf-to-leaf, leaving no underlay anywhere."""
    doc = {"name": "p", "topology": {
        "nodes": {"spine1": spine1, "a": {"kind": "nokia_srlinux"}, "b": {"kind": "nokia_srlinux"},
                  "h1": {"kind": "linux"}, "h2": {"kind": "linux"}, "probe": {"kind": "linux"}},
        "links": [{"endpoints": ["a:e1-1", "h1:eth1"]}, {"endpoints": ["b:e1-1", "h2:eth1"]},
                  {"endpoints": ["a:e1-49", "spine1:e1-1"]}, {"endpoints": ["b:e1-49", "spine1:e1-2"]},
                  {"endpoints": ["probe:eth1", "spine1:e1-32"]}]}}
    with pytest.raises(IntentError) as err:
        derive_intent(load_topology(_write(tmp_path / "p.clab.yml", doc)))
    assert message in str(err.value)
    # without the probe's link the same nodes are a fabric; a leaf-to-leaf link beside the
    # uplinks (an inter-switch link) is still left alone
    doc["topology"]["links"] = [*doc["topology"]["links"][:4], {"endpoints": ["a:e1-50", "b:e1-50"]}]
    doc["topology"]["nodes"]["spine1"] = {"kind": "nokia_srlinux"}
    fabric = derive_intent(load_topology(_write(tmp_path / "q.clab.yml", doc)))
    assert {n: node.role for n, node in fabric.nodes.items()} == {"a": "leaf", "b": "leaf", "spine1": "spine"}


def test_a_leaf_linked_to_no_sr_linux_node_at_all_is_no_stranded_leaf(tmp_path: Path) -> None:
    """The refusal is for a leaf whose links to SR Linux nodes all join leaf to leaf: a
    one-leaf lab (a leaf and its CE), or a leaf labelled so beside a fabric with only its CE
    yet, has no such link to lose."""
    one = {"name": "one", "topology": {"nodes": {"a": {"kind": "nokia_srlinux"}, "h1": {"kind": "linux"}},
                                       "links": [{"endpoints": ["a:e1-1", "h1:eth1"]}]}}
    assert {n: x.role for n, x in derive_intent(load_topology(_write(tmp_path / "o.clab.yml", one))).nodes.items()} \
        == {"a": "leaf"}
    beside = {"name": "b", "topology": {
        "nodes": {"s1": {"kind": "nokia_srlinux"}, "a": {"kind": "nokia_srlinux"}, "b": {"kind": "nokia_srlinux"},
                  "c": {"kind": "nokia_srlinux", "labels": {"role": "leaf"}},
                  "h1": {"kind": "linux"}, "h2": {"kind": "linux"}, "h3": {"kind": "linux"}},
        "links": [{"endpoints": ["a:e1-1", "h1:eth1"]}, {"endpoints": ["b:e1-1", "h2:eth1"]},
                  {"endpoints": ["a:e1-49", "s1:e1-1"]}, {"endpoints": ["b:e1-49", "s1:e1-2"]},
                  {"endpoints": ["c:e1-1", "h3:eth1"]}]}}
    fabric = derive_intent(load_topology(_write(tmp_path / "b.clab.yml", beside)))
    assert {n: x.role for n, x in fabric.nodes.items()} == {"a": "leaf", "b": "leaf", "c": "leaf", "s1": "spine"}


def test_the_intent_says_itself_in_one_short_line() -> None:
    """Nornir logs a run's arguments at INFO (`-v`): the whole intent of a 128-leaf fabric
    made that one line of nornir.log 390 KB."""
    from nornir_evpn.intent import derive_intent
    from nornir_evpn.topology import load_topology

    fabric = derive_intent(load_topology(Path(__file__).resolve().parents[1] / "fixtures" / "fabric-2s4l2es.clab.yml"))
    assert repr(fabric) == ("FabricIntent(name='fabric-2s4l2es', overlay_mode='full-mesh', 4 leaves, 2 spines, "
                            "2 CEs, 2 ethernet segments)")


def test_growing_ce_per_pair_keeps_every_ces_segment(tmp_path: Path) -> None:
    """Numbered in a row, ce2x1 was ES-21 at --ce-per-pair 20 and ES-41 at 40: growing the
    data renumbered every pair but the first (ESIs, LACP keys: 60 values a leaf replaced)."""
    from nornir_evpn.generate import generate_topology

    def segments(per_pair: int) -> dict[str, tuple[str, str, str]]:
        path = _write(tmp_path / f"{per_pair}.clab.yml", generate_topology(2, 8, 4, ce_per_pair=per_pair))
        fabric = derive_intent(load_topology(path))
        return {es.ce: (name, es.esi, fabric.ces[es.ce].ips[0]) for name, es in fabric.ethernet_segments.items()}

    fewer, more = segments(20), segments(40)
    assert fewer == {ce: more[ce] for ce in fewer}
    assert fewer["ce2x1"] == ("ES-41", "01:11:11:11:11:11:11:00:00:29", "172.30.0.51")


@pytest.mark.parametrize(("pairs", "per_pair"), [(2, 1), (3, 1), (2, 2), (2, 40)])
def test_a_single_homed_ces_address_follows_its_leaf_not_the_multi_homed_ces(tmp_path: Path, pairs,
                                                                              per_pair) -> None:
    """shce9 was 172.30.0.95 with 3 pairs of 2 CEs and 172.30.0.133 with 4: counted on from
    the last multi-homed CE, one more pair readdressed every single-homed CE after it (a
    topology diff, and a new ping target, for CEs nothing changed; determinism tester)."""
    from nornir_evpn.generate import generate_topology

    path = _write(tmp_path / "g.clab.yml", generate_topology(2, 10, pairs, ce_per_pair=per_pair))
    fabric = derive_intent(load_topology(path))
    assert {name: ce.ips for name, ce in fabric.ces.items() if name.startswith("shce")} == {
        f"shce{n}": [f"172.30.200.{n}"] for n in range(2 * pairs + 1, 11)}
    every = [ip for ce in fabric.ces.values() for ip in ce.ips]
    assert len(set(every)) == len(every)


@pytest.mark.parametrize(("labels", "message"), [
    # mhce1's own ESI (its default)
    ("{esi: '01:11:11:11:11:11:11:00:00:01'}", "CEs 'mhce1' and 'mhce2' have the same ESI 01:11:11:11:11:11:11:00:00:01"),
    ("{es-name: ES-1}", "CEs 'mhce1' and 'mhce2' have the same ES name"),
])
def test_two_ces_with_one_esi_or_es_name_are_refused(tmp_path: Path, labels: str, message: str) -> None:
    """Two CEs on one ESI would merge two segments into one on the leaves (the DF election
    and aliasing across CEs that are not one); one ES name would make the second CE's lines
    overwrite the first's. Neither refusal was ever run by a test."""
    text = FABRIC.read_text().replace("    mhce2:\n      kind: linux\n",
                                      f"    mhce2:\n      kind: linux\n      labels: {labels}\n")
    p = tmp_path / "t.clab.yml"
    p.write_text(text)
    with pytest.raises(IntentError) as err:
        derive_intent(load_topology(p))
    assert message in str(err.value)


def test_the_spine_a_probe_made_a_leaf_is_named_when_a_leaf_without_ce_became_its_spine(tmp_path: Path) -> None:
    """A leaf without CE beside the probe: it was taken as the spine, the real spine (the
    probe's) as a leaf, and the refusal named leaf `a`, `taken as a leaf, as it is wired to
    linux node(s) h1, but links to no spine: its links to spine1 join leaf to leaf`: true of
    a, and no word of the probe or of spine1 being taken as a leaf."""
    doc = {"name": "p", "topology": {
        "nodes": {"spine1": {"kind": "nokia_srlinux"}, "a": {"kind": "nokia_srlinux"},
                  "b": {"kind": "nokia_srlinux"}, "c": {"kind": "nokia_srlinux"},
                  "h1": {"kind": "linux"}, "h2": {"kind": "linux"}, "probe": {"kind": "linux"}},
        "links": [{"endpoints": ["a:e1-1", "h1:eth1"]}, {"endpoints": ["b:e1-1", "h2:eth1"]},
                  {"endpoints": ["a:e1-49", "spine1:e1-1"]}, {"endpoints": ["b:e1-49", "spine1:e1-2"]},
                  {"endpoints": ["c:e1-49", "spine1:e1-3"]}, {"endpoints": ["probe:eth1", "spine1:e1-32"]}]}}
    with pytest.raises(IntentError) as err:
        derive_intent(load_topology(_write(tmp_path / "p.clab.yml", doc)))
    assert ("spine1 is taken as a leaf, as it is wired to linux node(s) probe, so a, b link to no spine: "
            "their links to spine1 join leaf to leaf and would be left out") in str(err.value)


def test_es_labels_on_a_ce_that_is_no_segment_are_named_by_inventory(tmp_path: Path, capsys) -> None:
    """`lag-member-speed` (or `esi`, `lag`...) put on ce2, which uses its links one by one:
    nothing took it, not even its check (`30G`); `inventory` says so, and the multi-homed
    CE's labels are no note."""
    from nornir_evpn.cli import main
    from nornir_evpn.intent import unused_es_labels

    text = LAB.read_text().replace("    ce2:\n      kind: linux\n", "    ce2:\n      kind: linux\n"
                                   "      labels: {lag-member-speed: 30G, esi: '01:00'}\n")
    text = text.replace("    ce1:\n      kind: linux\n", "    ce1:\n      kind: linux\n      labels: {lag-member-speed: 25G}\n")
    lab = _write_text(tmp_path / "t.clab.yml", text)
    assert unused_es_labels(load_topology(lab)) == ["ce2 (esi, lag-member-speed)"]
    capsys.readouterr()
    assert main(["inventory", "--topology", str(lab), "--out", str(tmp_path / "inv")]) == 0
    err = capsys.readouterr().err
    assert ("note: ce2 (esi, lag-member-speed): ethernet-segment labels on a CE that is no ethernet segment "
            "(bonded to two or more leaves): ignored") in err
    assert "ce1 (" not in err
    assert unused_es_labels(load_topology(LAB)) == []
