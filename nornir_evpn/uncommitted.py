"""The hosts of a configure run whose commit has not gone out: what an interrupt may cut.

Ctrl-C or SIGTERM sets the run's cancel event; a host sees it between two batches of lines
and discards its candidate. A device that stopped answering is not between two batches: its
worker waits on one read until the transport timeout (30 s), and the interrupt with it.
Such a host has nothing to lose by having its session closed under it (closing a session
ends its private candidate), so `cut` does that at once for every host still before its
commit. A host leaves (`may_commit`) just before it sends the commit, under the same lock
`cut` holds, and only while the run is not cancelled: a commit already sent is never cut
(its answer says whether it applied), and none is sent after the cut.

    cancel = threading.Event()
    ...                                  # workers: apply_config(..., cancel=cancel)
    cancel.set(); uncommitted.cut(cancel)  # on Ctrl-C
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from nornir_evpn.session import cut_short

_LOCK = threading.Lock()
# id(cancel event) -> host name -> (host, connection name)
_RUNS: dict[int, dict[str, tuple[Any, str]]] = {}


@contextlib.contextmanager
def before_commit(cancel: threading.Event | None, host: Any, connection: str) -> Iterator[None]:
    """While inside, `host` may be cut when `cancel` is set (nested uses register it once)."""
    if cancel is None:
        yield
        return
    with _LOCK:
        hosts = _RUNS.setdefault(id(cancel), {})
        mine = host.name not in hosts
        if mine:
            hosts[host.name] = (host, connection)
    try:
        yield
    finally:
        if mine:
            _leave(cancel, host)


def _leave(cancel: threading.Event, host: Any) -> None:
    with _LOCK:
        hosts = _RUNS.get(id(cancel))
        if hosts is not None:
            hosts.pop(host.name, None)
            if not hosts:
                del _RUNS[id(cancel)]


def cancelled(cancel: threading.Event | None) -> bool:
    """The run of `cancel` (None: a run that cannot be interrupted) was interrupted."""
    return cancel is not None and cancel.is_set()


def may_commit(cancel: threading.Event | None, host: Any) -> bool:
    """`host` is about to send its commit: it can no longer be cut. False when the run was
    cancelled first (its session may already be cut): it must not commit."""
    if cancel is None:
        return True
    with _LOCK:
        hosts = _RUNS.get(id(cancel))
        if hosts is not None:
            hosts.pop(host.name, None)
        return not cancel.is_set()


def cut(cancel: threading.Event) -> list[str]:
    """Close the session of every host of `cancel`'s run still before its commit (logging in,
    reading, typing its candidate); their tasks fail at once. The names, sorted."""
    with _LOCK:
        hosts = list(_RUNS.get(id(cancel), {}).values())
        for host, connection in hosts:
            with contextlib.suppress(Exception):
                cut_short(host, connection)
    return sorted(host.name for host, _ in hosts)
