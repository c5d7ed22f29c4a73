"""Device checkpoints: the running configuration configure started from, and the way back.

`configure` (`apply_config(checkpoint=...)`) generates a checkpoint named
`checkpoint_name()` on each host before it commits, and clears it again on a host where
nothing was committed. `rollback_checkpoint` reverts a host to such a checkpoint: SR Linux
loads it and commits it as one transaction (`tools system configuration checkpoint <name>
revert`), so a host is either back where it was or untouched. Before that it loads the
checkpoint into a private candidate, reads its `diff flat` and discards it: what the revert
changes (all a dry run does).
"""

from __future__ import annotations

import datetime
import json
import os
import threading
import time
from collections.abc import Collection
from typing import Any

from nornir.core.task import Result, Task
from nornir_evpn.tasks.cli_lines import (
    CONNECTION,
    DEFAULT_BATCH_LINES,
    INTERRUPTED,
    Loaded,
    discard,
    drop_connection,
    load_lines,
    log_failure,
    run_commands,
    running_session,
)
from scrapli.exceptions import ScrapliPrivilegeError

from nornir_evpn import platform, uncommitted
from nornir_evpn.checkpoint_record import CHECKPOINT_PREFIX
from nornir_evpn.errors import UserInputError
from nornir_evpn.failures import host_error, not_authorized
from nornir_evpn.validation import assert_one_line


def checkpoint_name(now: datetime.datetime | None = None) -> str:
    """`nornir-evpn-20261127-190512.123456-4242`: one name for every host of a run (a name must
    not start with a digit): its UTC time, which sorts like the runs, and this process's id
    (two runs started in one millisecond took the same name, and each failed where the other
    had made its checkpoint first)."""
    now = now or datetime.datetime.now(datetime.timezone.utc)
    return f"{CHECKPOINT_PREFIX}{now:%Y%m%d-%H%M%S}.{now.microsecond:06d}-{os.getpid()}"


def parse_checkpoints(answer: str) -> list[dict[str, Any]] | None:
    """The checkpoints of `info from state system configuration checkpoint | as json`, newest
    first as the device numbers them ({"id", "name", "comment", "created"}); [] when there is
    none (an empty answer), None when the answer is not that document."""
    text = answer.strip()
    if not text:
        return []
    # a read the device refuses answers its error on the first line; further on, a marker is a
    # checkpoint's comment (`before fixing the MAJOR: alarm`), data like any other
    if platform.has_failure_marker(text.partition("\n")[0]) or "{" not in text:
        return None
    try:
        # the document alone: an answer read with its prompt (`--{ running }--[  ]--`, scrapli's
        # send_commands with batch_lines=1) ends in braces of its own
        doc, _ = json.JSONDecoder().raw_decode(text, text.find("{"))
    except ValueError:
        return None
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key.split(":")[-1] == "checkpoint" and isinstance(value, list):
                    found.extend(v for v in value if isinstance(v, dict) and "name" in v)
                else:
                    walk(value)

    walk(doc)
    return sorted(found, key=lambda c: int(c.get("id", 0)) if str(c.get("id", 0)).isdigit() else 0)


def _read_checkpoints(conn: Any, batch_lines: int) -> list[dict[str, Any]]:
    [answer] = run_commands(conn, [platform.CHECKPOINT_STATE], batch_lines)
    checkpoints = parse_checkpoints(answer)
    if checkpoints is None:
        raise ValueError(f"`{platform.CHECKPOINT_STATE}` answered no checkpoint list: "
                         f"{' '.join(answer.split())[:200]}")
    return checkpoints


def list_checkpoints(task: Task, batch_lines: int = DEFAULT_BATCH_LINES,
                     cancel: threading.Event | None = None) -> Result:
    """The host's checkpoints: result = {"checkpoints": [{"id", "name", "comment", "created"}],
    "error"}, the error one line when the host cannot be read. `cancel`: a run's interrupt
    (`uncommitted.cut`) may close the session under the read (it changes nothing); a slow
    device held Ctrl-C for its answers (38 s with 8 s a command)."""
    try:
        with uncommitted.before_commit(cancel, task.host, CONNECTION), running_session(task) as conn:
            checkpoints = _read_checkpoints(conn, batch_lines)
    except Exception as exc:
        drop_connection(task.host)
        error = "interrupted: not read" if uncommitted.cancelled(cancel) else host_error(task.host, exc)
        log_failure(task, "checkpoints", error)
        return Result(host=task.host, failed=True, result={"checkpoints": [], "error": error})
    return Result(host=task.host, result={"checkpoints": checkpoints, "error": None})


