"""Commit-path branches the rest of the suite never ran (found with branch coverage):
configure_fabric as the README's runbook calls it (no `fabric`), a commit confirmed whose
health check fails, a config line that is no one CLI line. Each against an in-process twin."""

from __future__ import annotations

import pytest
from nornir.core.filter import F
from nornir_evpn.tasks import apply_config, configure_fabric, confirm_commit
from runbook_nornir import LAB, nornir_on_twin

from nornir_evpn import platform
from nornir_evpn.inventory import fabric_from_nornir
from nornir_evpn.twin.cli_engine import CliSession
from nornir_evpn.twin.runtime import Twin

SRL = ("leaf1", "leaf2", "leaf3", "spine1")


@pytest.fixture
def twin():
    with Twin(LAB) as t:
        yield t


def test_configure_fabric_without_a_fabric_renders_what_the_shared_intent_renders(twin: Twin) -> None:
    """`nr.run(task=configure_fabric)` (the README's runbook line) builds the intent on each
    host itself: that branch never ran. It must send exactly the lines the documented
    `fabric=fabric_from_nornir(nr)` call sends, and commit them."""
    nr = nornir_on_twin(twin)
    srl = nr.filter(filter_func=lambda h: h.name in SRL)
    try:
        shared = srl.run(task=configure_fabric, fabric=fabric_from_nornir(nr), mode="dry-run")
        alone = srl.run(task=configure_fabric)
    finally:
        nr.close_connections(on_failed=True)
    assert not shared.failed and not alone.failed
    for host in SRL:
        assert alone[host][0].result["config"] == shared[host][0].result["config"], host
        assert alone[host][0].result["error"] is None
    assert {h: alone[h][0].result["committed"] for h in SRL} == {
        "leaf1": True, "leaf2": True, "leaf3": True, "spine1": False}  # spine1: nothing to change
    running = twin.datastore("leaf1").running.flat()
    assert "set / interface lag1 lag lacp admin-key 11" in running


def _leaf1_answers_show_version(monkeypatch: pytest.MonkeyPatch, answer: str) -> None:
    """leaf1's twin answers `show version` with `answer` (the health check's command)."""
    execute = CliSession.execute

    def broken_show_version(self, line, tokens=None):  # type: ignore[no-untyped-def]
        if self.ds.name == "leaf1" and line.strip() == platform.SHOW_VERSION:
            return answer
        return execute(self, line, tokens)

    monkeypatch.setattr(CliSession, "execute", broken_show_version)


def test_a_failed_health_check_leaves_the_confirmed_commit_pending_and_says_so(
        twin: Twin, monkeypatch: pytest.MonkeyPatch) -> None:
    """mode="confirmed": after the commit, `show version` must answer before the accept. When
    it does not, the host fails, nothing is accepted, and the error says the commit rolls
    back by itself (never ran: the accept path was the only one tested)."""
    _leaf1_answers_show_version(monkeypatch, "Error: management server not ready")
    nr = nornir_on_twin(twin)
    before = twin.datastore("leaf1").running.copy()
    try:
        leaf1 = nr.filter(F(name="leaf1"))
        multi = leaf1.run(task=configure_fabric, fabric=fabric_from_nornir(nr), mode="confirmed",
                          confirm_timeout=120)["leaf1"]
        result = multi[0].result
        assert multi.failed
        assert (result["committed"], result["pending_confirm"]) == (True, True)
        # the device's answer, not "health_check failed" (which said nothing of why)
        assert result["error"] == ("`show version`: Error: management server not ready "
                                   "(commit not accepted: it rolls back 120s after its commit)")
        assert twin.datastore("leaf1").pending is not None  # left for the caller to settle
        rejected = leaf1.run(task=confirm_commit, accept=False, on_failed=True)["leaf1"][0].result
    finally:
        nr.close_connections(on_failed=True)
    assert rejected["rejected"] is True and twin.datastore("leaf1").pending is None
    assert twin.datastore("leaf1").running == before


