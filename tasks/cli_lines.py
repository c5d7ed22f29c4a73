"""Lines typed into an SR Linux CLI session: the host's scrapli connection (its private
candidate), config lines loaded into it, one config command, operational commands, a
device's error in one line, and dropping the session.

The configure, verify, checkpoint and failover tasks all talk to a device through these;
`nornir_evpn.session.paste` is the typing-ahead underneath.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from nornir.core.plugins.connections import ConnectionPluginRegister
from nornir.core.task import Task
from nornir_scrapli.connection import ScrapliCore
from scrapli.driver.network.base_driver import PrivilegeLevel
from scrapli.response import MultiResponse

from nornir_evpn import platform, ssh2_guard, uncommitted
from nornir_evpn.device_text import visible
from nornir_evpn.failures import host_error
from nornir_evpn.session import host_lock, log_sent, name_session, note_mode, paste, session_lock
from nornir_evpn.validation import assert_one_line

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


def log_failure(task: Any, step: str, reason: str) -> None:
    """One WARNING line per failed host: `leaf2: verify (show commands): timeout: ...`. A
    subtask leaves it to the task that ran it (which knows the whole story), so a failure
    is logged once."""
    if getattr(task, "parent_task", None) is None:
        log.warning("%s: %s: %s", task.host.name, step, reason)


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
        answers: list[str] = []
        if lines:
            responses = _send(conn, list(lines))
            if responses.failed:
                return Loaded(_device_error(responses), "")
            answers = [visible(r.result) for r in responses]
        elif conn._current_priv_level.name != "configuration":
            # nothing to type (a spine under `--features overlay` of a full mesh): scrapli's
            # send_configs([]) raises IndexError; the candidate is entered all the same, as
            # the paste path does, so the reads and the commit that follow find it
            conn.acquire_priv("configuration")
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
    are read commands: their answers are kept, and fail only on their first line.
    After a failure nothing more is typed, and the answers of the lines typed ahead of it
    are read (the device runs them all): the session's next command then reads its own
    answer, not theirs (a rollback's revert read `diff flat`'s error as its own)."""
    last = ""
    answered = 0
    kept: list[str] = []
    failed: list[str] = []  # the first failing line's error (the paste holds its typing then)
    first_read = len(lines) - reads
    mode_of = ""  # the prompt scrapli's mode was last set from (it changes a few times a load)
    for line, segment, prompt in paste(conn, lines, batch_lines, None if cancel is None else cancel.is_set,
                                       hold=lambda: bool(failed)):
        if prompt != mode_of:
            note_mode(conn, prompt)
            mode_of = prompt
        if failed:
            continue  # typed before the failure was read: answered, nothing more to check
        # a segment is the echoed line, then the device's answer to it
        _, _, answer = segment.partition("\n")
        if (_read_failed(answer) if answered >= first_read else platform.has_failure_marker(answer)):
            failed.append(_line_error(line, answer))
            continue
        if answered >= first_read:
            kept.append(answer)
        answered += 1
        last = answer
    if failed and not uncommitted.cancelled(cancel):
        return Loaded(failed[0], "")
    if failed or answered < len(lines):
        return Loaded(INTERRUPTED, "")  # cut short, mid-answer: the caller drops the session
    return Loaded(None, last, kept)


def send_line(conn: Any, line: str, batch_lines: int = DEFAULT_BATCH_LINES) -> str | None:
    """One config-mode command (`commit now`, `discard now`, ...): the device's error text, or
    None. Pasted, it is one round trip and scrapli learns the mode from the prompt after it;
    `batch_lines=1` goes through scrapli's `send_configs` (it checks the mode first)."""
    return answered(conn, line, batch_lines)[0]


def answered(conn: Any, line: str, batch_lines: int) -> tuple[str | None, str]:
    """`send_line` that also gives the device's answer: (its error text or None, the answer);
    a commit's answer is read for what it says (`apply_config`)."""
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


@contextlib.contextmanager
def running_session(task: Task) -> Iterator[Any]:
    """The host's session in running mode (no candidate left open by an earlier task), held
    for this task alone while the block runs. Its failures are the caller's to report."""
    conn = srl_connection(task)
    with session_lock(conn):
        leave_candidate(conn)
        yield conn


def one_command(task: Task, command: str) -> tuple[str | None, str | None]:
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
