"""How a failure on a host is said: one line an operator reads, never a traceback.

`one_line(exc)`: scrapli's, ssh2's and paramiko's exceptions in words (`authentication
failed`, `connection lost`, `timeout: ...`); `host_error(host, exc)` adds what only the host
knows (its address when the name does not resolve, how long a timeout waited and which
setting says so); `task_error` says a bug of ours as one (`nornir_evpn.internal`).
"""

from __future__ import annotations

import errno
import os
import re
from typing import Any

from nornir.core.exceptions import NornirSubTaskError

from nornir_evpn import platform
from nornir_evpn.device_text import visible
from nornir_evpn.errors import NornirEvpnError
from nornir_evpn.internal import internal_error

CONNECTION = "scrapli"  # the connection plugin whose options hold the timeouts


def host_error(host: Any, exc: BaseException) -> str:
    """`one_line(exc)` for a failure on `host`, naming the address when scrapli's text does
    not (a name that does not resolve: `failed to determine socket address family`), and,
    for a timeout, how long it waited and which setting says so (`timeout: no answer within
    30s (timeout_transport in groups.yaml)`)."""
    internal = internal_error(exc, host.name)
    if internal is not None:  # a bug of ours: said as one, its traceback printed once
        return internal
    text = one_line(exc)
    if "socket address family" in text:
        return f"cannot connect: {host.hostname}:{host.port or 22}: the host name does not resolve"
    if isinstance(exc, UnicodeError) or "'idna' codec" in text:  # `leaf1..lab`, a label over 63
        return f"cannot connect: {host.hostname}: not a valid host name ({text})"
    setting = timeout_setting(exc)
    if setting is not None:
        value, where = connection_setting(host, setting)
        return f"timeout: no answer within {value:g}s ({setting} {where})"
    if text.startswith("authentication failed") and _tried_the_factory_password(host):
        # nothing set, so the documented default went out: the hint saves a hunt for where
        # the password comes from
        return (f"{text} (the password tried is SR Linux's factory default: set "
                f"${platform.DEFAULT_PASSWORD_ENV} to the device's)")
    if any(getattr(c, "errno", None) == errno.EMFILE for c in _chain(exc)):
        # this process's limit, not the host's fault: a session per host stays open all run
        return f"{text} (this process's open files limit, `ulimit -n`: a session per host stays open; raise it)"
    return text


def _tried_the_factory_password(host: Any) -> bool:
    """`host` logged in with containerlab's SR Linux default because nothing else was set
    (an operator's own choice of it, in the environment, is not second-guessed)."""
    if os.environ.get(platform.DEFAULT_PASSWORD_ENV):
        return False
    try:
        return host.password == platform.LAB_DEFAULT_PASSWORD
    except AttributeError:
        return False


# `<line typed>: Error: No authorization to execute command: '<what the device refused>'`
_REFUSED = re.compile(r"(?P<line>.+?): (?P<said>Error: " + re.escape(platform.NO_AUTHORIZATION) + r": '(?P<what>.*)')$")


def not_authorized(error: str, needs: str) -> str:
    """A device's refusal for the user's role (`platform.not_authorized`), said as one: the
    device's words (the line typed once, where the device quotes it itself) and `needs`, the
    privilege the command takes. Any other error is returned as it is."""
    if not platform.not_authorized(error):
        return error
    m = _REFUSED.match(error)
    said = m.group("said") if m is not None and m.group("what") == m.group("line") else error
    return f"not authorized: {said} ({needs})"


def task_error(host: str, exc: BaseException) -> str:
    """One line for an exception a task let out (Nornir kept it in `Result.exception`): a
    bug of ours said as one (`internal error (...)`, traceback printed once), else `one_line`."""
    return internal_error(exc, host) or one_line(exc)


# scrapli's own defaults, for a setting the inventory does not set
_SCRAPLI_DEFAULTS = {"timeout_socket": 15.0, "timeout_transport": 30.0, "timeout_ops": 30.0}


def timeout_setting(exc: BaseException) -> str | None:
    """The scrapli timeout that ran out behind `exc` (None: not a timeout): the TCP connect
    (`timeout_socket`), scrapli's per-operation timer (`timeout_ops`), else a read of the
    transport (`timeout_transport`: ssh2's `Timeout`, paramiko's `socket.timeout`)."""
    if isinstance(exc, NornirSubTaskError):
        inner = exc.result[0].exception if len(exc.result) else None
        return timeout_setting(inner) if inner is not None else None
    if isinstance(exc, NornirEvpnError):
        return None
    seen: BaseException | None = exc
    while seen is not None:
        if "trying to open socket" in str(seen):  # scrapli's socket connect ran out
            if any(isinstance(c, TimeoutError) for c in _chain(seen)):
                return "timeout_socket"
            return None
        seen = seen.__cause__
    if any(c.__name__ == "ScrapliTimeout" for c in type(exc).__mro__):
        return "timeout_transport" if "during read" in str(exc) else "timeout_ops"
    if any(type(c).__name__ == "Timeout" or isinstance(c, TimeoutError) for c in _chain(exc)):
        return "timeout_transport"
    return None


