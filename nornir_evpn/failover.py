"""Failover test orchestration: pre-check, probe, shut, converge, restore (always), recover.

The fabric's expected state comes from the verify engine, given the intent and a *fault
set* (the shut link): `Evaluator(faults)` answers, for every (check, host), whether the
device currently shows what the intent predicts under those faults. Healthy is the empty
fault set. Nothing here prints; `reporting/failover.py` renders a `FailoverReport`.

Safety: a state file is written *before* the shut is sent, and the restore runs in a
`finally` with SIGINT/SIGTERM deferred, so neither Ctrl-C, `kill`, nor a failing step can
leave the link down; a SIGKILL leaves the state file (`failover_state.py`) for `failover-test --restore`.
A shut that commits nothing (the interface was already disabled) is never "restored": the
run fails, measures nothing and leaves the interface as it found it.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from nornir.core import Nornir
from nornir.plugins.runners import SerialRunner

from nornir_evpn.errors import UserInputError
from nornir_evpn.failover_state import (
    PHASE_SHUT,
    STATE_KIND,
    remove_state,
    state_file_path,
    write_state,
)
from nornir_evpn.failures import task_error
from nornir_evpn.intent import EthernetSegment, FabricIntent, natural_key
from nornir_evpn.internal import internal_error
from nornir_evpn.polling import CheckKey, PollOutcome, wait_for_state
from nornir_evpn.runner import CUT_AGAIN_S
from nornir_evpn.session import cut_short
from nornir_evpn.signals import ALL_SIGNALS, TERMINATION_SIGNALS, handled
from nornir_evpn.tasks.config import CONNECTION
from nornir_evpn.tasks.failover import CONNECT_CHECK, restore_interface, shut_interface
from nornir_evpn.traffic import TrafficProbe, TrafficStats

Port = tuple[str, str]  # (node, interface)
Faults = frozenset[Port]
NO_FAULTS: Faults = frozenset()


@dataclass(frozen=True)
class CheckOutcome:
    ok: bool
    detail: str = ""
    expected: Any = None  # what the intent predicts under the fault set (None: unknown)
    failing: tuple[str, ...] = ()  # the items that did not match (`lag1`, `lag1 ethernet-1/1`)


# faults -> {(check, host): outcome}; the verify adapter lives in nornir_evpn.failover_verify
Evaluator = Callable[[Faults], Mapping[CheckKey, CheckOutcome]]

# checks that only pass once CE traffic taught the fabric its MACs (RT2 counts follow them)
TRAFFIC_DEPENDENT = ("mac.", "evpn.")
# checks a fabric passes again after a change only once the CE sends: a leaf whose link went
# down flushed the CE's MAC and learns it back from the CE's next frame only, and an ES peer
# that merely synced it does not advertise it (RFC 7432), so it may leave the fabric. Without
# CE traffic they are left out of the degraded and recovery targets. evpn.received (RT1/RT3/
# RT4) and evpn.advertised (its RT2 count is the leaf's own MAC table) hold either way.
RELEARNT_FROM_TRAFFIC = ("mac.",)
NOT_JUDGED_WITHOUT_TRAFFIC = ("without CE traffic, MAC checks are not judged after the shut: "
                              "a fabric re-learns MACs only from traffic")
WARM_UP_TIMEOUT_S = 10.0


def relearnt_from_traffic(keys: Iterable[CheckKey]) -> list[str]:
    """The checks among `keys` that only CE traffic makes hold again after a change."""
    return sorted({c for c, _h in keys if c.startswith(RELEARNT_FROM_TRAFFIC)})


# A restore that cannot reach the leaf is tried again (a refused commit is not) for as long
# as the run waited for the fabric (--timeout), at least RESTORE_ATTEMPTS times, RESTORE_RETRY_
# DELAY_S apart doubling up to RESTORE_RETRY_MAX_S: a management blip of a few seconds must
# not leave a CE link down until someone reads the report. A signal ends the retries early.
RESTORE_ATTEMPTS = 3
RESTORE_RETRY_DELAY_S = 1.0
RESTORE_RETRY_MAX_S = 5.0
# a device error that says "not now" rather than "no": another session holds the candidate
# (`enter candidate exclusive`) or a commit is in progress. Retried like a dropped session
_BUSY = re.compile(r"\block|try again|in progress|\bbusy\b", re.IGNORECASE)


def refused_for_good(error: str | None) -> bool:
    """The device refused the restore and will refuse it again (a validation error); not a
    lock or a commit in progress, which end by themselves."""
    text = str(error)
    return "Error:" in text and not _BUSY.search(text)


def _narrowed(before: Any, after: Any) -> bool:
    """`after` is `before` with some items dropped and none changed."""
    return (isinstance(before, dict) and isinstance(after, dict) and bool(after)
            and all(k in before and before[k] == v for k, v in after.items()))


class Terminated(BaseException):
    """Raised in the main thread by our SIGTERM handler (a BaseException like Ctrl-C)."""

    def __init__(self, signame: str = "SIGTERM") -> None:
        super().__init__(signame)
        self.signame = signame


# --------------------------------------------------------------------------- options/report


@dataclass
class FailoverOptions:
    host: str = "leaf1"
    interface: str = "ethernet-1/1"
    interval: float = 0.5
    timeout: float = 60.0
    traffic: bool = True
    force: bool = False
    state_file: Path = field(default_factory=state_file_path)
    probe_batch: int = 3
    probe_interval: float = 0.1


@dataclass
class TimelineEvent:
    t: float  # seconds since the shut; before it (warm-up, precheck), since the test started
    event: str  # precheck | shut | degraded | converged | restore | recovered | timeout | ...
    host: str | None = None
    check: str | None = None
    detail: str = ""


@dataclass
class FailoverReport:
    host: str
    interface: str
    segment: str | None
    ok: bool = False
    refused: bool = False
    precheck_failures: list[dict[str, str]] = field(default_factory=list)
    shut_error: str | None = None
    # the shut committed nothing (the interface was already admin-state disable): nothing
    # was measured and nothing restored, the interface is left as it was found
    already_disabled: bool = False
    # probe targets of CEs the pre-check found broken (--force): not judged by the traffic verdict
    traffic_left_out: list[str] = field(default_factory=list)
    degraded: PollOutcome | None = None
    restore_attempted: bool = False
    restore_ok: bool | None = None
    restore_error: str | None = None
    recovery: PollOutcome | None = None
    timeline: list[TimelineEvent] = field(default_factory=list)
    traffic: TrafficStats | None = None
    interrupted: str | None = None  # SIGINT / SIGTERM
    # where the run was when the signal came: shut | convergence | restore | recovery | traffic
    interrupted_phase: str | None = None
    error: str | None = None
    state_file: str | None = None
    # hosts a poll after the shut could not reach or read: host -> the last reason
    unreachable: dict[str, str] = field(default_factory=dict)
    # how long the device took to commit the shut / the restore (~1 s on SR Linux). The
    # convergence and recovery times count from each commit's end, when the link changed:
    # the commit's own validation is not fabric convergence
    shut_commit_s: float | None = None
    restore_commit_s: float | None = None
    # what the last poll saw of each expectation still failing at the end of its phase
    # ("<host> <item> - Expected: ... Actual: ..."): verify cannot tell later, the link is back
    failing_details: dict[CheckKey, str] = field(default_factory=dict)
    # checks left out of both targets because no CE traffic ran (RELEARNT_FROM_TRAFFIC)
    not_judged: list[str] = field(default_factory=list)

    @property
    def convergence_s(self) -> float | None:
        return self.degraded.converged_s if self.degraded else None

    @property
    def recovery_s(self) -> float | None:
        return self.recovery.converged_s if self.recovery else None

    @property
    def traffic_failures(self) -> list[str]:
        """One line per probe target that never answered during the whole test. Some loss
        while the link is down is normal for all-active multi-homing; none at all is not.
        Targets of CEs already broken before the test (--force) are left out, like the
        pre-check failures that name them. An interrupted run judges no traffic: a target
        pinged only inside the loss window, never re-checked after recovery, proves nothing."""
        if self.traffic is None or self.interrupted:
            return []
        stats = self.traffic
        return [
            *(f"traffic: {stats.label(t)} never answered "
              f"({stats.per_target[t]['lost']}/{stats.per_target[t]['sent']} lost)"
              for t in stats.never_answered() if t not in self.traffic_left_out),
            *(f"traffic: {stats.label(t)} not measured ({stats.error_for(t) or 'no ping ran'})"
              for t in stats.not_measured() if t not in self.traffic_left_out),
        ]

    def interrupted_line(self) -> str:
        """`interrupted (SIGINT) during convergence`, or "" when the run was not."""
        if not self.interrupted:
            return ""
        return f"interrupted ({self.interrupted})" + (
            f" during {self.interrupted_phase}" if self.interrupted_phase else "")

    def note_interrupt(self, signame: str | None, phase: str) -> None:
        """Record the first signal and the phase it came in; later ones change nothing."""
        if signame and self.interrupted is None:
            self.interrupted, self.interrupted_phase = signame, phase

    def restore_command(self) -> str:
        """The command that undoes the shut, to copy: a path with a space or `[` stays one word."""
        sf = f" --state-file {shlex.quote(self.state_file)}" if self.state_file else ""
        return f"python -m nornir_evpn failover-test --restore{sf}"


# --------------------------------------------------------------------------- validation


def segment_for(fabric: FabricIntent, host: str, interface: str) -> EthernetSegment:
    """The ES `interface` of `host` belongs to; UserInputError (exit 2) otherwise."""
    if host in fabric.ces:
        leaves = sorted({leaf for leaf, _ in fabric.ces[host].attachments.values()}, key=natural_key)
        raise UserInputError(f"--host: {host!r} is a CE; failover-test shuts a leaf's link to it "
                             f"(--host {' or '.join(leaves)})")
    if host not in fabric.nodes:
        raise UserInputError(f"--host: unknown host {host!r} (not in the inventory)")
    es = fabric.segment_of(host, interface)
    if es is None:
        own = sorted((i for s in fabric.ethernet_segments.values() for i in s.members.get(host, [])),
                     key=natural_key)
        if own:
            shown = ", ".join(own[:8]) + (f" and {len(own) - 8} more" if len(own) > 8 else "")
            hint = f"{host}'s members: {shown}"
        else:
            leaves = sorted({leaf for s in fabric.ethernet_segments.values() for leaf in s.members},
                            key=natural_key)
            hint = (f"{host} serves no ethernet segment; leaves that do: "
                    + (", ".join(leaves[:8]) + (f" and {len(leaves) - 8} more" if len(leaves) > 8 else "")
                       if leaves else "none"))
        raise UserInputError(
            f"--interface: {host} {interface} is not a member of an ethernet segment ({hint})"
        )
    return es


def other_ce_ips(fabric: FabricIntent, ce: str) -> list[str]:
    """The IPv4 addresses of every CE but `ce`: pinging them teaches the fabric both ends'
    MACs (`ping` is IPv4; a CE's IPv6 address would fail every ping, fabric or not)."""
    return [ip for name, other in sorted(fabric.ces.items()) if name != ce for ip in other.ips
            if ":" not in ip]


def ce_of_ip(fabric: FabricIntent) -> dict[str, str]:
    """{CE address: CE name}: the probe's targets named in the report."""
    return {ip: name for name, ce in sorted(fabric.ces.items()) for ip in ce.ips}


def ces_failing_before(fabric: FabricIntent, failures: list[dict[str, str]]) -> set[str]:
    """CEs a pre-check failure names: one on a leaf the CE is wired to that mentions the
    CE's port there (`ethernet-1/3`, not `ethernet-1/30`) or one of its MACs."""
    out: set[str] = set()
    for name, ce in fabric.ces.items():
        macs = [m.lower() for m in ce.macs]
        for leaf, port in ce.attachments.values():
            port_re = re.compile(re.escape(port) + r"(?!\d)")
            if any(f["host"] == leaf and (port_re.search(f["detail"])
                                          or any(m in f["detail"].lower() for m in macs))
                   for f in failures):
                out.add(name)
    return out


def probe_targets(fabric: FabricIntent, es: EthernetSegment) -> list[str]:
    """IPs of every other CE: traffic from the multi-homed CE crosses the ES links."""
    return other_ce_ips(fabric, es.ce)


def warm_up_traffic(runner: Callable[[str, int, float], str], targets: list[str]) -> Callable[[], None]:
    """One short ping to each target: enough for every leaf to learn both ends' MACs."""

    def run() -> None:
        for ip in targets:
            runner(ip, 2, 0.05)

    return run


# --------------------------------------------------------------------------- verify adapter


def default_checks() -> list[Any]:
    """Every check of the verify catalog, in catalog order."""
    from nornir_evpn.checks import resolve_checks

    return resolve_checks(None)


def verify_evaluator(nr: Nornir, fabric: FabricIntent, checks: list[Any] | None = None) -> Evaluator:
    """An `Evaluator` that runs the verify checks on every SR Linux host of `nr` once per call."""
    from nornir_evpn.checks.model import shared_view
    from nornir_evpn.tasks.failover import collect_and_check

    selected = checks if checks is not None else default_checks()
    running: set[str] = set()  # hosts whose poll has not ended: named when a poll overruns
    lock = threading.Lock()
    memos: dict[str, dict[Any, Any]] = {}  # per host: its last parses (entries are consistent pairs)
    took: dict[str, float] = {}  # per host: seconds its last read took

    def poll_host(task: Any, **kwargs: Any) -> Any:
        with lock:
            running.add(task.host.name)
            memo = memos.setdefault(task.host.name, {})
        started = time.monotonic()
        try:
            return collect_and_check(task, memo=memo, **kwargs)
        finally:
            with lock:
                running.discard(task.host.name)
                took[task.host.name] = time.monotonic() - started

    def evaluate(faults: Faults) -> dict[CheckKey, CheckOutcome]:
        view = shared_view(fabric, faults)  # rounds with the same faults reuse its reachability
        # on_failed: a host that failed a poll (a dropped session) is polled again, never
        # silently left out of the next evaluation
        agg = nr.run(task=poll_host, name="collect_and_check", view=view, checks=selected, on_failed=True)
        out: dict[CheckKey, CheckOutcome] = {}
        for host, multi in sorted(agg.items()):
            if multi.failed:  # a bug in a check, not a device state: fail loudly per host
                exc = multi[0].exception
                out[("collect", host)] = CheckOutcome(
                    False, f"{host}: {task_error(host, exc) if exc is not None else 'failed'}")
                continue
            for r in multi[0].result:
                out[(r.check, host)] = CheckOutcome(
                    r.ok, r.detail, r.expected,
                    () if r.ok else tuple(k for k, v in r.expected.items() if r.observed.get(k) != v))
        return out

    def in_flight() -> list[str]:
        with lock:
            return sorted(running)

    def read_seconds() -> dict[str, float]:
        with lock:
            return dict(took)

    evaluate.in_flight = in_flight  # type: ignore[attr-defined]
    evaluate.read_seconds = read_seconds  # type: ignore[attr-defined]
    return evaluate


# --------------------------------------------------------------------------- signals


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """While active, SIGTERM/SIGHUP raise `Terminated` in the main thread (SIGINT already raises)."""

    def handler(signum: int, _frame: object) -> None:
        raise Terminated(signal.Signals(signum).name)

    with handled(TERMINATION_SIGNALS, handler):
        yield


@contextlib.contextmanager
def signals_deferred(received: list[str]) -> Iterator[None]:
    """Record (not act on) SIGINT/SIGTERM/SIGHUP: the restore must run to its end."""

    def handler(signum: int, _frame: object) -> None:
        received.append(signal.Signals(signum).name)

    with handled(ALL_SIGNALS, handler):
        yield


# --------------------------------------------------------------------------- nornir steps


POLL_OVERRUN = "poll"  # the check name of "this host's poll was still running at the timeout"
POLL_GRACE_S = 1.0  # how long past the timeout a poll may end before the test goes on without it
# a pre-check read longer than this share of --timeout is refused: with the interval, the
# degraded phase would get at most 3 polls
SLOW_READ_SHARE = 0.3
SLOW_READ_MIN_S = 1.0  # ... and never one under this (a test's --timeout 0.1 still runs)
# a host unreachable in this many polls in a row, for a quarter of --timeout (at most
# UNREACHABLE_MAX_S), ends the degraded phase's wait: a management blip does not
UNREACHABLE_POLLS = 3
UNREACHABLE_MAX_S = 10.0


class _Poller:
    """Runs each poll in a helper thread, so a poll that hangs (a device answering slowly)
    cannot hold the shut link down past `--timeout`.

    A poll still running at its deadline (+ POLL_GRACE_S) is left to finish on its own and
    reported as a `poll` expectation per host it still waits for, which never holds.
    `busy()` then tells the restore to use a second session, and `join()` waits for the poll
    before its sessions are used again. A Ctrl-C/SIGTERM is not held up by a poll in flight
    either.
    """

    def __init__(self, clock: Callable[[], float], in_flight: Callable[[], list[str]] | None = None) -> None:
        self.clock = clock
        self.in_flight = in_flight  # the hosts a poll still waits for, when the evaluator knows
        self.thread: threading.Thread | None = None
        self.done: threading.Event | None = None  # set when the poll has its answer

    def busy(self) -> bool:
        """A poll is still reading. Not the thread's liveness: a thread that has set `done`
        may still be exiting, and the restore then took a second session for nothing (a
        second login, seen on Python 3.13)."""
        return self.done is not None and not self.done.is_set()

    def abort(self, nr: Nornir) -> None:
        """Ctrl-C/SIGTERM during a poll: end its reads now instead of waiting for them (a
        slow host held the exit for its whole timeout, deaf to further signals). The
        sockets of the hosts it still reads are shut down: their reads fail at once, and
        libssh2's objects are not freed under them (that aborts the process)."""
        if not self.busy() or self.in_flight is None:
            return
        hosts = getattr(getattr(nr, "inventory", None), "hosts", {})
        for name in self.in_flight():
            if name in hosts:
                cut_short(hosts[name], CONNECTION)

    def join(self, cutting: Nornir | None = None) -> str | None:
        """Wait for a poll still running; a Ctrl-C/SIGTERM meanwhile is recorded (returned),
        not raised: its sessions must not be closed under its reads. `cutting`: the poll was
        aborted, and a session that opens meanwhile (it was still logging in at the abort,
        beyond its reach) is cut too, or the wait lasted that host's whole poll."""
        received: list[str] = []
        if self.thread is not None and self.thread.is_alive():
            with signals_deferred(received):
                while self.thread.is_alive():
                    if cutting is not None:
                        self.abort(cutting)
                    self.thread.join(CUT_AGAIN_S)
        return received[0] if received else None

    def bounded(self, poll: Callable[[], dict[CheckKey, bool]],
                deadline: float) -> Callable[[], dict[CheckKey, bool]]:
        def call() -> dict[CheckKey, bool]:
            box: dict[str, Any] = {}
            done = threading.Event()

            def target() -> None:
                try:
                    box["value"] = poll()
                except BaseException as exc:  # re-raised in the caller's thread
                    box["error"] = exc
                finally:
                    done.set()

            self.thread = threading.Thread(target=target, name="failover-poll", daemon=True)
            self.done = done
            self.thread.start()
            # interrupted while waiting: re-raised at once; the restore then goes out on a
            # second session if this poll is still running (`busy`), and `join` waits for it
            # before its sessions are closed
            finished = done.wait(max(0.0, deadline - self.clock()) + POLL_GRACE_S)
            if not finished:
                hosts = self.in_flight() if self.in_flight is not None else []
                return {(POLL_OVERRUN, h): False for h in hosts or ["still running at the timeout"]}
            if "error" in box:
                raise box["error"]
            return box["value"]

        return call


class Step(NamedTuple):
    """One task on one host: ok, a one-line error, whether the device's diff was not empty,
    and whether the device was reached at all (False: nothing can have been applied)."""

    ok: bool
    error: str | None
    changed: bool = False
    reached: bool = True


def _run_on(nr: Nornir, host: str, task: Callable[..., Any], **kwargs: Any) -> Step:
    """Run one task on one host, even one that failed before (a failed shut must still be
    restored)."""
    result = nr.filter(name=host).run(task=task, on_failed=True, **kwargs)
    multi = result[host]
    if not multi.failed:
        return Step(True, None, bool(multi.changed))
    for r in multi:
        if r.failed:
            reached = not (isinstance(r.result, dict) and r.result.get("reached") is False)
            if r.exception is not None:
                internal = internal_error(r.exception, host)
                if internal is not None:
                    return Step(False, internal, reached=reached)
                text = str(r.exception).strip()
                return Step(False, text.splitlines()[-1] if text else type(r.exception).__name__,
                            reached=reached)
            err = (r.result or {}).get("error") if isinstance(r.result, dict) else None
            return Step(False, err or "failed", reached=reached)
    return Step(False, "failed")


def links_left(es: EthernetSegment, shut: tuple[str, str],
               precheck: Mapping[CheckKey, CheckOutcome],
               polled: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """The ES's links, other than `shut`, that the pre-check saw working: not on a leaf it
    did not poll (`polled`: left out by --hosts/--role) or could not read, not with the LAG
    or ES down on their leaf or the member out of sync. Without one, shutting `shut` may cut
    the CE off (what failover-test must not do without a word)."""
    def failing(check: str, leaf: str) -> tuple[str, ...]:
        outcome = precheck.get((check, leaf))
        return outcome.failing if outcome is not None else ()

    left = []
    for leaf, interfaces in es.members.items():
        if polled is not None and leaf not in polled:
            continue
        if any(not o.ok for (c, h), o in precheck.items() if h == leaf and c in (CONNECT_CHECK, "collect")):
            continue
        if es.lag in failing("lag.up", leaf) or f"{es.name} oper-state" in failing("es.oper_up", leaf):
            continue
        left += [(leaf, i) for i in interfaces
                 if (leaf, i) != shut and f"{es.lag} {i}" not in failing("lacp.members_in_sync", leaf)]
    return left


# how a host that could not be read failed, by the start of its one-line reason (tasks'
# host_error): a login refused is not an unreachable host, nor is a device too slow
_NOT_READ = (("timeout", "timeout"), ("authentication failed", "authentication failed"),
             ("cannot connect", "unreachable"), ("connection lost", "connection lost"))


def _not_read(lost: list[dict[str, str]]) -> str:
    """`2 host(s) not read (1 timeout, 1 authentication failed)`."""
    kinds: dict[str, int] = {}
    for f in lost:
        reason = f["detail"].removeprefix(f"{f['host']}: ")
        kind = next((k for start, k in _NOT_READ if reason.startswith(start)), "error")
        kinds[kind] = kinds.get(kind, 0) + 1
    return f"{len(lost)} host(s) not read ({', '.join(f'{n} {k}' for k, n in kinds.items())})"


def _failures(observed: Mapping[CheckKey, CheckOutcome]) -> list[dict[str, str]]:
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
    """
    es = segment_for(fabric, options.host, options.interface)
    report = FailoverReport(host=options.host, interface=options.interface, segment=es.name,
                            state_file=str(options.state_file))
    fault: Faults = frozenset({(options.host, options.interface)})
    t0 = clock()

    def emit(ev: TimelineEvent) -> None:
        report.timeline.append(ev)
        if on_event is not None:
            on_event(ev)

    degraded_expected: dict[CheckKey, Any] = {}

    # with --force, what failed before the fault is left out of both targets: it would
    # otherwise hold neither target and cost two full timeouts for a certain FAIL
    ignored: set[CheckKey] = set()

    # seconds each host's last read took, when the evaluator says (verify_evaluator does)
    read_seconds: Callable[[], dict[str, float]] = getattr(evaluate, "read_seconds", dict)
    down: set[str] = set()  # hosts the last poll could not reach
    down_polls: dict[str, tuple[int, float]] = {}  # ... in how many polls in a row, since when
    # a poll still running when a phase ends (timeout, Ctrl-C) has its session dropped by
    # us: its "connection lost" says nothing about the host
    phase_over = threading.Event()

    def note_unreachable(observed: Mapping[CheckKey, CheckOutcome]) -> None:
        # a host the poll could not read is said so, once per outage: its checks are not
        # a fabric that broke (`breaks bgp.underlay_established` for a management blip)
        if phase_over.is_set():
            return
        now = {h: o.detail.removeprefix(f"{h}: ") for (c, h), o in observed.items()
               if c == CONNECT_CHECK and not o.ok}
        t = round(clock() - t0, 3)
        for h in sorted(now.keys() - down):
            emit(TimelineEvent(t=t, event="unreachable", host=h, detail=now[h]))
        for h in sorted(down - now.keys()):
            emit(TimelineEvent(t=t, event="reachable", host=h, detail="read again"))
        report.unreachable.update(now)
        for h in list(down_polls):
            if h not in now:
                del down_polls[h]
        for h in now:
            polls, since = down_polls.get(h, (0, clock()))
            down_polls[h] = (polls + 1, since)
        down.clear()
        down.update(now)

    def lost_host() -> str | None:
        """A host unreachable in UNREACHABLE_POLLS polls in a row over a quarter of the timeout
        (at most UNREACHABLE_MAX_S): what it would show cannot be read, so waiting out the
        timeout with the link down would tell nothing more."""
        lasting = min(options.timeout / 4, UNREACHABLE_MAX_S)
        gone = sorted(h for h, (n, since) in down_polls.items()
                      if n >= UNREACHABLE_POLLS and clock() - since >= lasting
                      and (CONNECT_CHECK, h) not in ignored)  # --force: lost before, left out
        if not gone:
            return None
        return f"{', '.join(gone)} unreachable for {lasting:g}s ({UNREACHABLE_POLLS}+ polls in a row): " + \
            "; ".join(f"{h} {report.unreachable.get(h, '')}".strip() for h in gone)

    last_seen: dict[CheckKey, CheckOutcome] = {}

    def read_fabric(faults: Faults) -> dict[CheckKey, CheckOutcome]:
        """One poll of every host, with the hosts it could not reach said on the timeline."""
        observed = evaluate(faults)
        note_unreachable(observed)
        last_seen.update(observed)
        return observed

    def note_failing(outcome: PollOutcome | None) -> None:
        for key in outcome.failing if outcome is not None and not outcome.reached else ():
            seen = last_seen.get(key)
            if seen is not None and seen.detail:
                report.failing_details[key] = seen.detail
            elif key[0] == POLL_OVERRUN:  # no poll result: say what kept it
                took = read_seconds().get(key[1])
                report.failing_details[key] = (
                    f"{key[1]}: its read was still running at the {options.timeout:g}s timeout"
                    + (f" (its last whole read took {took:.1f}s)" if took is not None else ""))

    def observe(faults: Faults) -> dict[CheckKey, bool]:
        observed = read_fabric(faults)
        if faults:
            degraded_expected.update({k: o.expected for k, o in observed.items()})
        return {k: o.ok or k in ignored for k, o in observed.items() if k[0] not in report.not_judged}

    def degraded_event(key: CheckKey, t: float) -> None:
        if key in ignored:
            return
        # an expectation the fault does not change (BGP sessions...) is "unchanged"; so is
        # one the fault only shrinks (leaf1 keeps the DF of its other ES, and stops checking
        # the one whose link is down): what is still checked held before the fault
        before, after = healthy_expected.get(key), degraded_expected.get(key)
        same = before is not None and (before == after or _narrowed(before, after))
        emit(TimelineEvent(t=round(t, 3), event="unchanged" if same else "degraded",
                           check=key[0], host=key[1]))

    def changed_event(key: CheckKey, t: float, holds: bool) -> None:
        if key not in ignored:
            emit(TimelineEvent(t=round(t, 3), event="holds again" if holds else "breaks",
                               check=key[0], host=key[1]))

    poller = _Poller(clock, getattr(evaluate, "in_flight", None))

    def read_now(faults: Faults) -> dict[CheckKey, CheckOutcome]:
        """One poll before the shut, in its own thread: a Ctrl-C/SIGTERM reaches us at once
        and cuts its reads short, instead of waiting behind a slow host (deaf to signals)."""
        try:
            return poller.bounded(lambda: read_fabric(faults), clock() + 1e9)()  # type: ignore[return-value]
        except BaseException:
            phase_over.set()  # cut short by us: its hosts are not "unreachable"
            poller.abort(nr)
            poller.join(cutting=nr)
            raise

    # 1. pre-check: refuse to break an already unhealthy fabric
    read_started = clock()
    healthy = precheck = read_now(NO_FAULTS)
    read_took = clock() - read_started
    healthy_expected = {k: o.expected for k, o in healthy.items()}
    report.precheck_failures = _failures(healthy)
    if report.precheck_failures and warm_up is not None and all(
        f["check"].startswith(TRAFFIC_DEPENDENT) for f in report.precheck_failures
    ):
        # only traffic-learnt state is missing (MACs age out on a quiet fabric): send some
        # CE traffic and give the fabric a few polls to learn and advertise it
        def settle_state() -> dict[CheckKey, bool]:
            warm_up()  # again each round: pings sent before the data plane was up teach nothing
            observed = read_now(NO_FAULTS)
            # what healthy means now: the RT2 and MAC counts expected follow the MACs learnt,
            # and the degraded phase tells "unchanged by the fault" by comparing with these
            healthy_expected.update({k: o.expected for k, o in observed.items()})
            return {k: o.ok for k, o in observed.items()}

        settle = wait_for_state(settle_state, t0=clock(), interval=options.interval,
                                timeout=min(options.timeout, WARM_UP_TIMEOUT_S), clock=clock)
        if settle.reached:
            report.precheck_failures = []
        else:
            precheck = read_now(NO_FAULTS)
            report.precheck_failures = _failures(precheck)
        emit(TimelineEvent(t=round(clock() - t0, 3), event="warm-up", detail="CE traffic sent so MACs are learnt"))
    if report.precheck_failures and not options.force:
        report.refused = True
        lost = [f for f in report.precheck_failures if f["check"] == CONNECT_CHECK]
        failing = len(report.precheck_failures) - len(lost)
        what = ", ".join(part for part in (f"{failing} check(s) failing" if failing else "",
                                           _not_read(lost) if lost else "") if part)
        report.error = f"fabric not healthy: {what}; nothing was changed"
        emit(TimelineEvent(t=round(clock() - t0, 3), event="refused", detail=report.error))
        return report
    threshold = max(options.timeout * SLOW_READ_SHARE, SLOW_READ_MIN_S)
    if read_took > threshold:
        # the first read logged in everywhere (a slow AAA login) and waited out hosts that
        # could not be read (--force leaves them out): the polls will see a warm read of
        # the hosts that answer, so that is what is judged
        read_started = clock()
        again = read_now(NO_FAULTS)
        read_took = clock() - read_started
        unread = {h for (c, h), o in again.items() if c == CONNECT_CHECK and not o.ok}
        answering = [t for h, t in read_seconds().items() if h not in unread]
        if answering:
            read_took = max(answering)
    if read_took > threshold:
        # a fabric read that slow leaves too few polls to see the fault's state before the
        # timeout: the link would stay down the whole --timeout, twice, for no verdict
        report.refused = True
        took = read_seconds()
        slowest = sorted((h for h in took if took[h] > options.timeout * SLOW_READ_SHARE / 2),
                         key=lambda h: -took[h])[:3]
        which = f" (slowest: {', '.join(f'{h} {took[h]:.1f}s' for h in slowest)})" if slowest else ""
        report.error = (f"one read of the fabric took {read_took:.1f}s{which}, over "
                        f"{SLOW_READ_SHARE:.0%} of --timeout {options.timeout:g}s: too few polls to watch "
                        "it converge; nothing was changed (raise --timeout, or see why those hosts answer slowly)")
        emit(TimelineEvent(t=round(clock() - t0, 3), event="refused", detail=report.error))
        return report
    polled = getattr(getattr(nr, "inventory", None), "hosts", None)
    if not links_left(es, (options.host, options.interface), precheck, polled):
        # --force measures despite what was broken before, --hosts polls fewer hosts: neither
        # takes the CE off the fabric
        report.refused = True
        unpolled = [leaf for leaf in es.members if polled is not None and leaf not in polled]
        if unpolled:
            report.error = (f"no other link of {es.name} was checked: {', '.join(unpolled)} left out by "
                            f"--hosts/--role, and shutting {options.host} {options.interface} may cut "
                            f"{es.ce} off; nothing was changed")
        else:
            report.error = (f"--force: no other link of {es.name} passed the pre-check, so shutting "
                            f"{options.host} {options.interface} would cut {es.ce} off; nothing was changed")
        emit(TimelineEvent(t=round(clock() - t0, 3), event="refused", detail=report.error))
        return report
    ignored.update((f["check"], f["host"]) for f in report.precheck_failures)
    if probe is None:  # --no-traffic, or no probe: nothing re-teaches a MAC the shut flushed
        report.not_judged = relearnt_from_traffic(healthy)
    emit(TimelineEvent(t=round(clock() - t0, 3), event="precheck",
                       detail="healthy" if not report.precheck_failures else
                       f"{len(report.precheck_failures)} failing, --force: left out of the targets"))

    shut_sent = False
    phase = "shut"
    restored_at = joined_at = 0.0
    with sigterm_raises():
        try:
            if probe is not None:
                probe.start()
            # the state file exists before the shut is sent: a SIGKILL at any later
            # instant still leaves enough to undo it with --restore
            write_state(options.state_file, {
                "kind": STATE_KIND, **(state_doc or {}), "phase": PHASE_SHUT, "host": options.host,
                "interface": options.interface, "segment": es.name, "time": time.time(),
            })
            shut_sent = True
            sent_at = t0 = clock()
            shut = _run_on(nr, options.host, shut_interface, interface=options.interface)
            # the fabric starts converging once the commit applied the shut: count from there
            t0 = clock()
            if not shut.ok:
                report.shut_error = shut.error
                if not shut.reached:  # never connected: nothing was applied, nothing to restore
                    shut_sent = False
                    remove_state(options.state_file)
                raise _StepFailed(f"shut failed: {shut.error}")
            report.shut_commit_s = round(t0 - sent_at, 3)
            if not shut.changed:
                # an empty diff: the interface was already disabled (an operator's shut). The
                # fault is already there, so there is nothing to measure (with --force what it
                # breaks is ignored and "degraded" would hold at once), and a restore would
                # enable a port someone shut on purpose
                report.already_disabled = True
                detail = (f"{options.interface} was already admin-state disable: "
                          "nothing to test; left as found")
                emit(TimelineEvent(t=0.0, event="left-as-found", host=options.host, detail=detail))
                raise _StepFailed(f"{options.host} {detail}")
            emit(TimelineEvent(t=0.0, event="shut", host=options.host,
                               detail=f"{options.interface} admin-state disable"))
            phase = "convergence"
            down_polls.clear()  # what counts is the outage during this phase
            report.degraded = wait_for_state(
                poller.bounded(lambda: observe(fault), t0 + options.timeout),
                t0=t0, interval=options.interval, timeout=options.timeout,
                clock=clock,
                on_first_held=degraded_event, on_poll=on_poll, on_change=changed_event,
                stop=lost_host,
            )
            note_failing(report.degraded)
            if report.degraded.reached:
                emit(TimelineEvent(t=round(report.degraded.converged_s or 0.0, 3), event="converged",
                                   detail="degraded state reached"))
            elif report.degraded.stopped:
                emit(TimelineEvent(t=round(clock() - t0, 3), event="stopped",
                                   detail=f"degraded state not watched to its end: {report.degraded.stopped}"))
            else:
                emit(TimelineEvent(t=round(clock() - t0, 3), event="timeout",
                                   detail=f"degraded state not reached in {options.timeout:g}s: "
                                          + ", ".join(f"{c}@{h}" for c, h in report.degraded.failing[:6])))
        except _StepFailed as exc:
            report.error = str(exc)
        except KeyboardInterrupt:
            report.note_interrupt("SIGINT", phase)
        except Terminated as exc:
            report.note_interrupt(exc.signame, phase)
        except Exception as exc:  # any failure still must restore below
            report.error = f"{type(exc).__name__}: {exc}"
        finally:
            if report.already_disabled:
                # nothing to restore: the state file must not send a --restore to enable it
                remove_state(options.state_file)
            elif shut_sent:
                phase_over.set()
                if report.interrupted:
                    poller.abort(nr)  # cut short by us: its hosts are not "unreachable"
                # a poll still running at the timeout keeps its session: restore on a second
                # one rather than hold the link down until that poll ends
                _restore(nr, options, report, t0, clock, emit, spare=poller.busy())
                restored_at = clock()  # recovery counts from here, not from the end of the wait below
                # before anything else uses the sessions it reads (joined whether or not the
                # run was interrupted: `interrupted or join()` skipped it on an interrupt)
                report.note_interrupt(poller.join(cutting=nr if report.interrupted else None), phase)
                joined_at = clock()

    # 6. recovery (only when the link is back)
    # a shut that failed broke nothing to recover from (the restore still went out, in case
    # it applied): "healthy again after 0.07s" would time a failover that never happened
    if report.restore_ok and report.interrupted is None and report.shut_error is None:
        phase_over.clear()
        t_restore = restored_at
        offset = t_restore - t0
        # times count from the restore; the --timeout for recovery starts once the degraded
        # phase's last poll (behind a slow host) has ended: waiting for it spent the whole
        # recovery timeout before the first recovery poll
        held_up = max(0.0, joined_at - t_restore)
        try:
            with sigterm_raises():
                report.recovery = wait_for_state(
                    poller.bounded(lambda: observe(NO_FAULTS), joined_at + options.timeout),
                    t0=t_restore, interval=options.interval, timeout=options.timeout + held_up, clock=clock,
                    on_change=lambda key, t, holds: changed_event(key, offset + t, holds),
                )
        except KeyboardInterrupt:
            report.note_interrupt("SIGINT", "recovery")
        except Terminated as exc:
            report.note_interrupt(exc.signame, "recovery")
        if report.interrupted:
            phase_over.set()  # the poll in flight is cut short by us: its hosts are not lost
            poller.abort(nr)
        note_failing(report.recovery)
        if report.recovery is not None:
            if report.recovery.reached:
                emit(TimelineEvent(t=round(offset + (report.recovery.converged_s or 0.0), 3),
                                   event="recovered", detail=f"healthy again after "
                                   f"{report.recovery.converged_s:.2f}s"))
            else:
                emit(TimelineEvent(t=round(clock() - t0, 3), event="timeout",
                                   detail="healthy state not reached after restore: "
                                          + ", ".join(f"{c}@{h}" for c, h in report.recovery.failing[:6])))
    # a recovery poll past its timeout, or cut short by Ctrl-C: the caller closes the
    # sessions next, and must not close one under its reads
    report.note_interrupt(poller.join(cutting=nr if report.interrupted else None), "recovery")
    if probe is not None:
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
        broken = ces_failing_before(fabric, report.precheck_failures) if options.force else set()
        report.traffic_left_out = [t for t in report.traffic.per_target if names.get(t) in broken]
    report.ok = bool(
        report.degraded and report.degraded.reached and report.restore_ok
        and report.recovery and report.recovery.reached and report.interrupted is None
        and report.error is None and not report.traffic_failures
    )
    return report


class _StepFailed(Exception):
    pass


def _restore(nr: Nornir, options: FailoverOptions, report: FailoverReport, t0: float,
             clock: Callable[[], float], emit: Callable[[TimelineEvent], None], *,
             spare: bool = False) -> None:
    """Re-enable the interface with signals deferred; keep the state file if it fails.

    `spare`: a poll still reads the host's session, so the restore opens a second one and
    runs in this thread (not queued behind that poll's hosts in the worker pool).
    """
    if spare:
        nr = nr.with_runner(SerialRunner())
    received: list[str] = []
    report.restore_attempted = True
    # After a clean run the session that shut the link (and polled since) is idle and sound:
    # reuse it, so the test logs in once per host. After an error, an interrupt or a failed
    # attempt its state is unknown (a command may have left half an answer): a fresh one.
    suspect = report.error is not None or report.interrupted is not None
    sent_at = clock()
    deadline = time.monotonic() + options.timeout
    delay = RESTORE_RETRY_DELAY_S
    with signals_deferred(received):
        attempt = 0
        while True:
            sent_at = clock()  # the commit's own time is the last attempt's, not the retries'
            try:
                step = _run_on(nr, options.host, restore_interface, interface=options.interface,
                               fresh_connection=suspect or attempt > 0, spare_connection=spare)
                ok, err = step.ok, step.error
            except Exception as exc:  # reported loudly, never swallowed
                ok, err = False, f"{type(exc).__name__}: {exc}"
            attempt += 1
            # a device that refused the commit will refuse it again; a dropped session, or
            # a candidate locked by another session, may not
            if ok or refused_for_good(err):
                break
            # an interrupt (the one that brought us here, or one since) ends the retries after
            # RESTORE_ATTEMPTS: the operator asked to stop, and is told the link is still down
            if attempt >= RESTORE_ATTEMPTS and (received or report.interrupted
                                                or time.monotonic() + delay > deadline):
                break
            emit(TimelineEvent(t=round(clock() - t0, 3), event="restore-retry", host=options.host,
                               detail=f"attempt {attempt} failed ({err}); again in {delay:g}s"))
            wake = time.monotonic() + delay
            while time.monotonic() < wake and not (received and attempt >= RESTORE_ATTEMPTS):
                time.sleep(min(0.05, max(0.0, wake - time.monotonic())))  # a signal ends the wait
            delay = min(delay * 2, RESTORE_RETRY_MAX_S)
    report.restore_ok, report.restore_error = ok, err
    report.restore_commit_s = round(clock() - sent_at, 3)
    report.note_interrupt(received[0] if received else None, "restore")
    emit(TimelineEvent(t=round(clock() - t0, 3), event="restore" if ok else "restore-failed",
                       host=options.host,
                       detail=f"{options.interface} admin-state enable" if ok else str(err)))
    if ok:
        remove_state(options.state_file)


def restore_from_state(
    nr: Nornir, doc: Mapping[str, Any], state_file: Path, evaluate: Evaluator | None,
    *, interval: float = 0.5, timeout: float = 60.0,
) -> FailoverReport:
    """`failover-test --restore`: re-enable the interface a killed run left down, verify."""
    host, interface = str(doc["host"]), str(doc["interface"])
    report = FailoverReport(host=host, interface=interface, segment=doc.get("segment"),
                            state_file=str(state_file))
    t0 = time.monotonic()
    report.restore_attempted = True
    delay, deadline, attempt = RESTORE_RETRY_DELAY_S, t0 + timeout, 0
    while True:
        step = _run_on(nr, host, restore_interface, interface=interface, fresh_connection=attempt > 0)
        ok, err = step.ok, step.error
        attempt += 1
        # a lock or a dropped session ends by itself: try again while the timeout lasts
        if ok or refused_for_good(err) or time.monotonic() + delay > deadline:
            break
        time.sleep(delay)
        delay = min(delay * 2, RESTORE_RETRY_MAX_S)
    report.restore_ok, report.restore_error = ok, err
    report.timeline.append(TimelineEvent(t=0.0, event="restore" if ok else "restore-failed", host=host,
                                         detail=f"{interface} admin-state enable" if ok else str(err)))
    if ok and evaluate is not None:
        def healthy() -> dict[CheckKey, bool]:  # no CE traffic here either: MACs are not judged
            observed = evaluate(NO_FAULTS)
            report.not_judged = relearnt_from_traffic(observed)
            return {k: o.ok for k, o in observed.items() if k[0] not in report.not_judged}

        report.recovery = wait_for_state(healthy, t0=time.monotonic(), interval=interval, timeout=timeout)
        if report.recovery.reached:
            report.timeline.append(TimelineEvent(t=round(time.monotonic() - t0, 3), event="recovered"))
    report.ok = bool(ok and (evaluate is None or (report.recovery and report.recovery.reached)))
    if ok:
        remove_state(state_file, owner=doc)
    return report
