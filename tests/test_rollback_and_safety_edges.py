"""Edges of rollback, checkpoints and the safety guards that the suite did not pin down (found
by hand-made mutation testing of the newest modules): each test fails on its mutant."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest
from nornir_evpn.tasks import checkpoint as checkpoint_tasks
from nornir_evpn.tasks import clear_checkpoint, rollback_checkpoint
from runbook_nornir import nornir_on_twin
from test_rollback_e2e import INVENTORY, _configure, _intent, lab  # noqa: F401  (fixture)

from nornir_evpn import checkpoint_record, platform, session
from nornir_evpn.errors import DeviceError
from nornir_evpn.host_keys import unchecked_hosts, unchecked_note
from nornir_evpn.twin.cli_engine import CliSession
from nornir_evpn.twin.runtime import Twin


def twin_cmd(*args: str, cwd: Path):  # type: ignore[no-untyped-def]
    import os
    import subprocess
    import sys
    env = {**os.environ, platform.DEFAULT_PASSWORD_ENV: "Trust-1!"}
    env.pop("NORNIR_EVPN_TWIN_STATE", None)
    return subprocess.run([sys.executable, "-m", "nornir_evpn", "twin", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=90)


LAB = Path(__file__).resolve().parent.parent / "inventory" / "evpn-mh01.clab.yml"
PROMPT = platform.prompt("leaf1").encode()


# --- checkpoint_record ------------------------------------------------------------------

def test_the_record_keeps_the_newest_runs_not_the_oldest(tmp_path: Path) -> None:
    path = tmp_path / "checkpoints.json"
    for i in range(checkpoint_record.KEEP + 1):
        checkpoint_record.record_run("lab", f"nornir-evpn-{i:03d}", ["leaf1"], False, path=path)
    runs = checkpoint_record.runs_of("lab", path)
    assert len(runs) == checkpoint_record.KEEP
    assert (runs[0]["checkpoint"], runs[-1]["checkpoint"]) == ("nornir-evpn-001", "nornir-evpn-050")
    assert checkpoint_record.find("lab", path=path)["checkpoint"] == "nornir-evpn-050"  # rollback's default


def test_the_record_keeps_a_hosts_last_run_past_other_hosts_newer_ones(tmp_path: Path) -> None:
    """A nightly configure that changes leaf1 only: after 50 of them the record had dropped
    the one run that changed leaf2 (its checkpoint still on leaf2), and `rollback --hosts
    leaf2` said every run was rolled back already. A host's newest runs stay, up to the ten
    a device keeps (one undone there too: the host still holds its checkpoint); older than
    those ten, it goes."""
    path = tmp_path / "checkpoints.json"
    checkpoint_record.record_run("lab", "nornir-evpn-000", ["leaf1", "leaf2"], False, path=path)
    checkpoint_record.record_run("lab", "nornir-evpn-001", ["leaf3"], False, path=path)
    checkpoint_record.mark_undone("lab", "nornir-evpn-001", ["leaf3"], path=path)
    for i in range(2, 2 + checkpoint_record.KEEP + checkpoint_record.KEEP_PER_HOST):
        checkpoint_record.record_run("lab", f"nornir-evpn-{i:03d}", ["leaf1"], False, path=path)
    names = [r["checkpoint"] for r in checkpoint_record.known_of("lab", path)]
    assert names[:2] == ["nornir-evpn-000", "nornir-evpn-001"]
    assert len(names) == checkpoint_record.KEEP + 2
    assert checkpoint_record.find("lab", path=path, selected={"leaf2"})["checkpoint"] == "nornir-evpn-000"
    assert checkpoint_record.find("lab", path=path, selected={"leaf3"}) is None  # 001 is rolled back
    # leaf2 changed ten times since: its run of 000 is past what a device keeps, and goes
    for i in range(100, 100 + checkpoint_record.KEEP_PER_HOST):
        checkpoint_record.record_run("lab", f"nornir-evpn-{i:03d}", ["leaf2"], False, path=path)
    names = [r["checkpoint"] for r in checkpoint_record.known_of("lab", path)]
    assert "nornir-evpn-000" not in names and len(names) == checkpoint_record.KEEP + 1


def test_the_record_keeps_a_run_undone_on_a_host_that_still_holds_its_checkpoint(tmp_path: Path) -> None:
    """000 changed leaf1 and leaf2, 001 leaf2 alone, and `rollback --hosts leaf2` undid 001
    (leaf2 keeps 001's checkpoint: a revert clears nothing); then 50 runs changed leaf1. The
    record kept 000 for leaf2 but dropped 001, and `rollback --hosts leaf2` was refused:
    leaf2 held 001's checkpoint, "newer than the last run recorded here and not made by a
    configure from this directory" (review, 4-leaf twin)."""
    path = tmp_path / "checkpoints.json"
    checkpoint_record.record_run("lab", "nornir-evpn-000", ["leaf1", "leaf2"], False, path=path)
    checkpoint_record.record_run("lab", "nornir-evpn-001", ["leaf2"], False, path=path)
    checkpoint_record.mark_undone("lab", "nornir-evpn-001", ["leaf2"], path=path)
    # and a run interrupted on leaf2 that left its checkpoint there, committing nothing
    checkpoint_record.record_run("lab", "nornir-evpn-002", [], False, path=path, left=["leaf2"])
    checkpoint_record.forget("lab", "nornir-evpn-002", ["leaf2"], path=path)
    for i in range(3, 3 + checkpoint_record.KEEP):
        checkpoint_record.record_run("lab", f"nornir-evpn-{i:03d}", ["leaf1"], False, path=path)
    known = {r["checkpoint"] for r in checkpoint_record.known_of("lab", path)}
    assert {"nornir-evpn-000", "nornir-evpn-001", "nornir-evpn-002"} <= known  # newer_unrecorded's view
    assert checkpoint_record.find("lab", path=path, selected={"leaf2"})["checkpoint"] == "nornir-evpn-000"


def test_the_record_keeps_a_run_that_failed_on_a_host(tmp_path: Path) -> None:
    """A run that failed on leaf2 may have made its checkpoint there before failing: kept
    for leaf2 past 50 newer runs of leaf1, as a run that changed leaf2 is."""
    path = tmp_path / "checkpoints.json"
    checkpoint_record.record_run("lab", "nornir-evpn-000", [], False, path=path, failed=["leaf2"])
    for i in range(1, 1 + checkpoint_record.KEEP):
        checkpoint_record.record_run("lab", f"nornir-evpn-{i:03d}", ["leaf1"], False, path=path)
    names = [r["checkpoint"] for r in checkpoint_record.known_of("lab", path)]
    assert names[0] == "nornir-evpn-000" and len(names) == checkpoint_record.KEEP + 1


def test_the_record_counts_a_hosts_runs_per_lab(tmp_path: Path) -> None:
    """Two labs in one record, each with a `leaf1`: lab b's runs on its leaf1 do not push
    lab a's one run on its own leaf1 past the ten a device keeps."""
    path = tmp_path / "checkpoints.json"
    checkpoint_record.record_run("a", "nornir-evpn-000", ["leaf1"], False, path=path)
    for i in range(1, 1 + checkpoint_record.KEEP + checkpoint_record.KEEP_PER_HOST):
        checkpoint_record.record_run("b", f"nornir-evpn-{i:03d}", ["leaf1"], False, path=path)
    assert [r["checkpoint"] for r in checkpoint_record.known_of("a", path)] == ["nornir-evpn-000"]
    assert len(checkpoint_record.known_of("b", path)) == checkpoint_record.KEEP


def test_the_record_keeps_per_host_the_checkpoints_a_device_keeps() -> None:
    from nornir_evpn.twin.datastore import MAX_CHECKPOINTS

    assert checkpoint_record.KEEP_PER_HOST == MAX_CHECKPOINTS == 10  # max-checkpoints' default


@pytest.mark.parametrize("runs", [{"x": {"checkpoint": "nornir-evpn-1"}}, "nornir-evpn-1"])
def test_a_record_whose_runs_is_no_list_is_unreadable_not_empty(tmp_path: Path, runs) -> None:
    path = tmp_path / "checkpoints.json"
    path.write_text(json.dumps({"runs": runs}))
    path.chmod(0o600)
    with pytest.raises(checkpoint_record.RecordUnreadable, match="not a checkpoint record"):
        checkpoint_record.known_of("lab", path)


# --- rollback without a record: the devices' newest -----------------------------------

def test_without_a_record_the_newest_of_several_runs_is_the_default(lab, capsys, tmp_path,  # noqa: F811
                                                                      own_checkpoint_record) -> None:
    _configure(lab, capsys, INVENTORY)
    older = _configure(lab, capsys, _intent(tmp_path, 4))["checkpoint"]
    newer = _configure(lab, capsys, _intent(tmp_path, 8))["checkpoint"]
    assert older < newer
    own_checkpoint_record.unlink()
    code, doc, _ = lab.run(capsys, "rollback", "--dry-run")
    assert code == 0 and doc["checkpoint"] == newer


def test_a_failed_save_after_a_revert_fails_the_host(lab, capsys, monkeypatch) -> None:  # noqa: F811
    assert lab.run(capsys, "configure")[0] == 0
    execute = CliSession.execute

    def refuse(self, typed, tokens=None):  # type: ignore[no-untyped-def]
        if self.hostname == "leaf2" and typed.strip() == platform.SAVE_STARTUP:
            return "Error: disk full\n"
        return execute(self, typed, tokens)

    monkeypatch.setattr(CliSession, "execute", refuse)
    code, doc, _ = lab.run(capsys, "rollback", "--save")
    leaf2 = doc["hosts"]["leaf2"]
    assert code == 1 and doc["ok"] is False
    assert leaf2["ok"] is False and leaf2["reverted"] is True and leaf2["saved"] is False
    assert leaf2["error"].startswith("reverted, not saved to startup: ")
    assert doc["hosts"]["leaf1"]["ok"] is True


# --- tasks.checkpoint in a runbook ------------------------------------------------------

@pytest.fixture
def twin():
    with Twin(LAB) as t:
        yield t


def _one(twin: Twin, node: str, **kwargs):  # type: ignore[no-untyped-def]
    nr = nornir_on_twin(twin).filter(name=node)
    if kwargs.pop("dry_run", False):
        nr.data.dry_run = True
    task = kwargs.pop("task")
    try:
        return nr.run(task=task, **kwargs)[node][0]
    finally:
        nr.close_connections(on_failed=True)


def _generate(twin: Twin, node: str, name: str) -> None:
    from nornir_evpn.tasks.cli_lines import run_commands, running_session

    def gen(task):  # type: ignore[no-untyped-def]
        with running_session(task) as conn:
            run_commands(conn, [platform.generate_checkpoint(name, "t")])

    assert not _one(twin, node, task=gen).failed


def test_nornirs_dry_run_switch_reverts_nothing(twin: Twin) -> None:
    _generate(twin, "leaf1", "nornir-evpn-a")
    r = _one(twin, "leaf1", task=rollback_checkpoint, checkpoint="nornir-evpn-a", dry_run=True)
    assert not r.failed and r.result["found"] is True and r.result["reverted"] is False and not r.changed


def test_a_cancelled_rollback_sends_no_revert(twin: Twin) -> None:
    _generate(twin, "leaf1", "nornir-evpn-a")
    cancel = threading.Event()
    cancel.set()
    r = _one(twin, "leaf1", task=rollback_checkpoint, checkpoint="nornir-evpn-a", cancel=cancel)
    assert r.failed and r.result["error"] == "interrupted: not reverted" and r.result["reverted"] is False


def test_a_revert_sent_and_unanswered_says_it_may_have_reverted(twin: Twin, monkeypatch) -> None:
    _generate(twin, "leaf1", "nornir-evpn-a")
    _changed_since(twin, "leaf1")  # (nothing to revert sends no revert)
    real = checkpoint_tasks.run_commands

    def lost(conn, commands, batch_lines=1):  # type: ignore[no-untyped-def]
        if commands[0].endswith(" revert"):
            raise EOFError("session closed")
        return real(conn, commands, batch_lines)

    monkeypatch.setattr(checkpoint_tasks, "run_commands", lost)
    r = _one(twin, "leaf1", task=rollback_checkpoint, checkpoint="nornir-evpn-a")
    assert r.failed and "after `tools system configuration checkpoint nornir-evpn-a revert` was sent: " \
        "it may have reverted; check leaf1's running config" in r.result["error"]


def test_a_revert_sent_then_lost_during_an_interrupt_still_says_it_may_have_reverted(twin: Twin,
                                                                                      monkeypatch) -> None:
    """Ctrl-C while the revert is on its way, and the session then lost: the revert went out,
    so "interrupted: not reverted" would tell the operator the host is as it was."""
    _generate(twin, "leaf1", "nornir-evpn-a")
    _changed_since(twin, "leaf1")  # (nothing to revert sends no revert)
    real = checkpoint_tasks.run_commands
    cancel = threading.Event()

    def lost(conn, commands, batch_lines=1):  # type: ignore[no-untyped-def]
        if commands[0].endswith(" revert"):
            cancel.set()
            raise EOFError("session closed")
        return real(conn, commands, batch_lines)

    monkeypatch.setattr(checkpoint_tasks, "run_commands", lost)
    r = _one(twin, "leaf1", task=rollback_checkpoint, checkpoint="nornir-evpn-a", cancel=cancel)
    assert r.failed and "after `tools system configuration checkpoint nornir-evpn-a revert` was sent: " \
        "it may have reverted; check leaf1's running config" in r.result["error"]


def _changed_since(twin: Twin, node: str) -> None:
    """A commit on `node` after its checkpoint: reverting to it would change something."""
    async def commit() -> None:
        ds = twin.datastore(node)
        changed = ds.running.copy()
        changed.set(("interface", "lag9", "admin-state", "enable"))
        ds.commit(ds.running, changed)

    twin._run(commit())


def test_a_revert_preview_is_discarded_and_its_diff_is_the_results(twin: Twin) -> None:
    """A runbook's dry run (no cancel event) loads the checkpoint into a private candidate to
    read its diff: the candidate is left again (the session back in running mode, not holding
    the checkpoint's configuration for the next task), and Nornir's `Result.diff` is the
    revert's, as configure_fabric's is its change."""
    from nornir_evpn.tasks.cli_lines import CONNECTION

    _generate(twin, "leaf1", "nornir-evpn-a")
    _changed_since(twin, "leaf1")
    nr = nornir_on_twin(twin).filter(name="leaf1")
    try:
        r = nr.run(task=rollback_checkpoint, checkpoint="nornir-evpn-a", dry_run=True)["leaf1"][0]
        conn = nr.inventory.hosts["leaf1"].connections[CONNECTION].connection
        assert conn._current_priv_level.name == "exec"
    finally:
        nr.close_connections(on_failed=True)
    # a dry run with a diff says changed (would change), as configure's does
    assert not r.failed and r.changed and r.result["diff"] == "delete / interface lag9"
    assert r.diff == r.result["diff"]


def test_an_interrupt_while_the_revert_is_previewed_ends_the_dry_run_as_interrupted(twin: Twin,
                                                                                     monkeypatch) -> None:
    """Ctrl-C while the checkpoint is loaded for its diff: the host is "interrupted: not
    reverted" (its session dropped with the candidate), not a dry run that went well with
    the interrupt as the reason its diff was not read."""
    _generate(twin, "leaf1", "nornir-evpn-a")
    _changed_since(twin, "leaf1")
    cancel = threading.Event()
    real = checkpoint_tasks.load_lines

    def signalled(conn, lines, batch_lines, cut, **kwargs):  # type: ignore[no-untyped-def]
        cancel.set()  # lands as the load starts
        return real(conn, lines, batch_lines, cut, **kwargs)

    monkeypatch.setattr(checkpoint_tasks, "load_lines", signalled)
    r = _one(twin, "leaf1", task=rollback_checkpoint, checkpoint="nornir-evpn-a", dry_run=True, cancel=cancel)
    assert r.failed and r.result["error"] == "interrupted: not reverted"
    assert (r.result["diff"], r.result["diff_error"], r.result["reverted"]) == (None, None, False)


def test_clearing_a_checkpoint_the_host_lacks_is_no_failure(twin: Twin) -> None:
    r = _one(twin, "leaf1", task=clear_checkpoint, checkpoint="nornir-evpn-none")
    assert not r.failed and r.result == {"cleared": False, "error": None}


def test_a_clear_the_device_refuses_fails_the_host(twin: Twin, monkeypatch) -> None:
    _generate(twin, "leaf1", "nornir-evpn-a")
    execute = CliSession.execute

    def refuse(self, typed, tokens=None):  # type: ignore[no-untyped-def]
        if typed.strip() == platform.clear_checkpoint("nornir-evpn-a"):
            return "Error: checkpoint is locked\n"
        return execute(self, typed, tokens)

    monkeypatch.setattr(CliSession, "execute", refuse)
    r = _one(twin, "leaf1", task=clear_checkpoint, checkpoint="nornir-evpn-a")
    assert r.failed and r.result == {"cleared": False, "error": "Error: checkpoint is locked"}


# --- session.paste's deadline -------------------------------------------------------------

class _Answering:
    """Answers each typed line with its echo and a prompt; every other read returns nothing."""

    def __init__(self, timeout_transport: float = 30.0) -> None:
        self.timeout_transport = timeout_transport
        self.channel = self
        self.queue: list[bytes] = []
        self.reads = 0

    def write(self, data: str) -> None:
        self.queue += [f"{line}\nok\n".encode() + PROMPT for line in data.splitlines()]

    def read(self) -> bytes:
        self.reads += 1
        return self.queue.pop(0) if self.queue and self.reads % 2 == 0 else b""


def _clock(monkeypatch, step: float) -> None:  # type: ignore[no-untyped-def]
    now = [1000.0]

    def clock() -> float:
        now[0] += step
        return now[0]

    monkeypatch.setattr(session.time, "monotonic", clock)


def test_the_deadline_is_per_answer_not_per_paste(monkeypatch) -> None:
    _clock(monkeypatch, 20.0)  # each answer within a minute; the whole paste far past 300 s
    lines = [f"show line {i}" for i in range(40)]
    assert [line for line, _, _ in session.paste(_Answering(), lines, 1)] == lines


class _Dripping:
    timeout_transport = 60.0

    def __init__(self) -> None:
        self.channel = self

    def write(self, _data: str) -> None:
        pass

    def read(self) -> bytes:
        return b"x"


def test_the_deadline_follows_the_sessions_timeout_transport(monkeypatch) -> None:
    _clock(monkeypatch, 30.0)
    with pytest.raises(DeviceError, match=r"went on past 600s without a prompt"):
        list(session.paste(_Dripping(), ["show version"], 8))


# --- own_files: the twin's lock and log -------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a file away needs root")
@pytest.mark.parametrize("name", ["s.json.log", "s.json.lock"])
def test_a_twin_log_or_lock_of_another_user_is_refused(tmp_path: Path, name: str) -> None:
    """(One of this user's that others may write is tightened instead: test_state_file_trust.)"""
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / name).write_text("")
    os.chown(shared / name, 65534, -1)
    r = twin_cmd("up", "--state-file", str(shared / "s.json"), cwd=tmp_path)
    try:
        assert r.returncode == 2 and "owned by uid 65534" in r.stderr and name in r.stderr, r.stderr
        assert not (shared / "s.json").exists()
    finally:
        if (shared / "s.json").exists():
            twin_cmd("down", "--state-file", str(shared / "s.json"), cwd=tmp_path)


