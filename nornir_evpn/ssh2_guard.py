"""Two guards on scrapli's ssh2 transport: a session the device ended raises instead of
spinning, and freeing a session that was never closed does not freeze the process.

**Ended sessions.** When the device ends the SSH session but not the TCP connection (the
CLI process exits or crashes, an admin logs the session out), libssh2's blocking read
returns no data at once, forever: it does not raise. With `timeout_ops` off (see
`inventory.scrapli_extras`) every read loop, scrapli's and ours, then spins at full CPU
and never ends. `install()` makes an empty read on a channel at EOF raise
`ScrapliConnectionError`, which the tasks report as a failed host.

**Unclosed sessions.**

scrapli's ssh2 transport leaves its libssh2 channel open whenever a connection is dropped
without `close()` finishing: an `on_open`/`on_close` that raised (device gone silent,
session dropped mid-command), a driver discarded by a failed open, a connection popped
after an error. Those drivers live on (scrapli keeps up to 64 in an `lru_cache`) and are
freed later, in whatever thread happens to evict them. ssh2-python 1.2 frees the channel
*with the GIL held*, and libssh2 first closes an open channel over the network: it sends
EOF and CLOSE and waits for the peer's CLOSE, up to twice the session timeout
(`timeout_transport`). For that whole time no other Python thread runs: every Nornir
worker stalls, and a twin served from the same process cannot answer, so logins that were
in flight time out ("failed to complete handshake with host").

`install()` gives the transport a finalizer that shuts its socket down before those objects
are freed: libssh2's close then fails at once on the dead socket instead of waiting for the
peer. The file descriptor stays owned by the socket object until the session is gone, so
libssh2 never touches a descriptor that another connection may already reuse. A transport
that was closed normally has no channel left and is not touched.
"""

from __future__ import annotations

import contextlib
import socket
from typing import Any

_INSTALLED = "_nornir_evpn_guard"
_ssh2_checked = False  # install() ran in this process (guarded or nothing to guard)


def release(transport: Any) -> None:
    """Make freeing `transport`'s libssh2 objects I/O-free (shut its socket down) if its
    channel is still open. Safe on any transport, closed or not, and idempotent."""
    if getattr(transport, "session_channel", None) is None:
        return  # closed by scrapli (or never opened): nothing can block
    sock = getattr(getattr(transport, "socket", None), "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def guard(conn: Any) -> None:
    """Guard the transport class of an opened scrapli connection. ssh2's guard is installed
    before a task opens its session (`install`); paramiko's only when a paramiko session opens: importing paramiko
    for every command cost 0.17 s of CPU and 30 MB where ssh2 serves (the benchmark saw it)."""
    if type(getattr(conn, "transport", None)).__name__ == "ParamikoTransport":
        install_paramiko()


def install_paramiko() -> None:
    """paramiko's Channel.recv returns b"" forever once the channel is closed (device ended
    the session, TCP reset, or our own socket shutdown): raise instead of spinning."""
    try:
        from scrapli.exceptions import ScrapliConnectionError
        from scrapli.transport.plugins.paramiko.transport import ParamikoTransport
    except ImportError:
        return
    if getattr(ParamikoTransport, _INSTALLED, False):
        return
    read, write = ParamikoTransport.read, ParamikoTransport.write

    def read_or_raise_at_eof(self: Any) -> bytes:
        buf: bytes = read(self)
        if not buf:
            raise ScrapliConnectionError("the device ended the SSH session")
        return buf

    def write_or_raise_when_ended(self: Any, channel_input: bytes) -> None:
        try:
            write(self, channel_input)
        except OSError as exc:  # paramiko's "Socket is closed": what ssh2 reports as lost
            raise ScrapliConnectionError("the device ended the SSH session") from exc

    ParamikoTransport.read = read_or_raise_at_eof  # type: ignore[method-assign]
    ParamikoTransport.write = write_or_raise_when_ended  # type: ignore[method-assign]
    setattr(ParamikoTransport, _INSTALLED, True)


def install() -> None:
    """Add the EOF check and the finalizer to scrapli's ssh2 transport (once per process).

    Called by the tasks before they open or reuse a session, not at import: importing
    `nornir_evpn.tasks` into a runbook does not patch scrapli for its other devices until
    a task of ours connects. paramiko's transport is guarded when a session of it opens
    (`guard`)."""
    global _ssh2_checked
    if _ssh2_checked:
        return
    _ssh2_checked = True
    try:
        from scrapli.exceptions import ScrapliConnectionError
        from scrapli.transport.plugins.ssh2.transport import Ssh2Transport
    except ImportError:  # ssh2-python not installed: nothing to guard
        return
    if getattr(Ssh2Transport, _INSTALLED, False):
        return
    previous = getattr(Ssh2Transport, "__del__", None)
    read = Ssh2Transport.read

    def __del__(self: Any) -> None:
        release(self)
        if previous is not None:
            previous(self)

    def read_or_raise_at_eof(self: Any) -> bytes:
        buf: bytes = read(self)
        if not buf and self.session_channel is not None and self.session_channel.eof():
            raise ScrapliConnectionError("the device ended the SSH session")
        return buf

    Ssh2Transport.__del__ = __del__  # type: ignore[attr-defined]
    Ssh2Transport.read = read_or_raise_at_eof  # type: ignore[method-assign]
    setattr(Ssh2Transport, _INSTALLED, True)
