"""Signals during a failover test: SIGTERM/SIGHUP raise like Ctrl-C while the fabric is
watched, and are recorded (not acted on) while the link is restored."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

# one exception for a SIGTERM/SIGHUP everywhere: a KeyboardInterrupt carrying the signal's
# name (until 0.13 the failover code raised its own BaseException, which a `except
# KeyboardInterrupt` outside it did not catch). Importable from here, its old home.
from nornir_evpn.signals import ALL_SIGNALS, TERMINATION_SIGNALS, Terminated, handled, terminate

__all__ = ["Terminated", "signals_deferred", "sigterm_raises"]


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """While active, SIGTERM/SIGHUP raise `Terminated` (a KeyboardInterrupt with `signame`)
    in the main thread, as SIGINT raises KeyboardInterrupt."""
    with handled(TERMINATION_SIGNALS, terminate):
        yield


@contextlib.contextmanager
def signals_deferred(received: list[str]) -> Iterator[None]:
    """Record (not act on) SIGINT/SIGTERM/SIGHUP: the restore must run to its end."""

    def handler(signum: int, _frame: object) -> None:
        received.append(signal.Signals(signum).name)

    with handled(ALL_SIGNALS, handler):
        yield
