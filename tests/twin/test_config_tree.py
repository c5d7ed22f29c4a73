"""ConfigTree: schema-aware set/delete, printing, diff and the flat round trip."""

from __future__ import annotations

from importlib.resources import files

from hypothesis import given, settings
from hypothesis import strategies as st

from nornir_evpn.twin.config_tree import ConfigTree, diff, diff_flat, parse_flat, tokenize

LEAF1 = (files("nornir_evpn.lab") / "configs" / "leaf1.cfg").read_text()


def test_leaf_replace_keeps_one_value() -> None:
    t = ConfigTree()
    t.set(("interface", "ethernet-1/1", "admin-state", "enable"))
    t.set(("interface", "ethernet-1/1", "admin-state", "disable"))
    assert t.keys(("interface", "ethernet-1/1", "admin-state")) == ["disable"]
    assert t.value(("interface", "ethernet-1/1", "admin-state")) == "disable"


def test_lists_accumulate_keys_in_natural_order() -> None:
    t = ConfigTree()
    for name in ("ethernet-1/10", "ethernet-1/2", "ethernet-1/1"):
        t.set(("interface", name, "admin-state", "enable"))
    t.set(("interface", "ethernet-1/2", "subinterface", "0", "ipv4", "address", "10.0.0.1/30"))
    t.set(("interface", "ethernet-1/2", "subinterface", "0", "ipv4", "address", "10.0.0.5/30"))
    assert t.keys(("interface",)) == ["ethernet-1/1", "ethernet-1/2", "ethernet-1/10"]
    addr = ("interface", "ethernet-1/2", "subinterface", "0", "ipv4", "address")
    assert t.keys(addr) == ["10.0.0.1/30", "10.0.0.5/30"]


def test_context_sensitive_schema() -> None:
    t = ConfigTree()
    bi = ("network-instance", "mac-vrf-1", "protocols", "bgp-evpn", "bgp-instance", "1")
    # under a bgp-evpn bgp-instance, vxlan-interface is a leaf reference: replaced
    t.set((*bi, "vxlan-interface", "vxlan1.1"))
    t.set((*bi, "vxlan-interface", "vxlan1.2"))
    assert t.keys((*bi, "vxlan-interface")) == ["vxlan1.2"]
    # under the network-instance it is a list: accumulates
    t.set(("network-instance", "mac-vrf-1", "vxlan-interface", "vxlan1.1"))
    t.set(("network-instance", "mac-vrf-1", "vxlan-interface", "vxlan1.2"))
    assert t.keys(("network-instance", "mac-vrf-1", "vxlan-interface")) == ["vxlan1.1", "vxlan1.2"]
    # /system network-instance protocols is a container: evpn and bgp-vpn coexist
    t.set(("system", "network-instance", "protocols", "evpn"))
    t.set(("system", "network-instance", "protocols", "bgp-vpn"))
    assert t.keys(("system", "network-instance", "protocols")) == ["bgp-vpn", "evpn"]


def test_leaf_list_plain_and_bracketed_store_the_same() -> None:
    g = ("network-instance", "default", "protocols", "bgp", "group", "g1")
    a, b = ConfigTree(), ConfigTree()
    a.set((*g, "export-policy", "all"))
    b.set((*g, "export-policy", "[", "all", "]"))
    assert a == b
    b.set((*g, "export-policy", "[", "p1", "p2", "]"))
    assert b.keys((*g, "export-policy")) == ["p1", "p2"]
    assert b.flat() == ["set / network-instance default protocols bgp group g1 export-policy [ p1 p2 ]"]
    assert parse_flat("\n".join(b.flat())) == b


def test_startup_config_parse_and_queries() -> None:
    t = parse_flat(LEAF1)
    assert t.value(("network-instance", "mac-vrf-1", "protocols", "bgp-evpn", "bgp-instance",
                    "1", "evi")) == "111"
    assert "set / network-instance default protocols bgp autonomous-system 101" in t.flat()
    assert t.exists(("routing-policy", "policy", "all", "default-action"))
    assert parse_flat("\n".join(t.flat())) == t
    assert t.flat(("interface", "system0")) == [
        "set / interface system0 admin-state enable",
        "set / interface system0 subinterface 0 ipv4 address 10.0.0.1/32",
        "set / interface system0 subinterface 0 ipv4 admin-state enable",
    ]


