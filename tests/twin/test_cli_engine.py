"""CliSession without sockets: the tutorial paste, candidates, commits, faults, prompts."""

from __future__ import annotations

import asyncio
import re

import pytest
from conftest import Feed

from nornir_evpn import platform
from nornir_evpn.twin.cli_engine import CliSession, UnknownCommand
from nornir_evpn.twin.config_tree import ConfigTree
from nornir_evpn.twin.datastore import NodeDatastore
from nornir_evpn.twin.latency import Latency

EXEC_RE = re.compile(
    r"^--{(\s\[[\w\s]+\]){0,5}[\+\*\s]{1,}running\s}--\[.+?\]--\s*\n[abcd]:\S+#\s*$", re.M | re.I
)
CONF_RE = re.compile(platform.SCRAPLI_PRIVATE_CANDIDATE_PRIV["pattern"], re.M | re.I)

# Every leaf the five tutorial snippets configure on leaf1.
TUTORIAL_LEAVES = [
    "set / interface ethernet-1/1 admin-state enable",
    "set / interface ethernet-1/1 ethernet aggregate-id lag1",
    "set / interface lag1 admin-state enable",
    "set / interface lag1 lag lacp admin-key 11",
    "set / interface lag1 lag lacp interval SLOW",
    "set / interface lag1 lag lacp lacp-mode ACTIVE",
    "set / interface lag1 lag lacp system-id-mac 00:00:00:00:00:11",
    "set / interface lag1 lag lacp system-priority 11",
    "set / interface lag1 lag lag-type lacp",
    "set / interface lag1 lag member-speed 10G",
    "set / interface lag1 subinterface 0 type bridged",
    "set / interface lag1 subinterface 0 vlan encap untagged",
    "set / interface lag1 vlan-tagging true",
    "set / network-instance mac-vrf-1 interface lag1.0",
    "set / network-instance mac-vrf-1 protocols bgp-evpn bgp-instance 1 ecmp 2",
    "set / system network-instance protocols bgp-vpn bgp-instance 1",
    "set / system network-instance protocols evpn ethernet-segments bgp-instance 1"
    " ethernet-segment ES-1 admin-state enable",
    "set / system network-instance protocols evpn ethernet-segments bgp-instance 1"
    " ethernet-segment ES-1 esi 01:11:11:11:11:11:11:00:00:01",
    "set / system network-instance protocols evpn ethernet-segments bgp-instance 1"
    " ethernet-segment ES-1 interface lag1",
    "set / system network-instance protocols evpn ethernet-segments bgp-instance 1"
    " ethernet-segment ES-1 multi-homing-mode all-active",
]


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_prompts_match_scrapli_patterns(leaf1_ds: NodeDatastore) -> None:
    s = CliSession(leaf1_ds)
    banner = run(s.banner_and_prompt())
    assert "password" not in banner.lower()
    assert banner.endswith("\n--{ running }--[  ]--\nA:leaf1# ")
    assert EXEC_RE.search(s.prompt())
    run(s.handle_line(platform.ENTER_CANDIDATE_PRIVATE))
    assert s.prompt() == "--{ candidate private private-admin }--[  ]--\nA:leaf1# "
    assert CONF_RE.search(s.prompt())
    reply = run(s.handle_line("/interface lag1"))
    assert reply == "\n--{ * candidate private private-admin }--[ interface lag1 ]--\nA:leaf1# "
    assert CONF_RE.search(reply)


def test_tutorial_paste_commits_every_leaf(leaf1_ds: NodeDatastore, feed: Feed,
                                           tutorial_snippets: list[str]) -> None:
    s = CliSession(leaf1_ds)
    before = leaf1_ds.running.flat()
    replies: list[str] = []
    for snippet in tutorial_snippets:
        replies += run(feed(s, snippet))
    assert not [r for r in replies if "rror" in r]
    assert sum("All changes have been committed. Leaving candidate mode." in r
               for r in replies) == 5
    flat = leaf1_ds.running.flat()
    assert [leaf for leaf in TUTORIAL_LEAVES if leaf not in flat] == []
    assert set(before) <= set(flat)
    assert s.kind is None and s.context == ()
    out = run(s.handle_line("info flat"))
    assert "set / interface lag1 lag lacp system-id-mac 00:00:00:00:00:11" in out


def test_hierarchical_info_in_context(leaf1_ds: NodeDatastore, feed: Feed,
                                      tutorial_snippets: list[str]) -> None:
    s = CliSession(leaf1_ds)
    run(feed(s, tutorial_snippets[1]))
    out = run(s.handle_line("info /interface ethernet-1/1"))
    assert out.startswith(
        "interface ethernet-1/1 {\n    admin-state enable\n    ethernet {\n"
        "        aggregate-id lag1\n    }\n}\n"
    )
    assert run(s.handle_line("info flat interface ethernet-1/1 admin-state")).startswith(
        "set / interface ethernet-1/1 admin-state enable\n"
    )


def test_discard_leaves_running_untouched(leaf1_ds: NodeDatastore) -> None:
    s = CliSession(leaf1_ds)
    before = leaf1_ds.running.copy()
    for line in ("enter candidate private", "set / interface lag1 admin-state enable"):
        run(s.handle_line(line))
    assert "insert / interface lag1 admin-state enable" in run(s.handle_line("diff flat"))
    assert "+ interface lag1 {\n+     admin-state enable\n+ }" in run(s.handle_line("diff"))
    reply = run(s.handle_line(platform.DISCARD_NOW))
    assert reply.startswith("All changes have been discarded. Leaving candidate mode.\n")
    assert EXEC_RE.search(reply)
    assert leaf1_ds.running == before


