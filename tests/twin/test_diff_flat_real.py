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


POLICY = "set / routing-policy policy all default-action policy-result {}\n"


def test_a_drifted_policy_result_diffs_as_an_insert() -> None:
    """`accept` is a list elsewhere (dynamic-neighbors accept): as policy-result's value it
    printed no line, a drifted `reject` diffed empty, and configure never repaired it."""
    old, new = parse_flat(POLICY.format("reject")), parse_flat(POLICY.format("accept"))
    assert diff_flat(old, new) == "insert / routing-policy policy all default-action policy-result accept"
    assert diff_flat(ConfigTree(), new).splitlines()[-1] == \
        "insert / routing-policy policy all default-action policy-result accept"


def test_a_reordered_policy_chain_is_a_change() -> None:
    """The twin keeps a leaf-list in the order given (a policy chain), but a dict
    comparison does not see order: [ a b ] -> [ b a ] diffed empty."""
    from nornir_evpn.twin.config_tree import diff

    group = "/ network-instance default protocols bgp group g export-policy"
    old, new = parse_flat(f"set {group} [ a b ]\n"), parse_flat(f"set {group} [ b a ]\n")
    assert diff_flat(old, new) == f"insert {group} [ b a ]"
    assert "+                 export-policy [\n+                     b\n+                     a\n" in diff(old, new)
