"""Nornir tasks that configure SR Linux: render → private candidate → diff → commit.

`configure_fabric` is the grouped task runbooks embed (`nr.run(task=configure_fabric)`):
it renders the host's features, loads them into a private candidate over the host's one
scrapli connection, and dry-runs, validates, commits or commit-confirms them. Every path
out of `apply_config` leaves the host without an open candidate.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from nornir.core.exceptions import NornirSubTaskError
from nornir.core.task import Result, Task
from nornir_evpn.tasks.cli_lines import (  # noqa: F401 - their 0.14 home (runbooks import them here)
    CONNECTION,
    DEFAULT_BATCH_LINES,
    INTERRUPTED,
    SPARE_CONNECTION,
    Loaded,
    answered,
    discard,
    drop_connection,
    leave_candidate,
    load_lines,
    log_failure,
    one_command,
    run_commands,
    running_session,
    send_line,
    srl_connection,
)
from nornir_evpn.tasks.preflight import (  # noqa: F401 - RunRender, render_run: their 0.14 home
    RUN_ATTR,
    RunRender,
    outside_fabric,
    render_failure,
    render_run,
)

from nornir_evpn import __version__, platform, uncommitted
from nornir_evpn.device_text import visible
from nornir_evpn.errors import DeviceError, UnsafeValueError, UserInputError
from nornir_evpn.failures import (  # noqa: F401 - also their 0.9 home
    LOST,
    connection_setting,
    host_error,
    not_authorized,
    one_line,
    task_error,
    timeout_setting,
)
from nornir_evpn.intent import FabricIntent
from nornir_evpn.internal import SEE_TRACEBACK, in_context
from nornir_evpn.inventory import fabric_from_nornir, host_node
from nornir_evpn.prune import COMMANDS as PRUNE_COMMANDS
from nornir_evpn.prune import (
    attachment_commands,
    lag_commands,
    link_commands,
    list_resets,
    neighbor_deletes,
    stale_attachment_lines,
    stale_link_lines,
    stale_member_lines,
    stale_neighbors,
)
from nornir_evpn.render import FEATURES, Renderer, parse_features, shared_renderer
from nornir_evpn.replaced import replaced_values
from nornir_evpn.session import log_sent, paste, session_lock
from nornir_evpn.validation import assert_one_line

ConfigMode = Literal["dry-run", "validate", "commit", "confirmed"]
MODES: tuple[str, ...] = ("dry-run", "validate", "commit", "confirmed")
DEFAULT_CONFIRM_TIMEOUT_S = 60

# the comment of the checkpoints configure generates before a commit (`apply_config(checkpoint=)`)
CHECKPOINT_COMMENT = f"nornir_evpn {__version__}: before configure"


def render_config(
    task: Task,
    features: Sequence[str] = FEATURES,
    templates_dir: Path | str | None = None,
    fabric: FabricIntent | None = None,
    renderer: Renderer | None = None,
) -> Result:
    """Render the host's configuration; result = {"config": [lines], "features": {f: [lines]}}."""
    fabric = fabric or fabric_from_nornir(task.nornir)
    node = host_node(task.host)
    rendered = (renderer or shared_renderer(templates_dir)).render(node, fabric, features)
    lines = [line for feature_lines in rendered.values() for line in feature_lines]
    return Result(host=task.host, result={"config": lines, "features": rendered})


count_diff = platform.count_diff  # its 0.16 home (transaction and runbooks import it here)