# --- host_keys ----------------------------------------------------------------------------

class _Host:
    def __init__(self, name: str, hostname: str, extras: dict | None) -> None:
        self.name, self.hostname, self._extras = name, hostname, extras

    def get_connection_parameters(self, _connection: str):  # type: ignore[no-untyped-def]
        return type("P", (), {"extras": self._extras})()


def test_a_host_with_scrapli_s_default_strict_checking_is_not_named() -> None:
    hosts = [_Host("leaf1", "10.99.0.7", {}), _Host("leaf2", "10.99.0.8", None),
             _Host("leaf3", "10.99.0.9", {"auth_strict_key": False})]
    assert unchecked_hosts(hosts, {"lab": "evpn-mh01"}) == ["leaf3"]


def test_five_unchecked_hosts_are_all_named_without_a_more() -> None:
    five = [f"leaf{i}" for i in range(1, 6)]
    assert "for leaf1, leaf2, leaf3, leaf4, leaf5 (auth_strict_key" in unchecked_note(five)
    assert "and 1 more" in unchecked_note([*five, "leaf6"])


def test_the_checkpoint_list_is_ordered_by_the_devices_ids() -> None:
    from nornir_evpn.tasks.checkpoint import parse_checkpoints

    doc = {"srl_nokia-configuration:checkpoint": [
        {"id": 1, "name": "b"}, {"id": 2, "name": "c"}, {"id": 0, "name": "a"}]}
    assert [c["name"] for c in parse_checkpoints(json.dumps(doc))] == ["a", "b", "c"]


