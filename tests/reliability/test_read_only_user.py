"""A user whose role may only read (`twin fault read-only`, SR Linux's `system configuration
role <r> rule / action read`): what each command needs, and how a refusal is said.

SR Linux lets such a user `enter candidate`, `info` and `show`, and refuses the `set` itself
with `Error: No authorization to execute command: '<command>'` (see twin/cli_engine.py's
NO_AUTHORIZATION for the source). verify reads only; configure, its dry run included,
types into a candidate; rollback loads and reverts a checkpoint.
"""

from __future__ import annotations

from nornir_evpn.commands.twin_fault import RESTORABLE, build_request
from nornir_evpn.twin.cli_engine import CliSession
from nornir_evpn.twin.config_tree import parse_flat
from nornir_evpn.twin.datastore import NodeDatastore
from reliability.helpers import SRL_NODES, Watch, run_cli
from reliability.test_faults import (
    assert_others_configured,
    configure,
    startup,
    wait_sessions_closed,
)

REFUSED = "not authorized: Error: No authorization to execute command: '"


def test_the_twin_refuses_writes_and_serves_reads_for_a_read_only_user():
    ds = NodeDatastore("leaf1", parse_flat("set / interface ethernet-1/1 admin-state enable\n"))
    ds.read_only = True
    cli = CliSession(ds, hostname="leaf1")
    assert cli.execute("enter candidate private") == ""  # entering a candidate is no write
    line = "set / interface ethernet-1/1 admin-state disable"
    assert cli.execute(line) == f"Error: No authorization to execute command: '{line}'"
    assert cli.execute("delete / interface ethernet-1/1").startswith("Error: No authorization")
    assert cli.execute("diff flat") == ""  # the candidate holds nothing of the refused lines
    assert "admin-state enable" in cli.execute("info flat from running /interface *")
    assert cli.execute("load checkpoint name clab-initial").startswith("Error: No authorization")
    assert cli.execute("discard now").startswith("All changes have been discarded")
    for write in ("tools system configuration generate-checkpoint name x", "save startup",
                  "tools system configuration confirmed-accept"):
        assert cli.execute(write).startswith("Error: No authorization"), write
    assert cli.execute("show version").startswith("-")
    ds.read_only = False
    assert cli.execute("enter candidate private") == "" and cli.execute(line) == ""
    assert "read-only" in RESTORABLE and build_request("read-only", ["leaf1"], restore=True)["restore"] is True


def test_verify_needs_nothing_but_reads(watch: Watch, capsys):
    base = run_cli(capsys, "verify", "--twin", "--twin-state", str(watch.state), "--json").doc
    for node in SRL_NODES:
        watch.twin.set_read_only(node)
    ro = run_cli(capsys, "verify", "--twin", "--twin-state", str(watch.state), "--json").doc
    assert {h: (e["error"], e["checks"]) for h, e in ro["hosts"].items()} == \
        {h: (e["error"], e["checks"]) for h, e in base["hosts"].items()}


def test_configure_refused_for_the_role_says_so_once_and_leaves_the_host_as_it_was(watch: Watch, capsys):
    watch.twin.set_read_only("leaf2")
    code, doc = configure(watch, capsys)
    assert code == 1
    error = doc["hosts"]["leaf2"]["error"]
    # the checkpoint before the commit is the first write: said with the way around it
    assert error.startswith(REFUSED + "tools system configuration generate-checkpoint name "), error
    assert error.endswith("`--no-checkpoint` goes without; nothing was changed)")
    assert doc["hosts"]["leaf2"]["checkpoint_left"] is None
    assert watch.running()["leaf2"] == startup("leaf2")
    assert_others_configured(watch, doc, "leaf2")
    wait_sessions_closed(watch)
    watch.assert_clean()


def test_a_dry_run_needs_write_access_and_says_which(watch: Watch, capsys):
    """A drift check (`configure --dry-run --exit-code`) diffs in a candidate: SR Linux checks
    each `set` as it is typed, so a read-only account cannot run it; it fails the host (exit
    1, not 3 or 0), says the privilege, and names the line once (the device quotes it)."""
    watch.twin.set_read_only("leaf2")
    for mode in ("--dry-run", "--validate-only"):
        code, doc = configure(watch, capsys, mode, "--exit-code")
        assert code == 1, mode
        error = doc["hosts"]["leaf2"]["error"]
        assert error.startswith(REFUSED + "set / "), error
        assert "configure types the intent into a private candidate, a dry run's and a validate's too" in error
        assert "(from " not in error  # the role refused it, not the template
        assert error.count("set / ") == 1
        assert all(doc["hosts"][h]["ok"] for h in SRL_NODES if h != "leaf2")
    assert watch.running() == {n: startup(n) for n in SRL_NODES}
    wait_sessions_closed(watch)
    watch.assert_clean()


def test_rollback_refused_for_the_role_is_one_line_per_host(watch: Watch, capsys):
    watch.twin.set_read_only("leaf2")
    for extra in ((), ("--dry-run",)):
        run = run_cli(capsys, "rollback", "--twin", "--twin-state", str(watch.state), "--hosts", "leaf2",
                      "--checkpoint", "clab-initial", *extra)
        assert run.code == 1, extra
        lines = [line for line in run.out.splitlines() if line.startswith("leaf2: ")]
        assert len(lines) == 1 and lines[0].startswith("leaf2: " + REFUSED), (extra, run.out)
        assert "0 would revert" in run.out if extra else "0 reverted" in run.out
    assert watch.running()["leaf2"] == startup("leaf2")
    watch.assert_clean()
