"""session.on_open/on_close on a real scrapli ssh2 session against the twin."""

from __future__ import annotations

import socket
from pathlib import Path

from scrapli import Scrapli

from nornir_evpn import session
from nornir_evpn.twin.runtime import Twin

LAB = Path(__file__).resolve().parents[2] / "inventory" / "evpn-mh01.clab.yml"


def test_open_sets_nodelay_and_leaves_the_session_in_running_mode_then_logs_out() -> None:
    with Twin(LAB) as twin:
        host, port = twin.endpoints["leaf1"]
        conn = Scrapli(host=host, port=port, auth_username="admin", auth_password=twin.password,
                       auth_strict_key=False, transport=session.transport(), platform="nokia_srlinux",
                       timeout_ops=0, timeout_transport=10,
                       on_open=session.on_open, on_close=session.on_close)
        conn.open()
        sock = conn.transport.socket.sock
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        assert conn._current_priv_level.name == "exec"
        if session.transport() == "ssh2":
            from ssh2.session import LIBSSH2_METHOD_CRYPT_CS
            # the twin offers no ChaCha20 (see twin.server._CIPHERS): libssh2 settles on AES-GCM
            assert conn.transport.session.methods(LIBSSH2_METHOD_CRYPT_CS).endswith("-gcm@openssh.com")
        # the pasted environment commands were answered: the next command lines up
        assert "leaf1" in conn.send_command("show version").result
        conn.close()
        assert conn.transport.session_channel is None  # closed cleanly, nothing to free later


def test_host_locks_are_per_host_and_gone_once_released() -> None:
    """A slow login holds its own host's lock only (striped locks shared by colliding hosts
    would make one host wait for another's), and nothing stays behind per Nornir object."""
    import threading

    from nornir.core.inventory import Host

    from nornir_evpn import session

    slow, other = Host("leaf1"), Host("leaf2")
    inside, release = threading.Event(), threading.Event()
    got: dict[str, threading.Event] = {"other": threading.Event(), "same": threading.Event()}

    def hold() -> None:
        with session.host_lock(slow):
            inside.set()
            release.wait(5)

    def take(host: Host, name: str) -> None:
        with session.host_lock(host):
            got[name].set()

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(5)
    threads = [threading.Thread(target=take, args=(other, "other")), threading.Thread(target=take, args=(slow, "same"))]
    for t in threads:
        t.start()
    assert got["other"].wait(1), "another host waited for leaf1's lock"
    assert not got["same"].wait(0.2)  # the same host waits
    release.set()
    for t in (holder, *threads):
        t.join(5)
    assert got["same"].is_set() and session._HOST_LOCKS == {}
