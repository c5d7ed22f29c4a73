"""`rollback`: revert hosts to the device checkpoint a configure run made before its commit.

Without `--checkpoint`, the run is the newest one configure recorded for this lab in
`./.nornir_evpn/checkpoints.json` that still has a selected host to undo (so a second
rollback steps back one more run; the record keeps per host what is undone, and a host
already back past the run is sent nothing); with no record (another machine's run), the
newest `nornir-evpn-*` checkpoint on the selected hosts, provided every one of them could
be read. A host that run did not change holds none and is left as it is; one it changed
that lost it, or cannot be read, stops the rollback before any revert. Each revert is one
commit on the device. Exit 0 when every host holding the checkpoint reverted, 1 when one
failed, 2 when no selected host holds it or the choice cannot be made.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import threading
from typing import Any

from nornir.core.task import AggregatedResult

from nornir_evpn import checkpoint_record, platform
from nornir_evpn.commands.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    add_nornir_options,
    build_target,
)
from nornir_evpn.commands.configure import (
    Interrupted,
    holding_hosts,
    interrupt_once,
    refuse_during_failover_test,
    run_interruptible,
)
from nornir_evpn.errors import UserInputError
from nornir_evpn.failures import task_error
from nornir_evpn.reporting.common import (
    JUnitCase,
    JUnitSuite,
    console_for,
    emit_json,
    host_entry,
    host_ranges,
    write_junit,
)
from nornir_evpn.reporting.rollback import print_rollback, rollback_junit
from nornir_evpn.tasks.checkpoint import CHECKPOINT_PREFIX, list_checkpoints, rollback_checkpoint
from nornir_evpn.tasks.config import save_startup
from nornir_evpn.validation import assert_one_line


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
                   help="the checkpoint to revert to (default: the newest configure run recorded here and not "
                        "rolled back yet; with no record, the newest nornir-evpn-* one on the selected hosts)")
    p.add_argument("--forget", action="store_true",
                   help="revert nothing: mark that run rolled back in the record, so the default steps past it "
                        "(its checkpoints are gone: a device reloaded, a twin restarted)")
    p.add_argument("--dry-run", action="store_true",
                   help="say which hosts hold the checkpoint and what reverting would change there (their diff), "
                        "revert nothing")
    p.add_argument("--save", action="store_true",
                   help="then `save startup` on every host that reverted (a configure --save had saved the change)")
    add_nornir_options(p)
    p.set_defaults(func=run)


def _entries(agg: AggregatedResult, saved: dict[str, tuple[bool, str | None]]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for host, multi in agg.items():
        own = multi[0]
        data = own.result if isinstance(own.result, dict) else {}
        error = data.get("error") or (task_error(host, own.exception) if own.failed and own.exception else None)
        if own.failed and error is None:
            error = "failed"
        ok = not own.failed
        was_saved, save_error = saved.get(host, (False, None))
        if ok and save_error is not None:  # reverted, its startup not saved: failed, the revert kept
            ok, error = False, f"reverted, not saved to startup: {save_error}"
        out[host] = host_entry(ok, bool(own.changed), error,
                               found=bool(data.get("found")), reverted=bool(data.get("reverted")),
                               saved=was_saved, diff=data.get("diff"), diff_error=data.get("diff_error"),
                               added=data.get("added", 0), removed=data.get("removed", 0),
                               device_error=data.get("device_error"), seconds=data.get("seconds", 0.0))
    return out


def newest_checkpoint(agg: AggregatedResult) -> str:
    """The newest checkpoint configure made on the hosts read (the names carry the run's UTC
    time); a host that could not be read might hold a newer one, so it stops the choice."""
    unread = [f"{h}: {m[0].result['error']}" for h, m in agg.items() if m[0].failed]
    if unread:
        raise UserInputError(f"cannot tell the newest checkpoint: {unread[0]}"
                             f"{f' (and {len(unread) - 1} more)' if len(unread) > 1 else ''}; give "
                             "--checkpoint NAME, or --hosts without the hosts that cannot be read")
    names = {c["name"] for multi in agg.values() for c in multi[0].result["checkpoints"]
             if str(c.get("name", "")).startswith(CHECKPOINT_PREFIX)}
    if not names:
        raise UserInputError(
            f"no checkpoint named {CHECKPOINT_PREFIX}* on the selected hosts (configure makes one "
            "before each commit, unless --no-checkpoint): nothing to roll back")
    return max(names)


def newer_unrecorded(agg: AggregatedResult, lab: str, name: str) -> None:
    """Refuse the record's default when a host holds a newer `nornir-evpn-*` checkpoint this
    directory has no record of (a runbook's, another machine's run): reverting to the older
    one would undo that change too, without a word. Hosts that cannot be read are left to
    the revert, which fails them."""
    known = {r["checkpoint"] for r in checkpoint_record.known_of(lab)}
    newer: dict[str, list[str]] = {}
    for host, multi in agg.items():
        if multi[0].failed:
            continue
        for c in multi[0].result["checkpoints"]:
            cp = str(c.get("name", ""))
            if cp.startswith(CHECKPOINT_PREFIX) and cp > name and cp not in known:
                newer.setdefault(cp, []).append(host)
    if newer:
        cp = max(newer)
        raise UserInputError(
            f"{host_ranges(newer[cp])} hold{'s' * (len(newer[cp]) == 1)} checkpoint {cp}, newer than the last run "
            f"recorded here ({name}) and not made by a configure from this directory (a runbook's, another "
            f"machine's): `--checkpoint {cp}` undoes that change, `--checkpoint {name}` the recorded run and it")


def _choose(target: Any, lab: str, recorded: str | None, required: Any, *, explicit: bool,
            cancel: threading.Event) -> str:
    """Read every selected host's checkpoints, then the one to revert to: the one named, or
    the newest run recorded here unless a host holds a newer one the record does not know,
    or (no record: another machine's run) the devices' newest. Before any revert, a host the
    recorded run changed that lost its checkpoint stops it: reverting the others would leave
    the fabric half back (ES peers with different LACP settings)."""
    try:
        listed = run_interruptible(lambda: target.nr.run(task=list_checkpoints, cancel=cancel), cancel)
    except Interrupted:
        # what was read is no revert's result: it reported every host "no checkpoint"
        raise Interrupted(None) from None
    target.nr.data.reset_failed_hosts()
    if recorded is None:
        return newest_checkpoint(listed)
    if not explicit:
        newer_unrecorded(listed, lab, recorded)
    unread = [f"{h}: {m[0].result['error']}" for h, m in listed.items() if h in required and m[0].failed]
    if unread:
        raise UserInputError(f"cannot read the checkpoints of {unread[0]}, which run {recorded} changed: nothing "
                             "reverted, or the fabric would be half back (`--hosts` without it reverts the others)")
    lost = [h for h, m in listed.items() if h in required and not m[0].failed
            and recorded not in {c.get("name") for c in m[0].result["checkpoints"]}]
    if lost:
        raise UserInputError(
            f"checkpoint {recorded} is no longer on {host_ranges(lost)} (pushed out by later ones, cleared, or "
            f"the device reloaded), which that run changed: nothing reverted, or the fabric would be half "
            f"back; `rollback --forget{'' if not explicit else ' --checkpoint ' + recorded}` drops that run "
            "from the record")
    return recorded


def _saved_hosts(run_record: dict[str, Any] | None) -> list[str]:
    """The hosts that run saved to startup (a 0.13 record before the list: all or none)."""
    saved = (run_record or {}).get("saved") or []
    return list((run_record or {}).get("hosts") or ()) if saved is True else list(saved)


def _forget(args: argparse.Namespace, target: Any, run_record: dict[str, Any] | None) -> int:
    """`--forget`: that one run is marked rolled back, nothing is sent to any host."""
    if args.dry_run:
        raise UserInputError("--forget with --dry-run: --forget sends nothing to any host, it changes the record")
    if args.save:  # accepted and ignored before: the operator believed the devices saved
        raise UserInputError("--forget with --save: --forget sends nothing to any host, so nothing is saved")
    if run_record is None:
        raise UserInputError("--forget: no such run recorded here"
                             + (f" ({args.checkpoint})" if args.checkpoint else ""))
    hosts = sorted(set(run_record["hosts"]) & set(target.nr.inventory.hosts))
    try:
        checkpoint_record.forget(target.fabric.name, run_record["checkpoint"], hosts)
    except OSError as exc:
        raise UserInputError(f"--forget: {checkpoint_record.record_path()}: {exc.strerror or exc}") from None
    sys.stderr.write(f"run {run_record['checkpoint']} marked undone on {host_ranges(hosts) or 'no host'} in "
                     f"{checkpoint_record.record_path()}; nothing reverted\n")
    if args.json:
        emit_json({"command": "rollback", "ok": True, "target": target.describe(),
                   "checkpoint": run_record["checkpoint"], "forget": hosts, "hosts": {}})
    if args.junit:  # --junit was accepted and left the previous run's file in place
        write_junit(args.junit, [JUnitSuite(f"rollback --forget {run_record['checkpoint']}", [
            JUnitCase("rollback", host, output="marked undone in the record; nothing sent") for host in hosts])])
    return EXIT_OK


def _refused_doc(target: Any, name: str | None, dry_run: bool = False) -> dict[str, Any]:
    return {"command": "rollback", "ok": False, "target": target.describe(), "checkpoint": name,
            "dry_run": dry_run, "interrupted": True, "notes": [], "hosts": {},
            "error": "interrupted before any revert: nothing changed"}


def run(args: argparse.Namespace) -> int:
    if args.dry_run and args.save and not args.forget:  # (--forget says its own)
        # as configure's: accepted, the run said "0 saved to startup" and exited 0
        raise UserInputError("--save with --dry-run: nothing is reverted, so nothing would be saved")
    if args.checkpoint is not None:
        if not args.checkpoint.strip():
            raise UserInputError("--checkpoint: empty name")
        assert_one_line([args.checkpoint], "--checkpoint")
        try:  # (a name the tool will not type: one line and exit 2, as a control character)
            platform.checkpoint_word(args.checkpoint)
        except ValueError as exc:
            raise UserInputError(f"--checkpoint: {exc}") from None
    target = build_target(args)
    if args.dry_run:
        return _run(args, target)
    if args.forget:  # (nothing committed: nothing to keep others off)
        refuse_during_failover_test(target.nr.inventory.hosts, target, command="rollback")
        return _run(args, target)
    # a failover-test with a link shut, or a configure/rollback committing to one of these
    # hosts: refused, and this run's claim keeps them off until it ends
    with holding_hosts(target, "rollback"):
        return _run(args, target)


def _run(args: argparse.Namespace, target: Any) -> int:
    console = console_for(args.json)
    cancel = threading.Event()
    lab = target.fabric.name
    selected = set(target.nr.inventory.hosts)
    try:
        run_record = checkpoint_record.find(lab, args.checkpoint, selected=selected)
        recorded_runs = checkpoint_record.runs_of(lab)
        recorded_order = [r["checkpoint"] for r in checkpoint_record.known_of(lab)]
    except checkpoint_record.RecordUnreadable as exc:
        raise UserInputError(str(exc)) from None
    if args.checkpoint is None and run_record is None and recorded_runs:
        if not any(set(r.get("hosts") or ()) & selected for r in recorded_runs):
            # (`--role spine` after runs that changed leaves only: "rolled back already" was untrue)
            raise UserInputError(f"no run of lab {lab} recorded in {checkpoint_record.record_path()} changed the "
                                 f"selected hosts ({host_ranges(selected)}): nothing to roll "
                                 "back (give --checkpoint NAME for another)")
        raise UserInputError(f"every run of lab {lab} recorded in {checkpoint_record.record_path()} is rolled "
                             "back already on the selected hosts: nothing to roll back (give --checkpoint NAME "
                             "for another)")
    name = args.checkpoint or (run_record or {}).get("checkpoint")
    if args.forget:
        return _forget(args, target, run_record)
    if run_record is not None and not run_record["hosts"]:
        # the run before it is the one recorded before it, which the default takes after
        # `--forget`: by checkpoint name (by start), a run that began a moment later and
        # ended first (another operator's, on other hosts) was skipped, and the one named
        # undid both on its hosts
        # (two reads of a file another run may append to meanwhile: a name not in it is last)
        position = {n: i for i, n in enumerate(recorded_order)}
        last = position.get(run_record["checkpoint"], len(recorded_order))
        before = next((r["checkpoint"] for r in reversed(recorded_runs) if set(checkpoint_record.pending(r))
                       & selected and position.get(r["checkpoint"], len(recorded_order)) < last), None)
        raise UserInputError(
            f"the last configure run here ({run_record['checkpoint']}) committed nothing "
            f"({'failed on ' + host_ranges(run_record['failed']) if run_record.get('failed') else 'interrupted'}): "
            "there is nothing of it to undo" + (
                f"; `rollback --checkpoint {before}` undoes the run before it, `rollback --forget` steps past it"
                if before else ""))
    notes: list[str] = []
    if run_record is not None and args.checkpoint is None:
        # the default: a host whose change this run made is undone already (reverted to it, or
        # to an earlier run) and not changed again since holds the run's checkpoint still:
        # reverting it again would put back what came after (a revert forward). It is sent
        # nothing, and named. (A checkpoint named is reverted to on every host holding it.)
        undone = {h for h in run_record.get("undone") or () if h in selected
                  and not checkpoint_record.changed_again(lab, run_record["checkpoint"], h)}
        if undone:
            target.nr = target.nr.filter(filter_func=lambda h: h.name not in undone)
            if not target.nr.inventory.hosts:
                raise UserInputError(f"every selected host is reverted to {name} or before already: "
                                     "nothing to roll back")
            notes.append(f"{host_ranges(undone)}: reverted to {name} or before already, left as they are")
    required = [h for h in run_record["hosts"] if h in target.nr.inventory.hosts] if run_record else []
    with interrupt_once() as settle:
        try:
            if args.checkpoint is None or run_record is not None:
                name = _choose(target, lab, name, required, explicit=args.checkpoint is not None, cancel=cancel)
            agg = run_interruptible(lambda: target.nr.run(
                task=rollback_checkpoint, checkpoint=name, dry_run=args.dry_run, cancel=cancel,
                required=required), cancel)
            interrupted = False
        except KeyboardInterrupt as exc:
            result = getattr(exc, "result", None)
            if result is None:  # while reading the checkpoint lists: no revert was sent
                sys.stderr.write("rollback interrupted before any revert: nothing changed\n")
                if args.json:
                    emit_json(_refused_doc(target, name, bool(args.dry_run)))
                if args.junit:  # as every run stopped before its report: no earlier file left as this one's
                    write_junit(args.junit, [JUnitSuite("rollback", [JUnitCase(
                        "nornir_evpn.rollback", "run", error="interrupted before any revert: nothing changed")])])
                return EXIT_INTERRUPTED
            agg, interrupted = result, True
        saved: dict[str, tuple[bool, str | None]] = {}
        if args.save and not args.dry_run and not interrupted:
            try:
                saved = _save(target, agg, cancel)
            except KeyboardInterrupt:  # the reverts stand: said as reverted, not saved
                interrupted = True
                notes.append("interrupted during the save: the reverted hosts' startup configuration is "
                             f"not saved (`save startup` on them, or `rollback --checkpoint {shlex.quote(name)} --save`)")
        settle()
        target.nr.close_connections(on_failed=True)
    hosts = _entries(agg, saved)
    if not interrupted and not any(e["found"] for e in hosts.values()) and all(e["ok"] for e in hosts.values()):
        raise UserInputError(f"no selected host holds checkpoint {name!r}: nothing rolled back")
    if interrupted and not notes:
        notes.append("interrupted: hosts not reverted yet were left as they are")
    reverted = [h for h, e in hosts.items() if e["reverted"]]
    boot_with_it = sorted(set(reverted) & set(_saved_hosts(run_record)))
    if boot_with_it and not args.save and not args.dry_run:
        notes.append(f"configure saved that change to the startup configuration: {host_ranges(boot_with_it)} "
                     f"would boot with it again; `rollback --checkpoint {shlex.quote(name)} --save` (or `save "
                     "startup`) keeps the revert (a plain `rollback --save` would revert the run before it too)")
    if reverted and not args.dry_run:
        if not name.startswith(CHECKPOINT_PREFIX) and checkpoint_record.runs_of(lab):
            notes.append(f"{name} is no checkpoint of configure's: the record counts every run it holds as "
                         f"undone on {host_ranges(reverted)}")
        try:  # the next rollback steps back one more run; a later run undone with this one is too
            checkpoint_record.mark_undone(lab, name, reverted)
        except OSError as exc:
            notes.append(f"not recorded in {checkpoint_record.record_path()} ({exc.strerror or exc}): the next "
                         f"rollback would choose {name} again; give it --checkpoint")
    doc: dict[str, Any] = {
        "command": "rollback",
        "ok": not interrupted and all(e["ok"] for e in hosts.values()),
        "target": target.describe(),
        "checkpoint": name,
        "dry_run": bool(args.dry_run),
        "save": bool(args.save),
        "interrupted": True if interrupted else None,  # null when not, as in every other document
        "notes": notes,
        "hosts": hosts,
    }
    print_rollback(console, doc, show_diff=bool(args.dry_run or args.verbose))
    if args.json:
        emit_json(doc)
    if args.junit:
        write_junit(args.junit, rollback_junit(doc))
    if interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if doc["ok"] else EXIT_FAILED


def _save(target: Any, agg: AggregatedResult, cancel: threading.Event) -> dict[str, tuple[bool, str | None]]:
    """`save startup` on every host that reverted: host -> (saved, error)."""
    reverted = [h for h, m in agg.items() if not m[0].failed and m[0].result.get("reverted")]
    if not reverted:
        return {}
    sub = target.nr.filter(filter_func=lambda h: h.name in reverted)
    done = run_interruptible(lambda: sub.run(task=save_startup, on_failed=True), cancel)
    return {h: (bool(m[0].result.get("saved")), m[0].result.get("error")) for h, m in done.items()}
