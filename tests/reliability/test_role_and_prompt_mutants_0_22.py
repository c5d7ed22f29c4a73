"""Gaps mutation testing of 0.22 found in the twin's read-only user and saved prompt
(twin/cli_engine.py), `twin fault read-only` / `saved-prompt` (commands/twin_fault.py) and
`failures.not_authorized`: each test kills a mutant the suite let live."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from nornir_evpn import platform
from nornir_evpn.commands.twin_fault import FaultController
from nornir_evpn.failures import not_authorized
from nornir_evpn.twin.cli_engine import CliSession, render_prompt
from nornir_evpn.twin.config_tree import parse_flat
from nornir_evpn.twin.datastore import NodeDatastore
from nornir_evpn.twin.runtime import Twin

START = "set / interface ethernet-1/1 admin-state enable\n"


def test_a_refusal_quotes_the_line_as_typed_once_its_spaces_are_collapsed():
    ds = NodeDatastore("leaf1", parse_flat(START))
    ds.read_only = True
    cli = CliSession(ds, hostname="leaf1")
    writer = CliSession(NodeDatastore("leaf1", parse_flat(START)), hostname="leaf1")
    # running mode: a `set` is answered as it is for any user (no candidate), `save` is refused
    line = "set / interface ethernet-1/1 admin-state disable"
    assert cli.execute(line) == writer.execute(line)
    assert cli.execute("save startup").startswith("Error: No authorization")
    cli.execute("enter candidate private")
    assert cli.execute("set  /  interface ethernet-1/1   admin-state disable") == \
        "Error: No authorization to execute command: 'set / interface ethernet-1/1 admin-state disable'"


def test_environment_prompt_takes_a_value_only():
    cli = CliSession(NodeDatastore("leaf1"), hostname="leaf1")
    default = cli.prompt()
    assert cli.execute("environment prompt") == "" and cli.prompt() == default  # no value: unchanged
    cli.execute('environment prompt "')  # a lone quote is the value, not an empty quoted one
    assert cli.prompt() == '"'


def test_every_prompt_keyword_the_twin_fills_in():
    ds = NodeDatastore("leaf1", parse_flat(START))
    ds.saved_prompt = "{user}|{aaa_user}|{host}|{mode}|{modified}|{modified_flags}|{pwc}|{hw_slot}"
    cli = CliSession(ds, hostname="leaf1")
    assert cli.prompt() == "admin|admin|leaf1|running||||A"
    cli.execute("enter candidate private")
    cli.execute("interface ethernet-1/1")
    cli.execute("admin-state disable")
    ds.unsaved = True
    # both flags as SR Linux's own prompt prints them: `+` (running not saved) then `*`
    flags = platform.prompt("leaf1", "candidate private private-admin", "", True, unsaved=True)
    assert "+* candidate" in flags
    assert cli.prompt() == "admin|admin|leaf1|candidate|+* |+* |interface ethernet-1/1|A"


def test_a_lone_brace_in_a_prompt_is_shown_as_typed():
    assert render_prompt("{host", {"host": "h"}) == "{host"
    assert render_prompt("host}", {"host": "h"}) == "host}"


def test_a_saved_environment_is_said_at_login():
    ds = NodeDatastore("leaf1")
    banner = asyncio.run(CliSession(ds, hostname="leaf1").banner_and_prompt())
    assert not banner.startswith("Using configuration file")
    ds.saved_prompt = "{host}# "
    banner = asyncio.run(CliSession(ds, hostname="leaf1").banner_and_prompt())
    assert banner.startswith("Using configuration file(s): ['/home/admin/.srlinuxrc']\nWelcome to the srlinux CLI.")
    assert banner.endswith("\nleaf1# ")


def _twin() -> SimpleNamespace:
    server = SimpleNamespace(unreachable=False, extra_delay=0, password="p")
    twin = SimpleNamespace(password="p", servers={"leaf1": server, "client1": server},
                           datastores={"leaf1": NodeDatastore("leaf1")})
    twin.set_read_only = lambda node, read_only=True: Twin.set_read_only(twin, node, read_only)
    twin.set_saved_prompt = lambda node, prompt: Twin.set_saved_prompt(twin, node, prompt)
    return twin


def test_read_only_and_saved_prompt_faults_set_list_and_restore():
    twin = _twin()
    control = FaultController(twin)
    ds = twin.datastores["leaf1"]
    assert control.apply({"action": "read-only", "node": "leaf1", "restore": False}) == {"ok": True}
    assert control.apply({"action": "saved-prompt", "node": "leaf1", "prompt": 'say "{host}"# '}) == {"ok": True}
    assert ds.read_only is True and ds.saved_prompt == 'say "{host}"# '
    assert control.apply({"action": "list"})["node_faults"] == \
        ["read-only leaf1", 'saved-prompt leaf1 "say \\"{host}\\"# "']
    assert control.apply({"action": "read-only", "node": "leaf1", "restore": True}) == {"ok": True}
    assert control.apply({"action": "saved-prompt", "node": "leaf1", "restore": True}) == {"ok": True}
    assert ds.read_only is False and ds.saved_prompt is None
    assert control.apply({"action": "list"})["node_faults"] == []
    for action in ("read-only", "saved-prompt"):  # a node the twin serves without SR Linux's CLI
        assert control.apply({"action": action, "node": "client1", "prompt": "x"}) == \
            {"ok": False, "error": "client1 has no SR Linux datastore"}


def test_saved_prompt_takes_node_and_prompt_only():
    import pytest

    from nornir_evpn.commands.twin_fault import build_request
    from nornir_evpn.errors import UserInputError

    for targets in (["leaf1", "{host}# ", "extra"], ["leaf1", "   "]):
        with pytest.raises(UserInputError, match="expected NODE PROMPT"):
            build_request("saved-prompt", targets)


def test_not_authorized_leaves_any_other_error_as_it_is():
    other = "set / interface ethernet-1/1 admin-state disable: Error: Unknown token 'disable'"
    assert not_authorized(other, "needs") == other
    refused = "set / x: Error: No authorization to execute command: 'set / x'"
    assert not_authorized(refused, "needs") == \
        "not authorized: Error: No authorization to execute command: 'set / x' (needs)"
    # the device quoting another operation than the line typed: both are kept
    other_op = "set / x y: Error: No authorization to execute command: 'delete / x z'"
    assert not_authorized(other_op, "needs") == f"not authorized: {other_op} (needs)"


def test_a_save_the_role_refuses_says_the_commit_stayed_and_what_is_missing(watch, capsys, monkeypatch):
    """A role that may commit but not `save startup`: configure --save says the host was
    committed, not saved, and that the user may not run `save startup`."""
    from nornir_evpn.twin.cli_engine import NO_AUTHORIZATION
    from reliability.test_faults import configure, configured, wait_sessions_closed

    real = CliSession._execute

    def no_save(self, line, tokens):
        if tokens[0] == "save" and self.hostname == "leaf2":
            return NO_AUTHORIZATION.format(" ".join(line.split()))
        return real(self, line, tokens)

    monkeypatch.setattr(CliSession, "_execute", no_save)
    code, doc = configure(watch, capsys, "--save")
    assert code == 1
    error = doc["hosts"]["leaf2"]["error"]
    assert error == ("committed, not saved to startup: not authorized: Error: No authorization to execute "
                     "command: 'save startup' (the user may not run `save startup`)"), error
    assert watch.running()["leaf2"] == configured("leaf2")
    monkeypatch.undo()
    wait_sessions_closed(watch)


def test_a_refused_shut_is_told_to_the_run_whether_or_not_the_task_raised():
    """`run_on` carries `set_admin_state`'s `refused` from a failed result without an
    exception too (the run then restores nothing: nothing was applied)."""
    from nornir_evpn.failover.restore import Step, run_on

    class Multi(list):
        failed = True
        changed = False

    said = "leaf1: not authorized: Error: No authorization to execute command: 'set / x' (...)"
    for refused in (True, False):
        r = SimpleNamespace(failed=True, exception=None, result={"error": said, "reached": True, "refused": refused})
        nr = SimpleNamespace(filter=lambda name, r=r: SimpleNamespace(
            run=lambda task, on_failed, **kw: {name: Multi([r])}))
        assert run_on(nr, "leaf1", task=None) == Step(False, said, reached=True, refused=refused)
