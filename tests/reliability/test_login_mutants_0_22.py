"""Gaps mutation testing of 0.22's login found (nornir_evpn/session.py: `login_prompt`,
`repeated_last_line`, the LOGIN_ENVIRONMENT answers): each test kills a mutant the suite let
live. `login_prompt` runs against a scrapli SR Linux driver whose channel is a script."""

from __future__ import annotations

import pytest
from scrapli import Scrapli
from scrapli.exceptions import ScrapliTimeout

from nornir_evpn.errors import DeviceError
from nornir_evpn.session import login_prompt, repeated_last_line
from nornir_evpn.twin.cli_engine import CliSession
from reliability.helpers import Watch, run_cli
from reliability.test_faults import wait_sessions_closed

RUNNING = b"--{ running }--[  ]--\nA:leaf1# "


class Script:
    """A channel answering reads from `chunks`, then failing as `end` (a read that ran out)."""

    def __init__(self, chunks: list[bytes], end: Exception | None = None) -> None:
        self.chunks = list(chunks)
        self.end = end or ScrapliTimeout("timed out during read of the transport")
        self.returns = 0

    def send_return(self) -> None:
        self.returns += 1

    def read(self) -> bytes:
        if not self.chunks:
            raise self.end
        return self.chunks.pop(0)


def driver(channel: Script) -> Scrapli:
    conn = Scrapli(host="127.0.0.1", port=1, auth_username="admin", auth_password="x", auth_strict_key=False,
                   transport="system", platform="nokia_srlinux")
    conn.channel = channel
    return conn


def test_the_login_prompt_is_read_once_and_its_mode_told_to_scrapli() -> None:
    conn = driver(Script([b"Welcome to the srlinux CLI.\n", RUNNING, b"\n" + RUNNING]))
    assert login_prompt(conn) == "--{ running }--[  ]--\nA:leaf1#"  # as scrapli's get_prompt: stripped
    assert conn.channel.returns == 1 and conn._current_priv_level.name == "exec"
    conn = driver(Script([b"--{ candidate private private-admin }--[  ]--\nA:leaf1# "]))
    login_prompt(conn)
    assert conn._current_priv_level.name == "configuration"


def test_a_prompt_of_its_own_is_said_only_when_the_read_ran_out() -> None:
    own = [b"Welcome\nleaf1# ", b"\nleaf1# "]
    with pytest.raises(DeviceError, match=r"^the device's prompt 'leaf1#' is not SR Linux's two-line prompt"):
        login_prompt(driver(Script(own)))
    # the session ended (not a timeout): that error, not a prompt of its own
    with pytest.raises(OSError, match="reset"):
        login_prompt(driver(Script(own, OSError("connection reset by peer"))))
    # a banner and then nothing: the timeout it is
    with pytest.raises(ScrapliTimeout):
        login_prompt(driver(Script([b"Welcome to the srlinux CLI.\n"])))


def test_a_prompt_is_the_last_line_and_shown_twice() -> None:
    assert repeated_last_line("Welcome\nleaf1# ") == ""  # two lines, the last shown once
    assert repeated_last_line("leaf1# \nleaf1# \n   \n") == "leaf1#"  # blank lines are no line
    long = "x" * 150 + "#"
    assert repeated_last_line(f"{long}\n{long}") == long[-120:]  # its end, where a prompt ends


def test_a_refused_login_environment_command_fails_the_host_in_words(watch: Watch, capsys, monkeypatch):
    """The tool relies on `environment complete-on-space false` (and the basic CLI engine):
    a device refusing it fails the host, naming the command and the device's words once."""
    real = CliSession._environment

    def refuse(self, line, tokens):
        if "complete-on-space" in line:
            return "Error: Unknown token 'complete-on-space'"
        return real(self, line, tokens)

    monkeypatch.setattr(CliSession, "_environment", refuse)
    run = run_cli(capsys, "verify", "--twin", "--twin-state", str(watch.state), "--json")
    assert run.code == 1
    errors = {h: e["error"] for h, e in run.doc["hosts"].items()}
    assert set(errors.values()) == {
        "`environment complete-on-space false` at login was refused: Error: Unknown token 'complete-on-space' "
        "(the tool relies on it for this session; README, The account's CLI environment)"}, errors
    monkeypatch.undo()
    wait_sessions_closed(watch)
    watch.assert_clean()


def test_a_login_in_another_mode_is_brought_to_running_mode_first(monkeypatch) -> None:
    """A login that lands in a candidate (its prompt `--{ candidate ... }--`) is brought back to
    running mode before the environment commands: they and every read assume it (mutation
    testing: leaving the `acquire_priv` out lived)."""
    from nornir_evpn import session

    conn = driver(Script([]))
    asked: list[str] = []

    def in_candidate(c) -> str:  # type: ignore[no-untyped-def]
        c._current_priv_level = c.privilege_levels["configuration"]
        return "--{ candidate private private-admin }--[  ]--\nA:leaf1#"

    class Stop(Exception):
        pass

    def acquire(level: str) -> None:
        asked.append(level)
        raise Stop

    monkeypatch.setattr(session, "login_prompt", in_candidate)
    monkeypatch.setattr(conn, "acquire_priv", acquire)
    with pytest.raises(Stop):
        session.on_open(conn)
    assert asked == [conn.default_desired_privilege_level] == ["exec"]
