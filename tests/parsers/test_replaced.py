"""The running values a candidate replaces, read from the hierarchical `diff`."""

from __future__ import annotations

from nornir_evpn.replaced import Replaced, default_of, inherited_from, replaced_values
from nornir_evpn.twin.config_tree import diff, parse_flat

# the layout of learn-srlinux's `diff /` transcript (l2evpn fabric.md): context lines
# indented from column 4, marked lines one mark and five spaces, then 4 per level
SRL_LAYOUT = """\
    interface ethernet-1/1 {
        ethernet {
-           aggregate-id lag5
+           aggregate-id lag1
        }
    }
+     interface lag1 {
+         admin-state enable
+     }
    network-instance default {
        protocols {
            bgp {
-               autonomous-system 65001
+               autonomous-system 101
-               router-id 10.1.1.1
                group ebgp {
-                   export-policy [ mine ]
+                   export-policy [ all ]
                }
            }
        }
    }
-     interface lag5 {
-         admin-state enable
-     }
"""


def test_a_replaced_value_is_a_minus_then_a_plus_of_the_same_leaf_in_the_same_container():
    assert replaced_values(SRL_LAYOUT) == [
        Replaced("interface ethernet-1/1 ethernet aggregate-id", "lag5", "lag1"),
        Replaced("network-instance default protocols bgp autonomous-system", "65001", "101"),
        Replaced("network-instance default protocols bgp router-id", "10.1.1.1", None),  # deleted
        Replaced("network-instance default protocols bgp group ebgp export-policy", "[ mine ]", "[ all ]"),
    ]  # lag1 and lag5, added and removed whole: neither


def test_the_twin_diff_reads_the_same():
    old = parse_flat("set / interface ethernet-1/1 ethernet aggregate-id lag5\n"
                     "set / network-instance default protocols bgp autonomous-system 65001\n")
    new = parse_flat("set / interface ethernet-1/1 ethernet aggregate-id lag1\n"
                     "set / interface lag1 admin-state enable\n"
                     "set / network-instance default protocols bgp autonomous-system 65001\n")
    assert replaced_values(diff(old, new)) == [
        Replaced("interface ethernet-1/1 ethernet aggregate-id", "lag5", "lag1")]
    assert replaced_values("") == []


# a changed policy chain as an SR Linux lab transcript prints it (srl-labs-style course,
# "Exercise 4 Results": `diff` after `set ... export-policy [export-hijack]`, condensed)
TRANSCRIPT_CHAIN = """\
      network-instance default {
          protocols { bgp { group spines {
              export-policy [
-                 export-bgp
-                 export-connected
+                 export-hijack
              ]
          } } }
      }
"""


def test_a_leaf_list_block_is_one_value():
    """A chain printed one value per line read as `export-policy: all -> [`, or not at all
    (review): the block is one value, marked whole or marked per value inside."""
    got = replaced_values(TRANSCRIPT_CHAIN)
    assert [(r.old, r.new) for r in got] == [("[ export-bgp export-connected ]", "[ export-hijack ]")]
    g = "set / network-instance default protocols bgp group g export-policy "
    for old, new, expected in (("all", "[ a b ]", ("all", "[ a b ]")), ("[ a b ]", "all", ("[ a b ]", "all")),
                               ("[ a b ]", "[ b a ]", ("[ a b ]", "[ b a ]"))):
        [r] = replaced_values(diff(parse_flat(g + old), parse_flat(g + new)))
        assert (r.path, r.old, r.new) == ("network-instance default protocols bgp group g export-policy", *expected)


def test_a_value_put_back_to_its_default_is_a_deleted_one():
    """An uplink shut for maintenance: configure's `delete ... admin-state` brings it back up,
    and the list said nothing (`-` alone; day-2 tester). A leaf of a removed subtree is not."""
    old = parse_flat("set / interface ethernet-1/49 admin-state disable\n"
                     "set / interface ethernet-1/49 description uplink\n"
                     "set / network-instance default protocols bgp neighbor 10.0.9.9 admin-state disable\n")
    new = parse_flat("set / interface ethernet-1/49 description uplink\n")
    assert replaced_values(diff(old, new)) == [
        Replaced("interface ethernet-1/49 admin-state", "disable", None)]  # the neighbor went whole


def test_the_defaults_named_are_those_of_the_leaves_configure_deletes():
    """A deleted leaf's default is named only for the leaves the templates delete to put a
    default back; other admin-states default to `disable` (gnmi-server, a BGP afi-safi) or,
    on a neighbor's afi-safi, follow the group."""
    for path in ("interface ethernet-1/49 admin-state", "interface lag1 subinterface 0 admin-state",
                 "network-instance default protocols bgp admin-state",
                 "network-instance default protocols bgp group eBGP-underlay admin-state",
                 "network-instance default protocols bgp neighbor 10.0.0.1 admin-state"):
        assert default_of(path) == "enable", path
    assert default_of("interface lag1 lag min-links") == "1"
    for path in ("system gnmi-server admin-state", "interface ethernet-1/1 description",
                 "network-instance default protocols bgp afi-safi evpn admin-state",
                 "network-instance default protocols bgp neighbor 10.0.0.1 afi-safi evpn admin-state",
                 "network-instance mac-vrf-1 admin-state", "interface lag1 lag min-links extra"):
        assert default_of(path) is None, path
    assert Replaced("interface lag1 admin-state", "disable", None).default == "enable"
    assert Replaced("interface lag1 admin-state", "disable", "enable").default is None  # replaced, not deleted
    assert Replaced("interface lag1 lag min-links", "2", None).as_dict() == {
        "path": "interface lag1 lag min-links", "old": "2", "new": None, "default": "1"}


def test_a_deleted_afi_safi_admin_state_follows_the_level_above():
    """A neighbor's afi-safi admin-state, deleted, follows its group's, a group's BGP's: no
    default of its own (review: `enable -> deleted` read like a family disabled)."""
    bgp = "network-instance default protocols bgp"
    assert inherited_from(f"{bgp} neighbor 10.0.0.2 afi-safi evpn admin-state") == "its group's"
    assert inherited_from(f"{bgp} group eBGP-underlay afi-safi ipv4-unicast admin-state") == "BGP's"
    for path in (f"{bgp} afi-safi evpn admin-state", f"{bgp} neighbor 10.0.0.2 admin-state",
                 "interface ethernet-1/1 admin-state"):
        assert inherited_from(path) is None, path