def _bad_name(task: Task, checkpoint: Any) -> str | None:
    """Why `checkpoint` cannot be sent (None when it can): a task's input error is its one
    line in the documented dict, as a device's is."""
    if not isinstance(checkpoint, str) or not checkpoint:
        return f"checkpoint name: expected a non-empty string, got {checkpoint!r}"
    try:
        assert_one_line([checkpoint], f"{task.host.name}: checkpoint name")
        platform.checkpoint_word(checkpoint)
    except (UserInputError, ValueError) as exc:
        return str(exc)
    return None


def clear_checkpoint(task: Task, checkpoint: str, batch_lines: int = DEFAULT_BATCH_LINES,
                     dry_run: bool | None = None) -> Result:
    """Clear the host's checkpoint `checkpoint` if it holds one (a run that committed nothing
    left it: a commit confirmed rejected, an all-or-nothing rolled back). result =
    {"cleared", "error"}: error one line when the host could not be read or refused.
    Under Nornir's dry-run switch nothing is sent: cleared is False."""
    if (bad := _bad_name(task, checkpoint)) is not None:
        return Result(host=task.host, failed=True, result={"cleared": False, "error": bad})
    if task.is_dry_run(dry_run):
        return Result(host=task.host, result={"cleared": False, "error": None})
    try:
        with running_session(task) as conn:
            if not any(c.get("name") == checkpoint for c in _read_checkpoints(conn, batch_lines)):
                return Result(host=task.host, result={"cleared": False, "error": None})
            [answer] = run_commands(conn, [platform.clear_checkpoint(checkpoint)], batch_lines)
    except Exception as exc:
        drop_connection(task.host)
        return Result(host=task.host, failed=True, result={"cleared": False, "error": host_error(task.host, exc)})
    if platform.has_failure_marker(answer):
        return Result(host=task.host, failed=True, result={"cleared": False, "error": " ".join(answer.split())})
    return Result(host=task.host, changed=True, result={"cleared": True, "error": None})  # a checkpoint gone


def _revert_diff(conn: Any, name: str, batch_lines: int,
                 cancel: threading.Event | None) -> tuple[str | None, str | None]:
    """What reverting to checkpoint `name` would change: (its `diff flat`, None), or (None,
    why it could not be read: one line). The checkpoint is loaded into a private candidate,
    which is discarded: nothing is committed."""
    try:
        try:
            loaded = load_lines(conn, [platform.load_checkpoint(name)], batch_lines, cancel,
                                reads=(platform.DIFF_FLAT,))
        except ScrapliPrivilegeError as exc:
            # `batch_lines=1`: scrapli's escalation to the candidate was refused (another
            # session's exclusive candidate), each answer read: the session is in step
            loaded = Loaded(f"{platform.ENTER_CANDIDATE_PRIVATE}: {type(exc).__name__}: {exc}", "")
    finally:
        if not uncommitted.cancelled(cancel):  # cut: the caller drops the session, and the candidate
            discard(conn, batch_lines)
    if loaded.error == INTERRUPTED:
        raise ConnectionAbortedError(INTERRUPTED)
    if loaded.error is not None:
        return None, loaded.error
    return loaded.reads[0].strip(), None


# what a revert takes of the user (srl_nokia-configuration-role: `write` on the paths it changes)
REVERT_NEEDS = ("a revert, and the preview that loads the checkpoint into a candidate, write the "
                "configuration: it needs `tools system configuration` and write access to what the revert changes")