def test_rejected_commit_keeps_running_and_candidate(leaf1_ds: NodeDatastore) -> None:
    s = CliSession(leaf1_ds)
    before = leaf1_ds.running.copy()
    es = ("set / system network-instance protocols evpn ethernet-segments bgp-instance 1 "
          "ethernet-segment ES-9 interface lag9")
    run(s.handle_line("enter candidate private"))
    run(s.handle_line(es))
    reply = run(s.handle_line("commit now"))
    assert reply.startswith("Error: ethernet-segment ES-9: interface lag9 does not exist")
    assert leaf1_ds.running == before
    assert s.kind == "private" and s.candidate is not None
    assert s.candidate.exists(("system", "network-instance", "protocols", "evpn"))
    assert CONF_RE.search(reply)


def test_a_bgp_session_left_with_no_address_family_is_refused(leaf1_ds: NodeDatastore) -> None:
    """srl_nokia-bgp.yang's `must` on a neighbor's and a group's admin-state: one enabled
    (the default) carries an address family, the neighbor's afi-safi over its group's over
    BGP's (netlab#2074: SR Linux rejects a neighbor with none, unless it is disabled). The
    overlay group disables ipv4-unicast, so `afi-safi evpn admin-state disable` alone on an
    overlay neighbor is refused, and so is deleting the admin-state disable that let it in."""
    bgp = "/ network-instance default protocols bgp"
    refused = ("Error: network-instance default protocols bgp neighbor 10.0.0.2 admin-state: "
               "One of the address families must be enabled.")

    def commit(*lines: str) -> str:
        s = CliSession(leaf1_ds)
        for line in ("enter candidate private", *lines):
            assert "rror" not in run(s.handle_line(line))
        return run(s.handle_line("commit now"))

    assert commit(f"set {bgp} neighbor 10.0.0.2 afi-safi evpn admin-state disable").startswith(refused)
    assert commit(f"set {bgp} group iBGP-overlay afi-safi evpn admin-state disable").startswith(
        "Error: network-instance default protocols bgp group iBGP-overlay admin-state: "
        "One of the address families must be enabled.")
    assert "rror" not in commit(f"set {bgp} neighbor 10.0.0.2 afi-safi evpn admin-state disable",
                                f"set {bgp} neighbor 10.0.0.2 admin-state disable")
    assert commit(f"delete {bgp} neighbor 10.0.0.2 admin-state").startswith(refused)
    assert "rror" not in commit(f"delete {bgp} neighbor 10.0.0.2 admin-state",
                                f"delete {bgp} neighbor 10.0.0.2 afi-safi evpn admin-state")
    # BGP itself carries one too (review: the twin committed a BGP with none), and any
    # family the YANG lists counts, not only the three the twin models
    assert commit(f"set {bgp} group eBGP-underlay afi-safi ipv4-unicast admin-state enable",
                  f"set {bgp} afi-safi ipv4-unicast admin-state disable").startswith(
        "Error: network-instance default protocols bgp admin-state: One of the address families must be enabled.")
    assert "rror" not in commit(f"set {bgp} neighbor 10.0.0.2 afi-safi l3vpn-ipv4-unicast admin-state enable",
                                f"set {bgp} neighbor 10.0.0.2 afi-safi evpn admin-state disable")


def test_validation_rules(leaf1_ds: NodeDatastore) -> None:
    es1 = "set / system network-instance protocols evpn ethernet-segments bgp-instance 1 ethernet-segment ES-1 "
    cases = {
        "set / interface ethernet-1/2 ethernet aggregate-id lag7":
            "Error: interface ethernet-1/2: aggregate-id lag7 refers to a lag that does not exist",
        es1 + "esi 00:00:00:00:00:00:00:00:00:00":
            "Error: ethernet-segment ES-1: ESI-0 or MAX-ESI value 00:00:00:00:00:00:00:00:00:00 is not allowed",
        es1 + "esi FF:FF:FF:FF:FF:FF:FF:FF:FF:FF":
            "Error: ethernet-segment ES-1: ESI-0 or MAX-ESI value FF:FF:FF:FF:FF:FF:FF:FF:FF:FF is not allowed",
        es1 + "esi 01:00:00:00:00:00:00:00:00:01":
            "Error: ethernet-segment ES-1: ESI 01:00:00:00:00:00:00:00:00:01 with bytes 1-6 all zeros",
        "set / interface system0 subinterface 0 ipv4 address 192.168.11.1/32":
            "Error: network-instance default: subnet 192.168.11.1/32 of system0.0 overlaps "
            "192.168.11.0/30 of ethernet-1/49.0",
        "set / network-instance mac-vrf-1 interface ethernet-1/49.0":
            "Error: subinterface ethernet-1/49.0 is attached to more than one network-instance:"
            " default, mac-vrf-1",
    }
    for line, error in cases.items():
        s = CliSession(leaf1_ds)
        run(s.handle_line("enter candidate private"))
        run(s.handle_line(line))
        assert run(s.handle_line("commit now")).startswith(error)
    s = CliSession(leaf1_ds)
    run(s.handle_line("enter candidate private"))
    for es in ("ES-1", "ES-2"):
        run(s.handle_line(f"set / interface lag{es[-1]} admin-state enable"))
        run(s.handle_line(f"set / system network-instance protocols evpn ethernet-segments "
                          f"bgp-instance 1 ethernet-segment {es} esi 01:22:22:22:22:22:22:00:00:01"))
    assert run(s.handle_line("commit validate")).startswith(
        "Error: esi 01:22:22:22:22:22:22:00:00:01 is configured on 2 ethernet-segments")


