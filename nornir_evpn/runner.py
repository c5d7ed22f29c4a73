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
"""

from __future__ import annotations

import concurrent.futures as cf
from concurrent.futures import Future, ThreadPoolExecutor

from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, MultiResult, Task

PLUGIN_NAME = "nornir_evpn.threaded"


class InterruptSafeRunner:
    """Threaded runner; an interrupt waits for running hosts before it propagates.

    Arguments:
        num_workers: number of threads to use
        first: names of hosts to start before the others (the busiest ones)
    """

    def __init__(self, num_workers: int = 20, first: list[str] | None = None) -> None:
        self.num_workers = num_workers
        self.first = set(first or ())

    def run(self, task: Task, hosts: list[Host]) -> AggregatedResult:
        result = AggregatedResult(task.name)
        pool = ThreadPoolExecutor(self.num_workers)
        futures: list[Future[MultiResult]] = []
        interrupt: BaseException | None = None
        try:
            for host in sorted(hosts, key=lambda h: h.name not in self.first):  # stable
                futures.append(pool.submit(task.copy().start, host))
        except BaseException as exc:  # interrupted while submitting
            interrupt = exc
        while True:
            try:
                if interrupt is not None:
                    for future in futures:
                        future.cancel()  # hosts not started yet never start
                cf.wait(futures)
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
