"""The account's own SR Linux CLI environment (~/.srlinuxrc, loaded at every login).

An operator often saves a CLI environment for the account (`environment save home`): a prompt
of their own among it (`environment prompt VALUE`, srl_nokia-system-cli.yang: keywords such
as `{host}` and `{pwc}` filled in, `\\n` a newline). The tool reads SR Linux's two-line prompt
(`--{ running }--[  ]--` then `A:leaf1# `), in the forms SR Linux prints it by default (25.10:
a blank line first and `A:admin@leaf1# `); another prompt fails the host in words naming it,
not as a timeout of a device that answered. `twin fault saved-prompt` gives the twin's user
such a saved prompt.
"""

from __future__ import annotations

import pytest

from nornir_evpn.commands.twin_fault import RESTORABLE, build_request
from nornir_evpn.errors import UserInputError
from nornir_evpn.session import login_prompt, repeated_last_line
from nornir_evpn.twin.cli_engine import CliSession, render_prompt
from nornir_evpn.twin.config_tree import parse_flat
from nornir_evpn.twin.datastore import NodeDatastore
from reliability.helpers import Watch, run_cli, short_timeout_inventory
from reliability.test_faults import (
    assert_others_configured,
    configure,
    startup,
    wait_sessions_closed,
)

# SR Linux 25.10's default `prompt` (srl_nokia-system-cli.yang), as `environment prompt` takes it
DEFAULT_25_10 = ("\\n--{{ {modified_flags}{short_yang_models}{mode_and_session} }}--[ {pwc} ]--\\n"
                 "{short_redundancy}{hw_slot}:{aaa_user}@{host}# ")
UNREAD = "the device's prompt 'leaf2#' is not SR Linux's two-line prompt the tool reads"


def test_the_twin_renders_a_saved_prompt_from_its_keywords():
    ds = NodeDatastore("leaf1", parse_flat("set / interface ethernet-1/1 admin-state enable\n"))
    ds.saved_prompt = DEFAULT_25_10
    cli = CliSession(ds, hostname="leaf1")
    assert cli.prompt() == "\n--{ running }--[  ]--\nA:admin@leaf1# "
    cli.execute("enter candidate private")
    cli.execute("interface ethernet-1/1")
    cli.execute("admin-state disable")
    assert cli.prompt() == "\n--{ * candidate private private-admin }--[ interface ethernet-1/1 ]--\nA:admin@leaf1# "
    cli.execute('environment prompt "{host}# "')  # the session's own, nothing saved
    assert cli.prompt() == "leaf1# " and ds.saved_prompt == DEFAULT_25_10
    assert render_prompt("{{pwc}} {nope} {host}", {"host": "h"}) == "{pwc} {nope} h"
    assert CliSession(NodeDatastore("leaf2"), hostname="leaf2").prompt() == "--{ running }--[  ]--\nA:leaf2# "


def test_saved_prompt_fault_arguments():
    assert build_request("saved-prompt", ["leaf1", "{host}# "]) == \
        {"action": "saved-prompt", "node": "leaf1", "prompt": "{host}# "}
    assert build_request("saved-prompt", ["leaf1"], restore=True)["restore"] is True
    assert "saved-prompt" in RESTORABLE
    with pytest.raises(UserInputError, match="expected NODE PROMPT"):
        build_request("saved-prompt", ["leaf1"])


def test_a_prompt_is_a_line_shown_again():
    assert repeated_last_line("Welcome\n\nleaf1# \nleaf1# ") == "leaf1#"
    assert repeated_last_line("Welcome to the srlinux CLI.\n") == ""  # a banner, then nothing
    assert repeated_last_line("") == ""
    assert repeated_last_line("Welcome\n[leaf2 running]\n> \n[leaf2 running]\n> ") == ">"  # two lines


def test_a_banner_framed_by_one_line_then_nothing_is_a_timeout():
    """A login banner (a MOTD) framed by one line above and below, then no prompt before the
    read timeout (a CLI still starting): a timeout, not `the device's prompt '#####...'`."""
    frame = "#" * 40
    assert repeated_last_line(f"{frame}\n# Authorized access only #\n{frame}\n") == ""
    dots = "." * 64  # SR Linux's own login banner is framed so
    assert repeated_last_line(f"{dots}\n:  Welcome to Nokia SR Linux!  :\n{dots}\n") == ""

    class Channel:
        chunks = [f"{frame}\n# Authorized access only #\n{frame}\n".encode()]

        def send_return(self) -> None:
            pass

        def read(self) -> bytes:
            if self.chunks:
                return self.chunks.pop(0)
            raise TimeoutError("timed out")  # a transport read that ran out

    class Conn:
        comms_prompt_pattern = r"^--{.*}--\[.*\]--\s*\n[abcd]:\S+#\s*$"
        channel = Channel()

    with pytest.raises(TimeoutError):
        login_prompt(Conn())


def test_srlinux_25_10_default_prompt_configures_and_verifies(watch: Watch, capsys):
    """A blank line before the prompt (containerlab prepends one too) and `user@host`."""
    for node in ("leaf1", "leaf2", "leaf3", "spine1"):
        watch.twin.set_saved_prompt(node, DEFAULT_25_10)
    code, doc = configure(watch, capsys)
    assert code == 0, doc
    assert_others_configured(watch, doc, "")
    run = run_cli(capsys, "verify", "--twin", "--twin-state", str(watch.state), "--json")
    assert {h: e["error"] for h, e in run.doc["hosts"].items()} == dict.fromkeys(run.doc["hosts"])
    wait_sessions_closed(watch)
    watch.assert_clean()


def test_a_prompt_of_its_own_fails_the_host_in_words(watch: Watch, capsys, tmp_path):
    inv = short_timeout_inventory(tmp_path)
    watch.twin.set_saved_prompt("leaf2", "{host}# ")
    code, doc = configure(watch, capsys, inventory=inv)
    assert code == 1
    entry = doc["hosts"]["leaf2"]
    assert entry["ok"] is False and entry["committed"] is False
    assert entry["error"].startswith(UNREAD), entry["error"]
    assert "`environment prompt`, ~/.srlinuxrc" in entry["error"] and "\n" not in entry["error"]
    assert watch.running()["leaf2"] == startup("leaf2")
    assert_others_configured(watch, doc, "leaf2")
    run = run_cli(capsys, "verify", "--twin", "--twin-state", str(watch.state), "--inventory", str(inv))
    assert run.code == 1 and f"! leaf2: {UNREAD}" in run.out + run.err, run.out + run.err
    assert "timeout" not in (run.out + run.err)
    watch.twin.set_saved_prompt("leaf2", None)  # restored: the next login is served
    assert configure(watch, capsys, inventory=inv)[0] == 0
    wait_sessions_closed(watch)
    watch.assert_clean()
