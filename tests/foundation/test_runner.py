"""InterruptSafeRunner: an interrupt waits for running hosts, skips hosts not started."""

from __future__ import annotations

import signal
import threading
import time

import pytest
from nornir import InitNornir
from nornir.core.task import Result, Task

import nornir_evpn.commands.common  # noqa: F401  (registers the NornirEvpnDocs inventory)
from nornir_evpn.runner import PLUGIN_NAME, InterruptSafeRunner


def _nornir(num_workers: int, hosts: int):  # type: ignore[no-untyped-def]
    return InitNornir(
        runner={"plugin": PLUGIN_NAME, "options": {"num_workers": num_workers}},
        inventory={"plugin": "NornirEvpnDocs", "options": {
            "docs": {"hosts": {f"h{i}": {"hostname": "127.0.0.1"} for i in range(hosts)},
                     "groups": {}, "defaults": {}}}},
        logging={"enabled": False},
    )


def test_plugin_is_registered_and_runs_every_host() -> None:
    nr = _nornir(3, 7)
    assert isinstance(nr.runner, InterruptSafeRunner)
    agg = nr.run(task=lambda task: Result(host=task.host, result=task.host.name.upper()))
    assert {h: m[0].result for h, m in agg.items()} == {f"h{i}": f"H{i}" for i in range(7)}


def test_first_hosts_start_first_and_results_keep_inventory_order() -> None:
    nr = _nornir(1, 5)  # one worker: start order is run order
    nr.runner.first = {"h3", "h4"}
    started: list[str] = []
    agg = nr.run(task=lambda task: Result(host=task.host, result=started.append(task.host.name)))
    assert started == ["h3", "h4", "h0", "h1", "h2"]
    assert list(agg) == ["h0", "h1", "h2", "h3", "h4"]


def test_interrupt_waits_for_running_hosts_and_skips_the_rest() -> None:
    # Python leaves SIGINT ignored when it started ignored (pytest run as a background job)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        _interrupt_waits_for_running_hosts_and_skips_the_rest()
    finally:
        signal.signal(signal.SIGINT, previous)


def _interrupt_waits_for_running_hosts_and_skips_the_rest() -> None:
    started: list[str] = []
    finished: list[str] = []
    lock = threading.Lock()

    workers: list[threading.Thread] = []

    def slow(task: Task) -> Result:
        with lock:
            started.append(task.host.name)
            workers.append(threading.current_thread())
        time.sleep(0.6)
        with lock:
            finished.append(task.host.name)
        return Result(host=task.host)

    nr = _nornir(2, 6)
    main = threading.main_thread().ident
    assert main is not None
    # a real Ctrl-C to the main thread while 2 hosts run and 4 wait
    timer = threading.Timer(0.2, signal.pthread_kill, (main, signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        nr.run(task=slow)
    timer.join()
    # when the interrupt propagates, no worker is still inside its task
    assert sorted(finished) == sorted(started)
    assert len(started) == 2  # the 4 queued hosts were cancelled, never started
    time.sleep(0.8)
    assert len(started) == 2
    # the interrupted run's workers are gone; the next run gets fresh ones and completes
    assert not any(w.is_alive() for w in workers)
    assert len(nr.run(task=lambda task: Result(host=task.host))) == 6


def test_workers_are_kept_across_runs_and_filters() -> None:
    nr = _nornir(4, 4)

    def who(task: Task) -> Result:
        time.sleep(0.05)  # every host gets its own worker
        return Result(host=task.host, result=threading.get_ident())

    first = {m[0].result for m in nr.run(task=who).values()}
    again = {m[0].result for m in nr.filter(name="h1").run(task=who).values()}
    assert len(first) == 4 and again <= first  # the same threads: none created, none joined


def test_a_task_that_runs_nornir_gets_its_own_workers() -> None:
    nr = _nornir(2, 2)  # both workers busy in the outer run: a shared pool would wait forever

    def inner(task: Task) -> Result:
        return Result(host=task.host, result="inner")

    def outer(task: Task) -> Result:
        agg = nr.run(task=inner)
        return Result(host=task.host, result=sorted(m[0].result for m in agg.values()))

    agg = nr.run(task=outer)
    assert {h: m[0].result for h, m in agg.items()} == {"h0": ["inner", "inner"], "h1": ["inner", "inner"]}


def test_an_interrupt_keeps_cutting_until_every_running_host_is_done() -> None:
    """on_interrupt was called once: a host still logging in then (no session yet to cut)
    went on to its slow reads and the Ctrl-C waited its whole poll (22 s in a tester's
    run). It is called again while any host runs, so the session is cut once it opens."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        calls: list[list[str]] = []
        cut = threading.Event()

        def interrupted(running: list) -> None:  # type: ignore[type-arg]
            calls.append(sorted(h.name for h in running))
            if len(calls) == 3:  # the session "opened" after the first two calls
                cut.set()

        def logging_in(task: Task) -> Result:
            cut.wait(30)
            return Result(host=task.host)

        nr = _nornir(2, 2)
        nr.runner.on_interrupt = interrupted
        main = threading.main_thread().ident
        assert main is not None
        timer = threading.Timer(0.2, signal.pthread_kill, (main, signal.SIGINT))
        timer.start()
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            nr.run(task=logging_in)
        timer.join()
        assert time.monotonic() - start < 5
        assert len(calls) >= 3 and calls[0] == ["h0", "h1"]
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_dropped_nornir_frees_its_workers_without_the_cyclic_gc() -> None:
    """runner -> pool -> `on_short=runner._short` -> runner was a cycle: a service that makes
    a Nornir object per run kept each one's idle workers until a full collection (88 threads
    at once for 6 hosts); dropped, the runner now goes with its last reference."""
    import gc
    import weakref

    gc.collect()
    gc.disable()
    # this Nornir's workers only: a worker another test left (a hung task it timed out on)
    # may still be winding down in this process (pytest-xdist runs tests in another order)
    before = set(threading.enumerate())
    try:
        nr = _nornir(4, 4)
        nr.run(task=lambda task: Result(host=task.host))
        runner = weakref.ref(nr.runner)
        threads = [t for t in threading.enumerate() if t.name.startswith("nornir_evpn") and t not in before]
        assert threads
        del nr
        assert runner() is None
        deadline = time.monotonic() + 5
        while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not any(t.is_alive() for t in threads)
    finally:
        gc.enable()


def test_a_weak_call_to_a_runner_gone_does_nothing() -> None:
    """A pool outliving its runner (a caller that kept it) that runs short tells no one, and
    does not fail the submit with a call of None."""
    from nornir_evpn.runner import _weak_call

    class Teller:
        def __init__(self) -> None:
            self.told: list[str] = []

        def tell(self, text: str) -> None:
            self.told.append(text)

    teller = Teller()
    call = _weak_call(teller.tell)
    call("short")
    assert teller.told == ["short"]
    del teller
    call("short again")  # nothing to tell, no error
