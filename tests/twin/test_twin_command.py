"""`python -m nornir_evpn twin up|status|down` as a user runs it: a real background process."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scrapli import Scrapli

from nornir_evpn import platform, session
from nornir_evpn.errors import TwinNotRunningError
from nornir_evpn.twin.runtime import pid_alive, read_twin_state

PASSWORD = "CmdTest-1!"
LAB = Path(__file__).resolve().parents[2] / "inventory" / "evpn-mh01.clab.yml"


def twin_cmd(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, platform.DEFAULT_PASSWORD_ENV: PASSWORD}
    env.pop("NORNIR_EVPN_TWIN_STATE", None)
    return subprocess.run([sys.executable, "-m", "nornir_evpn", "twin", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_up_status_down(tmp_path: Path) -> None:
    state_file = tmp_path / ".nornir_evpn" / "twin.json"
    with pytest.raises(TwinNotRunningError, match="python -m nornir_evpn twin up"):
        read_twin_state(state_file)
    assert twin_cmd("status", cwd=tmp_path).returncode == 1

    up = twin_cmd("up", cwd=tmp_path)
    try:
        assert up.returncode == 0, up.stderr
        state = read_twin_state(state_file)  # the default location, relative to cwd
        raw = json.loads(state_file.read_text())
        assert PASSWORD not in state_file.read_text() and "password" not in raw
        assert state.lab == "evpn-mh01" and state.username == "admin"
        assert set(state.endpoints) == {"leaf1", "leaf2", "leaf3", "spine1", "ce1", "ce2"}
        assert f"ssh -p {state.endpoints['leaf1'][1]} admin@127.0.0.1" in up.stdout

        host, port = state.endpoints["leaf1"]
        conn = Scrapli(host=host, port=port, auth_username="admin", auth_password=PASSWORD,
                       auth_strict_key=False, platform=platform.PLATFORM, transport=session.transport())
        conn.open()
        try:
            flat = conn.send_command(platform.INFO_FLAT).result
        finally:
            conn.close()
        assert "set / network-instance default protocols bgp autonomous-system 101" in flat

        again = twin_cmd("up", cwd=tmp_path)  # idempotent: reports the running one
        assert again.returncode == 0 and f"pid {state.pid}" in again.stdout
        assert "profile fast, timing fast, SR Linux 23.7" in again.stdout
        same = twin_cmd("up", "--profile", "fast", "--topology", str(LAB), "--release", "23.7", cwd=tmp_path)
        assert same.returncode == 0 and f"pid {state.pid}" in same.stdout
        # another twin asked for must not pass for the running one
        other = twin_cmd("up", "--timing", "realistic", "--profile", "realistic", cwd=tmp_path)
        assert other.returncode == 2 and other.stdout == ""
        assert other.stderr.count("\n") == 1 and "Traceback" not in other.stderr
        assert "already running (evpn-mh01, profile fast, timing fast;" in other.stderr
        assert other.stderr.rstrip().endswith("`twin down` first to start one with profile realistic, "
                                              "timing realistic")
        assert state.release == "image" and state.releases == dict.fromkeys(("leaf1", "leaf2", "leaf3", "spine1"), "23.7")
        newer = twin_cmd("up", "--release", "24.10", cwd=tmp_path)
        assert newer.returncode == 2 and newer.stderr.rstrip().endswith("start one with release 24.10")
        status = twin_cmd("status", cwd=tmp_path)
        assert status.returncode == 0 and f"pid {state.pid}" in status.stdout
        # a script's ports: one JSON document, the standard keys first
        doc = json.loads(twin_cmd("status", "--json", cwd=tmp_path).stdout)
        assert list(doc)[:7] == ["command", "ok", "error", "target", "interrupted", "notes", "hosts"]
        assert doc["ok"] is True and doc["running"] is True and doc["pid"] == state.pid
        assert doc["hosts"]["leaf1"] == {"kind": "srl", "host": "127.0.0.1", "port": state.endpoints["leaf1"][1],
                                         "release": "23.7"}
        assert doc["hosts"]["ce1"]["kind"] == "linux" and doc["hosts"]["ce1"]["release"] is None
        assert doc["state_file"] == str(state_file.resolve()) and PASSWORD not in json.dumps(doc)
        # a reader that left before the output came (`| head -1` on a longer one) ends the
        # command quietly; `true` reads nothing and exits at once
        gone = subprocess.run(f"{sys.executable} -m nornir_evpn twin status | true", shell=True, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
        assert gone.stderr == ""
    finally:
        down = twin_cmd("down", cwd=tmp_path)
    assert down.returncode == 0, down.stderr
    assert not pid_alive(state.pid)
    assert not state_file.exists()
    assert twin_cmd("status", cwd=tmp_path).returncode == 1
    none = twin_cmd("status", "--json", cwd=tmp_path)
    assert none.returncode == 1 and json.loads(none.stdout)["running"] is False
    assert json.loads(none.stdout)["error"].startswith("no digital twin is running")
    corrupt = tmp_path / "corrupt.json"
    corrupt.write_text("{bad")
    refused = twin_cmd("status", "--json", "--state-file", str(corrupt), cwd=tmp_path)
    assert refused.returncode == 2 and json.loads(refused.stdout)["command"] == "twin status"  # (was "twin")


@pytest.mark.parametrize(("text", "message"), [
    ("name: x\ntopology:\n  nodes: 3\n", "field 'topology.nodes' is missing or empty"),
    # what `inventory` refuses, `twin up` refuses too
    (LAB.read_text().replace("  links:\n", "    ce3:\n      kind: linux\n    ce4:\n      kind: linux\n"
                             "  links:\n    - endpoints: [\"ce3:eth1\", \"ce4:eth1\"]\n"),
     "CE 'ce3' is not wired to any leaf"),
], ids=["not-a-topology", "ce-wired-to-nothing"])
def test_up_with_bad_topology_is_one_line_exit_2(tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "bad.clab.yml"
    bad.write_text(text)
    (tmp_path / "configs").symlink_to(LAB.parent / "configs")
    r = twin_cmd("up", "--topology", str(bad), cwd=tmp_path)
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "bad.clab.yml" in r.stderr and message in r.stderr


def test_a_bad_timing_in_the_environment_is_one_line_exit_2(tmp_path: Path, monkeypatch) -> None:
    """$NORNIR_EVPN_TWIN_TIMING=bogus started the child, which died on argparse: exit 1 and
    the reason only in the child's log."""
    monkeypatch.setenv("NORNIR_EVPN_TWIN_TIMING", "bogus")
    r = twin_cmd("up", "--topology", str(LAB), cwd=tmp_path)
    assert r.returncode == 2
    assert r.stderr == ("nornir-evpn: error: $NORNIR_EVPN_TWIN_TIMING 'bogus': expected one of "
                        "instant, fast, realistic, demo\n")
    assert not (tmp_path / ".nornir_evpn" / "twin.json.log").exists()


