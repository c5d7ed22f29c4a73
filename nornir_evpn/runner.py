"""A threaded Nornir runner that never leaves a worker behind on Ctrl-C / SIGTERM.

Nornir's `ThreadedRunner` joins its workers in `ThreadPoolExecutor.__exit__`; a
KeyboardInterrupt raised in the main thread during that join propagates at once while
the workers keep reading their SSH channels. Whatever the caller does next (close the
connections, reconnect to restore an interface) then races a live read on the same
session, and ssh2/libssh2 aborts the whole process (`_libssh2_transport_read: Assertion
'remainbuf >= 0' failed`), skipping every `finally`.

`InterruptSafeRunner` runs the same way but, when interrupted, cancels the hosts that have
not started and waits for the running ones to end their task (each bounded by the
transport timeout) before re-raising the first interrupt. Further signals during that
wait are absorbed. Use it in your own runbooks as the `nornir_evpn.threaded` runner plugin:

    InitNornir(runner={"plugin": "nornir_evpn.threaded", "options": {"num_workers": 32}}, ...)

`first` names hosts to start before the others (longest job first): a spine has a session
per leaf and, with route reflectors, 15 times a leaf's configuration lines, so it is the
run's critical path; started after 128 leaves it queued behind all of their logins.
Results keep the inventory's order.

The worker threads outlive a run: `Nornir.filter` shares the runner, and a command runs
several times (failover-test: pre-check, polls, restore, close). Creating and joining 130
threads costs 32 ms of CPU per run here; handing work to 130 idle ones costs 11 ms. Idle
workers end with the runner or the process. A run started from one of them (a task that
calls `nr.run`) gets its own pool, so it can never wait on itself.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, MultiResult, Task

from nornir_evpn.errors import NornirEvpnError
from nornir_evpn.signals import TERMINATION_SIGNALS, not_ignored  # noqa: F401 - their old home

PLUGIN_NAME = "nornir_evpn.threaded"


_WORKER = threading.local()  # .runner: the runner whose pool this thread belongs to


class BestEffortPool(ThreadPoolExecutor):
    """A thread pool that goes on with the threads it could start.

    `submit` queues the work before it starts a thread for it: a thread that cannot start
    (`ulimit -u`, a container's pids.max, `ulimit -v`: "can't start new thread") raised
    with the work queued, and the runner took it for an interrupt while the hosts already
    running went on (a configure committed on some hosts and reported none). With one
    worker or more the queue is served, the hosts in turn; `on_short(text)` is told once.
    With none, submit raises (`ShortOfThreads`) and nothing queued ever runs."""

    def __init__(self, *args, on_short: Callable[[str], None] | None = None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.on_short = on_short
        self.short: str | None = None

    def _adjust_thread_count(self) -> None:
        try:
            super()._adjust_thread_count()
        except RuntimeError as exc:
            if not self._threads:
                raise ShortOfThreads(f"cannot start a thread ({exc}): the process limit (ulimit -u, a "
                                     "container's pids limit) or memory limit (ulimit -v) is too low") from None
            if self.short is None:
                self.short = (f"only {len(self._threads)} of {self._max_workers} worker threads could start "
                              f"({exc}): hosts wait for a free one (raise ulimit -u / -v, or pass --workers)")
                if self.on_short is not None:
                    self.on_short(self.short)


class ShortOfThreads(NornirEvpnError, RuntimeError):
    """Not one worker thread could start: nothing of the run was started (the CLI: one
    line, exit 1)."""


CUT_AGAIN_S = 0.05  # an interrupted run cuts the sessions that opened since, this often


# the attribute each host's copy of a run's task carries: one object per `nr.run`, which
# tells one run's hosts from the next run's (`nornir_evpn.tasks.preflight` keeps a run's
# render for its hosts, and renders again for the next run whose data changed)
RUN_ATTR = "nornir_evpn_run"


def _copy_of_run(task: Task, run: object) -> Task:
    copy = task.copy()
    setattr(copy, RUN_ATTR, run)
    return copy


def _weak_call(method: Callable[[str], None]) -> Callable[[str], None]:
    """`method`, called while its object lives, without keeping it alive."""
    ref = weakref.WeakMethod(method)

    def call(text: str) -> None:
        bound = ref()
        if bound is not None:
            bound(text)

    return call


class InterruptSafeRunner:
    """Threaded runner; an interrupt waits for running hosts before it propagates.

    Arguments:
        num_workers: number of threads to use
        first: names of hosts to start before the others (the busiest ones)
    """

    def __init__(self, num_workers: int = 20, first: list[str] | None = None) -> None:
        self.num_workers = num_workers
        self.first = set(first or ())
        self._pool: ThreadPoolExecutor | None = None
        # called on an interrupted run with the hosts still running their task, again every
        # CUT_AGAIN_S while any runs: a read-only command (verify) cuts their reads short
        # there (`session.cut_short`) instead of waiting out a slow device; a host still
        # logging in at the first call is cut once its session opens
        self.on_interrupt: Callable[[list[Host]], None] | None = None
        # told once when fewer worker threads than wanted could start (`BestEffortPool`)
        self.on_short_of_threads: Callable[[str], None] | None = None

    def _workers(self) -> tuple[ThreadPoolExecutor, bool]:
        """(pool, kept): the runner's own pool, or a throw-away one for a nested run."""
        pool = self._pool
        if getattr(_WORKER, "runner", None) is self:
            return BestEffortPool(self.num_workers, on_short=self._short), False
        if pool is None:
            # told through a weak reference: `on_short=self._short` made runner -> pool -> bound
            # method -> runner a cycle, so a dropped Nornir object's idle workers lived on until
            # the cyclic GC ran (a service making one per run: 6 threads a run, 88 at a time
            # for a 6-host fabric between two full collections)
            pool = self._pool = BestEffortPool(self.num_workers, thread_name_prefix="nornir_evpn",
                                               on_short=_weak_call(self._short))
        return pool, True

    def _short(self, text: str) -> None:
        if self.on_short_of_threads is not None:
            self.on_short_of_threads(text)
        else:  # a runbook's own runner: its log says it, as Nornir's would
            logging.getLogger("nornir.nornir_evpn.runner").warning("%s", text)

    def _start(self, task: Task, host: Host) -> MultiResult:
        _WORKER.runner = self
        try:
            return task.start(host)
        finally:
            # left set, the worker's thread-local held runner -> pool -> worker threads: every
            # Nornir object's workers lived as long as the process (a service running verify
            # each minute gained ~5 threads a run)
            _WORKER.runner = None

    def run(self, task: Task, hosts: list[Host]) -> AggregatedResult:
        result = AggregatedResult(task.name)
        run = object()  # this run's token, on each host's copy of its task (RUN_ATTR)
        pool, kept = self._workers()
        futures: list[Future[MultiResult]] = []
        order = sorted(hosts, key=lambda h: h.name not in self.first)  # stable
        interrupt: BaseException | None = None
        try:
            for host in order:
                futures.append(pool.submit(self._start, _copy_of_run(task, run), host))
        except BaseException as exc:  # interrupted while submitting
            interrupt = exc
        while True:
            try:
                if interrupt is not None:
                    for future in futures:
                        future.cancel()  # hosts not started yet never start
                    if self.on_interrupt is not None:
                        with contextlib.suppress(Exception):
                            # (fewer futures than hosts when submitting was interrupted)
                            self.on_interrupt([h for f, h in zip(futures, order, strict=False) if not f.done()])
                        if cf.wait(futures, timeout=CUT_AGAIN_S).not_done:
                            continue
                cf.wait(futures)
                if interrupt is not None or not kept:
                    if kept:
                        self._pool = None  # the next run starts afresh
                    pool.shutdown(wait=True)
                break
            except BaseException as exc:  # KeyboardInterrupt, SystemExit, our Terminated...
                if interrupt is None:
                    interrupt = exc
        if interrupt is not None:
            raise interrupt
        done = {(r := future.result()).host.name: r for future in futures}
        for host in hosts:
            result[host.name] = done[host.name]
        return result
