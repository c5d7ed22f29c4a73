"""`run_failover`: pre-check, probe, shut, converge, restore (always), recover.

See the package's docstring for the safety rules.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from nornir.core import Nornir

from nornir_evpn.checks.base import mismatch_items
from nornir_evpn.errors import UserInputError
from nornir_evpn.failover.interrupts import signals_deferred, sigterm_raises
from nornir_evpn.failover.model import (
    NO_FAULTS,
    TRAFFIC_DEPENDENT,
    CheckOutcome,
    Evaluator,
    FailoverOptions,
    FailoverReport,
    Faults,
    TimelineEvent,
    last_details,
    relearnt_from_traffic,
)
from nornir_evpn.failover.poller import POLL_OVERRUN, Poller
from nornir_evpn.failover.restore import restore_after_shut, run_on
from nornir_evpn.failover.segment import (
    ce_of_ip,
    ces_failing_before,
    links_left,
    members_down_before,
    segment_for,
)
from nornir_evpn.failover_state import (
    PHASE_SHUT,
    STATE_ADMIN_STATE_DEFAULT,
    STATE_KIND,
    remove_state,
    write_state,
)
from nornir_evpn.failures import failure_kind
from nornir_evpn.intent import FabricIntent
from nornir_evpn.polling import CONNECT_CHECK, CheckKey, PollOutcome, wait_for_state
from nornir_evpn.signals import signame_of
from nornir_evpn.tasks.failover import shut_interface
from nornir_evpn.traffic import TrafficProbe

WARM_UP_TIMEOUT_S = 10.0
# a pre-check read longer than this share of --timeout is refused: with the interval, the
# degraded phase would get at most 3 polls
SLOW_READ_SHARE = 0.3
SLOW_READ_MIN_S = 1.0  # ... and never one under this (a test's --timeout 0.1 still runs)
# a host unreachable in this many polls in a row, for a quarter of --timeout (at most
# UNREACHABLE_MAX_S), ends the degraded phase's wait: a management blip does not
UNREACHABLE_POLLS = 3
UNREACHABLE_MAX_S = 10.0


def _narrowed(before: Any, after: Any) -> bool:
    """`after` is `before` with some items dropped and none changed."""
    return (isinstance(before, dict) and isinstance(after, dict) and bool(after)
            and all(k in before and before[k] == v for k, v in after.items()))


def _shown(value: Any) -> str:
    """A value as the checks' details print it: `[10.0.0.1, 10.0.0.2]`, not `['10.0.0.1', ...]`."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)


def what_changed(before: Any, after: Any) -> str:
    """What the fault changed in one expectation, for its `holds` line: `ES-1 mac-vrf-1
    candidates: [10.0.0.1, 10.0.0.2] -> [10.0.0.2]` (a non-DF link: the DF stays) or with
    `ES-1 mac-vrf-1 DF: 10.0.0.2 -> 10.0.0.1` too (the DF's link), `mac-vrf-1 RT1: 28 -> 26;
    mac-vrf-1 RT4: 14 -> 13` (the shut leaf's RT1/RT4 withdrawn). Items the fault only stops
    checking are left out; "" when the expectations are not item dicts."""
    if not (isinstance(before, dict) and isinstance(after, dict)):
        return ""
    parts = [f"{k}: {_shown(before[k])} -> {_shown(v)}" if k in before else f"{k}: {_shown(v)}"
             for k, v in after.items() if k not in before or before[k] != v]
    return "; ".join(parts)


def _not_read(lost: list[dict[str, str]]) -> str:
    """`2 host(s) not read (1 timeout, 1 authentication failed)`."""
    kinds: dict[str, int] = {}
    for f in lost:
        kind = failure_kind(f["detail"].removeprefix(f"{f['host']}: "))
        kinds[kind] = kinds.get(kind, 0) + 1
    return f"{len(lost)} host(s) not read ({', '.join(f'{n} {k}' for k, n in kinds.items())})"