def _chain(exc: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and cur not in out:
        out.append(cur)
        cur = cur.__cause__
    return out


def connection_setting(host: Any, key: str) -> tuple[float, str]:
    """`key`'s value in `host`'s scrapli extras as Nornir resolves them, and where it is set:
    `in hosts.yaml`, `in groups.yaml`, `in defaults.yaml`, or scrapli's default."""
    levels: list[tuple[str, Any]] = []

    def walk(element: Any, where: str) -> None:
        levels.append((where, (getattr(element, "connection_options", None) or {}).get(CONNECTION)))
        for group in getattr(element, "groups", None) or ():
            walk(group, "groups.yaml")

    walk(host, "hosts.yaml")
    levels.append(("defaults.yaml", (getattr(getattr(host, "defaults", None), "connection_options", None)
                                     or {}).get(CONNECTION)))
    # Nornir takes `extras` whole from the first level that has any
    extras = next((opts.extras for _, opts in levels if opts is not None and opts.extras is not None), None) or {}
    if extras.get(key) is None:
        return _SCRAPLI_DEFAULTS[key], "not set: scrapli's default"
    value = extras[key]
    # the most general level holding the value in force (a host's copy of its group's
    # extras, made to leave out an RSA key, is still the group's setting)
    where = [w for w, opts in levels if opts is not None and (opts.extras or {}).get(key) == value][-1]
    return float(value), f"in {where}"


LOST = "connection lost"  # a session the device or the network ended
# scrapli's exception names are not words an operator reads; these are
_SCRAPLI_REASONS = {
    "ScrapliAuthenticationFailed": "authentication failed",
    "ScrapliConnectionNotOpened": "cannot connect",
    "ScrapliTimeout": "timeout",
    "ScrapliConnectionError": LOST,
    # ssh2-python's own, raised from a session the device or the network ended
    "SocketRecvError": LOST,
    "SocketSendError": LOST,
    "SocketDisconnectError": LOST,
    # a session dropped (by the device, or by another run of the same Nornir object after
    # its own read failed) while this run waited to use it
    "ChannelClosedError": LOST,
    "ChannelEOFSentError": LOST,
    # ssh2-python's blocking read gives up after timeout_transport with an empty message
    "Timeout": "timeout",
}


# what kind of failure a one-line reason says, by the words it starts with (one_line and
# host_error put them first): a login refused is not an unreachable host, nor is a slow device
_KINDS = (("timeout", "timeout"), ("authentication failed", "authentication failed"),
          ("cannot connect", "unreachable"), (LOST, LOST))


def failure_kind(reason: str) -> str:
    """`timeout`, `authentication failed`, `unreachable`, `connection lost`, else `error`, for
    a reason `host_error` gave."""
    return next((kind for start, kind in _KINDS if reason.startswith(start)), "error")


def one_line(exc: BaseException) -> str:
    """A one-line reason for a failure, without traceback."""
    if isinstance(exc, NornirSubTaskError):
        inner = exc.result[0].exception if len(exc.result) else None
        if inner is not None:
            return one_line(inner)
    text = " ".join(visible(str(exc)).split())  # an exception may quote a device's answer
    if isinstance(exc, NornirEvpnError):
        return text
    # scrapli's ssh2 transport reports a read that hit timeout_transport as "EOF"; the
    # cause says what really happened
    cause = exc.__cause__
    while cause is not None:
        if type(cause).__name__ == "Timeout" or isinstance(cause, TimeoutError):  # ssh2 / paramiko
            return "timeout: the device did not answer in time"
        cause = cause.__cause__
    # scrapli's words for a session that never came up; and a reset the TCP connect itself
    # saw (scrapli lets it out as it is): the host took the connection and dropped it at once
    if "do you need to call 'open()'" in text or isinstance(exc, ConnectionResetError):
        return "cannot connect: the connection closed before the SSH login (an SSH server there?)"
    name = type(exc).__name__
    reason = next((r for cls, r in _SCRAPLI_REASONS.items()
                   if any(k.__name__ == cls for k in type(exc).__mro__)), name)
    if text.lower().startswith(reason):
        return text
    if not text and reason == "timeout":
        return "timeout: the device did not answer in time"
    return f"{reason}: {text}" if text else reason