def apply_config(
    task: Task,
    config: list[str],
    mode: ConfigMode = "commit",
    confirm_timeout: int = DEFAULT_CONFIRM_TIMEOUT_S,
    cancel: threading.Event | None = None,
    batch_lines: int = DEFAULT_BATCH_LINES,
    connection: str = CONNECTION,
    checkpoint: str | None = None,
    dry_run: bool | None = None,
) -> Result:
    """Load `config` into a private candidate, diff it, then act per `mode`.

    `batch_lines`: config lines sent per round trip (see `load_lines`; 1 = line by line).
    `connection`: the host's session to use (`SPARE_CONNECTION`: a second one).
    `checkpoint`: in modes "commit" and "confirmed", a checkpoint of this name is generated on
    the device before the candidate is entered (the running configuration this change
    starts from; `rollback` reverts to it), and cleared again when nothing is committed.
    result["checkpoint"] is its name once the commit went through (or may have: its answer
    lost), else None; result["checkpoint_left"] is its name when it may still be on the device
    though nothing was committed (the session lost or cut, its clear refused), else None.

    Nornir's own dry-run switch (`InitNornir(dry_run=True)`, or this call's `dry_run`, which
    overrides it as in Nornir's own tasks) makes "commit" and "confirmed" a "dry-run": the
    diff is read, nothing is committed.

    result = {"changed", "diff", "committed", "device_error", "pending_confirm", "timings",
    "error", "reached", "commit_unknown", "replaced", "checkpoint", "checkpoint_left"}, also
    when the host cannot be reached (error = one line, reached False: nothing can have been
    applied). commit_unknown: the
    session was lost after the commit was sent, so it may have been applied (the diff is
    kept). replaced: [{"path", "old", "new", "default"}] for each running value the candidate
    changes (read from the hierarchical `diff`; `diff flat` shows them as inserts); `new`
    None: deleted, and `default` the value it then takes, when configure deletes it for that.
    No diff → nothing is committed and `changed` is False.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if mode in ("commit", "confirmed") and task.is_dry_run(dry_run):
        mode = "dry-run"
    t0 = time.monotonic()
    timings: dict[str, float] = {}
    out: dict[str, Any] = {
        "changed": False, "diff": "", "committed": False, "device_error": None,
        "pending_confirm": False, "timings": timings, "reached": False, "commit_unknown": False,
        "replaced": [], "checkpoint": None, "checkpoint_left": None,
    }
    left = False  # the checkpoint may be on the device though nothing of this run stands
    if mode not in ("commit", "confirmed"):
        checkpoint = None
    elif checkpoint is not None:
        assert_one_line([checkpoint], f"{task.host.name}: checkpoint name")
        try:
            platform.checkpoint_word(checkpoint)
        except ValueError as exc:  # as a control character is: before any connection
            raise UnsafeValueError(f"{task.host.name}: {exc}") from None

    def done(failed: bool = False, error: str | None = None) -> Result:
        timings["total"] = round(time.monotonic() - t0, 4)
        out["error"] = error
        out["checkpoint_left"] = checkpoint if left and out["checkpoint"] is None else None
        if failed:
            log_failure(task, "configure" if out["reached"] else "connect", error or "failed")
        return Result(host=task.host, result=out, changed=out["changed"], diff=out["diff"],
                      failed=failed)

    def lost_before_commit(error: str) -> Result:
        """A read failed before the commit went out: the session is dropped (which ends its
        private candidate; a late answer cannot be trusted), `error` unless interrupted."""
        drop_connection(task.host, connection, abrupt=True)
        return done(True, INTERRUPTED if uncommitted.cancelled(cancel) else error)

    try:
        assert_one_line(config, f"{task.host.name}: config")
    except UnsafeValueError as exc:  # before any connection: nothing may reach the device
        return done(True, str(exc))
    # until its commit goes out, an interrupt may close the session under this host
    with uncommitted.before_commit(cancel, task.host, connection):
        fresh = connection not in task.host.connections
        try:
            conn = srl_connection(task, connection)
        except Exception as exc:  # unreachable, auth, timeout: the documented dict, one line
            return done(True, INTERRUPTED if uncommitted.cancelled(cancel) else host_error(task.host, exc))
        out["reached"] = True
        timings["connect"] = round(time.monotonic() - t0, 4)
        lock = session_lock(conn)  # the candidate is this run's alone from load to commit
        lock.acquire()
        cuttable = True  # until may_commit: an interrupt may close the session under us
        try:
            if not fresh:  # a session reused from an earlier task may sit in a candidate
                leave_candidate(conn)
            made = [platform.generate_checkpoint(checkpoint, CHECKPOINT_COMMENT)] if checkpoint else []

            def drop_checkpoint() -> None:
                """Nothing committed: the checkpoint goes (best effort, in running mode), so runs
                that change nothing do not push older checkpoints out of the device's ten."""
                nonlocal left
                if made and conn._current_priv_level.name != "configuration":
                    with contextlib.suppress(Exception):
                        [answer] = run_commands(conn, [platform.clear_checkpoint(checkpoint)], batch_lines)
                        left = platform.has_failure_marker(answer)

            left = bool(made)
            t = time.monotonic()
            try:
                # the hierarchical diff too: `diff flat` shows a replaced value as an insert
                loaded = load_lines(conn, config, batch_lines, cancel, reads=(platform.DIFF, platform.DIFF_FLAT),
                                    before=made)
            except Exception as exc:
                # the session ended mid-load (the device dropped it): nothing was committed, and
                # the documented one-line dict, not a traceback Nornir would log to stderr
                return lost_before_commit(in_context(host_error(task.host, exc),
                                                     " while loading the candidate: nothing committed"))
            timings["load"] = round(time.monotonic() - t, 4)
            if loaded.error == INTERRUPTED:
                # answers still on their way: close the session, which ends its private candidate
                # now (waiting for a slow device to answer every typed line took minutes)
                drop_connection(task.host, connection, abrupt=True)
                return done(True, INTERRUPTED)
            if loaded.error is not None:
                out["device_error"] = loaded.error
                leave_candidate(conn)
                if made and loaded.error.startswith(made[0]):  # not made (a name taken is not ours)
                    left = False
                else:
                    drop_checkpoint()
                return done(True, out["device_error"])
            hierarchical, flat = loaded.reads
            out["diff"] = flat.strip()
            out["changed"] = bool(out["diff"])
            out["replaced"] = [r.as_dict() for r in replaced_values(hierarchical)]
            # a commit confirmed nobody accepted makes "unchanged" untrue, and a commit on top of
            # it is undone with it when its timer ends: every mode, changed or not, fails the host
            # (all-or-nothing decides on its validate phase)
            try:
                pending = pending_confirm(conn)
            except Exception as exc:
                # its answer may still come: the session cannot be trusted with a commit now
                out["changed"] = False
                return lost_before_commit(
                    f"could not read the commit state before committing: {host_error(task.host, exc)}")
            if pending is not None:
                discard(conn, batch_lines)
                drop_checkpoint()
                out["changed"] = out["changed"] and mode == "dry-run"  # nothing was applied
                return done(True, pending)
            if not out["changed"] or mode == "dry-run":
                discard(conn, batch_lines)
                drop_checkpoint()
                return done()
            if not uncommitted.may_commit(cancel, task.host):
                # cancelled: its session may be cut already (nothing is read from it again)
                out["changed"] = False
                return lost_before_commit(INTERRUPTED)
            cuttable = False

            action = {
                "validate": platform.COMMIT_VALIDATE,
                "commit": platform.COMMIT_NOW,
                "confirmed": platform.commit_confirmed(confirm_timeout),
            }[mode]
            t = time.monotonic()
            try:
                error, answer = answered(conn, action, batch_lines)
                if error is None and mode != "validate" and platform.COMMITTED not in answer:
                    # no error marker, and no word that it committed either (an answer cut short
                    # by a prompt inside it, `Commit aborted: ...`): unknown, not "committed"
                    said = " ".join(answer.split())[:160] or "nothing"
                    raise DeviceError(f"its answer does not say it committed ({said!r})")
            except Exception as exc:
                if mode == "validate":
                    raise
                # the commit went out and its answer never came back: the device may well have
                # applied it, so this is no "unchanged, not committed" (the diff stays)
                out["commit_unknown"] = True
                out["checkpoint"] = checkpoint  # made before it: if it did commit, the way back
                drop_connection(task.host, connection, abrupt=True)
                then = (f"; if it did, it rolls back by itself in {confirm_timeout}s (nobody accepts it)"
                        if mode == "confirmed" else f"; check {task.host.name}'s running config")
                return done(True, in_context(host_error(task.host, exc),
                                             f"{COMMIT_SENT}{action}` was sent: it may have committed{then}"))
            timings["commit"] = round(time.monotonic() - t, 4)
            if error is not None:
                out["device_error"] = error
                out["changed"] = False  # a failed commit leaves running config untouched
                leave_candidate(conn)
                drop_checkpoint()
                return done(True, out["device_error"])
            if mode == "validate":
                discard(conn, batch_lines)
            else:
                out["committed"] = True
                out["pending_confirm"] = mode == "confirmed"
                out["checkpoint"] = checkpoint
                if batch_lines <= 1 or conn._current_priv_level.name == "configuration":
                    leave_candidate(conn)  # `commit now` left the candidate; scrapli may not know
            return done()
        except Exception:
            if cuttable and uncommitted.cancelled(cancel):
                # the interrupt closed the session under a read (a discard, a device error's
                # way out): its candidate ended with it
                out["changed"] = False
                return lost_before_commit(INTERRUPTED)
            leave_candidate(conn)
            raise
        except BaseException:
            leave_candidate(conn)
            raise
        finally:
            lock.release()