def test_an_access_port_made_a_lag_member_keeps_its_vlan_tagging_and_is_refused(leaf1_ds: NodeDatastore) -> None:
    # YANG `must` on aggregate-id; what a single-homed CE re-cabled into a LAG leaves behind
    s = CliSession(leaf1_ds)
    before = leaf1_ds.running.copy()
    run(s.handle_line("enter candidate private"))
    for line in ("set / interface ethernet-1/5 vlan-tagging true",
                 "set / interface lag5 admin-state enable",
                 "set / interface ethernet-1/5 ethernet aggregate-id lag5"):
        run(s.handle_line(line))
    assert run(s.handle_line("commit now")).startswith(
        "Error: interface ethernet-1/5: vlan-tagging and aggregate-id can not be configured together")
    assert leaf1_ds.running == before
    run(s.handle_line("delete / interface ethernet-1/5 vlan-tagging"))
    assert run(s.handle_line("commit now")).startswith("All changes have been committed.")


def test_an_ethernet_segment_takes_one_interface(leaf1_ds: NodeDatastore) -> None:
    # YANG: ethernet-segment `list interface { max-elements 1; }` (23.7.1 and 24.10.3): a LAG
    # renamed in the intent and set next to the old one is refused at commit
    es = "system network-instance protocols evpn ethernet-segments bgp-instance 1 ethernet-segment ES-1"
    s = CliSession(leaf1_ds)
    run(s.handle_line("enter candidate private"))
    for line in TUTORIAL_LEAVES:
        run(s.handle_line(line))
    assert run(s.handle_line("commit stay")).startswith("All changes have been committed.")
    run(s.handle_line("set / interface lag10 admin-state enable"))
    run(s.handle_line(f"set / {es} interface lag10"))
    assert run(s.handle_line("commit validate")).startswith(
        "Error: ethernet-segment ES-1: interface has 2 entries (lag1, lag10); at most 1 is allowed")
    run(s.handle_line(f"delete / {es} interface"))  # what configure sends first
    run(s.handle_line(f"set / {es} interface lag10"))
    assert run(s.handle_line("commit now")).startswith("All changes have been committed.")
    assert leaf1_ds.running.keys((*es.split(), "interface")) == ["lag10"]


def test_untagged_needs_vlan_tagging_on_the_parent(leaf1_ds: NodeDatastore) -> None:
    # YANG `must` on vlan encap untagged: an access port whose vlan-tagging was deleted by
    # hand while its bridged subinterface stayed
    s = CliSession(leaf1_ds)
    run(s.handle_line("enter candidate private"))
    for line in TUTORIAL_LEAVES:
        run(s.handle_line(line))
    run(s.handle_line("delete / interface lag1 vlan-tagging"))
    assert run(s.handle_line("commit now")).startswith(
        "Error: interface lag1 subinterface 0: untagged only configurable if vlan-tagging enabled on parent interface")


@pytest.mark.parametrize(("extra", "error"), [
    # a vlan-id needs vlan-tagging on the parent as untagged does (srl_nokia-interfaces-vlans)
    (["set / interface ethernet-1/9 subinterface 1 vlan encap single-tagged vlan-id 10"],
     "interface ethernet-1/9 subinterface 1: single-tagged only configurable if vlan-tagging enabled"),
    # a network-instance's interface refers to an existing subinterface (a deleted LAG)
    (["set / network-instance mac-vrf-2 type mac-vrf", "set / network-instance mac-vrf-2 interface lag7.1"],
     "network-instance mac-vrf-2: interface lag7.1 refers to a subinterface that does not exist"),
    # the bgp-evpn vxlan-interface is a leafref to the mac-vrf's (srl_nokia-bgp-evpn.yang): a
    # hand edit taking it out of the mac-vrf is refused, not a mac-vrf that still advertises
    (["delete / network-instance mac-vrf-1 vxlan-interface vxlan1.1"],
     "network-instance mac-vrf-1: bgp-evpn bgp-instance 1 vxlan-interface vxlan1.1 refers to a "
     "vxlan-interface the network-instance does not have"),
    # `list vxlan-interface { max-elements 1; }` (srl_nokia-network-instance.yang)
    (["set / tunnel-interface vxlan1 vxlan-interface 2 type bridged",
      "set / tunnel-interface vxlan1 vxlan-interface 2 ingress vni 2",
      "set / network-instance mac-vrf-1 vxlan-interface vxlan1.2"],
     "network-instance mac-vrf-1: vxlan-interface has 2 entries (vxlan1.1, vxlan1.2); at most 1 is allowed"),
    # a second ES bgp-instance, or bgp-vpn one, next to the first (a brownfield fabric on
    # instance 2, configured again on 1): `list bgp-instance { max-elements 1; }`
    (["set / system network-instance protocols evpn ethernet-segments bgp-instance 2 ethernet-segment ES-9 "
      "esi 01:22:22:22:22:22:22:00:00:09"],
     "system network-instance protocols ethernet-segments bgp-instance has 2 entries (1, 2); at most 1 is allowed"),
    (["set / system network-instance protocols bgp-vpn bgp-instance 2"],
     "system network-instance protocols bgp-vpn bgp-instance has 2 entries (1, 2); at most 1 is allowed"),
    (["delete / network-instance mac-vrf-1 protocols bgp-evpn bgp-instance 1 evi"],  # mandatory true
     "network-instance mac-vrf-1: bgp-evpn bgp-instance 1: missing mandatory evi"),
    # an IRB in one mac-vrf and one ip-vrf is SR Linux's EVPN IRB design: accepted
    (["set / interface irb0 subinterface 1 ipv4 admin-state enable",
      "set / network-instance mac-vrf-1 interface irb0.1",
      "set / network-instance ip-vrf-1 type ip-vrf", "set / network-instance ip-vrf-1 interface irb0.1"], None),
])
def test_commit_refuses_dangling_and_untagged_references(leaf1_ds: NodeDatastore, extra: list[str],
                                                         error: str | None) -> None:
    s = CliSession(leaf1_ds)
    run(s.handle_line("enter candidate private"))
    for line in [*TUTORIAL_LEAVES, *extra]:
        run(s.handle_line(line))
    answer = run(s.handle_line("commit now"))
    if error is None:
        assert answer.startswith("All changes have been committed."), answer
    else:
        assert answer.startswith(f"Error: {error}"), answer


