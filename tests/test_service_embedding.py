"""The tasks inside a long-running service (a scheduler verifying each minute, a web app
serving requests): no threads left per run, two runs of one Nornir object at once, a kept
session the device ended, a session lost mid-load, a script calling the CLI (a tester's
findings, each reproduced against an in-process twin)."""

from __future__ import annotations

import gc
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from nornir_evpn.tasks import apply_config, configure_fabric, verify_host
from runbook_nornir import nornir_on_twin

from nornir_evpn.inventory import fabric_from_nornir
from nornir_evpn.twin import fabric_lab
from nornir_evpn.twin.runtime import Twin

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "inventory" / "evpn-mh01.clab.yml"
CE2_IPS = ("192.168.0.21", "192.168.0.22", "192.168.0.23")
HEALTHY = {"leaf1": [], "leaf2": [], "leaf3": [], "spine1": []}  # host -> its failed checks


@pytest.fixture(scope="module")
def fabric_twin():
    """The tutorial's lab with its multi-homing committed and ce1's MACs learnt: verify passes."""
    with Twin(LAB) as twin:
        fabric = fabric_lab.attach(twin)
        for leaf in ("leaf1", "leaf2"):
            ds = twin.datastore(leaf)
            ds.commit(ds.running, fabric_lab.with_lines(ds.running, fabric_lab.MH_CONFIG))
        for ip in CE2_IPS:
            assert fabric.probe("ce1", ip).delivered
        yield twin


def service_nornir(twin: Twin):  # type: ignore[no-untyped-def]
    return nornir_on_twin(twin, runner="nornir_evpn.threaded").filter(platform="nokia_srlinux")


def _verify(nr) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """host -> the names of its failed checks (or its error)."""
    agg = nr.run(task=verify_host, fabric=fabric_from_nornir(nr))
    out = {}
    for host, multi in agg.items():
        data = multi[0].result
        out[host] = [data["error"]] if data["error"] else [c["name"] for c in data["checks"] if not c["ok"]]
    return out


def test_a_verify_each_minute_leaves_no_threads_behind(fabric_twin: Twin) -> None:
    """Each run's workers stayed alive for good (a worker's thread-local held its runner):
    ~5 threads and 270 KB a run, 7,000 threads a day for a scheduler."""
    before = threading.active_count()
    for _ in range(8):
        nr = service_nornir(fabric_twin)
        try:
            assert _verify(nr) == HEALTHY
        finally:
            nr.close_connections(on_failed=True)
        del nr
    gc.collect()
    deadline = time.monotonic() + 5
    while threading.active_count() > before + 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # idle pool workers end once their pool is collected
    assert threading.active_count() <= before + 2, [t.name for t in threading.enumerate()]


def test_two_runs_of_one_nornir_at_once_read_their_own_answers(fabric_twin: Twin) -> None:
    """A web app keeping one Nornir object for two concurrent requests: both used the same
    sessions at once, read each other's answers and failed healthy hosts (or waited 30 s)."""
    nr = service_nornir(fabric_twin)
    try:
        _verify(nr)  # sessions open, as a service keeps them
        fabric_twin.set_slow("leaf1", 0.002)  # answers that take a moment: the runs overlap
        with ThreadPoolExecutor(2) as pool:
            rounds = [pool.submit(_verify, nr) for _ in range(8)]
            results = [r.result(timeout=60) for r in rounds]
    finally:
        fabric_twin.set_slow("leaf1", 0)
        nr.close_connections(on_failed=True)
    assert all(r == HEALTHY for r in results), results


def test_a_prune_dry_run_and_a_verify_at_once_take_turns_on_each_session(fabric_twin: Twin, capfd) -> None:
    """Review: prune's reads, the health check, accept/reject and save used the session
    without its lock: a verify beside a `configure_fabric(prune=True)` read prune's answers."""
    nr = service_nornir(fabric_twin)
    fabric = fabric_from_nornir(nr)

    def configure(nr) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
        agg = nr.run(task=configure_fabric, fabric=fabric, mode="dry-run", prune=True)
        return {h: m[0].result["error"] for h, m in agg.items()}

    try:
        _verify(nr)
        fabric_twin.set_slow("leaf1", 0.002)
        with ThreadPoolExecutor(2) as pool:
            runs = [pool.submit(f, nr) for _ in range(3) for f in (_verify, configure)]
            results = [r.result(timeout=120) for r in runs]
    finally:
        fabric_twin.set_slow("leaf1", 0)
        nr.close_connections(on_failed=True)
    assert results[0::2] == [HEALTHY] * 3
    assert results[1::2] == [dict.fromkeys(HEALTHY)] * 3  # no error on any host
    assert "Traceback" not in capfd.readouterr().err