# --- device_text ---------------------------------------------------------------------------

def test_an_escape_sequence_alone_in_ascii_text_is_written_out() -> None:
    from nornir_evpn.device_text import visible

    assert visible("desc \x1bc\x1b[2J end") == "desc \\x1bc\\x1b[2J end"  # reset, clear: pure ASCII


def test_a_bidi_override_or_c1_control_alone_is_written_out() -> None:
    from nornir_evpn.device_text import visible

    assert visible("| \u202edehsilbatse |") == "| \\u202edehsilbatse |"
    assert visible("| \x9b2J |") == "| \\x9b2J |"


def test_a_junit_failure_keeps_its_lines(tmp_path: Path) -> None:
    from xml.etree import ElementTree

    from nornir_evpn.reporting.common import JUnitCase, JUnitSuite, write_junit

    write_junit(tmp_path / "r.xml", [JUnitSuite("verify", [JUnitCase("verify.bgp", "leaf1",
                                                                     failure="Expected: up\n\tActual: down")])])
    failure = ElementTree.parse(tmp_path / "r.xml").getroot().find("testsuite/testcase/failure")
    assert failure is not None and failure.text == "Expected: up\n\tActual: down"
    assert failure.get("message") == "Expected: up"


def _rollback_table(hosts: dict, dry_run: bool, show_diff: bool = False) -> tuple[dict[str, list[str]], str]:
    """print_rollback's rows ({host: [status, +/-, seconds]}) and its whole text."""
    from rich.console import Console

    from nornir_evpn.reporting.rollback import print_rollback

    console = Console(record=True, width=200)
    print_rollback(console, {"checkpoint": "nornir-evpn-a", "dry_run": dry_run, "save": False, "notes": [],
                             "ok": all(e["ok"] for e in hosts.values()), "hosts": hosts}, show_diff=show_diff)
    text = console.export_text()
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.split("\u2502")[1:-1]]
        if cells and cells[0] in hosts:
            rows[cells[0]] = cells[1:]
    return rows, text