COMMIT_SENT = " after `"  # how a lost commit's error goes on after the reason it was lost


def commit_lost_reason(error: str) -> str:
    """Why a commit's answer was lost, from apply_config's error for it (its context, "after
    `commit now` was sent: ...", taken off; an internal error's pointer to its traceback kept):
    for a caller that settled the outcome and says it in its own words (`in_context`)."""
    reason = error.split(COMMIT_SENT)[0]
    return reason + SEE_TRACEBACK if error.endswith(SEE_TRACEBACK) and not reason.endswith(SEE_TRACEBACK) else reason


def pending_confirm(conn: Any) -> str | None:
    """Why "unchanged" may not be true: a commit confirmed that nobody accepted (a run killed
    by SIGKILL before its accept, or another operator's) is in the running config this run
    compared with, and rolls back when its timer ends. Which of our lines it holds cannot be
    told, so the host is failed with how to settle it. None when there is none, or the device
    cannot say."""
    # `info from state` answers in any mode: typed as is, an open candidate stays open. A
    # read that fails raises: the caller drops the session (a late answer would be taken
    # for the next command's)
    [(_line, segment, _prompt)] = list(paste(conn, [platform.COMMIT_STATE], 1))
    text = segment.partition("\n")[2]
    if platform.show_failed(text):
        return None
    try:
        doc = json.loads(text[text.find("{"):]) if "{" in text else None
    except ValueError:
        return None
    ids = sorted(_unconfirmed(doc), key=str)
    if not ids:
        return None
    return (f"a commit confirmed (commit {', '.join(map(str, ids))}) is pending: until someone accepts it, "
            "it rolls back when its timer ends, and what it holds of this configuration with it (a "
            "--commit-confirmed run killed before its accept, or another operator's change); settle it "
            f"(`{platform.CONFIRMED_ACCEPT}` or `{platform.CONFIRMED_REJECT}`), then run again")


