"""What a failover test takes and gives: its options, fault sets, the outcome of one
expectation, the timeline and the report (`reporting/failover.py` renders it)."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nornir_evpn.failover_state import state_file_path
from nornir_evpn.polling import CONNECT_CHECK, CheckKey, PollOutcome
from nornir_evpn.traffic import TrafficStats

Port = tuple[str, str]  # (node, interface)
Faults = frozenset[Port]
NO_FAULTS: Faults = frozenset()


@dataclass(frozen=True)
class CheckOutcome:
    ok: bool
    detail: str = ""
    expected: Any = None  # what the intent predicts under the fault set (None: unknown)
    failing: tuple[str, ...] = ()  # the items that did not match (`lag1`, `lag1 ethernet-1/1`)
    observed: Any = None  # what was observed, kept for a failed outcome (its items' details)


def last_details(outcome: PollOutcome, seen: Mapping[CheckKey, CheckOutcome]) -> dict[CheckKey, str]:
    """What the last poll saw (`seen`) of each expectation a phase ended with failing, where
    it said something: `never held` and `not recovered` name it (the link is restored by
    then, so a `verify` afterwards cannot tell)."""
    return {key: seen[key].detail for key in outcome.failing if key in seen and seen[key].detail}


# faults -> {(check, host): outcome}; the verify adapter is failover.evaluator
Evaluator = Callable[[Faults], Mapping[CheckKey, CheckOutcome]]

# checks that only pass once CE traffic taught the fabric its MACs (RT2 counts follow them);
# not evpn.received: RT1/RT3/RT4 come from configuration, and a pre-check failing on it
# alone waited out a 10 s warm-up of pings that could not mend it
TRAFFIC_DEPENDENT = ("mac.", "evpn.advertised")
# checks a fabric passes again after a change only once the CE sends: a leaf whose link went
# down flushed the CE's MAC and learns it back from the CE's next frame only, and an ES peer
# that merely synced it does not advertise it (RFC 7432), so it may leave the fabric. Without
# CE traffic they are left out of the degraded and recovery targets. evpn.received (RT1/RT3/
# RT4) and evpn.advertised (its RT2 count is the leaf's own MAC table) hold either way.
RELEARNT_FROM_TRAFFIC = ("mac.",)
NOT_JUDGED_WITHOUT_TRAFFIC = ("without CE traffic, MAC checks are not judged after the shut: "
                              "a fabric re-learns MACs only from traffic")


def relearnt_from_traffic(keys: Iterable[CheckKey]) -> list[str]:
    """The checks among `keys` that only CE traffic makes hold again after a change."""
    return sorted({c for c, _h in keys if c.startswith(RELEARNT_FROM_TRAFFIC)})



@dataclass
class FailoverOptions:
    """What `run_failover` tests. `traffic=False` runs it without CE traffic (the CLI's
    `--no-traffic`): a `probe` and `warm_up` given with it are not used, and the MAC checks
    are not judged after the shut. The probe's batch and interval are `TrafficProbe`'s."""

    host: str = "leaf1"
    interface: str = "ethernet-1/1"
    interval: float = 0.5
    timeout: float = 60.0
    traffic: bool = True
    force: bool = False
    state_file: Path = field(default_factory=state_file_path)


@dataclass
class TimelineEvent:
    t: float  # seconds since the shut; before it (warm-up, precheck), since the test started
    event: str  # precheck | shut | degraded | converged | restore | recovered | timeout | ...
    host: str | None = None
    check: str | None = None
    detail: str = ""


# a time the polls could only place within a window wider than this is said to be coarse
COARSE_FLOOR_S = 1.0


@dataclass
class FailoverReport:
    host: str
    interface: str
    segment: str | None
    ok: bool = False
    refused: bool = False
    # {check, host, detail}; with --force, `left_out`: the items left out of the targets
    # (their check's other items judged), None for the whole expectation (no items named)
    precheck_failures: list[dict[str, Any]] = field(default_factory=list)
    shut_error: str | None = None
    # the shut committed nothing (the interface was already admin-state disable): nothing
    # was measured and nothing restored, the interface is left as it was found
    already_disabled: bool = False
    # probe targets of CEs the pre-check found broken (--force): not judged by the traffic verdict
    traffic_left_out: list[str] = field(default_factory=list)
    degraded: PollOutcome | None = None
    restore_attempted: bool = False
    restore_ok: bool | None = None
    restore_error: str | None = None
    recovery: PollOutcome | None = None
    timeline: list[TimelineEvent] = field(default_factory=list)
    traffic: TrafficStats | None = None
    interrupted: str | None = None  # SIGINT / SIGTERM
    # where the run was when the signal came: shut | convergence | restore | recovery | traffic
    interrupted_phase: str | None = None
    error: str | None = None
    state_file: str | None = None
    # hosts a poll after the shut could not reach or read: host -> the last reason
    unreachable: dict[str, str] = field(default_factory=dict)
    # how long the device took to commit the shut / the restore (~1 s on SR Linux). The
    # convergence and recovery times count from each commit's end, when the link changed:
    # the commit's own validation is not fabric convergence
    shut_commit_s: float | None = None
    restore_commit_s: float | None = None
    # what the last poll saw of each expectation still failing at the end of its phase
    # ("<host> <item> - Expected: ... Actual: ..."): verify cannot tell later, the link is back.
    # One dict per phase: an expectation failing at the end of both (a --timeout shorter than
    # the fabric's timers) is a different expectation in each (es.oper_up down, then up), and
    # one dict gave "never held" the recovery's Expected/Actual
    failing_details: dict[CheckKey, str] = field(default_factory=dict)  # the degraded phase's
    recovery_failing_details: dict[CheckKey, str] = field(default_factory=dict)
    # checks left out of both targets because no CE traffic ran (RELEARNT_FROM_TRAFFIC)
    not_judged: list[str] = field(default_factory=list)

    @property
    def convergence_s(self) -> float | None:
        return self.degraded.converged_s if self.degraded else None

    @property
    def recovery_s(self) -> float | None:
        return self.recovery.converged_s if self.recovery else None

    @property
    def traffic_failures(self) -> list[str]:
        """One line per probe target that never answered during the whole test. Some loss
        while the link is down is normal for all-active multi-homing; none at all is not.
        Targets of CEs already broken before the test (--force) are left out, like the
        pre-check failures that name them. An interrupted run judges no traffic: a target
        pinged only inside the loss window, never re-checked after recovery, proves nothing."""
        if self.traffic is None or self.interrupted:
            return []
        stats = self.traffic
        return [
            *(f"traffic: {stats.label(t)} never answered "
              f"({stats.per_target[t]['lost']}/{stats.per_target[t]['sent']} lost)"
              for t in stats.never_answered() if t not in self.traffic_left_out),
            *(f"traffic: {stats.label(t)} not measured ({stats.error_for(t) or 'no ping ran'})"
              for t in stats.not_measured() if t not in self.traffic_left_out),
        ]

    def never_read(self) -> set[str]:
        """Hosts --force left out because the pre-check could not read them, and no poll read
        since: none of their expectations was judged, so they held no time back."""
        if self.refused:
            return set()
        came_back = {ev.host for ev in self.timeline if ev.event == "reachable"}
        return {f["host"] for f in self.precheck_failures if f["check"] == CONNECT_CHECK} - came_back

    def unread_hosts(self, phase: str) -> list[str]:
        """Hosts no poll could read for part of a phase ("convergence": from the shut to the
        degraded state, "recovery": from the restore to health): the phase's time is then when
        they could be read again, an upper bound of the fabric's own time. Not a host --force
        left out and no poll read from the pre-check to the phase's end: none of its
        expectations was waited for in it (one read again only in the recovery held the
        convergence time no more than one never read again: `never_read`)."""
        if phase == "convergence":
            start: float | None = 0.0
            length = self.convergence_s
        else:
            start = next((ev.t for ev in self.timeline if ev.event == "restore"), None)
            length = self.recovery_s
        if start is None or length is None:
            return []
        # the events before the shut (the pre-check's) are timed on the clock of the test's
        # start, not the shut's (TimelineEvent.t): read in their order, they say who was
        # unread when the shut went out. Sorted with the rest, a pre-check's `unreachable`
        # at 1.2 s fell after a convergence of 0.9 s, so a host read again at 0.5 s was no
        # upper bound, and the time was one (flaky: the order depended on the clocks)
        shut = next((i for i, ev in enumerate(self.timeline) if ev.event == "shut"), 0)
        down: set[str] = set()
        for ev in self.timeline[:shut]:
            if ev.event == "unreachable" and ev.host:
                down.add(ev.host)
            elif ev.event == "reachable" and ev.host:
                down.discard(ev.host)
        unread_throughout = set(down) if not self.refused else set()
        out: set[str] = set()
        # the phase's last poll says who it read just before the phase's end is taken; both
        # times are rounded to the ms on the timeline (a host read again by that poll, taken
        # for one read after the phase, would be one never read in it)
        end = start + length + 0.001
        for ev in sorted(self.timeline[shut:], key=lambda e: e.t):
            if ev.t > end:
                break
            if ev.event == "unreachable" and ev.host:
                down.add(ev.host)
                if ev.t >= start:
                    out.add(ev.host)
            elif ev.event == "reachable" and ev.host:
                if ev.t >= start and ev.host in down:
                    out.add(ev.host)  # down when the phase began
                down.discard(ev.host)
                unread_throughout.discard(ev.host)
        return sorted((out | down) - unread_throughout)

    def coarse(self, phase: str) -> tuple[float, float, float] | None:
        """(after, slowest poll, interval) when the polls that timed a phase took longer than
        the interval asked for and left the time uncertain by more than COARSE_FLOOR_S, else
        None. All hosts are read in one poll: a host slow to answer (a stalled VPN, a busy
        management plane) held every expectation's time back to the end of its poll, so the
        time measured is only known to be after `after` (the start of the poll that last saw
        the state not holding). Polls within the interval time it as finely as asked; a
        window under the floor is not worth a caveat (`--interval 0.2` on 16 leaves: polls of
        0.41 s, a 0.82 s window, marked where the default interval's 0.91 s one was not)."""
        outcome = self.degraded if phase == "convergence" else self.recovery
        if outcome is None or not outcome.reached or outcome.converged_after_s is None \
                or outcome.converged_s is None or outcome.slowest_poll_s <= outcome.interval \
                or outcome.converged_s - outcome.converged_after_s <= COARSE_FLOOR_S:
            return None
        return outcome.converged_after_s, outcome.slowest_poll_s, outcome.interval

    def commit_bound(self, phase: str) -> float | None:
        """The phase's time counted from when its commit was *sent*, when that commit took
        longer than the time measured after its end (None otherwise). The link changed at some
        instant inside the commit's round trip: an answer held up on the way back (a stalled
        WAN or VPN link, a slow management plane) moved the end, the count's start, past the
        fabric's own convergence (a 6.8 s commit answer and "convergence 0.211s" for a fabric
        that took 2.5 s). Measured from the send, the time is an upper bound again."""
        measured, commit = ((self.convergence_s, self.shut_commit_s) if phase == "convergence"
                            else (self.recovery_s, self.restore_commit_s))
        if measured is None or commit is None or commit <= measured:
            return None
        return round(measured + commit, 3)

    def checks_times(self) -> dict[str, dict[str, dict[str, float | None]]]:
        """{check: {host: {"degraded_s", "recovered_s"}}}: when each expectation held for good,
        i.e. first held, or held again after its last break (an expectation that broke and held
        again is the one that set the phase's time; its first hold is on the timeline)."""
        out: dict[str, dict[str, dict[str, float | None]]] = {}
        # --force: an expectation left out whole was never judged (it "held" at the first poll
        # of each phase, as far as the polls were concerned): no time, not a time of 0.01 s
        whole = {(f["check"], f["host"]) for f in self.precheck_failures if not f.get("left_out")}
        for phase, outcome in (("degraded_s", self.degraded), ("recovered_s", self.recovery)):
            if outcome is None:
                continue
            settled = dict(outcome.first_held)
            for key, t, holds in outcome.changes:  # in time order: the last one wins
                if holds:
                    settled[key] = t
                else:
                    settled.pop(key, None)  # broke and never held again: not settled
            for (check, host), t in settled.items():
                if (check, host) in whole:
                    continue
                slot = out.setdefault(check, {}).setdefault(host, {"degraded_s": None, "recovered_s": None})
                slot[phase] = round(t, 3)
        return out

    def host_errors(self, hosts: Iterable[str]) -> dict[str, str | None]:
        """Per host, what failed on it (None: nothing): the shut or restore of the tested
        link, the host lost to the polls, or the checks that did not hold (the phase that
        timed out, or the pre-check that refused the run)."""
        failing: dict[str, list[str]] = {}
        for phase in (self.degraded, self.recovery):
            if phase is not None and not phase.reached:
                for check, host in phase.failing:
                    failing.setdefault(host, []).append(check)
        for f in self.precheck_failures if self.refused else []:
            failing.setdefault(f["host"], []).append(f["check"])
        out: dict[str, str | None] = {}
        for h in hosts:
            error = None
            if h == self.host and self.restore_attempted and not self.restore_ok:
                error = f"restore failed: {self.restore_error}"
            elif h == self.host and self.shut_error:
                error = f"shut failed: {self.shut_error}"
            elif h == self.host and self.already_disabled:
                error = self.error
            elif CONNECT_CHECK in failing.get(h, []) and h in self.unreachable:
                error = self.unreachable[h]
            elif failing.get(h):
                error = "checks not holding: " + ", ".join(sorted(set(failing[h])))
            out[h] = error
        return out

    def interrupted_line(self) -> str:
        """`interrupted (SIGINT) during convergence`, or "" when the run was not."""
        if not self.interrupted:
            return ""
        return f"interrupted ({self.interrupted})" + (
            f" during {self.interrupted_phase}" if self.interrupted_phase else "")

    def note_interrupt(self, signame: str | None, phase: str) -> None:
        """Record the first signal and the phase it came in; later ones change nothing."""
        if signame and self.interrupted is None:
            self.interrupted, self.interrupted_phase = signame, phase

    def restore_command(self) -> str:
        """The command that undoes the shut, to copy: a path with a space or `[` stays one word."""
        sf = f" --state-file {shlex.quote(self.state_file)}" if self.state_file else ""
        return f"python -m nornir_evpn failover-test --restore{sf}"
