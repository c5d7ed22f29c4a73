"""Polls in a helper thread, bounded by the phase's deadline: a device that answers slowly
cannot hold the shut link down past --timeout, nor a Ctrl-C wait behind it."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from nornir.core import Nornir

from nornir_evpn.failover.interrupts import signals_deferred
from nornir_evpn.polling import CheckKey
from nornir_evpn.runner import CUT_AGAIN_S
from nornir_evpn.session import cut_short
from nornir_evpn.tasks.cli_lines import CONNECTION

POLL_OVERRUN = "poll"  # the check name of "this host's poll was still running at the timeout"
POLL_GRACE_S = 1.0  # how long past the timeout a poll may end before the test goes on without it


class Poller:
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
            try:
                self.thread.start()
            except RuntimeError:  # no thread to spare (ulimit -u, pids.max): poll here, unbounded
                self.thread = None  # by the deadline but by each host's transport timeout
                target()
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
