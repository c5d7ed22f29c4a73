"""Generate leaf-spine containerlab topologies (for tests, benchmarks and big-fabric trials).

Leaves 2p-1 and 2p form multi-homing pair p (p = 1..P) and share K CEs, each a LACP bond
over one link to each leaf; every leaf outside the pairs gets one single-homed CE. The
output is an ordinary topology the rest of the tool consumes like evpn-mh01.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from nornir_evpn.outputs import replace_atomically
from nornir_evpn.platform import ETHERNET_PORT_MAX
from nornir_evpn.validation import NAME_RE

SRL_IMAGE = "ghcr.io/nokia/srlinux:23.7.1"
SPINE_TYPE = "ixrd3"
SPINE_PORTS = 34  # 7220 IXR-D3: 32 x 100G + 2 x 10G, ethernet-1/1..1/34; leaf N is on e1-N
CE_IMAGE = "ghcr.io/srl-labs/alpine:latest"
MAX_LEAVES = ETHERNET_PORT_MAX  # leaf N sits on each spine's ethernet-1/N
MAX_SPINES = 8  # spine S sits on each leaf's ethernet-1/(48+S): a 7220 IXR-D2's 8 x 100G uplinks


def generate_topology(
    spines: int, leaves: int, mh_pairs: int, ce_per_pair: int = 1, name: str | None = None
) -> dict[str, Any]:
    if spines < 1 or leaves < 1:
        raise ValueError("need at least one spine and one leaf")
    if mh_pairs * 2 > leaves:
        raise ValueError(f"{mh_pairs} multi-homing pairs need {mh_pairs * 2} leaves, got {leaves}")
    if ce_per_pair < 1 or ce_per_pair > 40:
        raise ValueError("ce-per-pair must be between 1 and 40")
    if leaves > MAX_LEAVES:
        raise ValueError(f"at most {MAX_LEAVES} leaves (a spine's ports: ethernet-1/1 to 1/{ETHERNET_PORT_MAX}), "
                         f"got {leaves}")
    if spines > MAX_SPINES:  # (the message named the leaves' limit too, whichever was passed)
        raise ValueError(f"at most {MAX_SPINES} spines (a leaf's uplinks: ethernet-1/49 to 1/{48 + MAX_SPINES}), "
                         f"got {spines}")
    if name is not None and not NAME_RE.match(name):
        raise ValueError(f"--name {name!r}: a lab name is a letter, then letters, digits, '-' or '_'")
    name = name or f"gen-{spines}s{leaves}l{mh_pairs}p"
    nodes: dict[str, Any] = {}
    links: list[dict[str, Any]] = []
    for s in range(1, spines + 1):
        nodes[f"spine{s}"] = {"kind": "srl", "type": SPINE_TYPE}
    for leaf in range(1, leaves + 1):
        nodes[f"leaf{leaf}"] = {"kind": "srl", "type": "ixrd2"}
        for s in range(1, spines + 1):
            links.append({"endpoints": [f"leaf{leaf}:e1-{48 + s}", f"spine{s}:e1-{leaf}"]})
    # CE k of pair p: number and address (p-1)*40 + k, whatever --ce-per-pair (at most 40):
    # numbered in a row, growing it from 20 to 40 renumbered every pair but the first, and
    # with them their ESIs and LACP keys (configure then replaced 60 values a leaf)
    stride = 40 if ce_per_pair > 1 else 1
    for p in range(1, mh_pairs + 1):
        a, b = 2 * p - 1, 2 * p
        for k in range(1, ce_per_pair + 1):
            ce = f"ce{p}x{k}" if ce_per_pair > 1 else f"mhce{p}"
            number = (p - 1) * stride + k
            host = 10 + number
            mac = f"00:c1:ab:01:{p:02x}:{k:02x}"
            nodes[ce] = {"kind": "linux", "exec": [
                "ip link add bond0 type bond mode 802.3ad",
                f"ip link set address {mac} dev bond0",
                f"ip addr add 172.30.{host >> 8}.{host & 0xFF}/16 dev bond0",
                "ip link set eth1 down",
                "ip link set eth2 down",
                "ip link set eth1 master bond0",
                "ip link set eth2 master bond0",
                "ip link set eth1 up",
                "ip link set eth2 up",
                "ip link set bond0 up",
            ]}
            if ce_per_pair > 1:
                # `ce2x1` names no number of its own: pinned, its ethernet segment keeps its
                # number (hence ESI, LAG, LACP key) when another CE or leaf pair is taken out
                # (by position, ce2x1 became ES-1 once pair 1 was gone: an ESI leaf1 still had)
                # lag k on its pair's two leaves: a LAG name need only be unique on its leaf,
                # and SR Linux bounds N (lag1..lag1000; 1..64 on a 7220 D2/D3 running 23.7)
                nodes[ce]["labels"] = {"number": number, "lag": f"lag{k}"}
            links.append({"endpoints": [f"{ce}:eth1", f"leaf{a}:e1-{k}"]})
            links.append({"endpoints": [f"{ce}:eth2", f"leaf{b}:e1-{k}"]})
    for leaf in range(2 * mh_pairs + 1, leaves + 1):
        ce = f"shce{leaf}"
        # 172.30.200.<leaf>, from its leaf's number: counted on from the last multi-homed CE,
        # one more pair (or CE per pair) readdressed every single-homed CE after it. Above the
        # multi-homed CEs' 172.30.0.11 to 172.30.10.10 (64 pairs of 40)
        host = 200 * 256 + leaf
        mac = f"00:c1:ab:02:{leaf >> 8:02x}:{leaf & 0xFF:02x}"
        nodes[ce] = {"kind": "linux", "exec": [
            f"ip link set address {mac} dev eth1",
            f"ip addr add 172.30.{host >> 8}.{host & 0xFF}/16 dev eth1",
        ]}
        links.append({"endpoints": [f"{ce}:eth1", f"leaf{leaf}:e1-1"]})
    return {
        "name": name,
        "mgmt": {"network": "clab", "ipv4-subnet": "172.20.20.0/24"},
        "topology": {
            "kinds": {"srl": {"image": SRL_IMAGE}, "linux": {"image": CE_IMAGE}},
            "nodes": nodes,
            "links": links,
        },
    }


def write_topology(doc: dict[str, Any], out: Path) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    header = "# generated by `python -m nornir_evpn topology generate`\n"
    replace_atomically(out, header + yaml.safe_dump(doc, sort_keys=False, width=120), shared=True)
    return out
