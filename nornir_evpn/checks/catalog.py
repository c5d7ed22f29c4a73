"""The check catalog and the three calls verify and failover-test build on.

    cmds = commands_for(fabric, "leaf3", faults=faults)          # what to send (one batch)
    results = evaluate(fabric, "leaf3", outputs, faults=faults)  # outputs: {command: text}
    expected_state(fabric, "leaf3", faults)                      # {check: {item: value}}

`faults` is a set of (node, interface) link ends that are shut or failed; expectations
follow it (a LAG with no member up is down, its ES is down, the leaf withdraws RT1/RT4,
the other ES peer becomes DF). All of it is pure: no SSH, cheap enough to poll.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nornir_evpn.checks.access import AccessUp
from nornir_evpn.checks.base import Check
from nornir_evpn.checks.bgp import OverlayEstablished, UnderlayEstablished
from nornir_evpn.checks.evpn import EvpnAdvertised, EvpnReceived, VxlanVni
from nornir_evpn.checks.mac import MacEsiRemote, MacLocal
from nornir_evpn.checks.model import CheckResult, Fault, Observations, Outputs, shared_view
from nornir_evpn.checks.multihoming import EsConfig, EsDf, EsOperUp, LacpMembersInSync, LagUp
from nornir_evpn.errors import UserInputError
from nornir_evpn.intent import FabricIntent


def _catalog(*checks: Check) -> dict[str, Check]:
    """Name -> check; a name given twice (a check copied, its `name` left) is a bug: the
    later one silently stood in for the first."""
    out: dict[str, Check] = {}
    for check in checks:
        if check.name in out:
            raise RuntimeError(f"two checks named {check.name!r}: {type(out[check.name]).__name__}, "
                               f"{type(check).__name__}")
        out[check.name] = check
    return out


CATALOG: dict[str, Check] = _catalog(
    LagUp(), LacpMembersInSync(), EsOperUp(), EsConfig(), EsDf(), AccessUp(),
    UnderlayEstablished(), OverlayEstablished(),
    EvpnAdvertised(), EvpnReceived(), VxlanVni(),
    MacEsiRemote(), MacLocal(),
)
CHECK_NAMES: list[str] = list(CATALOG)


def resolve_checks(names: Iterable[str] | None = None) -> list[Check]:
    """Checks by name in catalog order (all when None); unknown names are a user error."""
    if names is None:
        return list(CATALOG.values())
    wanted = [n.strip() for n in names if n.strip()]
    if not wanted:
        raise UserInputError(f"no check selected; known checks: {', '.join(CHECK_NAMES)}")
    unknown = [n for n in wanted if n not in CATALOG]
    if unknown:
        raise UserInputError(f"unknown check {unknown[0]!r}; known checks: {', '.join(CHECK_NAMES)}")
    return [c for name, c in CATALOG.items() if name in wanted]


def _node(fabric: FabricIntent, node: str):
    try:
        return fabric.nodes[node]
    except KeyError:
        raise UserInputError(f"{node!r} is not an SR Linux node of fabric {fabric.name!r}") from None


def commands_for(
    fabric: FabricIntent, node: str, checks: Iterable[str] | None = None,
    faults: Iterable[Fault] = (),
) -> list[str]:
    """The `show` commands the checks need on `node`, deduplicated, in a stable order."""
    view, n = shared_view(fabric, faults), _node(fabric, node)
    out: list[str] = []
    for check in resolve_checks(checks):
        if check.applies(view, n):
            out.extend(c for c in check.commands(view, n) if c not in out)
    return out


def expected_state(
    fabric: FabricIntent, node: str, faults: Iterable[Fault] = (),
    checks: Iterable[str] | None = None,
) -> dict[str, dict[str, object]]:
    """{check: {item: expected value}} for `node` under `faults` (applicable checks only)."""
    view, n = shared_view(fabric, faults), _node(fabric, node)
    out: dict[str, dict[str, object]] = {}
    for check in resolve_checks(checks):
        if check.applies(view, n):
            exp = check.expected(view, n)
            if exp:
                out[check.name] = exp
    return out


def applicable(
    fabric: FabricIntent, node: str, checks: Iterable[str] | None = None,
) -> list[str]:
    """The checks that have something to verify on `node` (no device output needed)."""
    view, n = shared_view(fabric), _node(fabric, node)
    return [c.name for c in resolve_checks(checks)
            if c.applies(view, n) and (c.finds_unexpected or c.expected(view, n))]


def evaluate(
    fabric: FabricIntent, node: str, outputs: Outputs, faults: Iterable[Fault] = (),
    checks: Iterable[str] | None = None,
) -> list[CheckResult]:
    """Run the checks on collected outputs ({command: text or CommandFailure})."""
    return evaluate_host(fabric, node, outputs, faults, checks).results


@dataclass
class Evaluation:
    """One host's checks: their results, and the checks that apply but were not judged,
    with why (`Observations.not_judged`)."""

    results: list[CheckResult]
    not_judged: dict[str, str]


def evaluate_host(
    fabric: FabricIntent, node: str, outputs: Outputs, faults: Iterable[Fault] = (),
    checks: Iterable[str] | None = None,
) -> Evaluation:
    """`evaluate`, and what it could not judge."""
    view, n = shared_view(fabric, faults), _node(fabric, node)
    selected = resolve_checks(checks)
    obs = Observations(outputs, checks=frozenset(c.name for c in selected))
    results = []
    for check in selected:
        r = check.run(view, n, obs)
        if r is not None:
            results.append(r)
    return Evaluation(results, dict(obs.not_judged))