def _reverted(**kw):  # type: ignore[no-untyped-def]
    return {"ok": True, "found": True, "reverted": False, "saved": False, "diff": None, "diff_error": None,
            "added": 0, "removed": 0, "device_error": None, "error": None, "seconds": 0.0, **kw}


def test_the_rollback_table_counts_each_reverts_lines_and_says_what_was_not_read() -> None:
    """The +/- column: the revert's `+added/-removed`, `+0/-0` where running is the
    checkpoint already ("nothing to revert", not counted as one that would revert), `?` where
    the diff was not read (it would still revert), empty without the checkpoint. The diffs
    are printed only when asked for (a dry run, -v)."""
    hosts = {"leaf1": _reverted(diff="insert / interface lag7\ndelete / interface lag9\ndelete / interface lag8",
                                added=1, removed=2),
             "leaf2": _reverted(diff=""),
             "leaf3": _reverted(diff_error="load checkpoint name nornir-evpn-a: Error: not supported"),
             "spine1": _reverted(found=False)}
    rows, text = _rollback_table(hosts, dry_run=True)
    assert rows == {"leaf1": ["would revert", "+1/-2", "0.00"], "leaf2": ["nothing to revert", "+0/-0", "0.00"],
                    "leaf3": ["would revert", "?", "0.00"], "spine1": ["no checkpoint", "", "0.00"]}
    assert "4 hosts, 2 would revert, 1 with nothing to revert, 1 without the checkpoint, 0 failed" in text
    assert "leaf1 diff" not in text
    assert "leaf1 diff" in _rollback_table(hosts, dry_run=True, show_diff=True)[1]