def _unconfirmed(doc: Any) -> list[Any]:
    """The ids of the commits whose status is `unconfirmed`, wherever the JSON nests them."""
    if isinstance(doc, dict):
        found = [doc.get("id", "?")] if doc.get("status") == "unconfirmed" else []
        return found + [i for v in doc.values() for i in _unconfirmed(v)]
    if isinstance(doc, list):
        return [i for v in doc for i in _unconfirmed(v)]
    return []


def confirm_commit(task: Task, accept: bool = True, checkpoint: str | None = None,
                   dry_run: bool | None = None) -> Result:
    """Accept (keep) or reject (roll back now) a pending `commit confirmed`.

    `checkpoint`: the one the commit was made with (`configure_fabric(checkpoint=...)`); a
    reject that went through clears it (best effort; result["checkpoint_cleared"]), as
    nothing of that change stands.
    A host that cannot be reached fails with result["error"] in one line, like the other
    tasks (the host that dropped after its commit is the case this step exists for).
    Under Nornir's dry-run switch nothing is sent (an accept or reject changes what the
    device runs): accepted and rejected are False, the host does not fail."""
    command = platform.CONFIRMED_ACCEPT if accept else platform.CONFIRMED_REJECT
    if task.is_dry_run(dry_run):
        return Result(host=task.host, result={"accepted": False, "rejected": False, "device_error": None,
                                              "error": None, "checkpoint_cleared": False})
    error, lost = one_command(task, command)
    cleared = False
    if not accept and checkpoint and error is None and lost is None:
        with contextlib.suppress(UserInputError, ValueError):  # a name of two lines (or a quote) is sent nowhere
            assert_one_line([checkpoint], f"{task.host.name}: checkpoint name")
            cleared = one_command(task, platform.clear_checkpoint(checkpoint)) == (None, None)
    if lost or error:
        log_failure(task, f"`{command}`", lost or error or "")
    if lost is not None:
        return Result(host=task.host, failed=True, result={
            "accepted": False, "rejected": False, "device_error": None, "error": lost,
            "checkpoint_cleared": False})
    return Result(
        # a reject rolled the running configuration back: the device changed
        host=task.host, failed=error is not None, changed=(not accept) and error is None,
        result={"accepted": accept and error is None, "rejected": (not accept) and error is None,
                "device_error": error, "error": error, "checkpoint_cleared": cleared},
    )


