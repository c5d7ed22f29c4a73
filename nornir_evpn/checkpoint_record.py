"""Which hosts each configure run committed on: `./.nornir_evpn/checkpoints.json`.

A device cannot tell the checkpoint of a commit that stands from one a run left behind when
it committed nothing (interrupted, its session lost, an all-or-nothing roll back). configure
records, per lab, each run that kept a checkpoint: its name, the hosts whose change stands,
whether it saved them. `rollback` takes its default from here (the newest run not rolled
back yet, so a second rollback steps back one more run), and knows a host that run changed
from one it did not: a host it changed that lacks the checkpoint is failed, not skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

from nornir_evpn.outputs import directory_lock, replace_atomically

RECORD_ENV = "NORNIR_EVPN_CHECKPOINTS"
DEFAULT_RECORD = Path(".nornir_evpn") / "checkpoints.json"
KEEP = 50  # runs kept per file (a device keeps 10 checkpoints by default)


def record_path() -> Path:
    return Path(os.environ.get(RECORD_ENV) or DEFAULT_RECORD)


def _read(path: Path) -> list[dict[str, Any]]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # none yet, or not ours to read: no record
        return []
    runs = doc.get("runs") if isinstance(doc, dict) else None
    return [r for r in runs if isinstance(r, dict) and isinstance(r.get("checkpoint"), str)] if isinstance(
        runs, list) else []


def _write(path: Path, runs: list[dict[str, Any]]) -> None:
    replace_atomically(path, json.dumps({"runs": runs[-KEEP:]}, indent=1) + "\n")


def record_run(lab: str, checkpoint: str, hosts: list[str], saved: bool, path: Path | None = None,
               left: list[str] | None = None) -> None:
    """configure kept `checkpoint` on `hosts` (their change stands), and may have left it on
    `left` (nothing committed there, not cleared: an interrupted run's). OSError when the
    file cannot be written (the caller says so; the commits stand)."""
    path = path or record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with directory_lock(path.parent):
        runs = _read(path)
        runs.append({"lab": lab, "checkpoint": checkpoint, "hosts": sorted(hosts), "left": sorted(left or []),
                     "saved": saved, "time": time.time(), "rolled_back": False})
        _write(path, runs)


def runs_of(lab: str, path: Path | None = None) -> list[dict[str, Any]]:
    """The recorded runs of `lab` whose change stands somewhere, oldest first."""
    return [r for r in known_of(lab, path) if r.get("hosts")]


def known_of(lab: str, path: Path | None = None) -> list[dict[str, Any]]:
    """Every checkpoint of `lab` recorded here, a run's left-overs included, oldest first."""
    return [r for r in _read(path or record_path()) if r.get("lab") == lab]


def find(lab: str, checkpoint: str | None = None, path: Path | None = None) -> dict[str, Any] | None:
    """The run of `lab` that kept `checkpoint`, or (None) its newest not rolled back yet."""
    runs = runs_of(lab, path)
    if checkpoint is not None:
        return next((r for r in reversed(runs) if r["checkpoint"] == checkpoint), None)
    return next((r for r in reversed(runs) if not r.get("rolled_back")), None)


def mark_rolled_back(lab: str, checkpoint: str, path: Path | None = None) -> None:
    """Every host of that run reverted: the next default is the run before (best effort)."""
    path = path or record_path()
    with contextlib.suppress(OSError), directory_lock(path.parent):
        runs = _read(path)
        for r in runs:
            if r.get("lab") == lab and r["checkpoint"] == checkpoint:
                r["rolled_back"] = True
        _write(path, runs)