def test_a_revert_that_changed_nothing_says_so_in_the_table_and_the_summary() -> None:
    """`rollback --checkpoint clab-initial` on a spine the run never changed: its revert
    committed nothing, and the table said `reverted +0/-0` and counted it with the hosts
    reverted; it says `nothing to revert`, as the dry run did."""
    hosts = {"leaf1": _reverted(reverted=True, diff="delete / interface lag1", removed=1),
             "spine1": _reverted(reverted=True, diff=""),
             "leaf2": _reverted(reverted=True, diff_error="not read"),
             "leaf3": _reverted(found=False)}
    rows, text = _rollback_table(hosts, dry_run=False)
    assert rows == {"leaf1": ["reverted", "+0/-1", "0.00"], "spine1": ["nothing to revert", "+0/-0", "0.00"],
                    "leaf2": ["reverted", "?", "0.00"], "leaf3": ["no checkpoint", "", "0.00"]}
    assert "4 hosts, 2 reverted, 1 with nothing to revert, 1 without the checkpoint, 0 failed" in text
    failed = {"leaf1": _reverted(ok=False, diff="", error="timeout")}
    rows, text = _rollback_table(failed, dry_run=False)
    assert rows == {"leaf1": ["FAILED", "+0/-0", "0.00"]} and "0 reverted, 0 without the checkpoint, 1 failed" in text


