"""Injected faults: the faulty host fails with one line, the others finish, and no host is
left with an open candidate, a pending commit-confirmed or a partial config.

Covered elsewhere (tests/test_configure_e2e.py): rejected commit, all-or-nothing rollbacks,
unreachable + wrong password in a twin process, SIGINT. Here: the same faults plus a hang
past the timeout and a connection dropped mid-commit, each with the twin's datastores checked.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nornir_evpn.twin.cli_engine import CliSession
from nornir_evpn.twin.config_tree import parse_flat
from reliability.helpers import (
    INVENTORY,
    SRL_NODES,
    TwinProcess,
    Watch,
    run_cli,
    short_timeout_inventory,
)

TUTORIAL_MH = set((Path(__file__).resolve().parents[1] / "templates" / "test_render.py").read_text()
                  .split('TUTORIAL_MH = """\\\n', 1)[1].split('"""', 1)[0].splitlines())

# a node under the twin's `unreachable` fault resets each connection before the SSH banner
UNREACHABLE = "cannot connect: the connection closed before the SSH login"


def startup(node: str) -> frozenset[str]:
    return frozenset(parse_flat((INVENTORY / "configs" / f"{node}.cfg").read_text()).flat())


# the remote leaf gets the mac-vrf's ECMP too (aliasing towards ES-1), the spine nothing
REMOTE_LEAF_MH = frozenset({"set / network-instance mac-vrf-1 protocols bgp-evpn bgp-instance 1 ecmp 2"})


def configured(node: str) -> frozenset[str]:
    extra = {"leaf1": TUTORIAL_MH, "leaf2": TUTORIAL_MH, "leaf3": REMOTE_LEAF_MH}.get(node, set())
    return startup(node) | extra


def configure(watch: Watch, capsys, *extra: str, inventory: Path = INVENTORY):  # type: ignore[no-untyped-def]
    run = run_cli(capsys, "configure", "--twin", "--twin-state", str(watch.state),
                  "--inventory", str(inventory), "--json", *extra)
    return run.code, run.doc


def assert_others_configured(watch: Watch, doc: dict, faulty: str) -> None:
    running = watch.running()
    for node in SRL_NODES:
        if node != faulty:
            assert doc["hosts"][node]["ok"] is True, doc["hosts"][node]
            assert running[node] == configured(node), node


def assert_one_line_failure(doc: dict, host: str, starts: str) -> None:
    entry = doc["hosts"][host]
    assert entry["ok"] is False and entry["committed"] is False
    assert entry["error"].startswith(starts), entry["error"]
    assert "\n" not in entry["error"] and "Traceback" not in entry["error"]


def wait_sessions_closed(watch: Watch, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(s.closed or s.kind is None for s in watch.sessions):
            return
        time.sleep(0.05)


def drop_on_next_commit(watch: Watch, node: str, *, applied: bool) -> None:
    """`node`'s next commit drops every SSH session on the twin's loop, so the answer never
    reaches the client; with `applied` the commit is made first, else never."""
    ds = watch.twin.datastore(node)
    server = watch.twin.servers[node]
    original = ds.commit

    def dropping_commit(*args, **kwargs):  # type: ignore[no-untyped-def]
        ds.commit = original
        if applied:
            original(*args, **kwargs)
        server.drop_connections()

    ds.commit = dropping_commit  # type: ignore[method-assign]


def test_commit_rejected_leaves_no_candidate(watch: Watch, capsys):
    watch.twin.reject_next_commit("leaf2")
    code, doc = configure(watch, capsys)
    assert code == 1
    assert_one_line_failure(doc, "leaf2", "commit now: Error: commit rejected by twin fault")
    assert watch.running()["leaf2"] == startup("leaf2")
    assert_others_configured(watch, doc, "leaf2")
    wait_sessions_closed(watch)
    watch.assert_clean()


def test_unreachable_host_leaves_the_others_clean(watch: Watch, capsys):
    watch.twin.set_unreachable("leaf1")
    code, doc = configure(watch, capsys)
    assert code == 1
    assert_one_line_failure(doc, "leaf1", UNREACHABLE)
    assert "leaf1" not in watch.logins
    assert watch.running()["leaf1"] == startup("leaf1")
    assert_others_configured(watch, doc, "leaf1")
    watch.assert_clean()


def test_host_hanging_past_the_timeout_fails_alone(tmp_path, capsys):
    # the transport's own read timeout bounds a silent device; scrapli's thread-based
    # timeout_ops (off in the inventory) raced ssh2's blocking read and could hang
    inv = short_timeout_inventory(tmp_path)
    # leaf2 accepts the login, then never answers a line (within this test)
    with TwinProcess(tmp_path, {"slow": {"leaf2": 60.0}}) as tp:
        t0 = time.monotonic()
        run = run_cli(capsys, "configure", "--twin", "--twin-state", str(tp.state),
                      "--inventory", str(inv), "--json")
        elapsed = time.monotonic() - t0
    assert elapsed < 30
    assert run.code == 1
    doc = run.doc
    assert_one_line_failure(doc, "leaf2", "timeout")
    for node in ("leaf1", "leaf3", "spine1"):
        assert doc["hosts"][node]["ok"] is True
        assert frozenset(tp.report["running"][node]) == configured(node)
    assert frozenset(tp.report["running"]["leaf2"]) == startup("leaf2")
    assert tp.report["open"] == []


def test_wrong_password_leaves_no_candidate(tmp_path, capsys):
    with TwinProcess(tmp_path, {"password": {"leaf1": "not-the-password"}}) as tp:
        run = run_cli(capsys, "configure", "--twin", "--twin-state", str(tp.state),
                      "--inventory", str(INVENTORY), "--json")
    assert run.code == 1
    assert_one_line_failure(run.doc, "leaf1", "authentication failed")
    assert frozenset(tp.report["running"]["leaf1"]) == startup("leaf1")
    assert frozenset(tp.report["running"]["leaf2"]) == configured("leaf2")
    assert tp.report["open"] == []


@pytest.mark.parametrize("when", ["before-apply", "after-apply"])
def test_connection_dropped_mid_commit(watch: Watch, capsys, when):
    drop_on_next_commit(watch, "leaf2", applied=when == "after-apply")
    code, doc = configure(watch, capsys)
    assert code == 1
    entry = doc["hosts"]["leaf2"]
    assert entry["ok"] is False and entry["error"] and "\n" not in entry["error"]
    # either way the answer to `commit now` was lost: the outcome is unknown, not "nothing
    # changed" (after-apply, the device did commit), and the diff read before is kept
    assert entry["commit_unknown"] is True and entry["committed"] is False
    assert entry["error"].endswith("after `commit now` was sent: it may have committed; "
                                   "check leaf2's running config"), entry["error"]
    assert (entry["added"], entry["removed"]) == (36, 0)  # leaf1's multi-homing: 36 `insert` lines
    # it may have committed: its checkpoint stays its way back, not cleared as a leftover
    assert doc["checkpoint"] and (entry["checkpoint"], entry["checkpoint_left"]) == (doc["checkpoint"], None)
    assert_others_configured(watch, doc, "leaf2")
    assert not any(doc["hosts"][n]["commit_unknown"] for n in SRL_NODES if n != "leaf2")
    expected = configured("leaf2") if when == "after-apply" else startup("leaf2")
    assert watch.running()["leaf2"] == expected  # old or new, never partial
    wait_sessions_closed(watch)
    watch.assert_clean()


@pytest.mark.parametrize("when", ["before-apply", "after-apply"])
def test_all_or_nothing_settles_a_commit_whose_answer_was_lost(watch: Watch, capsys, when):
    """--all-or-nothing rejects a host whose `commit confirmed` answer was lost: the reject
    says whether it had committed (rolled back now) or not (nothing pending), so the
    outcome is no longer unknown; a first version said "rolled back by its confirm timer"
    for a commit that never applied, or UNKNOWN for one it had just rolled back."""
    drop_on_next_commit(watch, "leaf2", applied=when == "after-apply")
    code, doc = configure(watch, capsys, "--all-or-nothing")
    assert code == 1
    entry = doc["hosts"]["leaf2"]
    assert entry["commit_unknown"] is False and entry["committed"] is False
    tail = "after the commit; rolled back" if when == "after-apply" else \
        "before the commit applied: nothing committed"
    assert entry["error"].startswith("connection lost") and entry["error"].endswith(tail), entry["error"]
    assert "was sent" not in entry["error"] and "may have committed" not in entry["error"], entry["error"]
    assert all(r == startup(n) for n, r in watch.running().items())  # every host rolled back
    wait_sessions_closed(watch)
    watch.assert_clean()


def _configure_leaf1_leaf2(watch: Watch, cwd, sig: signal.Signals, disposition) -> subprocess.Popen[str]:  # type: ignore[no-untyped-def]
    """`configure --twin --hosts leaf1,leaf2` in its own process, `sig` set to `disposition`
    there (SIGINT default: pytest may run with it ignored; SIGHUP ignored: `nohup`)."""
    return subprocess.Popen(
        [sys.executable, "-m", "nornir_evpn", "configure", "--twin", "--twin-state",
         str(watch.state), "--inventory", str(INVENTORY), "--hosts", "leaf1,leaf2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
        preexec_fn=lambda: signal.signal(sig, disposition),
    )


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=["SIGINT", "SIGTERM", "SIGHUP"])
def test_signal_mid_configure_discards_candidates(watch: Watch, tmp_path, in_candidate, sig):
    for node in ("leaf1", "leaf2"):
        watch.twin.set_slow(node, 0.05)  # ~3 s to load the candidate: time to interrupt
    # `sig` at its default in the child whatever pytest inherited: run under `nohup` (SIGHUP
    # ignored, as a background job may be), the child kept SIGHUP ignored and committed
    proc = _configure_leaf1_leaf2(watch, tmp_path, sig, signal.SIG_DFL)
    try:
        assert in_candidate.wait(timeout=20), "configure never opened a candidate"
        time.sleep(0.3)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert "configure interrupted: open candidates discarded" in err
    assert "Traceback" not in err
    for node in ("leaf1", "leaf2"):
        watch.twin.set_slow(node, 0)
    wait_sessions_closed(watch)
    assert watch.running() == {n: startup(n) for n in SRL_NODES}
    watch.assert_clean()


def test_sighup_under_nohup_mid_configure_is_ignored(watch: Watch, tmp_path, in_candidate):
    """`nohup configure ...`: SIGHUP (the operator's session dropped) stays ignored and every
    host commits; 0.8 discarded the candidates still open and reported interrupted."""
    watch.twin.set_slow("leaf1", 0.02)
    proc = _configure_leaf1_leaf2(watch, tmp_path, signal.SIGHUP, signal.SIG_IGN)  # nohup
    try:
        assert in_candidate.wait(timeout=20), "configure never opened a candidate"
        proc.send_signal(signal.SIGHUP)
        out, err = proc.communicate(timeout=60)
    finally:
        watch.twin.set_slow("leaf1", 0)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "configure ok: 2 hosts, 2 changed, 0 failed" in out + err
    assert all(watch.running()[n] != startup(n) for n in ("leaf1", "leaf2"))


def test_connection_dropped_before_confirm_accept_rolls_back(watch: Watch, capsys):
    """commit confirmed applied, then the session dies: no accept, so the device rolls back."""
    drop_on_next_commit(watch, "leaf2", applied=True)
    code, doc = configure(watch, capsys, "--commit-confirmed", "1")
    assert code == 1
    entry = doc["hosts"]["leaf2"]
    assert entry["ok"] is False and entry["error"] and "\n" not in entry["error"]
    # the answer to the commit was lost: unknown, and it rolls back by itself
    assert entry["commit_unknown"] is True
    assert entry["error"].endswith("it may have committed; if it did, it rolls back by itself in 1s "
                                   "(nobody accepts it)"), entry["error"]
    assert doc["hosts"]["leaf1"]["committed"] is True
    deadline = time.monotonic() + 5
    while watch.twin.datastore("leaf2").pending is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert watch.running()["leaf2"] == startup("leaf2")  # rolled back, not half-applied
    assert watch.running()["leaf1"] == configured("leaf1")  # accepted: no rollback
    wait_sessions_closed(watch)
    watch.assert_clean()


@pytest.mark.parametrize("fault", ["unreachable", "drop-mid-show"])
def test_verify_isolates_a_faulty_host(watch: Watch, capsys, monkeypatch, fault):
    """verify is read-only: a faulty host is one line, the others are still checked."""
    if fault == "unreachable":
        watch.twin.set_unreachable("leaf3")
    else:
        execute = CliSession.execute

        def dropping(self, line, tokens=None):  # type: ignore[no-untyped-def]
            if self.ds.name == "leaf3" and line.startswith("show"):
                watch.twin.servers["leaf3"].drop_connections()
                return ""
            return execute(self, line, tokens)

        monkeypatch.setattr(CliSession, "execute", dropping)
    before = watch.running()
    run = run_cli(capsys, "verify", "--twin", "--twin-state", str(watch.state), "--inventory",
                  str(INVENTORY), "--json")
    assert run.code == 1
    doc = run.doc
    err = doc["hosts"]["leaf3"]["error"]
    assert doc["hosts"]["leaf3"]["ok"] is False and err and "\n" not in err
    assert "Traceback" not in run.err
    # the other hosts were connected to and checked (without a fabric model they may fail
    # checks, but they have check results and no transport error)
    for node in ("leaf1", "leaf2", "spine1"):
        assert doc["hosts"][node]["error"] is None, doc["hosts"][node]
        assert doc["hosts"][node]["checks"]
    assert watch.running() == before
    watch.assert_clean()


def test_all_or_nothing_save_that_fails_on_one_host_keeps_its_commit_and_fails_it(watch: Watch, capsys, monkeypatch):
    """`configure --all-or-nothing --save`: every host accepted, then leaf2's `save startup`
    is refused. Its commit stands (all-or-nothing decides before the save) but it must fail
    with why, and the others are saved. That branch of the transaction never ran."""
    execute = CliSession.execute

    def refusing_save(self, line, tokens=None):  # type: ignore[no-untyped-def]
        if self.ds.name == "leaf2" and line.strip() == "save startup":
            return "Error: /etc/opt/srlinux/config.json: No space left on device"
        return execute(self, line, tokens)

    monkeypatch.setattr(CliSession, "execute", refusing_save)
    code, doc = configure(watch, capsys, "--all-or-nothing", "--save")
    assert code == 1
    leaf2 = doc["hosts"]["leaf2"]
    assert (leaf2["ok"], leaf2["committed"], leaf2["saved"]) == (False, True, False)
    assert leaf2["error"] == ("committed, not saved to startup: Error: /etc/opt/srlinux/config.json: "
                              "No space left on device")
    assert watch.running()["leaf2"] == configured("leaf2")  # the commit stands
    for node in ("leaf1", "leaf3", "spine1"):
        assert doc["hosts"][node]["ok"] is True and doc["hosts"][node]["saved"] is True, node
    watch.assert_clean()
