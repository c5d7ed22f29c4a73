"""The twin through the REAL scrapli nokia_srlinux driver (ssh2, paramiko) and nornir-scrapli."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import errno
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import TEST_PASSWORD
from nornir.core.inventory import ConnectionOptions, Defaults, Groups, Host, Hosts, Inventory
from scrapli import Scrapli
from scrapli.driver.network.base_driver import PrivilegeLevel
from scrapli.exceptions import (
    ScrapliAuthenticationFailed,
    ScrapliConnectionError,
    ScrapliConnectionNotOpened,
)
from scrapli_community.nokia.srlinux.nokia_srlinux import DEFAULT_PRIVILEGE_LEVELS

from nornir_evpn import platform, session
from nornir_evpn.twin.runtime import Twin

# The recipe for a private candidate with scrapli: override the `configuration` level.
PRIVATE_PRIVS = {
    **DEFAULT_PRIVILEGE_LEVELS,
    "configuration": PrivilegeLevel(**platform.SCRAPLI_PRIVATE_CANDIDATE_PRIV),
}
try:  # ssh2-python's own errors; absent where it is not installed (macOS)
    from ssh2.exceptions import SSH2Error as _SSH2Error
    TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (ScrapliConnectionError, OSError, _SSH2Error)
except ImportError:  # paramiko, unguarded here, raises "Socket is closed" (an OSError)
    TRANSPORT_ERRORS = (ScrapliConnectionError, OSError)
# each transport this machine has: ssh2 where ssh2-python imports, paramiko always
TRANSPORTS = [t for t in ("ssh2", "paramiko") if session.transport(t) == t]
LAG_LINES = [
    "set / interface lag1 admin-state enable",
    "set / interface lag1 vlan-tagging true",
    "set / interface lag1 subinterface 0 type bridged",
]


def connect(twin: Twin, node: str, transport: str = session.transport(), **kw: Any) -> Any:
    host, port = twin.endpoints[node]
    conn = Scrapli(
        host=host,
        port=port,
        auth_username="admin",
        auth_password=kw.pop("password", TEST_PASSWORD),
        auth_strict_key=False,
        platform=platform.PLATFORM,
        transport=transport,
        privilege_levels=PRIVATE_PRIVS,
        timeout_ops=kw.pop("timeout_ops", 10),
        timeout_socket=5,
        timeout_transport=5,
        **kw,
    )
    conn.open()
    return conn


def test_login_does_not_resolve_the_host_name(twin: Twin, monkeypatch: pytest.MonkeyPatch) -> None:
    """No DNS lookup per login (asyncssh's GSSAPI default resolves the FQDN on every auth)."""
    import socket

    def no_dns(*_args: Any) -> str:
        raise AssertionError("socket.getfqdn called")

    monkeypatch.setattr(socket, "getfqdn", no_dns)
    conn = connect(twin, "leaf1")
    try:
        assert "leaf1" in conn.get_prompt()
    finally:
        conn.close()


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_open_show_close(twin: Twin, transport: str) -> None:
    conn = connect(twin, "spine1", transport)
    try:
        assert conn.get_prompt() == "--{ running }--[  ]--\nA:spine1#"
        r = conn.send_command(platform.SHOW_VERSION)
        assert not r.failed
        assert "Hostname             : spine1" in r.result
        assert "Software Version     : v23.7.1" in r.result
    finally:
        conn.close()


def test_startup_configs_boot(twin: Twin) -> None:
    conn = connect(twin, "leaf1")
    try:
        flat = conn.send_command(platform.INFO_FLAT).result.splitlines()
    finally:
        conn.close()
    assert "set / network-instance default protocols bgp autonomous-system 101" in flat
    assert flat == twin.datastore("leaf1").running.flat()


def test_private_candidate_commit_changes_running(twin: Twin) -> None:
    conn = connect(twin, "leaf2")
    try:
        r = conn.send_configs(
            [*LAG_LINES, platform.COMMIT_NOW],
            privilege_level="configuration",
            failed_when_contains=platform.FAILED_WHEN_CONTAINS,
        )
        assert not r.failed
        assert r[-1].result == "All changes have been committed. Leaving candidate mode."
        flat = conn.send_command(f"{platform.INFO_FLAT} /interface lag1").result.splitlines()
    finally:
        conn.close()
    assert flat == [
        "set / interface lag1 admin-state enable",
        "set / interface lag1 subinterface 0 type bridged",
        "set / interface lag1 vlan-tagging true",
    ]


def test_discard_keeps_running(twin: Twin) -> None:
    before = twin.datastore("leaf3").running.copy()
    conn = connect(twin, "leaf3")
    try:
        r = conn.send_configs([*LAG_LINES, platform.DIFF_FLAT, platform.DISCARD_NOW],
                              privilege_level="configuration")
        assert "insert / interface lag1 admin-state enable" in r[3].result
        assert conn.send_command(f"{platform.INFO_FLAT} /interface lag1").result == ""
    finally:
        conn.close()
    assert twin.datastore("leaf3").running == before


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_rejected_commit_fails_the_response(twin: Twin, transport: str) -> None:
    before = twin.datastore("leaf1").running.copy()
    conn = connect(twin, "leaf1", transport)
    try:
        r = conn.send_configs(
            ["set / system network-instance protocols evpn ethernet-segments bgp-instance 1 "
             "ethernet-segment ES-1 interface lag1", platform.COMMIT_NOW],
            privilege_level="configuration",
            failed_when_contains=platform.FAILED_WHEN_CONTAINS,
        )
        assert r.failed
        assert r[-1].result.startswith("Error: ethernet-segment ES-1: interface lag1 does not exist")
        # as on SR Linux the failed candidate stays open (dirty) ...
        assert conn.get_prompt() == "--{ * candidate private private-admin }--[  ]--\nA:leaf1#"
        # ... until scrapli's next send_command goes back to exec with `discard now`
        assert conn.send_command(f"{platform.INFO_FLAT} /system").result == ""
        assert conn.get_prompt() == "--{ running }--[  ]--\nA:leaf1#"
    finally:
        conn.close()
    assert twin.datastore("leaf1").running == before


def test_fault_reject_next_commit(twin: Twin) -> None:
    twin.reject_next_commit("leaf1")
    conn = connect(twin, "leaf1")
    try:
        r = conn.send_configs([LAG_LINES[0], platform.COMMIT_NOW], privilege_level="configuration",
                              failed_when_contains=platform.FAILED_WHEN_CONTAINS)
        assert r.failed and "Error: commit rejected by twin fault injection" in r.result
        r = conn.send_configs([LAG_LINES[0], platform.COMMIT_NOW], privilege_level="configuration",
                              failed_when_contains=platform.FAILED_WHEN_CONTAINS)
        assert not r.failed
    finally:
        conn.close()
    assert twin.datastore("leaf1").running.exists(("interface", "lag1"))


def test_fault_wrong_credentials(twin: Twin) -> None:
    twin.set_password("spine1", "rotated-elsewhere")
    # paramiko reports it at once; ssh2 (libssh2) only after timeout_transport, because it
    # retries with keyboard-interactive and waits
    with pytest.raises(ScrapliAuthenticationFailed):
        connect(twin, "spine1", "paramiko")
    twin.set_password("spine1", None)
    connect(twin, "spine1").close()


def test_fault_unreachable_and_back_on_same_port(twin: Twin) -> None:
    endpoint = twin.endpoints["spine1"]
    twin.set_unreachable("spine1")
    with pytest.raises(ScrapliConnectionNotOpened):
        connect(twin, "spine1")
    twin.set_unreachable("spine1", False)
    assert twin.endpoints["spine1"] == endpoint
    connect(twin, "spine1").close()


def test_an_unreachable_node_keeps_its_port(twin: Twin) -> None:
    """Its listener was closed: any local process could take the port (and be taken for the
    node by every client the state file sends there), and `--restore` then failed to bind."""
    host, port = twin.endpoints["leaf2"]
    twin.set_unreachable("leaf2")
    try:
        for reuse in (False, True):
            with socket.socket() as rogue, pytest.raises(OSError) as taken:
                rogue.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, reuse)
                rogue.bind((host, port))
            assert taken.value.errno == errno.EADDRINUSE
        # no SSH banner: the connection is closed at once
        with socket.create_connection((host, port), timeout=5) as probe, \
                contextlib.suppress(ConnectionResetError):
            assert probe.recv(64) == b""
    finally:
        twin.set_unreachable("leaf2", False)
    connect(twin, "leaf2").close()