def test_a_config_line_holding_a_newline_is_refused_before_any_login(twin: Twin) -> None:
    """apply_config's own guard (the renderer's is another): a runbook's line with a newline
    would type a second command. Refused with the documented dict, the device never reached."""
    nr = nornir_on_twin(twin)
    logins_before = dict(twin.state().endpoints)  # the twin is up; nothing below connects
    try:
        result = nr.filter(F(name="leaf1")).run(
            task=apply_config, config=["set / interface ethernet-1/5 description a\nset / system name host-name x"])
    finally:
        nr.close_connections(on_failed=True)
    out = result["leaf1"][0].result
    assert result["leaf1"].failed
    assert (out["reached"], out["committed"], out["changed"]) == (False, False, False)
    assert out["error"].startswith("leaf1: config: 'set / interface ethernet-1/5 description a\\nset")
    assert out["error"].endswith("is not one CLI line (it holds a control character)")
    assert "scrapli" not in nr.inventory.hosts["leaf1"].connections
    assert twin.state().endpoints == logins_before


def test_a_check_that_raises_on_one_host_fails_that_host_loudly_in_a_poll(
        twin: Twin, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """failover-test's evaluator: a bug in a check on one host (an exception out of the
    task) must fail that host as `collect`, named as a bug, while the others are judged.
    The branch never ran; were it to drop the host, the poll would judge the fabric
    without it and could call a degraded state reached."""
    from nornir_evpn.checks import resolve_checks
    from nornir_evpn.failover.evaluator import verify_evaluator
    from nornir_evpn.failover.model import NO_FAULTS

    [check] = resolve_checks(["bgp.underlay_established"])
    run = type(check).run

    def buggy(self, view, node, obs):  # type: ignore[no-untyped-def]
        if node.name == "spine1":
            raise ZeroDivisionError("division by zero")
        return run(self, view, node, obs)

    monkeypatch.setattr(type(check), "run", buggy)
    nr = nornir_on_twin(twin)
    srl = nr.filter(filter_func=lambda h: h.name in SRL)
    try:
        evaluate = verify_evaluator(srl, fabric_from_nornir(nr), [check])
        out = evaluate(NO_FAULTS)
    finally:
        nr.close_connections(on_failed=True)
    assert out[("collect", "spine1")].ok is False
    assert out[("collect", "spine1")].detail == (
        "spine1: internal error (ZeroDivisionError: division by zero), see the traceback above")
    assert not any(h == "spine1" for c, h in out if c != "collect")
    assert {h for c, h in out if c == "bgp.underlay_established"} == {"leaf1", "leaf2", "leaf3"}
    assert "internal error: a bug in nornir_evpn" in capsys.readouterr().err  # its traceback, once


def test_rollback_checkpoint_on_a_required_host_that_lost_it_fails_that_host_only(twin: Twin) -> None:
    """The runbook task's own guard (the CLI refuses earlier, in its pre-read): a host the run
    committed on whose checkpoint is gone fails with why, and is not reverted; a host that
    still holds it reverts. The task-level branch never ran."""
    from nornir_evpn.tasks.checkpoint import checkpoint_name, rollback_checkpoint

    nr = nornir_on_twin(twin)
    leaves = nr.filter(filter_func=lambda h: h.name in ("leaf1", "leaf2"))
    name = checkpoint_name()
    before = {n: twin.datastore(n).running.copy() for n in ("leaf1", "leaf2")}
    try:
        configured = leaves.run(task=configure_fabric, fabric=fabric_from_nornir(nr), checkpoint=name)
        assert not configured.failed
        after = twin.datastore("leaf1").running.copy()
        twin.datastore("leaf1").clear_checkpoint(name)
        back = leaves.run(task=rollback_checkpoint, checkpoint=name, required=("leaf1", "leaf2"))
    finally:
        nr.close_connections(on_failed=True)
    leaf1, leaf2 = back["leaf1"][0].result, back["leaf2"][0].result
    assert back["leaf1"].failed and (leaf1["found"], leaf1["reverted"]) == (False, False)
    assert leaf1["error"].startswith(f"checkpoint {name} is no longer on leaf1 (")
    assert leaf1["error"].endswith("later checkpoints pushed it out (a device keeps max-checkpoints, "
                                   "10 by default), or it was cleared; not reverted")
    assert twin.datastore("leaf1").running == after
    assert not back["leaf2"].failed and leaf2["reverted"] is True
    assert twin.datastore("leaf2").running == before["leaf2"]


def test_a_restore_that_hits_a_bug_inside_apply_config_is_tried_once(
        twin: Twin, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A bug of ours in the restore's apply_config (caught there, said as `internal error (...)`
    after `leaf1: ethernet-1/1 admin-state enable not committed: `) is the same on every
    attempt: tried once, like one the task lets out, not retried until --timeout."""
    import time

    from nornir_evpn.tasks import config as config_tasks

    from nornir_evpn.failover import restore

    loads: list[str] = []

    def broken_load(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        loads.append("load")
        raise KeyError("x")

    monkeypatch.setattr(config_tasks, "load_lines", broken_load)
    monkeypatch.setattr(restore, "RESTORE_RETRY_DELAY_S", 0.01)
    nr = nornir_on_twin(twin)
    try:
        ok, error, _ = restore.enable_with_retries(nr, "leaf1", "ethernet-1/1", timeout=5, clock=time.monotonic)
    finally:
        nr.close_connections(on_failed=True)
    assert not ok and error is not None
    assert error.startswith("leaf1: ethernet-1/1 admin-state enable not committed: internal error (KeyError: 'x')")
    assert loads == ["load"]  # 0.16's first cut retried it RESTORE_ATTEMPTS times
    assert "internal error: a bug in nornir_evpn" in capsys.readouterr().err


def test_list_checkpoints_cut_by_an_interrupt_says_so_not_a_lost_session(
        twin: Twin, monkeypatch: pytest.MonkeyPatch) -> None:
    """A runbook's Ctrl-C (`uncommitted.cut`) closes the session of a host still reading its
    list: its error is the interrupt, not "connection lost", which sent the operator looking
    at a device that was fine."""
    import threading

    from nornir_evpn.tasks.checkpoint import list_checkpoints

    from nornir_evpn import uncommitted

    cancel = threading.Event()
    cut: list[list[str]] = []
    execute = CliSession.execute

    def interrupted_while_leaf1_reads(self, line, tokens=None):  # type: ignore[no-untyped-def]
        if self.ds.name == "leaf1" and line.strip() == platform.CHECKPOINT_STATE and not cancel.is_set():
            cancel.set()  # the operator's Ctrl-C, while leaf1's answer is still to come
            cut.append(uncommitted.cut(cancel))
        return execute(self, line, tokens)

    monkeypatch.setattr(CliSession, "execute", interrupted_while_leaf1_reads)
    nr = nornir_on_twin(twin)
    try:
        listed = nr.filter(F(name="leaf1")).run(task=list_checkpoints, cancel=cancel)["leaf1"]
    finally:
        nr.close_connections(on_failed=True)
    assert cut == [["leaf1"]]
    assert listed.failed and listed[0].result == {"checkpoints": [], "error": "interrupted: not read"}


def test_a_failed_health_check_says_the_answer_in_one_line_with_its_controls_written_out(
        twin: Twin, monkeypatch: pytest.MonkeyPatch) -> None:
    """The device's answer goes into the host's error, which reaches a terminal: an answer of
    several lines broke the report's one line per host, and a bell or a bidi override in it
    acted on the operator's terminal (scrapli strips the escape sequences only)."""
    from nornir_evpn.tasks.config import health_check

    _leaf1_answers_show_version(monkeypatch, "Error: management server\n  not \u202eydaer\x07")
    nr = nornir_on_twin(twin)
    try:
        checked = nr.filter(F(name="leaf1")).run(task=health_check)["leaf1"]
    finally:
        nr.close_connections(on_failed=True)
    assert checked.failed
    assert checked[0].result == {"ok": False, "error": "`show version`: Error: management server not \\u202eydaer\\x07"}
