"""Changing a whole fabric as one transaction, and the per-host entries a configure reports.

`run_phase` runs `configure_fabric` on every host of `nr` and returns one entry per host
(the `--json` host entry: ok, changed, committed, error, diff...). `all_or_nothing` is what
`configure --all-or-nothing` does, for runbooks too: validate everywhere; if every host
validated, commit with a rollback timer everywhere; accept everywhere only if every host
committed (and in time), else reject the commits made, so no host keeps the change alone.

    entries, notes = all_or_nothing(nr, fabric, Renderer(), FEATURES, timeout=60,
                                    cancel=threading.Event())
"""

from __future__ import annotations

import threading
import time
from typing import Any

from nornir.core import Nornir
from nornir.core.task import AggregatedResult

from nornir_evpn import platform
from nornir_evpn.failures import task_error
from nornir_evpn.host_results import host_entry, host_ranges
from nornir_evpn.intent import FabricIntent
from nornir_evpn.internal import in_context
from nornir_evpn.render import Renderer
from nornir_evpn.tasks.checkpoint import clear_checkpoint
from nornir_evpn.tasks.cli_lines import DEFAULT_BATCH_LINES
from nornir_evpn.tasks.config import (
    commit_lost_reason,
    configure_fabric,
    confirm_commit,
    save_startup,
)

ACCEPT_MARGIN_S = 2.0  # an accept must reach every host before its rollback timer ends


def host_entries(agg: AggregatedResult) -> dict[str, dict[str, Any]]:
    """configure_fabric results → the per-host --json entries."""
    out: dict[str, dict[str, Any]] = {}
    for host, multi in agg.items():
        own = multi[0]
        data = own.result if isinstance(own.result, dict) else {}
        error = data.get("error")
        if own.failed and not error:
            error = task_error(host, own.exception) if own.exception else "failed"
        diff = data.get("diff") or ""
        added, removed = platform.count_diff(diff)
        out[host] = host_entry(
            not own.failed, bool(data.get("changed")) and not own.failed, error,
            diff=diff, committed=bool(data.get("committed")), commit_unknown=bool(data.get("commit_unknown")),
            device_error=data.get("device_error"), seconds=data.get("seconds", 0.0),
            added=added, removed=removed, replaced=data.get("replaced", []), pruned=data.get("pruned", []),
            saved=bool(data.get("saved")), checkpoint=data.get("checkpoint"),
            checkpoint_left=data.get("checkpoint_left"),
        )
    return out


def run_phase(nr: Nornir, **kwargs: Any) -> dict[str, dict[str, Any]]:
    # every phase runs on every selected host, also one an earlier task failed (on_failed);
    # `nr.data.reset_failed_hosts()` forgot the failures of the runbook's whole inventory,
    # hosts outside `nr`'s filter too
    return host_entries(nr.run(task=configure_fabric, on_failed=True, **kwargs))


def settle_checkpoints(nr: Nornir, entries: dict[str, dict[str, Any]], checkpoint: str,
                       clear: bool = True) -> list[str]:
    """After a run that generated `checkpoint`: a host whose change stands (committed, or
    maybe: its answer lost) keeps it in its entry. Any other host's entry says none, and where
    it may still be on the device (its session lost before the commit, its commit rejected
    after an all-or-nothing failure) it is cleared on a fresh session (`clear`): a leftover
    takes one of the device's ten places and is a way back from nothing. A host where that
    fails keeps `checkpoint_left` and is named in the notes returned."""
    for entry in entries.values():
        if entry.get("checkpoint") and not (entry["committed"] or entry.get("commit_unknown")):
            entry["checkpoint"], entry["checkpoint_left"] = None, entry["checkpoint"]
    left = [h for h, e in entries.items() if e.get("checkpoint_left")]
    if not left:
        return []
    if not clear:  # interrupted: no new session is started
        return [f"checkpoint {checkpoint} may be left on {host_ranges(left)} (interrupted before their commit; "
                "not cleared): rollback's default never takes it"]
    sub = nr.filter(filter_func=lambda h: h.name in left)
    try:
        done = sub.run(task=clear_checkpoint, checkpoint=checkpoint, on_failed=True)
    finally:
        sub.close_connections(on_failed=True)
    stuck = [h for h, m in done.items() if m[0].failed]
    for h in left:
        if h not in stuck:
            entries[h]["checkpoint_left"] = None
    if not stuck:
        return []
    return [f"checkpoint {checkpoint} may be left on {host_ranges(stuck)} (nothing committed there; not "
            f"cleared: {done[stuck[0]][0].result['error']}): rollback's default never takes it"]