def test_startup_configs_are_needed_by_the_twin_only(tmp_path: Path) -> None:
    """A topology copied without its configs/ (the lab is deployed elsewhere): inventory
    works; the twin, which boots the nodes from those files, says which one is missing."""
    (tmp_path / "lab.clab.yml").write_text(LAB.read_text())
    inv = nornir_evpn_cmd("inventory", "--topology", "lab.clab.yml", "--out", "inv", cwd=tmp_path)
    assert inv.returncode == 0, inv.stderr
    assert (tmp_path / "inv" / "hosts.yaml").is_file()
    r = twin_cmd("up", "--topology", "lab.clab.yml", cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [
        f"nornir-evpn: error: leaf1: startup-config file not found: {tmp_path.resolve() / 'configs' / 'leaf1.cfg'}"]


def nornir_evpn_cmd(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, platform.DEFAULT_PASSWORD_ENV: PASSWORD}
    env.pop("NORNIR_EVPN_TWIN_STATE", None)
    return subprocess.run([sys.executable, "-m", "nornir_evpn", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=90)


def test_traffic_teaches_the_fabric_the_ce_macs(tmp_path: Path) -> None:
    none = twin_cmd("traffic", cwd=tmp_path)
    assert none.returncode == 2 and "twin up" in none.stderr and "Traceback" not in none.stderr
    assert twin_cmd("up", cwd=tmp_path).returncode == 0
    try:
        quiet = twin_cmd("traffic", "--timeout", "0", cwd=tmp_path)  # nothing configured: no path
        assert quiet.returncode == 1 and "no reply at all for ce1, ce2" in quiet.stdout
        assert nornir_evpn_cmd("configure", "--twin", cwd=tmp_path).returncode == 0
        macs = ("verify", "--twin", "--checks", "mac.local,mac.esi_remote")
        before = nornir_evpn_cmd(*macs, cwd=tmp_path)
        assert before.returncode == 1 and "no CE traffic yet, or the CE's link down?" in before.stdout
        assert "hint: leaves learn MACs from CE traffic only; if none was sent, `python -m nornir_evpn twin traffic` sends some" in before.stdout

        sent = twin_cmd("traffic", "--count", "1", cwd=tmp_path)
        assert sent.returncode == 0, sent.stdout + sent.stderr
        # one ping to each address of the other CE: ce2 has three (.21-.23), ce1 one
        assert sent.stdout.splitlines() == ["ce1  3/3 replies", "ce2  1/1 replies"]
        # traffic returns once the MACs it taught have spread (the fabric timing's longest
        # delay, in the state file): a verify right after passes
        assert read_twin_state(tmp_path / ".nornir_evpn" / "twin.json").settle_s > 0
        after = nornir_evpn_cmd(*macs, cwd=tmp_path)
        assert after.returncode == 0, after.stdout

        assert twin_cmd("fault", "wrong-credentials", "ce1", cwd=tmp_path).returncode == 0
        locked = twin_cmd("traffic", "--count", "1", cwd=tmp_path)  # ce1 fails alone, in one line
        assert locked.returncode == 1 and "Traceback" not in locked.stderr
        assert locked.stdout.splitlines() == ["ce1  authentication failed: all authentication methods failed",
                                              "ce2  1/1 replies"]
    finally:
        twin_cmd("down", cwd=tmp_path)


def test_traffic_returns_once_the_macs_have_spread_on_realistic_timing(tmp_path: Path) -> None:
    """EVPN takes 2.5 s to carry a MAC to the other leaves on the realistic timing: a verify
    straight after `twin traffic` failed mac.esi_remote on leaf3 until then."""
    assert twin_cmd("up", "--timing", "realistic", cwd=tmp_path).returncode == 0
    try:
        assert read_twin_state(tmp_path / ".nornir_evpn" / "twin.json").settle_s == 2.5
        assert nornir_evpn_cmd("configure", "--twin", cwd=tmp_path).returncode == 0
        sent = twin_cmd("traffic", "--count", "1", cwd=tmp_path)
        assert sent.returncode == 0, sent.stdout + sent.stderr
        after = nornir_evpn_cmd("verify", "--twin", "--checks", "mac.local,mac.esi_remote,evpn.advertised",
                                cwd=tmp_path)
        assert after.returncode == 0, after.stdout
    finally:
        twin_cmd("down", cwd=tmp_path)


@pytest.mark.parametrize(("text", "reason"), [
    ("{garbage", "JSONDecodeError"),
    ('{"pid": 1, "topology": "t", "lab": "l", "username": "admin", '
     '"nodes": {"leaf1": {"host": "127.0.0.1", "port": "abc"}}}', "invalid literal for int()"),
    ('{"pid": 1, "topology": "t", "lab": "l", "username": "admin", '
     '"nodes": {"leaf1": {"host": "127.0.0.1", "port": 99999}}}', "a pid or port out of range"),
    ('{"pid": 1, "lab": "caf\xe9"}', "not UTF-8 text"),
    # os.kill(-1, SIGTERM) signals every process of the user, os.kill(0, ...) the caller's
    # group: `twin down` of such a hand edit sent SIGTERM to all of them
    ('{"pid": -1, "topology": "t", "lab": "l", "username": "admin", "pid_start": 7}',
     "a pid or port out of range"),
    ('{"pid": 0, "topology": "t", "lab": "l", "username": "admin"}', "a pid or port out of range"),
    ('{"pid": 99999999999999999999, "topology": "t", "lab": "l", "username": "admin"}',
     "a pid or port out of range"),
], ids=["not-json", "port-not-a-number", "port-out-of-range", "not-utf8", "pid-minus-one", "pid-zero",
        "pid-too-large"])
def test_a_corrupt_state_file_is_named(tmp_path: Path, text: str, reason: str) -> None:
    """A truncated or hand-edited state file: one line naming it (it said "no digital twin
    is running", or gave a traceback for a port that is not a number)."""
    state_file = tmp_path / "twin.json"
    state_file.write_bytes(text.encode("latin-1"))
    with pytest.raises(TwinNotRunningError) as err:
        read_twin_state(state_file)
    assert str(err.value).startswith(f"{state_file}: not a twin state file (")
    assert reason in str(err.value) and "\n" not in str(err.value)


def test_traffic_with_a_single_ce_says_so_at_once(tmp_path: Path) -> None:
    """One CE has nobody to ping: it waited the whole --timeout and asked whether the
    fabric was configured (exit 1), which stopped `configure && twin traffic && verify`."""
    from nornir_evpn.generate import generate_topology, write_topology

    topo = write_topology(generate_topology(1, 2, 1), tmp_path / "one.clab.yml")
    assert twin_cmd("up", "--topology", str(topo), cwd=tmp_path).returncode == 0
    try:
        traffic = twin_cmd("traffic", "--timeout", "30", cwd=tmp_path)
    finally:
        twin_cmd("down", cwd=tmp_path)
    assert (traffic.returncode, traffic.stdout) == (0, "mhce1  no other CE to ping\n"), traffic.stderr


def test_a_file_that_is_not_a_twin_state_file_is_never_touched(tmp_path: Path) -> None:
    """`twin down --state-file X` deleted X whatever it was, `twin up` wrote over it."""
    notes = tmp_path / "notes.json"
    notes.write_text('{"mine": true}\n')
    for action in ("down", "up", "status"):
        r = twin_cmd(action, "--state-file", str(notes), cwd=tmp_path)
        assert r.returncode == 2 and "Traceback" not in r.stderr, (action, r.stderr)
        assert f"{notes}: not a twin state file" in r.stderr and r.stderr.count("\n") == 1
        assert notes.read_text() == '{"mine": true}\n'


def test_a_stale_state_file_whose_pid_was_reused_is_not_signalled(tmp_path: Path) -> None:
    """After a crash or reboot the pid of a stale file may be another process's: one that
    did not start when the twin did is not the twin, and `twin down` must not SIGTERM it."""
    from nornir_evpn.twin.state import process_start

    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        state_file = tmp_path / "twin.json"
        start = process_start(other.pid)
        assert start is not None
        state_file.write_text(json.dumps({"pid": other.pid, "topology": "t", "lab": "l", "username": "admin",
                                          "nodes": {}, "pid_start": start - 100}))
        with pytest.raises(TwinNotRunningError):
            read_twin_state(state_file)
        r = twin_cmd("down", "--state-file", str(state_file), cwd=tmp_path)
        assert r.returncode == 0 and "no digital twin is running" in r.stderr and "nothing to stop" in r.stderr
        assert other.poll() is None  # not signalled
        assert not state_file.exists()  # a stale file of a dead twin goes
    finally:
        other.kill()
        other.wait()


def test_an_older_state_file_names_a_pid_that_must_be_a_nornir_evpn_process(tmp_path: Path) -> None:
    """A state file written before `pid_start` existed: its pid, reused by another program,
    was taken for the twin and `twin down` sent it SIGTERM."""
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        state_file = tmp_path / "twin.json"
        state_file.write_text(json.dumps({"pid": other.pid, "topology": "t", "lab": "l",
                                          "username": "admin", "nodes": {}, "started_at": 1.0}))
        r = twin_cmd("down", "--state-file", str(state_file), cwd=tmp_path)
        assert r.returncode == 0 and "no digital twin is running" in r.stderr and "nothing to stop" in r.stderr
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_an_older_state_file_is_only_the_twin_started_for_it(tmp_path: Path) -> None:
    """Any nornir_evpn process (another twin, an editor on a module) once passed for the
    twin of an older state file: its command line must name that state file."""
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "nornir_evpn", "twin"])
    try:
        state_file = tmp_path / "twin.json"
        state_file.write_text(json.dumps({"pid": other.pid, "topology": "t", "lab": "l",
                                          "username": "admin", "nodes": {}}))
        with pytest.raises(TwinNotRunningError):
            read_twin_state(state_file)
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


