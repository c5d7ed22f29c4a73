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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from nornir.core.exceptions import NornirSubTaskError
from nornir.core.plugins.connections import ConnectionPluginRegister
from nornir.core.task import Result, Task
from nornir_scrapli.connection import ScrapliCore
from scrapli.driver.network.base_driver import PrivilegeLevel
from scrapli.response import MultiResponse

from nornir_evpn import __version__, platform, ssh2_guard, uncommitted
from nornir_evpn.device_text import visible
from nornir_evpn.errors import DeviceError, UnsafeValueError, UserInputError
from nornir_evpn.failures import (  # noqa: F401 - also their 0.9 home
    LOST,
    connection_setting,
    host_error,
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
from nornir_evpn.session import host_lock, log_sent, name_session, note_mode, paste, session_lock
from nornir_evpn.validation import assert_one_line

ConfigMode = Literal["dry-run", "validate", "commit", "confirmed"]
MODES: tuple[str, ...] = ("dry-run", "validate", "commit", "confirmed")
DEFAULT_CONFIRM_TIMEOUT_S = 60

CONNECTION = "scrapli"
# under Nornir's logger (the only one it configures): -v writes it to --log-file
log = logging.getLogger("nornir.nornir_evpn.tasks")
# a second session to the same host (same plugin, same parameters): see srl_connection
SPARE_CONNECTION = "scrapli_spare"
ConnectionPluginRegister.register(SPARE_CONNECTION, ScrapliCore)
INTERRUPTED = "interrupted: candidate discarded, nothing committed"
# lines typed ahead of the device's answers (`batch_lines=1`: one at a time, each prompt
# awaited); what is unanswered is also capped in bytes (session.BATCH_MAX_BYTES)
DEFAULT_BATCH_LINES = 64
# the comment of the checkpoints configure generates before a commit (`apply_config(checkpoint=)`)
CHECKPOINT_COMMENT = f"nornir_evpn {__version__}: before configure"


def log_failure(task: Any, step: str, reason: str) -> None:
    """One WARNING line per failed host: `leaf2: verify (show commands): timeout: ...`. A
    subtask leaves it to the task that ran it (which knows the whole story), so a failure
    is logged once."""
    if getattr(task, "parent_task", None) is None:
        log.warning("%s: %s: %s", task.host.name, step, reason)


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


@dataclass(frozen=True)
class RunRender:
    """A whole run rendered locally, before any host connects: the first host (in natural
    order) whose configuration does not render, with the error (a template error, an unsafe
    value), or None; and, when every host rendered, the features that rendered nothing on
    any of them."""

    failure: tuple[str, UserInputError] | None
    silent: frozenset[str]


# (renderer, fabric, features, hosts) -> what rendering that run gave; the last few runs
# only (a service configures one fabric over and over)
_RUN_RENDERS: dict[tuple[int, int, tuple[str, ...], frozenset[str]],
                   tuple[Any, Any, tuple[Any, ...], RunRender]] = {}
_RUN_RENDERS_LOCK = threading.Lock()
_RUN_RENDERS_KEPT = 8


def render_run(nr: Any, fabric: FabricIntent, renderer: Renderer,
               features: tuple[str, ...]) -> RunRender:
    """Render every host of the run `nr` once: what the CLI's preflight checks before any
    connection, and what a runbook's `nr.run(task=configure_fabric, fabric=...)` checks
    before its first host sends a line. Rendered once per run (renderer, fabric, features
    and hosts), the hosts' tasks waiting for that one pass."""
    from nornir_evpn.intent import natural_key

    hosts = nr.inventory.hosts
    key = (id(renderer), id(fabric), features, frozenset(hosts))
    with _RUN_RENDERS_LOCK:
        # an edited template is another template (`Renderer.template` loads it again): a run
        # after the edit renders again, whatever the last run found
        templates = tuple(renderer.template(f) for f in features)
        seen = _RUN_RENDERS.get(key)
        if seen is not None and seen[0] is renderer and seen[1] is fabric and seen[2] == templates:
            return seen[3]
        failure = None
        silent = set(features)
        for name in sorted(hosts, key=natural_key):
            try:
                rendered = renderer.render(host_node(hosts[name]), fabric, features)
            except UserInputError as exc:
                failure = (name, exc)
                break
            silent -= {f for f, lines in rendered.items() if lines}
        outcome = RunRender(failure, frozenset() if failure else frozenset(silent))
        if len(_RUN_RENDERS) >= _RUN_RENDERS_KEPT:
            _RUN_RENDERS.pop(next(iter(_RUN_RENDERS)))
        _RUN_RENDERS[key] = (renderer, fabric, templates, outcome)
        return outcome


def render_failure(nr: Any, fabric: FabricIntent, renderer: Renderer,
                   features: tuple[str, ...]) -> tuple[str, str] | None:
    """(host, error) for the first host of the run `nr` whose configuration does not render,
    or None (`render_run`)."""
    failure = render_run(nr, fabric, renderer, features).failure
    return None if failure is None else (failure[0], str(failure[1]))


def srl_connection(task: Task, connection: str = CONNECTION) -> Any:
    """The host's scrapli driver, escalating to a *private* candidate (not exclusive).

    `connection=SPARE_CONNECTION` opens a second session with the same parameters, for a
    restore that must not wait for (or close) a session another thread is still reading.
    """
    ssh2_guard.install()  # a dropped session must never freeze the process when it is freed
    with host_lock(task.host):  # two runs of one Nornir object: one session, not two
        if connection != CONNECTION and connection not in task.host.connections:
            p = task.host.get_connection_parameters(CONNECTION)
            task.host.open_connection(
                connection, task.nornir.config, hostname=p.hostname, username=p.username,
                password=p.password, port=p.port, platform=p.platform, extras=p.extras,
                default_to_host_attributes=False,
            )
        conn = task.host.get_connection(connection, task.nornir.config)
    name_session(conn, task.host.name)
    current = conn.privilege_levels.get("configuration")
    if current is None or current.escalate != platform.ENTER_CANDIDATE_PRIVATE:
        # a new dict: the platform's default levels are shared by every driver instance
        conn.privilege_levels = {
            **conn.privilege_levels,
            "configuration": PrivilegeLevel(**platform.SCRAPLI_PRIVATE_CANDIDATE_PRIV),
        }
        conn.update_privilege_levels()
    return conn


def leave_candidate(conn: Any) -> None:
    """Back to running mode, discarding any open candidate (`discard now`); best effort."""
    # acquire_priv reads the real prompt, so it also fixes scrapli's idea of the mode
    # after `commit now`/`discard now` left the candidate inside send_configs. A dead
    # session has no candidate left to discard, hence the suppress.
    with contextlib.suppress(Exception):
        conn.acquire_priv("exec")


@dataclass
class Loaded:
    """What loading lines into the candidate gave: the first device error, the last output,
    and the answers to the reads sent after the lines (`load_lines(reads=...)`)."""

    error: str | None
    last_output: str
    reads: list[str] = field(default_factory=list)


def load_lines(conn: Any, lines: Sequence[str], batch_lines: int = DEFAULT_BATCH_LINES,
               cancel: threading.Event | None = None, reads: Sequence[str] = (),
               before: Sequence[str] = ()) -> Loaded:
    """Send `lines` in the private candidate, at most `batch_lines` unanswered at a time,
    then the read commands `reads` (the diffs) in the same paste. `before`: commands run in
    running mode first (a checkpoint), checked like the lines; the session must be in
    running mode then.

    Lines are typed ahead like a paste into the SR Linux CLI (see `session.paste`): the device
    still runs each line on its own and answers each; only the waiting between lines is
    gone (with 300 lines per leaf that waiting is most of a configure). Unless scrapli knows
    the session is in a candidate already, `enter candidate private` is the paste's first
    line: the session must then be in running mode (fresh, or after `leave_candidate`).
    Each line's answer is checked for the failure markers; the first failing line stops the
    load and is reported as `<line>: <device text>`. A read's answer is data (a diff holds
    descriptions, which may say `MAJOR:`): it fails only when its first line is an error.
    `batch_lines=1` sends line by line through scrapli's `send_configs` instead.
    Once `cancel` is set the load ends with error INTERRUPTED without waiting for the
    answers to the lines typed: the caller must drop the session (and with it the candidate).
    """
    if batch_lines <= 1:
        for command in before:
            log_sent(conn, [command])
            response = conn.send_command(command, failed_when_contains=list(platform.FAILED_WHEN_CONTAINS))
            if response.failed:
                return Loaded(_line_error(command, response.result), "")
        responses = _send(conn, list(lines))
        if responses.failed:
            return Loaded(_device_error(responses), "")
        answers = [visible(r.result) for r in responses]
        if reads:
            read = _send(conn, list(reads), checked=False)
            answers = [visible(r.result) for r in read]
            failed = next((r for r in read if _read_failed(r.result)), None)
            if failed is not None:
                return Loaded(_line_error(failed.channel_input, failed.result), "")
        return Loaded(None, answers[-1] if answers else "", answers if reads else [])
    if conn._current_priv_level.name != "configuration":
        lines = [*before, platform.ENTER_CANDIDATE_PRIVATE, *lines]
    elif before:
        raise ValueError("load_lines(before=...) needs a session in running mode")
    return _paste_checked(conn, [*lines, *reads], batch_lines, cancel, len(reads))


def _read_failed(answer: str) -> bool:
    """A read command's answer is an error: its first line carries a failure marker."""
    return platform.has_failure_marker(answer.lstrip().partition("\n")[0])


def _paste_checked(conn: Any, lines: Sequence[str], batch_lines: int,
                   cancel: threading.Event | None = None, reads: int = 0) -> Loaded:
    """Paste `lines`, keep scrapli's mode in step with each prompt, stop at the first answer
    carrying a failure marker (reported as `<line>: <device text>`). The last `reads` lines
    are read commands: their answers are kept, and fail only on their first line."""
    last = ""
    answered = 0
    kept: list[str] = []
    first_read = len(lines) - reads
    mode_of = ""  # the prompt scrapli's mode was last set from (it changes a few times a load)
    for line, segment, prompt in paste(conn, lines, batch_lines, None if cancel is None else cancel.is_set):
        if prompt != mode_of:
            note_mode(conn, prompt)
            mode_of = prompt
        # a segment is the echoed line, then the device's answer to it
        _, _, answer = segment.partition("\n")
        if (_read_failed(answer) if answered >= first_read else platform.has_failure_marker(answer)):
            return Loaded(_line_error(line, answer), "")
        if answered >= first_read:
            kept.append(answer)
        answered += 1
        last = answer
    if answered < len(lines):
        return Loaded(INTERRUPTED, "")
    return Loaded(None, last, kept)


def send_line(conn: Any, line: str, batch_lines: int = DEFAULT_BATCH_LINES) -> str | None:
    """One config-mode command (`commit now`, `discard now`, ...): the device's error text, or
    None. Pasted, it is one round trip and scrapli learns the mode from the prompt after it;
    `batch_lines=1` goes through scrapli's `send_configs` (it checks the mode first)."""
    return _answered(conn, line, batch_lines)[0]


def _answered(conn: Any, line: str, batch_lines: int) -> tuple[str | None, str]:
    """`send_line` that also gives the device's answer: (its error text or None, the answer)."""
    if batch_lines <= 1:
        responses = _send(conn, [line])
        return (_device_error(responses) if responses.failed else None), visible(responses[0].result)
    loaded = _paste_checked(conn, [line], 1)
    return loaded.error, loaded.last_output


def discard(conn: Any, batch_lines: int = DEFAULT_BATCH_LINES) -> None:
    """Leave the candidate this session is known to be in: `discard now`, one round trip when
    pasted; anything unexpected falls back to `leave_candidate` (which reads the prompt)."""
    if batch_lines > 1 and conn._current_priv_level.name == "configuration":
        with contextlib.suppress(Exception):  # leave_candidate below is the careful path
            if send_line(conn, platform.DISCARD_NOW, batch_lines) is None and \
                    conn._current_priv_level.name != "configuration":
                return
    leave_candidate(conn)


def run_commands(conn: Any, commands: Sequence[str], batch_lines: int = DEFAULT_BATCH_LINES) -> list[str]:
    """Run operational commands (`show ...`) in running mode, typed ahead like `load_lines`
    pastes config lines; each command's answer, in order, without its echo and prompt.
    `batch_lines=1` uses scrapli's `send_commands` (one round trip each)."""
    assert_one_line(commands, "command")
    if batch_lines <= 1:
        # strip_prompt=False: scrapli's prompt regex over a 128-leaf route table costs more
        # CPU than the parsing, and the parsers drop prompt and echo lines (clean_lines)
        log_sent(conn, commands)
        responses = conn.send_commands(list(commands), strip_prompt=False)
        return [visible(r.result) for r in responses]
    if conn._current_priv_level.name != conn.default_desired_privilege_level:
        conn.acquire_priv(conn.default_desired_privilege_level)  # as scrapli's send_command does
    return [segment.partition("\n")[2] for _, segment, _ in paste(conn, commands, batch_lines)]


def _send(conn: Any, lines: list[str], checked: bool = True) -> MultiResponse:
    log_sent(conn, lines)
    return conn.send_configs(
        lines,
        privilege_level="configuration",
        stop_on_failed=True,
        failed_when_contains=list(platform.FAILED_WHEN_CONTAINS) if checked else [],
    )


def _device_error(responses: MultiResponse) -> str:
    """`<line>: <device text>` of the first failed line."""
    for response in responses:
        if response.failed:
            return _line_error(response.channel_input, response.result)
    return "device reported a failure"


def _line_error(line: str, answer: str) -> str:
    """`<line>: <device text>` on one line (the line alone when the device said nothing)."""
    text = " ".join(visible(answer).split())
    return f"{line}: {text}" if text else line


def count_diff(diff: str) -> tuple[int, int]:
    """(+ lines, - lines) of a `diff flat` (`platform.DIFF_ADDED` / `DIFF_REMOVED`)."""
    lines = [line.lstrip() for line in diff.splitlines()]
    return (
        sum(1 for line in lines if line.startswith(platform.DIFF_ADDED)),
        sum(1 for line in lines if line.startswith(platform.DIFF_REMOVED)),
    )


def apply_config(
    task: Task,
    config: list[str],
    mode: ConfigMode = "commit",
    confirm_timeout: int = DEFAULT_CONFIRM_TIMEOUT_S,
    cancel: threading.Event | None = None,
    batch_lines: int = DEFAULT_BATCH_LINES,
    connection: str = CONNECTION,
    checkpoint: str | None = None,
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

    Nornir's own dry-run switch (`InitNornir(dry_run=True)`) makes "commit" and "confirmed"
    a "dry-run": the diff is read, nothing is committed.

    result = {"changed", "diff", "committed", "device_error", "pending_confirm", "timings",
    "error", "reached", "commit_unknown", "replaced", "checkpoint", "checkpoint_left"}, also
    when the host cannot be reached (error = one line, reached False: nothing can have been
    applied). commit_unknown: the
    session was lost after the commit was sent, so it may have been applied (the diff is
    kept). replaced: [{"path", "old", "new"}] for each running value the candidate changes
    (read from the hierarchical `diff`; `diff flat` shows them as inserts).
    No diff → nothing is committed and `changed` is False.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    if mode in ("commit", "confirmed") and task.is_dry_run():
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
        return done(True, INTERRUPTED if cancel is not None and cancel.is_set() else error)

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
            return done(True, INTERRUPTED if cancel is not None and cancel.is_set() else host_error(task.host, exc))
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
                error, answer = _answered(conn, action, batch_lines)
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
            if cuttable and cancel is not None and cancel.is_set():
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


@contextlib.contextmanager
def running_session(task: Task) -> Iterator[Any]:
    """The host's session in running mode (no candidate left open by an earlier task), held
    for this task alone while the block runs. Its failures are the caller's to report."""
    conn = srl_connection(task)
    with session_lock(conn):
        leave_candidate(conn)
        yield conn


def _one_command(task: Task, command: str) -> tuple[str | None, str | None]:
    """Run `command` in running mode: (the device's error, the transport's), one line each,
    None when there is none. A transport error drops the session."""
    try:
        with running_session(task) as conn:
            log_sent(conn, [command])
            response = conn.send_command(command, failed_when_contains=list(platform.FAILED_WHEN_CONTAINS))
    except Exception as exc:  # transport/auth/timeout: one line, the session dropped
        drop_connection(task.host)
        return None, host_error(task.host, exc)
    return (" ".join(response.result.split()) if response.failed else None), None


def confirm_commit(task: Task, accept: bool = True, checkpoint: str | None = None) -> Result:
    """Accept (keep) or reject (roll back now) a pending `commit confirmed`.

    `checkpoint`: the one the commit was made with (`configure_fabric(checkpoint=...)`); a
    reject that went through clears it (best effort; result["checkpoint_cleared"]), as
    nothing of that change stands.
    A host that cannot be reached fails with result["error"] in one line, like the other
    tasks (the host that dropped after its commit is the case this step exists for)."""
    command = platform.CONFIRMED_ACCEPT if accept else platform.CONFIRMED_REJECT
    error, lost = _one_command(task, command)
    cleared = False
    if not accept and checkpoint and error is None and lost is None:
        with contextlib.suppress(UserInputError):  # a name of two lines is sent nowhere
            assert_one_line([checkpoint], f"{task.host.name}: checkpoint name")
            cleared = _one_command(task, platform.clear_checkpoint(checkpoint)) == (None, None)
    if lost or error:
        log_failure(task, f"`{command}`", lost or error or "")
    if lost is not None:
        return Result(host=task.host, failed=True, result={
            "accepted": False, "rejected": False, "device_error": None, "error": lost,
            "checkpoint_cleared": False})
    return Result(
        host=task.host, failed=error is not None,
        result={"accepted": accept and error is None, "rejected": (not accept) and error is None,
                "device_error": error, "error": error, "checkpoint_cleared": cleared},
    )


def health_check(task: Task) -> Result:
    """The device still answers on our session after a commit (no management lock-out)."""
    conn = srl_connection(task)
    with session_lock(conn):
        log_sent(conn, [platform.SHOW_VERSION])
        response = conn.send_command(
            platform.SHOW_VERSION, failed_when_contains=list(platform.FAILED_WHEN_CONTAINS)
        )
    return Result(host=task.host, failed=response.failed, result={"ok": not response.failed})


def save_startup(task: Task) -> Result:
    """`save startup`: the running configuration becomes the one the device boots from (a
    commit changes running only; without a save a reboot brings the old one back).
    result = {"saved": bool, "error": one line or None}."""
    error, lost = _one_command(task, platform.SAVE_STARTUP)
    error = lost or error
    if error is not None:
        log_failure(task, f"`{platform.SAVE_STARTUP}`", error)
    return Result(host=task.host, failed=error is not None, result={"saved": error is None, "error": error})


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
        else:
            failure = render_failure(task.nornir, fabric, renderer, features)
        if alone or (failure is not None and failure[0] != task.host.name):  # its own error first
            renderer.render(host_node(task.host), fabric, features)
    except UserInputError as exc:  # also an unknown feature, no such templates directory
        return finish(True, str(exc))
    if failure is not None:
        return finish(True, failure[1] if failure[0] == task.host.name
                      else f"not sent: {failure[0]}'s configuration does not render: {failure[1]}")
    rendered = None
    try:
        rendered = task.run(
            task=render_config, features=features, templates_dir=templates_dir, fabric=fabric,
            renderer=renderer,
        )
        entry["config"] = rendered.result["config"]
        # the reads before the commit may be cut by an interrupt too (`nornir_evpn.uncommitted`)
        with uncommitted.before_commit(cancel, task.host, CONNECTION):
            if prune:
                pruned = task.run(task=stale_config, features=features, batch_lines=batch_lines,
                                  config=entry["config"])
                entry["pruned"] = pruned.result["pruned"]
                # owned lists emptied and leftovers deleted first; the rendered lines then set what
                # the intent has (a deleted subinterface it re-uses comes back with its lines only)
                entry["config"] = [*list_resets(entry["config"]), *entry["pruned"], *entry["config"]]
            applied = task.run(
                task=apply_config, config=entry["config"], mode=mode,
                confirm_timeout=confirm_timeout, cancel=cancel, batch_lines=batch_lines,
                checkpoint=checkpoint,
            )
        entry.update({k: v for k, v in applied.result.items() if k != "error"})
        if mode == "confirmed" and entry["committed"] and accept:
            task.run(task=health_check)
            task.run(task=confirm_commit, accept=True)
            entry["pending_confirm"] = False
        if save and mode in ("commit", "confirmed") and accept and not task.is_dry_run():
            saved = task.run(task=save_startup)
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
                error = f"{'committed' if entry['committed'] else 'unchanged'}, not saved to startup: {error}"
        else:
            error = host_error(task.host, own.exception or exc)
            drop_connection(task.host)  # session state unknown: drop it (discards candidates)
        if cancel is not None and cancel.is_set() and not entry["committed"] and not entry["commit_unknown"]:
            error = INTERRUPTED  # whatever failed, the interrupt is why nothing was committed
        elif entry["pending_confirm"] and platform.NO_PENDING_CONFIRM in error:
            # the accept came after the rollback timer: the device has already undone it
            entry.update(pending_confirm=False, committed=False, changed=False)
            error = f"{error}: the commit rolled back, its {confirm_timeout}s timer ran out before the accept"
        elif entry["pending_confirm"]:
            error = f"{error} (commit not accepted: it rolls back {confirm_timeout}s after its commit)"
        elif own.name == apply_config.__name__ and rendered is not None:
            error = _with_template(error, rendered.result["features"], renderer)
        return finish(True, error)
    return finish(False)


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
    node = host_node(task.host)
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


def drop_connection(host: Any, connection: str = CONNECTION, *, abrupt: bool = False) -> None:
    """Close `host`'s scrapli session; if closing fails (session dead or device silent), or
    at once when `abrupt` (a graceful close first waits for every typed line's answer),
    shut its socket down so the device ends the session, and any private candidate, now."""
    conn = host.connections.get(connection)
    if conn is None:
        return
    try:
        if abrupt:
            raise ConnectionAbortedError
        host.close_connection(connection)
    except Exception:
        host.connections.pop(connection, None)
        ssh2_guard.release(getattr(conn.connection, "transport", None))
