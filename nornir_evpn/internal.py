"""Telling a bug in nornir_evpn from a device or network failure.

A host's task is isolated: whatever it raises, the other hosts finish. A transport, login
or device problem becomes one line (`leaf2: timeout: ...`); an exception of any other kind
(AttributeError, IndexError, ...) is a bug in this package, and one line alone made it look
like an unreachable host. Such an error prints its traceback once on stderr (and in the log)
under a line saying it is a bug, and the host's error says so:
`internal error (AttributeError: x), see the traceback above`.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback

from nornir_evpn.errors import NornirEvpnError

log = logging.getLogger("nornir.nornir_evpn.internal")

SEE_TRACEBACK = ", see the traceback above"
# the libraries a session goes through: what they raise is about the device or the network
_TRANSPORT_MODULES = ("scrapli", "nornir_scrapli", "ssh2", "paramiko", "asyncssh", "socket", "ssl")

_printed: set[tuple[str, str, str]] = set()
_lock = threading.Lock()


def is_internal(exc: BaseException) -> bool:
    """`exc` is a bug of ours, not a transport, login, device or input problem."""
    if isinstance(exc, (OSError, EOFError, TimeoutError, NornirEvpnError)):
        return False
    if not isinstance(exc, Exception):
        return False  # KeyboardInterrupt, SystemExit: handled where they are raised
    module = type(exc).__module__ or ""
    if module.split(".")[0] in _TRANSPORT_MODULES:
        return False
    # a builtin error raised inside a transport library (socket.getaddrinfo's idna codec
    # refusing a host name with an empty label: UnicodeError) is the input's, not ours
    frames = traceback.extract_tb(exc.__traceback__)
    return not any(_module_of(f.filename) in _TRANSPORT_MODULES for f in frames[-5:])


def _module_of(filename: str) -> str:
    """The top-level package a traceback frame's file belongs to (`.../scrapli/x.py` -> scrapli)."""
    parts = filename.replace("\\", "/").split("/")
    # (Debian's python and its pip install into `dist-packages`: there a ValueError raised in
    # scrapli read as a bug of ours, with a traceback)
    for root in ("site-packages", "dist-packages"):
        if root in parts[:-1]:
            return parts[parts.index(root) + 1].removesuffix(".py")
    return parts[-1].removesuffix(".py")


def internal_error(exc: BaseException, host: str | None = None) -> str | None:
    """For a bug: print its traceback once (per kind and place, whatever the number of hosts
    it hit) on stderr and to the log, and return the host's one-line error; None for any
    other failure."""
    from nornir.core.exceptions import NornirSubTaskError

    if isinstance(exc, NornirSubTaskError) and len(exc.result):
        inner = exc.result[0].exception
        return internal_error(inner, host) if inner is not None else None
    if not is_internal(exc):
        return None
    text = " ".join(str(exc).split())
    what = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    key = (type(exc).__name__, text, where)
    with _lock:
        first = key not in _printed
        _printed.add(key)
    if first:
        trace = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        headline = (f"{host + ': ' if host else ''}internal error: a bug in nornir_evpn, not a device "
                    f"or network problem (the host was left out, the others went on); please report it "
                    f"with this traceback:")
        sys.stderr.write(f"{headline}\n{trace}")
        sys.stderr.flush()
        log.error("%s\n%s", headline, trace.rstrip("\n"))
    return f"internal error ({what}){SEE_TRACEBACK}"


def in_context(reason: str, context: str) -> str:
    """`reason` followed by `context` (` while loading the candidate: nothing committed`),
    the pointer to the traceback kept last."""
    if reason.endswith(SEE_TRACEBACK):
        return f"{reason[:-len(SEE_TRACEBACK)]}{context}{SEE_TRACEBACK}"
    return f"{reason}{context}"


def reset() -> None:
    """Forget which tracebacks were printed (a long-lived process: each run says its own)."""
    with _lock:
        _printed.clear()