def test_a_state_file_of_a_later_version_is_still_read(tmp_path: Path, capsys) -> None:
    """An older tool read a newer twin's state file as "not a twin state file" (the new
    `release` field): it found no twin to talk to. Fields it does not know are left alone."""
    import os

    from nornir_evpn.processes import process_start

    doc = {"pid": os.getpid(), "pid_start": process_start(os.getpid()), "topology": "t.clab.yml", "lab": "l",
           "username": "admin", "nodes": {"leaf1": {"host": "127.0.0.1", "port": 2222}},
           "field_of_a_later_version": {"any": "thing"}}
    state_file = tmp_path / "twin.json"
    state_file.write_text(json.dumps(doc))
    state = read_twin_state(state_file)
    assert (state.lab, state.endpoints) == ("l", {"leaf1": ("127.0.0.1", 2222)})
    # a script reading `status --json` is told too that this twin models another version
    import argparse

    from nornir_evpn import __version__
    from nornir_evpn.commands.twin import run_status

    capsys.readouterr()
    assert run_status(argparse.Namespace(state_file=state_file, json=True)) == 0
    doc = json.loads(capsys.readouterr().out)
    # (without the console's `note: `, as in every other document's notes)
    assert doc["notes"] == [f"the twin was started by nornir_evpn before 0.4, this is {__version__}: "
                            "restart it (`twin down`, `twin up`) to model the topology as this version reads it"]
    assert doc["hosts"] == {"leaf1": {"kind": "", "host": "127.0.0.1", "port": 2222, "release": None}}


