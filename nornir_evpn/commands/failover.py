"""`failover-test`: shut one ES member link, measure convergence, always restore, measure recovery."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nornir_evpn import commit_claims
from nornir_evpn.commands.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    Target,
    add_nornir_options,
    build_target,
    positive_float,
    traffic_hint,
)
from nornir_evpn.errors import UserInputError
from nornir_evpn.failover import (
    FailoverOptions,
    FailoverReport,
    TimelineEvent,
    probe_targets,
    restore_from_state,
    run_failover,
    segment_for,
    verify_evaluator,
    warm_up_traffic,
)
from nornir_evpn.failover_state import (
    PHASE_CLAIMED,
    prepare_state_file,
    read_state,
    release_claim,
    remove_state,
    run_alive,
    running_error,
    state_file_path,
)
from nornir_evpn.failures import one_line
from nornir_evpn.inventory import password
from nornir_evpn.outputs import native_path, path_text
from nornir_evpn.reporting.common import console_for, emit_json, write_junit
from nornir_evpn.reporting.failover import (
    LivePrinter,
    failover_document,
    junit_suites,
    log_event,
    print_report,
    print_restore,
    restore_junit,
)
from nornir_evpn.topology import container_name, normalise_srl_interface
from nornir_evpn.traffic import PingRunner, TrafficProbe, docker_ping_runner, ssh_ping_runner

DEFAULT_HOST = "leaf1"
DEFAULT_INTERFACE = "ethernet-1/1"


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "failover-test",
        help="shut a multi-homed link, measure convergence, restore, measure recovery",
        description="Shut one ethernet-segment member interface through a private candidate, poll "
                    "verify until the degraded state predicted from the intent holds, restore the "
                    "interface (always: also on Ctrl-C, SIGTERM, SIGHUP and errors) and poll until healthy.",
    )
    # None when not given: --restore takes both from the state file, and refuses others
    p.add_argument("--host", default=None, help=f"leaf whose interface is shut (default {DEFAULT_HOST})")
    p.add_argument("--interface", default=None, help=f"ES member interface (default {DEFAULT_INTERFACE})")
    p.add_argument("--interval", type=positive_float, default=0.5, metavar="S",
                   help="poll interval in seconds (default 0.5)")
    p.add_argument("--timeout", type=positive_float, default=60.0, metavar="S",
                   help="max seconds to reach the degraded state, and again to recover (default 60)")
    # None when not given: `--restore --traffic` is refused (a restore sends no CE traffic)
    p.add_argument("--traffic", action=argparse.BooleanOptionalAction, default=None,
                   help="ping the other CEs from the multi-homed CE during the test (default on); "
                        "a target that never answers fails the run")
    p.add_argument("--force", action="store_true", help="run even if the pre-check fails (the items failing before are left out of the targets, their checks' other items judged)")
    p.add_argument("--restore", action="store_true",
                   help="undo a killed run: re-enable the interface named in the state file, verify")
    p.add_argument("--state-file", type=Path, default=None, metavar="FILE",
                   help="failover state file (default ./.nornir_evpn/failover-state.json)")
    add_nornir_options(p)
    p.set_defaults(func=run)


def ping_runner(args: argparse.Namespace, target: Target, ce: str) -> tuple[PingRunner, Callable[[], None]]:
    """The CE's ping: over SSH to the twin's CE shell, else `docker exec` on the lab host."""
    if target.twin:
        from nornir_evpn.twin.keys import twin_known_hosts
        from nornir_evpn.twin.state import read_twin_state

        state = read_twin_state(getattr(args, "twin_state", None))
        if ce not in state.endpoints:
            raise UserInputError(f"CE {ce!r} is not served by the running twin")
        host, port = state.endpoints[ce]
        return ssh_ping_runner(host, port, state.username, password(),
                               known_hosts=twin_known_hosts(getattr(args, "twin_state", None), scrapli=True))
    data = target.nr.inventory.defaults.data
    lab = str(data.get("lab") or target.fabric.name)
    return docker_ping_runner(container_name(str(data.get("clab_prefix", "clab")), lab, ce)), lambda: None


def _state_doc(args: argparse.Namespace, target: Target) -> dict[str, Any]:
    # the twin as this run found it (the default file, $NORNIR_EVPN_TWIN_STATE): a --restore
    # from elsewhere must reach this one
    # (the paths as their bytes: a --restore from a shell in another locale finds them; the
    # twin's as a commit claim names it, which `of_fabric` compares it with)
    return {"inventory": path_text(target.inventory_dir.resolve()), "lab": target.fabric.name, "twin": bool(target.twin),
            "twin_state": commit_claims.twin_key(target.twin_state)}


def exit_code(report: FailoverReport) -> int:
    if report.restore_attempted and not report.restore_ok:
        return EXIT_FAILED
    if report.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_OK if report.ok else EXIT_FAILED


def run(args: argparse.Namespace) -> int:
    return execute(args)[0]


def execute(args: argparse.Namespace) -> tuple[int, FailoverReport | None]:
    """The command body: (exit code, report); `demo` calls this to summarise the numbers."""
    state_file = state_file_path(args.state_file)
    if args.interface is not None:  # containerlab spelling (e1-1) is accepted; the device and the intent use ethernet-1/1
        args.interface = normalise_srl_interface(args.interface) or args.interface
    if args.restore:
        return run_restore(args, state_file), None
    args.traffic = True if getattr(args, "traffic", None) is None else args.traffic
    # only an option not given takes its default: `--host "$HOST"` with HOST unset (an empty
    # string) is refused as an unknown host, never taken for leaf1's ethernet-1/1
    args.host = DEFAULT_HOST if args.host is None else args.host
    args.interface = DEFAULT_INTERFACE if args.interface is None else args.interface
    target = build_target(args)
    segment = segment_for(target.fabric, args.host, args.interface)  # exit 2 before touching anything
    if args.host not in target.nr.inventory.hosts:
        raise UserInputError(f"--host {args.host} is excluded by --hosts/--role")
    # the segment's other members are what keeps its CE on the fabric: a selection that
    # leaves them out is bad input like the one above (it was refused only after the
    # pre-check, exit 1)
    unpolled = [leaf for leaf in segment.members if leaf not in target.nr.inventory.hosts]
    if unpolled:
        raise UserInputError(
            f"no other link of {segment.name} would be checked: {', '.join(unpolled)} left out by "
            f"--hosts/--role, and shutting {args.host} {args.interface} may cut {segment.ce} off")
    try:
        # inside the try: a SIGTERM/Ctrl-C right after the claim was written left it behind
        # (release_claim drops only this process's own claim: a refusal leaves the other's)
        prepare_state_file(state_file, args.host, args.interface, _state_doc(args, target))  # it must hold the restore before the shut
        return _claimed_run(args, target, segment, state_file)
    finally:
        release_claim(state_file)  # a run that ended before its shut leaves nothing behind


def _claimed_run(args: argparse.Namespace, target: Target, segment: Any,
                 state_file: Path) -> tuple[int, FailoverReport | None]:
    console = console_for(args.json)
    options = FailoverOptions(host=args.host, interface=args.interface, interval=args.interval,
                              timeout=args.timeout, traffic=args.traffic, force=args.force,
                              state_file=state_file)
    probe, warm_up, close = None, None, None
    if args.traffic:
        try:
            runner, close = ping_runner(args, target, segment.ce)
            targets = probe_targets(target.fabric, segment)
            probe = TrafficProbe(runner, targets)
            warm_up = warm_up_traffic(runner, targets)
        except UserInputError:
            raise
        except Exception as exc:
            # no CE access (its login refused, the CE down): every target would read "not
            # measured", a FAIL, after the link was shut for nothing. Refused before the shut,
            # as on a real lab a probe that cannot ping fails the run
            report = FailoverReport(host=args.host, interface=args.interface, segment=segment.name, refused=True,
                                    error=f"traffic probe unavailable on {segment.ce} ({one_line(exc)}); "
                                          "nothing was changed (--no-traffic tests without CE traffic)")
            report.timeline.append(TimelineEvent(t=0.0, event="refused", detail=report.error))
            target.nr.close_connections(on_failed=True)
            return _reported(args, target, console, report)
    console.print(f"failover-test: {args.host} {args.interface} ({segment.name}, CE {segment.ce}); "
                  f"interval {args.interval:g}s, timeout {args.timeout:g}s")
    printer = LivePrinter(console)

    def on_event(ev: TimelineEvent) -> None:
        printer(ev)
        log_event(ev)

    try:
        report = run_failover(
            target.nr, target.fabric, verify_evaluator(target.nr, target.fabric), options,
            state_doc=_state_doc(args, target), probe=probe, warm_up=warm_up,
            on_event=on_event, on_poll=printer.flush,
        )
    finally:
        printer.flush()
        if close is not None:
            close()
        target.nr.close_connections(on_failed=True)
    return _reported(args, target, console, report)


def _reported(args: argparse.Namespace, target: Target, console: Any,
              report: FailoverReport) -> tuple[int, FailoverReport]:
    print_report(console, report, traffic_hint=traffic_hint(args))
    if args.json:
        emit_json({**failover_document(report, sorted(target.nr.inventory.hosts)), "target": target.describe()})
    if args.junit:
        write_junit(args.junit, junit_suites(report))
    return exit_code(report), report


def run_restore(args: argparse.Namespace, state_file: Path) -> int:
    """`--restore`: the state file names host, interface, inventory and twin of the killed run."""
    doc = read_state(state_file)
    if run_alive(doc):  # its own restore is coming: enabling the link now breaks its measure
        raise running_error(state_file, doc)
    if doc.get("phase") == PHASE_CLAIMED:  # as with no file: nothing to restore (exit 2)
        remove_state(state_file, owner=doc)
        raise UserInputError(f"{state_file}: the failover-test that wrote it ended before its shut "
                             "(nothing to restore); file removed")
    # what the state file names is restored: another --host/--interface was accepted and
    # ignored, and `--restore --host leaf2` re-enabled leaf1's link without a word
    for option, given, named in (("--host", args.host, doc.get("host")),
                                 ("--interface", args.interface, doc.get("interface"))):
        if given is not None and given != named:
            raise UserInputError(f"--restore {option} {given}: {state_file} names {doc.get('host')} "
                                 f"{doc.get('interface')}, the link the killed run shut; nothing restored")
    if args.force:
        raise UserInputError("--restore with --force: a restore has no pre-check to force past")
    if getattr(args, "traffic", None):
        # it was accepted and dropped: the restore's report then said MAC checks were not judged
        # "without CE traffic", to a user who had asked for it
        raise UserInputError("--restore with --traffic: a restore sends no CE traffic (its MAC checks are "
                             "not judged); run `twin traffic` or ping from the CEs, then verify")
    if args.inventory is None and doc.get("inventory"):
        args.inventory = Path(native_path(doc["inventory"]))
    if doc.get("twin"):
        args.twin = True
        if getattr(args, "twin_state", None) is None and doc.get("twin_state"):
            args.twin_state = Path(native_path(doc["twin_state"]))
    target = build_target(args)
    if doc["host"] not in target.nr.inventory.hosts:
        raise UserInputError(f"{state_file}: host {doc['host']!r} is not in the selected inventory")
    console = console_for(args.json)
    try:
        report = restore_from_state(target.nr, doc, state_file,
                                    verify_evaluator(target.nr, target.fabric),
                                    interval=args.interval, timeout=args.timeout)
    finally:
        target.nr.close_connections(on_failed=True)
    print_restore(console, report, state_file)
    if args.json:
        emit_json({**failover_document(report, sorted(target.nr.inventory.hosts)), "target": target.describe()})
    if args.junit:
        write_junit(args.junit, restore_junit(report))
    return EXIT_OK if report.ok else EXIT_FAILED
