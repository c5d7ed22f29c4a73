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

    def slow(task: Task) -> Result:
        with lock:
            started.append(task.host.name)
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