def all_or_nothing(
    nr: Nornir, fabric: FabricIntent, renderer: Renderer, features: tuple[str, ...],
    timeout: int, cancel: threading.Event, batch_lines: int = DEFAULT_BATCH_LINES,
    prune: bool = False, save: bool = False, checkpoint: str | None = None,
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Validate everywhere; then commit confirmed everywhere and accept only if all did
    (then, with `save`, `save startup` everywhere). `checkpoint`: generated before each commit,
    kept where the change stands, cleared where it was rolled back (`settle_checkpoints`)."""
    entries, notes = _all_or_nothing(nr, fabric, renderer, features, timeout, cancel, batch_lines,
                                     prune, save, checkpoint)
    if checkpoint:
        notes = [*notes, *settle_checkpoints(nr, entries, checkpoint, clear=not cancel.is_set())]
    return entries, notes


def _all_or_nothing(
    nr: Nornir, fabric: FabricIntent, renderer: Renderer, features: tuple[str, ...],
    timeout: int, cancel: threading.Event, batch_lines: int = DEFAULT_BATCH_LINES,
    prune: bool = False, save: bool = False, checkpoint: str | None = None,
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    common = {"fabric": fabric, "features": features, "renderer": renderer, "cancel": cancel,
              "batch_lines": batch_lines, "prune": prune, "checkpoint": checkpoint}
    validated = run_phase(nr, mode="validate", **common)
    if not all(e["ok"] for e in validated.values()):
        for e in validated.values():
            e["changed"] = False
        # a device that refused the change, or a host that never got to say (unreachable,
        # a commit confirmed pending): "validation failed" read as the device's refusal
        why = "interrupted" if cancel.is_set() else "a host failed in the validation phase (see its error)"
        return validated, [f"{why}: nothing was committed anywhere"]
    to_change = [h for h, e in validated.items() if e["changed"]]
    if nr.data.dry_run:
        # Nornir's dry-run switch: the validated diffs are the answer. Going on, the commit
        # phase read its diffs and committed nothing, and the accept then failed every host
        # ("there is no pending commit confirmed") as if its commit had rolled back
        notes = ["Nornir's dry-run switch is on: validated everywhere, nothing committed"]
        return validated, notes if to_change else []
    if not to_change:
        return save_everywhere(nr, validated) if save else validated, []
    sub = nr.filter(filter_func=lambda h: h.name in to_change)
    started = time.monotonic()
    committed = run_phase(sub, mode="confirmed", confirm_timeout=timeout, accept=False, **common)
    for h, e in committed.items():  # a host's time is both phases' (validate, then commit)
        e["seconds"] = round(e["seconds"] + validated[h]["seconds"], 3)
    entries = {**validated, **committed}
    # a host whose commit answer was lost may have committed: it is rolled back too
    pending = [h for h in to_change if committed[h]["committed"] or committed[h]["commit_unknown"]]
    # each host's rollback timer started at its own commit, the first one soon after
    # `started`: past the timeout (less a margin) some may have rolled back already, and
    # accepting the others would leave the fabric half changed
    late = time.monotonic() - started > timeout - ACCEPT_MARGIN_S
    # an interrupt that came once the commits were out: reject them, accept nothing
    if all(committed[h]["ok"] for h in to_change) and not late and not cancel.is_set():
        entries, notes = accept_everywhere(sub, entries, to_change, timeout)
        # saved once every host holds the change for good (a save before the accept would
        # put in the startup config what may still roll back)
        return (save_everywhere(nr, entries) if save and not notes else entries), notes
    # one host failed: roll back the others now rather than after the timer
    still_pending: list[str] = []
    if pending:
        rolled = nr.filter(filter_func=lambda h: h.name in pending)
        for h, (ok, err) in confirm_everywhere(rolled, accept=False).items():
            unknown = entries[h]["commit_unknown"]
            gone = platform.NO_PENDING_CONFIRM in str(err)
            if not ok and not gone:  # still applied, until its own timer ends
                entries[h]["error"] = f"reject failed ({err}); its commit rolls back {timeout}s after it was made"
                entries[h]["ok"] = False
                still_pending.append(h)
                continue
            entries[h].update(committed=False, changed=False)
            if unknown:  # the reject tells: it had committed (now undone), or it never had
                reason = commit_lost_reason(entries[h]["error"])
                entries[h].update(commit_unknown=False, error=in_context(
                    reason, " after the commit; rolled back" if ok else " before the commit applied: nothing committed"))
            elif not ok:
                entries[h]["error"] = f"rolled back by its confirm timer ({timeout}s) before the reject"
    for h in to_change:
        if h in still_pending:
            continue
        entries[h]["changed"] = False
        if late:  # nothing failed on the host itself, yet nothing it had to change is there
            entries[h]["ok"] = False
            entries[h]["error"] = entries[h]["error"] or "rolled back: the commits took too long to accept"
    why = ("interrupted" if cancel.is_set() else "a commit failed" if not late else
           f"the commits took longer than --commit-confirmed {timeout}s allows (some timers may have run out)")
    if still_pending:
        return entries, [f"{why}: rolled back everywhere but {', '.join(still_pending)}, whose reject "
                         f"failed: its commit stays until its {timeout}s timer ends"]
    return entries, [f"{why}: every host was rolled back"]


def accept_everywhere(sub: Nornir, entries: dict[str, dict[str, Any]], to_change: list[str],
                       timeout: int) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Accept every pending commit; a host whose accept fails is named, with what it leaves."""
    failed = {h: err for h, (ok, err) in confirm_everywhere(sub, accept=True).items() if not ok}
    for h, err in failed.items():
        if platform.NO_PENDING_CONFIRM in str(err):  # its timer ran out first: already undone
            entries[h].update(ok=False, committed=False, changed=False,
                              error=f"accept failed: {err}: its commit rolled back, its timer ran out")
        else:
            entries[h].update(ok=False, error=f"accept failed: {err}; its commit rolls back "
                                              f"{timeout}s after it was made unless accepted")
    if not failed:
        return entries, []
    kept = [h for h in to_change if h not in failed]
    return entries, [f"the accept failed on {', '.join(failed)}: the fabric is mixed, "
                     f"{', '.join(kept) or 'no host'} kept the change; run configure again"]


def save_everywhere(nr: Nornir, entries: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """`save startup` on every host; one whose save fails is failed, its commit kept."""
    for host, multi in nr.run(task=save_startup, on_failed=True).items():
        own = multi[0]
        data = own.result if isinstance(own.result, dict) else {}
        entries[host]["saved"] = bool(data.get("saved"))
        if own.failed:
            err = data.get("error") or (task_error(host, own.exception) if own.exception else "failed")
            state = "committed" if entries[host]["committed"] else "unchanged"
            entries[host].update(ok=False, error=f"{state}, not saved to startup: {err}")
    return entries


def confirm_everywhere(nr: Nornir, *, accept: bool) -> dict[str, tuple[bool, str | None]]:
    agg = nr.run(task=confirm_commit, accept=accept, on_failed=True)
    out = {}
    for host, multi in agg.items():
        own = multi[0]
        err = None
        if own.failed:
            err = (own.result.get("error") if isinstance(own.result, dict)
                   else task_error(host, own.exception) if own.exception else "failed")
        out[host] = (not own.failed, err)
    return out
