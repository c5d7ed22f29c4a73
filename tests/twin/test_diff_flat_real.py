"""`diff flat` as a real SR Linux prints it: the tool counts it, the twin prints the same.

The fixture is the verbatim `A:router1# diff flat` of a public SR Linux configuration
tutorial (after `set /interface ethernet-1/21 admin-state enable subinterface 0
admin-state enable ipv4 admin-state enable address 192.168.1.1/24` on an empty port; the
transcript's own line leaves `ipv4 admin-state` out, which its text calls a mistake)."""

from __future__ import annotations

from pathlib import Path

from nornir_evpn.tasks.config import count_diff

from nornir_evpn.twin.config_tree import ConfigTree, diff_flat, parse_flat

REAL = (Path(__file__).resolve().parents[1] / "fixtures" / "public_router1_diff_flat.txt").read_text()


def test_the_tool_counts_a_real_diff() -> None:
    assert count_diff(REAL) == (6, 0)


def test_the_twin_prints_what_the_device_printed() -> None:
    candidate = parse_flat("set / interface ethernet-1/21 admin-state enable\n"
                           "set / interface ethernet-1/21 subinterface 0 admin-state enable\n"
                           "set / interface ethernet-1/21 subinterface 0 ipv4 address 192.168.1.1/24\n")
    assert diff_flat(ConfigTree(), candidate) == REAL.rstrip("\n")


def test_a_changed_value_is_one_insert_and_a_removed_entry_one_delete() -> None:
    """learn-srlinux: a changed description diffs as `insert / interface ethernet-1/1
    description test`; a removed route as one `delete` of its list entry."""
    old = parse_flat("set / interface ethernet-1/1 description old\n"
                     "set / network-instance n static-routes route 10.60.99.0/24 next-hop-group g\n")
    new = parse_flat("set / interface ethernet-1/1 description test\n")
    new.ensure(("network-instance", "n", "static-routes"))
    assert diff_flat(old, new).splitlines() == [
        "insert / interface ethernet-1/1 description test",
        "delete / network-instance n static-routes route 10.60.99.0/24",
    ]