@pytest.mark.parametrize(("line", "error"), [
    ("set / interface ethernet-1/5 admin-state maybe",
     "Error: Invalid value 'maybe' for admin-state: expected one of [disable, enable]"),
    ("set / interface lag1 lag lacp admin-key 99999999",
     "Error: Invalid value '99999999' for admin-key: expected an integer from 1 to 65535"),
    ("set / interface lag1 lag lacp interval SOMETIMES",
     "Error: Invalid value 'SOMETIMES' for interval: expected one of [FAST, SLOW]"),
    ("set / network-instance default protocols bgp autonomous-system -5",
     "Error: Invalid value '-5' for autonomous-system: expected an integer from 1 to 4294967295"),
    ("set / interface ethernet-1/5 ethernet aggregate-id lag07",
     "Error: Invalid value 'lag07' for aggregate-id: expected a lag interface (lagN)"),
    # 1..8 on SR Linux 23.x, the release the twin reports (1..64 from 24.3)
    ("set / network-instance mac-vrf-1 protocols bgp-evpn bgp-instance 1 ecmp 9",
     "Error: Invalid value '9' for ecmp: expected an integer from 1 to 8"),
    ("set / interface lag1 lag min-links 65",  # range 1..64 (srl_nokia-interfaces-lag.yang)
     "Error: Invalid value '65' for min-links: expected an integer from 1 to 64"),
])
def test_a_value_the_leaf_cannot_take_fails_its_set_line(leaf1_ds: NodeDatastore, line: str, error: str) -> None:
    s = CliSession(leaf1_ds)
    run(s.handle_line("enter candidate private"))
    assert run(s.handle_line(line)).startswith(error)
    assert s.candidate == leaf1_ds.running  # nothing was set
    # block form too, and a good value still goes in
    run(s.handle_line("interface ethernet-1/5 {"))
    assert run(s.handle_line("admin-state maybe")).startswith("Error: Invalid value 'maybe'")
    run(s.handle_line("admin-state enable"))
    assert s.candidate.exists(("interface", "ethernet-1/5", "admin-state", "enable"))


def test_a_delete_of_what_is_absent_is_silent_but_a_bad_interface_name_is_not(leaf1_ds: NodeDatastore) -> None:
    """configure resets hand-made admin-states with `delete ... admin-state`: on a device a
    delete of a valid path that is not configured is accepted without a word (learn.srlinux.dev,
    JSON-RPC basics: "will not error when trying to delete a valid but non-existing node"),
    while a key the device cannot parse (`e1-49`) is an error, as for `set`."""
    def said(line: str) -> list[str]:  # the answer without the prompt
        return [x for x in run(s.handle_line(line)).splitlines()
                if x.strip() and not x.startswith(("--{", "A:leaf1#"))]

    s = CliSession(leaf1_ds)
    run(s.handle_line("enter candidate private"))
    assert said("delete / interface ethernet-1/55 admin-state") == []
    assert said("delete / network-instance default protocols bgp group nosuch export-policy") == []
    assert said("diff flat") == []
    assert run(s.handle_line("delete / interface e1-49 admin-state")).startswith(
        "Error: Invalid value 'e1-49' for name: not an interface name")


def test_fault_rejects_next_commit_only(leaf1_ds: NodeDatastore) -> None:
    leaf1_ds.reject_next_commit = True
    s = CliSession(leaf1_ds)
    run(s.handle_line("enter candidate private"))
    run(s.handle_line("set / interface lag1 admin-state enable"))
    assert run(s.handle_line("commit now")).startswith(
        "Error: commit rejected by twin fault injection")
    assert not leaf1_ds.running.exists(("interface", "lag1"))
    assert run(s.handle_line("commit now")).startswith("All changes have been committed.")
    assert leaf1_ds.running.value(("interface", "lag1", "admin-state")) == "enable"


def test_commit_confirmed_rolls_back_on_timeout(leaf1_ds: NodeDatastore) -> None:
    async def scenario() -> tuple[bool, bool, list[str]]:
        seen: list[str] = []
        leaf1_ds.add_commit_hook(lambda node, running: seen.append(node))
        s = CliSession(leaf1_ds)
        await s.handle_line("enter candidate private")
        await s.handle_line("set / interface lag1 admin-state enable")
        reply = await s.handle_line(platform.commit_confirmed(1).replace(" 1", " 0.2"))
        assert reply.startswith("All changes have been committed. Leaving candidate mode.")
        applied = leaf1_ds.running.exists(("interface", "lag1"))
        await asyncio.sleep(0.4)
        return applied, leaf1_ds.running.exists(("interface", "lag1")), seen

    applied, after, seen = run(scenario())
    assert applied is True and after is False
    assert seen == ["leaf1", "leaf1"]  # commit, then rollback


