"""Failover building blocks as embeddable Nornir tasks and helpers.

* `shut_interface` / `restore_interface`: one interface's admin state through a *private*
  candidate and `commit now` (other operators' candidates stay untouched).
* `wait_for_state`: poll a state function until every expectation holds, recording when
  each one first held (convergence measurement).
* `TrafficProbe`: a background `ping` from a CE (SSH to the twin's CE shell, or
  `docker exec` on a containerlab host) that counts sent/lost packets.

Nothing here prints; the orchestration lives in `nornir_evpn.failover`.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nornir.core.task import Result, Task
from nornir_evpn.tasks.config import (
    CONNECTION,
    SPARE_CONNECTION,
    apply_config,
    drop_connection,
    host_error,
    log_failure,
)

from nornir_evpn import platform, session, ssh2_guard
from nornir_evpn.errors import DeviceError

__all__ = [
    "CheckKey",
    "PingRunner",
    "PollOutcome",
    "TrafficProbe",
    "TrafficStats",
    "docker_ping_runner",
    "parse_ping",
    "restore_interface",
    "set_admin_state",
    "shut_interface",
    "ssh_ping_runner",
    "wait_for_state",
]


# --------------------------------------------------------------------------- admin state


def set_admin_state(task: Task, interface: str, enabled: bool, fresh_connection: bool = False,
                    spare_connection: bool = False) -> Result:
    """Set `interface` admin-state through `apply_config` (private candidate, commit now).

    `fresh_connection` drops a cached session first: after an interrupted command the old
    channel may still hold half an answer, and a restore must not trip over it.
    `spare_connection` uses a second session, opened for this and closed after: for a
    restore while a poll still reads the host's session (which must not be closed under it).
    result = {"interface", "admin_state", "committed", "diff", "error", "reached"}; reached is
    False when the host could not be reached at all (nothing can have been applied).
    """
    state = "enable" if enabled else "disable"
    if not platform.INTERFACE_NAME_RE.match(interface):
        # a typo the device would refuse (`Ethernet1/1`, `eth1`): said here, nothing sent
        error = f"{interface!r} is not an SR Linux interface name (ethernet-N/M, lagN, ...)"
        return Result(host=task.host, failed=True, changed=False, result={
            "interface": interface, "admin_state": state, "committed": False, "diff": "",
            "error": error, "reached": False})
    connection = SPARE_CONNECTION if spare_connection else CONNECTION
    if fresh_connection or spare_connection:
        drop_connection(task.host, connection)  # a broken session is exactly why we reconnect
    try:
        applied = apply_config(task, [platform.set_interface_admin_state(interface, enabled)], mode="commit",
                               connection=connection)
    finally:
        if spare_connection:
            drop_connection(task.host, connection)
    out = applied.result or {}
    error = out.get("error") or out.get("device_error")
    result = {"interface": interface, "admin_state": state, "committed": bool(out.get("committed")),
              "diff": out.get("diff", ""), "error": error,
              "reached": bool(out.get("reached"))}
    if applied.failed:
        # apply_config ran as a plain call, in this task: it logged the failure already
        return Result(host=task.host, failed=True, changed=False, result=result,
                      exception=DeviceError(f"{task.host.name}: {interface} admin-state {state} "
                                            f"not committed: {error}"))
    return Result(host=task.host, changed=bool(out.get("changed")), diff=out.get("diff", ""),
                  result=result)


def shut_interface(task: Task, interface: str) -> Result:
    """`admin-state disable` on one interface, committed from a private candidate."""
    return set_admin_state(task, interface, enabled=False)


def restore_interface(task: Task, interface: str, fresh_connection: bool = True,
                      spare_connection: bool = False) -> Result:
    """`admin-state enable` on one interface (on a fresh session by default; on a second
    session with `spare_connection`, see `set_admin_state`)."""
    return set_admin_state(task, interface, enabled=True, fresh_connection=fresh_connection,
                           spare_connection=spare_connection)


# --------------------------------------------------------------------------- polling

CheckKey = tuple[str, str]  # (check name, host)


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
    at least that old, so a measured convergence is never shorter than the real one.
    """
    outcome = PollOutcome(reached=False, converged_s=None)
    deadline = t0 + timeout
    broken: set[CheckKey] = set()
    while True:
        started = clock()
        observed = state()
        now = clock() - t0
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
        outcome.failing = sorted(k for k, ok in observed.items() if not ok)
        if observed and not outcome.failing:
            outcome.reached, outcome.converged_s = True, now
            return outcome
        if stop is not None and (why := stop()) is not None:
            outcome.stopped = why
            return outcome
        if clock() >= deadline:
            return outcome
        sleep(max(0.0, min(started + interval, deadline) - clock()))


