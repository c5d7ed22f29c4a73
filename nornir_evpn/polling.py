"""Polling a fabric until a state holds, timing when each expectation first held.

`wait_for_state(state, t0=..., interval=..., timeout=...)` calls `state()` (one read of the
fabric: {(check, host): holds}) every `interval` s until every expectation holds, the
timeout passes, or `stop()` gives a reason to end early; the `PollOutcome` says when each
expectation first held (failover-test's convergence and recovery). Pure: no device access.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from nornir_evpn.intent import natural_key

CheckKey = tuple[str, str]  # (check name, host)
CONNECT_CHECK = "connect"  # the check name of a poll's host that could not be reached or read


def _failing_order(key: CheckKey) -> tuple[str, list[object]]:
    return key[0], natural_key(key[1])


@dataclass
class PollOutcome:
    """What `wait_for_state` saw: when each expectation first held, and when all did."""

    reached: bool
    converged_s: float | None
    first_held: dict[CheckKey, float] = field(default_factory=dict)
    # (key, t, holds): an expectation that held and stopped holding, or held again after
    changes: list[tuple[CheckKey, float, bool]] = field(default_factory=list)
    failing: list[CheckKey] = field(default_factory=list)  # still failing at the end
    polls: int = 0
    error: str | None = None
    stopped: str | None = None  # why the wait ended before its timeout without the state
    # when reached: the poll before the one that found the state saw it not holding, so it
    # began to hold after that poll started (seconds since t0; 0 when the first poll found it)
    converged_after_s: float | None = None
    # the longer of those two polls: above `interval` (a host slow to answer, a stalled
    # link), the time measured is that coarse, an upper bound that far from the lower one
    slowest_poll_s: float = 0.0
    interval: float = 0.0  # the interval asked for


def wait_for_state(
    state: Callable[[], Mapping[CheckKey, bool]],
    *,
    t0: float,
    interval: float,
    timeout: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    on_first_held: Callable[[CheckKey, float], None] | None = None,
    on_poll: Callable[[], None] | None = None,
    on_change: Callable[[CheckKey, float, bool], None] | None = None,
    stop: Callable[[], str | None] | None = None,
) -> PollOutcome:
    """Poll `state()` every `interval` s until all expectations hold or `timeout` passes.

    `on_first_held(key, t)` is called for each expectation the first time it holds,
    `on_change(key, t, holds)` when one that held stops holding (False) and when it holds
    again (True): the convergence then waits for it, and the timeline must say why. `on_poll()`
    comes after each poll's calls (a printer can print them together). `stop()`, asked after
    each poll that did not reach the state, ends the wait early when it gives a reason
    (`outcome.stopped`): the state can no longer be seen (a host that stays unreachable).

    Times are seconds since `t0`, taken when a poll *completes*: the outputs it read are
    at least that old, so a measured convergence is never shorter than the real one counted
    from `t0` (failover-test's `t0` is the end of a commit, whose change may have applied
    before its answer came: `FailoverReport.commit_bound`). Nor is it longer than the real
    one by more than the last two polls took (`converged_after_s`, `slowest_poll_s`): one
    host slow to answer holds every expectation's time back to the end of its poll.
    """
    outcome = PollOutcome(reached=False, converged_s=None, interval=interval)
    deadline = t0 + timeout
    broken: set[CheckKey] = set()
    before: tuple[float, float] | None = None  # the previous poll's start and duration
    while True:
        started = clock()
        observed = state()
        ended = clock()
        now = ended - t0
        outcome.polls += 1
        for key, ok in observed.items():
            if ok and key not in outcome.first_held:
                outcome.first_held[key] = now
                if on_first_held is not None:
                    on_first_held(key, now)
            elif key in outcome.first_held and ok == (key in broken):  # held <-> not any more
                (broken.discard if ok else broken.add)(key)
                outcome.changes.append((key, now, ok))
                if on_change is not None:
                    on_change(key, now, ok)
        if on_poll is not None:
            on_poll()
        # by check, then host in natural order (leaf2 before leaf10: the `never held` rows
        # and --json's never_held/not_recovered of a 10-leaf fabric read leaf1, leaf10, leaf2)
        outcome.failing = sorted((k for k, ok in observed.items() if not ok), key=_failing_order)
        if observed and not outcome.failing:
            outcome.reached, outcome.converged_s = True, now
            outcome.converged_after_s = 0.0 if before is None else max(0.0, before[0] - t0)
            outcome.slowest_poll_s = max(ended - started, 0.0 if before is None else before[1])
            return outcome
        if stop is not None and (why := stop()) is not None:
            outcome.stopped = why
            return outcome
        before = (started, ended - started)
        if clock() >= deadline:
            return outcome
        sleep(max(0.0, min(started + interval, deadline) - clock()))
