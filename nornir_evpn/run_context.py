"""What this CLI run has said and chosen before its report, for its `--json` document:
- the notes it wrote on stderr (the packaged inventory taken, a twin of another version,
  host keys not checked, threads short): a script reading only stdout missed every one;
- its target (lab, inventory, twin state), once the inventory is loaded: a run interrupted
  before its report answered `"target": null` though it was known;
- which of its reports (`--json`, `--junit`) it has written: a run stopped after them keeps
  them, not answered a second time.

Kept apart from the reporting modules, like `timestamps`, so the CLI can start a run before
it imports them."""

from __future__ import annotations

import contextlib
import sys
import threading
from typing import Any

PREFIX = "note: "

_NOTES: list[str] = []
_TARGET: list[dict[str, Any]] = []
_REPORTED: set[str] = set()  # the run's reports written: "json" (its document), "junit" (its file)
_LOCK = threading.Lock()


def start_run() -> None:
    """A new command in this process (the CLI's `main`): nothing of an earlier one."""
    with _LOCK:
        _NOTES.clear()
        _TARGET.clear()
        _REPORTED.clear()


def set_target(target: dict[str, Any]) -> None:
    """The run's `"target"` (`Target.describe()`), for a document that has none of its own."""
    with _LOCK:
        _TARGET[:] = [dict(target)]


def target() -> dict[str, Any] | None:
    with _LOCK:
        return dict(_TARGET[0]) if _TARGET else None


def note(text: str) -> None:
    """Write `note: <text>` on stderr and keep `<text>` for the run's --json document."""
    text = text.removeprefix(PREFIX)
    with _LOCK:
        if text not in _NOTES:
            _NOTES.append(text)
    with contextlib.suppress(Exception):  # stderr closed, or on a full disk: the note is still kept
        sys.stderr.write(f"{PREFIX}{text}\n")


def taken() -> list[str]:
    """This run's notes so far, in the order they were written."""
    with _LOCK:
        return list(_NOTES)


def mark_reported(output: str) -> None:
    """The run has written its `output` report: "json" (its --json document), "junit"."""
    with _LOCK:
        _REPORTED.add(output)


def reported(output: str) -> bool:
    """Whether the run has written its `output` report: a signal or an error after it (a
    second Ctrl-C while configure's report goes out) must not answer --json with a second
    document, or replace the run's JUnit file with "interrupted before the report"."""
    with _LOCK:
        return output in _REPORTED
