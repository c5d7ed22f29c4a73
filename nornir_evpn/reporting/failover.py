"""failover-test output: live timeline lines, the final summary, the --json document, JUnit."""

from __future__ import annotations

import logging
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from nornir_evpn.failover.model import NOT_JUDGED_WITHOUT_TRAFFIC, FailoverReport, TimelineEvent
from nornir_evpn.polling import PollOutcome
from nornir_evpn.reporting.common import (
    JUnitCase,
    JUnitSuite,
    host_entry,
    host_ranges,
    print_traffic_hint,
    shorten_detail,
)

_STYLE = {
    "shut": "bold yellow", "degraded": "cyan", "converged": "bold green", "restore": "bold green",
    "restore-failed": "bold red", "restore-retry": "yellow", "recovered": "bold green", "timeout": "bold red",
    "refused": "bold red", "precheck": "green", "warm-up": "dim", "unchanged": "dim",
    "left-as-found": "bold red", "breaks": "yellow", "holds again": "cyan",
    "unreachable": "bold red", "reachable": "cyan", "stopped": "bold red",
}


def event_line(ev: TimelineEvent) -> str:
    what = f"{ev.check} on {ev.host}" if ev.check else (ev.host or "")
    detail = f" {ev.detail}" if ev.detail else ""
    label = {"degraded": "holds", "recovered": "healthy"}.get(ev.event, ev.event)
    return f"t={ev.t:+7.3f}s  {label:<14} {what}{detail}".rstrip()


def print_event(console: Console, ev: TimelineEvent) -> None:
    console.print(event_line(ev), style=_STYLE.get(ev.event, ""), markup=False)


class LivePrinter:
    """Streams the timeline; expectations the fault leaves unchanged are summed up in one line.

    Pass it as `on_event` and its `flush` as `on_poll`: within one poll, a check that first
    holds on more than `FOLD_AT` hosts gets one line naming them (`leaf2 … leaf128 (127)`),
    so a 128-leaf fabric prints a line per check instead of one per host.
    """

    FOLD_AT = 4

    def __init__(self, console: Console) -> None:
        self.console = console
        self.unchanged: list[TimelineEvent] = []
        self.held: list[TimelineEvent] = []

    def __call__(self, ev: TimelineEvent) -> None:
        if ev.event == "unchanged":
            self.unchanged.append(ev)
            return
        if ev.event == "degraded":
            if self.held and self.held[0].t != ev.t:
                self.flush()
            self.held.append(ev)
            return
        self.flush()
        if ev.event in ("converged", "timeout", "stopped") and self.unchanged:
            checks = sorted({e.check or "" for e in self.unchanged})
            self.console.print(f"           {len(self.unchanged)} expectations unchanged by the fault "
                               f"hold ({', '.join(checks)})", style="dim", markup=False)
            self.unchanged = []
        print_event(self.console, ev)

    def flush(self) -> None:
        """Print the held events of the last poll, one line per check beyond `FOLD_AT` hosts."""
        by_check: dict[str | None, list[TimelineEvent]] = {}
        for ev in self.held:
            by_check.setdefault(ev.check, []).append(ev)
        self.held = []
        for events in by_check.values():
            if len(events) <= self.FOLD_AT:
                for ev in events:
                    print_event(self.console, ev)
            else:
                first = events[0]
                print_event(self.console, TimelineEvent(
                    t=first.t, event=first.event, check=first.check,
                    host=host_ranges(e.host or "" for e in events)))


