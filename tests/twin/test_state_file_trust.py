"""The tool's state files steer it (where it logs in, which pid `twin down` signals, what
rollback reverts): one another user could write is refused, never followed (security review)."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from nornir_evpn import platform
from nornir_evpn.own_files import NotOwnFile, read_own_text
from nornir_evpn.processes import process_start


def nornir_evpn_cmd(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, platform.DEFAULT_PASSWORD_ENV: "Trust-1!"}
    env.pop("NORNIR_EVPN_TWIN_STATE", None)
    env.pop("NORNIR_EVPN_CHECKPOINTS", None)  # the record of the directory the command runs in
    return subprocess.run([sys.executable, "-m", "nornir_evpn", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=90)


def twin_cmd(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return nornir_evpn_cmd("twin", *args, cwd=cwd)


INVENTORY = Path(__file__).resolve().parents[2] / "inventory"
NOBODY = 65534
as_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                             reason="giving a file to another user needs root")


def test_a_state_file_others_may_write_is_refused_and_the_twin_keeps_running(tmp_path: Path) -> None:
    state = tmp_path / ".nornir_evpn" / "twin.json"
    assert twin_cmd("up", cwd=tmp_path).returncode == 0
    try:
        # what the tool creates: a directory only its user enters, files only its user reads
        assert stat.S_IMODE(state.parent.stat().st_mode) == 0o700
        assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in state.parent.iterdir()
                if not p.is_socket()} == dict.fromkeys(
            ("twin.json", "twin.json.lock", "twin.json.log", "twin.json.key", "twin.json.known_hosts",
             "twin.json.known_hosts.scrapli"), 0o600)
        state.chmod(0o620)
        for argv in (("verify", "--twin", "--inventory", str(INVENTORY)), ("twin", "down")):
            r = nornir_evpn_cmd(*argv, cwd=tmp_path)
            assert r.returncode == 2 and r.stderr.count("\n") == 1, (argv, r.stderr)
            assert "twin.json: writable by others (mode 0620" in r.stderr and "not trusted" in r.stderr
        assert json.loads(state.read_text())["pid"]  # not deleted, not rewritten
    finally:
        state.chmod(0o600)
        assert twin_cmd("down", cwd=tmp_path).returncode == 0


@as_root
def test_another_users_state_file_never_gets_a_process_signalled(tmp_path: Path) -> None:
    """Another user wrote a state file naming this user's process (pid and start time right):
    `twin down` SIGTERMed it."""
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        state = tmp_path / "twin.json"
        state.write_text(json.dumps({"pid": victim.pid, "pid_start": process_start(victim.pid), "topology": "t",
                                     "lab": "l", "username": "admin", "nodes": {}}))
        os.chown(state, NOBODY, -1)
        r = twin_cmd("down", "--state-file", str(state), cwd=tmp_path)
        assert r.returncode == 2 and f"owned by uid {NOBODY}, not by this user" in r.stderr
        assert victim.poll() is None and state.exists()
    finally:
        victim.kill()
        victim.wait()


def test_a_symlink_at_the_twins_log_or_lock_is_refused(tmp_path: Path) -> None:
    """In a directory others can write, `twin.json.log` linked to a file of this user's made
    `twin up` append to it, and `twin.json.lock` linked to a new path made it create that."""
    victim, created = tmp_path / "victim", tmp_path / "created"
    victim.write_text("mine\n")
    for name, target in (("s.json.log", victim), ("s.json.lock", created)):
        shared = tmp_path / f"shared-{name}"
        shared.mkdir()
        link = shared / name
        link.symlink_to(target)
        r = twin_cmd("up", "--state-file", str(shared / "s.json"), cwd=tmp_path)
        try:
            assert r.returncode == 2 and f"{link}" in r.stderr and r.stderr.count("\n") == 1, r.stderr
            assert not (shared / "s.json").exists()  # no twin started
        finally:  # a twin that did start is not left running (a regression would leak one)
            if r.returncode == 0:
                twin_cmd("down", "--state-file", str(shared / "s.json"), cwd=tmp_path)
    assert victim.read_text() == "mine\n" and not created.exists()


def test_a_checkpoint_record_or_failover_state_others_may_write_is_refused(tmp_path: Path) -> None:
    record = tmp_path / ".nornir_evpn" / "checkpoints.json"
    record.parent.mkdir()
    record.write_text(json.dumps({"runs": [{"lab": "evpn-mh01", "checkpoint": "nornir-evpn-x", "hosts": ["leaf1"]}]}))
    failover = tmp_path / ".nornir_evpn" / "failover-state.json"
    failover.write_text(json.dumps({"host": "leaf1", "interface": "ethernet-1/1", "pid": 1,
                                    "inventory": str(tmp_path / "elsewhere")}))
    for path in (record, failover):
        path.chmod(0o666)
    rolled = nornir_evpn_cmd("rollback", "--inventory", str(INVENTORY), "--dry-run", cwd=tmp_path)
    assert rolled.returncode == 2 and f"{record.name}: writable by others (mode 0666" in rolled.stderr, rolled.stderr
    restored = nornir_evpn_cmd("failover-test", "--restore", cwd=tmp_path)
    assert restored.returncode == 2 and f"{failover.name}: writable by others" in restored.stderr, restored.stderr


def test_read_own_text_checks_the_file_it_read(tmp_path: Path) -> None:
    mine = tmp_path / "state.json"
    mine.write_text("{}")
    mine.chmod(0o600)
    assert read_own_text(mine) == "{}"
    link = tmp_path / "link.json"
    link.symlink_to(mine)  # this user's own link to this user's own file: its text
    assert read_own_text(link) == "{}"
    mine.chmod(0o602)
    with pytest.raises(NotOwnFile, match="writable by others"):
        read_own_text(link)


def test_a_log_an_older_version_left_group_writable_is_tightened_not_refused(tmp_path: Path) -> None:
    """0.13 made the twin's log 0664 under umask 002 (Debian/Ubuntu's default): the first
    `twin up` after the upgrade exited 2 (regression tester). A lock or log steers nothing."""
    state = tmp_path / ".nornir_evpn" / "twin.json"
    state.parent.mkdir(mode=0o700)
    log = tmp_path / ".nornir_evpn" / "twin.json.log"
    log.write_text("0.13's lines\n")
    log.chmod(0o664)
    up = twin_cmd("up", cwd=tmp_path)
    try:
        assert up.returncode == 0, up.stderr
        assert stat.S_IMODE(log.stat().st_mode) == 0o644 and log.read_text().startswith("0.13's lines\n")
    finally:
        twin_cmd("down", cwd=tmp_path)


def test_where_the_file_system_keeps_no_modes_the_owner_alone_decides(tmp_path: Path, monkeypatch) -> None:
    """A Windows drive under WSL, FAT or CIFS shows every file 0777: no state file there could
    be used (failover-test refused its own). The probe tells such a directory apart."""
    from nornir_evpn import own_files

    mine = tmp_path / "state.json"
    mine.write_text("{}")
    mine.chmod(0o666)
    with pytest.raises(NotOwnFile, match="writable by others"):
        read_own_text(mine)
    assert own_files.keeps_modes(tmp_path)  # this one does
    monkeypatch.setattr(own_files, "keeps_modes", lambda directory: False)
    assert read_own_text(mine) == "{}"


def test_a_failover_state_others_may_write_is_named_as_such_before_a_run(tmp_path: Path) -> None:
    """It said "exists and is not a failover-test state file", hiding why."""
    state = tmp_path / "failover.json"
    state.write_text(json.dumps({"host": "leaf1", "interface": "ethernet-1/1", "pid": 1}))
    state.chmod(0o666)
    run = nornir_evpn_cmd("failover-test", "--inventory", str(INVENTORY), "--state-file", str(state),
                          "--no-traffic", cwd=tmp_path)
    assert run.returncode == 2 and f"--state-file {state}: writable by others (mode 0666" in run.stderr, run.stderr
