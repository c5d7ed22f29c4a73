"""SR Linux CLI sessions over scrapli: typing lines ahead, and a lighter open and close.

`paste` is how the tasks talk to a device: lines are typed ahead of its answers and read
back one prompt each. `on_open`/`on_close` replace scrapli-community's `nokia_srlinux`
callables with the same commands in fewer round trips (under load each round trip of
130 parallel sessions costs tens of milliseconds); the NornirEvpnDocs inventory plugin
sets them on every SR Linux host that does not name its own.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from nornir_evpn import platform
from nornir_evpn.device_text import plain, visible
from nornir_evpn.errors import DeviceError

PREFERRED_TRANSPORT = "ssh2"  # measured fastest (pyproject.toml); paramiko where it is missing


_SSH2_IMPORT = threading.Lock()


def ssh2_available() -> bool:
    """Whether ssh2-python imports: it has no wheel for macOS on Intel or Python 3.10/3.13,
    where it is not installed (pyproject marker) and scrapli's paramiko transport serves.

    Imported by one thread at a time: ssh2's extension modules import each other, and two
    threads importing them at once (`twin traffic`'s CEs, each asking for its transport)
    ended in `_DeadlockError: deadlock detected by _ModuleLock('ssh2.session')` on one CE
    and `KeyError: 'ssh2.channel'` on the other."""
    with _SSH2_IMPORT:
        return _ssh2_imports()


@functools.cache
def _ssh2_imports() -> bool:
    try:
        import ssh2.channel
        import ssh2.session  # noqa: F401
    except ImportError:
        return False
    return True


def transport(wanted: str | None = PREFERRED_TRANSPORT) -> str | None:
    """The scrapli transport to use for `wanted`: `ssh2` becomes `paramiko` where ssh2-python
    is not installed (an inventory written on Linux works unchanged on a Mac)."""
    return "paramiko" if wanted == "ssh2" and not ssh2_available() else wanted


# under Nornir's logger, so `-vv` writes it to --log-file (Nornir configures `nornir` only)
log = logging.getLogger("nornir.nornir_evpn.session")


def name_session(conn: Any, host: str) -> None:
    """Tag a scrapli session with its Nornir host's name, for the DEBUG log of what is sent."""
    conn.__dict__["_nornir_evpn_host"] = host


def log_sent(conn: Any, lines: Sequence[str]) -> None:
    """At DEBUG, each line typed to a device (`leaf1: > show version`). Only commands and
    config lines pass through here; a password never does (scrapli sends it in the SSH
    login, and its own logger is not written to the log file)."""
    if log.isEnabledFor(logging.DEBUG):
        who = conn.__dict__.get("_nornir_evpn_host") or f"{getattr(conn, 'host', '?')}:{getattr(conn, 'port', 22)}"
        for line in lines:
            log.debug("%s: > %s", who, line)


# what is typed ahead but unanswered always fits a terminal's input buffer (4 KiB)
BATCH_MAX_BYTES = 3072
# A device that never stops answering one line (no prompt ever comes) is cut off: reads
# that keep returning data never hit timeout_transport. A 128-leaf fabric's largest answer
# (its EVPN route table) is ~200 KB; a flood held 1.25 GB after 110 s and no host of the
# run was reported (hostile-device tester). A drip (a byte now and then) ends by time.
MAX_ANSWER_BYTES = 64 << 20
ANSWER_DEADLINE_TIMEOUTS = 10  # x timeout_transport (30 s by default): 5 minutes per answer
_PROMPT = re.compile(platform.ANY_PROMPT_PATTERN)
_PROMPT_MAX = 1024  # longest prompt searched for again once more data came in (context path)


def paste(conn: Any, lines: Sequence[str], max_lines: int,
          stop: Callable[[], bool] | None = None,
          hold: Callable[[], bool] | None = None) -> Iterator[tuple[str, str, str]]:
    """Type `lines` ahead of the device; yield (line, its echo + answer, the prompt after it)
    as prompts return.

    Once `stop()` is true the paste ends at once, typed lines unanswered (the caller sees
    fewer answers than lines): the session is then mid-answer and must be dropped, which
    on SR Linux also drops the private candidate those lines went into.
    Once `hold()` is true no further line is typed, and the paste ends when the lines typed
    already have answered (the caller sees fewer answers than lines, and the session is in
    step: a line the device refused stops a load, and the next command's answer is its own).

    At most `max_lines` lines and `BATCH_MAX_BYTES` bytes are ever unanswered (typed but
    not yet answered by a prompt), so the device's input buffer never holds more than one
    batch. The window is refilled once half of it has been answered, not when all of it has:
    the device keeps working on the rest while the next lines are on their way, instead of
    idling for a round trip per batch (20 of them for a 900-line spine).
    """
    sizes = [len(line.encode()) + 1 for line in lines]
    pending: deque[int] = deque()  # indexes of unanswered lines
    in_flight = 0
    nxt = 0
    buf = bytearray()  # appends in place: a 150 KB route table arrives in dozens of reads
    pos = 0  # start of the first unanswered segment
    deadline_s = ANSWER_DEADLINE_TIMEOUTS * float(getattr(conn, "timeout_transport", 0) or 30)
    answered_at = time.monotonic()  # when the last answer (or the first line) came
    raw = False  # a read so far held non-ASCII or a control character a terminal acts on
    while nxt < len(lines) or pending:
        if stop is not None and stop():
            return
        held = hold is not None and hold()
        if held and not pending:
            return
        if pending and (len(buf) - pos > MAX_ANSWER_BYTES or time.monotonic() - answered_at > deadline_s):
            raise DeviceError(f"the answer to `{lines[pending[0]]}` went on past "
                              + (f"{MAX_ANSWER_BYTES >> 20} MiB" if len(buf) - pos > MAX_ANSWER_BYTES
                                 else f"{deadline_s:g}s") + " without a prompt: session dropped")
        if not held and nxt < len(lines) and (
            not pending or (len(pending) <= max_lines // 2 and in_flight <= BATCH_MAX_BYTES // 2)
        ):
            first = nxt
            while nxt < len(lines) and ((nxt == first and not pending) or (
                len(pending) + nxt - first < max_lines and in_flight + sizes[nxt] <= BATCH_MAX_BYTES
            )):
                in_flight += sizes[nxt]
                nxt += 1
            log_sent(conn, lines[first:nxt])
            conn.channel.write("\n".join(lines[first:nxt]) + "\n")
            pending.extend(range(first, nxt))
        # a prompt is found where it ends: no need to rescan a long answer from its start
        scan = max(pos, len(buf) - _PROMPT_MAX)
        chunk = conn.channel.read()  # bounded by timeout_transport; raises on an ended session
        buf += chunk
        raw = raw or not plain(chunk)  # per read, not per answer: 60k one-line answers at 128 leaves
        while pending and (match := _PROMPT.search(buf, scan)):
            segment = buf[pos:match.start()].decode(errors="replace")
            if raw:  # a read had what a terminal acts on: no escape sequence passes
                segment = visible(segment)
            pos = scan = match.end()
            if not segment.strip() and lines[pending[0]].strip():
                # a prompt with no echo before it answers an earlier bare Enter (scrapli's
                # get_prompt returns on the first prompt it sees, e.g. the login banner's,
                # and the answer to its own Enter can come later): not this line's answer
                continue
            index = pending.popleft()
            in_flight -= sizes[index]
            answered_at = time.monotonic()
            yield lines[index], segment, match.group().decode(errors="replace")
        if pos > 1 << 16:  # keep the buffer to the unanswered tail
            del buf[:pos]
            pos = 0


def note_mode(conn: Any, prompt: str) -> None:
    """Tell scrapli the mode a prompt shows (pasted lines bypass its privilege tracking)."""
    in_candidate = "candidate" in prompt.partition("\n")[0]
    level = "configuration" if in_candidate else conn.default_desired_privilege_level
    conn._current_priv_level = conn.privilege_levels[level]


_OPENING: dict[tuple[str, int], Any] = {}  # (host, port) -> transport of a session in on_open
_OPENING_LOCK = threading.Lock()


def session_lock(conn: Any) -> threading.RLock:
    """The lock of one scrapli session: one exchange at a time on it. Two runs of one Nornir
    object in two threads (a service's two requests) read each other's answers without it,
    a healthy host failing its checks or a candidate taking the other run's lines."""
    lock = conn.__dict__.get("_nornir_evpn_lock")
    if lock is None:
        with _OPENING_LOCK:
            lock = conn.__dict__.setdefault("_nornir_evpn_lock", threading.RLock())
    return lock


# Nornir's Host has __slots__ and a plain dict of connections: nothing of a host can carry
# a lock or be weakly referenced. A lock per host while someone holds or waits for it, gone
# after: no two hosts share one (a slow login never holds up another host's), and a service
# building a Nornir object a minute keeps none of them
_HOST_LOCKS: dict[tuple[str, int], list[Any]] = {}  # key -> [RLock, users]
_HOST_LOCKS_GUARD = threading.Lock()


@contextlib.contextmanager
def host_lock(host: Any) -> Iterator[None]:
    """Hold the lock for opening or replacing a host's sessions: Nornir's `get_connection`
    is not thread-safe, and two runs of one Nornir object at once each opened a session (one
    left open after `close_connections`) or dropped the one the other had just opened."""
    key = (host.name, id(host.connections))
    with _HOST_LOCKS_GUARD:
        entry = _HOST_LOCKS.setdefault(key, [threading.RLock(), 0])
        entry[1] += 1
    try:
        with entry[0]:
            yield
    finally:
        with _HOST_LOCKS_GUARD:
            entry[1] -= 1
            if entry[1] == 0:
                del _HOST_LOCKS[key]


def opening_transport(host: str, port: int | None) -> Any | None:
    """The transport of a session to `host` still in its `on_open` (Nornir registers a
    connection only once it is open): a Ctrl-C must be able to cut a slow login short too."""
    with _OPENING_LOCK:
        return _OPENING.get((host, port or 22))


def cut_short(host: Any, connection: str) -> None:
    """End the reads of `host`'s session now, open or still logging in: its socket is shut
    down (`ssh2_guard.release`), so a task waiting on a slow device fails at once instead
    of holding up a Ctrl-C for the transport timeout. The session is dead afterwards."""
    from nornir_evpn import ssh2_guard

    conn = host.connections.get(connection)
    transport = (getattr(conn.connection, "transport", None) if conn is not None
                 else opening_transport(host.hostname, host.port))
    if transport is not None:
        ssh2_guard.release(transport)


def on_open(conn: Any) -> None:
    """scrapli-community's SR Linux on_open (running mode, basic CLI engine, no completion on
    space) with both `environment` commands in one round trip instead of two, their answers
    checked (a refused one fails the host: the tool relies on them), the login prompt read once
    (`login_prompt`: one the tool does not read is said as such, not as a timeout); and the socket
    gets TCP_NODELAY (scrapli leaves Nagle on: a typed-ahead refill written while the previous
    one is unacknowledged waited for the peer's delayed ACK; serial verify 54 -> 48 ms/host)."""
    from nornir_evpn import ssh2_guard

    # every SR Linux session of our inventory, a runbook's own nornir_scrapli tasks' too: its
    # timeout_ops 0 relies on the EOF check (a session the device ended spun at full CPU)
    ssh2_guard.install()
    ssh2_guard.guard(conn)  # paramiko's EOF check, before the first read that could spin
    sock = getattr(getattr(conn.transport, "socket", None), "sock", None)  # ssh2/paramiko
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    key = (conn.host, conn.port or 22)
    with _OPENING_LOCK:
        _OPENING[key] = conn.transport
    try:
        login_prompt(conn)  # and its mode
        if conn._current_priv_level.name != conn.default_desired_privilege_level:
            conn.acquire_priv(conn.default_desired_privilege_level)  # a login in another mode
        for line, answer, _ in paste(conn, list(platform.LOGIN_ENVIRONMENT), len(platform.LOGIN_ENVIRONMENT)):
            said = answer.split("\n", 1)[1] if "\n" in answer else ""  # the echo left out
            if platform.has_failure_marker(said):
                raise DeviceError(f"`{line}` at login was refused: {' '.join(said.split())} (the tool "
                                  "relies on it for this session; README, The account's CLI environment)")
    finally:
        with _OPENING_LOCK:
            if _OPENING.get(key) is conn.transport:
                del _OPENING[key]


def login_prompt(conn: Any) -> str:
    """Read the prompt the device shows once logged in (an Enter answered), and tell scrapli
    its mode. A prompt the tool does not read as SR Linux's (the account's saved CLI
    environment sets its own, `environment prompt`) fails the host in words naming it,
    once the read runs out (timeout_transport), not as a timeout of a device that answered."""
    pattern = re.compile(conn.comms_prompt_pattern.encode(), flags=re.M | re.I)  # as scrapli's
    buf = b""
    log_sent(conn, [""])
    conn.channel.send_return()
    try:
        while not (match := pattern.search(buf)):
            buf += conn.channel.read()
    except Exception as exc:
        from nornir_evpn.failures import timeout_setting

        seen = repeated_last_line(plain_text(buf))
        if not seen or timeout_setting(exc) is None:  # no line shown again: not known for a prompt
            raise
        raise DeviceError(
            f"the device's prompt {seen!r} is not SR Linux's two-line prompt the tool reads "
            f"(`{platform.prompt('<host>').replace(chr(10), '` then `').rstrip()}`): the account's saved CLI "
            "environment (`environment prompt`, ~/.srlinuxrc) sets its own? Log in as a user "
            "with SR Linux's default prompt (README, The account's CLI environment)") from None
    found = match.group().decode(errors="replace").strip()
    conn._current_priv_level = conn.privilege_levels[conn._determine_current_priv(found)[0]]
    return found


def plain_text(buf: bytes) -> str:
    return visible(buf.decode(errors="replace"))


PROMPT_LINES_MAX = 4  # lines of a prompt of the account's own that `repeated_last_line` tells


def repeated_last_line(text: str) -> str:
    """The last non-blank line of `text` when the lines ending `text` were shown just before
    too (at most 120 characters): a prompt, printed once logged in and again for the Enter
    sent (`leaf2# ` twice in a row; a prompt of up to `PROMPT_LINES_MAX` lines, both times
    whole); "" otherwise: a device that printed its banner and hangs is a timeout, not a
    prompt of its own, also when the banner's last line is one it has shown before (a frame
    of `#####` or `.....` above and below its text)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for k in range(1, min(PROMPT_LINES_MAX, len(lines) // 2) + 1):
        if lines[-k:] == lines[-2 * k:-k]:
            return lines[-1][-120:]
    return ""


def on_close(conn: Any) -> None:
    """`logout`, without first asking for the prompt when scrapli already knows the session
    is in running mode (a session in a candidate is brought back first, discarding it).
    A session the device already ended closes quietly: raising here skipped scrapli's
    transport close, and `close_connections` printed a traceback per such host (a kept
    session in a service, after a device reboot)."""
    with contextlib.suppress(Exception):
        if conn._current_priv_level.name != conn.default_desired_privilege_level:
            conn.acquire_priv(conn.default_desired_privilege_level)
        log_sent(conn, ["logout"])
        conn.channel.write(channel_input="logout")
        conn.channel.send_return()