# --- transaction.settle_checkpoints / all_or_nothing ---------------------------------------

def _entry(**kw):  # type: ignore[no-untyped-def]
    return {"checkpoint": "nornir-evpn-x", "checkpoint_left": None, "committed": False,
            "commit_unknown": False, **kw}


def test_a_host_whose_commit_answer_was_lost_keeps_its_checkpoint() -> None:
    """It may have committed: its checkpoint is the way back, never cleared (no session is
    even opened: nr is None)."""
    from nornir_evpn.transaction import settle_checkpoints

    entries = {"leaf1": _entry(commit_unknown=True), "leaf2": _entry(committed=True)}
    assert settle_checkpoints(None, entries, "nornir-evpn-x") == []  # type: ignore[arg-type]
    assert [(e["checkpoint"], e["checkpoint_left"]) for e in entries.values()] == [("nornir-evpn-x", None)] * 2


def test_an_interrupted_all_or_nothing_logs_in_nowhere_to_clear(monkeypatch) -> None:
    from nornir_evpn import transaction

    monkeypatch.setattr(transaction, "_all_or_nothing",
                        lambda *a, **k: ({"leaf1": _entry()}, ["interrupted: every host was rolled back"]))
    cancel = threading.Event()
    cancel.set()
    entries, notes = transaction.all_or_nothing(None, None, None, (), 60, cancel,  # type: ignore[arg-type]
                                                checkpoint="nornir-evpn-x")
    assert entries["leaf1"]["checkpoint_left"] == "nornir-evpn-x" and entries["leaf1"]["checkpoint"] is None
    assert notes[1] == ("checkpoint nornir-evpn-x may be left on leaf1 (interrupted before their commit; "
                        "not cleared): rollback's default never takes it")


