"""The twin's device clock: pasted lines finish on the profile's schedule, not later."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from nornir_evpn.twin import latency
from nornir_evpn.twin.latency import Latency, Pacer


class FakeClock:
    """Virtual time: sleeps advance it exactly, `busy` advances it like another session's work."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def busy(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(latency, "asyncio", SimpleNamespace(get_running_loop=lambda: fake, sleep=fake.sleep))
    return fake


def test_a_pasted_batch_ends_when_its_delays_add_up_even_if_each_wake_up_is_late(clock: FakeClock) -> None:
    pacer = Pacer(Latency({"edit": 0.002}))
    arrived = clock.now

    async def paste() -> None:
        for _ in range(100):
            await pacer.pause("edit", arrived)
            clock.busy(0.001)  # the loop ran other sessions before this one got back
        await pacer.settle()  # the server settles before writing the answers

    asyncio.run(paste())
    # 100 lines x 2 ms = 0.2 s after the paste arrived; sleeping 2 ms per line would have
    # taken 0.3 s. Sleeps are coalesced to the server's 10 ms writes, not one per line.
    assert clock.now - arrived == pytest.approx(0.2)
    assert len(clock.slept) <= 100 * 0.002 / pacer.coalesce + 1


def test_one_line_is_answered_after_its_own_delay(clock: FakeClock) -> None:
    pacer = Pacer(Latency({"edit": 0.002}))
    start = clock.now

    async def one_line() -> None:
        await pacer.pause("edit", start)  # owes less than a write interval: no timer yet
        await pacer.settle()

    asyncio.run(one_line())
    assert clock.now - start == pytest.approx(0.002)


def test_waiting_for_input_is_not_made_up(clock: FakeClock) -> None:
    pacer = Pacer(Latency({"show": 0.05}))

    async def two_commands() -> None:
        await pacer.pause("show", clock.now)
        clock.busy(1.0)  # the client thinks for a second before the next command
        await pacer.pause("show", clock.now)

    asyncio.run(two_commands())
    assert clock.slept == [pytest.approx(0.05), pytest.approx(0.05)]


def test_kinds_without_a_delay_do_not_sleep(clock: FakeClock) -> None:
    pacer = Pacer(Latency({"commit": 1.0}))
    asyncio.run(pacer.pause("show", clock.now))
    assert clock.slept == []
    assert Latency({"commit": 1.0}, extra=0.5).delay("show") == 0.5  # a slow node's extra counts