def print_report(console: Console, report: FailoverReport, *, timeline: bool = False,
                 traffic_hint: str | None = None) -> None:
    """Summary (and the whole timeline when it was not streamed live); `traffic_hint` as
    in `print_verify`, for a pre-check refused only because no MAC was learnt."""
    if timeline:
        for ev in report.timeline:
            print_event(console, ev)
    if report.refused:
        # device text is data (`/interface[name=lag1]` is not markup); long values wrap whole
        table = Table(title="failing pre-checks", title_justify="left")
        for column in ("check", "host", "detail"):
            table.add_column(column, overflow="fold")
        for f in report.precheck_failures:
            table.add_row(escape(f["check"]), escape(f["host"]), escape(shorten_detail(f["detail"], f["host"])))
        if report.precheck_failures:  # refused for another reason (slow reads, no probe): no table
            console.print(table)
        print_traffic_hint(console, traffic_hint, (f["detail"] for f in report.precheck_failures),
                           "run failover-test again")
        # the verdict last, as every command's (`| tail -1` read a table border)
        console.print(f"[bold red]failover-test refused:[/] {escape(report.error or '')}")
        return
    if report.restore_attempted and not report.restore_ok:
        console.print(
            f"[bold red on white] RESTORE FAILED [/] [bold red]{report.host} {report.interface} "
            f"may still be admin-state disable: {escape(report.restore_error or '')}\n"
            f"undo it with: {escape(report.restore_command())}[/]"
        )
    console.print(f"[bold]failover-test {report.host} {report.interface} ({report.segment})[/]")
    table = Table()
    table.add_column("measure", overflow="fold")
    table.add_column("value", overflow="fold")
    # both count from the end of the commit that changed the link (its own time apart)
    table.add_row("convergence", _secs(report.convergence_s) + _bound(report, "convergence")
                  + _coarse(report, "convergence")
                  + _commit_note("shut", report.shut_commit_s, report.commit_bound("convergence")))
    table.add_row("recovery", _secs(report.recovery_s) + _bound(report, "recovery")
                  + _coarse(report, "recovery")
                  + _commit_note("restore", report.restore_commit_s, report.commit_bound("recovery")))
    if report.traffic is not None:
        traffic = report.traffic
        table.add_row("traffic", f"{traffic.sent} sent, {traffic.lost} lost"
                      + (" (interrupted: not judged)" if report.interrupted else ""))
        never = set() if report.interrupted else set(traffic.never_answered())
        for target, counts in traffic.per_target.items():  # only where packets were lost
            if counts["lost"]:
                left_out = target in report.traffic_left_out
                table.add_row(f"  {escape(traffic.label(target))}",
                              f"{counts['sent']} sent, {counts['lost']} lost"
                              + (": never answered" if target in never else "")
                              + (" (broken before, --force: not judged)" if left_out else ""))
    for label, phase, details in (("never held", report.degraded, report.failing_details),
                                  ("not recovered", report.recovery, report.recovery_failing_details)):
        if phase is not None and phase.failing and not phase.reached:
            # with what the last poll of that phase saw: the link is restored by now, verify cannot tell
            table.add_row(label, escape("\n".join(
                f"{c}@{h}" + (f": {shorten_detail(details[(c, h)], h)}" if (c, h) in details else "")
                for c, h in phase.failing)))
    if report.unreachable and not report.refused:
        # a host the polls could not read holds its expectations back: the times include it;
        # one --force left out from the start (unreachable at the pre-check) was never judged
        left_out = report.never_read()
        for label, hosts, note in (("could not read", sorted(report.unreachable.keys() - left_out),
                                    " (times include it)"),
                                   ("never read", sorted(report.unreachable.keys() & left_out),
                                    " (--force: left out, not judged)")):
            if hosts:
                table.add_row(label, "; ".join(f"{h}: {escape(report.unreachable[h])}" for h in hosts) + note)
    if report.precheck_failures:
        # the convergence and recovery times never waited for these (multi-tenant tester: a
        # --force run left every evpn.* check out and its times looked complete)
        timed = " (the times above do not include them)" if report.degraded is not None else ""
        table.add_row("ignored (--force)", escape(left_out_summary(report.precheck_failures) + timed))
    if report.interrupted:
        during = f" during {report.interrupted_phase}" if report.interrupted_phase else ""
        table.add_row("interrupted", f"{report.interrupted}{during} (interface restored: {report.restore_ok})")
    if report.error and not report.already_disabled:  # that one is the verdict line below
        table.add_row("error", escape(report.error))
    console.print(table)
    print_not_judged(console, report)
    verdict = "[bold green]PASS[/]" if report.ok else "[bold red]FAIL[/]"
    if report.already_disabled:  # nothing was measured
        console.print(f"failover-test {verdict}: {escape(report.error or '')}")
        return
    if report.interrupted:  # nothing was judged to the end: say what stopped it, not a verdict
        restored = ("restored" if report.restore_ok else
                    "NOT restored" if report.restore_attempted else "untouched")
        console.print(f"failover-test [bold red]INTERRUPTED[/]: {escape(report.interrupted_line())}; "
                      f"{report.host} {report.interface} {restored}")
        return
    why = "".join(f"; {escape(line)}" for line in report.traffic_failures)
    console.print(f"failover-test {verdict}: convergence {_secs(report.convergence_s)}{_at_most(report, 'convergence')}, "
                  f"recovery {_secs(report.recovery_s)}{_at_most(report, 'recovery')}{why}")


