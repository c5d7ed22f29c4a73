"""The twin as a server: abrupt clients, garbage input, loopback only, no anonymous sessions."""

from __future__ import annotations

import asyncio
import random
import socket

import asyncssh
import pytest
from scrapli import Scrapli

from nornir_evpn import platform, session
from reliability.helpers import SRL_NODES, Watch

CLIENTS = 100


def _options(port: int, **extra: object) -> dict:
    return {"host": "127.0.0.1", "port": port, "known_hosts": None, "username": "admin",
            "client_keys": None, "agent_path": None, **extra}


async def _read_until_prompt(proc: asyncssh.SSHClientProcess, timeout: float = 5) -> str:
    out = ""
    while not out.rstrip().endswith("#"):
        out += await asyncio.wait_for(proc.stdout.read(4096), timeout)
    return out


async def _abrupt_clients(port: int, password: str) -> None:
    async def raw_close() -> None:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.transport.abort()

    async def raw_garbage() -> None:
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"SSH-2.0-junk\r\n" + random.randbytes(512))
        await writer.drain()
        writer.transport.abort()

    async def mid_session() -> None:
        conn = await asyncssh.connect(**_options(port, password=password))
        proc = await conn.create_process(term_type="xterm", encoding=None)
        await proc.stdout.read(64)
        proc.stdin.write(b"show ver")  # half a line, then the cable is pulled
        conn.abort()

    kinds = [raw_close, raw_garbage, mid_session]
    await asyncio.gather(*(kinds[i % 3]() for i in range(CLIENTS)), return_exceptions=True)


def _scrapli_show_version(port: int, password: str) -> str:
    with Scrapli(host="127.0.0.1", port=port, auth_username="admin", auth_password=password,
                 auth_strict_key=False, platform="nokia_srlinux", transport=session.transport(),
                 timeout_ops=10) as conn:
        return conn.send_command("show version").result


def test_survives_100_abrupt_clients(watch: Watch):
    port = watch.twin.endpoints["leaf1"][1]
    before = watch.running()
    asyncio.run(_abrupt_clients(port, watch.twin.password))
    assert watch.logins.get("leaf1", 0) >= CLIENTS // 3  # the mid-session ones logged in
    assert "Hostname" in _scrapli_show_version(port, watch.twin.password)
    assert watch.running() == before
    watch.assert_clean()


GARBAGE = ["foo bar", "set", "commit", "info from nowhere", "show bogus table", "}", "{",
           "!!", "enter candidate chaos", "\t\t", "x" * 3000, "tools reboot-the-world"]


async def _garbage_session(port: int, password: str, lines: list[str]) -> tuple[list[str], str]:
    async with asyncssh.connect(**_options(port, password=password)) as conn:
        proc = await conn.create_process(term_type="xterm")
        await _read_until_prompt(proc)
        replies = []
        for line in lines:
            proc.stdin.write(line + "\r")
            replies.append(await _read_until_prompt(proc))
        proc.stdin.write(b"\xff\xfe\x00\x1b[A garbage bytes\r".decode("latin-1"))
        await _read_until_prompt(proc)
        proc.stdin.write(f"{platform.SHOW_VERSION}\r")
        return replies, await _read_until_prompt(proc)


def test_garbage_lines_get_srlinux_errors_and_the_session_stays_usable(watch: Watch):
    port = watch.twin.endpoints["leaf2"][1]
    rnd = random.Random(7)
    noise = ["".join(rnd.choice("abcdefgh-/:=[]*? ") for _ in range(rnd.randint(1, 40)))
             for _ in range(20)]
    before = watch.running()
    replies, last = asyncio.run(_garbage_session(port, watch.twin.password, GARBAGE + noise))
    for line, reply in zip(GARBAGE[:5], replies[:5], strict=True):
        assert "Error" in reply or "error" in reply, (line, reply)
    assert all(r.rstrip().endswith("#") for r in replies)  # always back at a prompt
    assert "Hostname" in last and "leaf2" in last
    assert watch.running() == before


def test_listens_on_loopback_only(watch: Watch):
    for node in (*SRL_NODES, "ce1", "ce2"):
        server = watch.twin.servers[node]
        addrs = {s.getsockname()[0] for s in server._server.sockets}  # type: ignore[union-attr]
        assert addrs == {"127.0.0.1"}, (node, addrs)
    # the port is not reachable on another local address
    other = _non_loopback_address()
    if other is None:
        pytest.skip("no non-loopback address on this machine")
    with pytest.raises(OSError):
        socket.create_connection((other, watch.twin.endpoints["leaf1"][1]), timeout=2).close()


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))  # no packet is sent: picks the outbound address
            addr = s.getsockname()[0]
        except OSError:
            return None
    return None if addr.startswith("127.") else addr


@pytest.mark.parametrize(
    "creds",
    [{"password": "wrong"}, {"password": ""}, {}, {"username": "root", "password": "USE_REAL"}],
    ids=["wrong-password", "empty-password", "no-password", "wrong-user"],
)
def test_refuses_unauthenticated_sessions(watch: Watch, creds):
    port = watch.twin.endpoints["spine1"][1]
    if creds.get("password") == "USE_REAL":
        creds = {**creds, "password": watch.twin.password}

    async def attempt() -> None:
        async with asyncssh.connect(**_options(port, **creds), preferred_auth="password,none,keyboard-interactive"):
            pass

    with pytest.raises(asyncssh.PermissionDenied):
        asyncio.run(attempt())
    assert not [s for s in watch.sessions if s.ds.name == "spine1"]  # no CLI session began