def health_check(task: Task) -> Result:
    """The device still answers on our session after a commit (no management lock-out).
    result = {"ok": bool, "error": the failed answer in one line, or None}."""
    conn = srl_connection(task)
    with session_lock(conn):
        log_sent(conn, [platform.SHOW_VERSION])
        response = conn.send_command(
            platform.SHOW_VERSION, failed_when_contains=list(platform.FAILED_WHEN_CONTAINS)
        )
    # the device's answer when it failed: "health_check failed" told the operator nothing
    # (written out like every answer read through cli_lines: it reaches a terminal)
    error = f"`{platform.SHOW_VERSION}`: {' '.join(visible(response.result).split())[:200]}" if response.failed else None
    return Result(host=task.host, failed=response.failed, result={"ok": not response.failed, "error": error})


def save_startup(task: Task, dry_run: bool | None = None) -> Result:
    """`save startup`: the running configuration becomes the one the device boots from (a
    commit changes running only; without a save a reboot brings the old one back).
    result = {"saved": bool, "error": one line or None}. Under Nornir's dry-run switch
    nothing is sent (`dry_run` overrides it): saved is False, the host does not fail."""
    if task.is_dry_run(dry_run):
        return Result(host=task.host, result={"saved": False, "error": None})
    error, lost = one_command(task, platform.SAVE_STARTUP)
    error = lost or error
    if error is not None:
        log_failure(task, f"`{platform.SAVE_STARTUP}`", error)
    # the startup configuration was written: a change of the device's, in Nornir's terms
    return Result(host=task.host, failed=error is not None, changed=error is None,
                  result={"saved": error is None, "error": error})