# items of one check named on the console's `ignored (--force)` row (--json has them all)
LEFT_OUT_SHOWN = 4


def left_out_summary(failures: list[dict[str, Any]]) -> str:
    """--force's pre-check failures, compactly: an expectation left out whole as
    `bgp.overlay_established@leaf4`; the items left out of one, with the hosts that left out
    the same ones, as `evpn.received@leaf1 … leaf6 (6): mac-vrf-1 RT1, mac-vrf-1 RT1 from
    leaf7 ES-4` (the check's other items were judged)."""
    groups: dict[tuple[str, tuple[str, ...] | None], list[str]] = {}
    for f in failures:
        items = f.get("left_out")
        groups.setdefault((f["check"], tuple(items) if items else None), []).append(f["host"])
    parts = []
    for (check, items), hosts in groups.items():
        if items is None:
            parts.extend(f"{check}@{h}" for h in hosts)
            continue
        more = len(items) - LEFT_OUT_SHOWN
        parts.append(f"{check}@{host_ranges(hosts)}: " + ", ".join(items[:LEFT_OUT_SHOWN])
                     + (f" and {more} more item(s)" if more > 0 else ""))
    return ", ".join(parts) if all(items is None for _c, items in groups) else "; ".join(parts)


def _at_most(report: FailoverReport, phase: str) -> str:
    """The verdict line's mark of a time the table qualifies (a script reads `tail -1`)."""
    qualified = (report.unread_hosts(phase) or report.coarse(phase) is not None
                 or report.commit_bound(phase) is not None)
    return " (an upper bound, see above)" if qualified else ""


def _coarse(report: FailoverReport, phase: str) -> str:
    coarse = report.coarse(phase)
    if coarse is None:
        return ""
    after, slowest, interval = coarse
    return (f" (held from some time after {after:.3f}s: a poll took {slowest:.2f}s, longer than "
            f"the {interval:g}s interval)")


def _bound(report: FailoverReport, phase: str) -> str:
    hosts = report.unread_hosts(phase)
    return f" (at most: {', '.join(hosts)} could not be read for part of it)" if hosts else ""


def print_not_judged(console: Console, report: FailoverReport) -> None:
    """One line when checks were left out of the targets for want of CE traffic."""
    if report.not_judged:
        console.print(f"{NOT_JUDGED_WITHOUT_TRAFFIC} ({', '.join(report.not_judged)})",
                      style="yellow", markup=False)


def not_judged_entry(report: FailoverReport) -> dict[str, Any] | None:
    """--json `not_judged`: the checks left out of the targets without CE traffic, and why."""
    if not report.not_judged:
        return None
    return {"checks": report.not_judged, "reason": NOT_JUDGED_WITHOUT_TRAFFIC}


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}s"