def test_render_hierarchical() -> None:
    t = ConfigTree()
    t.set(("interface", "lag1", "admin-state", "enable"))
    t.set(("interface", "lag1", "subinterface", "0", "vlan", "encap", "untagged"))
    t.set(("network-instance", "mac-vrf-1", "interface", "lag1.0"))
    assert t.render() == (
        "interface lag1 {\n"
        "    admin-state enable\n"
        "    subinterface 0 {\n"
        "        vlan {\n"
        "            encap {\n"
        "                untagged {\n"
        "                }\n"
        "            }\n"
        "        }\n"
        "    }\n"
        "}\n"
        "network-instance mac-vrf-1 {\n"
        "    interface lag1.0 {\n"
        "    }\n"
        "}"
    )


def test_delete_and_diff() -> None:
    old = parse_flat(LEAF1)
    new = old.copy()
    assert new.delete(("routing-policy",)) is True
    assert new.delete(("routing-policy",)) is False
    new.set(("interface", "system0", "admin-state", "disable"))
    assert diff(old, old.copy()) == ""
    d = diff(old, new)
    assert "  interface system0 {\n-     admin-state enable\n+     admin-state disable\n  }" in d
    assert "- routing-policy {" in d
    # as SR Linux prints it: a changed value is one `insert`, a removed subtree one `delete`
    assert diff_flat(old, new).splitlines() == [
        "insert / interface system0 admin-state disable",
        "delete / routing-policy",
    ]


def test_a_lists_last_entry_deleted_takes_the_list_with_it() -> None:
    """`delete / interface ethernet-1/1 subinterface 0` left `set / interface ethernet-1/1
    subinterface` in `info flat`: an empty list SR Linux never prints."""
    t = parse_flat("set / interface ethernet-1/1 admin-state enable\n"
                   "set / interface ethernet-1/1 subinterface 0 admin-state enable\n")
    assert t.delete(("interface", "ethernet-1/1", "subinterface", "0")) is True
    assert t.flat() == ["set / interface ethernet-1/1 admin-state enable"]
    t.set(("interface", "ethernet-1/1", "description", "x"))
    assert t.delete(("interface", "ethernet-1/1", "description")) is True
    assert t.flat() == ["set / interface ethernet-1/1 admin-state enable"]  # an entry stays


def test_tokenize_quotes_and_comments() -> None:
    assert tokenize('set / interface e1 description "to ce1 eth1" # note') == [
        "set", "/", "interface", "e1", "description", "to ce1 eth1"]
    t = ConfigTree()
    t.set(("interface", "e1", "description", "to ce1 eth1"))
    assert t.flat() == ['set / interface e1 description "to ce1 eth1"']
    assert parse_flat(t.flat()[0]) == t


_TOKENS = st.sampled_from(
    ["interface", "subinterface", "admin-state", "enable", "disable", "ethernet-1/1",
     "ethernet-1/10", "lag1", "0", "1", "ipv4", "address", "10.0.0.1/32", "network-instance",
     "protocols", "bgp-evpn", "bgp-instance", "vxlan-interface", "export-policy", "evpn",
     "untagged", "encap", "system", "x y", "description"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(_TOKENS, min_size=1, max_size=7), max_size=12))
def test_flat_round_trip(paths: list[list[str]]) -> None:
    t = ConfigTree()
    for p in paths:
        t.set(p)
    assert parse_flat("\n".join(t.flat())) == t


def test_a_leaf_lists_last_value_deleted_takes_the_leaf_list_with_it() -> None:
    t = parse_flat("set / network-instance default protocols bgp group g export-policy all\n"
                   "set / network-instance default protocols bgp group g admin-state enable\n")
    assert t.delete(("network-instance", "default", "protocols", "bgp", "group", "g", "export-policy", "all"))
    assert t.flat() == ["set / network-instance default protocols bgp group g admin-state enable"]
