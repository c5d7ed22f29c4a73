"""Which hosts each configure run committed on: `./.nornir_evpn/checkpoints.json`.

A device cannot tell the checkpoint of a commit that stands from one a run left behind when
it committed nothing (interrupted, its session lost, an all-or-nothing roll back). configure
records, per lab, each run that kept a checkpoint: its name, the hosts whose change stands,
whether it saved them. `rollback` takes its default from here (the newest run not rolled
back yet, so a second rollback steps back one more run), and knows a host that run changed
from one it did not: a host it changed that lacks the checkpoint is failed, not skipped.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from nornir_evpn.outputs import directory_lock, private_directory, replace_atomically
from nornir_evpn.own_files import NotOwnFile, read_own_text

# every checkpoint configure generates starts so; the rest is the run's UTC time, which sorts
# like the runs
CHECKPOINT_PREFIX = "nornir-evpn-"
RECORD_ENV = "NORNIR_EVPN_CHECKPOINTS"
DEFAULT_RECORD = Path(".nornir_evpn") / "checkpoints.json"
KEEP = 50  # the newest runs kept per file, whatever they changed
# and before them, each host's newest runs (the checkpoints it may still hold): a device keeps
# 10 checkpoints by default (/system configuration max-checkpoints)
KEEP_PER_HOST = 10


def record_path() -> Path:
    return Path(os.environ.get(RECORD_ENV) or DEFAULT_RECORD)


class RecordUnreadable(OSError):
    """The record exists and cannot be read as one: it is neither trusted nor overwritten."""


def _read(path: Path) -> list[dict[str, Any]]:
    """The runs recorded in `path`; [] when there is no record yet. A file that cannot be read
    or is not a record raises RecordUnreadable: taken for "no record", a truncated file sent
    rollback to the devices' guess and the next configure wrote over the runs it held."""
    try:
        text = read_own_text(path)
    except FileNotFoundError:
        return []
    except NotOwnFile as exc:  # it picks what rollback reverts
        raise RecordUnreadable(str(exc)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordUnreadable(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        doc = json.loads(text)
        runs = doc["runs"]
        if not isinstance(runs, list):
            raise TypeError("runs is not a list")
    except (ValueError, KeyError, TypeError) as exc:
        raise RecordUnreadable(f"{path}: not a checkpoint record ({type(exc).__name__}); move it aside") from None
    return [r for r in runs if isinstance(r, dict) and isinstance(r.get("checkpoint"), str)]


def _kept(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs to keep: the newest KEEP, and each older one that is still one of the
    KEEP_PER_HOST newest runs of its lab on a host it generated its checkpoint on (`hosts`,
    `left`, `failed`): that host may still hold the checkpoint. Cut at the newest 50 alone,
    50 nightly runs changing leaf1 dropped the one run that changed leaf2, whose checkpoint
    leaf2 still held: `rollback --hosts leaf2` then said every run was "rolled back already".
    A run undone there is kept too: the host still holds its checkpoint, and dropped it read
    as a newer one "not made by a configure from this directory", which stopped rollback's
    default from reaching the run before it."""
    if len(runs) <= KEEP:
        return runs
    seen: dict[tuple[Any, str], int] = {}
    kept = []
    for i in range(len(runs) - 1, -1, -1):
        run = runs[i]
        useful = i >= len(runs) - KEEP
        for host in {*(run.get("hosts") or ()), *(run.get("left") or ()), *(run.get("failed") or ())}:
            newer = seen.get((run.get("lab"), host), 0)
            seen[(run.get("lab"), host)] = newer + 1
            useful = useful or newer < KEEP_PER_HOST
        if useful:
            kept.append(run)
    return kept[::-1]


def _write(path: Path, runs: list[dict[str, Any]]) -> None:
    replace_atomically(path, json.dumps({"runs": _kept(runs)}, indent=1) + "\n")


def check_writable(path: Path | None = None) -> None:
    """Before a commit: the record can be read, and a file can be made beside it, so the run
    will be recorded for `rollback`. RecordUnreadable or OSError otherwise: found only after
    the commits (a read-only working directory, a record someone else owns), the run stood
    on the devices with nothing telling `rollback` which hosts it changed."""
    path = path or record_path()
    _read(path)
    private_directory(path.parent)
    fd, probe = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".probe")
    os.close(fd)
    os.unlink(probe)


def record_run(lab: str, checkpoint: str, hosts: list[str], saved: bool | list[str], path: Path | None = None,
               left: list[str] | None = None, failed: list[str] | None = None) -> None:
    """configure kept `checkpoint` on `hosts` (their change stands) and saved it on `saved`
    (the hosts, or True for all of them), may have left it on `left` (nothing committed there,
    not cleared: an interrupted run's), and failed on `failed`. A run with no `hosts`
    committed nothing: rollback's default refuses to reach past it to the run before.
    OSError when the file cannot be written (the caller says so; the commits stand)."""
    path = path or record_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    saved_hosts = sorted(hosts) if saved is True else sorted(saved or [])
    with directory_lock(path.parent):
        runs = _read(path)
        runs.append({"lab": lab, "checkpoint": checkpoint, "hosts": sorted(hosts), "undone": [],
                     "left": sorted(left or []), "failed": sorted(failed or []), "saved": saved_hosts,
                     "time": time.time(), "rolled_back": False})
        _write(path, runs)


def pending(run: dict[str, Any]) -> list[str]:
    """The hosts of `run` whose change is not undone yet (reverted to it, or to an earlier run)."""
    undone = set(run.get("undone") or ())
    return [h for h in run.get("hosts") or () if h not in undone]


def runs_of(lab: str, path: Path | None = None) -> list[dict[str, Any]]:
    """The recorded runs of `lab` whose change stands somewhere, oldest first."""
    return [r for r in known_of(lab, path) if r.get("hosts")]


def known_of(lab: str, path: Path | None = None) -> list[dict[str, Any]]:
    """Every checkpoint of `lab` recorded here, a run's left-overs included, oldest first."""
    return [r for r in _read(path or record_path()) if r.get("lab") == lab]


def find(lab: str, checkpoint: str | None = None, path: Path | None = None,
         selected: set[str] | None = None) -> dict[str, Any] | None:
    """The run of `lab` that kept `checkpoint`; or (None) the newest run that still has a host
    of `selected` (None: any) to undo, or that committed nothing on them (failed or was
    interrupted there: its `hosts` empty)."""
    if checkpoint is not None:
        return next((r for r in reversed(runs_of(lab, path)) if r["checkpoint"] == checkpoint), None)
    for r in reversed(known_of(lab, path)):
        if r.get("rolled_back"):
            continue
        if r.get("hosts"):
            if selected is None or set(pending(r)) & selected:
                return r
        elif selected is None or not (touched := {*r.get("failed", ()), *r.get("left", ())}) or touched & selected:
            return r
    return None


def mark_undone(lab: str, checkpoint: str, reverted: list[str], path: Path | None = None) -> None:
    """`reverted` went back to `checkpoint`: on each of them, that run's change is undone, and
    so is every later run's (the configuration they changed is gone too); a run whose every
    host is undone is rolled back, and the next default is the run before it. Only runs of
    this project's names are ordered by time: a checkpoint of another name cannot be placed
    among the runs, and every recorded run counts as undone on the hosts reverted (the safe
    side: a later default may then leave a change in place, never put one back). OSError when
    the record cannot be written."""
    ordered = checkpoint.startswith(CHECKPOINT_PREFIX)
    path = path or record_path()
    with directory_lock(path.parent):
        runs = _read(path)
        for r in runs:
            if r.get("lab") == lab and (not ordered or (
                    r["checkpoint"].startswith(CHECKPOINT_PREFIX) and r["checkpoint"] >= checkpoint)):
                _undo(r, reverted)
        _write(path, runs)


def _undo(run: dict[str, Any], hosts: Any) -> None:
    run["undone"] = sorted({*(run.get("undone") or ()), *(set(hosts) & set(run.get("hosts") or ()))})
    run["rolled_back"] = not pending(run)


def forget(lab: str, checkpoint: str, hosts: Any, path: Path | None = None) -> None:
    """That run counts as undone on `hosts` (the selected ones), nothing reverted (its
    checkpoints are gone there)."""
    path = path or record_path()
    with directory_lock(path.parent):
        runs = _read(path)
        for r in runs:
            if r.get("lab") == lab and r["checkpoint"] == checkpoint:
                _undo(r, hosts)
        _write(path, runs)


def changed_again(lab: str, checkpoint: str, host: str, path: Path | None = None) -> bool:
    """A run after `checkpoint`'s changed `host` and is not undone there: `host` has moved on
    since it was reverted to (or before) that run."""
    return any(r["checkpoint"] > checkpoint and host in pending(r) for r in runs_of(lab, path))