def test_a_restore_the_twin_cannot_do_is_reported(twin: Twin, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """`twin fault unreachable leaf1 --restore` answered ok (exit 0) when the node could not
    serve again (0.13: its port taken meanwhile): the fault is said, with why, exit 1."""
    from nornir_evpn.commands import twin_fault
    from nornir_evpn.twin.server import NodeServer

    def cannot(self: NodeServer, unreachable: bool = True) -> None:
        raise OSError(errno.EADDRINUSE, "Address already in use")

    controller = twin_fault.FaultController(twin)
    monkeypatch.setattr(NodeServer, "set_unreachable", cannot)
    reply = controller.apply({"action": "unreachable", "node": "leaf1", "restore": True})
    assert reply == {"ok": False, "error": "leaf1: Address already in use", "failed": True}
    monkeypatch.setattr(twin_fault, "send_fault", lambda req, state: controller.apply(req))
    args = argparse.Namespace(action="unreachable", targets=["leaf1"], restore=True, twin_state=tmp_path / "t.json")
    assert twin_fault.run_fault(args) == 1
    assert capsys.readouterr().err == "twin fault unreachable: leaf1: Address already in use\n"


def test_fault_drop_connections_mid_command(twin: Twin) -> None:
    conn = connect(twin, "spine1", timeout_ops=5)
    try:
        twin.set_slow("spine1", 0.3)
        t0 = time.monotonic()
        conn.send_command("show version")
        assert time.monotonic() - t0 >= 0.3  # slow node: every line waits
        twin.drop_connections("spine1")
        t0 = time.monotonic()
        with pytest.raises(TRANSPORT_ERRORS):
            conn.send_command("show version")
        assert time.monotonic() - t0 < 2  # dropped at once, not a timeout
    finally:
        twin.set_slow("spine1", 0)
        with contextlib.suppress(Exception):
            conn.transport.close()


def test_ce_placeholder_engine(twin: Twin) -> None:
    import asyncssh  # the CE speaks a plain shell, no scrapli platform

    host, port = twin.endpoints["ce1"]

    async def probe() -> str:
        async with asyncssh.connect(host, port, username="admin", password=TEST_PASSWORD,
                                    known_hosts=None) as c:
            r = await c.run(input="echo hello twin\nexit\n", term_type="xterm", timeout=5)
            return str(r.stdout)

    out = asyncio.run(probe())
    assert "echo hello twin\r\nhello twin\r\nbash-5.0# " in out


class _TwinInventory:
    """Nornir inventory of the twin's leaves, with the private-candidate scrapli extras."""

    def __init__(self, endpoints: dict[str, tuple[str, int]]) -> None:
        self.endpoints = endpoints

    def load(self) -> Inventory:
        extras = {"auth_strict_key": False, "transport": session.transport(), "privilege_levels": PRIVATE_PRIVS}
        defaults = Defaults(
            username="admin",
            password=TEST_PASSWORD,
            connection_options={"scrapli": ConnectionOptions(extras=extras)},
        )
        hosts = Hosts(
            {
                name: Host(name, hostname=host, port=port, platform=platform.PLATFORM,
                           defaults=defaults)
                for name, (host, port) in self.endpoints.items()
                if name.startswith("leaf")
            }
        )
        return Inventory(hosts=hosts, groups=Groups(), defaults=defaults)


def test_nornir_scrapli_send_command(twin: Twin) -> None:
    from nornir import InitNornir
    from nornir.core.plugins.inventory import InventoryPluginRegister
    from nornir_scrapli.tasks import send_command

    InventoryPluginRegister.register("TwinTestInventory", _TwinInventory)
    nr = InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": 3}},
        inventory={"plugin": "TwinTestInventory", "options": {"endpoints": twin.endpoints}},
        logging={"enabled": False},
    )
    try:
        result = nr.run(task=send_command, command=platform.SHOW_VERSION)
    finally:
        nr.close_connections(on_failed=True)
    assert not result.failed
    assert {h: f"Hostname             : {h}" in r[0].result for h, r in result.items()} == {
        "leaf1": True, "leaf2": True, "leaf3": True}


def test_a_twin_entered_twice_refuses_and_leaves_no_loop_thread_behind() -> None:
    """A notebook cell run again (`twin.__enter__()`): a second loop thread took the twin over
    while the first, serving the nodes' listeners, ran on for good after `__exit__`."""
    import threading

    def loops() -> int:
        return sum(t.name == "twin-loop" for t in threading.enumerate())

    from nornir_evpn.twin.runtime import default_topology

    before = loops()
    twin = Twin(default_topology(), password=TEST_PASSWORD)
    with twin:
        port = twin.endpoints["leaf1"][1]
        with pytest.raises(RuntimeError, match="already started"):
            twin.__enter__()
        assert loops() == before + 1
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # still served
    deadline = time.monotonic() + 5
    while loops() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert loops() == before
    with twin, socket.create_connection(("127.0.0.1", twin.endpoints["leaf1"][1]), timeout=5):
        pass  # and once left, it starts again
