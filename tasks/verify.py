"""Nornir tasks for `verify`: one batch of `show` commands per host, then the check catalog.

The task is read-only. `collect_outputs` is reusable on its own (failover-test polls with
it); `verify_host` = collect + `nornir_evpn.checks.evaluate`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

from nornir.core.task import Result, Task
from nornir_evpn.tasks.cli_lines import (
    CONNECTION,
    DEFAULT_BATCH_LINES,
    drop_connection,
    log_failure,
    run_commands,
)

from nornir_evpn import platform, ssh2_guard, uncommitted
from nornir_evpn.checks import CommandFailure, Fault, commands_for, evaluate_host
from nornir_evpn.errors import UserInputError
from nornir_evpn.failures import LOST, host_error
from nornir_evpn.intent import FabricIntent
from nornir_evpn.parsers.tables import clean_lines
from nornir_evpn.session import host_lock, name_session, session_lock
from nornir_evpn.validation import assert_one_line


def collect_outputs(
    task: Task, commands: Sequence[str], batch_lines: int = DEFAULT_BATCH_LINES,
) -> dict[str, str | CommandFailure]:
    """Send `commands` in one batch (`batch_lines` per round trip, 1 = scrapli's
    `send_commands`); {command: output or CommandFailure}.

    Connection errors propagate (the caller turns them into one line).
    """
    if not commands:
        return {}
    ssh2_guard.install()  # a dropped session must never freeze the process when it is freed
    with host_lock(task.host):  # opened once when two runs of one Nornir object start together
        conn = task.host.get_connection(CONNECTION, task.nornir.config)
    name_session(conn, task.host.name)
    # one exchange at a time per session: two runs of one Nornir object at once (a service's
    # two requests) read each other's answers, a healthy host failing its checks
    with session_lock(conn):
        answers = run_commands(conn, commands, batch_lines)
    out: dict[str, str | CommandFailure] = {}
    for cmd, text in zip(commands, answers, strict=True):
        if platform.show_failed(text):
            reason = " ".join(" ".join(clean_lines(text)).split())
            out[cmd] = CommandFailure(reason[:200] or "failed")
        else:
            out[cmd] = text
    return out


def _drop_if_current(host: Any, used: Any) -> None:
    """Drop the host's session if it is still the one that failed (`used`; None: whichever
    is there): another run of the same Nornir object may already have opened a fresh one,
    which is not to be closed under its reads."""
    with host_lock(host):
        current = host.connections.get(CONNECTION)
        if current is not None and (used is None or current is used):
            driver = getattr(current, "connection", None)
            # not under another run's read of it (an ssh2 session freed mid-read aborts)
            with session_lock(driver) if driver is not None else contextlib.nullcontext():
                drop_connection(host)


def verify_host(
    task: Task,
    fabric: FabricIntent,
    checks: Sequence[str] | None = None,
    faults: Iterable[Fault] = frozenset(),
    batch_lines: int = DEFAULT_BATCH_LINES,
    keep_outputs: bool = False,
    cancel: threading.Event | None = None,
) -> Result:
    """Collect the `show` outputs the checks need and evaluate them (`batch_lines` as in
    `collect_outputs`). `keep_outputs`: result["outputs"] = {command: its raw output (a
    failed one: the device's error)}, for `verify --outputs DIR`.

    `Result.result` = {"checks": [{name, ok, expected, observed, detail}], "error", "seconds"},
    and "not_judged": {check: why} when a check that applies could not be judged (its cause is
    another check's failure);
    failed when a check fails or the host cannot be reached (error = one line). `cancel`: the
    run's interrupt, set before it cuts the reads in flight short (a read it cut is
    `interrupted: not read`, not a connection the device lost).
    """
    started = time.monotonic()

    def failed(error: str, step: str = "verify") -> Result:
        log_failure(task, step, error)
        return Result(host=task.host, failed=True, result={
            "checks": [], "error": error, "seconds": round(time.monotonic() - started, 3),
        })

    faults = frozenset(faults)
    if task.host.name not in fabric.nodes:
        return failed(str(fabric.gap(task.host.name)))
    try:
        commands = commands_for(fabric, task.host.name, checks, faults)
        assert_one_line(commands, f"{task.host.name}: show command")
        used = task.host.connections.get(CONNECTION)  # a session an earlier run left open
        try:
            try:
                outputs = collect_outputs(task, commands, batch_lines)
            except Exception as exc:
                # a kept session the device ended meanwhile (a reboot, an idle timeout): only
                # reads, so once more on a fresh one, not a false alarm in a scheduled verify
                if used is None or uncommitted.cancelled(cancel) or not host_error(task.host, exc).startswith(LOST):
                    raise
                _drop_if_current(task.host, used)
                used = None
                outputs = collect_outputs(task, commands, batch_lines)
        except Exception as exc:  # any transport/auth/timeout problem: one line, no traceback
            _drop_if_current(task.host, used)
            error = "interrupted: not read" if uncommitted.cancelled(cancel) else host_error(task.host, exc)
            return failed(error, "verify (login, show commands)")
        evaluation = evaluate_host(fabric, task.host.name, outputs, faults, checks)
        results = evaluation.results
    except UserInputError as exc:  # an unsafe value of a hand-built intent, an unknown check
        return failed(str(exc))       # name: nothing is sent, one line
    except KeyError:  # a node the checks look up is missing: say which, not KeyError('spine1')
        gap = fabric.gap(task.host.name)
        if gap is None:
            raise
        return failed(gap)
    data: dict[str, Any] = {
        "checks": [r.as_dict() for r in results],
        "error": None,
        "seconds": round(time.monotonic() - started, 3),
    }
    if evaluation.not_judged:
        data["not_judged"] = evaluation.not_judged
    if keep_outputs:
        data["outputs"] = {c: o if isinstance(o, str) else o.reason for c, o in outputs.items()}
    failing = list(dict.fromkeys(r.check for r in results if not r.ok))
    if failing:  # the log named a host it could not read, not one whose checks failed
        log_failure(task, "verify (checks)", f"{len(failing)} of {len({r.check for r in results})} "
                    f"check(s) failed: {', '.join(failing)} (--json has each item)")
    return Result(host=task.host, failed=bool(failing), result=data)