def host_entries(report: FailoverReport, hosts: list[str]) -> dict[str, dict[str, Any]]:
    return {
        h: host_entry(
            ok=error is None and not report.refused,
            # the link went down (and back): not when the device refused the shut
            changed=h == report.host and report.restore_attempted and report.shut_error is None,
            error=error,
            **({"interface": report.interface, "restored": report.restore_ok} if h == report.host else {}),
        )
        for h, error in report.host_errors(hosts).items()
    }


def _failing(phase: PollOutcome | None, details: dict[Any, str]) -> list[dict[str, str]]:
    if phase is None or phase.reached:
        return []
    return [{"check": c, "host": h, "detail": details.get((c, h), "")} for c, h in phase.failing]


log = logging.getLogger("nornir.nornir_evpn.failover")


def log_event(ev: TimelineEvent) -> None:
    """A timeline event in the --log-file as it happens (`t=1.250 converged: degraded state
    reached`): the log said when the run started and ended, not how the fabric converged.
    The phases at INFO; each check's event (`degraded leaf2 es.df`, ten a host) at DEBUG (-vv)."""
    subject = " ".join(part for part in (ev.event, ev.host, ev.check) if part)
    log.log(logging.DEBUG if ev.check else logging.INFO, "failover-test t=%.3f %s%s", ev.t, subject,
            f": {ev.detail}" if ev.detail else "")


def _after(outcome: PollOutcome | None) -> float | None:
    return None if outcome is None or outcome.converged_after_s is None else round(outcome.converged_after_s, 3)


def _commit_note(what: str, seconds: float | None, bound: float | None = None) -> str:
    if seconds is None:
        return ""
    if bound is not None:  # the commit outlasted what was measured after it: see commit_bound
        return (f" (from the {what}'s commit, which took {seconds:.2f}s: the link may have changed "
                f"before its answer came, so at most {bound:.3f}s from when it was sent)")
    return f" (from the {what}'s commit, which took {seconds:.2f}s)"


def failover_document(report: FailoverReport, hosts: list[str]) -> dict[str, Any]:
    """The --json contract: command, ok, hosts, convergence_s, recovery_s, timeline, checks, traffic."""
    return {
        "command": "failover-test",
        "ok": report.ok,
        "host": report.host,
        "interface": report.interface,
        "segment": report.segment,
        "refused": report.refused,
        "already_disabled": report.already_disabled,
        "interrupted": report.interrupted,
        # shut | convergence | restore | recovery | traffic: where the signal came
        "interrupted_phase": report.interrupted_phase,
        "error": report.error,
        "restore": {"attempted": report.restore_attempted, "ok": report.restore_ok,
                    "error": report.restore_error,
                    "command": None if report.restore_ok or not report.restore_attempted
                    else report.restore_command()},
        "hosts": host_entries(report, hosts),
        "convergence_s": None if report.convergence_s is None else round(report.convergence_s, 3),
        "recovery_s": None if report.recovery_s is None else round(report.recovery_s, 3),
        # hosts no poll could read for part of the phase: its time above is an upper bound
        "convergence_unread": report.unread_hosts("convergence"),
        "recovery_unread": report.unread_hosts("recovery"),
        # the commit took longer than the time measured after it: the time from its send
        # (an upper bound), else null
        "convergence_at_most_s": report.commit_bound("convergence"),
        # the state began to hold after this (the start of the poll that last saw it not
        # holding): with convergence_s, the window the polls could time it to
        "convergence_after_s": _after(report.degraded),
        "recovery_after_s": _after(report.recovery),
        "recovery_at_most_s": report.commit_bound("recovery"),
        # the commits themselves; convergence_s and recovery_s count from their end
        "shut_commit_s": report.shut_commit_s,
        "restore_commit_s": report.restore_commit_s,
        "timeline": [{"t": ev.t, "event": ev.event, "host": ev.host, "check": ev.check, "detail": ev.detail}
                     for ev in report.timeline],
        "checks": report.checks_times(),
        # checks left out of the degraded and recovery targets: no CE traffic re-taught the MACs
        "not_judged": not_judged_entry(report),
        "precheck_failures": report.precheck_failures,
        # expectations still failing when a phase timed out, with what the last poll saw
        "never_held": _failing(report.degraded, report.failing_details),
        "not_recovered": _failing(report.recovery, report.recovery_failing_details),
        # hosts a poll could not reach or read (host: last reason); convergence and recovery
        # times include such an outage
        "unreachable": dict(sorted(report.unreachable.items())),
        "traffic": ({**report.traffic.as_dict(), "left_out": report.traffic_left_out}
                    if report.traffic is not None else {"sent": 0, "lost": 0}),
    }


