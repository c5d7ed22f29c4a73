"""Which signals end a command, and one way to handle them for a while.

SIGTERM (kill, a CI job cancelled, systemd stop) and SIGHUP (the operator's SSH session to
the jump host dropped) end a command the way Ctrl-C does: candidates discarded, a shut link
restored, the report still written. A signal the process ignores stays ignored: `nohup`
(SIGHUP), a background job of a non-interactive shell (SIGINT).
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterable, Iterator

TERMINATION_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
ALL_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGINT, *TERMINATION_SIGNALS)

Handler = Callable[[int, object], None]


class Terminated(KeyboardInterrupt):
    """SIGTERM/SIGHUP outside a command's own handling: it ends the command like Ctrl-C."""

    def __init__(self, signame: str) -> None:
        super().__init__(signame)
        self.signame = signame


def signame_of(exc: KeyboardInterrupt) -> str:
    """The signal a KeyboardInterrupt stands for: `Terminated`'s, else SIGINT (Ctrl-C)."""
    return getattr(exc, "signame", "SIGINT")


def terminate(signum: int, _frame: object) -> None:
    """The handler that makes SIGTERM/SIGHUP end a command like Ctrl-C (`Terminated`)."""
    raise Terminated(signal.Signals(signum).name)


def terminate_on_signals() -> dict[signal.Signals, Handler | int | None]:
    """In the main thread, SIGTERM and SIGHUP where they have their default action now raise
    `Terminated`; the handlers replaced, to put back. `nohup` (SIGHUP ignored) and a caller's
    own handler (a script calling `main`) keep theirs."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {sig: signal.signal(sig, terminate) for sig in TERMINATION_SIGNALS
            if signal.getsignal(sig) is signal.SIG_DFL}


# the signals received while the CLI starts, and the handlers `defer_start` replaced
_start: tuple[list[str], dict[signal.Signals, Handler | int | None]] | None = None


def defer_start() -> None:
    """Until `end_start`, SIGINT/SIGTERM/SIGHUP that have their default action are recorded,
    not acted on: the CLI's start-up is imports (0.3 s), and an exception raised inside an
    import leaves modules half-imported (importing them again then fails; Python 3.11 wraps
    one raised in a dataclass's `__set_name__` in a RuntimeError). In the main thread only;
    a second call before `end_start` changes nothing."""
    global _start
    if _start is not None or threading.current_thread() is not threading.main_thread():
        return
    received: list[str] = []

    def record(signum: int, _frame: object) -> None:
        received.append(signal.Signals(signum).name)

    replaced = {}
    for sig in ALL_SIGNALS:
        handler = signal.getsignal(sig)
        if handler is signal.SIG_DFL or handler is signal.default_int_handler:
            replaced[sig] = signal.signal(sig, record)
    _start = (received, replaced)


def end_start() -> tuple[str | None, dict[signal.Signals, Handler | int | None]]:
    """Start-up is over: the first signal `defer_start` recorded (None: none), and the
    handlers to put back when the command ends. From here SIGINT raises KeyboardInterrupt
    again, and SIGTERM/SIGHUP that had their default action raise `Terminated`."""
    global _start
    if _start is None:
        return None, terminate_on_signals()
    received, replaced = _start
    _start = None
    previous = {}
    for sig, handler in replaced.items():
        if sig in TERMINATION_SIGNALS and handler is signal.SIG_DFL:
            signal.signal(sig, terminate)
            previous[sig] = handler
        else:
            signal.signal(sig, handler)  # type: ignore[arg-type]
    return (received[0] if received else None), previous


def not_ignored(signals: Iterable[signal.Signals]) -> list[signal.Signals]:
    """The signals of `signals` this process does not ignore."""
    return [s for s in signals if signal.getsignal(s) is not signal.SIG_IGN]


def ignore_all() -> None:
    """In the main thread, SIGINT, SIGTERM and SIGHUP are ignored from now on: the run has
    ended and reported (a second Ctrl-C would only turn its exit code into a death by
    signal, or lose the answer being written)."""
    if threading.current_thread() is threading.main_thread():
        for sig in not_ignored(ALL_SIGNALS):
            signal.signal(sig, signal.SIG_IGN)


@contextlib.contextmanager
def handled(signals: Iterable[signal.Signals], handler: Handler | int) -> Iterator[None]:
    """While inside, `handler` handles those of `signals` not ignored; the previous handlers
    come back after (one installed outside Python, `None`, comes back as the default). In
    any thread but the main one, where Python cannot set handlers, nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, handler) for s in not_ignored(signals)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)