def test_up_in_a_deep_directory_serves_its_fault_channel(tmp_path: Path) -> None:
    """A checkout deep in ~/Documents on a Mac: the control socket next to the state file
    was longer than a unix socket path may be, and `twin up` died ("AF_UNIX path too long")."""
    deep = tmp_path.joinpath(*["Network-Automation-customer-acme"] * 4)
    deep.mkdir(parents=True)
    assert len(str(deep / ".nornir_evpn" / "twin.sock")) > 108
    up = twin_cmd("up", cwd=deep)
    try:
        assert up.returncode == 0, up.stderr
        down = twin_cmd("fault", "link-down", "leaf1:e1-1", "ce1:eth1", cwd=deep)
        assert down.returncode == 0, down.stderr
        listed = twin_cmd("fault", "list", cwd=deep)
        assert "link-down ce1:eth1 leaf1:ethernet-1/1" in listed.stdout
        # another $TMPDIR (a tmux pane, a CI step, systemd's PrivateTmp) finds the same socket:
        # the state file names it
        other_tmp = tmp_path / "other-tmp"
        other_tmp.mkdir()
        env = {**os.environ, platform.DEFAULT_PASSWORD_ENV: PASSWORD, "TMPDIR": str(other_tmp)}
        env.pop("NORNIR_EVPN_TWIN_STATE", None)
        elsewhere = subprocess.run([sys.executable, "-m", "nornir_evpn", "twin", "fault", "list"], cwd=deep,
                                   env=env, capture_output=True, text=True, timeout=60)
        assert elsewhere.returncode == 0 and "link-down ce1:eth1" in elsewhere.stdout, elsewhere.stderr
    finally:
        assert twin_cmd("down", cwd=deep).returncode == 0
    from nornir_evpn.commands.twin_fault import control_socket_path

    sock = control_socket_path(deep / ".nornir_evpn" / "twin.json")
    assert len(str(sock)) <= 100 and not sock.exists()  # removed with the twin