def test_an_accept_refused_as_nothing_pending_says_the_commit_rolled_back(monkeypatch) -> None:
    from nornir_evpn import transaction

    monkeypatch.setattr(transaction, "confirm_everywhere", lambda sub, accept: {
        "leaf1": (False, "Error: no pending commit to accept"), "leaf2": (True, None)})
    entries = {h: {"ok": True, "committed": True, "changed": True, "error": None} for h in ("leaf1", "leaf2")}
    entries, notes = transaction.accept_everywhere(None, entries, ["leaf1", "leaf2"], 60)  # type: ignore[arg-type]
    assert entries["leaf1"] == {"ok": False, "committed": False, "changed": False, "error":
                                "accept failed: Error: no pending commit to accept: its commit rolled back, "
                                "its timer ran out"}
    assert entries["leaf2"]["committed"] is True and notes == [
        "the accept failed on leaf1: the fabric is mixed, leaf2 kept the change; run configure again"]


def test_a_run_with_no_change_whose_clear_is_refused_says_its_checkpoint_is_left(twin: Twin, monkeypatch) -> None:
    from nornir_evpn.tasks import checkpoint_name, configure_fabric

    from nornir_evpn.inventory import fabric_from_nornir

    nr = nornir_on_twin(twin)
    leaf1, fabric = nr.filter(name="leaf1"), fabric_from_nornir(nr)
    try:
        assert not leaf1.run(task=configure_fabric, fabric=fabric)["leaf1"].failed  # the change is in
        execute = CliSession.execute

        def refuse(self, typed, tokens=None):  # type: ignore[no-untyped-def]
            if typed.strip().endswith(" clear"):
                return "Error: checkpoint is locked\n"
            return execute(self, typed, tokens)

        monkeypatch.setattr(CliSession, "execute", refuse)
        cp = checkpoint_name()
        r = leaf1.run(task=configure_fabric, fabric=fabric, checkpoint=cp)["leaf1"][0].result
    finally:
        nr.close_connections(on_failed=True)
    assert r["changed"] is False and (r["checkpoint"], r["checkpoint_left"]) == (None, cp)
    assert cp in [c.name for c in twin.datastore("leaf1").checkpoints]