def _failures(observed: Mapping[CheckKey, CheckOutcome]) -> list[dict[str, Any]]:
    return [{"check": c, "host": h, "detail": o.detail}
            for (c, h), o in sorted(observed.items()) if not o.ok]


def run_failover(
    nr: Nornir,
    fabric: FabricIntent,
    evaluate: Evaluator,
    options: FailoverOptions,
    *,
    state_doc: Mapping[str, Any] | None = None,
    probe: TrafficProbe | None = None,
    warm_up: Callable[[], None] | None = None,
    on_event: Callable[[TimelineEvent], None] | None = None,
    on_poll: Callable[[], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> FailoverReport:
    """Run one failover test; the interface is restored whatever happens after the shut.

    `nr` must hold the SR Linux hosts; `probe` (optional) is started before the shut and
    stopped after recovery (a target that never answered in that window fails the run);
    `warm_up` (optional) sends CE traffic when the pre-check only misses traffic-learnt
    state. `state_doc` is merged into the state file (inventory, twin).
    `on_event` gets each timeline event as it happens; `on_poll` is called once a poll's
    events are all out (`reporting.failover.LivePrinter` takes both).
    `options.traffic` False: `probe` and `warm_up` are not used (no CE traffic at all).
    """
    if not options.traffic:
        probe, warm_up = None, None
    run = _Run(nr, fabric, evaluate, options, probe=probe, warm_up=warm_up, on_event=on_event,
               on_poll=on_poll, clock=clock)
    if run.precheck():
        run.shut_and_watch(state_doc)
        run.recover()
        run.judge_traffic()
    return run.verdict()


class _Run:
    """One failover test's state, phase by phase: `precheck` (False: refused, nothing
    changed), `shut_and_watch` (the restore always runs at its end), `recover`,
    `judge_traffic`, `verdict`."""

    def __init__(self, nr: Nornir, fabric: FabricIntent, evaluate: Evaluator, options: FailoverOptions, *,
                 probe: TrafficProbe | None, warm_up: Callable[[], None] | None,
                 on_event: Callable[[TimelineEvent], None] | None, on_poll: Callable[[], None] | None,
                 clock: Callable[[], float]) -> None:
        self.nr, self.fabric, self.evaluate, self.options = nr, fabric, evaluate, options
        self.probe, self.warm_up, self.on_event, self.on_poll, self.clock = probe, warm_up, on_event, on_poll, clock
        self.es = segment_for(fabric, options.host, options.interface)
        self.report = FailoverReport(host=options.host, interface=options.interface, segment=self.es.name,
                                     state_file=str(options.state_file))
        self.fault: Faults = frozenset({(options.host, options.interface)})
        # seconds since the test started; from the shut's commit on, since that commit
        self.t0 = clock()
        self.healthy_expected: dict[CheckKey, Any] = {}
        self.degraded_expected: dict[CheckKey, Any] = {}
        # with --force, what failed before the fault is left out of both targets: it would
        # otherwise hold neither target and cost two full timeouts for a certain FAIL. The
        # items that failed, where the check named them (`ignored_items`: the check's other
        # items are still judged: leaf7's routes missing everywhere must not leave leaf1's
        # withdrawal unjudged); the whole expectation where it did not (`ignored`: a host not
        # read, a check that failed without items)
        self.ignored: set[CheckKey] = set()
        self.ignored_items: dict[CheckKey, frozenset[str]] = {}
        # seconds each host's last read took, when the evaluator says (verify_evaluator does)
        self.read_seconds: Callable[[], dict[str, float]] = getattr(evaluate, "read_seconds", dict)
        self.down: set[str] = set()  # hosts the last poll could not reach
        self.down_polls: dict[str, tuple[int, float]] = {}  # ... in how many polls in a row, since when
        # a poll still running when a phase ends (timeout, Ctrl-C) has its session dropped by
        # us: its "connection lost" says nothing about the host
        self.phase_over = threading.Event()
        self.last_seen: dict[CheckKey, CheckOutcome] = {}
        self.poller = Poller(clock, getattr(evaluate, "in_flight", None))
        self.restored_at = self.joined_at = 0.0
        self.failed_before: dict[CheckKey, CheckOutcome] = {}
        # the shut found no admin-state configured (the default applied): the restore deletes
        # the leaf, and the running configuration is again byte for byte what it was
        self.admin_state_default = False

    # -- the timeline and what the polls saw ---------------------------------------------------
    def now(self) -> float:
        return round(self.clock() - self.t0, 3)

    def emit(self, ev: TimelineEvent) -> None:
        self.report.timeline.append(ev)
        if self.on_event is not None:
            self.on_event(ev)

    def note_unreachable(self, observed: Mapping[CheckKey, CheckOutcome]) -> None:
        # a host the poll could not read is said so, once per outage: its checks are not
        # a fabric that broke (`breaks bgp.underlay_established` for a management blip)
        if self.phase_over.is_set():
            return
        now = {h: o.detail.removeprefix(f"{h}: ") for (c, h), o in observed.items()
               if c == CONNECT_CHECK and not o.ok}
        t = self.now()
        for h in sorted(now.keys() - self.down):
            self.emit(TimelineEvent(t=t, event="unreachable", host=h, detail=now[h]))
        for h in sorted(self.down - now.keys()):
            self.emit(TimelineEvent(t=t, event="reachable", host=h, detail="read again"))
        self.report.unreachable.update(now)
        for h in list(self.down_polls):
            if h not in now:
                del self.down_polls[h]
        for h in now:
            polls, since = self.down_polls.get(h, (0, self.clock()))
            self.down_polls[h] = (polls + 1, since)
        self.down = set(now)

    def lost_host(self) -> str | None:
        """A host unreachable in UNREACHABLE_POLLS polls in a row over a quarter of the timeout
        (at most UNREACHABLE_MAX_S): what it would show cannot be read, so waiting out the
        timeout with the link down would tell nothing more."""
        lasting = min(self.options.timeout / 4, UNREACHABLE_MAX_S)
        gone = sorted(h for h, (n, since) in self.down_polls.items()
                      if n >= UNREACHABLE_POLLS and self.clock() - since >= lasting
                      and (CONNECT_CHECK, h) not in self.ignored)  # --force: lost before, left out
        if not gone:
            return None
        return f"{', '.join(gone)} unreachable for {lasting:g}s ({UNREACHABLE_POLLS}+ polls in a row): " + \
            "; ".join(f"{h} {self.report.unreachable.get(h, '')}".strip() for h in gone)

    def read_fabric(self, faults: Faults) -> Mapping[CheckKey, CheckOutcome]:
        """One poll of every host, with the hosts it could not reach said on the timeline."""
        observed = self.evaluate(faults)
        self.note_unreachable(observed)
        self.last_seen.update(observed)
        return observed

    def note_failing(self, outcome: PollOutcome | None, details: dict[CheckKey, str]) -> None:
        """What the last poll saw of each expectation `outcome` ended with failing, into the
        phase's own `details` (the report's failing_details or recovery_failing_details)."""
        if outcome is None or outcome.reached:
            return
        details.update(last_details(outcome, self.last_seen))
        for key in outcome.failing:  # --force: what is judged of it, not the items left out
            seen = self.last_seen.get(key)
            if key in self.ignored_items and seen is not None and isinstance(seen.observed, dict) \
                    and isinstance(seen.expected, dict):
                judged = [k for k in seen.failing if k not in self.ignored_items[key]]
                if judged:
                    details[key] = "; ".join(mismatch_items(key[1], seen.expected, seen.observed, judged))
        for key in outcome.failing:
            if key not in details and key[0] == POLL_OVERRUN:  # no poll result: say what kept it
                took = self.read_seconds().get(key[1])
                details[key] = (
                    f"{key[1]}: its read was still running at the {self.options.timeout:g}s timeout"
                    + (f" (its last whole read took {took:.1f}s)" if took is not None else ""))

    def observe(self, faults: Faults) -> dict[CheckKey, bool]:
        observed = self.read_fabric(faults)
        if faults:
            self.degraded_expected.update({k: o.expected for k, o in observed.items()})
        return {k: o.ok or k in self.ignored or self.fails_as_before(k, o) for k, o in observed.items()
                if k[0] not in self.report.not_judged}

    def fails_as_before(self, key: CheckKey, outcome: CheckOutcome) -> bool:
        """--force: every item `outcome` fails was failing at the pre-check (left out); the
        rest of the expectation holds."""
        left_out = self.ignored_items.get(key)
        return left_out is not None and bool(outcome.failing) and left_out.issuperset(outcome.failing)

    def judged(self, key: CheckKey, value: Any) -> Any:
        """An expectation's items without those --force left out (`value` as is otherwise)."""
        left_out = self.ignored_items.get(key)
        if left_out is None or not isinstance(value, dict):
            return value
        return {k: v for k, v in value.items() if k not in left_out}

    def degraded_event(self, key: CheckKey, t: float) -> None:
        if key in self.ignored:
            return
        # an expectation the fault does not change (BGP sessions...) is "unchanged"; so is
        # one the fault only shrinks (leaf1 keeps the DF of its other ES, and stops checking
        # the one whose link is down): what is still checked held before the fault
        before = self.judged(key, self.healthy_expected.get(key))
        after = self.judged(key, self.degraded_expected.get(key))
        same = before is not None and (before == after or _narrowed(before, after))
        # a "holds" line says what the fault changed: es.df on the DF's peer reads the same for
        # a DF's link as for a non-DF's, unless it says whether the DF moved or only the
        # candidates shrank
        self.emit(TimelineEvent(t=round(t, 3), event="unchanged" if same else "degraded",
                                check=key[0], host=key[1],
                                detail="" if same else what_changed(before, after)))

    def changed_event(self, key: CheckKey, t: float, holds: bool) -> None:
        if key not in self.ignored:
            self.emit(TimelineEvent(t=round(t, 3), event="holds again" if holds else "breaks",
                                    check=key[0], host=key[1]))

    def read_now(self, faults: Faults) -> Mapping[CheckKey, CheckOutcome]:
        """One poll before the shut, in its own thread: a Ctrl-C/SIGTERM reaches us at once
        and cuts its reads short, instead of waiting behind a slow host (deaf to signals)."""
        try:
            return self.poller.bounded(lambda: self.read_fabric(faults),  # type: ignore[arg-type, return-value]
                                       self.clock() + 1e9)()
        except BaseException:
            self.phase_over.set()  # cut short by us: its hosts are not "unreachable"
            self.poller.abort(self.nr)
            self.poller.join(cutting=self.nr)
            raise

    def refuse(self, error: str) -> bool:
        self.report.refused = True
        self.report.error = error
        self.emit(TimelineEvent(t=self.now(), event="refused", detail=error))
        return False

    # -- 1. pre-check: refuse to break an already unhealthy fabric -------------------------------
    def precheck(self) -> bool:
        """Read the fabric before the fault; False when the test is refused (nothing changed)."""
        report, options, clock = self.report, self.options, self.clock
        read_started = clock()
        healthy = precheck = self.read_now(NO_FAULTS)
        read_took = clock() - read_started
        self.healthy_expected = {k: o.expected for k, o in healthy.items()}
        report.precheck_failures = _failures(healthy)
        # pings mend only traffic-learnt state: a pre-check failing on more is refused at once;
        # --force warms up beside evpn.received too (as 0.21 did: the MACs a quiet fabric aged
        # out are judged, not left out with a route-target fault beside them), not beside a
        # link or a session down (the MACs behind it would hold the warm-up to its timeout)
        mended = TRAFFIC_DEPENDENT + (("evpn.received",) if options.force else ())
        if report.precheck_failures and self.warm_up is not None and all(
            f["check"].startswith(mended) for f in report.precheck_failures
        ) and any(f["check"].startswith(TRAFFIC_DEPENDENT) for f in report.precheck_failures):
            unsettled = self.settle_with_traffic(self.warm_up)
            if unsettled is not None:
                precheck = unsettled
        if report.precheck_failures and not options.force:
            lost = [f for f in report.precheck_failures if f["check"] == CONNECT_CHECK]
            failing = len(report.precheck_failures) - len(lost)
            what = ", ".join(part for part in (f"{failing} check(s) failing" if failing else "",
                                               _not_read(lost) if lost else "") if part)
            return self.refuse(f"fabric not healthy: {what}; nothing was changed")
        threshold = max(options.timeout * SLOW_READ_SHARE, SLOW_READ_MIN_S)
        if read_took > threshold:
            # the first read logged in everywhere (a slow AAA login) and waited out hosts that
            # could not be read (--force leaves them out): the polls will see a warm read of
            # the hosts that answer, so that is what is judged
            read_started = clock()
            again = self.read_now(NO_FAULTS)
            read_took = clock() - read_started
            unread = {h for (c, h), o in again.items() if c == CONNECT_CHECK and not o.ok}
            answering = [t for h, t in self.read_seconds().items() if h not in unread]
            if answering:
                read_took = max(answering)
        if read_took > threshold:
            # a fabric read that slow leaves too few polls to see the fault's state before the
            # timeout: the link would stay down the whole --timeout, twice, for no verdict
            took = self.read_seconds()
            slowest = sorted((h for h in took if took[h] > options.timeout * SLOW_READ_SHARE / 2),
                             key=lambda h: -took[h])[:3]
            which = f" (slowest: {', '.join(f'{h} {took[h]:.1f}s' for h in slowest)})" if slowest else ""
            return self.refuse(
                f"one read of the fabric took {read_took:.1f}s{which}, over "
                f"{SLOW_READ_SHARE:.0%} of --timeout {options.timeout:g}s: too few polls to watch "
                "it converge; nothing was changed (raise --timeout, or see why those hosts answer slowly)")
        es = self.es
        polled = getattr(getattr(self.nr, "inventory", None), "hosts", None)
        if not links_left(es, (options.host, options.interface), precheck, polled):
            # --force measures despite what was broken before, --hosts polls fewer hosts: neither
            # takes the CE off the fabric
            unpolled = [leaf for leaf in es.members if polled is not None and leaf not in polled]
            if unpolled:
                return self.refuse(
                    f"no other link of {es.name} was checked: {', '.join(unpolled)} left out by "
                    f"--hosts/--role, and shutting {options.host} {options.interface} may cut "
                    f"{es.ce} off; nothing was changed")
            return self.refuse(
                f"--force: no other link of {es.name} passed the pre-check, so shutting "
                f"{options.host} {options.interface} would cut {es.ce} off; nothing was changed")
        # --force: what was broken before (none when the warm-up settled the pre-check)
        self.failed_before = {k: o for k, o in precheck.items() if not o.ok} if report.precheck_failures else {}
        for f in report.precheck_failures:
            key = (f["check"], f["host"])
            items = self.failed_before[key].failing if key in self.failed_before else ()
            if items and key[0] != CONNECT_CHECK:
                self.ignored_items[key] = frozenset(items)
                f["left_out"] = list(items)  # --json: per host, item-level
            else:
                self.ignored.add(key)
                f["left_out"] = None  # the whole expectation
        # --force: LAG members found out of sync are down in the degraded prediction too (the
        # healthy one keeps the pre-check's view: their own checks are left out of both)
        found_down = sorted(members_down_before(self.fabric, precheck) - self.fault) if self.failed_before else []
        self.fault = self.fault | frozenset(found_down)
        if self.probe is None:  # --no-traffic, or no probe: nothing re-teaches a MAC the shut flushed
            report.not_judged = relearnt_from_traffic(healthy)
        down_as_found = (f"; predicted with {', '.join(f'{h} {i}' for h, i in found_down)} down, as found"
                         if found_down else "")
        self.emit(TimelineEvent(t=self.now(), event="precheck",
                                detail="healthy" if not report.precheck_failures else
                                f"{len(report.precheck_failures)} failing, --force: " + self.left_out_line()
                                + down_as_found))
        return True

    def left_out_line(self) -> str:
        """What --force leaves out of the targets: `20 failing item(s) left out of the targets,
        their checks' other items judged`, and the expectations left out whole."""
        items = sum(len(v) for v in self.ignored_items.values())
        parts = []
        if items:
            parts.append(f"{items} failing item(s) left out of the targets, their checks' other items judged")
        if self.ignored:
            parts.append("left out of the targets" if not items else
                          f"{len(self.ignored)} expectation(s) left out whole")
        return "; ".join(parts)

    def settle_with_traffic(self, warm_up: Callable[[], None]) -> Mapping[CheckKey, CheckOutcome] | None:
        """Only traffic-learnt state is missing (MACs age out on a quiet fabric): send some CE
        traffic and give the fabric a few polls to learn and advertise it. The pre-check read
        to judge by when the fabric did not settle (None: it did)."""
        last: list[Mapping[CheckKey, CheckOutcome]] = []
        force = self.options.force

        def settle_state() -> dict[CheckKey, bool]:
            warm_up()  # again each round: pings sent before the data plane was up teach nothing
            observed = self.read_now(NO_FAULTS)
            last[:] = [observed]
            # what healthy means now: the RT2 and MAC counts expected follow the MACs learnt,
            # and the degraded phase tells "unchanged by the fault" by comparing with these
            self.healthy_expected.update({k: o.expected for k, o in observed.items()})
            # --force: only what traffic can mend is waited for (a configuration fault beside
            # it would hold the warm-up to its timeout); without, the whole fabric, as ever
            return {k: o.ok or (force and not k[0].startswith(TRAFFIC_DEPENDENT)) for k, o in observed.items()}

        settle = wait_for_state(settle_state, t0=self.clock(), interval=self.options.interval,
                                timeout=min(self.options.timeout, WARM_UP_TIMEOUT_S), clock=self.clock)
        precheck = None
        if settle.reached and last and any(not o.ok for o in last[0].values()):
            precheck = last[0]  # --force: the MACs are learnt, what else failed still does
            self.report.precheck_failures = _failures(precheck)
        elif settle.reached:
            self.report.precheck_failures = []
        else:
            precheck = self.read_now(NO_FAULTS)
            self.report.precheck_failures = _failures(precheck)
        self.emit(TimelineEvent(t=self.now(), event="warm-up", detail="CE traffic sent so MACs are learnt"))
        return precheck

    # -- 2-5. shut, watch the fabric converge, restore (always) --------------------------------
    def shut_and_watch(self, state_doc: Mapping[str, Any] | None) -> None:
        report, options, clock, nr = self.report, self.options, self.clock, self.nr
        shut_sent = False
        phase = "shut"
        with sigterm_raises():
            try:
                if self.probe is not None:
                    self.probe.start()
                # the state file exists before the shut is sent: a SIGKILL at any later
                # instant still leaves enough to undo it with --restore
                shut_doc = {
                    "kind": STATE_KIND, **(state_doc or {}), "phase": PHASE_SHUT, "host": options.host,
                    "interface": options.interface, "segment": self.es.name, "time": time.time(),
                }
                try:
                    write_state(options.state_file, shut_doc)
                except OSError as exc:  # a full disk: said as such, not "OSError: [Errno 28] ..."
                    raise _StepFailed(f"--state-file {options.state_file}: cannot write: "
                                      f"{exc.strerror or exc}; {options.interface} was not shut") from None
                shut_sent = True
                sent_at = self.t0 = clock()
                shut = run_on(nr, options.host, shut_interface, interface=options.interface)
                # the fabric starts converging once the commit applied the shut: count from there
                self.t0 = clock()
                if not shut.ok:
                    report.shut_error = shut.error
                    if not shut.reached or shut.refused:
                        # never connected, or the device refused the line before any commit (a
                        # role that may not write it): nothing was applied, nothing to restore.
                        # A restore would be refused too, and said the link may still be down
                        shut_sent = False
                        remove_state(options.state_file)
                    raise _StepFailed(f"shut failed: {shut.error}")
                report.shut_commit_s = round(self.t0 - sent_at, 3)
                if shut.changed and shut.result is not None and shut.result.get("was", "enable") is None:
                    # no admin-state of its own before (the default, enable): the restore
                    # deletes the leaf; --restore after a kill reads that from the state file
                    # (killed before this write, it sets `enable`: the link comes up all the same)
                    self.admin_state_default = True
                    with contextlib.suppress(OSError, UserInputError):
                        write_state(options.state_file, {**shut_doc, STATE_ADMIN_STATE_DEFAULT: True})
                if not shut.changed:
                    # an empty diff: the interface was already disabled (an operator's shut). The
                    # fault is already there, so there is nothing to measure (with --force what it
                    # breaks is ignored and "degraded" would hold at once), and a restore would
                    # enable a port someone shut on purpose
                    report.already_disabled = True
                    detail = (f"{options.interface} was already admin-state disable: "
                              "nothing to test; left as found")
                    self.emit(TimelineEvent(t=0.0, event="left-as-found", host=options.host, detail=detail))
                    raise _StepFailed(f"{options.host} {detail}")
                self.emit(TimelineEvent(t=0.0, event="shut", host=options.host,
                                        detail=f"{options.interface} admin-state disable"))
                phase = "convergence"
                self.watch_convergence()
            except _StepFailed as exc:
                report.error = str(exc)
            except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP (`Terminated`)
                report.note_interrupt(signame_of(exc), phase)
            except Exception as exc:  # any failure still must restore below
                report.error = f"{type(exc).__name__}: {exc}"
            finally:
                if report.already_disabled:
                    # nothing to restore: the state file must not send a --restore to enable it
                    remove_state(options.state_file)
                elif shut_sent:
                    self.phase_over.set()
                    if report.interrupted:
                        self.poller.abort(nr)  # cut short by us: its hosts are not "unreachable"
                    # a poll still running at the timeout keeps its session: restore on a second
                    # one rather than hold the link down until that poll ends
                    # recovery counts from the restore event's instant, not from the end of the wait
                    # below, nor from a clock read after the event was printed and the state file
                    # removed: the recovery's polls are timed from here and the timeline's restore
                    # event from there (unread_hosts' recovery window, a moment early under load,
                    # left a host read again by the recovery's first poll out of it)
                    self.restored_at = restore_after_shut(nr, options, report, self.t0, clock, self.emit,
                                                          spare=self.poller.busy(),
                                                          as_default=self.admin_state_default)
                    # before anything else uses the sessions it reads (joined whether or not the
                    # run was interrupted: `interrupted or join()` skipped it on an interrupt)
                    report.note_interrupt(self.poller.join(cutting=nr if report.interrupted else None), phase)
                    self.joined_at = clock()

    def watch_convergence(self) -> None:
        report, options, clock = self.report, self.options, self.clock
        self.down_polls.clear()  # what counts is the outage during this phase
        report.degraded = wait_for_state(
            self.poller.bounded(lambda: self.observe(self.fault), self.t0 + options.timeout),
            t0=self.t0, interval=options.interval, timeout=options.timeout,
            clock=clock,
            on_first_held=self.degraded_event, on_poll=self.on_poll, on_change=self.changed_event,
            stop=self.lost_host,
        )
        self.note_failing(report.degraded, report.failing_details)
        if report.degraded.reached:
            self.emit(TimelineEvent(t=round(report.degraded.converged_s or 0.0, 3), event="converged",
                                    detail="degraded state reached"))
        elif report.degraded.stopped:
            self.emit(TimelineEvent(t=self.now(), event="stopped",
                                    detail=f"degraded state not watched to its end: {report.degraded.stopped}"))
        else:
            self.emit(TimelineEvent(t=self.now(), event="timeout",
                                    detail=f"degraded state not reached in {options.timeout:g}s: "
                                           + ", ".join(f"{c}@{h}" for c, h in report.degraded.failing[:6])))

    # -- 6. recovery (only when the link is back) -------------------------------------------------
    def recover(self) -> None:
        report, options, clock = self.report, self.options, self.clock
        # a shut that failed broke nothing to recover from (the restore still went out, in case
        # it applied): "healthy again after 0.07s" would time a failover that never happened
        if report.restore_ok and report.interrupted is None and report.shut_error is None:
            self.phase_over.clear()
            t_restore = self.restored_at
            offset = t_restore - self.t0
            # times count from the restore; the --timeout for recovery starts once the degraded
            # phase's last poll (behind a slow host) has ended: waiting for it spent the whole
            # recovery timeout before the first recovery poll
            held_up = max(0.0, self.joined_at - t_restore)
            try:
                with sigterm_raises():
                    report.recovery = wait_for_state(
                        self.poller.bounded(lambda: self.observe(NO_FAULTS), self.joined_at + options.timeout),
                        t0=t_restore, interval=options.interval, timeout=options.timeout + held_up, clock=clock,
                        on_change=lambda key, t, holds: self.changed_event(key, offset + t, holds),
                    )
            except KeyboardInterrupt as exc:
                report.note_interrupt(signame_of(exc), "recovery")
            except Exception as exc:  # as in the degraded phase: the report (and the probe's stop) still come
                report.error = report.error or f"{type(exc).__name__}: {exc} (while waiting for recovery)"
            if report.interrupted:
                self.phase_over.set()  # the poll in flight is cut short by us: its hosts are not lost
                self.poller.abort(self.nr)
            self.note_failing(report.recovery, report.recovery_failing_details)
            if report.recovery is not None:
                if report.recovery.reached:
                    self.emit(TimelineEvent(t=round(offset + (report.recovery.converged_s or 0.0), 3),
                                            event="recovered", detail=f"healthy again after "
                                            f"{report.recovery.converged_s:.2f}s"))
                else:
                    self.emit(TimelineEvent(t=self.now(), event="timeout",
                                            detail="healthy state not reached after restore: "
                                                   + ", ".join(f"{c}@{h}" for c, h in report.recovery.failing[:6])))
        # a recovery poll past its timeout, or cut short by Ctrl-C: the caller closes the
        # sessions next, and must not close one under its reads
        report.note_interrupt(self.poller.join(cutting=self.nr if report.interrupted else None), "recovery")

    # -- 7. the traffic probe's verdict, and the run's ----------------------------------------------
    def judge_traffic(self) -> None:
        report, probe, fabric = self.report, self.probe, self.fabric
        if probe is None:
            return
        # a Ctrl-C while the probe's last ping finishes must not lose the report
        received: list[str] = []
        # recovered: a target that has not answered yet gets one more batch now that the
        # fabric is healthy, so the failover's own loss window never counts as "never answered"
        recheck = bool(report.recovery and report.recovery.reached and report.interrupted is None)
        with signals_deferred(received):
            report.traffic = probe.stop(recheck=recheck)
        report.note_interrupt(received[0] if received else None, "traffic")
        names = ce_of_ip(fabric)
        for target in report.traffic.per_target:
            if target in names:
                report.traffic.names.setdefault(target, names[target])
        broken = ces_failing_before(fabric, self.failed_before) if self.options.force else set()
        report.traffic_left_out = [t for t in report.traffic.per_target if names.get(t) in broken]

    def verdict(self) -> FailoverReport:
        report = self.report
        report.ok = bool(
            report.degraded and report.degraded.reached and report.restore_ok
            and report.recovery and report.recovery.reached and report.interrupted is None
            and report.error is None and not report.traffic_failures
        )
        return report


class _StepFailed(Exception):
    pass