def junit_suites(report: FailoverReport) -> list[JUnitSuite]:
    def fail(ok: bool, msg: str) -> str | None:
        return None if ok else msg

    def cut(ok: bool, msg: str) -> dict[str, str | None]:
        """A phase the interrupt cut short is an error (not run to the end), not a failure."""
        if ok:
            return {}
        return {"error": report.interrupted_line()} if report.interrupted else {"failure": msg}

    suite = JUnitSuite("failover-test")
    name = f"{report.host} {report.interface}"
    suite.cases.append(JUnitCase("failover", f"{name} precheck",
                                 failure=fail(not report.refused, report.error or "refused")))
    if report.already_disabled:  # nothing was measured nor restored: only the shut has a verdict
        suite.cases.append(JUnitCase("failover", f"{name} shut", failure=report.error))
    elif not report.refused:
        deg = report.degraded
        suite.cases.append(JUnitCase("failover", f"{name} degraded state",
                                     **cut(bool(deg and deg.reached), "degraded state not reached"),
                                     time_s=report.convergence_s or 0.0))
        suite.cases.append(JUnitCase("failover", f"{name} restore",
                                     failure=fail(bool(report.restore_ok), str(report.restore_error))))
        rec = report.recovery
        suite.cases.append(JUnitCase("failover", f"{name} recovery",
                                     **cut(bool(rec and rec.reached), "healthy state not reached"),
                                     time_s=report.recovery_s or 0.0))
        if report.traffic is not None:
            suite.cases.append(JUnitCase("failover", f"{name} traffic",
                                         **cut(not report.traffic_failures and not report.interrupted,
                                               "\n".join(report.traffic_failures))))
    return [suite]


def restore_junit(report: FailoverReport) -> list[JUnitSuite]:
    """`failover-test --restore`: the restore and the recovery after it."""
    suite = JUnitSuite("failover-test --restore")
    name = f"{report.host} {report.interface}"
    suite.cases.append(JUnitCase("failover", f"{name} restore",
                                 failure=None if report.restore_ok else str(report.restore_error)))
    rec = report.recovery
    suite.cases.append(JUnitCase("failover", f"{name} recovery",
                                 failure=None if rec and rec.reached else "healthy state not reached",
                                 time_s=report.recovery_s or 0.0))
    return [suite]


def print_restore(console: Console, report: FailoverReport, state_file: Any) -> None:
    """`failover-test --restore`: its timeline, then restored and healthy, restored but not
    healthy (the checks still failing), or the full report of a restore that failed."""
    for ev in report.timeline:
        print_event(console, ev)
    print_not_judged(console, report)
    if report.ok:
        console.print(f"[bold green]restored[/] {report.host} {report.interface}; fabric healthy; "
                      f"{escape(str(state_file))} removed")
    elif report.restore_ok:
        console.print(f"[bold red]restored {report.host} {report.interface} but the fabric is not healthy:[/] "
                      + escape(", ".join(f"{c}@{h}" for c, h in (report.recovery.failing if report.recovery else []))))
    else:
        print_report(console, report)
