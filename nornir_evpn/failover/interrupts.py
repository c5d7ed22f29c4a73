"""Signals during a failover test: SIGTERM/SIGHUP raise like Ctrl-C while the fabric is
watched, and are recorded (not acted on) while the link is restored."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

from nornir_evpn.signals import ALL_SIGNALS, TERMINATION_SIGNALS, handled


class Terminated(BaseException):
    """Raised in the main thread by our SIGTERM handler (a BaseException like Ctrl-C)."""

    def __init__(self, signame: str = "SIGTERM") -> None:
        super().__init__(signame)
        self.signame = signame


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """While active, SIGTERM/SIGHUP raise `Terminated` in the main thread (SIGINT already raises)."""

    def handler(signum: int, _frame: object) -> None:
        raise Terminated(signal.Signals(signum).name)

    with handled(TERMINATION_SIGNALS, handler):
        yield


@contextlib.contextmanager
def signals_deferred(received: list[str]) -> Iterator[None]:
    """Record (not act on) SIGINT/SIGTERM/SIGHUP: the restore must run to its end."""

    def handler(signum: int, _frame: object) -> None:
        received.append(signal.Signals(signum).name)

    with handled(ALL_SIGNALS, handler):
        yield