def test_commit_confirmed_accept_and_reject(leaf1_ds: NodeDatastore) -> None:
    async def scenario() -> tuple[bool, bool, str]:
        s = CliSession(leaf1_ds)
        await s.handle_line("enter candidate private")
        await s.handle_line("set / interface lag1 admin-state enable")
        await s.handle_line(platform.commit_confirmed(1))
        await s.handle_line(platform.CONFIRMED_ACCEPT)
        await asyncio.sleep(1.2)
        kept = leaf1_ds.running.exists(("interface", "lag1"))
        await s.handle_line("enter candidate private")
        await s.handle_line("delete / interface lag1")
        await s.handle_line(platform.commit_confirmed(30))
        await s.handle_line(platform.CONFIRMED_REJECT)
        restored = leaf1_ds.running.exists(("interface", "lag1"))
        again = await s.handle_line(platform.CONFIRMED_ACCEPT)
        return kept, restored, again

    kept, restored, again = run(scenario())
    assert kept is True and restored is True
    assert again.startswith(f"Error: there is {platform.NO_PENDING_CONFIRM} confirmed to accept")
    # the rejected commit's id is not given to the next commit: ids are never reused
    assert [c["id"] for c in leaf1_ds.commit_state()["commit"]] == [1]

    async def one_more() -> None:
        s = CliSession(leaf1_ds)
        await s.handle_line("enter candidate private")
        await s.handle_line("set / interface lag1 description x")
        await s.handle_line(platform.COMMIT_NOW)

    run(one_more())
    assert [(c["id"], c["status"]) for c in leaf1_ds.commit_state()["commit"]] == [(1, "complete"), (3, "complete")]


def test_two_private_candidates_merge(leaf1_ds: NodeDatastore) -> None:
    a, b = CliSession(leaf1_ds), CliSession(leaf1_ds)
    for s in (a, b):
        run(s.handle_line("enter candidate private"))
    run(a.handle_line("set / interface lag1 admin-state enable"))
    run(b.handle_line("set / interface lag2 admin-state enable"))
    run(b.handle_line("delete / routing-policy"))
    assert run(a.handle_line("commit now")).startswith("All changes have been committed.")
    assert run(b.handle_line("commit now")).startswith("All changes have been committed.")
    running = leaf1_ds.running
    assert running.exists(("interface", "lag1")) and running.exists(("interface", "lag2"))
    assert not running.exists(("routing-policy",))
    assert running.value(("network-instance", "default", "protocols", "bgp",
                          "autonomous-system")) == "101"


def test_exclusive_locks_out_others(leaf1_ds: NodeDatastore) -> None:
    owner, other = CliSession(leaf1_ds), CliSession(leaf1_ds)
    assert run(owner.handle_line(platform.ENTER_CANDIDATE_EXCLUSIVE)).startswith("\n--{ candidate"
                                                                                " exclusive")
    reply = run(other.handle_line(platform.ENTER_CANDIDATE_PRIVATE))
    assert reply.startswith("Error: the candidate is locked by an exclusive session")
    assert other.kind is None
    run(owner.handle_line(platform.DISCARD_NOW))
    run(other.handle_line(platform.ENTER_CANDIDATE_PRIVATE))
    assert other.kind == "private"
    # a session that disappears releases its lock
    third = CliSession(leaf1_ds)
    run(other.handle_line(platform.DISCARD_NOW))
    run(third.handle_line(platform.ENTER_CANDIDATE_EXCLUSIVE))
    third.close()
    assert leaf1_ds.exclusive_owner is None


def _answer(s: CliSession, line: str) -> str:
    return run(s.handle_line(line)).rsplit("\n--{", 1)[0]


def _tutorial_committed(leaf1_ds: NodeDatastore, feed: Feed, snippets: list[str]) -> CliSession:
    s = CliSession(leaf1_ds)
    for snippet in snippets:
        run(feed(s, snippet))
    assert "set / interface ethernet-1/1 ethernet aggregate-id lag1" in leaf1_ds.running.flat()
    return s


def test_info_takes_format_and_datastore_in_either_order_and_star_keys(
        leaf1_ds: NodeDatastore, feed: Feed, tutorial_snippets: list[str]) -> None:
    """`info flat from running /x` (the spelling of Nokia's guides and labs) and `info from
    running flat /x` read the same; `interface *` is every interface, in SR Linux order."""
    s = _tutorial_committed(leaf1_ds, feed, tutorial_snippets)
    path = "/interface ethernet-1/1"
    a = _answer(s, f"info flat from running {path}")
    assert a == _answer(s, f"info from running flat {path}")
    assert a.splitlines() == ["set / interface ethernet-1/1 admin-state enable",
                              "set / interface ethernet-1/1 ethernet aggregate-id lag1"]
    every = _answer(s, "info flat from running /interface *").splitlines()
    names = list(dict.fromkeys(ln.split()[3] for ln in every))
    assert names[:2] == ["ethernet-1/1", "ethernet-1/49"] and names.index("lag1") < names.index("system0")
    assert all(ln.startswith("set / interface ") for ln in every)
    assert _answer(s, "info flat from running /interface * ethernet aggregate-id").splitlines() == [
        "set / interface ethernet-1/1 ethernet aggregate-id lag1"]


def test_deleting_a_containers_last_leaf_takes_the_container(leaf1_ds: NodeDatastore, feed: Feed,
                                                             tutorial_snippets: list[str]) -> None:
    """`ethernet` has no YANG presence: with its aggregate-id deleted it is not configuration
    (no bare `set / interface ethernet-1/1 ethernet`); `lag` is a presence container: it stays."""
    s = _tutorial_committed(leaf1_ds, feed, tutorial_snippets)
    for line in (platform.ENTER_CANDIDATE_PRIVATE, "delete / interface ethernet-1/1 ethernet aggregate-id",
                 "delete / interface lag1 lag lag-type", "commit now"):
        assert "rror" not in _answer(s, line)
    flat = leaf1_ds.running.flat()
    assert [ln for ln in flat if ln.startswith("set / interface ethernet-1/1 ")] == [
        "set / interface ethernet-1/1 admin-state enable"]
    assert "set / interface lag1 lag lacp lacp-mode ACTIVE" in flat


