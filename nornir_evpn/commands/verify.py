"""`verify`: read the fabric with `show` commands and judge it against the intent.

Read-only. Exit 0 when every check passes on every host, 1 otherwise, 2 on bad input
(unknown check name, bad inventory, no twin).
"""

from __future__ import annotations

import argparse
import re
import threading
from pathlib import Path
from typing import Any

from nornir.core.task import AggregatedResult

from nornir_evpn import commit_claims
from nornir_evpn.checks import CHECK_NAMES, applicable, resolve_checks
from nornir_evpn.checks.mac import MAC_CHECKS, ces_without_mac
from nornir_evpn.commands.common import (
    EXIT_FAILED,
    EXIT_OK,
    add_nornir_options,
    build_target,
    positive_int,
    traffic_hint,
)
from nornir_evpn.errors import UserInputError
from nornir_evpn.failures import task_error
from nornir_evpn.host_results import host_ranges
from nornir_evpn.reporting.common import console_for, emit_json, write_junit
from nornir_evpn.reporting.verify import (
    absent_objects_note,
    not_judged_notes,
    print_verify,
    verify_document,
    verify_junit,
)
from nornir_evpn.runner import InterruptSafeRunner
from nornir_evpn.session import cut_short
from nornir_evpn.tasks.cli_lines import CONNECTION, DEFAULT_BATCH_LINES
from nornir_evpn.tasks.verify import verify_host


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "verify",
        help="check LAG/LACP, ethernet segments, DF, BGP, EVPN routes and MACs against the intent",
        description=(
            "Send the tutorial's `show` commands to every SR Linux host (one batch per host, "
            "hosts in parallel), parse them, and compare with what the fabric intent expects."
        ),
    )
    p.add_argument("--checks", default=None, metavar="A,B",
                   help=f"comma-separated subset of: {', '.join(CHECK_NAMES)} (default: all)")
    p.add_argument("--batch-lines", type=positive_int, default=DEFAULT_BATCH_LINES, metavar="N",
                   help=f"show commands sent per round trip (default {DEFAULT_BATCH_LINES}; "
                        "1 = one at a time through scrapli's send_commands)")
    p.add_argument("--outputs", type=Path, default=None, metavar="DIR",
                   help="write each host's raw `show` outputs to DIR/<host>/<command>.txt "
                        "(what verify read, nothing more)")
    add_nornir_options(p)
    p.set_defaults(func=run)


def output_file_name(command: str) -> str:
    """`show interface ethernet-1/1` -> `show_interface_ethernet-1-1.txt`: spaces as `_`,
    `/` as `-` (`ethernet-1/11` and `ethernet-11/1` stay apart), anything else a file name
    should not hold removed."""
    return re.sub(r"[^A-Za-z0-9._-]", "", command.strip().replace(" ", "_").replace("/", "-")) + ".txt"


def _host_dir_name(host: str) -> str:
    """A host name as one directory name inside DIR (never `..`, never a path)."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", host)
    return name if name.strip(".") else f"_{name}"


def prepare_outputs_dir(path: Path) -> Path:
    """Create `--outputs DIR` now: a bad path is said before any host is read."""
    from nornir_evpn.outputs import ensure_directory

    if path.exists() and not path.is_dir():
        raise UserInputError(f"--outputs {path}: is a file, expected a directory")
    return ensure_directory(path, "--outputs")


def write_outputs(path: Path, hosts: dict[str, dict[str, Any]]) -> list[str]:
    """DIR/<host>/<command>.txt for every output a host gave this run. A host's directory is
    emptied first (an earlier run's files are not this run's); a host not read has none.
    A note naming the directories of hosts this run did not select that hold an earlier
    run's files (a diff of DIR would compare two runs), or none."""
    from nornir_evpn.outputs import writing

    this_run = {_host_dir_name(h) for h in hosts}
    with writing(path, "--outputs"):
        for host, data in hosts.items():
            folder = path / _host_dir_name(host)
            for old in folder.glob("*.txt") if folder.is_dir() else ():
                old.unlink(missing_ok=True)  # (another verify writing here may have taken it)
            outputs = data.get("outputs") or {}
            if not outputs:
                continue
            folder.mkdir(parents=True, exist_ok=True)
            for command, text in outputs.items():
                file = folder / output_file_name(command)
                try:  # UTF-8, as the device sent it, whatever the locale (a latin-1 one failed on a `→`)
                    file.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8",
                                    errors="backslashreplace")
                except OSError:  # a full disk: no empty or cut file to read as the device's answer
                    file.unlink(missing_ok=True)
                    raise
        earlier = [d.name for d in path.iterdir() if d.name not in this_run and d.is_dir()
                   and any(d.glob("*.txt"))]
    if not earlier:
        return []
    # (folded as every host list: `--hosts leaf1` after a 64-leaf run named 63 folders one by one)
    return [f"--outputs {path}: {host_ranges(earlier)} {'holds' if len(earlier) == 1 else 'hold'} an earlier "
            "run's outputs (not selected this run)"]


