"""One step on one host (the shut, the restore), and the restore's retries: a restore that
cannot reach the leaf, or finds its candidate locked, is tried again; one the device
refuses is not."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

from nornir.core import Nornir
from nornir.plugins.runners import SerialRunner

from nornir_evpn.failover.interrupts import signals_deferred
from nornir_evpn.failover.model import (
    NO_FAULTS,
    CheckOutcome,
    Evaluator,
    FailoverOptions,
    FailoverReport,
    TimelineEvent,
    last_details,
    relearnt_from_traffic,
)
from nornir_evpn.failover_state import STATE_ADMIN_STATE_DEFAULT, remove_state
from nornir_evpn.internal import internal_error
from nornir_evpn.polling import CheckKey, wait_for_state
from nornir_evpn.tasks.failover import restore_interface, set_admin_state

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
# the device's own marker (`Error: ...`), not the end of a Python exception's name: a
# transport error said as `OSError: [Errno 113] No route to host` or `EOFError: ...`
# (`failures.one_line`) is a network problem, tried again like a dropped session
_DEVICE_ERROR = re.compile(r"(?<![A-Za-z0-9_])Error:")
# internal.internal_error's one line, at the start or after the step's context
_INTERNAL = re.compile(r"(?:^|: )internal error \(")


def refused_for_good(error: str | None) -> bool:
    """The device refused the restore and will refuse it again (a validation error); not a
    lock or a commit in progress, which end by themselves, nor a network error."""
    text = str(error)
    # a bug of ours: the same again on every attempt. Said alone when the task raised, and
    # after `leaf1: ethernet-1/1 admin-state enable not committed: ` when apply_config caught it
    if _INTERNAL.search(text):
        return True
    return _DEVICE_ERROR.search(text) is not None and not _BUSY.search(text)


class Step(NamedTuple):
    """One task on one host: ok, a one-line error, whether the device's diff was not empty,
    whether the device was reached at all (False: nothing can have been applied), the
    task's result dict when it succeeded (None otherwise), and whether the device refused a
    line before any commit was sent (True: nothing was applied, see `set_admin_state`)."""

    ok: bool
    error: str | None
    changed: bool = False
    reached: bool = True
    result: Mapping[str, Any] | None = None
    refused: bool = False


def run_on(nr: Nornir, host: str, task: Callable[..., Any], **kwargs: Any) -> Step:
    """Run one task on one host, even one that failed before (a failed shut must still be
    restored)."""
    result = nr.filter(name=host).run(task=task, on_failed=True, **kwargs)
    multi = result[host]
    if not multi.failed:
        own = multi[0].result if isinstance(multi, list) and multi else None  # (a MultiResult is a list)
        return Step(True, None, bool(multi.changed), result=own if isinstance(own, Mapping) else None)
    for r in multi:
        if r.failed:
            reached = not (isinstance(r.result, dict) and r.result.get("reached") is False)
            refused = isinstance(r.result, dict) and r.result.get("refused") is True
            if r.exception is not None:
                internal = internal_error(r.exception, host)
                if internal is not None:
                    return Step(False, internal, reached=reached)
                text = str(r.exception).strip()
                return Step(False, text.splitlines()[-1] if text else type(r.exception).__name__,
                            reached=reached, refused=refused)
            err = (r.result or {}).get("error") if isinstance(r.result, dict) else None
            return Step(False, err or "failed", reached=reached, refused=refused)
    return Step(False, "failed")


def enable_with_retries(
    nr: Nornir, host: str, interface: str, *, timeout: float, clock: Callable[[], float],
    fresh: bool = False, spare: bool = False, stop: Callable[[], bool] = lambda: False,
    on_retry: Callable[[int, str | None, float], None] | None = None, as_default: bool = False,
) -> tuple[bool, str | None, float]:
    """`admin-state enable` until it applies or the device refuses it for good (a refused
    commit will be refused again; a dropped session or a locked candidate may not be), and
    at least RESTORE_ATTEMPTS times unless the timeout passes or `stop()` says so (then
    a wait between attempts ends early too). (ok, one-line error, when the last attempt
    was sent: the commit's own time is the last attempt's, not the retries'; but when the
    last attempt found the interface enabled already, an earlier one whose answer was lost
    (`it may have committed`) changed the link: when the first attempt that reached the host
    was sent, as the recovery may have begun any time after it).

    `fresh`: the first attempt on a new session too (after an error or an interrupt the
    old one's state is unknown); `spare`: on a second session (see `set_admin_state`).
    `on_retry(attempt, error, delay)` before each wait. `as_default`: the interface had no
    admin-state of its own before the shut: the restore deletes the leaf (`restore_interface`).
    """
    deadline = time.monotonic() + timeout
    delay = RESTORE_RETRY_DELAY_S
    attempt = 0
    first_reached: float | None = None  # when the first attempt that reached the host was sent
    while True:
        sent_at = clock()
        changed = reached = True  # an exception: it may have got anywhere
        try:
            step = run_on(nr, host, restore_interface, interface=interface,
                          fresh_connection=fresh or attempt > 0, spare_connection=spare,
                          as_default=as_default)
            ok, err, changed, reached = step.ok, step.error, step.changed, step.reached
        except Exception as exc:  # reported loudly, never swallowed
            ok, err = False, f"{type(exc).__name__}: {exc}"
        attempt += 1
        if ok and not changed and first_reached is not None:
            # enabled already: an earlier attempt's commit applied and its answer was lost (a
            # stalled link); the recovery began after that one was sent, not after this one
            return ok, err, first_reached
        if reached and first_reached is None:
            first_reached = sent_at
        if ok or refused_for_good(err):
            return ok, err, sent_at
        if attempt >= RESTORE_ATTEMPTS and (stop() or time.monotonic() + delay > deadline):
            return ok, err, sent_at
        if on_retry is not None:
            on_retry(attempt, err, delay)
        wake = time.monotonic() + delay
        while time.monotonic() < wake and not (attempt >= RESTORE_ATTEMPTS and stop()):
            time.sleep(min(0.05, max(0.0, wake - time.monotonic())))  # a signal ends the wait
        delay = min(delay * 2, RESTORE_RETRY_MAX_S)


def restored_detail(interface: str, as_default: bool) -> str:
    """The restore's timeline detail: what was sent (a deleted leaf is no `admin-state enable`
    in the configuration, though the port is enabled all the same)."""
    if as_default:
        return f"{interface} admin-state enable (its default: the shut's admin-state deleted)"
    return f"{interface} admin-state enable"


def enabled_of_its_own(nr: Nornir, host: str, interface: str) -> bool:
    """The running configuration sets `admin-state enable` on `interface` (read through a
    dry run of the delete, nothing committed). A killed run's state file says the port had
    no admin-state of its own; a `configure` since then (or an operator) may have enabled it
    with one, which the delete would take away again: then the restore sets `enable`, a
    no-op, instead. Unread (the host unreachable): False, and the restore says why."""
    try:
        step = run_on(nr, host, set_admin_state, interface=interface, enabled=True, as_default=True,
                      dry_run=True)
    except Exception:  # the restore's own attempts report it
        return False
    return step.ok and (step.result or {}).get("was") == "enable"


def restore_after_shut(nr: Nornir, options: FailoverOptions, report: FailoverReport, t0: float,
                       clock: Callable[[], float], emit: Callable[[TimelineEvent], None], *,
                       spare: bool = False, as_default: bool = False) -> float:
    """Re-enable the interface with signals deferred; keep the state file if it fails.
    Returns the clock's time of the `restore` event: the recovery counts from that instant.

    `spare`: a poll still reads the host's session, so the restore opens a second one and
    runs in this thread (not queued behind that poll's hosts in the worker pool).
    `as_default`: the shut found no admin-state configured: the restore deletes the leaf.
    """
    if spare:
        nr = nr.with_runner(SerialRunner())
    received: list[str] = []
    report.restore_attempted = True
    # After a clean run the session that shut the link (and polled since) is idle and sound:
    # reuse it, so the test logs in once per host. After an error, an interrupt or a failed
    # attempt its state is unknown (a command may have left half an answer): a fresh one.
    suspect = report.error is not None or report.interrupted is not None
    with signals_deferred(received):
        # an interrupt (the one that brought us here, or one since) ends the retries after
        # RESTORE_ATTEMPTS: the operator asked to stop, and is told the link is still down
        ok, err, sent_at = enable_with_retries(
            nr, options.host, options.interface, timeout=options.timeout, clock=clock,
            fresh=suspect, spare=spare, stop=lambda: bool(received or report.interrupted),
            as_default=as_default,
            on_retry=lambda attempt, err, delay: emit(TimelineEvent(
                t=round(clock() - t0, 3), event="restore-retry", host=options.host,
                detail=f"attempt {attempt} failed ({err}); again in {delay:g}s")))
    report.restore_ok, report.restore_error = ok, err
    report.restore_commit_s = round(clock() - sent_at, 3)
    report.note_interrupt(received[0] if received else None, "restore")
    restored_at = clock()
    emit(TimelineEvent(t=round(restored_at - t0, 3), event="restore" if ok else "restore-failed",
                       host=options.host,
                       detail=restored_detail(options.interface, as_default) if ok else str(err)))
    if ok:
        remove_state(options.state_file)
    return restored_at


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
    # a run that found no admin-state configured says so in the file after its shut; but
    # since the kill someone may have enabled the port with a value of its own
    as_default = doc.get(STATE_ADMIN_STATE_DEFAULT) is True and not enabled_of_its_own(nr, host, interface)
    # a lock or a dropped session ends by itself: try again while the timeout lasts
    ok, err, _sent_at = enable_with_retries(nr, host, interface, timeout=timeout, clock=time.monotonic,
                                            as_default=as_default)
    report.restore_ok, report.restore_error = ok, err
    report.timeline.append(TimelineEvent(t=0.0, event="restore" if ok else "restore-failed", host=host,
                                         detail=restored_detail(interface, as_default) if ok else str(err)))
    if ok and evaluate is not None:
        last: dict[CheckKey, CheckOutcome] = {}  # what the last poll saw: `not recovered` says it

        def healthy() -> dict[CheckKey, bool]:  # no CE traffic here either: MACs are not judged
            observed = evaluate(NO_FAULTS)
            last.update(observed)
            report.not_judged = relearnt_from_traffic(observed)
            return {k: o.ok for k, o in observed.items() if k[0] not in report.not_judged}

        report.recovery = wait_for_state(healthy, t0=time.monotonic(), interval=interval, timeout=timeout)
        if report.recovery.reached:
            report.timeline.append(TimelineEvent(t=round(time.monotonic() - t0, 3), event="recovered"))
        else:
            report.recovery_failing_details.update(last_details(report.recovery, last))
    report.ok = bool(ok and (evaluate is None or (report.recovery and report.recovery.reached)))
    if ok:
        remove_state(state_file, owner=doc)
    return report
