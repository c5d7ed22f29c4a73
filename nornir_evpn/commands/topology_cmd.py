"""`topology generate`: write a leaf-spine containerlab topology with multi-homed CEs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nornir_evpn.commands.common import positive_int
from nornir_evpn.errors import UserInputError
from nornir_evpn.generate import (
    MAX_LEAVES,
    SPINE_PORTS,
    SPINE_TYPE,
    generate_topology,
    write_topology,
)
from nornir_evpn.outputs import ensure_writable, writing
from nornir_evpn.reporting.common import counted


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("topology", help="generate containerlab topologies")
    sub = p.add_subparsers(dest="topology_command", metavar="SUBCOMMAND", required=True)
    g = sub.add_parser(
        "generate", help="leaf-spine fabric with CEs multi-homed to leaf pairs",
        epilog="example: python -m nornir_evpn topology generate --spines 2 --leaves 4 --mh-pairs 2 --out fab.clab.yml",
        formatter_class=argparse.RawDescriptionHelpFormatter,  # the example stays one copyable line
    )
    g.add_argument("--spines", type=positive_int, required=True, metavar="N", help="1 to 8")
    g.add_argument("--leaves", type=positive_int, required=True, metavar="N",
                   help=f"1 to {MAX_LEAVES} (a containerlab deploy: at most {SPINE_PORTS}, the spines' ports)")
    g.add_argument("--mh-pairs", type=int, default=1, metavar="N",
                   help="leaf pairs sharing multi-homed CEs (at most leaves/2; default 1)")
    g.add_argument("--ce-per-pair", type=positive_int, default=1, metavar="N",
                   help="multi-homed CEs per pair, 1 to 40 (default 1)")
    g.add_argument("--name", default=None, metavar="NAME", help="lab name (default gen-<S>s<L>l<P>p)")
    g.add_argument("--out", type=Path, required=True, metavar="FILE", help="the containerlab topology to write")
    g.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if args.mh_pairs < 0:
        raise UserInputError(f"--mh-pairs: must not be negative, got {args.mh_pairs}")
    if args.mh_pairs == 0 and args.ce_per_pair > 1:  # (it was ignored: no pair to put them on)
        raise UserInputError(f"--ce-per-pair {args.ce_per_pair} with --mh-pairs 0: no leaf pair to multi-home "
                             "CEs to (give --mh-pairs 1 or more)")
    try:
        doc = generate_topology(args.spines, args.leaves, args.mh_pairs, args.ce_per_pair, args.name)
    except ValueError as exc:
        raise UserInputError(f"topology generate: {exc}") from None
    with writing(ensure_writable(args.out, "--out"), "--out"):
        path = write_topology(doc, args.out)
    sys.stderr.write(f"wrote {path}: {counted(args.spines, 'spine')}, {counted(args.leaves, 'leaf', 'leaves')}, "
                     f"{counted(args.mh_pairs, 'multi-homing pair')}\n")
    if args.leaves > SPINE_PORTS:
        sys.stderr.write(
            f"note: leaves {SPINE_PORTS + 1}-{args.leaves} sit on spine ports e1-{SPINE_PORTS + 1} and up, "
            f"which a spine of type {SPINE_TYPE} does not have: fine for the twin, not for a containerlab deploy\n")
    return 0
