"""How long the twin's control plane takes to react, per kind of event.

A change (commit, link fault, learnt MAC) becomes visible to a reader of component K only
once `delay(K)` seconds have passed, so convergence is measurable like on a real fabric:
LACP notices a dead member first, the ethernet segment and its EVPN routes follow. Delays
are absolute from the change (not chained), so keep `lacp <= es <= evpn` in a profile.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]

# Component names: the fabric model reads each from its own delayed snapshot.
LACP = "lacp"  # interface / LAG / LACP member state
BGP = "bgp"  # BGP session state
ES = "es"  # ethernet segment oper state and DF election
EVPN = "evpn"  # EVPN routes and remote MACs
MAC = "mac"  # locally learnt MACs
COMPONENTS = (LACP, BGP, ES, EVPN, MAC)


@dataclass(frozen=True)
class TimingProfile:
    name: str
    lacp: float
    bgp: float
    es: float
    evpn: float
    mac: float

    def delay(self, component: str) -> float:
        return float(getattr(self, component))

    @property
    def longest(self) -> float:
        return max(self.delay(c) for c in COMPONENTS)


PROFILES: dict[str, TimingProfile] = {
    "instant": TimingProfile("instant", 0.0, 0.0, 0.0, 0.0, 0.0),
    # tests: short but non-zero, so a failover is observable yet quick
    "fast": TimingProfile("fast", lacp=0.05, bgp=0.1, es=0.15, evpn=0.2, mac=0.05),
    # demos: in the range a containerlab fabric shows (LACP slow-timeout aside)
    "realistic": TimingProfile("realistic", lacp=1.0, bgp=1.0, es=2.0, evpn=2.5, mac=0.5),
}
PROFILES["demo"] = PROFILES["realistic"]


def get_profile(name: str) -> TimingProfile:
    """Profile by name; ValueError lists the known ones."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(f"unknown timing profile {name!r} (known: {', '.join(PROFILES)})") from None


def monotonic_clock() -> float:
    return time.monotonic()
