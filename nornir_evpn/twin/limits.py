"""The open files a twin needs (a listening socket per node, one per session), and what
the process may have."""

from __future__ import annotations

import contextlib


def open_files_needed(nodes: int) -> int:
    """Open files a twin of `nodes` nodes needs to serve a session to each at once: a
    listening socket per node, one per session, and the process's own."""
    return 2 * nodes + 64


def raise_open_files_limit(needed: int) -> None:
    """Raise this process's soft limit on open files toward `needed` (up to the hard limit):
    one listening socket per node, and one per session. macOS starts shells at 256, which a
    128-leaf topology's 257 nodes exceed before anyone connects."""
    try:
        import resource
    except ImportError:  # not POSIX
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    if soft != resource.RLIM_INFINITY and soft < want:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def open_files_note(nodes: int) -> str | None:
    """What `twin up` says when the hard limit on open files (which the twin can raise its
    own soft limit to, not past) is below what `nodes` need: sessions beyond it time out
    on the client (a 16-leaf verify at 48 lost 7 hosts, `timeout: no answer within 30s`),
    nothing on the twin's side says why."""
    try:
        import resource
    except ImportError:
        return None
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = open_files_needed(nodes)
    if hard == resource.RLIM_INFINITY or hard >= needed:
        return None
    return (f"note: open files are limited to {hard} here (ulimit -n, hard limit): the twin's {nodes} "
            f"nodes need {needed} to serve a session to each at once; sessions beyond it time out. "
            f"Raise it (`ulimit -n {needed}`) and run `twin down`, `twin up` again")
