"""Data the checks share: results, the fault-aware view of the fabric, collected outputs.

`FabricView` answers "what should be true" from the intent and a fault set (links that are
administratively down or failed), so the same checks verify a healthy fabric and the
degraded one failover-test expects. `Observations` answers "what is true" from `show`
outputs, parsing each output once. Neither opens a connection.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from nornir_evpn.errors import ParseError
from nornir_evpn.intent import EthernetSegment, FabricIntent
from nornir_evpn.topology import normalise_srl_interface

Fault = tuple[str, str]  # (node, interface): a link end that is shut or failed
T = TypeVar("T")


@dataclass
class CheckResult:
    """One check on one host. `expected`/`observed` are JSON-able dicts keyed by item."""

    host: str
    check: str
    ok: bool
    expected: dict[str, Any]
    observed: dict[str, Any]
    detail: str
    # the `show` commands a failed check read (empty when it passed): where to look next
    commands: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.check, "ok": self.ok, "expected": self.expected,
                "observed": self.observed, "detail": self.detail, "commands": self.commands}


@dataclass(frozen=True)
class CommandFailure:
    """A command the device rejected or that could not be sent (scrapli `failed`)."""

    reason: str


Outputs = Mapping[str, "str | CommandFailure"]


class Unavailable(Exception):
    """An output a check needs is missing, failed, or unparseable; the check fails with it."""


# (command, parser) -> (length and hash of the text last parsed, its parse): the text itself
# is not kept (a 128-leaf failover-test held 40 MB of last round's route tables for it);
# ("derived", command, name) -> the same for a value `Observations.derived` drew from a text
# ("derived", ...) entries also keep the value before (`_remembered`'s `keep_earlier`):
# (length and hash, value, (length and hash, value) or None); ("part", command, part) ->
# (length and hash of the output, length and hash of part(output)): an output unchanged
# since the last poll is not cut to its part again
ParseMemo = dict[tuple[Any, ...], tuple[Any, ...]]
# parsers kept per command in a memo: a parser made anew each poll (a lambda, a partial) is a
# new key every time, and a failover-test's memo lives for the whole run
MEMO_PARSERS_PER_COMMAND = 4


@dataclass
class Observations:
    """The `show` outputs of one host, parsed lazily and once per (command, parser).

    `memo`, kept by a caller that reads the same host again (failover-test's polls), carries
    parses from one read to the next: an output identical to the last one is not parsed
    again (a fabric's mac tables, LAG and ES details mostly do not change between two polls 0.2 s
    apart, and parsing is the bulk of a poll's CPU; texts compare by length and 64-bit hash).
    Parsed values are read, never changed, by checks.
    """

    outputs: Outputs
    memo: ParseMemo | None = None
    # the names of the checks this evaluation runs (None: all): a check leaves a fact to
    # another only when that other one is run
    checks: frozenset[str] | None = None
    # check -> why it was not judged on this host although it applies (another check run
    # alongside reports the cause): said, not left as a silent "not applicable"
    not_judged: dict[str, str] = field(default_factory=dict)
    _cache: dict[tuple[str, Callable[[str], Any]], Any] = field(default_factory=dict)
    _read: list[str] | None = None  # while a check runs (`reading`): the commands it read
    _derived: dict[tuple[str, Any], Any] = field(default_factory=dict)  # this read's `derived`

    def reading(self) -> list[str]:
        """From now until the next call, the commands `get` is asked for, in order: the ones
        a check's verdict rests on (of all it may read)."""
        self._read = []
        return self._read

    def get(self, command: str, parser: Callable[[str], T]) -> T:
        if self._read is not None and command not in self._read:
            self._read.append(command)
        key = (command, parser)
        if key not in self._cache:
            self._cache[key] = self._parse_memoised(key)
        value = self._cache[key]
        if isinstance(value, Unavailable):
            # a fresh exception: the memoised one is raised again in every poll, and each
            # raise would chain that poll's frames (and its outputs) onto its traceback
            raise Unavailable(*value.args)
        return value

    def runs(self, check: str) -> bool:
        """`check` is judged in this evaluation too."""
        return self.checks is None or check in self.checks

    def problem(self, command: str) -> str | None:
        """Why `command`'s output could not be used, if it was asked for and could not."""
        for (cmd, _parser), value in self._cache.items():
            if cmd == command and isinstance(value, Unavailable):
                return str(value)
        return None

    def derived(self, command: str, name: Any, compute: Callable[[], T],
                part: Callable[[str], str] | None = None) -> T:
        """`compute()`: a value drawn from `command`'s output and the intent alone (not from
        the faults), kept in `memo` from one poll to the next while that output is unchanged
        (with `part`, while `part(output)` is: the piece the value rests on). A parse too big
        to keep (the EVPN RIB: `parse_evpn_summary.memoise`) keeps what the checks count in
        it: failover-test's polls counted a 128-leaf RIB's rows anew each round, 1 ms a leaf
        a poll. `name` tells one such value from another of that output.
        The value before the last is kept too: a failover-test's recovery polls read again
        what its pre-check read (the RIB of every leaf, judged anew after each change)."""
        if self._read is not None and command not in self._read:
            self._read.append(command)  # a verdict drawn from it rests on it (as `get` says)
        # once per read too: a check may ask in `refine` and again in `observe`
        key = (command, name)
        if key in self._derived:
            return self._derived[key]  # type: ignore[no-any-return]
        out = self.outputs.get(command)
        if self.memo is None or not isinstance(out, str):
            value = compute()
        else:
            # (several values drawn from one piece: the memo's ("part", ...) entry cuts it once)
            seen = (len(out), hash(out)) if part is None else self._part_seen(self.memo, command, part, out)
            value = self._remembered(self.memo, ("derived", command, name), seen, compute, keep_earlier=True)
        self._derived[key] = value
        return value

    @staticmethod
    def _part_seen(memo: ParseMemo, command: str, part: Callable[[str], str], out: str) -> tuple[int, int]:
        """Length and hash of `part(out)`; the last one again while `out` is unchanged (a
        steady fabric's polls: the cut costs more than the output's hash)."""
        raw = (len(out), hash(out))
        last = memo.get(("part", command, part))
        if last is not None and last[0] == raw:
            return last[1]  # type: ignore[no-any-return]
        basis = part(out)
        seen = (len(basis), hash(basis))
        memo[("part", command, part)] = (raw, seen)
        return seen

    def _parse_memoised(self, key: tuple[str, Callable[[str], Any]]) -> Any:
        command, parser = key
        out = self.outputs.get(command)
        if self.memo is None or not isinstance(out, str) or not getattr(parser, "memoise", True):
            return self._parse(command, parser)
        if key not in self.memo:
            same = [k for k in self.memo if k[0] == command]
            for stale in same[: max(0, len(same) - MEMO_PARSERS_PER_COMMAND + 1)]:
                del self.memo[stale]  # the oldest first (insertion order)
        return self._remembered(self.memo, key, (len(out), hash(out)), lambda: self._parse(command, parser))

    @staticmethod
    def _remembered(memo: ParseMemo, key: tuple[Any, ...], seen: tuple[int, int], compute: Callable[[], T],
                    keep_earlier: bool = False) -> T:
        """`memo[key]`'s value while the text it was drawn from is unchanged (`seen`: its
        length and hash), else `compute()`, kept under it: texts compare by length and hash,
        one pass over the text, far cheaper than a parse. `keep_earlier` (small values only):
        the value of the text before is kept as well, and serves when that text comes back (a
        link shut, then restored)."""
        last = memo.get(key)
        if last is not None:
            if last[0] == seen:
                return last[1]  # type: ignore[no-any-return]
            earlier = last[2]
            if earlier is not None and earlier[0] == seen:
                memo[key] = (seen, earlier[1], (last[0], last[1]))
                return earlier[1]  # type: ignore[no-any-return]
        value = compute()
        memo[key] = (seen, value, (last[0], last[1]) if keep_earlier and last is not None else None)
        return value

    def _parse(self, command: str, parser: Callable[[str], Any]) -> Any:
        out = self.outputs.get(command)
        if out is None:
            return Unavailable(f"`{command}` was not collected")
        if isinstance(out, CommandFailure):
            return Unavailable(f"`{command}` failed: {out.reason}")
        first = out.lstrip().partition("\n")[0].strip()  # not splitlines: 150 KB route tables
        if first.startswith("Error:"):
            return Unavailable(f"`{command}`: {first}")
        try:
            return parser(out)
        except ParseError as exc:
            return Unavailable(f"`{command}`: unexpected output ({exc})")


class FabricView:
    """The fabric intent under a fault set: which links, LAGs, ES and sessions should be up."""

    def __init__(self, fabric: FabricIntent, faults: Iterable[Fault] = ()) -> None:
        self.fabric = fabric
        self.faults: frozenset[Fault] = frozenset(
            (node, normalise_srl_interface(iface) or iface) if node in fabric.nodes else (node, iface)
            for node, iface in faults
        )
        # the other end of every wire the intent knows (leaf-spine links and CE attachments)
        self._peer: dict[Fault, Fault] = {}
        for n in fabric.nodes.values():
            for u in n.underlay:
                self._peer[(n.name, u.interface)] = (u.peer, u.peer_interface)
        for ce in fabric.ces.values():
            for ce_if, (leaf, leaf_if) in ce.attachments.items():
                self._peer[(ce.name, ce_if)] = (leaf, leaf_if)
                self._peer[(leaf, leaf_if)] = (ce.name, ce_if)
        self._ip_to_node = {n.system_ip: n.name for n in fabric.nodes.values()}
        # every underlay link listed at both its ends (as `inventory` writes them; a hand edit
        # may list one end only): then reachability goes both ways (`reachable`)
        self._undirected = all(self._peer.get(end) == (n.name, u.interface)
                               for n in fabric.nodes.values() for u in n.underlay
                               for end in [(u.peer, u.peer_interface)])
        # memos, filled as hosts ask (a view is shared by every host of a run; the values are
        # pure functions of the intent and the faults, so a race only computes one twice)
        self._reach: dict[str, set[str]] = {}
        self._rrs: dict[str, tuple[str, ...]] = {}
        self._es_up: dict[str, list[str]] = {}
        self._via: dict[tuple[tuple[str, ...], str], int] = {}
        self._memo: dict[Any, Any] = {}

    def memoised(self, key: Any, compute: Callable[[], T]) -> T:
        """`compute()` once per view for `key`: an expectation that is a pure function of the
        intent and the faults (failover-test's polls ask the same view again each round)."""
        try:
            return self._memo[key]  # type: ignore[no-any-return]
        except KeyError:
            value = self._memo[key] = compute()
            return value

    # --- links and LAGs -------------------------------------------------------------------
    def port_up(self, node: str, interface: str) -> bool:
        """Both ends of the wire are free of faults."""
        if (node, interface) in self.faults:
            return False
        peer = self._peer.get((node, interface))
        return peer is None or peer not in self.faults

    def lag_up(self, leaf: str, es: EthernetSegment) -> bool:
        """A LAG stays up while one member is up (min-links 1, the SR Linux default)."""
        return any(self.port_up(leaf, m) for m in es.members.get(leaf, []))

    def es_up_on(self, es: EthernetSegment) -> list[str]:
        """ES peers (leaf names, natural order) whose LAG, hence whose ES, is oper up."""
        up = self._es_up.get(es.name)
        if up is None:  # every leaf asks for every ES: 32 ES x 128 leaves at 128 leaves
            up = self._es_up[es.name] = [leaf for leaf in es.peers if self.lag_up(leaf, es)]
        return up

    # --- underlay reachability and BGP sessions ---------------------------------------------
    def reachable(self, a: str, b: str) -> bool:
        """b's system IP is reachable from a over the underlay links that are up."""
        if a == b:
            return True
        if a not in self._reach:
            seen, todo = {a}, deque([a])
            while todo:
                cur = todo.popleft()
                for u in self.fabric.nodes[cur].underlay:
                    if u.peer not in seen and self.port_up(cur, u.interface):
                        seen.add(u.peer)
                        todo.append(u.peer)
            # with links listed at both ends, up at both or at neither (port_up), every node a
            # reaches reaches the same ones: one search serves them all (one per node was 130
            # searches of the whole fabric for a 128-leaf verify)
            for node in seen if self._undirected else (a,):
                self._reach[node] = seen
        return b in self._reach[a]

    def node_of_ip(self, system_ip: str) -> str | None:
        return self._ip_to_node.get(system_ip)

    def overlay_up(self, node: str, peer_ip: str) -> bool:
        """An iBGP overlay session (loopback to loopback) is up when the underlay joins them."""
        peer = self.node_of_ip(peer_ip)
        return peer is not None and self.reachable(node, peer)

    def overlay_paths(self, receiver: str, origin: str) -> int:
        """How many overlay sessions bring `origin`'s routes to `receiver` (1 per RR in RR mode)."""
        if receiver == origin:
            return 0
        node = self.fabric.nodes[receiver]
        if not node.overlay.peers:
            return 0
        if self.fabric.overlay_mode == "full-mesh":
            return 1 if self.reachable(receiver, origin) else 0
        rrs = self._rrs.get(receiver)
        if rrs is None:  # the route reflectors this receiver has a session with
            rrs = self._rrs[receiver] = tuple(
                rr for ip in node.overlay.peers
                if (rr := self.node_of_ip(ip)) is not None and self.reachable(receiver, rr))
        paths = self._via.get((rrs, origin))
        if paths is None:  # the clients share their RRs: one count per (RRs, origin)
            paths = self._via[(rrs, origin)] = sum(1 for rr in rrs if self.reachable(rr, origin))
        return paths


_VIEWS: dict[tuple[int, frozenset[Fault]], tuple[FabricIntent, FabricView]] = {}
_VIEWS_LOCK = threading.Lock()
_VIEWS_MAX = 16


def shared_view(fabric: FabricIntent, faults: Iterable[Fault] = ()) -> FabricView:
    """One FabricView per (fabric, faults), shared by every host of a run: its reachability
    cache then fills once for the fabric instead of once per host (130 BFS walks -> 1)."""
    key = (id(fabric), frozenset(faults))
    with _VIEWS_LOCK:
        hit = _VIEWS.get(key)
        if hit is not None and hit[0] is fabric:
            return hit[1]
        if len(_VIEWS) >= _VIEWS_MAX:
            _VIEWS.pop(next(iter(_VIEWS)))
        view = FabricView(fabric, faults)
        _VIEWS[key] = (fabric, view)  # holds the fabric: its id() cannot be reused meanwhile
        return view

