"""`rollback`: revert hosts to the device checkpoint a configure run made before its commit.

Without `--checkpoint`, the newest checkpoint configure made (`nornir-evpn-<time>`) on any
selected host is the one: a host where that run committed nothing has none and is left as
it is. Each revert is one commit on the device. Exit 0 when every host holding the
checkpoint reverted, 1 when one failed, 2 when no selected host holds it.
"""

from __future__ import annotations

import argparse
import threading
from typing import Any

from nornir.core.task import AggregatedResult

from nornir_evpn.commands.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    add_nornir_options,
    build_target,
)
from nornir_evpn.commands.configure import (
    interrupt_once,
    refuse_during_failover_test,
    run_interruptible,
)
from nornir_evpn.errors import UserInputError
from nornir_evpn.failures import task_error
from nornir_evpn.reporting.common import console_for, emit_json, host_entry, write_junit
from nornir_evpn.reporting.rollback import print_rollback, rollback_junit
from nornir_evpn.tasks.checkpoint import CHECKPOINT_PREFIX, list_checkpoints, rollback_checkpoint


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "rollback",
        help="revert hosts to the checkpoint configure made before its commit",
        description=(
            "Revert each selected SR Linux host to a device checkpoint (`tools system "
            "configuration checkpoint <name> revert`: one commit per host). configure generates "
            f"one named {CHECKPOINT_PREFIX}<time> before each commit; the newest is the default."),
    )
    p.add_argument("--checkpoint", default=None, metavar="NAME",
                   help="the checkpoint to revert to (default: the newest configure made on the selected hosts)")
    p.add_argument("--dry-run", action="store_true", help="say which hosts hold the checkpoint, revert nothing")
    add_nornir_options(p)
    p.set_defaults(func=run)


def _entries(agg: AggregatedResult) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for host, multi in agg.items():
        own = multi[0]
        data = own.result if isinstance(own.result, dict) else {}
        error = data.get("error") or (task_error(host, own.exception) if own.failed and own.exception else None)
        if own.failed and error is None:
            error = "failed"
        out[host] = host_entry(not own.failed, bool(data.get("reverted")), error,
                               found=bool(data.get("found")), reverted=bool(data.get("reverted")),
                               device_error=data.get("device_error"), seconds=data.get("seconds", 0.0))
    return out


def newest_checkpoint(agg: AggregatedResult) -> str | None:
    """The newest name configure gave a checkpoint on any host that answered (the names carry
    the run's UTC time, so they sort like the runs)."""
    names = {c["name"] for multi in agg.values() if not multi[0].failed
             for c in multi[0].result["checkpoints"] if str(c.get("name", "")).startswith(CHECKPOINT_PREFIX)}
    return max(names, default=None)


def run(args: argparse.Namespace) -> int:
    if args.checkpoint is not None and not args.checkpoint.strip():
        raise UserInputError("--checkpoint: empty name")
    target = build_target(args)
    if not args.dry_run:
        refuse_during_failover_test(target.nr.inventory.hosts, target)
    console = console_for(args.json)
    cancel = threading.Event()
    name = args.checkpoint
    with interrupt_once() as settle:
        try:
            if name is None:
                name = newest_checkpoint(run_interruptible(lambda: target.nr.run(task=list_checkpoints), cancel))
                target.nr.data.reset_failed_hosts()
                if name is None:
                    raise UserInputError(
                        f"no checkpoint named {CHECKPOINT_PREFIX}* on the selected hosts (configure makes one "
                        "before each commit, unless --no-checkpoint): nothing to roll back")
            agg = run_interruptible(
                lambda: target.nr.run(task=rollback_checkpoint, checkpoint=name, dry_run=args.dry_run, cancel=cancel),
                cancel)
            interrupted = False
        except KeyboardInterrupt as exc:
            result = getattr(exc, "result", None)
            if result is None or name is None:
                return EXIT_INTERRUPTED
            agg, interrupted = result, True
        finally:
            settle()
            target.nr.close_connections(on_failed=True)
    hosts = _entries(agg)
    if not interrupted and not any(e["found"] for e in hosts.values()) and all(e["ok"] for e in hosts.values()):
        raise UserInputError(f"no selected host holds checkpoint {name!r}: nothing rolled back")
    doc: dict[str, Any] = {
        "command": "rollback",
        "ok": not interrupted and all(e["ok"] for e in hosts.values()),
        "target": target.describe(),
        "checkpoint": name,
        "dry_run": bool(args.dry_run),
        "interrupted": interrupted,
        "notes": ["interrupted: hosts not reverted yet were left as they are"] if interrupted else [],
        "hosts": hosts,
    }
    print_rollback(console, doc)
    if args.json:
        emit_json(doc)
    if args.junit:
        write_junit(args.junit, rollback_junit(doc))
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if doc["ok"] else EXIT_FAILED
