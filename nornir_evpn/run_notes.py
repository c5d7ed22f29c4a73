"""The notes a command writes on stderr before or around its report (the packaged inventory
taken, a twin of another version, host keys not checked, threads short): kept for this run
so its `--json` document's `notes` carries them too (a script reading only stdout missed
every one of them).

Kept apart from the reporting modules, like `timestamps`, so the CLI can start a run before
it imports them."""

from __future__ import annotations

import contextlib
import sys
import threading

PREFIX = "note: "

_NOTES: list[str] = []
_LOCK = threading.Lock()


def start_run() -> None:
    """A new command in this process (the CLI's `main`): no note of an earlier one."""
    with _LOCK:
        _NOTES.clear()


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