def test_shared_candidate_is_seen_by_both(leaf1_ds: NodeDatastore) -> None:
    a, b = CliSession(leaf1_ds), CliSession(leaf1_ds)
    run(a.handle_line("enter candidate"))
    run(b.handle_line("enter candidate shared"))
    run(a.handle_line("set / interface lag1 admin-state enable"))
    assert run(b.handle_line("info flat /interface lag1")).startswith(
        "set / interface lag1 admin-state enable")
    assert a.mode_label() == "candidate shared default"
    run(b.handle_line("commit now"))
    assert leaf1_ds.running.exists(("interface", "lag1"))
    # the shared candidate was committed: a fresh one, equal to running, not dirty; running
    # now differs from the startup config (`+`, as in the tutorial's transcript)
    assert run(a.handle_line("diff")) == "\n--{ + candidate shared default }--[  ]--\nA:leaf1# "
    run(a.handle_line("set / interface lag1 description x"))
    assert run(a.handle_line("diff")).endswith("\n--{ +* candidate shared default }--[  ]--\nA:leaf1# ")
    assert run(a.handle_line("commit save")) == (
        "All changes have been committed. Leaving candidate mode.\n"
        "Saved current running configuration as initial (startup) configuration "
        "'/etc/opt/srlinux/config.json'\n\n--{ running }--[  ]--\nA:leaf1# ")
    run(a.handle_line("enter candidate private"))
    run(a.handle_line("set / interface lag1 description y"))
    assert run(a.handle_line("commit now")).endswith("\n--{ + running }--[  ]--\nA:leaf1# ")
    assert run(a.handle_line("save startup")).endswith("configuration '/etc/opt/srlinux/config.json'\n\n"
                                                       "--{ running }--[  ]--\nA:leaf1# ")


def test_errors_and_unknown_commands(leaf1_ds: NodeDatastore) -> None:
    s = CliSession(leaf1_ds)
    assert run(s.handle_line("xyz foo")).startswith("Parsing error: Unknown token 'xyz'.")
    assert run(s.handle_line("show bogus")).startswith("Parsing error: Unknown token 'bogus'.")
    assert run(s.handle_line("commit now")).startswith("Error: commit is only available")
    run(s.handle_line("enter candidate private"))
    assert run(s.handle_line("interfaces lag1 admin-state enable")).startswith(
        "Parsing error: Unknown token 'interfaces'.")
    assert run(s.handle_line("quit")) == ""
    assert s.closed


def test_show_version_and_provider_delegation(leaf1_ds: NodeDatastore) -> None:
    class Provider:
        def show(self, node: str, command: str) -> str:
            if command == "show interface ethernet-1/1":
                return f"{node}: ethernet-1/1 is up"
            raise UnknownCommand(command)

        def state(self, node: str, path: str, as_json: bool) -> str:
            if path == "/interface ethernet-1/1 oper-state":
                return '{"oper-state": "up"}' if as_json else "oper-state up"
            raise UnknownCommand(path)

    s = CliSession(leaf1_ds)
    out = run(s.handle_line("show version"))
    assert "Hostname             : leaf1" in out and "Chassis Type         : 7220 IXR-D2" in out
    assert "Software Version     : v23.7.1" in out
    p = CliSession(leaf1_ds, Provider())
    assert run(p.handle_line("show interface ethernet-1/1")).startswith("leaf1: ethernet-1/1 is up")
    assert run(p.handle_line("info from state /interface ethernet-1/1 oper-state | as json")
               ).startswith('{"oper-state": "up"}')
    # unknown state path: config answered from running
    assert '"autonomous-system": "101"' in run(p.handle_line(
        "info from state /network-instance default protocols bgp | as json"))


def test_latency_applies_per_kind() -> None:
    ds = NodeDatastore("n1", running=ConfigTree(), latency=Latency({"show": 0.15}))
    s = CliSession(ds)

    async def timed(line: str) -> float:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        await s.handle_line(line)
        return loop.time() - t0

    async def scenario() -> tuple[float, float]:
        return await timed("show version"), await timed("info flat")

    show_s, info_s = run(scenario())
    assert show_s >= 0.15 and info_s < 0.1



def test_the_default_provider_calls_no_real_command_a_typo(leaf1_ds: NodeDatastore) -> None:
    """Without the fabric model, `show network-instance ...` was "Unknown token 'network-instance'"."""
    s = CliSession(leaf1_ds)
    assert run(s.handle_line("show network-instance default protocols bgp neighbor")).startswith(
        "Error: not modelled by the digital twin: show network-instance default protocols bgp neighbor")
    assert run(s.handle_line("/show version")).startswith("-" * 80)


class _Release:
    """A show provider that only says which SR Linux release the twin plays."""

    def __init__(self, release: str) -> None:
        self.release = release

    def release_of(self, node: str) -> str:
        return self.release