def host_results(agg: AggregatedResult) -> dict[str, dict[str, Any]]:
    """verify_host results -> {host: {"checks", "error", "seconds"}}; crashes become one line."""
    out: dict[str, dict[str, Any]] = {}
    for host, multi in agg.items():
        own = multi[0]
        if isinstance(own.result, dict):
            out[host] = own.result
        else:
            out[host] = {"checks": [], "error": task_error(host, own.exception) if own.exception else "failed"}
    return out


def skipped_notes(fabric: Any, checks: list[str]) -> list[str]:
    """What the selected checks cannot look at, said rather than left out of the matrix."""
    missing = ces_without_mac(fabric) if set(checks) & set(MAC_CHECKS) else []
    if not missing:
        return []
    return [f"MAC checks skip {', '.join(missing)}: the topology gives no MAC for them "
            f"(pin one with `ip link set dev <if> address <mac>` in the CE's exec, or `mac:` on its "
            f"link's endpoint)"]


def run(args: argparse.Namespace) -> int:
    names = None if args.checks is None else [n for n in args.checks.split(",") if n.strip()]
    checks = [c.name for c in resolve_checks(names)]  # unknown name: UserInputError, exit 2
    from nornir_evpn.outputs import removed_if_refused

    with removed_if_refused(args.outputs):  # (a refusal leaves no empty --outputs DIR behind)
        if args.outputs is not None:
            prepare_outputs_dir(args.outputs)
        target = build_target(args)
        hosts = list(target.nr.inventory.hosts)
        if not any(applicable(target.fabric, h, checks) for h in hosts):
            # a PASS of 0/0 would turn a CI gate green on a typo'd selection
            named = ", ".join(hosts[:5]) + (f", ... ({len(hosts)} hosts)" if len(hosts) > 5 else "")
            raise UserInputError(f"no selected check applies to the selected hosts ({named}): nothing to verify")
    runner = target.nr.runner
    cancel = threading.Event()
    if isinstance(runner, InterruptSafeRunner):
        # verify only reads: a Ctrl-C/SIGTERM cuts the reads in flight short rather than
        # waiting for a slow host's answer (the exit came a whole run later); `cancel` first,
        # so a read cut is logged as interrupted, not as a connection the device lost
        def interrupt(running: Any) -> None:
            cancel.set()
            for h in running:
                cut_short(h, CONNECTION)

        runner.on_interrupt = interrupt
    # (and again after: one that started meanwhile)
    fabric = commit_claims.fabric_of(target)
    busy = commit_claims.busy_notes(*fabric)
    try:
        agg = target.nr.run(task=verify_host, fabric=target.fabric, checks=checks,
                            batch_lines=args.batch_lines, keep_outputs=args.outputs is not None,
                            cancel=cancel)
    finally:
        # Close explicitly: ssh2 sessions left to the garbage collector can block the GIL
        # while their peer (an in-process twin) waits to answer.
        target.nr.close_connections(on_failed=True)
    results = host_results(agg)
    doc = {**verify_document(results), "target": target.describe()}
    doc["notes"] = (skipped_notes(target.fabric, checks) + not_judged_notes(doc["hosts"])
                    + absent_objects_note(doc["hosts"]))
    doc["notes"] += list(dict.fromkeys(busy + commit_claims.busy_notes(*fabric)))
    if args.outputs is not None:
        try:
            doc["notes"] += write_outputs(args.outputs, results)
        except UserInputError as exc:  # the disk filled meanwhile: the verdict still stands
            doc["notes"].append(str(exc))
    print_verify(console_for(args.json), doc, checks, traffic_hint=traffic_hint(args))
    # the JSON first, as configure and failover-test do: a --junit the disk refuses now is
    # exit 1 with the run reported (cli.py), not an empty stdout for a CI job to parse
    if args.json:
        emit_json(doc)
    if args.junit:
        write_junit(args.junit, verify_junit(doc))
    return EXIT_OK if doc["ok"] else EXIT_FAILED
