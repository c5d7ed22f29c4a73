"""`configure`: render the feature templates and apply them to every SR Linux host.

Bad input (unknown feature, bad templates, unsafe host data) fails with exit 2 before any
connection is opened. `--all-or-nothing` validates everywhere, then commits with a rollback
timer everywhere and accepts only when every host committed, so hosts never end up with a
mix of old and new configuration. Ctrl-C discards open candidates and exits 130.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from nornir.core import Nornir

from nornir_evpn import checkpoint_record, commit_claims, uncommitted
from nornir_evpn.commands.common import (
    EXIT_CHANGED,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    add_nornir_options,
    build_target,
    positive_int,
)
from nornir_evpn.errors import UserInputError
from nornir_evpn.failover_state import state_file_path
from nornir_evpn.intent import FabricIntent
from nornir_evpn.render import FEATURES, Renderer, packaged_templates_dir, parse_features
from nornir_evpn.reporting.common import console_for, emit_json, write_junit
from nornir_evpn.reporting.configure import configure_junit, print_configure, print_rendered
from nornir_evpn.runner import CUT_AGAIN_S

# (TERMINATION_SIGNALS, not_ignored, host_entries, host_entries_confirm: kept importable from
# here, their 0.9 home)
from nornir_evpn.signals import ALL_SIGNALS, TERMINATION_SIGNALS, handled, not_ignored  # noqa: F401
from nornir_evpn.tasks.checkpoint import checkpoint_name
from nornir_evpn.tasks.cli_lines import DEFAULT_BATCH_LINES
from nornir_evpn.tasks.config import DEFAULT_CONFIRM_TIMEOUT_S, ConfigMode
from nornir_evpn.tasks.preflight import render_run
from nornir_evpn.transaction import (
    ACCEPT_MARGIN_S,
    all_or_nothing,
    host_entries,  # noqa: F401
    run_phase,
    settle_checkpoints,
)
from nornir_evpn.transaction import confirm_everywhere as host_entries_confirm  # noqa: F401

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
    p.add_argument("--exit-code", action="store_true",
                   help="exit 3 when a host changed or, with --dry-run/--validate-only, would change "
                        "(drift from the intent; --junit then fails each such host), 0 when none; a failed "
                        "host is still 1")
    p.add_argument("--save", action="store_true",
                   help="then `save startup` on every host (after the accept with --commit-confirmed): "
                        "a commit changes the running configuration only, and a reboot loads the startup one")
    p.add_argument("--prune", action="store_true",
                   help="also delete BGP neighbors of the intent's underlay/overlay groups that the "
                        "intent no longer has, ports no longer in an intent LAG, and old addresses of "
                        "system0/uplinks and ES interfaces "
                        "(otherwise configure deletes nothing but those groups' policy lists, and "
                        "admin-states and LAG min-links changed by hand, back to enable and 1)")
    p.add_argument("--no-checkpoint", dest="checkpoint", action="store_false",
                   help="do not generate a device checkpoint before committing (by default each "
                        "host that commits keeps one, which `rollback` reverts to)")
    p.add_argument("--templates", type=_templates_dir, default=None, metavar="DIR",
                   help="directory with <feature>.j2 templates (default: the packaged ones)")
    p.add_argument("--render-to", type=_templates_dir, default=None, metavar="DIR",
                   help="write each selected host's configuration (the lines configure would load) to "
                        "DIR/<host>.cfg and connect to no host: for review without a lab (the device's diff "
                        "and --prune's deletes need the device)")
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


def _templates_dir(value: str) -> Path:
    if not value.strip():  # Path("") is the current directory: "underlay.j2: template not found"
        raise argparse.ArgumentTypeError("empty path")
    return Path(value)


def preflight(nr: Nornir, fabric: FabricIntent, renderer: Renderer, features: tuple[str, ...]) -> list[str]:
    """Render every host locally: bad templates or unsafe values fail before any connection.
    Returns notes, for templates of one's own (`--templates`): a selected feature that renders
    nothing on any host (an empty template ran silently). The shipped ones render nothing
    where a feature has nothing to do (multihoming on a spine)."""
    renderer.check(features)
    run = render_run(nr, fabric, renderer, features)
    if run.failure is not None:
        raise run.failure[1]
    if renderer.directory == packaged_templates_dir():
        return []
    return [f"{f} renders nothing on the selected hosts ({renderer.template(f).filename}): "
            "nothing of it was sent" for f in features if f in run.silent]


@contextlib.contextmanager
def interrupt_once() -> Iterator[Callable[[], None]]:
    """While active (in the main thread), the first SIGINT, SIGTERM (kill, CI cancel, systemd
    stop) or SIGHUP (the operator's session dropped) raises KeyboardInterrupt, as Ctrl-C does,
    and later ones are absorbed: the run is ending (candidates dropped, report owed) and an
    impatient second Ctrl-C must not cut that short. A signal ignored (`nohup`) stays so.
    It yields `settle()`: once the work is done, every signal is absorbed (closing the
    sessions and printing the report take seconds on a big fabric, and a Ctrl-C there lost
    the report of hosts already committed)."""
    seen = False

    def handler(signum: int, frame: object) -> None:
        nonlocal seen
        if not seen:
            seen = True
            raise KeyboardInterrupt

    def settle() -> None:
        nonlocal seen
        seen = True

    with handled(ALL_SIGNALS, handler):
        yield settle


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


def refuse_during_failover_test(hosts: Any, target: Any = None, command: str = "configure") -> None:
    """A commit while a failover-test (of this checkout: its default state file) has a link
    shut would re-enable that link (the intent says `admin-state enable`): the test then
    measures nothing true, and its restore is a no-op. Exit 2 before any connection."""
    twin = getattr(target, "twin_state", commit_claims.ANY_TWIN)
    if twin is not commit_claims.ANY_TWIN:
        twin = commit_claims.twin_key(twin)
    # (another fabric's test, its lab or another twin of it, sharing this directory's state
    # file, is none of this run's)
    doc = commit_claims.running_failover_test(None if target is None else target.fabric.name, twin)
    if doc is not None and doc.get("host") in hosts:
        raise UserInputError(
            f"a failover-test (pid {doc.get('pid')}) is running on {doc.get('host')} {doc.get('interface')} "
            f"({state_file_path()}); a commit now would re-enable the link it shut: run {command} once it has ended")


def holding_hosts(target: Any, command: str = "configure") -> contextlib.AbstractContextManager[None]:
    """While inside, this run holds the target's hosts for its commits (`commit_claims`):
    refused first while a failover-test has one's link shut (`refuse_during_failover_test`,
    under the claim's lock) or another configure/rollback of the fabric commits to one."""
    hosts = target.nr.inventory.hosts
    return commit_claims.committing(command, target.fabric.name, hosts, twin_state=target.twin_state,
                                    check=lambda: refuse_during_failover_test(hosts, target, command=command))


def refuse_unrecordable_run() -> None:
    """Exit 2 before any connection when the run could not be recorded for `rollback`."""
    try:
        checkpoint_record.check_writable()
    except checkpoint_record.RecordUnreadable as exc:
        raise UserInputError(f"{exc} (configure records its run there for rollback)") from None
    except OSError as exc:
        path = checkpoint_record.record_path()
        # the working directory is the way out only when the record is the default one there
        where = ("" if os.environ.get(checkpoint_record.RECORD_ENV) else "run from a writable directory, ")
        raise UserInputError(
            f"checkpoint record {path} cannot be written ({exc.strerror or exc}): rollback would not "
            f"know this run; {where}set ${checkpoint_record.RECORD_ENV} to a writable file, or "
            "--no-checkpoint") from None


def record_checkpoint(target: Any, hosts: dict[str, dict[str, Any]], checkpoint: str | None,
                      notes: list[str]) -> list[str]:
    """The hosts that keep the run's checkpoint (their change stands: `settle_checkpoints`
    left it in their entries), recorded for `rollback` (`nornir_evpn.checkpoint_record`),
    with those it may be left on (so rollback knows it for no unknown newer one); a run that
    failed or left checkpoints without committing anything is recorded too, so that
    rollback's default does not reach past it to undo the run before."""
    kept = [h for h, e in hosts.items() if e.get("checkpoint")]
    left = [h for h, e in hosts.items() if e.get("checkpoint_left")]
    failed = [h for h, e in hosts.items() if not e["ok"]]
    if checkpoint and (kept or left or failed):  # (an idempotent run that went well is no run to undo)
        saved = [h for h in kept if hosts[h].get("saved")]
        try:
            checkpoint_record.record_run(target.fabric.name, checkpoint, kept, saved, left=left, failed=failed)
        except OSError as exc:
            notes.append(f"checkpoint {checkpoint} not recorded in {checkpoint_record.record_path()} "
                         f"({exc.strerror or exc}): `rollback --checkpoint {checkpoint}` still reverts to it")
    return kept


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
    if getattr(args, "render_to", None) is not None:  # (a Namespace made by hand may lack it)
        return _render_only(args, renderer, features)
    target = build_target(args)
    rendered_notes = [*_idle_options(args, mode), *preflight(target.nr, target.fabric, renderer, features),
                      *_busy_notes(target, mode)]
    committing: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
    if mode in ("commit", "confirmed"):
        if args.checkpoint:
            refuse_unrecordable_run()
        # a failover-test with a link shut, or another configure/rollback committing to one
        # of these hosts: refused, and this run's claim keeps them off until it ends
        committing = holding_hosts(target)

    console = console_for(args.json)
    # from here to the report, one interrupt ends the run and the next ones wait for its end
    with committing, interrupt_once() as settle:
        return _run_and_report(args, target, renderer, features, mode, console, settle, rendered_notes)


def _busy_notes(target: Any, mode: str) -> list[str]:
    """What else changes the fabric during a dry run or validate, as verify notes it: they
    hold nothing, so a nightly drift check overlapping a failover-test (or another
    configure's commit) reported the test's shut link as drift, exit 3, without a word (a
    commit is refused during a test, and holds its hosts)."""
    if mode not in ("dry-run", "validate"):
        return []
    return commit_claims.busy_notes(*commit_claims.fabric_of(target), what="a diff")


def _killed_test_notes(target: Any, hosts: dict[str, dict[str, Any]]) -> list[str]:
    """The link a killed failover-test left shut, when a host's diff would re-enable it: the
    drift is the test's, and `--restore` is how to put it back as it was (it also clears the
    test's state file, which a commit leaves)."""
    doc = commit_claims.killed_failover_test(*commit_claims.fabric_of(target))
    if doc is None:
        return []
    entry = hosts.get(str(doc.get("host")))
    path = f"interface {doc.get('interface')} admin-state"
    if not entry or not any(r["path"] == path and r["old"] == "disable" for r in entry.get("replaced") or []):
        return []
    return [f"{doc.get('host')} {doc.get('interface')} was shut by a failover-test (pid {doc.get('pid')}) that "
            f"ended before its restore ({state_file_path()}): `failover-test --restore` puts it back as it "
            "found it"]


def _idle_options(args: argparse.Namespace, mode: str) -> list[str]:
    """A note for the options a run that commits nothing leaves idle: `--dry-run
    --all-or-nothing` was accepted without a word (and its --json said `"all_or_nothing":
    true`), as was `--no-checkpoint`; `--save` there is refused (it would be the one thing
    the user expects to happen after)."""
    if mode not in ("dry-run", "validate"):
        return []
    idle = [flag for flag, given in (("--all-or-nothing", args.all_or_nothing),
                                     ("--no-checkpoint", not getattr(args, "checkpoint", True))) if given]
    if not idle:
        return []
    return [f"{' and '.join(idle)} with --{'dry-run' if mode == 'dry-run' else 'validate-only'}: nothing is "
            f"committed, so {'they change' if len(idle) > 1 else 'it changes'} nothing in this run"]


def _render_only(args: argparse.Namespace, renderer: Renderer, features: tuple[str, ...]) -> int:
    """`--render-to DIR`: the selected hosts' configurations as files, no host connected to."""
    from nornir_evpn.commands import render_to
    from nornir_evpn.outputs import removed_if_refused

    render_to.refuse_device_options(args)
    with removed_if_refused(args.render_to):  # (a refusal leaves no empty DIR behind)
        directory = render_to.prepare(args.render_to)
        target = build_target(args)
        rendered_notes = preflight(target.nr, target.fabric, renderer, features)  # a bad template: exit 2 here
    hosts, notes = render_to.render_to(directory, target, renderer, features,
                                       every_host=args.hosts is None and args.role is None)
    doc: dict[str, Any] = {
        "command": "configure", "ok": True, "target": target.describe(), "mode": "render",
        "features": list(features), "all_or_nothing": False, "save": False, "checkpoint": None,
        "render_to": str(directory), "notes": [*rendered_notes, *notes],
        "hosts": hosts,
    }
    print_rendered(console_for(args.json), doc)
    if args.json:
        emit_json(doc)
    if args.junit:
        write_junit(args.junit, configure_junit(doc))
    return EXIT_OK


def _run_and_report(args: argparse.Namespace, target: Any, renderer: Renderer,
                    features: tuple[str, ...], mode: str, console: Any, settle: Callable[[], None],
                    rendered_notes: list[str]) -> int:
    cancel = threading.Event()
    notes: list[str] = []
    checkpoint = checkpoint_name() if args.checkpoint and mode in ("commit", "confirmed") else None
    try:
        if args.all_or_nothing and mode in ("commit", "confirmed"):
            timeout = args.commit_confirmed or DEFAULT_CONFIRM_TIMEOUT_S
            hosts, notes = run_interruptible(
                lambda: all_or_nothing(target.nr, target.fabric, renderer, features, timeout,
                                       cancel, args.batch_lines, args.prune, args.save, checkpoint),
                cancel,
            )
        else:
            hosts = run_interruptible(
                lambda: run_phase(
                    target.nr, fabric=target.fabric, features=features, mode=mode,
                    renderer=renderer, cancel=cancel, batch_lines=args.batch_lines, prune=args.prune,
                    save=args.save, checkpoint=checkpoint,
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
        settle()  # the work is over: what is left (closing, the report) is not cut short
        # closing the sessions also drops any private candidate still open on a device
        target.nr.close_connections(on_failed=True)

    if checkpoint and not args.all_or_nothing:  # (all_or_nothing settles its own)
        # (an interrupted run starts no new sessions: what it may leave is never the default)
        notes.extend(settle_checkpoints(target.nr, hosts, checkpoint, clear=interrupted is None))
    kept = record_checkpoint(target, hosts, checkpoint, notes)
    if mode in ("dry-run", "validate"):
        notes.extend(_killed_test_notes(target, hosts))
    doc: dict[str, Any] = {
        "command": "configure",
        "ok": interrupted is None and all(e["ok"] for e in hosts.values()),
        "target": target.describe(),
        "mode": mode,
        "features": list(features),
        "all_or_nothing": bool(args.all_or_nothing) and mode in ("commit", "confirmed"),
        "save": bool(args.save),
        "checkpoint": checkpoint if kept else None,
        "notes": [*rendered_notes, *notes],
        "interrupted": None if interrupted is None else {"committed": interrupted},
        "hosts": hosts,
    }
    print_configure(console, doc, show_diff=mode == "dry-run" or bool(args.verbose),
                    exit_code=bool(getattr(args, "exit_code", False)))
    if args.json:
        emit_json(doc)
    if args.junit:
        write_junit(args.junit, configure_junit(doc, drift=bool(getattr(args, "exit_code", False))))
    if interrupted is not None:
        sys.stderr.write("configure interrupted: open candidates discarded; " + (
            f"committed before the interrupt: {', '.join(interrupted)}\n" if interrupted else "nothing committed\n"))
        return EXIT_INTERRUPTED
    if not doc["ok"]:
        return EXIT_FAILED
    if getattr(args, "exit_code", False) and any(e["changed"] for e in hosts.values()):
        return EXIT_CHANGED
    return EXIT_OK
