"""`configure --prune`: which BGP neighbors the intent no longer has (transcript input)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nornir_evpn.errors import ParseError
from nornir_evpn.intent import derive_intent
from nornir_evpn.prune import prune_lines
from nornir_evpn.topology import load_topology

ROOT = Path(__file__).resolve().parents[2]
SPINE1 = (ROOT / "tests" / "fixtures" / "l2evpn_spine1_show_bgp_neighbor.txt").read_text()


@pytest.fixture
def spine1():
    return derive_intent(load_topology(ROOT / "inventory" / "evpn-mh01.clab.yml")).nodes["spine1"]


def test_only_peers_of_owned_groups_the_intent_lacks(spine1) -> None:
    # the transcript's spine1 has eBGP-underlay sessions to leaf1 (192.168.11.1) and leaf2
    assert prune_lines(spine1, ["underlay", "overlay"], SPINE1) == []
    spine1.underlay = [u for u in spine1.underlay if u.peer != "leaf2"]
    assert prune_lines(spine1, ["underlay", "overlay"], SPINE1) == [
        "delete / network-instance default protocols bgp neighbor 192.168.12.1"]
    assert prune_lines(spine1, ["overlay"], SPINE1) == []  # underlay not configured now: not owned
    spine1.underlay_group = "underlay-v2"  # sessions of a group the intent does not name stay
    assert prune_lines(spine1, ["underlay", "overlay"], SPINE1) == []


def test_no_bgp_yet_prunes_nothing_and_garbage_is_an_error(spine1) -> None:
    assert prune_lines(spine1, ["underlay"], "Error: network-instance default has no bgp\n") == []
    with pytest.raises(ParseError):
        prune_lines(spine1, ["underlay"], "something else entirely\n")


def test_list_resets_empty_each_owned_list_the_config_sets_once_before_it() -> None:
    from nornir_evpn.prune import list_resets
    from nornir_evpn.render import Renderer

    fabric = derive_intent(load_topology(ROOT / "inventory" / "evpn-mh01.clab.yml"))
    config = [ln for lines in Renderer().render(fabric.nodes["leaf1"], fabric).values() for ln in lines]
    es = "system network-instance protocols evpn ethernet-segments bgp-instance 1 ethernet-segment ES-1 interface"
    assert list_resets(config) == [
        "delete / interface ethernet-1/49 subinterface 0 ipv4 address",
        "delete / interface system0 subinterface 0 ipv4 address",
        # max-elements 1: a mac-vrf moved to another vxlan-interface by hand could not be
        # moved back (two entries, refused at commit)
        "delete / network-instance mac-vrf-1 vxlan-interface",
        f"delete / {es}",
    ]
    # nothing else the intent sets is emptied: not a BGP group, not the mac-vrf's interfaces
    assert list_resets(["set / network-instance mac-vrf-1 interface lag1.0",
                        "set / interface lag1 subinterface 0 vlan encap untagged"]) == []


# --- a CE taken out: what it left attached to the mac-vrf ------------------------------------
MH01 = ROOT / "inventory" / "evpn-mh01.clab.yml"
ALL = ["underlay", "overlay", "mac_vrf", "multihoming"]
ES = "system network-instance protocols evpn ethernet-segments bgp-instance 1 ethernet-segment"


def _rendered(fabric, node: str) -> list[str]:
    from nornir_evpn.render import Renderer

    return [ln for lines in Renderer().render(fabric.nodes[node], fabric).values() for ln in lines]


def _device(config: list[str], mac_vrf: str = "mac-vrf-1") -> list[str]:
    """The three `info flat from running` answers for a device configured with `config`."""
    from nornir_evpn.twin.config_tree import parse_flat

    tree = parse_flat("\n".join(config))
    return ["\n".join(tree.flat(("network-instance", mac_vrf))),
            "\n".join(tree.flat(tuple(ES.split()[:-2]))),
            "\n".join(ln for p in tree.expand(("interface", "*")) for ln in tree.flat(p))]


def _without(topology_text: str, node: str, link_end: str | None = None) -> str:
    import yaml

    doc = yaml.safe_load(topology_text)
    if link_end is None:
        del doc["topology"]["nodes"][node]
        link_end = f"{node}:"
    doc["topology"]["links"] = [ln for ln in doc["topology"]["links"]
                                if not any(e.startswith(link_end) for e in ln["endpoints"])]
    return yaml.safe_dump(doc, sort_keys=False)


def _intent(tmp_path: Path, text: str):
    (tmp_path / "configs").symlink_to(ROOT / "inventory" / "configs")
    path = tmp_path / "t.clab.yml"
    path.write_text(text)
    return derive_intent(load_topology(path))


def test_a_multihomed_ce_taken_out_leaves_its_attachment_es_lag_and_members(tmp_path) -> None:
    from nornir_evpn.prune import attachment_commands, stale_attachment_lines

    before = derive_intent(load_topology(MH01))
    after = _intent(tmp_path, _without(MH01.read_text(), "ce1"))
    leaf1 = after.nodes["leaf1"]
    assert attachment_commands(leaf1, ALL) == [
        "info flat from running /network-instance mac-vrf-1",
        "info flat from running /system network-instance protocols evpn ethernet-segments",
        "info flat from running /interface *"]
    device = _device(_rendered(before, "leaf1"))
    assert stale_attachment_lines(leaf1, _rendered(after, "leaf1"), device) == [
        "delete / network-instance mac-vrf-1 interface lag1.0",
        f"delete / {ES} ES-1",
        "delete / interface ethernet-1/1 ethernet aggregate-id",
        "delete / interface lag1",
    ]
    # the intent unchanged: nothing; leaf3 (ce2 still there): nothing
    assert stale_attachment_lines(before.nodes["leaf1"], _rendered(before, "leaf1"), device) == []
    leaf3 = _device(_rendered(before, "leaf3"))
    assert stale_attachment_lines(after.nodes["leaf3"], _rendered(after, "leaf3"), leaf3) == []


def test_a_single_homed_link_taken_out_leaves_its_subinterface_and_vlan_tagging(tmp_path) -> None:
    from nornir_evpn.prune import stale_attachment_lines

    before = derive_intent(load_topology(MH01))
    after = _intent(tmp_path, _without(MH01.read_text(), "ce2", link_end="ce2:eth3"))
    assert stale_attachment_lines(after.nodes["leaf3"], _rendered(after, "leaf3"),
                                  _device(_rendered(before, "leaf3"))) == [
        "delete / network-instance mac-vrf-1 interface ethernet-1/3.0",
        "delete / interface ethernet-1/3 subinterface 0",
        "delete / interface ethernet-1/3 vlan-tagging",
    ]


def test_a_renamed_lag_keeps_its_es_and_its_member_moves_with_it() -> None:
    """ce1's LAG renamed lag1 -> lag10: the old attachment and LAG go; ES-1 (the intent's,
    its interface list reset by list_resets) and ethernet-1/1 (now lag10's) stay."""
    from nornir_evpn.prune import stale_attachment_lines

    fabric = derive_intent(load_topology(MH01))
    old = _rendered(fabric, "leaf1")
    new = [ln.replace("lag1", "lag10") for ln in old]
    assert stale_attachment_lines(fabric.nodes["leaf1"], new, _device(old)) == [
        "delete / network-instance mac-vrf-1 interface lag1.0", "delete / interface lag1"]


def test_a_single_homed_port_made_a_lag_member_loses_its_vlan_tagging() -> None:
    """SR Linux refuses `vlan-tagging` beside `aggregate-id`: the port's access config goes."""
    from nornir_evpn.prune import stale_attachment_lines

    fabric = derive_intent(load_topology(MH01))
    old = _rendered(fabric, "leaf3")
    new = [ln for ln in old if "ethernet-1/3" not in ln] + [
        "set / interface ethernet-1/3 ethernet aggregate-id lag3",
        "set / interface lag3 admin-state enable", "set / network-instance mac-vrf-1 interface lag3.0"]
    assert stale_attachment_lines(fabric.nodes["leaf3"], new, _device(old)) == [
        "delete / network-instance mac-vrf-1 interface ethernet-1/3.0",
        "delete / interface ethernet-1/3 subinterface 0",
        "delete / interface ethernet-1/3 vlan-tagging",
    ]


def test_attachments_are_read_only_when_configure_owns_the_whole_mac_vrf() -> None:
    from nornir_evpn.prune import attachment_commands

    fabric = derive_intent(load_topology(MH01))
    assert attachment_commands(fabric.nodes["spine1"], ALL) == []  # no mac-vrf
    # access ports without LAGs (or LAGs without access ports) would look stale
    assert attachment_commands(fabric.nodes["leaf1"], ["mac_vrf"]) == []
    assert attachment_commands(fabric.nodes["leaf1"], ["multihoming", "overlay"]) == []


def test_attachments_no_mac_vrf_yet_prunes_nothing_and_garbage_is_an_error() -> None:
    from nornir_evpn.prune import stale_attachment_lines

    fabric = derive_intent(load_topology(MH01))
    leaf1, config = fabric.nodes["leaf1"], _rendered(fabric, "leaf1")
    assert stale_attachment_lines(leaf1, config, ["", "", ""]) == []
    assert stale_attachment_lines(leaf1, config, ["Error: Path not found", "", ""]) == []
    stale = ["set / network-instance mac-vrf-1 interface lag7.0", "", ""]
    with pytest.raises(ParseError, match="could not read the interfaces"):
        stale_attachment_lines(leaf1, config, [stale[0], "", "Error: something"])
    with pytest.raises(ParseError, match="unexpected answer"):
        stale_attachment_lines(leaf1, config, ["interface lag7.0 {", "", ""])
    with pytest.raises(ParseError, match="unexpected interface"):
        stale_attachment_lines(leaf1, config, ["set / network-instance mac-vrf-1 interface Lag7", "", ""])


def test_an_extra_subinterface_of_an_intent_lag_goes_alone() -> None:
    from nornir_evpn.prune import stale_attachment_lines

    fabric = derive_intent(load_topology(MH01))
    config = _rendered(fabric, "leaf1")
    device = _device([*config, "set / interface lag1 subinterface 5 type bridged",
                      "set / network-instance mac-vrf-1 interface lag1.5"])
    assert stale_attachment_lines(fabric.nodes["leaf1"], config, device) == [
        "delete / network-instance mac-vrf-1 interface lag1.5", "delete / interface lag1 subinterface 5"]


def test_a_port_keeps_its_tagging_while_the_config_sets_it_and_only_deletes_what_is_there() -> None:
    from nornir_evpn.prune import stale_attachment_lines

    fabric = derive_intent(load_topology(MH01))
    old = _rendered(fabric, "leaf3")
    attach = "set / network-instance mac-vrf-1 interface ethernet-1/3.0"
    # the config still sets up the subinterface (and tagging), it only no longer attaches it:
    # the subinterface goes whole before the rendered lines, which set what the intent has
    assert stale_attachment_lines(fabric.nodes["leaf3"], [ln for ln in old if ln != attach], _device(old)) == [
        "delete / network-instance mac-vrf-1 interface ethernet-1/3.0", "delete / interface ethernet-1/3 subinterface 0"]
    # a port attached by hand without vlan-tagging: no delete for a leaf that is not there
    device = _device([*old, "set / interface ethernet-1/9 subinterface 0 type bridged",
                      "set / network-instance mac-vrf-1 interface ethernet-1/9.0"])
    assert stale_attachment_lines(fabric.nodes["leaf3"], old, device) == [
        "delete / network-instance mac-vrf-1 interface ethernet-1/9.0",
        "delete / interface ethernet-1/9 subinterface 0"]


def test_a_multihomed_ce_made_single_homed_frees_its_port_for_access(tmp_path) -> None:
    """ce1 keeps its link to leaf1 only: leaf1's ethernet-1/1 becomes an access port (which
    SR Linux refuses beside an aggregate-id), leaf2's ethernet-1/1 joins nothing."""
    from nornir_evpn.prune import stale_attachment_lines

    before = derive_intent(load_topology(MH01))
    after = _intent(tmp_path, _without(MH01.read_text(), "ce1", link_end="ce1:eth2"))
    assert "set / interface ethernet-1/1 vlan-tagging true" in _rendered(after, "leaf1")
    for leaf in ("leaf1", "leaf2"):
        assert stale_attachment_lines(after.nodes[leaf], _rendered(after, leaf), _device(_rendered(before, leaf))) == [
            "delete / network-instance mac-vrf-1 interface lag1.0",
            f"delete / {ES} ES-1",
            "delete / interface ethernet-1/1 ethernet aggregate-id",
            "delete / interface lag1",
        ], leaf


def test_a_port_or_lag_serving_another_vlan_keeps_all_but_the_ces_subinterface(tmp_path) -> None:
    """(review) A CE taken out of the topology, its LAG or port still carrying a VLAN of a
    hand-made mac-vrf-2: deleting `interface lag2` or the port's `vlan-tagging` broke that
    service (SR Linux refuses a vlan-id without vlan-tagging)."""
    from nornir_evpn.prune import stale_attachment_lines

    before = derive_intent(load_topology(MH01))
    vlan10 = ["set / interface {p} subinterface 1 type bridged",
              "set / interface {p} subinterface 1 vlan encap single-tagged vlan-id 10",
              "set / network-instance mac-vrf-2 type mac-vrf", "set / network-instance mac-vrf-2 interface {p}.1"]
    after = _intent(tmp_path, _without(MH01.read_text(), "ce1"))
    leaf1 = _device([*_rendered(before, "leaf1"), *(ln.format(p="lag1") for ln in vlan10)])
    assert stale_attachment_lines(after.nodes["leaf1"], _rendered(after, "leaf1"), leaf1) == [
        "delete / network-instance mac-vrf-1 interface lag1.0", "delete / interface lag1 subinterface 0"]
    leaf3 = _device([*_rendered(before, "leaf3"), *(ln.format(p="ethernet-1/3") for ln in vlan10)])
    (tmp_path / "sh").mkdir()
    shce_after = _intent(tmp_path / "sh", _without(MH01.read_text(), "ce2", link_end="ce2:eth3"))
    assert stale_attachment_lines(shce_after.nodes["leaf3"], _rendered(shce_after, "leaf3"), leaf3) == [
        "delete / network-instance mac-vrf-1 interface ethernet-1/3.0", "delete / interface ethernet-1/3 subinterface 0"]


def test_an_irb_in_the_mac_vrf_is_nobodys_leftover() -> None:
    """(review) irb0.1 in mac-vrf-1 and ip-vrf-1, the EVPN IRB design: prune deleted the
    subinterface and left ip-vrf-1 pointing at nothing."""
    from nornir_evpn.prune import stale_attachment_lines

    fabric = derive_intent(load_topology(MH01))
    config = _rendered(fabric, "leaf1")
    device = _device([*config, "set / interface irb0 subinterface 1 ipv4 admin-state enable",
                      "set / network-instance mac-vrf-1 interface irb0.1"])
    assert stale_attachment_lines(fabric.nodes["leaf1"], config, device) == []


# --- a leaf or spine taken out: the routed link that faced it ----------------------------------
def _stale_links(node, config: list[str], outputs: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """`stale_link_lines` with the neighbors prune finds stale in SPINE1 (the transcript)."""
    from nornir_evpn.prune import stale_link_lines, stale_neighbors

    return stale_link_lines(node, config, stale_neighbors(node, ALL, SPINE1), outputs)


def _links(config: list[str]) -> list[str]:
    """The two `link_commands` answers for a device configured with `config`."""
    from nornir_evpn.twin.config_tree import parse_flat

    tree = parse_flat("\n".join(config))
    return ["\n".join(ln for p in tree.expand(("interface", "*")) for ln in tree.flat(p)),
            "\n".join(ln for p in tree.expand(("network-instance", "default", "interface", "*"))
                      for ln in tree.flat(p))]


def test_a_leaf_taken_out_leaves_the_spine_subinterface_that_faced_it(tmp_path) -> None:
    from nornir_evpn.prune import link_commands

    before = derive_intent(load_topology(MH01))
    after = _intent(tmp_path, _without(MH01.read_text(), "leaf2"))
    assert link_commands(ALL) == ["info flat from running /interface *",
                                  "info flat from running /network-instance default interface *"]
    assert link_commands(["overlay", "mac_vrf"]) == []  # the underlay not configured: not owned
    device = _links(_rendered(before, "spine1"))
    # SPINE1 (the transcript) has the session to leaf2's 192.168.12.1: spine1's ethernet-1/2
    # holds 192.168.12.2/30
    assert _stale_links(after.nodes["spine1"], _rendered(after, "spine1"), device) == [
        "delete / network-instance default interface ethernet-1/2.0",
        "delete / interface ethernet-1/2 subinterface 0"]
    # the same intent: the session is not stale, nothing goes; no reads, nothing either
    assert _stale_links(before.nodes["spine1"], _rendered(before, "spine1"), device) == []
    assert _stale_links(after.nodes["spine1"], _rendered(after, "spine1"), []) == []


def test_a_renumbered_peer_keeps_the_subinterface_and_a_routed_port_nobody_owned_stays(tmp_path) -> None:
    before = derive_intent(load_topology(MH01))
    spine1 = before.nodes["spine1"]
    config = _rendered(before, "spine1")
    # leaf2 renumbered: the intent still sets ethernet-1/2.0 (a new /30); the list reset renews it
    spine1.underlay = [u.model_copy(update={"peer_ip": "192.168.99.1"}) if u.peer == "leaf2" else u
                       for u in spine1.underlay]
    assert _stale_links(spine1, config, _links(config)) == []
    # a hand-made routed port whose subnet holds no pruned peer is someone else's
    extra = ["set / interface ethernet-1/9 subinterface 0 ipv4 address 203.0.113.1/30",
             "set / network-instance default interface ethernet-1/9.0"]
    after = _intent(tmp_path, _without(MH01.read_text(), "leaf2"))
    assert _stale_links(after.nodes["spine1"], _rendered(after, "spine1"),
                        _links(config + extra)) == [
        "delete / network-instance default interface ethernet-1/2.0",
        "delete / interface ethernet-1/2 subinterface 0"]


def test_links_an_unreadable_interface_list_is_an_error(tmp_path) -> None:
    after = _intent(tmp_path, _without(MH01.read_text(), "leaf2"))
    with pytest.raises(ParseError):
        _stale_links(after.nodes["spine1"], [], ["Error: permission denied", ""])
    with pytest.raises(ParseError):
        _stale_links(after.nodes["spine1"], [], ["something else entirely", ""])


def test_only_the_default_instances_point_to_point_link_goes_and_an_uplink_made_access_port_too(tmp_path) -> None:
    """Review: a tenant's ip-vrf port or a hand-made /16 holding the removed peer's address
    was deleted too; an old uplink the intent now uses as a CE's access port was kept routed
    (its /30 and default-instance entry beside the new bridged use: refused at commit)."""
    before = derive_intent(load_topology(MH01))
    after = _intent(tmp_path, _without(MH01.read_text(), "leaf2"))
    hand_made = ["set / interface ethernet-1/9 subinterface 0 ipv4 address 192.168.0.1/16",
                 "set / network-instance default interface ethernet-1/9.0",
                 "set / interface ethernet-1/9 subinterface 5 ipv4 address 192.168.12.1/24",
                 "set / network-instance tenant interface ethernet-1/9.5"]
    device = _links(_rendered(before, "spine1") + hand_made)
    assert _stale_links(after.nodes["spine1"], _rendered(after, "spine1"), device) == [
        "delete / network-instance default interface ethernet-1/2.0",
        "delete / interface ethernet-1/2 subinterface 0"]
    # ethernet-1/2 now faces a CE: the config sets it up bridged, with no address
    access = [*_rendered(after, "spine1"), "set / interface ethernet-1/2 subinterface 0 type bridged"]
    assert _stale_links(after.nodes["spine1"], access, device) == [
        "delete / network-instance default interface ethernet-1/2.0",
        "delete / interface ethernet-1/2 subinterface 0"]
