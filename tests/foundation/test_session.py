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