def configure_fabric(
    task: Task,
    fabric: FabricIntent | None = None,
    features: Sequence[str] = FEATURES,
    mode: ConfigMode = "commit",
    templates_dir: Path | str | None = None,
    confirm_timeout: int = DEFAULT_CONFIRM_TIMEOUT_S,
    accept: bool = True,
    cancel: threading.Event | None = None,
    renderer: Renderer | None = None,
    batch_lines: int = DEFAULT_BATCH_LINES,
    prune: bool = False,
    save: bool = False,
    checkpoint: str | None = None,
    dry_run: bool | None = None,
) -> Result:
    """Render and apply the host's features in one go; the grouped task for runbooks.

    prune=True first reads the host's BGP neighbors and deletes, in the same candidate,
    those of the intent's underlay/overlay groups the intent no longer has, and empties the
    address lists and ES interfaces it then sets (`nornir_evpn.prune`); result["pruned"]
    lists the delete lines read from the device (stale neighbors, LAG members, mac-vrf
    attachments and what stood behind them), result["config"] has them all.

    mode "confirmed" with accept=True commits with a rollback timer, checks the device
    still answers, then accepts; accept=False leaves the commit pending so the caller can
    accept or reject every host together (`confirm_commit`).
    save=True (modes "commit" and "confirmed" with accept; never under Nornir's dry-run)
    then saves the running configuration as the startup one, changed or not
    (`save_startup`): result["saved"]. With accept=False, accept (`confirm_commit`) and
    save (`save_startup`) yourself, on_failed=True.
    checkpoint: a name (e.g. `checkpoint_name()`): modes "commit" and "confirmed" first
    generate a device checkpoint of that name, kept once the commit is made
    (result["checkpoint"]; `rollback_checkpoint` reverts to it), cleared if nothing changed.
    dry_run: as in Nornir's own tasks, overrides its dry-run switch for this call (True: the
    diff is read, nothing committed or saved).
    Result = apply_config's dict plus "config", "error", "saved" and "seconds".
    """
    t0 = time.monotonic()
    entry: dict[str, Any] = {
        "changed": False, "diff": "", "committed": False, "device_error": None,
        "pending_confirm": False, "config": [], "pruned": [], "error": None, "commit_unknown": False,
        "saved": False, "replaced": [], "checkpoint": None, "checkpoint_left": None,
    }

    step = "render"

    def finish(failed: bool, error: str | None = None) -> Result:
        entry["error"] = error
        entry["seconds"] = round(time.monotonic() - t0, 3)
        if failed:
            log_failure(task, step, error or "failed")
        return Result(host=task.host, result=entry, changed=entry["changed"], diff=entry["diff"],
                      failed=failed)

    # all or nothing for bad templates and values, as the CLI's preflight: a template that
    # failed on some hosts left the others committed (a runbook with custom templates), and
    # each failing host logged a traceback. With `fabric` passed, as documented, the whole
    # run is rendered once; built here, the intent would differ per host (every host would
    # render the whole run again), so each host is checked on its own
    failure = None
    try:
        features = parse_features(features)
        renderer = renderer or shared_renderer(templates_dir)
        alone = fabric is None
        if alone:
            fabric = fabric_from_nornir(task.nornir)
        if outside_fabric(task.host, fabric):
            # a CE or another device in the run (`nr.run` on the whole inventory): this host
            # fails, the others go on (its render failing stopped every host)
            return finish(True, f"{fabric.gap(task.host.name)}: nothing sent")
        if not alone:
            failure = render_failure(task.nornir, fabric, renderer, features, getattr(task, RUN_ATTR, None))
        if alone or (failure is not None and failure[0] != task.host.name):  # its own error first
            renderer.render(host_node(task.host), fabric, features)
    except UserInputError as exc:  # also an unknown feature, no such templates directory
        return finish(True, str(exc))
    if failure is not None:
        return finish(True, failure[1] if failure[0] == task.host.name
                      else f"not sent: {failure[0]}'s configuration does not render: {failure[1]}")
    rendered = None
    try:
        # the subtasks whose results this task's own holds (its config, pruned lines, diff)
        # are DEBUG: `print_result` (INFO) printed a leaf's 110 config lines three times and its
        # diff four, 560 lines a leaf; one that fails is ERROR, and printed
        rendered = task.run(
            task=render_config, features=features, templates_dir=templates_dir, fabric=fabric,
            renderer=renderer, severity_level=logging.DEBUG,
        )
        entry["config"] = rendered.result["config"]
        # the reads before the commit may be cut by an interrupt too (`nornir_evpn.uncommitted`)
        with uncommitted.before_commit(cancel, task.host, CONNECTION):
            if prune:
                pruned = task.run(task=stale_config, features=features, batch_lines=batch_lines,
                                  config=entry["config"], severity_level=logging.DEBUG)
                entry["pruned"] = pruned.result["pruned"]
                # owned lists emptied and leftovers deleted first; the rendered lines then set what
                # the intent has (a deleted subinterface it re-uses comes back with its lines only)
                entry["config"] = [*list_resets(entry["config"]), *entry["pruned"], *entry["config"]]
            applied = task.run(
                task=apply_config, config=entry["config"], mode=mode,
                confirm_timeout=confirm_timeout, cancel=cancel, batch_lines=batch_lines,
                checkpoint=checkpoint, dry_run=dry_run, severity_level=logging.DEBUG,
            )
        entry.update({k: v for k, v in applied.result.items() if k != "error"})
        if mode == "confirmed" and entry["committed"] and accept:
            task.run(task=health_check)
            task.run(task=confirm_commit, accept=True, dry_run=dry_run)
            entry["pending_confirm"] = False
        if save and mode in ("commit", "confirmed") and accept and not task.is_dry_run(dry_run):
            saved = task.run(task=save_startup, dry_run=dry_run)
            entry["saved"] = saved.result["saved"]
    except NornirSubTaskError as exc:
        own = exc.result[0]  # the failed subtask's own Result
        step = _STEPS.get(own.name, own.name)
        if own.name == apply_config.__name__ and isinstance(own.result, dict) and not own.result.get("reached", True):
            step = "connect"
        if own.exception is None and isinstance(own.result, dict):
            entry.update({k: v for k, v in own.result.items() if k in entry and k != "config"})
            error = own.result.get("error") or own.result.get("device_error") or f"{own.name} failed"
            if own.name == save_startup.__name__:  # committed (and accepted): only the save failed
                error = f"{'committed' if entry['committed'] else 'unchanged'}, not saved to startup: " + \
                    not_authorized(error, "the user may not run `save startup`")
        else:
            error = host_error(task.host, own.exception or exc)
            drop_connection(task.host)  # session state unknown: drop it (discards candidates)
        if uncommitted.cancelled(cancel) and not entry["committed"] and not entry["commit_unknown"]:
            error = INTERRUPTED  # whatever failed, the interrupt is why nothing was committed
        elif entry["pending_confirm"] and platform.NO_PENDING_CONFIRM in error:
            # the accept came after the rollback timer: the device has already undone it
            entry.update(pending_confirm=False, committed=False, changed=False)
            error = f"{error}: the commit rolled back, its {confirm_timeout}s timer ran out before the accept"
        elif entry["pending_confirm"]:
            error = f"{error} (commit not accepted: it rolls back {confirm_timeout}s after its commit)"
        elif own.name == apply_config.__name__ and platform.not_authorized(error):
            # the user's role, not the template: said as such, with the privilege it lacks
            error = not_authorized(error, _privilege_needed(error))
        elif own.name == apply_config.__name__ and rendered is not None:
            error = _with_template(error, rendered.result["features"], renderer)
        return finish(True, error)
    return finish(False)