def test_up_raises_a_low_open_files_limit(tmp_path: Path) -> None:
    """macOS shells start at 256 open files; a twin serves one socket per node: with a soft
    limit of 32 a 16-leaf fabric's 33 nodes died with an IndexError in the twin's log."""
    from nornir_evpn.generate import generate_topology, write_topology

    topo = write_topology(generate_topology(2, 16, 2), tmp_path / "f16.clab.yml")
    env = {**os.environ, platform.DEFAULT_PASSWORD_ENV: PASSWORD}
    env.pop("NORNIR_EVPN_TWIN_STATE", None)
    script = ("import resource, subprocess, sys; "
              "resource.setrlimit(resource.RLIMIT_NOFILE, (32, resource.getrlimit(resource.RLIMIT_NOFILE)[1])); "
              "sys.exit(subprocess.run([sys.executable, '-m', 'nornir_evpn', 'twin', 'up', '--topology', "
              f"{str(topo)!r}]).returncode)")
    up = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True,
                        text=True, timeout=60)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        assert len(read_twin_state(tmp_path / ".nornir_evpn" / "twin.json").endpoints) == 2 + 16 + 2 * 1 + 12
    finally:
        twin_cmd("down", cwd=tmp_path)


def test_a_long_temp_directory_puts_the_control_socket_under_tmp(tmp_path: Path, monkeypatch) -> None:
    """A state file deep in a checkout puts its socket in the temp directory; a $TMPDIR
    itself 68+ characters long made that path too long too ("AF_UNIX path too long", and
    7 tests failed). /tmp is tried next; when nothing fits, one line says what to do."""
    import tempfile

    from nornir_evpn.commands import twin_fault
    from nornir_evpn.errors import UserInputError

    deep = tmp_path / ("d" * 110) / ".nornir_evpn" / "twin.json"
    long_tmp = tmp_path / ("t" * 80)
    long_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(long_tmp))
    sock = twin_fault.control_socket_path(deep)
    assert sock.parent == Path("/tmp") / f"nornir-evpn-{os.getuid()}" and len(str(sock)) <= 100
    monkeypatch.setattr(twin_fault, "SOCKET_PATH_MAX", 20)
    with pytest.raises(UserInputError, match="set TMPDIR to a shorter directory"):
        twin_fault.control_socket_path(deep)


def test_each_node_prints_the_release_of_its_image(tmp_path: Path) -> None:
    """A fabric halfway through a rolling upgrade: `twin up` gives each SR Linux node the
    newest release it prints that is not newer than its image's tag; --release one for all."""
    import yaml

    from nornir_evpn.twin.releases import release_for_image

    assert [release_for_image(i) for i in (
        "ghcr.io/nokia/srlinux:23.3.1", "ghcr.io/nokia/srlinux:24.7.2", "ghcr.io/nokia/srlinux:v24.10.3",
        "ghcr.io/nokia/srlinux:25.3.1", "ghcr.io/nokia/srlinux:26.3.1", "ghcr.io/nokia/srlinux:latest",
        "ghcr.io/nokia/srlinux", "localhost:5000/srlinux", "ghcr.io/nokia/srlinux@sha256:0a1b", None,
    )] == ["23.7", "23.7", "24.10", "24.10", "25.10", "25.10", "25.10", "25.10", "25.10", "25.10"]
    doc = yaml.safe_load(LAB.read_text())
    doc["topology"]["nodes"]["leaf1"]["image"] = "ghcr.io/nokia/srlinux:25.10.1"
    doc["topology"]["nodes"]["spine1"]["image"] = "ghcr.io/nokia/srlinux:24.10.3"
    (tmp_path / "configs").symlink_to(LAB.parent / "configs")
    (tmp_path / "mixed.clab.yml").write_text(yaml.safe_dump(doc, sort_keys=False))
    up = twin_cmd("up", "--topology", "mixed.clab.yml", cwd=tmp_path)
    try:
        assert up.returncode == 0, up.stderr
        assert "SR Linux 25.10 (leaf1), 23.7 (leaf2, leaf3), 24.10 (spine1)" in up.stdout
        state = read_twin_state(tmp_path / ".nornir_evpn" / "twin.json")
        assert state.releases == {"leaf1": "25.10", "leaf2": "23.7", "leaf3": "23.7", "spine1": "24.10"}
        versions = {}
        for node in ("leaf1", "leaf3", "spine1"):
            host, port = state.endpoints[node]
            with Scrapli(host=host, port=port, auth_username="admin", auth_password=PASSWORD,
                         auth_strict_key=False, platform=platform.PLATFORM, transport=session.transport()) as conn:
                versions[node] = conn.send_command("show version").result.split("Software Version")[1].split()[1]
        assert versions == {"leaf1": "v25.10.1", "leaf3": "v23.7.1", "spine1": "v24.10.1"}
        other = twin_cmd("up", "--topology", "mixed.clab.yml", "--release", "23.7", cwd=tmp_path)
        assert other.returncode == 2 and other.stderr.rstrip().endswith("start one with release 23.7")
    finally:
        assert twin_cmd("down", cwd=tmp_path).returncode == 0