def rollback_checkpoint(task: Task, checkpoint: str, dry_run: bool = False,
                        cancel: threading.Event | None = None,
                        batch_lines: int = DEFAULT_BATCH_LINES, required: Collection[str] = ()) -> Result:
    """Revert the host's running configuration to its checkpoint named `checkpoint`
    (`name` is Nornir's own parameter of `nr.run`).

    Run it with `on_failed=True` after a verify: Nornir skips the hosts an earlier task
    failed, which are the ones to revert.
    A host without that checkpoint (configure changed nothing there) is left as it is and
    does not fail, unless it is one of `required` (the hosts that run committed on, from
    `nornir_evpn.checkpoint_record`): then the checkpoint was pushed out of the device's
    list by later ones, or cleared, and the host fails. `dry_run` (or Nornir's dry-run
    switch) reads whether it is there and what reverting would change.
    result = {"checkpoint", "found", "reverted", "diff", "diff_error", "added", "removed",
    "device_error", "error", "seconds"}: `diff` is the `diff flat` of the revert ("" when the
    running configuration is the checkpoint's already: then no revert is sent, and the host
    counts as reverted), None when not read (no checkpoint, or `diff_error` says why: the
    revert still goes out); `changed` is a revert that changed
    something, in a dry run one that would (as Nornir's own tasks say of a dry run's diff)."""
    name = checkpoint
    t0 = time.monotonic()
    out: dict[str, Any] = {"checkpoint": name, "found": False, "reverted": False, "diff": None,
                           "diff_error": None, "added": 0, "removed": 0, "device_error": None, "error": None}

    previewing = dry_run or task.is_dry_run()

    def done(error: str | None = None) -> Result:
        out["error"] = error
        out["seconds"] = round(time.monotonic() - t0, 3)
        if error is not None:
            log_failure(task, "rollback", error)
        changed = bool(out["diff"]) if previewing else out["reverted"] and out["diff"] != ""
        return Result(host=task.host, failed=error is not None, changed=error is None and changed,
                      diff=out["diff"] or "", result=out)

    if (bad := _bad_name(task, name)) is not None:
        return done(bad)
    if isinstance(required, str):  # `"leaf10"` would require leaf1 (a substring)
        return done(f"required: expected a collection of host names, got the string {required!r}")
    command = platform.revert_checkpoint(name)
    sent = False
    try:
        # until the revert goes out an interrupt may cut the session (`uncommitted`): the
        # host is left as it was; a revert sent is never cut (its answer says if it applied)
        with uncommitted.before_commit(cancel, task.host, CONNECTION), running_session(task) as conn:
            held = _read_checkpoints(conn, batch_lines)
            out["found"] = any(c.get("name") == name for c in held)
            if not out["found"] and task.host.name in required:
                oldest = f", the oldest {held[-1].get('name')}" if held else ""
                return done(f"checkpoint {name} is no longer on {task.host.name} ({len(held)} kept there{oldest}): "
                            "later checkpoints pushed it out (a device keeps max-checkpoints, 10 by default), or "
                            "it was cleared; not reverted")
            if not out["found"]:
                return done()
            out["diff"], out["diff_error"] = _revert_diff(conn, name, batch_lines, cancel)
            if out["diff_error"] is not None:
                out["diff_error"] = not_authorized(out["diff_error"], REVERT_NEEDS)
            out["added"], out["removed"] = platform.count_diff(out["diff"] or "")
            if previewing:
                # refused for the user's role: its revert would be too, which a dry run is
                # there to tell (not "would revert")
                return done(out["diff_error"] if platform.not_authorized(out["diff_error"] or "") else None)
            if out["diff"] == "":
                # the running configuration is the checkpoint's already: nothing to revert, and
                # nothing sent. The revert is a commit: a second `rollback --checkpoint X` put
                # one more (empty) commit in every host's history, which a change record or a
                # commit alarm reads as a change. The host is back at the checkpoint: reverted.
                out["reverted"] = True
                return done()
            if not uncommitted.may_commit(cancel, task.host):
                return done("interrupted: not reverted")
            sent = True
            [answer] = run_commands(conn, [command], batch_lines)
    except Exception as exc:
        drop_connection(task.host)
        if not sent and uncommitted.cancelled(cancel):  # cut before its revert
            return done("interrupted: not reverted")
        # the revert is one commit: sent and unanswered, it may or may not have applied
        return done(host_error(task.host, exc) + (
            f" after `{command}` was sent: it may have reverted; check {task.host.name}'s running config"
            if sent else ""))
    if platform.revert_failed(answer):  # (not the checkpoint's own comment, which the answer echoes)
        out["device_error"] = " ".join(answer.split())
        return done(not_authorized(out["device_error"], f"{REVERT_NEEDS}; nothing was reverted"))
    out["reverted"] = True
    return done()
