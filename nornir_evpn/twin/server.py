"""SSH transport for the twin: one asyncssh listener per node on 127.0.0.1, nothing else.

Echo and line assembly are done here, not by asyncssh's line editor (DESIGN.md, measured):
the editor loses echo with TERM unset, doubles it with TERM=dumb, and breaks on long lines
and window-size changes. Typed characters are echoed as they arrive (scrapli waits for its
own input before pressing Enter); on Enter, `\\r\\n` + output + prompt go out in one write.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import re
import socket
from collections.abc import Callable

import asyncssh

from nornir_evpn.twin.cli_engine import SessionEngine

log = logging.getLogger(__name__)

EngineFactory = Callable[[], SessionEngine]
_FLUSH_CHARS = 16384
_FLUSH_S = 0.01
# AES-GCM first and ChaCha20 not offered: the client picks the first cipher of *its* list the
# server offers (libssh2 then settles on aes256-gcm), and libssh2 lists chacha20-poly1305
# first, which asyncssh runs as several calls per packet; AES-GCM is one (AES-NI). 128-leaf
# verify: twin CPU 1.66 -> 1.49 s, configure 0.90 -> 0.74 s. CTR stays for older clients.
_CIPHERS = ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes256-ctr"]
# runs of typed text (tab and printable, DEL excluded) or one control character: a pasted
# 3 KiB batch is a few dozen matches instead of 3,000 loop turns
_TOKENS = re.compile(r"(?P<text>[\t\x20-\x7e\x80-\U0010ffff]+)|[\x00-\x08\x0a-\x1f\x7f]", re.S)

_HOST_KEY: asyncssh.SSHKey | None = None


def host_key() -> asyncssh.SSHKey:
    """One host key per process, kept as an object (loading a path costs ~42 ms per login)."""
    global _HOST_KEY
    if _HOST_KEY is None:
        _HOST_KEY = asyncssh.generate_private_key("ecdsa-sha2-nistp256")
    return _HOST_KEY


def crlf(text: str) -> str:
    """Terminal line ends: every `\\n` becomes `\\r\\n`."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


class _Auth(asyncssh.SSHServer):
    """Password auth against the node's current credentials (they can change: a fault)."""

    def __init__(self, node: NodeServer) -> None:
        self._node = node

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        if self._node.unreachable:
            # closed before the SSH banner (asyncssh sends it after this returns, to a closed
            # transport: not at all): the client finds no SSH server there, and the port stays
            # the node's (closing the listener let any local process take it). A close, not a
            # reset: a reset can beat the client's own connect(), which scrapli lets out as a
            # bare ConnectionResetError instead of ScrapliConnectionNotOpened
            conn.abort()
            return
        self._node.connections.add(conn)
        sock = conn.get_extra_info("socket")
        if sock is not None:
            # asyncssh sets NODELAY on client connections only; without it every
            # prompt waits ~40 ms for the client's delayed ACK.
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        self._node.connections.discard(self._conn)

    def session_requested(self) -> _Session:
        return _Session(self._node)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        ok_user = hmac.compare_digest(username.encode(), self._node.username.encode())
        ok_pass = hmac.compare_digest(password.encode(), self._node.password.encode())
        return ok_user and ok_pass


