"""configure's signal scope: one interrupt ends the run; none cuts its report short."""
from __future__ import annotations

import os
import signal
import time

import pytest

from nornir_evpn.commands.configure import interrupt_once

pytestmark = pytest.mark.usefixtures("signals_not_ignored")


def _signal(sig: signal.Signals) -> None:
    os.kill(os.getpid(), sig)
    time.sleep(0.05)  # the handler runs in the main thread at its next bytecode


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_the_first_signal_interrupts_and_the_next_ones_are_absorbed(sig: signal.Signals) -> None:
    before = signal.getsignal(sig)
    with interrupt_once():
        with pytest.raises(KeyboardInterrupt):
            _signal(sig)
        _signal(sig)  # an impatient second one: absorbed
        _signal(signal.SIGINT)
    assert signal.getsignal(sig) == before  # put back


def test_once_settled_no_signal_cuts_the_report_short() -> None:
    """A Ctrl-C while the sessions closed after the work lost the report of hosts that had
    committed (a review): once settled, every signal is absorbed."""
    with interrupt_once() as settle:
        settle()
        _signal(signal.SIGINT)
        _signal(signal.SIGTERM)