def test_runs_sharing_a_session_the_device_drops_each_read_again(fabric_twin: Twin, capfd) -> None:
    """Review: one run's retry dropped the fresh session another run had just opened, under
    its read ("connection lost" again, or a session left open after close_connections)."""
    nr = service_nornir(fabric_twin)
    try:
        _verify(nr)
        fabric_twin.set_slow("leaf1", 0.003)
        for delay in (0.05, 0.07, 0.09):
            with ThreadPoolExecutor(3) as pool:
                runs = [pool.submit(_verify, nr) for _ in range(3)]
                time.sleep(delay)
                fabric_twin.drop_connections("leaf1")
                assert [r.result(timeout=60)["leaf1"] for r in runs] == [[], [], []]
    finally:
        fabric_twin.set_slow("leaf1", 0)
        nr.close_connections(on_failed=True)  # a session the device ended closes quietly
    assert "Traceback" not in capfd.readouterr().err


def test_a_kept_session_the_device_ended_is_read_again_not_a_false_alarm(fabric_twin: Twin) -> None:
    nr = service_nornir(fabric_twin)
    try:
        assert _verify(nr)["leaf1"] == []
        fabric_twin.drop_connections("leaf1")  # a reboot, a logout, an idle timeout
        assert _verify(nr)["leaf1"] == []
        fabric_twin.set_unreachable("leaf1")  # really gone: said so, once
        assert _verify(nr)["leaf1"][0].startswith("cannot connect")
    finally:
        fabric_twin.set_unreachable("leaf1", False)
        nr.close_connections(on_failed=True)


def test_a_session_lost_mid_load_is_the_documented_dict_without_a_traceback(fabric_twin: Twin, capfd) -> None:
    nr = service_nornir(fabric_twin).filter(name="leaf3")
    lines = [f"set / interface ethernet-1/{n} description service-{n}" for n in range(5, 45)]
    fabric_twin.set_slow("leaf3", 0.02)
    dropper = threading.Timer(0.4, fabric_twin.drop_connections, args=("leaf3",))
    try:
        dropper.start()
        multi = nr.run(task=apply_config, config=lines, mode="dry-run")["leaf3"]
    finally:
        dropper.cancel()
        fabric_twin.set_slow("leaf3", 0)
        nr.close_connections(on_failed=True)
    out = multi[0].result
    assert isinstance(out, dict) and multi.failed
    assert out["error"].startswith("connection lost")
    assert out["error"].endswith("while loading the candidate: nothing committed")
    assert (out["committed"], out["reached"]) == (False, True)
    assert "Traceback" not in capfd.readouterr().err


def test_a_script_calling_the_cli_keeps_its_garbage_collectable(tmp_path: Path) -> None:
    """cli.main froze every object alive at each call (gc.freeze): a script's own garbage,
    cycles included, could never be collected again."""
    from nornir_evpn.cli import main

    frozen = gc.get_freeze_count()
    assert main(["topology", "generate", "--spines", "1", "--leaves", "2", "--out", str(tmp_path / "t.clab.yml")]) == 0
    assert gc.get_freeze_count() == frozen


@pytest.fixture
def nornir_logger_bare(monkeypatch):  # type: ignore[no-untyped-def]
    """The `nornir` logger as in a fresh process (no handler yet), whatever ran before here."""
    import logging

    logger = logging.getLogger("nornir")
    monkeypatch.setattr(logger, "handlers", [])
    monkeypatch.setattr(logger, "propagate", True)
    monkeypatch.setattr(logger, "level", logging.NOTSET)
    return logger


@pytest.mark.filterwarnings("ignore::nornir.core.exceptions.ConflictingConfigurationWarning")  # pytest's root handler
def test_a_script_calling_the_cli_again_gets_each_run_s_log_file(fabric_twin: Twin, tmp_path: Path,
                                                                  nornir_logger_bare, capsys) -> None:
    """A notebook's cells (or a service) calling `cli.main` one after another: InitNornir sets up
    its log file only on a `nornir` logger without handlers, and the first run left its
    NullHandler, or its own --log-file handler, there. A later run's --log-file was never
    created, or its lines went to the first run's file; a runbook's own InitNornir logging
    after that wrote nothing."""
    from nornir import InitNornir

    from nornir_evpn.cli import main

    state = tmp_path / "twin.json"
    fabric_twin.state().write(state)
    verify = ["verify", "--twin", "--twin-state", str(state), "--inventory", str(ROOT / "inventory")]
    first, second = tmp_path / "first.log", tmp_path / "second.log"
    assert main(verify) == 0  # no log asked
    assert main([*verify, "--log-file", str(first)]) == 0
    assert main([*verify, "--log-file", str(second)]) == 0
    capsys.readouterr()
    for log in (first, second):
        starts = [line for line in log.read_text().splitlines() if " - start: nornir-evpn verify " in line]
        assert len(starts) == 1 and f"--log-file {log}" in starts[0], log.read_text()
    assert nornir_logger_bare.handlers == [] and nornir_logger_bare.propagate
    own = tmp_path / "runbook.log"
    nr = InitNornir(inventory={"plugin": "ContainerlabInventory", "options": {"topology_file": str(LAB)}},
                    logging={"log_file": str(own), "to_console": False})
    try:
        nr.filter(name="leaf1").run(task=lambda task: None, name="runbook_task")
    finally:
        for handler in nornir_logger_bare.handlers:
            handler.close()
    assert "Running task 'runbook_task'" in own.read_text()