@pytest.mark.parametrize(("release", "policies"), [
    ("23.7", ["all"]),  # a leaf before 24.7: the value is replaced
    ("24.10", ["other", "all"]),  # a leaf-list from 24.7: set adds to it (netlab#1298)
])
def test_set_export_policy_replaces_before_24_7_and_adds_after(release: str, policies: list[str]) -> None:
    ds = NodeDatastore("leaf1")
    s = CliSession(ds, _Release(release))  # type: ignore[arg-type]
    group = "/ network-instance default protocols bgp group g"
    # BGP (and so its group) carries an address family, or SR Linux refuses the commit
    for line in ("enter candidate private", "set / network-instance default protocols bgp afi-safi evpn "
                 "admin-state enable", "commit now",
                 "enter candidate private", f"set {group} export-policy other", "commit now",
                 "enter candidate private", f"set {group} export-policy all", "commit now"):
        assert "rror" not in run(s.handle_line(line))
    held = ds.running.get(("network-instance", "default", "protocols", "bgp", "group", "g", "export-policy"))
    assert held is not None and list(held.children) == policies
    # deleting the list first replaces it on every release (what the templates do)
    for line in ("enter candidate private", f"delete {group} export-policy", f"set {group} export-policy all"):
        run(s.handle_line(line))
    diff = run(s.handle_line("diff flat")).split("\n--{")[0]
    assert diff == ("" if release == "23.7" else
                    f"delete {group} export-policy other\n")
    run(s.handle_line("commit now"))
    held = ds.running.get(("network-instance", "default", "protocols", "bgp", "group", "g", "export-policy"))
    assert held is not None and list(held.children) == ["all"]


@pytest.mark.parametrize("name", ["Ethernet1/1", "eth1", "ethernet1/1"])
def test_an_interface_name_sr_linux_refuses_is_refused_at_set(name: str) -> None:
    """The twin committed any key: a runbook's typo passed here and failed on the lab."""
    s = CliSession(NodeDatastore("leaf1"))
    run(s.handle_line("enter candidate private"))
    reply = run(s.handle_line(f"set / interface {name} admin-state disable"))
    assert reply.startswith(f"Error: Invalid value '{name}' for name")
    assert run(s.handle_line("diff flat")).split("\n--{")[0] == ""


@pytest.mark.parametrize(("release", "refused"), [("23.7", True), ("24.10", False)])
def test_a_policy_list_is_refused_where_the_policy_is_a_single_leaf(release: str, refused: bool) -> None:
    """A twin playing 23.7 committed `import-policy [ other all ]`, a chain that release
    cannot hold (a leaf before 24.7, srl_nokia-bgp.yang)."""
    s = CliSession(NodeDatastore("leaf1"), _Release(release))  # type: ignore[arg-type]
    run(s.handle_line("enter candidate private"))
    reply = run(s.handle_line("set / network-instance default protocols bgp group g import-policy [ other all ]"))
    assert reply.startswith("Error: import-policy is a single policy name before SR Linux 24.7") is refused


def test_a_checkpoint_keeps_running_and_its_revert_commits_it_back(leaf1_ds: NodeDatastore) -> None:
    async def scenario() -> tuple[str, str, str, str, str]:
        s = CliSession(leaf1_ds)
        made = await s.handle_line(platform.generate_checkpoint("nornir-evpn-a", "before lag9"))
        await s.handle_line("enter candidate private")
        await s.handle_line("set / interface lag9 admin-state enable")
        await s.handle_line(platform.COMMIT_NOW)
        listed = await s.handle_line(platform.CHECKPOINT_STATE)
        reverted = await s.handle_line(platform.revert_checkpoint("nornir-evpn-a"))
        missing = await s.handle_line(platform.revert_checkpoint("nornir-evpn-b"))
        await s.handle_line(platform.clear_checkpoint("nornir-evpn-a"))
        cleared = await s.handle_line(platform.CHECKPOINT_STATE)
        return made, listed, reverted, missing, cleared

    made, listed, reverted, missing, cleared = run(scenario())
    assert "with name 'nornir-evpn-a' and comment 'before lag9'" in made
    assert '"name": "nornir-evpn-a"' in listed and '"comment": "before lag9"' in listed
    assert not reverted.startswith("Error")
    # the device's answer over the session, as SR Linux 25.x words it (what rollback reads)
    assert reverted.startswith("/system/configuration/checkpoint[id=0]:\n"
                               "    Reverting to checkpoint 0 (name 'nornir-evpn-a' comment 'before lag9')\n\n"
                               "/:\n    Successfully reverted configuration")
    assert not leaf1_ds.running.exists(("interface", "lag9"))  # the revert undid the commit
    assert leaf1_ds.commit_state()["commit"][-1]["status"] == "complete"  # a commit of its own
    assert missing.startswith("Error: checkpoint 'nornir-evpn-b' does not exist")
    assert '"checkpoint": []' in cleared


def test_a_checkpoint_loaded_into_a_candidate_diffs_as_its_revert_and_commits_nothing(
        leaf1_ds: NodeDatastore) -> None:
    """`load checkpoint name|id` (what rollback's preview sends): the candidate becomes the
    checkpoint, `diff flat` is what a revert would change, `discard now` leaves running as it was."""
    async def scenario() -> list[str]:
        s = CliSession(leaf1_ds)
        await s.handle_line(platform.generate_checkpoint("nornir-evpn-a", ""))
        for line in ("enter candidate private", "set / interface lag9 admin-state enable", platform.COMMIT_NOW):
            await s.handle_line(line)
        answers = [await s.handle_line(platform.load_checkpoint("nornir-evpn-a"))]  # running mode
        for line in ("enter candidate private", platform.load_checkpoint("nornir-evpn-a"), platform.DIFF_FLAT,
                     "load checkpoint id 0", platform.DIFF_FLAT, platform.load_checkpoint("nornir-evpn-b"),
                     "load checkpoint id 7", "load checkpoint file x", platform.DISCARD_NOW):
            answers.append(await s.handle_line(line))
        return answers

    in_running, _, loaded, diff, by_id, diff_by_id, missing, no_id, bad_kind, discarded = run(scenario())
    assert in_running.startswith("Error: load is only available in candidate mode")
    assert not loaded.startswith(("Error", "Parsing error"))
    assert diff.splitlines()[0] == "delete / interface lag9" and diff_by_id == diff
    assert not by_id.startswith("Error")
    assert missing.startswith("Error: checkpoint 'nornir-evpn-b' does not exist")
    assert no_id.startswith("Error: checkpoint '7' does not exist")
    assert bad_kind.startswith("Parsing error: Unknown token 'file x'")
    assert discarded.startswith("All changes have been discarded")
    assert leaf1_ds.running.exists(("interface", "lag9"))  # nothing committed


