"""The intent and the twin read a CE's commands alike (`nornir_evpn.ce_commands`).

They had a reader each: `ip link set eth1 vrf vrf-1` with `ip -4 address replace ... dev
eth1` gave the intent an address and a VRF on eth1 and the twin's CE neither, so verify and
failover-test expected an address no twin CE had.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nornir_evpn.ce_commands import parse_ce_commands
from nornir_evpn.intent import ce_from_commands, derive_intent
from nornir_evpn.topology import load_topology
from nornir_evpn.twin.fabric_ce import CeHost, default_mac, parse_ce
from nornir_evpn.twin.fabric_lab import LAB_TOPOLOGY, MH_CONFIG, boot_lab, with_lines

PUBLISHED = Path(__file__).resolve().parents[1] / "fixtures" / "published-lab" / "evpn-mh.clab.yml"


def intent_view(ce) -> dict:
    """What the intent knows of each device: MAC, addresses, master, bond mode."""
    return {n: (i.mac, i.ips, i.master, i.bond_mode) for n, i in ce.interfaces.items()
            if (i.mac, i.ips, i.master, i.bond_mode) != (None, [], None, None)}


def twin_view(ce: CeHost) -> dict:
    """The same of the twin's CE (its default MACs left out, LACP bonds as `802.3ad`)."""
    out = {}
    for n, i in ce.interfaces.items():
        mac = None if i.mac == default_mac(ce.name, n) else i.mac.lower()
        mode = None if not i.bond else "802.3ad" if i.lacp else "other"
        facts = (mac, [a.with_prefixlen for a in i.addresses], i.master, mode)
        if facts != (None, [], None, None):
            out[n] = facts
    return out


def lacp_as_802_3ad(view: dict) -> dict:
    return {n: (*f[:3], None if f[3] is None else "802.3ad" if f[3] in ("802.3ad", "4") else "other")
            for n, f in view.items()}


CASES = {
    "the review's example": (
        ["ip link add dev vrf-1 type vrf table 1", "ip link set eth1 vrf vrf-1",
         "ip -4 address replace 192.168.0.21/24 dev eth1"],
        {"eth1": (None, ["192.168.0.21/24"], "vrf-1", None)},
    ),
    "bond spellings": (
        ["ip l add name bond0 type bond mode 4", "ip link set bond0 address 00:C1:AB:00:00:11",
         "ip link set dev eth1 master bond0", "ip link set eth2 down master bond0",
         "ip addr add 10.0.0.1/24 dev bond0"],
        {"bond0": ("00:c1:ab:00:00:11", ["10.0.0.1/24"], None, "4"),
         "eth1": (None, [], "bond0", None), "eth2": (None, [], "bond0", None)},
    ),
    "a bond that is not LACP": (
        ["ip link add bond1 type bond", "ip link set eth1 master bond1"],
        {"bond1": (None, [], None, "balance-rr"), "eth1": (None, [], "bond1", None)},
    ),
    "address spellings": (
        ["ip a a 10.0.0.1/24 dev eth1", "ip -f inet addr add 10.0.0.2/24 dev eth2",
         "ip addr add dev eth3 10.0.0.3/24", "ip address add 10.0.0.4/24 brd + dev eth4",
         "ip -n ns1 -4 a replace 10.0.0.5/24 dev eth5"],
        {f"eth{k}": (None, [f"10.0.0.{k}/24"], None, None) for k in range(1, 6)},
    ),
    "MAC and master on one line, then nomaster": (
        ["ip link set dev eth1 address 00:C1:AB:00:00:21 master vrf-1",
         "ip link set eth2 master vrf-2", "ip link set eth2 nomaster"],
        {"eth1": ("00:c1:ab:00:00:21", [], "vrf-1", None)},
    ),
    "lines it does not follow": (
        ["echo 'ip addr add 10.9.9.9/24 dev eth9'", "ip route add default via 10.0.0.254",
         "ip addr add 'unbalanced dev eth1", "ip link set", "ip link add bond0 type bond mode",
         "ip link set eth1 address", "ip addr add dev eth2", "ip", "sleep 1"],
        {"bond0": (None, [], None, "balance-rr")},
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_intent_and_twin_read_a_ce_alike(case: str) -> None:
    lines, expected = CASES[case]
    assert intent_view(ce_from_commands("ce", lines)) == expected
    assert twin_view(parse_ce("ce", lines)) == lacp_as_802_3ad(expected)


def test_the_published_labs_ce_scripts() -> None:
    """ce1 and ce2 run their scripts from `binds` (configs/ce1-config.sh, ce2-config.sh)."""
    topology = load_topology(PUBLISHED)
    intent = derive_intent(topology)
    ce1 = {"bond0": ("00:c1:ab:00:00:11", ["192.168.0.11/24"], None, "802.3ad"),
           "eth1": (None, [], "bond0", None), "eth2": (None, [], "bond0", None)}
    ce2 = {f"eth{k}": (f"00:c1:ab:00:00:2{k}", [f"192.168.0.2{k}/24"], f"vrf-{k}", None) for k in (1, 2, 3)}
    for name, expected in (("ce1", ce1), ("ce2", ce2)):
        lines = topology.nodes[name].exec_lines
        assert intent_view(intent.ces[name]) == expected
        assert twin_view(parse_ce(name, lines)) == expected
    assert parse_ce("ce1", topology.nodes["ce1"].exec_lines).interfaces["bond0"].members == ["eth1", "eth2"]
    devices = parse_ce_commands(topology.nodes["ce2"].exec_lines)
    assert [(d.name, d.kind, d.up) for d in devices.values() if d.kind] == [
        ("vrf-1", "vrf", True), ("vrf-2", "vrf", True), ("vrf-3", "vrf", True)]


def test_a_ce_spelled_otherwise_answers_the_intents_addresses() -> None:
    """ce2 of the lab with the review's spellings: every address the intent expects of it
    answers a ping from ce1 across the fabric."""
    topology = load_topology(LAB_TOPOLOGY)
    ce2 = topology.nodes["ce2"]
    ce2.exec_lines = [line.replace("ip link set dev eth", "ip link set eth").replace(" master ", " vrf ")
                      .replace("ip addr add", "ip -4 address replace") for line in ce2.exec_lines]
    assert "ip link set eth1 vrf vrf-1" in ce2.exec_lines
    expected = derive_intent(topology).ces["ce2"].ips
    assert expected == ["192.168.0.21", "192.168.0.22", "192.168.0.23"]
    fabric, running = boot_lab(topology)
    for leaf in ("leaf1", "leaf2"):
        fabric.on_commit(leaf, with_lines(running[leaf], MH_CONFIG))
    for ip in expected:
        assert fabric.probe("ce1", ip).delivered, ip