# --------------------------------------------------------------------------- traffic

_PING_SUMMARY = re.compile(r"(\d+) packets transmitted, (\d+) (?:packets )?received")


def parse_ping(output: str) -> tuple[int, int]:
    """(sent, received) from Linux ping's summary line; (0, 0) when there is none."""
    m = _PING_SUMMARY.search(output)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


PingRunner = Callable[[str, int, float], str]  # (ip, count, interval) -> ping output


def docker_ping_runner(container: str, timeout: float = 30.0) -> PingRunner:
    """Ping from a containerlab CE with `docker exec` (real lab)."""

    def run(ip: str, count: int, interval: float) -> str:
        cmd = ["docker", "exec", container, *platform.ping(ip, count, interval).split()]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        return done.stdout + done.stderr

    return run


def ssh_ping_runner(host: str, port: int, username: str, password: str,
                    timeout: float = 30.0) -> tuple[PingRunner, Callable[[], None]]:
    """Ping from a CE shell over SSH (the twin's CE); returns (runner, close)."""
    from scrapli.driver.generic import GenericDriver

    conn = GenericDriver(
        host=host, port=port, auth_username=username, auth_password=password,
        auth_strict_key=False, transport=session.transport(), timeout_socket=10, timeout_transport=timeout,
        # timeout_transport bounds each read; scrapli's thread-based timeout_ops would race
        # ssh2's blocking read from this probe thread (see inventory.scrapli_extras)
        timeout_ops=0, comms_prompt_pattern=platform.CE_SHELL_PROMPT_PATTERN,
    )
    conn.open()
    ssh2_guard.guard(conn)  # a CE session over paramiko (macOS) must not spin once it ends
    lock = threading.Lock()

    def run(ip: str, count: int, interval: float) -> str:
        with lock:
            return conn.send_command(platform.ping(ip, count, interval)).result

    def close() -> None:
        # closing a dead session is not worth failing a report over
        with lock:
            try:
                conn.close()
            except Exception:
                ssh2_guard.release(conn.transport)

    return run, close


@dataclass
class TrafficStats:
    sent: int = 0
    lost: int = 0
    errors: list[str] = field(default_factory=list)
    per_target: dict[str, dict[str, int]] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # target -> what it is (its CE), when known
    rechecked: bool = False  # every target not answered got one more packet at the end

    def not_measured(self) -> list[str]:
        """After the recheck, targets no ping was ever counted for: the probe itself failed
        (no docker, no permission, an address ping took for an option), not the fabric.
        "0 sent, 0 lost" must not read as a pass."""
        return [t for t, c in self.per_target.items() if c["sent"] == 0] if self.rechecked else []

    def error_for(self, target: str) -> str | None:
        """The last probe error about `target`."""
        return next((e.split(": ", 1)[1] for e in reversed(self.errors) if e.startswith(f"{target}: ")), None)

    def label(self, target: str) -> str:
        """`192.168.0.21 (ce2)`, or the bare target when its name is unknown."""
        name = self.names.get(target)
        return f"{target} ({name})" if name else target

    def unanswered(self) -> list[str]:
        """Targets with no answer yet: pinged and lost every packet, or not pinged at all (a
        short test with many targets reaches only some of them round-robin)."""
        return [t for t, c in self.per_target.items() if c["lost"] == c["sent"]]

    def never_answered(self) -> list[str]:
        """Targets pinged that lost every packet: unreachable for the whole window, which a
        failover's brief loss never explains."""
        return [t for t in self.unanswered() if self.per_target[t]["sent"] > 0]

    def as_dict(self) -> dict[str, Any]:
        per_target = {t: {**c, **({"ce": self.names[t]} if t in self.names else {})}
                      for t, c in self.per_target.items()}
        return {"sent": self.sent, "lost": self.lost, "per_target": per_target,
                "never_answered": self.never_answered(), "not_measured": self.not_measured(),
                "errors": self.errors[:5]}


