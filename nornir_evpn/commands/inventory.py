"""`inventory`: containerlab topology → Nornir SimpleInventory files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nornir_evpn.intent import (
    assumed_bonds,
    derive_intent,
    leaves_without_ce,
    positional_nodes,
    unused_es_labels,
)
from nornir_evpn.inventory import build_inventory, write_inventory
from nornir_evpn.inventory_settings import (
    OVERLAY_MODES,
    dropped_host_data,
    generated_settings,
    keep_connection_settings,
    keep_hand_set_host_data,
    write_snapshot,
    written_overlay,
)
from nornir_evpn.outputs import ensure_directory, writing
from nornir_evpn.reporting.common import counted
from nornir_evpn.topology import load_topology


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "inventory", help="generate a Nornir inventory from a containerlab topology",
        description="Write hosts.yaml, groups.yaml and defaults.yaml (intent in host data; no password).",
        epilog="example: python -m nornir_evpn inventory --topology inventory/evpn-mh01.clab.yml --out inventory/",
        formatter_class=argparse.RawDescriptionHelpFormatter,  # the example stays one copyable line
    )
    p.add_argument("--topology", type=Path, required=True, metavar="FILE", help="containerlab *.clab.yml")
    p.add_argument("--out", type=Path, default=Path("inventory"), metavar="DIR", help="output directory")
    p.add_argument("--overlay", choices=list(OVERLAY_MODES), default=None,
                   help="iBGP overlay design (route-reflector: spines reflect, for big fabrics; "
                        "default: the inventory's in --out, else full-mesh)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    topology = load_topology(args.topology)
    written = written_overlay(args.out) if args.overlay is None and args.out.is_dir() else None
    overlay = args.overlay or written or "full-mesh"
    fabric = derive_intent(topology, overlay)
    docs = build_inventory(topology, fabric)
    generated = generated_settings(docs)
    kept = keep_connection_settings(docs, args.out) if args.out.is_dir() else []
    hand_set = keep_hand_set_host_data(docs, args.out) if args.out.is_dir() else []
    dropped = dropped_host_data(docs, args.out) if args.out.is_dir() else []
    with writing(ensure_directory(args.out, "--out"), "--out"):
        paths = write_inventory(docs, args.out)
        write_snapshot(generated, args.out)
    sys.stderr.write(
        f"wrote {', '.join(str(p) for p in paths)}: {counted(len(fabric.leaves), 'leaf', 'leaves')}, "
        f"{counted(len(fabric.spines), 'spine')}, {counted(len(fabric.ces), 'CE')}, "
        f"{counted(len(fabric.ethernet_segments), 'ethernet segment')}\n"
    )
    if written and written != "full-mesh":
        sys.stderr.write(f"note: overlay {written} as in the inventory written over (--overlay full-mesh "
                         "to change it)\n")
    if kept:
        sys.stderr.write(f"note: kept your connection settings: {', '.join(kept)} (delete the "
                         "files to write the generated ones)\n")
    if hand_set:
        sys.stderr.write(f"note: kept your host data: {', '.join(hand_set)} (from the hosts.yaml "
                         "written over; delete it there to drop it)\n")
    if dropped:
        sys.stderr.write(f"note: not kept: host data {', '.join(dropped)} (no topology derives it; host "
                         "data is the topology's again when the inventory is written)\n")
    for note in topology.notes:
        sys.stderr.write(f"note: {note}\n")
    assumed = assumed_bonds(topology)
    if assumed:
        sys.stderr.write(
            f"note: {', '.join(assumed)}: no bond in their commands (exec or bound scripts), taken "
            "as one LACP bond each (an ethernet segment); give each link an address or VRF of "
            "its own in the CE's commands to make it single-homed\n")
    unused = unused_es_labels(topology)
    if unused:
        sys.stderr.write(
            f"note: {', '.join(unused)}: ethernet-segment labels on a CE that is no ethernet segment "
            "(bonded to two or more leaves): ignored\n")
    no_ce = leaves_without_ce(topology)
    if no_ce:
        sys.stderr.write(
            f"note: {', '.join(no_ce)}: no CE, taken as leaves (they link to a spine); label one "
            "`role: spine` if it is not a leaf (a super-spine)\n")
    positional = positional_nodes(topology)
    if len(positional) > 1:
        sys.stderr.write(
            f"note: {', '.join(positional)} are numbered by position (their names have no distinct "
            "numbers): taking one out renumbers the others; pin them with a `number` label\n"
        )
    return 0
