"""The twin's host key: kept across restarts, checked by `--twin` and the CE pings whatever
the inventory says, so what answers on a twin port without it never gets the password."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import asyncssh
import pytest
import yaml
from test_twin_command import PASSWORD, nornir_evpn_cmd, twin_cmd

ROOT = Path(__file__).resolve().parents[2]


def _lab(tmp_path: Path, strict: bool) -> Path:
    """The repo's inventory in `tmp_path/inventory`; `strict`: host keys checked against a
    lab known_hosts file, as on a network one does not trust (README)."""
    inv = tmp_path / "inventory"
    shutil.copytree(ROOT / "inventory", inv, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    if strict:
        groups = yaml.safe_load((inv / "groups.yaml").read_text())
        groups["srl"]["connection_options"]["scrapli"]["extras"].update(
            auth_strict_key=True, ssh_known_hosts_file=str(tmp_path / "lab_known_hosts"))
        (inv / "groups.yaml").write_text(yaml.safe_dump(groups))
    return tmp_path / ".nornir_evpn" / "twin.json"


def _key_line(state_file: Path) -> str:
    lines = Path(f"{state_file}.known_hosts").read_text().splitlines()
    assert lines and len({line.split(" ", 1)[1] for line in lines}) == 1  # one key, every port
    return lines[0]


def test_a_restarted_twin_keeps_its_key_and_a_strict_inventory_works(tmp_path: Path) -> None:
    state_file = _lab(tmp_path, strict=True)
    assert twin_cmd("up", cwd=tmp_path).returncode == 0
    try:
        first = _key_line(state_file)
        key = Path(f"{state_file}.key")
        assert key.stat().st_mode & 0o777 == 0o600
        state = json.loads(state_file.read_text())
        lines = Path(f"{state_file}.known_hosts").read_text().splitlines()
        # ssh2 and paramiko look up the address alone, OpenSSH `[address]:port`
        assert lines[0].startswith("127.0.0.1 ecdsa-sha2-nistp256 ")
        assert {line.split()[0] for line in lines[1:]} == {f"[127.0.0.1]:{n['port']}" for n in state["nodes"].values()}
    finally:
        assert twin_cmd("down", cwd=tmp_path).returncode == 0
    assert twin_cmd("up", cwd=tmp_path).returncode == 0
    try:
        assert _key_line(state_file) == first  # same fingerprint: a pinned key stays valid
        configure = nornir_evpn_cmd("configure", "--twin", cwd=tmp_path)
        assert configure.returncode == 0, configure.stdout + configure.stderr
        traffic = twin_cmd("traffic", "--count", "1", cwd=tmp_path)  # CE pings, strict too
        assert traffic.returncode == 0, traffic.stdout + traffic.stderr
        verify = nornir_evpn_cmd("verify", "--twin", cwd=tmp_path)
        assert verify.returncode == 0, verify.stdout + verify.stderr
    finally:
        twin_cmd("down", cwd=tmp_path)


@pytest.mark.parametrize("problem", ["others may read it", "symbolic link"])
def test_a_key_file_others_could_use_is_refused(tmp_path: Path, problem: str) -> None:
    state_file = _lab(tmp_path, strict=False)
    state_file.parent.mkdir()
    key = Path(f"{state_file}.key")
    if problem == "symbolic link":
        (tmp_path / "elsewhere").write_text("")
        key.symlink_to(tmp_path / "elsewhere")
    else:
        key.write_text("")
        key.chmod(0o644)
    up = twin_cmd("up", cwd=tmp_path)
    if up.returncode == 0:  # served with that key: not left running
        twin_cmd("down", cwd=tmp_path)
    assert up.returncode == 2 and up.stderr.count("\n") == 1, up.stderr
    assert f"the twin's host key {key}" in up.stderr and problem in up.stderr
    assert not state_file.exists()


class _Rogue:
    """An SSH server with a key of its own, counting the logins it was offered."""

    def __init__(self) -> None:
        self.auth_attempts: list[str] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.server = asyncio.run_coroutine_threadsafe(self._listen(), self.loop).result(10)
        self.port = self.server.sockets[0].getsockname()[1]

    async def _listen(self) -> asyncssh.SSHAcceptor:
        rogue = self

        class Server(asyncssh.SSHServer):
            def begin_auth(self, username: str) -> bool:
                rogue.auth_attempts.append(username)
                return True

            def password_auth_supported(self) -> bool:
                return True

            def validate_password(self, username: str, password: str) -> bool:
                rogue.auth_attempts.append(password)
                return False

        return await asyncssh.create_server(Server, "127.0.0.1", 0, gss_host=None,
                                            server_host_keys=[asyncssh.generate_private_key("ecdsa-sha2-nistp256")])

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def rogue() -> Iterator[_Rogue]:
    server = _Rogue()
    yield server
    server.close()


def test_another_key_on_a_twin_port_gets_no_password(tmp_path: Path, rogue: _Rogue) -> None:
    """A process that took a node's port (the twin's state file still names it) is refused
    before the login, for an SR Linux node and for a CE's pings: the password never goes."""
    state_file = _lab(tmp_path, strict=False)  # the inventory checks no key: `--twin` does
    assert twin_cmd("up", cwd=tmp_path).returncode == 0
    try:
        doc = json.loads(state_file.read_text())
        for node in ("leaf1", "ce1"):
            doc["nodes"][node]["port"] = rogue.port
        state_file.write_text(json.dumps(doc))
        verify = nornir_evpn_cmd("verify", "--twin", "--hosts", "leaf1", "--json", cwd=tmp_path)
        assert verify.returncode == 1
        error = json.loads(verify.stdout)["hosts"]["leaf1"]["error"]
        assert "public key does not match" in error, error
        traffic = twin_cmd("traffic", "--count", "1", "--timeout", "0", cwd=tmp_path)
        assert traffic.returncode == 1 and "ce1  authentication failed: 127.0.0.1 in known_hosts but public key " \
            "does not match!" in traffic.stdout, traffic.stdout
        assert rogue.auth_attempts == []
        assert PASSWORD not in rogue.auth_attempts and os.environ.get("NORNIR_EVPN_PASSWORD", "?") not in rogue.auth_attempts
    finally:
        twin_cmd("down", cwd=tmp_path)


@pytest.mark.skipif(shutil.which("ssh") is None, reason="transport: system runs OpenSSH")
def test_openssh_checks_the_twins_key_from_a_path_with_a_space_and_a_percent(tmp_path: Path) -> None:
    """OpenSSH splits UserKnownHostsFile at blanks and expands `%` in it: every host of a twin
    whose state file was under `sp ace/` failed `Host key verification failed` (regression
    tester)."""
    inv = tmp_path / "inventory"
    _lab(tmp_path, strict=False)
    groups = yaml.safe_load((inv / "groups.yaml").read_text())
    groups["srl"]["connection_options"]["scrapli"]["extras"]["transport"] = "system"
    (inv / "groups.yaml").write_text(yaml.safe_dump(groups))
    state = tmp_path / "sp ace %d" / "twin A.json"
    assert twin_cmd("up", "--state-file", str(state), cwd=tmp_path).returncode == 0
    try:
        verify = nornir_evpn_cmd("verify", "--twin", "--twin-state", str(state), "--hosts", "leaf1,spine1",
                                 "--checks", "bgp.underlay_established", cwd=tmp_path)
        assert "Host key verification failed" not in verify.stdout + verify.stderr
        assert verify.returncode in (0, 1) and "checks passed on 2/2 hosts" in verify.stdout, verify.stdout + verify.stderr
    finally:
        twin_cmd("down", "--state-file", str(state), cwd=tmp_path)