def _privilege_needed(error: str) -> str:
    """What configure needed of the user whose line SR Linux refused for its role."""
    if error.startswith(platform.generate_checkpoint("", "").partition(" name ")[0]):
        return ("configure makes a checkpoint before its commit, which needs `tools system configuration`: "
                "`--no-checkpoint` goes without; nothing was changed")
    return ("configure types the intent into a private candidate, a dry run's and a validate's too, and "
            "SR Linux authorizes each line as it is typed: the user needs write access to what configure "
            "sets (README, Privileges); nothing was changed")


def _with_template(error: str, features: dict[str, list[str]], renderer: Renderer) -> str:
    """A line the device refused (`set / ...: Error: ...`) with the template that rendered it:
    `(from templates/multihoming.j2)`, for the author of one's own templates."""
    for feature, lines in features.items():
        if any(error.startswith(f"{line}: ") for line in lines):
            return f"{error} (from {renderer.template(feature).filename})"
    return error


# configure_fabric's subtasks, as its failure log line names them
_STEPS = {"render_config": "render", "stale_config": "prune (reading the device)",
          "apply_config": "configure (load, diff, commit)", "health_check": "health check after the commit",
          "confirm_commit": f"`{platform.CONFIRMED_ACCEPT}`", "save_startup": f"`{platform.SAVE_STARTUP}`"}


def stale_config(task: Task, features: Sequence[str] = FEATURES,
                 batch_lines: int = DEFAULT_BATCH_LINES, config: Sequence[str] = ()) -> Result:
    """The delete lines for what an older intent left behind (`nornir_evpn.prune`), read
    from the device over the host's session: BGP neighbors, the members of the LAGs the
    rendered `config` sets that it does not list, and what a CE taken out of the topology
    left attached to the mac-vrf (its LAG and ES, or its port's subinterface), and the
    routed link that faced a node taken out; result = {"pruned": [lines]}."""
    try:
        node = host_node(task.host)
    except UserInputError as exc:  # a CE, a host without a role: nothing is read, one line
        log_failure(task, "prune (reading the device)", str(exc))
        return Result(host=task.host, failed=True, result={"pruned": [], "error": str(exc)})
    lags = lag_commands(config) if "multihoming" in features else []
    attachments, links = attachment_commands(node, features), link_commands(features)
    reads = list(dict.fromkeys([*PRUNE_COMMANDS, *lags, *attachments, *links]))  # `interface *` once
    try:
        conn = srl_connection(task)
        with session_lock(conn):
            answer = dict(zip(reads, run_commands(conn, reads, batch_lines), strict=True))
    except Exception as exc:  # one line in the result, as the other tasks
        drop_connection(task.host)
        error = host_error(task.host, exc)
        log_failure(task, "prune (reading the device)", error)
        return Result(host=task.host, failed=True, result={"pruned": [], "error": error})
    stale = stale_neighbors(node, features, answer[PRUNE_COMMANDS[0]])  # parsed once: two uses
    pruned = neighbor_deletes(stale)
    if lags:
        pruned += stale_member_lines(config, [answer[c] for c in lags])
    pruned += stale_attachment_lines(node, config, [answer[c] for c in attachments])
    pruned += stale_link_lines(node, config, stale, [answer[c] for c in links])
    return Result(host=task.host, result={"pruned": list(dict.fromkeys(pruned)), "error": None})