class TrafficProbe:
    """Pings `targets` round-robin in small batches on a background thread until stopped.

    Batches (rather than one endless ping) let the probe stop promptly and count packets
    only inside the window between `start()` and `stop()`. `stop(recheck=True)` first
    pings once more every target that has not answered yet, pinged or not: on a short test
    (or many targets) a target's only batch may have fallen in the failover's loss window,
    which must not read as a target that never answers, and a target the round-robin never
    reached must still be judged.
    """

    def __init__(self, runner: PingRunner, targets: list[str], *, batch: int = 3,
                 interval: float = 0.1) -> None:
        self.runner, self.targets, self.batch, self.interval = runner, list(targets), batch, interval
        self.stats = TrafficStats(per_target={t: {"sent": 0, "lost": 0} for t in targets})
        self._stop = threading.Event()
        self._recheck = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def start(self) -> TrafficProbe:
        if self.targets:
            self._thread = threading.Thread(target=self._loop, name="traffic-probe", daemon=True)
            self._thread.start()
        return self

    def _loop(self) -> None:
        i = 0
        while not self._stop.is_set():
            ip = self.targets[i % len(self.targets)]
            i += 1
            began = time.monotonic()
            self._ping(ip)
            # a simulated ping may answer at once; keep the real packet rate anyway
            self._stop.wait(max(0.0, began + self.batch * self.interval - time.monotonic()))
        if self._recheck:
            # one packet each: a big fabric has ~100 targets and most were never reached
            # (a batch each cost 18 s at 128 leaves); a healthy target answers the first one
            for ip in self.snapshot().unanswered():
                self._ping(ip, count=1)

    def _ping(self, ip: str, count: int | None = None) -> None:
        """One batch to `ip` (`count` packets, default the probe's batch), counted."""
        try:
            output = self.runner(ip, count or self.batch, self.interval)
            sent, received = parse_ping(output)
            if sent == 0:  # no summary: ping did not run (or is not ping)
                first = next((ln.strip() for ln in output.splitlines() if ln.strip()), "no output")
                raise RuntimeError(f"no ping result: {first[:120]}")
        except Exception as exc:  # a probe failure is data for the report, not a crash
            with self._lock:
                self.stats.errors.append(f"{ip}: {' '.join(str(exc).split()) or type(exc).__name__}")
            self._stop.wait(self.batch * self.interval)
            return
        with self._lock:
            self.stats.sent += sent
            self.stats.lost += sent - received
            self.stats.per_target[ip]["sent"] += sent
            self.stats.per_target[ip]["lost"] += sent - received

    def snapshot(self) -> TrafficStats:
        with self._lock:
            return TrafficStats(self.stats.sent, self.stats.lost, list(self.stats.errors),
                                {k: dict(v) for k, v in self.stats.per_target.items()}, dict(self.stats.names),
                                self.stats.rechecked)

    def stop(self, timeout: float = 30.0, *, recheck: bool = False) -> TrafficStats:
        """Stop (after one more packet to each target not answered yet, with `recheck`: call
        it so once the fabric is healthy again); waits at most `timeout` for the thread."""
        self._recheck = recheck
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        with self._lock:
            self.stats.rechecked = recheck and bool(self.targets)
        return self.snapshot()


# --------------------------------------------------------------------------- verify adapter


CONNECT_CHECK = "connect"  # a poll's host that could not be reached or read


def collect_and_check(task: Task, view: Any, checks: list[Any], memo: dict[Any, Any] | None = None) -> Result:
    """Send every command `checks` need on this host and evaluate them against `view`.

    result = list of `CheckResult`. Kept here (not in the verify package) because a poll
    needs a fault-aware view per call; a broken session is dropped so the next poll
    reconnects instead of failing forever. `memo`: a dict the caller keeps for this host
    from one poll to the next; an output unchanged since the last poll is not parsed again.
    """
    from nornir_evpn.tasks.verify import collect_outputs

    from nornir_evpn.checks.model import CheckResult, Observations
    from nornir_evpn.inventory import host_node

    # the view's fabric was derived from this inventory: its node is the host's data,
    # already validated (re-validating a spine's data every poll round costs more)
    node = view.fabric.nodes.get(task.host.name) or host_node(task.host)
    wanted = [c for c in checks if c.applies(view, node)]
    commands = list(dict.fromkeys(cmd for c in wanted for cmd in c.commands(view, node)))
    try:
        outputs = collect_outputs(task, commands)
    except Exception as exc:
        # an unreachable host fails the poll as one `connect` expectation, named once with
        # its reason (not once per check); it does not stop the poll, and the next one
        # reconnects
        drop_connection(task.host)
        reason = host_error(task.host, exc)
        log_failure(task, "poll (show commands)", reason)
        down = CheckResult(task.host.name, CONNECT_CHECK, False, {"session": "open"},
                           {"session": reason}, f"{task.host.name}: {reason}")
        return Result(host=task.host, result=[down], failed=False)
    obs = Observations(outputs, memo, frozenset(c.name for c in checks))
    results = [r for c in wanted if (r := c.run(view, node, obs)) is not None]
    return Result(host=task.host, result=results, failed=False)