def test_a_checkpoint_load_takes_its_key_as_named_and_fills_the_candidate_in_use(
        leaf1_ds: NodeDatastore) -> None:
    """`load checkpoint id` takes a number and `name` a name (`id nornir-evpn-a` is no
    checkpoint); a word too many, or another source than `checkpoint`, is a parsing error; in
    a shared candidate the checkpoint becomes the shared candidate (its diff the revert's);
    what the candidate changes after the load leaves the checkpoint as it was."""
    async def scenario() -> list[str]:
        s = CliSession(leaf1_ds)
        await s.handle_line(platform.generate_checkpoint("nornir-evpn-a", ""))
        for line in ("enter candidate private", "set / interface lag9 admin-state enable", platform.COMMIT_NOW):
            await s.handle_line(line)
        answers = []
        for line in ("enter candidate private", "load checkpoint id nornir-evpn-a", "load checkpoint name 0",
                     "load checkpoint name nornir-evpn-a now", "load file nornir-evpn-a",
                     platform.load_checkpoint("nornir-evpn-a"), "set / interface lag7 admin-state enable",
                     platform.DISCARD_NOW, "enter candidate shared", platform.load_checkpoint("nornir-evpn-a"),
                     platform.DIFF_FLAT, platform.DISCARD_NOW):
            answers.append(await s.handle_line(line))
        return answers

    _, by_id, by_name, extra, other, _, _, _, _, _, shared_diff, _ = run(scenario())
    assert by_id.startswith("Error: checkpoint 'nornir-evpn-a' does not exist")
    assert by_name.startswith("Error: checkpoint '0' does not exist")
    assert extra.startswith("Parsing error") and "now" in extra
    assert other.startswith("Parsing error: Unknown token 'file'")
    assert shared_diff.splitlines()[0] == "delete / interface lag9"
    assert not leaf1_ds.checkpoint("nornir-evpn-a").config.exists(("interface", "lag7"))
    assert leaf1_ds.running.exists(("interface", "lag9"))  # nothing committed


def test_checkpoints_keep_the_newest_ten_and_refuse_a_name_twice(leaf1_ds: NodeDatastore) -> None:
    for i in range(12):
        leaf1_ds.generate_checkpoint(f"c{i}", "", "admin")
    assert [c["name"] for c in leaf1_ds.checkpoint_state()["checkpoint"]] == [f"c{i}" for i in range(11, 1, -1)]

    async def again() -> tuple[str, str]:
        s = CliSession(leaf1_ds)
        return (await s.handle_line(platform.generate_checkpoint("c11", "")),
                await s.handle_line(platform.generate_checkpoint("1st", "")))

    twice, digit = run(again())
    assert twice.startswith("Error: a checkpoint named 'c11' exists already")
    assert digit.startswith("Error: checkpoint name '1st': Name cannot start with number")


def test_a_leaf_list_the_twin_does_not_know_by_name_is_added_to_like_any_other(leaf1_ds: NodeDatastore) -> None:
    """`[ ... ]` is only ever a leaf-list's value: a template's `system dns server-list [ ... ]`
    changed from .1 to .2 read `replaced .1 -> .2` on the twin, where the device holds both
    (YANG: srl_nokia-dns.yang `leaf-list server-list`; contributor tester)."""
    s = CliSession(leaf1_ds)
    for line in ("enter candidate private", "set / system dns server-list [ 172.20.20.1 ]", "commit now",
                 "enter candidate private", "set / system dns server-list [ 172.20.20.2 ]"):
        assert "rror" not in run(s.handle_line(line))
    assert run(s.handle_line("diff flat")).split("\n--{")[0] == "insert / system dns server-list 172.20.20.2\n"
    run(s.handle_line("commit now"))
    held = leaf1_ds.running.get(("system", "dns", "server-list"))
    assert held is not None and list(held.children) == ["172.20.20.1", "172.20.20.2"]
    assert run(s.handle_line("info flat system dns")).startswith(
        "set / system dns server-list [ 172.20.20.1 172.20.20.2 ]")


def test_a_learnt_leaf_list_is_one_by_its_schema_path_only(leaf1_ds: NodeDatastore) -> None:
    """Learnt as (parent token, name), a `[ ... ]` under one interface made the name a leaf-list
    under every list entry's key, and any `host-name` under `name` (reviewer): the schema path
    (keys left out) is the key now."""
    from nornir_evpn.twin.config_tree import roles

    s = CliSession(leaf1_ds)
    for line in ("enter candidate private", "set / interface ethernet-1/1 description-list [ a ]"):
        assert "rror" not in run(s.handle_line(line))
    assert roles(("interface", "ethernet-1/2", "description-list"))[-1] == "leaf-list"  # same schema
    assert roles(("network-instance", "ethernet-1/1", "description-list"))[-1] != "leaf-list"