class _Session(asyncssh.SSHServerSession):  # type: ignore[type-arg]
    """One interactive shell: bytes in, echo and engine replies out, strictly in order."""

    def __init__(self, node: NodeServer) -> None:
        self._node = node
        self._chan: asyncssh.SSHServerChannel | None = None  # type: ignore[type-arg]
        self._engine: SessionEngine | None = None
        self._inbox: asyncio.Queue[tuple[str, float] | None] = asyncio.Queue()  # (data, arrival)
        self._worker: asyncio.Task[None] | None = None
        self._line: list[str] = []
        self._after_cr = False
        self._columns: int | None = None  # the pty's width, if one was asked for

    # -- asyncssh callbacks --------------------------------------------------------------------
    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:  # type: ignore[type-arg]
        self._chan = chan

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int],
                      term_modes: dict[int, int]) -> bool:
        self._columns = term_size[0] or None  # libssh2 and paramiko ask for 80, OpenSSH its own
        return True

    def terminal_size_changed(self, width: int, height: int, pixwidth: int,
                              pixheight: int) -> None:
        """Output is not paged; the width fits `show` tables when the twin is asked to."""
        self._columns = width or None
        if self._engine is not None and hasattr(self._engine, "terminal_columns"):
            self._engine.terminal_columns = self._columns

    def shell_requested(self) -> bool:
        return True

    def session_started(self) -> None:
        self._engine = self._node.engine_factory()
        if hasattr(self._engine, "terminal_columns"):
            self._engine.terminal_columns = self._columns
        self._worker = asyncio.get_running_loop().create_task(self._run())

    def data_received(self, data: str, datatype: int | None) -> None:
        self._inbox.put_nowait((data, asyncio.get_running_loop().time()))

    def eof_received(self) -> bool:
        self._inbox.put_nowait(None)
        return True  # stay half-open: replies to lines queued before EOF still go out

    def connection_lost(self, exc: Exception | None) -> None:
        if self._worker is not None:
            self._worker.cancel()
        close = getattr(self._engine, "close", None)
        if callable(close):
            close()

    # -- worker --------------------------------------------------------------------------------
    def _write(self, text: str) -> None:
        if self._chan is None or not text or self._chan.is_closing():
            return
        # the client may hang up first (scrapli closes right after `logout`)
        with contextlib.suppress(OSError, asyncssh.Error):
            self._chan.write(text)

    async def _run(self) -> None:
        assert self._engine is not None and self._chan is not None
        try:
            self._write(crlf(await self._engine.banner_and_prompt()))
            while (item := await self._inbox.get()) is not None:
                if not await self._feed(*item):
                    break
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug in an engine must not take the whole twin down
            log.exception("session on %s failed", self._node.name)
        if not self._chan.is_closing():
            self._chan.exit(0)

    async def _feed(self, data: str, received_at: float) -> bool:
        """Echo, assemble lines, run them; False once the engine closed the session.

        Replies to the lines of one chunk (a pasted batch) go out together, in order, in
        writes of up to `_FLUSH_CHARS`: one SSH packet per line costs both ends CPU. With a
        latency profile the lines of a chunk take time, and what is answered goes out every
        `_FLUSH_S`, as a device's answers would, so a client typing ahead can refill.
        """
        assert self._engine is not None
        loop = asyncio.get_running_loop()
        flushed = loop.time()
        echo: list[str] = []
        out: list[str] = []
        size = 0
        keep_open = True
        for match in _TOKENS.finditer(data):
            ch = match.group()
            if match.lastgroup == "text":
                self._after_cr = False
                self._line.extend(ch)
                echo.append(ch)
                continue
            if ch == "\n" and self._after_cr:
                self._after_cr = False  # second half of \r\n: one Enter, not two
                continue
            self._after_cr = ch == "\r"
            if ch in "\r\n":
                line, self._line = "".join(self._line), []
                if self._node.extra_delay > 0:
                    await asyncio.sleep(self._node.extra_delay)
                reply = "".join(echo) + "\r\n" + crlf(await self._engine.handle_line(line, received_at))
                echo = []
                out.append(reply)
                size += len(reply)
                if self._engine.closed:
                    keep_open = False
                    break
                if size >= _FLUSH_CHARS or loop.time() - flushed >= _FLUSH_S:
                    await self._settle()
                    self._write("".join(out))
                    out, size = [], 0
                    flushed = loop.time()
            elif ch in "\x7f\x08":
                if self._line:
                    self._line.pop()
                    echo.append("\b \b")
            elif ch == "\x03":  # Ctrl-C: drop the line, fresh prompt
                self._line = []
                echo.append("^C\r\n" + crlf(await self._engine.handle_line("", received_at)))
            elif ch == "\x04" and not self._line:  # Ctrl-D on an empty line: log out
                keep_open = False
                break
        await self._settle()
        self._write("".join(out) + "".join(echo))
        return keep_open

    async def _settle(self) -> None:
        """Let the engine's latency model catch up before its answers go out."""
        settle = getattr(self._engine, "settle", None)
        if settle is not None:
            await settle()


class NodeServer:
    """The SSH endpoint of one node, with the transport-level faults."""

    def __init__(
        self,
        name: str,
        engine_factory: EngineFactory,
        *,
        username: str,
        password: str,
        host: str = "127.0.0.1",
        port: int = 0,
        key: asyncssh.SSHKey | None = None,
    ) -> None:
        self.name = name
        self.engine_factory = engine_factory
        self.username = username
        self.password = password
        self.host = host
        self.port = port
        self.extra_delay = 0.0  # "slow node" fault, seconds per line
        self.unreachable = False  # "unreachable" fault: every connection is closed at once
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self._key = key or host_key()
        self._server: asyncssh.SSHAcceptor | None = None

    @property
    def listening(self) -> bool:
        return self._server is not None

    async def start(self) -> None:
        """Listen (again) on the node's port; the first start picks a free one."""
        if self._server is not None:
            return
        self._server = await asyncssh.create_server(
            lambda: _Auth(self),
            self.host,
            self.port,
            server_host_keys=[self._key],
            line_editor=False,
            keepalive_interval=0,
            encryption_algs=_CIPHERS,
            # no GSSAPI: asyncssh would otherwise resolve this host's FQDN (socket.getfqdn, a
            # DNS lookup on a laptop without a hosts entry) for every login it authenticates
            gss_host=None,
            reuse_address=True,
        )
        if not self._server.sockets:  # asyncio skips an address it could not bind (EMFILE)
            raise OSError(f"{self.name}: could not listen on {self.host} (too many open files? "
                          "raise `ulimit -n`)")
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        """Stop listening and drop every session: the node is unreachable.

        The sessions go before the wait: from Python 3.12.1, `wait_closed` waits for every
        connection the listener accepted (cpython gh-79033), so a session still open held the
        stop (and `twin down`) until its client left. The listener is forgotten before the
        wait too: a `start` meanwhile (a fault's restore) listens again instead of returning."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        self.drop_connections()
        if server is not None:
            await server.wait_closed()

    def set_unreachable(self, unreachable: bool = True) -> None:
        """Close every new connection before the SSH banner, and drop the open sessions (or
        restore: serve again). The listener stays: its port is never free for another
        process to take while the twin's state file names it. Call it on the twin's loop."""
        if not unreachable and self._server is None:
            raise OSError(f"{self.name} is not listening (the twin is stopping)")
        self.unreachable = unreachable
        if unreachable:
            self.drop_connections()

    def drop_connections(self) -> None:
        """Close every SSH connection to this node now, mid-command or not."""
        for conn in list(self.connections):
            conn.abort()
        self.connections.clear()
