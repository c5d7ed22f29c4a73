"""The verify engine as a failover `Evaluator`: every check on every host, once per call,
against the intent under a fault set."""

from __future__ import annotations

import threading
import time
from typing import Any

from nornir.core import Nornir

from nornir_evpn.failover.model import CheckOutcome, Evaluator, Faults
from nornir_evpn.failures import task_error
from nornir_evpn.intent import FabricIntent
from nornir_evpn.polling import CheckKey


def default_checks() -> list[Any]:
    """Every check of the verify catalog, in catalog order."""
    from nornir_evpn.checks import resolve_checks

    return resolve_checks(None)


def outcome_of(r: Any) -> CheckOutcome:
    """A verify `CheckResult` as a failover expectation's outcome: a failed one keeps its
    failing items and what was observed of them (--force judges the others)."""
    if r.ok:
        return CheckOutcome(True, r.detail, r.expected)
    failing = tuple(k for k, v in r.expected.items() if r.observed.get(k) != v)
    return CheckOutcome(False, r.detail, r.expected, failing, r.observed)


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
                out[(r.check, host)] = outcome_of(r)
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