def test_a_runbook_run_with_no_change_leaves_no_checkpoint_on_the_device(twin: Twin) -> None:
    from nornir_evpn.tasks import checkpoint_name, configure_fabric

    from nornir_evpn.inventory import fabric_from_nornir

    nr = nornir_on_twin(twin)
    leaf1, fabric = nr.filter(name="leaf1"), fabric_from_nornir(nr)
    try:
        assert not leaf1.run(task=configure_fabric, fabric=fabric)["leaf1"].failed
        cp = checkpoint_name()
        r = leaf1.run(task=configure_fabric, fabric=fabric, checkpoint=cp)["leaf1"][0].result
    finally:
        nr.close_connections(on_failed=True)
    assert r["changed"] is False and (r["checkpoint"], r["checkpoint_left"]) == (None, None)
    assert cp not in [c.name for c in twin.datastore("leaf1").checkpoints]


def test_a_preview_refused_for_the_role_is_said_once_and_only_when_the_host_failed() -> None:
    """The revert's preview refused for the user's role: said once, by the host's error, when
    the host failed; said as the preview's own line when the revert went through (a role
    that may revert but not load into a candidate) and whenever the preview failed for
    another cause, next to the host's error."""
    refused = ("not authorized: Error: No authorization to execute command: 'load checkpoint name nornir-evpn-a' "
               "(a revert ...)")
    hosts = {"leaf1": _reverted(reverted=True, diff_error=refused),
             "leaf2": _reverted(ok=False, diff_error="load checkpoint name nornir-evpn-a: Error: busy",
                                error="revert refused: Error: busy"),
             "leaf3": _reverted(ok=False, diff_error=refused, error="not authorized: ... nothing was reverted")}
    _, text = _rollback_table(hosts, dry_run=False)
    said = " ".join(text.split())
    assert f"leaf1: what the revert changes was not read ({refused})" in said
    assert "leaf2: what the revert changes was not read (load checkpoint name nornir-evpn-a: Error: busy)" in said
    assert "leaf2: revert refused: Error: busy" in said
    assert "leaf3: what the revert changes" not in said and "leaf3: not authorized: ... nothing was reverted" in said
