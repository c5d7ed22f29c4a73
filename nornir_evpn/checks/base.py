"""The `Check` protocol and the generic expected-vs-observed comparison.

A check is one fact about one node. It names the commands it reads, computes what it
expects from the intent and faults (`FabricView`), extracts the same keys from parsed
output, and the comparison turns mismatches into `<host> <item> - Expected: X Actual: Y`.
"""

from __future__ import annotations

from typing import Any, ClassVar

from nornir_evpn import platform
from nornir_evpn.checks.model import CheckResult, FabricView, Observations, Unavailable
from nornir_evpn.intent import NodeIntent
from nornir_evpn.parsers.interface import parse_show_interface

ABSENT = "absent"


class Noted(str):
    """An observed value that compares as the plain string but carries a note the failure
    detail shows after it (`down (port-admin-disabled)`): the device's reason for the state,
    which the expectation cannot know and the comparison must not see."""

    note: str

    def __new__(cls, value: str, note: str) -> Noted:
        obj = super().__new__(cls, value)
        obj.note = note
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (Noted, (str(self), self.note))


class Check:
    """Base class: subclasses set `name` and implement applies/commands/expected/observe."""

    name: ClassVar[str]
    # runs even when the intent expects nothing on a node, because `refine` may find what is
    # there and should not be (BGP sessions an older intent left)
    finds_unexpected: ClassVar[bool] = False

    def applies(self, view: FabricView, node: NodeIntent) -> bool:
        return True

    def commands(self, view: FabricView, node: NodeIntent) -> list[str]:
        raise NotImplementedError

    def expected(self, view: FabricView, node: NodeIntent) -> dict[str, Any]:
        """What must be true, from intent + faults only (no device output)."""
        raise NotImplementedError

    def observe(self, view: FabricView, node: NodeIntent, obs: Observations,
                expected: dict[str, Any]) -> dict[str, Any]:
        """The same keys as `expected`, read from parsed output."""
        raise NotImplementedError

    def refine(self, view: FabricView, node: NodeIntent, obs: Observations,
               expected: dict[str, Any]) -> dict[str, Any]:
        """Expectations that depend on other observed state (e.g. RT2 = local MACs)."""
        return expected

    def run(self, view: FabricView, node: NodeIntent, obs: Observations) -> CheckResult | None:
        """Evaluate; None when the check has nothing to verify on this node."""
        if not self.applies(view, node):
            return None
        expected = self.expected(view, node)
        if not expected and not self.finds_unexpected:
            return None
        reads = obs.reading()
        try:
            expected = self.refine(view, node, obs, expected)
            if not expected:
                return None
            observed = self.observe(view, node, obs, expected)
        except Unavailable as exc:
            return CheckResult(node.name, self.name, False, expected, {}, f"{node.name} {exc}",
                               self.commands(view, node))
        bad = [k for k, v in expected.items() if observed.get(k) != v]
        read: list[str] = []  # the commands behind a failure (none named for a pass)
        if bad:
            detail = "; ".join(mismatch_items(node.name, expected, observed, bad))
            # the commands it read (a failure rests on them), not all it may read
            may_read = self.commands(view, node)
            read = [c for c in may_read if c in reads] or may_read
            # say why values are absent (command failed, unparseable output) when we know
            causes = [p for c in read if (p := obs.problem(c))]
            if causes:
                detail += " (" + "; ".join(causes) + ")"
        else:
            detail = f"{node.name} " + ", ".join(f"{k}: {_fmt(v)}" for k, v in expected.items())
        return CheckResult(node.name, self.name, not bad, expected, observed, detail, read)


def mismatch_items(host: str, expected: dict[str, Any], observed: dict[str, Any],
                   keys: list[str]) -> list[str]:
    """`<host> <item> - Expected: X Actual: Y` for each of `keys`, as a failed check's detail
    joins them (the report shows the first few of a long one: `reporting.verify`)."""
    return [
        f"{host} {k} - Expected: {_fmt(expected[k])} Actual: {_fmt(observed.get(k, ABSENT))}"
        + (f" ({note})" if (note := getattr(observed.get(k), "note", "")) else "")
        for k in keys
    ]


def observe_bridged(obs: Observations, ifname: str) -> dict[str, str]:
    """`<if>` oper state and the network-instance of `<if>.0`, from `show interface <if>`
    (a LAG of an ES or a single-homed access port); ABSENT when unreadable. An `<if>` up
    whose subinterface 0 is not (disabled by hand: the CE is off the fabric while LACP and
    the ES stay up) reads `up, <if>.0 down`, which no expectation holds."""
    try:
        st = obs.get(platform.show_interface(ifname), parse_show_interface)
    except Unavailable:
        return {ifname: ABSENT}
    sub = st.subinterfaces.get(f"{ifname}.0")
    state: str = st.oper_state
    if state == "up" and sub is not None and sub.oper_state != "up":
        state = f"up, {sub.name} {sub.oper_state}"
        if why := _reason(sub.detail):
            state = Noted(state, why)
    elif state != "up" and (why := _reason(st.detail)):
        # `lag1 is down, reason port-admin-disabled`: an operator's shut, not a cable
        state = Noted(state, why)
    return {ifname: state,
            f"{ifname}.0 network-instance": (sub.network_instance if sub else None) or ABSENT}


def _reason(detail: str) -> str:
    """`reason X` out of the rest of a `<if> is down, reason X` line ('' when none)."""
    for part in detail.split(","):
        key, _, value = part.strip().partition(" ")
        if key == "reason" and value.strip():
            return value.strip()
    return ""


def _fmt(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(str(v) for v in value) + "]"
    return str(value)
