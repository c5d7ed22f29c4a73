"""A dropped session is freed without waiting for the device, and a session the device ended
raises instead of spinning (ssh2_guard: ssh2 and paramiko)."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from nornir_evpn.tasks.cli_lines import CONNECTION, drop_connection, run_commands
from scrapli import Scrapli
from scrapli.driver.network.base_driver import BaseNetworkDriver
from scrapli.exceptions import ScrapliConnectionError

from nornir_evpn import session, ssh2_guard
from nornir_evpn.twin.runtime import Twin

LAB = Path(__file__).resolve().parents[2] / "inventory" / "evpn-mh01.clab.yml"
TIMEOUT_S = 5


def _open(twin: Twin, node: str, transport: str = "ssh2") -> Scrapli:
    host, port = twin.endpoints[node]
    conn = Scrapli(host=host, port=port, auth_username="admin", auth_password=twin.password,
                   auth_strict_key=False, transport=transport, platform="nokia_srlinux",
                   timeout_ops=0, timeout_transport=TIMEOUT_S)
    conn.open()
    return conn


def test_freeing_an_unclosed_session_does_not_wait_for_the_device() -> None:
    if not session.ssh2_available():
        pytest.skip("ssh2-python not installed: the finalizer guards libssh2 objects only")
    # Unguarded, ssh2-python frees the open channel holding the GIL while libssh2 waits up
    # to 2 x timeout_transport for the peer's CLOSE: this in-process twin could not answer,
    # and the process froze for 10 s here (60 s with the inventory's 30 s timeout).
    ssh2_guard.install()
    with Twin(LAB) as twin:
        conn = _open(twin, "leaf1")
        assert conn.transport.session_channel is not None
        del conn  # dropped without close(), as after an on_close that raised
        started = time.monotonic()
        BaseNetworkDriver._determine_current_priv.cache_clear()  # scrapli's cache held it
        assert time.monotonic() - started < TIMEOUT_S  # no wait for the peer at all
        again = _open(twin, "leaf1")  # the device side ended that session; logins still work
        assert "A:leaf1#" in again.get_prompt()
        again.close()


@pytest.mark.parametrize("transport", ["ssh2", "paramiko"])
def test_a_session_the_device_ended_raises_instead_of_spinning(transport: str) -> None:
    # libssh2 and paramiko both return empty reads forever once the device ends the session
    # (here: `quit` in the middle of a pasted batch); unguarded, the read loop spun at full
    # CPU for good (on paramiko, macOS's transport, also after our own Ctrl-C socket shutdown)
    if session.transport(transport) != transport:
        pytest.skip("ssh2-python not installed")
    ssh2_guard.install()
    with Twin(LAB) as twin:
        conn = _open(twin, "leaf1", transport)
        ssh2_guard.guard(conn)  # what session.on_open does for every SR Linux session
        started = time.monotonic()
        with pytest.raises(ScrapliConnectionError, match="ended the SSH session"):
            run_commands(conn, ["show version", "quit", "show version"])
        assert time.monotonic() - started < TIMEOUT_S  # at once, not after a timeout
        ssh2_guard.release(conn.transport)


def test_release_shuts_an_open_session_down_and_leaves_a_closed_one() -> None:
    a, b = socket.socketpair()
    with a, b:
        closed = SimpleNamespace(session_channel=None, socket=SimpleNamespace(sock=a))
        ssh2_guard.release(closed)
        a.sendall(b"x")  # untouched: still writable
        assert b.recv(1) == b"x"
        ssh2_guard.release(SimpleNamespace(session_channel=object(), socket=SimpleNamespace(sock=a)))
        assert b.recv(1) == b""  # the peer sees the session end now, not at garbage collection
        ssh2_guard.release(None)  # no transport at all: nothing to do


def test_drop_connection_shuts_the_socket_when_close_fails() -> None:
    a, b = socket.socketpair()
    transport = SimpleNamespace(session_channel=object(), socket=SimpleNamespace(sock=a))

    class Host:
        connections = {CONNECTION: SimpleNamespace(connection=SimpleNamespace(transport=transport))}

        def close_connection(self, name: str) -> None:
            raise OSError("session already gone")  # on_close could not send 'quit'

    host = Host()
    with a, b:
        drop_connection(host)
        assert CONNECTION not in host.connections
        assert b.recv(1) == b""
        drop_connection(host)  # nothing left: no error


def test_paramiko_is_not_imported_where_ssh2_serves() -> None:
    """The paramiko guard patches its transport when a paramiko session opens; installing it
    at import pulled paramiko into every command (0.17 s of CPU, 30 MB; seen in the benchmark)."""
    import subprocess
    import sys

    if not session.ssh2_available():
        pytest.skip("ssh2-python not installed: paramiko serves here")
    code = ("import sys, nornir_evpn.tasks.config, nornir_evpn.cli; "
            "print('paramiko' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_importing_the_tasks_leaves_scrapli_alone_until_a_task_connects(tmp_path: Path) -> None:
    """A runbook that imports nornir_evpn.tasks for one job had scrapli's ssh2 transport
    patched for every device it drives; now the guard goes in when our task first connects."""
    import subprocess
    import sys

    if not session.ssh2_available():
        pytest.skip("ssh2-python not installed: nothing to guard")
    code = (
        "import nornir_evpn.tasks, nornir_evpn.tasks.verify as v\n"
        "from scrapli.transport.plugins.ssh2.transport import Ssh2Transport as T\n"
        "print(hasattr(T, '_nornir_evpn_guard'))\n"
        "class Host:\n"
        "    name, connections = 'leaf1', {}\n"
        "    def get_connection(self, *a):\n"
        "        raise ConnectionRefusedError('no device')\n"
        "task = type('Task', (), {'host': Host(), 'nornir': type('N', (), {'config': None})()})()\n"
        "try:\n"
        "    v.collect_outputs(task, ['show version'])\n"
        "except ConnectionRefusedError:\n"
        "    pass\n"
        "print(hasattr(T, '_nornir_evpn_guard'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.split() == ["False", "True"], out.stderr


def test_a_session_of_our_inventory_is_guarded_before_any_task_of_ours(tmp_path: Path) -> None:
    """A runbook's own nornir_scrapli task on our inventory opened the first session: no
    guard, and the session the device then ended spun at full CPU (review of the lazy install)."""
    import subprocess
    import sys

    if not session.ssh2_available():
        pytest.skip("ssh2-python not installed: nothing to guard")
    code = (
        "import nornir_evpn.session as s\n"
        "from scrapli.transport.plugins.ssh2.transport import Ssh2Transport as T\n"
        "class Conn:\n"
        "    transport, host, port, default_desired_privilege_level = None, 'leaf1', 22, 'exec'\n"
        "    def __getattr__(self, name):  # the first thing on_open reads of the device\n"
        "        raise RuntimeError('no device')\n"
        "try:\n"
        "    s.on_open(Conn())\n"
        "except RuntimeError:\n"
        "    pass\n"
        "print(hasattr(T, '_nornir_evpn_guard'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.strip() == "True", out.stderr


def test_ssh2_is_imported_by_one_thread_at_a_time(monkeypatch) -> None:
    """twin traffic's CEs each asked for their transport at once: two threads importing
    ssh2's extension modules (which import each other) ended in `_DeadlockError: deadlock
    detected by _ModuleLock('ssh2.session')` and `KeyError: 'ssh2.channel'` (seen in CI)."""
    import threading
    import time

    inside, most = [0], [0]
    lock = threading.Lock()

    def importing() -> bool:
        with lock:
            inside[0] += 1
            most[0] = max(most[0], inside[0])
        time.sleep(0.01)
        with lock:
            inside[0] -= 1
        return True

    monkeypatch.setattr(session, "_ssh2_imports", importing)
    barrier = threading.Barrier(8)

    def ask() -> None:
        barrier.wait()
        session.transport()

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most[0] == 1
