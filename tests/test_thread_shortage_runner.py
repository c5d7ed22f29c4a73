"""The runner's thread pools short of threads (nornir_evpn.runner.BestEffortPool), at the
pool: what test_thread_shortage.py does not reach through the CLI (mut15)."""

from __future__ import annotations

import logging
import threading

import pytest

from nornir_evpn import runner as runner_mod
from nornir_evpn.runner import InterruptSafeRunner

TOO_MANY = "can't start new thread"


def _threads_capped(monkeypatch: pytest.MonkeyPatch, allowed: int) -> None:
    """Worker threads (any pool's) start `allowed` times, then fail as CPython does."""
    real = threading.Thread.start
    started: list[str] = []

    def start(self: threading.Thread) -> None:
        if "_" in self.name and (self.name.startswith("nornir_evpn") or self.name.startswith("ThreadPoolExecutor")):
            if len(started) >= allowed:
                raise RuntimeError(TOO_MANY)
            started.append(self.name)
        real(self)

    monkeypatch.setattr(threading.Thread, "start", start)


def test_a_runbooks_own_runner_logs_the_shortage_once(monkeypatch, caplog) -> None:
    """No CLI to tell (on_short_of_threads unset): Nornir's log says it, once."""
    _threads_capped(monkeypatch, 1)
    runner = InterruptSafeRunner(num_workers=4)
    pool, _kept = runner._workers()
    try:
        with caplog.at_level(logging.WARNING, logger="nornir.nornir_evpn.runner"):
            assert [f.result() for f in [pool.submit(lambda i=i: i * 2) for i in range(4)]] == [0, 2, 4, 6]
    finally:
        pool.shutdown(wait=True)
    notes = [r.getMessage() for r in caplog.records if r.name == "nornir.nornir_evpn.runner"]
    assert len(notes) == 1 and notes[0].startswith("only 1 of 4 worker threads could start"), notes


def test_a_nested_run_short_of_threads_still_runs_every_host(monkeypatch) -> None:
    """A task that runs a task on other hosts (a nested run) gets a throw-away pool: short
    of threads, it goes on with the one it has rather than fail with work queued."""
    runner = InterruptSafeRunner(num_workers=4)
    told: list[str] = []
    runner.on_short_of_threads = told.append
    runner_mod._WORKER.runner = runner  # as in one of its workers
    try:
        _threads_capped(monkeypatch, 1)
        pool, kept = runner._workers()
        assert not kept
        try:
            assert [f.result() for f in [pool.submit(lambda i=i: i + 1) for i in range(3)]] == [1, 2, 3]
        finally:
            pool.shutdown(wait=True)
    finally:
        runner_mod._WORKER.runner = None
    assert len(told) == 1 and TOO_MANY in told[0], told
