"""CE traffic during a failover-test: a background `ping` from a CE that counts sent and
lost packets per target, from a CE shell over SSH (the twin's CEs) or `docker exec` on a
containerlab host. Nothing here prints.
"""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nornir_evpn import platform, session, ssh2_guard

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
                    timeout: float = 30.0, *, known_hosts: str | Path | None = None,
                    ) -> tuple[PingRunner, Callable[[], None]]:
    """Ping from a CE shell over SSH (the twin's CE); returns (runner, close). The CE's host
    key is checked against `known_hosts` (the twin's: `twin.keys.twin_known_hosts`; the
    commands always give it) before the password goes out; None leaves it unchecked, as
    before 0.14 (a runbook's own call)."""
    from scrapli.driver.generic import GenericDriver

    ssh2_guard.install()
    conn = GenericDriver(
        host=host, port=port, auth_username=username, auth_password=password,
        auth_strict_key=known_hosts is not None,
        ssh_known_hosts_file=str(known_hosts) if known_hosts is not None else False,
        transport=session.transport(), timeout_socket=10, timeout_transport=timeout,
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
            thread = threading.Thread(target=self._loop, name="traffic-probe", daemon=True)
            try:
                thread.start()
            except RuntimeError as exc:  # no thread to spare (ulimit -u / -v, pids.max)
                # said as such before the shut; `stop` then has no thread to join (joining
                # one never started ended failover-test in a traceback, no verdict)
                from nornir_evpn.runner import ShortOfThreads

                raise ShortOfThreads(f"cannot start the traffic probe's thread ({exc}): raise ulimit -u / -v, "
                                     "or pass --no-traffic") from None
            self._thread = thread
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
