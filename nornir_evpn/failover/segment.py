"""Which ethernet segment, links and CEs a failover test touches (from the intent, and
what the pre-check saw of them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from nornir_evpn.errors import UserInputError
from nornir_evpn.failover.model import CheckOutcome
from nornir_evpn.intent import CeIntent, EthernetSegment, FabricIntent, natural_key
from nornir_evpn.polling import CONNECT_CHECK, CheckKey


def segment_for(fabric: FabricIntent, host: str, interface: str) -> EthernetSegment:
    """The ES `interface` of `host` belongs to; UserInputError (exit 2) otherwise."""
    if host in fabric.ces:
        leaves = sorted({leaf for leaf, _ in fabric.ces[host].attachments.values()}, key=natural_key)
        raise UserInputError(f"--host: {host!r} is a CE; failover-test shuts a leaf's link to it "
                             f"(--host {' or '.join(leaves)})")
    if host not in fabric.nodes:
        raise UserInputError(f"--host: unknown host {host!r} (not in the inventory)")
    es = fabric.segment_of(host, interface)
    if es is None:
        own = sorted((i for s in fabric.ethernet_segments.values() for i in s.members.get(host, [])),
                     key=natural_key)
        if own:
            shown = ", ".join(own[:8]) + (f" and {len(own) - 8} more" if len(own) > 8 else "")
            hint = f"{host}'s members: {shown}"
        else:
            leaves = sorted({leaf for s in fabric.ethernet_segments.values() for leaf in s.members},
                            key=natural_key)
            hint = (f"{host} serves no ethernet segment; leaves that do: "
                    + (", ".join(leaves[:8]) + (f" and {len(leaves) - 8} more" if len(leaves) > 8 else "")
                       if leaves else "none"))
        ce = next((name for name, c in _ces_by_name(fabric) if (host, interface) in c.attachments.values()), None)
        link = f": it is {ce}'s single-homed link" if ce is not None else ""
        raise UserInputError(
            f"--interface: {host} {interface} is not a member of an ethernet segment{link} ({hint})"
        )
    return es


def _ces_by_name(fabric: FabricIntent) -> list[tuple[str, CeIntent]]:
    """The CEs in natural name order, as every host list: the report's per-target rows read
    shce7 before shce10 (a plain sort put shce10 first)."""
    return sorted(fabric.ces.items(), key=lambda kv: natural_key(kv[0]))


def other_ce_ips(fabric: FabricIntent, ce: str) -> list[str]:
    """The IPv4 addresses of every CE but `ce`: pinging them teaches the fabric both ends'
    MACs (`ping` is IPv4; a CE's IPv6 address would fail every ping, fabric or not)."""
    return [ip for name, other in _ces_by_name(fabric) if name != ce for ip in other.ips if ":" not in ip]


def ce_of_ip(fabric: FabricIntent) -> dict[str, str]:
    """{CE address: CE name}: the probe's targets named in the report."""
    return {ip: name for name, ce in _ces_by_name(fabric) for ip in ce.ips}


def ces_failing_before(fabric: FabricIntent, failed: Mapping[CheckKey, CheckOutcome]) -> set[str]:
    """CEs the pre-check's failed expectations name: an item that did not match, on a leaf
    the CE is wired to, with the CE's port there (`ethernet-1/3`, `ethernet-1/3.0`, not
    `ethernet-1/30`) or one of its MACs. Read from the items (the checks' keys), not from
    the failures' wording."""
    out: set[str] = set()
    for name, ce in fabric.ces.items():
        macs = {m.lower() for m in ce.macs}
        for leaf, port in ce.attachments.values():
            for (_check, host), outcome in failed.items():
                if host != leaf or outcome.ok:
                    continue
                tokens = {t for item in outcome.failing for t in item.lower().split()}
                if macs & tokens or any(t == port or t.startswith(port + ".") for t in tokens):
                    out.add(name)
    return out


def probe_targets(fabric: FabricIntent, es: EthernetSegment) -> list[str]:
    """IPs of every other CE: traffic from the multi-homed CE crosses the ES links."""
    return other_ce_ips(fabric, es.ce)


def warm_up_traffic(runner: Callable[[str, int, float], str], targets: list[str]) -> Callable[[], None]:
    """One short ping to each target: enough for every leaf to learn both ends' MACs."""

    def run() -> None:
        for ip in targets:
            runner(ip, 2, 0.05)

    return run


def _failing(precheck: Mapping[CheckKey, CheckOutcome], check: str, leaf: str) -> tuple[str, ...]:
    """The items `check` found not matching on `leaf` at the pre-check (none when it was not run)."""
    outcome = precheck.get((check, leaf))
    return outcome.failing if outcome is not None else ()


def _out_of_sync(precheck: Mapping[CheckKey, CheckOutcome], es: EthernetSegment, leaf: str, interface: str) -> bool:
    """The pre-check saw `interface`, `es`'s member on `leaf`, not in sync: down, or up
    without LACP bundling it (its `lacp.members_in_sync` item `lag1 ethernet-1/1`)."""
    return f"{es.lag} {interface}" in _failing(precheck, "lacp.members_in_sync", leaf)


def links_left(es: EthernetSegment, shut: tuple[str, str],
               precheck: Mapping[CheckKey, CheckOutcome],
               polled: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """The ES's links, other than `shut`, that the pre-check saw working: not on a leaf it
    did not poll (`polled`: left out by --hosts/--role) or could not read, not with the LAG
    or ES down on their leaf or the member out of sync. Without one, shutting `shut` may cut
    the CE off (what failover-test must not do without a word)."""
    left = []
    for leaf, interfaces in es.members.items():
        if polled is not None and leaf not in polled:
            continue
        if any(not o.ok for (c, h), o in precheck.items() if h == leaf and c in (CONNECT_CHECK, "collect")):
            continue
        if es.lag in _failing(precheck, "lag.up", leaf) or \
                f"{es.name} oper-state" in _failing(precheck, "es.oper_up", leaf):
            continue
        left += [(leaf, i) for i in interfaces if (leaf, i) != shut and not _out_of_sync(precheck, es, leaf, i)]
    return left


def members_down_before(fabric: FabricIntent, precheck: Mapping[CheckKey, CheckOutcome]) -> set[tuple[str, str]]:
    """ES member ports the pre-check saw not in sync (down, or up without LACP bundling them):
    a LAG counts neither. With --force they are part of the fault the test predicts from: a
    shut of the one member left in sync takes the LAG, and its ES, down, which the shut port
    alone does not predict (`lag.up` up, the degraded state "reached" at the first poll).
    Read from the items (`lag2 ethernet-1/3`), not from the failures' wording."""
    return {(leaf, i) for es in fabric.ethernet_segments.values() for leaf, interfaces in es.members.items()
            for i in interfaces if _out_of_sync(precheck, es, leaf, i)}
