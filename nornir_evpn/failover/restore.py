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
    Evaluator,
    FailoverOptions,
    FailoverReport,
    TimelineEvent,
    relearnt_from_traffic,
)
from nornir_evpn.failover_state import remove_state
from nornir_evpn.internal import internal_error
from nornir_evpn.polling import CheckKey, wait_for_state
from nornir_evpn.tasks.failover import restore_interface

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


class Step(NamedTuple):
    """One task on one host: ok, a one-line error, whether the device's diff was not empty,
    and whether the device was reached at all (False: nothing can have been applied)."""

    ok: bool
    error: str | None
    changed: bool = False
    reached: bool = True


def run_on(nr: Nornir, host: str, task: Callable[..., Any], **kwargs: Any) -> Step:
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


def restore_after_shut(nr: Nornir, options: FailoverOptions, report: FailoverReport, t0: float,
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
                step = run_on(nr, options.host, restore_interface, interface=options.interface,
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
        step = run_on(nr, host, restore_interface, interface=interface, fresh_connection=attempt > 0)
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
