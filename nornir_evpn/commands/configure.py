"""`configure`: render the feature templates and apply them to every SR Linux host.

Bad input (unknown feature, bad templates, unsafe host data) fails with exit 2 before any
connection is opened. `--all-or-nothing` validates everywhere, then commits with a rollback
timer everywhere and accepts only when every host committed, so hosts never end up with a
mix of old and new configuration. Ctrl-C discards open candidates and exits 130.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from nornir.core import Nornir
from nornir.core.task import AggregatedResult

from nornir_evpn import platform, uncommitted
from nornir_evpn.commands.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    add_nornir_options,
    build_target,
    positive_int,
)
from nornir_evpn.errors import UserInputError
from nornir_evpn.failover_state import failover_state_doc, run_alive, state_file_path
from nornir_evpn.intent import FabricIntent
from nornir_evpn.inventory import host_node
from nornir_evpn.render import FEATURES, Renderer, parse_features
from nornir_evpn.reporting.common import console_for, emit_json, host_entry, write_junit
from nornir_evpn.reporting.configure import configure_junit, print_configure
from nornir_evpn.runner import CUT_AGAIN_S
from nornir_evpn.signals import ALL_SIGNALS, handled
from nornir_evpn.tasks.config import (
    DEFAULT_BATCH_LINES,
    DEFAULT_CONFIRM_TIMEOUT_S,
    ConfigMode,
    configure_fabric,
    confirm_commit,
    count_diff,
    one_line,
    save_startup,
)

T = TypeVar("T")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "configure",
        help="render the templates and commit them (private candidate, diff, commit)",
        description=(
            "Render underlay/overlay/mac-vrf/multi-homing configuration from the inventory and "
            "apply it through a private candidate on every SR Linux host."
        ),
    )
    p.add_argument("--features", default=None, metavar="LIST",
                   help=f"comma-separated subset of {','.join(FEATURES)} (default: all)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--dry-run", action="store_true", help="show the diff, commit nothing")
    mode.add_argument("--validate-only", action="store_true",
                      help="`commit validate` on the device, then discard")
    mode.add_argument("--commit-confirmed", type=positive_int, default=None, metavar="SECONDS",
                      help="commit with a rollback timer, accept after the device still answers")
    p.add_argument("--all-or-nothing", action="store_true",
                   help="validate everywhere first; commit everywhere or nowhere")
    p.add_argument("--save", action="store_true",
                   help="then `save startup` on every host (after the accept with --commit-confirmed): "
                        "a commit changes the running configuration only, and a reboot loads the startup one")
    p.add_argument("--prune", action="store_true",
                   help="also delete BGP neighbors of the intent's underlay/overlay groups that the "
                        "intent no longer has, ports no longer in an intent LAG, and old addresses of "
                        "system0/uplinks and ES interfaces "
                        "(otherwise configure deletes nothing but those groups' policy lists)")
    p.add_argument("--templates", type=Path, default=None, metavar="DIR",
                   help="directory with <feature>.j2 templates (default: the packaged ones)")
    p.add_argument("--batch-lines", type=positive_int, default=DEFAULT_BATCH_LINES, metavar="N",
                   help="config lines sent per round trip, like a paste; every line is still "
                        f"checked for errors (default {DEFAULT_BATCH_LINES}; 1 = wait for each prompt)")
    add_nornir_options(p)
    p.set_defaults(func=run)


def _mode(args: argparse.Namespace) -> ConfigMode:
    if args.dry_run:
        return "dry-run"
    if args.validate_only:
        return "validate"
    if args.commit_confirmed is not None:
        return "confirmed"
    return "commit"


def preflight(nr: Nornir, fabric: FabricIntent, renderer: Renderer, features: tuple[str, ...]) -> None:
    """Render every host locally: bad templates or unsafe values fail before any connection."""
    renderer.check(features)
    for host in nr.inventory.hosts.values():
        renderer.render(host_node(host), fabric, features)


@contextlib.contextmanager
def interrupt_once() -> Iterator[None]:
    """While active (in the main thread), the first SIGINT, SIGTERM (kill, CI cancel, systemd
    stop) or SIGHUP (the operator's session dropped) raises KeyboardInterrupt, as Ctrl-C does,
    and later ones are absorbed: the run is ending (candidates dropped, report owed) and an
    impatient second Ctrl-C must not cut that short. A signal ignored (`nohup`) stays so."""
    seen = False

    def handler(signum: int, frame: object) -> None:
        nonlocal seen
        if not seen:
            seen = True
            raise KeyboardInterrupt

    with handled(ALL_SIGNALS, handler):
        yield


ACCEPT_MARGIN_S = 2.0  # an accept must reach every host before its rollback timer ends


class Interrupted(KeyboardInterrupt):
    """Ctrl-C/SIGTERM during a run: `result` is what the work returned once every worker
    had finished (a host past its commit when the interrupt came is committed), or None."""

    def __init__(self, result: Any = None) -> None:
        super().__init__()
        self.result = result


def run_interruptible(work: Callable[[], T], cancel: threading.Event) -> T:
    """Run `work` in a helper thread so Ctrl-C reaches us while Nornir's workers run.

    On Ctrl-C the workers see `cancel` and discard their candidates instead of committing;
    the sessions of hosts still before their commit are cut (`nornir_evpn.uncommitted`: a
    device that stopped answering held the interrupt for the transport timeout), again
    every CUT_AGAIN_S for a host that was still logging in; we wait for the workers (a commit
    already sent gets its answer) and re-raise.
    """
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["result"] = work()
        except BaseException as exc:
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="configure-run", daemon=True).start()
    # an Event, not Thread.join: a join interrupted by Ctrl-C may return early afterwards
    try:
        while not done.wait(0.1):
            pass
    except KeyboardInterrupt:
        cancel.set()
        while True:  # a second Ctrl-C/SIGTERM must not cut short the wait for the workers
            try:
                uncommitted.cut(cancel)
                if done.wait(CUT_AGAIN_S):
                    break
            except KeyboardInterrupt:
                continue
        raise Interrupted(box.get("result")) from None
    if "error" in box:
        raise box["error"]
    return box["result"]


def host_entries(agg: AggregatedResult) -> dict[str, dict[str, Any]]:
    """configure_fabric results → the per-host --json entries."""
    out: dict[str, dict[str, Any]] = {}
    for host, multi in agg.items():
        own = multi[0]
        data = own.result if isinstance(own.result, dict) else {}
        error = data.get("error")
        if own.failed and not error:
            error = one_line(own.exception) if own.exception else "failed"
        diff = data.get("diff") or ""
        added, removed = count_diff(diff)
        out[host] = host_entry(
            not own.failed, bool(data.get("changed")) and not own.failed, error,
            diff=diff, committed=bool(data.get("committed")), commit_unknown=bool(data.get("commit_unknown")),
            device_error=data.get("device_error"), seconds=data.get("seconds", 0.0),
            added=added, removed=removed, pruned=data.get("pruned", []), saved=bool(data.get("saved")),
        )
    return out


def _run_phase(nr: Nornir, **kwargs: Any) -> dict[str, dict[str, Any]]:
    nr.data.reset_failed_hosts()  # every phase runs on every selected host
    return host_entries(nr.run(task=configure_fabric, **kwargs))


def all_or_nothing(
    nr: Nornir, fabric: FabricIntent, renderer: Renderer, features: tuple[str, ...],
    timeout: int, cancel: threading.Event, batch_lines: int = DEFAULT_BATCH_LINES,
    prune: bool = False, save: bool = False,
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Validate everywhere; then commit confirmed everywhere and accept only if all did
    (then, with `save`, `save startup` everywhere)."""
    common = {"fabric": fabric, "features": features, "renderer": renderer, "cancel": cancel,
              "batch_lines": batch_lines, "prune": prune}
    validated = _run_phase(nr, mode="validate", **common)
    if not all(e["ok"] for e in validated.values()):
        for e in validated.values():
            e["changed"] = False
        why = "interrupted" if cancel.is_set() else "validation failed on a host"
        return validated, [f"{why}: nothing was committed anywhere"]
    to_change = [h for h, e in validated.items() if e["changed"]]
    if not to_change:
        return _saved(nr, validated) if save else validated, []
    sub = nr.filter(filter_func=lambda h: h.name in to_change)
    started = time.monotonic()
    committed = _run_phase(sub, mode="confirmed", confirm_timeout=timeout, accept=False, **common)
    for h, e in committed.items():  # a host's time is both phases' (validate, then commit)
        e["seconds"] = round(e["seconds"] + validated[h]["seconds"], 3)
    entries = {**validated, **committed}
    # a host whose commit answer was lost may have committed: it is rolled back too
    pending = [h for h in to_change if committed[h]["committed"] or committed[h]["commit_unknown"]]
    # each host's rollback timer started at its own commit, the first one soon after
    # `started`: past the timeout (less a margin) some may have rolled back already, and
    # accepting the others would leave the fabric half changed
    late = time.monotonic() - started > timeout - ACCEPT_MARGIN_S
    # an interrupt that came once the commits were out: reject them, accept nothing
    if all(committed[h]["ok"] for h in to_change) and not late and not cancel.is_set():
        entries, notes = _accept_everywhere(sub, entries, to_change, timeout)
        # saved once every host holds the change for good (a save before the accept would
        # put in the startup config what may still roll back)
        return (_saved(nr, entries) if save and not notes else entries), notes
    # one host failed: roll back the others now rather than after the timer
    still_pending: list[str] = []
    if pending:
        rolled = nr.filter(filter_func=lambda h: h.name in pending)
        for h, (ok, err) in host_entries_confirm(rolled, accept=False).items():
            unknown = entries[h]["commit_unknown"]
            gone = platform.NO_PENDING_CONFIRM in str(err)
            if not ok and not gone:  # still applied, until its own timer ends
                entries[h]["error"] = f"reject failed ({err}); its commit rolls back {timeout}s after it was made"
                entries[h]["ok"] = False
                still_pending.append(h)
                continue
            entries[h].update(committed=False, changed=False)
            if unknown and ok:  # its commit had gone through: the reject undid it
                entries[h].update(commit_unknown=False,
                                  error=f"{entries[h]['error'].split(' after `')[0]} after the commit; "
                                        "rolled back")
            elif unknown:  # it never committed
                entries[h].update(commit_unknown=False,
                                  error=f"{entries[h]['error'].split(' after `')[0]} before the commit "
                                        "applied: nothing committed")
            elif not ok:
                entries[h]["error"] = f"rolled back by its confirm timer ({timeout}s) before the reject"
    for h in to_change:
        if h in still_pending:
            continue
        entries[h]["changed"] = False
        if late:  # nothing failed on the host itself, yet nothing it had to change is there
            entries[h]["ok"] = False
            entries[h]["error"] = entries[h]["error"] or "rolled back: the commits took too long to accept"
    why = ("interrupted" if cancel.is_set() else "a commit failed" if not late else
           f"the commits took longer than --commit-confirmed {timeout}s allows (some timers may have run out)")
    if still_pending:
        return entries, [f"{why}: rolled back everywhere but {', '.join(still_pending)}, whose reject "
                         f"failed: its commit stays until its {timeout}s timer ends"]
    return entries, [f"{why}: every host was rolled back"]


def _accept_everywhere(sub: Nornir, entries: dict[str, dict[str, Any]], to_change: list[str],
                       timeout: int) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Accept every pending commit; a host whose accept fails is named, with what it leaves."""
    failed = {h: err for h, (ok, err) in host_entries_confirm(sub, accept=True).items() if not ok}
    for h, err in failed.items():
        if platform.NO_PENDING_CONFIRM in str(err):  # its timer ran out first: already undone
            entries[h].update(ok=False, committed=False, changed=False,
                              error=f"accept failed: {err}: its commit rolled back, its timer ran out")
        else:
            entries[h].update(ok=False, error=f"accept failed: {err}; its commit rolls back "
                                              f"{timeout}s after it was made unless accepted")
    if not failed:
        return entries, []
    kept = [h for h in to_change if h not in failed]
    return entries, [f"the accept failed on {', '.join(failed)}: the fabric is mixed, "
                     f"{', '.join(kept) or 'no host'} kept the change; run configure again"]


def _saved(nr: Nornir, entries: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """`save startup` on every host; one whose save fails is failed, its commit kept."""
    nr.data.reset_failed_hosts()
    for host, multi in nr.run(task=save_startup).items():
        own = multi[0]
        data = own.result if isinstance(own.result, dict) else {}
        entries[host]["saved"] = bool(data.get("saved"))
        if own.failed:
            err = data.get("error") or one_line(own.exception)
            state = "committed" if entries[host]["committed"] else "unchanged"
            entries[host].update(ok=False, error=f"{state}, not saved to startup: {err}")
    return entries


def host_entries_confirm(nr: Nornir, *, accept: bool) -> dict[str, tuple[bool, str | None]]:
    nr.data.reset_failed_hosts()
    agg = nr.run(task=confirm_commit, accept=accept)
    out = {}
    for host, multi in agg.items():
        own = multi[0]
        err = None
        if own.failed:
            err = own.result.get("error") if isinstance(own.result, dict) else one_line(own.exception)
        out[host] = (not own.failed, err)
    return out


def refuse_during_failover_test(hosts: Any) -> None:
    """A commit while a failover-test (of this checkout: its default state file) has a link
    shut would re-enable that link (the intent says `admin-state enable`): the test then
    measures nothing true, and its restore is a no-op. Exit 2 before any connection."""
    path = state_file_path()
    doc = failover_state_doc(path)
    if doc is not None and run_alive(doc) and doc.get("host") in hosts:
        raise UserInputError(
            f"a failover-test (pid {doc.get('pid')}) is running on {doc.get('host')} {doc.get('interface')} "
            f"({path}); a commit now would re-enable the link it shut: run configure once it has ended")


def run(args: argparse.Namespace) -> int:
    features = parse_features(args.features)
    renderer = Renderer(args.templates)
    renderer.check(features)
    mode = _mode(args)
    if args.save and mode in ("dry-run", "validate"):
        raise UserInputError(f"--save with --{'dry-run' if mode == 'dry-run' else 'validate-only'}: "
                             "nothing is committed, so nothing would be saved")
    if args.all_or_nothing and args.commit_confirmed is not None and args.commit_confirmed <= ACCEPT_MARGIN_S:
        raise UserInputError(f"--commit-confirmed {args.commit_confirmed} with --all-or-nothing: the accept "
                             f"needs {ACCEPT_MARGIN_S:g}s of the timer; give more than {ACCEPT_MARGIN_S:g}")
    target = build_target(args)
    preflight(target.nr, target.fabric, renderer, features)
    if mode in ("commit", "confirmed"):
        refuse_during_failover_test(target.nr.inventory.hosts)

    console = console_for(args.json)
    # from here to the report, one interrupt ends the run and the next ones wait for its end
    with interrupt_once():
        return _run_and_report(args, target, renderer, features, mode, console)


def _run_and_report(args: argparse.Namespace, target: Any, renderer: Renderer,
                    features: tuple[str, ...], mode: str, console: Any) -> int:
    cancel = threading.Event()
    notes: list[str] = []
    try:
        if args.all_or_nothing and mode in ("commit", "confirmed"):
            timeout = args.commit_confirmed or DEFAULT_CONFIRM_TIMEOUT_S
            hosts, notes = run_interruptible(
                lambda: all_or_nothing(target.nr, target.fabric, renderer, features, timeout,
                                       cancel, args.batch_lines, args.prune, args.save),
                cancel,
            )
        else:
            hosts = run_interruptible(
                lambda: _run_phase(
                    target.nr, fabric=target.fabric, features=features, mode=mode,
                    renderer=renderer, cancel=cancel, batch_lines=args.batch_lines, prune=args.prune,
                    save=args.save,
                    confirm_timeout=args.commit_confirmed or DEFAULT_CONFIRM_TIMEOUT_S,
                ),
                cancel,
            )
    except KeyboardInterrupt as exc:
        result = getattr(exc, "result", None)
        if result is None:
            sys.stderr.write("configure interrupted: open candidates discarded, nothing committed\n")
            return EXIT_INTERRUPTED
        hosts, notes = result if isinstance(result, tuple) else (result, notes)
        # a host already past its commit when the interrupt came keeps it: say which
        interrupted = [h for h, e in hosts.items() if e["committed"]]
    else:
        interrupted = None
    finally:
        # closing the sessions also drops any private candidate still open on a device
        target.nr.close_connections(on_failed=True)

    doc: dict[str, Any] = {
        "command": "configure",
        "ok": interrupted is None and all(e["ok"] for e in hosts.values()),
        "mode": mode,
        "features": list(features),
        "all_or_nothing": bool(args.all_or_nothing),
        "save": bool(args.save),
        "notes": notes,
        "interrupted": None if interrupted is None else {"committed": interrupted},
        "hosts": hosts,
    }
    print_configure(console, doc, show_diff=mode == "dry-run" or bool(args.verbose))
    if args.json:
        emit_json(doc)
    if args.junit:
        write_junit(args.junit, configure_junit(doc))
    if interrupted is not None:
        sys.stderr.write("configure interrupted: open candidates discarded; " + (
            f"committed before the interrupt: {', '.join(interrupted)}\n" if interrupted else "nothing committed\n"))
        return EXIT_INTERRUPTED
    return EXIT_OK if doc["ok"] else EXIT_FAILED