def test_two_twin_ups_at_once_start_one_twin(tmp_path: Path) -> None:
    """Two `twin up` at once in one directory (parallel CI jobs, two panes) both found no twin
    and started one each: the state file named the second, the first ran on where `twin down`
    could not reach it. One waits for the other now, then reports it running."""
    env = {**os.environ, platform.DEFAULT_PASSWORD_ENV: PASSWORD}
    env.pop("NORNIR_EVPN_TWIN_STATE", None)
    procs = [subprocess.Popen([sys.executable, "-m", "nornir_evpn", "twin", "up"], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    outs = [p.communicate(timeout=90) for p in procs]
    state = read_twin_state(tmp_path / ".nornir_evpn" / "twin.json")
    try:
        assert [p.returncode for p in procs] == [0, 0, 0], outs
        assert sorted(err.count("a digital twin is already running") for _out, err in outs) == [0, 1, 1]
        # which lab it serves: a `twin up` with no --topology may have meant another one
        assert sorted(err.count("already running: lab evpn-mh01 (evpn-mh01.clab.yml;") for _o, err in outs) == [0, 1, 1]
        assert all(f"pid {state.pid}" in out for out, _err in outs)
        twins = [p for p in _foreground_twins() if f"--state-file {tmp_path}" in " ".join(p)]
        assert len(twins) == 1, twins
    finally:
        assert twin_cmd("down", cwd=tmp_path).returncode == 0
    assert not any(f"--state-file {tmp_path}" in " ".join(p) for p in _foreground_twins())


def _foreground_twins() -> list[list[str]]:
    """The command lines of every `twin up --foreground` process on the machine."""
    import psutil

    found = []
    for proc in psutil.process_iter():
        try:
            cmd = proc.cmdline()
        except (psutil.Error, OSError):
            continue
        if "--foreground" in cmd and "twin" in cmd:
            found.append(cmd)
    return found


def test_an_unusable_state_location_is_one_line(tmp_path: Path) -> None:
    """`twin up` where the state directory cannot be made was a PermissionError traceback; a
    state file that cannot be read was reported as "no digital twin is running"."""
    (tmp_path / "file").write_text("x")
    up = twin_cmd("up", "--state-file", str(tmp_path / "file" / "twin.json"), cwd=tmp_path)
    assert (up.returncode, up.stdout) == (2, "") and "Traceback" not in up.stderr
    assert up.stderr.strip().endswith("file: exists and is not a directory")
    (tmp_path / "locked").mkdir()
    (tmp_path / "locked" / "twin.json.lock").mkdir()  # review: its lock unopenable was a traceback
    locked = twin_cmd("up", "--state-file", str(tmp_path / "locked" / "twin.json"), cwd=tmp_path)
    assert locked.returncode == 2 and "Traceback" not in locked.stderr
    assert "cannot open its lock" in locked.stderr and locked.stderr.count("\n") == 1
    (tmp_path / "dir.json").mkdir()
    status = twin_cmd("status", "--state-file", str(tmp_path / "dir.json"), cwd=tmp_path)
    assert status.returncode == 2 and "cannot read: Is a directory" in status.stderr
    assert "no digital twin is running" not in status.stderr


def test_an_empty_timing_in_the_environment_is_as_unset(tmp_path: Path, capsys, monkeypatch) -> None:
    """`NORNIR_EVPN_TWIN_TIMING=` (set empty, as a shell script's default often is) means the
    default, not the error of a bad value (mut15). In-process, with a topology that is not
    there: the error is that one's, and no twin starts."""
    from nornir_evpn.cli import main

    monkeypatch.setenv("NORNIR_EVPN_TWIN_TIMING", "")
    monkeypatch.chdir(tmp_path)
    assert main(["twin", "up", "--topology", str(tmp_path / "missing.clab.yml")]) == 2
    err = capsys.readouterr().err
    assert "missing.clab.yml" in err and "NORNIR_EVPN_TWIN_TIMING" not in err, err
    assert not (tmp_path / ".nornir_evpn" / "twin.json").exists()


def test_the_twin_logs_each_line_with_its_utc_time_and_level(capsys) -> None:
    """The twin's log had bare messages (`socket.send() raised exception.`): no time, no
    level, nothing to match a client's run with (observability tester)."""
    import logging

    from nornir_evpn.commands.twin import log_to_stderr

    handler = log_to_stderr()
    try:
        record = logging.LogRecord("asyncio", logging.WARNING, __file__, 1, "socket.send() raised exception.",
                                   None, None)
        record.created = 1795760000.5
        assert handler.format(record) == "2026-11-27T06:13:20.500Z WARNING asyncio: socket.send() raised exception."
    finally:
        logging.getLogger().removeHandler(handler)


def test_the_twin_log_leaves_out_asyncio_s_line_for_a_client_that_hung_up() -> None:
    """`socket.send() raised exception.` is asyncio's line for a write to a session whose
    client has gone (a verify cut short): ~1 in 40 sessions wrote it, 91 lines over a soak's
    4,000 sessions, a log growing without bound and saying nothing wrong. Other warnings of
    asyncio (and that text from another logger) still get in."""
    from nornir_evpn.commands.twin import log_to_stderr

    def record(name: str, msg: str) -> logging.LogRecord:
        return logging.LogRecord(name, logging.WARNING, __file__, 1, msg, None, None)

    handler = log_to_stderr()
    try:
        assert not handler.filter(record("asyncio", "socket.send() raised exception."))
        assert handler.filter(record("asyncio", "Executing <Task ...> took 0.512 seconds"))
        assert handler.filter(record("asyncssh", "socket.send() raised exception."))
    finally:
        logging.getLogger().removeHandler(handler)


@pytest.mark.parametrize("level", [logging.NOTSET, logging.ERROR])
def test_the_twin_log_takes_warnings_whatever_level_the_root_logger_had(level: int) -> None:
    """Warnings and errors of every logger reach the twin's log: a root logger left at ERROR
    (a library's choice) would drop asyncio's warnings, one at NOTSET would let every debug
    line of asyncssh through."""
    from nornir_evpn.commands.twin import log_to_stderr

    root = logging.getLogger()
    before = root.level
    root.setLevel(level)
    handler = log_to_stderr()
    try:
        assert root.level == logging.WARNING
    finally:
        root.removeHandler(handler)
        root.setLevel(before)


def test_the_twin_process_logs_through_its_formatter_from_the_start(tmp_path: Path, monkeypatch) -> None:
    """`serve` (the twin's process) sets its log up before anything can go wrong in it."""
    from nornir_evpn.commands import twin as command

    class Stop(Exception):
        pass

    root = logging.getLogger()
    before = list(root.handlers)
    added: list[logging.Handler] = []

    def stop(state_file: Path) -> None:  # the first thing that can go wrong: the log is set up
        added.extend(h for h in root.handlers if h not in before)
        raise Stop

    monkeypatch.setattr(command, "load_or_create_key", stop)
    try:
        with pytest.raises(Stop):
            command.serve(tmp_path / "t.clab.yml", tmp_path / "twin.json", "fast")
        assert [type(h.formatter).__name__ for h in added] == ["_TwinLogFormatter"]
        assert root.handlers == before  # and taken off again when serve returns (or raises)
    finally:
        for h in root.handlers[:]:
            if h not in before:
                root.removeHandler(h)


def test_the_state_file_s_paths_are_found_from_a_shell_in_another_locale(tmp_path: Path, monkeypatch) -> None:
    """A twin started under `LANG=fr_FR.ISO-8859-1` in `~/Réseau lab` wrote its topology and
    control socket as that locale decoded them, `RÃ©seau lab`: from a shell in a UTF-8 locale
    `twin traffic` said the topology was not found, `twin fault` the control channel
    unavailable. The file keeps a path's bytes (as UTF-8); each process reads them as its own."""
    import os

    from nornir_evpn.processes import process_start
    from nornir_evpn.twin.state import TwinState

    utf8 = "/srv/Réseau lab/fab.clab.yml"
    latin1 = os.fsencode(utf8).decode("latin-1")  # how a latin-1 process sees the same bytes
    real_encode, real_decode = os.fsencode, os.fsdecode

    def in_latin1_locale() -> None:
        monkeypatch.setattr(os, "fsencode", lambda p: os.fspath(p).encode("latin-1"))
        monkeypatch.setattr(os, "fsdecode", lambda b: b.decode("latin-1") if isinstance(b, bytes) else b)

    state_file = tmp_path / "twin.json"
    state = TwinState(pid=os.getpid(), pid_start=process_start(os.getpid()), topology=latin1, lab="l",
                      username="admin", control=latin1 + ".sock")
    in_latin1_locale()
    state.write(state_file)  # the twin, in the latin-1 locale
    monkeypatch.setattr(os, "fsencode", real_encode)
    monkeypatch.setattr(os, "fsdecode", real_decode)
    read = read_twin_state(state_file)  # a shell in a UTF-8 locale
    assert (read.topology, read.control) == (utf8, utf8 + ".sock")
    assert json.loads(state_file.read_text())["topology"] == utf8  # as a UTF-8 process always wrote it

    TwinState(pid=os.getpid(), pid_start=process_start(os.getpid()), topology=utf8, lab="l",
              username="admin").write(state_file)  # and the other way round
    in_latin1_locale()
    assert read_twin_state(state_file).topology == latin1


def test_a_path_s_undecodable_bytes_round_trip_through_the_state_file(tmp_path: Path) -> None:
    """A lab directory whose name is not UTF-8 (`R\\xe9seau`, made under latin-1, read from a
    UTF-8 shell: Python names it `R\\udce9seau`): the state file is written, and read back as
    the same path, not refused as unreadable (the twin that wrote it said it was running)."""
    import os

    from nornir_evpn.processes import process_start
    from nornir_evpn.twin.state import TwinState

    odd = os.fsdecode(b"/srv/R\xe9seau/fab.clab.yml")
    state_file = tmp_path / "twin.json"
    TwinState(pid=os.getpid(), pid_start=process_start(os.getpid()), topology=odd, lab="l", username="admin",
              control=odd + ".sock").write(state_file)
    read = read_twin_state(state_file)
    assert (read.topology, read.control) == (odd, odd + ".sock")
    assert os.fsencode(read.topology) == b"/srv/R\xe9seau/fab.clab.yml"


def test_down_of_a_twin_that_ends_meanwhile_is_no_traceback(tmp_path: Path, monkeypatch, capsys) -> None:
    """Two `twin down` at once (a cleanup trap and the user's): the twin the second one read
    as running was gone when it signalled it, and ProcessLookupError escaped as a traceback."""
    import argparse
    import signal

    from nornir_evpn.commands import twin as twin_command
    from nornir_evpn.processes import process_start

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    state_file = tmp_path / "twin.json"
    state_file.write_text(json.dumps({"pid": child.pid, "pid_start": process_start(child.pid), "topology": "t",
                                      "lab": "l", "username": "admin"}))
    real_kill = os.kill

    def kill(pid: int, sig: int) -> None:
        if sig == signal.SIGTERM and pid == child.pid:  # the other `twin down` was first
            child.kill()
            child.wait()
        real_kill(pid, sig)

    monkeypatch.setattr(os, "kill", kill)
    try:
        assert twin_command.run_down(argparse.Namespace(state_file=state_file)) == 0
    finally:
        child.kill()
        child.wait()
    assert f"(pid {child.pid}) stopped" in capsys.readouterr().err and not state_file.exists()


def test_foreground_from_a_running_loop_or_another_thread_is_refused_in_one_line(tmp_path: Path, capsys) -> None:
    """A notebook's cell (its event loop runs in the main thread) calling `main(["twin", "up",
    "--foreground"])` got `RuntimeError: asyncio.run() cannot be called from a running event
    loop`, and a handler left on the root logger each time (the notebook's warnings printed
    twice, three times...). From another thread the twin's loop cannot catch SIGTERM/SIGINT."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from nornir_evpn.cli import main

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    state = tmp_path / "fg" / "twin.json"
    argv = ["twin", "up", "--foreground", "--state-file", str(state)]

    async def in_a_loop() -> int:
        return main(argv)

    assert asyncio.run(in_a_loop()) == 2
    assert "and an event loop runs in this thread" in capsys.readouterr().err
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(main, argv).result(timeout=30) == 2
    err = capsys.readouterr().err
    assert "twin up --foreground serves in this process until SIGTERM/Ctrl-C, and not in the main thread" in err
    assert "`with Twin(...)`" in err and "Traceback" not in err
    assert not state.exists() and not state.parent.exists()
    assert (root.handlers, root.level) == (handlers, level)


def test_foreground_stopped_leaves_the_caller_s_root_logger_as_it_was(tmp_path: Path, capsys) -> None:
    """A script serving the twin (`main([... "--foreground"])`, stopped by SIGTERM) and going
    on: the twin's stderr handler stayed on the root logger, each later warning printed with
    the twin's format, once more per call."""
    import signal
    import threading
    import time

    from nornir_evpn.cli import main

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    state = tmp_path / "twin.json"
    before = signal.getsignal(signal.SIGTERM)

    def stop_when_served() -> None:  # SIGTERM once the twin's loop handles it, as `twin down` sends
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            # the loop's handler (asyncio's no-op, the loop reads the wakeup fd), not the
            # CLI's `Terminated` installed before it
            if state.exists() and getattr(signal.getsignal(signal.SIGTERM), "__name__", "") == "_sighandler_noop":
                os.kill(os.getpid(), signal.SIGTERM)
                return
            time.sleep(0.02)

    stopper = threading.Thread(target=stop_when_served, daemon=True)
    stopper.start()
    assert main(["twin", "up", "--foreground", "--state-file", str(state), "--topology", str(LAB)]) == 0
    stopper.join(timeout=5)
    assert "serving 6 nodes" in capsys.readouterr().err
    assert not state.exists()
    assert (root.handlers, root.level) == (handlers, level)
    assert signal.getsignal(signal.SIGTERM) is before
