"""The CLI entry point: one command's parser when a command is named, the whole CLI otherwise."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nornir_evpn.cli import COMMANDS, build_parser, main


def test_a_command_loads_only_its_own_module() -> None:
    """`verify` does not import the failover, twin, demo or template machinery it never runs
    (30 ms of start-up per command)."""
    code = (
        "import sys\n"
        "from nornir_evpn.cli import _command_in, build_parser\n"
        "build_parser(only=_command_in(['verify', '--json'])).parse_args(['verify', '--json'])\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('nornir_evpn.commands.'))))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True).stdout.split()
    assert loaded == ["nornir_evpn.commands.common", "nornir_evpn.commands.verify"]


def test_help_still_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert all(name in out for _, name in COMMANDS)


@pytest.mark.parametrize("argv", [["inventory", "--help"], ["topology", "generate", "--help"]])
def test_a_help_example_stays_one_copyable_line(monkeypatch, capsys, argv) -> None:
    """argparse wrapped the examples at a hyphen at 80 columns (`inventory/evpn-` /
    `mh01.clab.yml`, `--mh-` / `pairs 2`): a copied example was a wrong path or option."""
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        main(argv)
    example = [line for line in capsys.readouterr().out.splitlines() if line.startswith("example:")]
    assert len(example) == 1 and example[0].endswith((".clab.yml", "inventory/"))


def test_a_misspelt_command_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["verfy"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "invalid choice: 'verfy'" in err[0]



def _twin_state_of(docs, tmp_path, lab: str):
    """A twin state file serving every host of `docs` (this process stands for the twin),
    as lab `lab`: (its path, the node endpoints)."""
    import os

    from nornir_evpn.twin.state import TwinState, process_start

    nodes = {n: {"host": "127.0.0.1", "port": 20000 + i} for i, n in enumerate(docs["hosts"])}
    state = tmp_path / "twin.json"
    TwinState(pid=os.getpid(), pid_start=process_start(os.getpid()), topology="t.clab.yml", lab=lab,
              username="admin", nodes=nodes).write(state)
    for name in ("twin.json.known_hosts", "twin.json.known_hosts.scrapli"):  # as `twin up` leaves them
        (tmp_path / name).write_text("")
    return state, nodes


def test_twin_endpoints_give_every_host_the_twins_user(tmp_path) -> None:
    """The inventory's ce group logs in as root (containerlab's linux nodes); on the twin
    every node, CEs too, has the twin's one user."""
    from pathlib import Path

    from nornir_evpn.commands.common import apply_twin_endpoints
    from nornir_evpn.inventory import load_inventory_docs

    docs = load_inventory_docs(Path(__file__).resolve().parents[2] / "inventory")
    assert docs["groups"]["ce"]["username"] == "root"
    state, nodes = _twin_state_of(docs, tmp_path, "evpn-mh01")
    docs = apply_twin_endpoints(docs, state)
    assert {h["username"] for h in docs["hosts"].values()} == {"admin"}
    assert (docs["hosts"]["ce1"]["hostname"], docs["hosts"]["ce1"]["port"]) == ("127.0.0.1", nodes["ce1"]["port"])


def test_twin_endpoints_check_the_twins_host_key_whatever_the_inventory_says(tmp_path) -> None:
    """The lab's key settings are for its devices: on the twin every host, CEs too, checks the
    twin's own key (its group's other extras kept); a twin that wrote no known_hosts file (one
    of 0.13) is named, not connected to unchecked."""
    from pathlib import Path

    import pytest

    from nornir_evpn.commands.common import apply_twin_endpoints
    from nornir_evpn.errors import TwinNotRunningError
    from nornir_evpn.inventory import load_inventory_docs

    docs = load_inventory_docs(Path(__file__).resolve().parents[2] / "inventory")
    docs["groups"]["srl"]["connection_options"]["scrapli"]["extras"]["ssh_known_hosts_file"] = "/etc/lab_known_hosts"
    state, _nodes = _twin_state_of(docs, tmp_path, "evpn-mh01")
    twin_docs = apply_twin_endpoints(docs, state)
    for name, host in twin_docs["hosts"].items():
        scrapli = host["connection_options"]["scrapli"]
        assert scrapli["extras"]["auth_strict_key"] is True, name
        # scrapli's own transports look the address up, its one line (not a line per port)
        assert scrapli["extras"]["ssh_known_hosts_file"] == str(tmp_path / "twin.json.known_hosts.scrapli"), name
    leaf1 = twin_docs["hosts"]["leaf1"]["connection_options"]["scrapli"]
    assert leaf1["platform"] == "nokia_srlinux" and leaf1["extras"]["transport"] == "ssh2"
    (tmp_path / "twin.json.known_hosts.scrapli").unlink()
    with pytest.raises(TwinNotRunningError, match=r"has no known_hosts file .* restart it"):
        apply_twin_endpoints(load_inventory_docs(Path(__file__).resolve().parents[2] / "inventory"), state)


def test_a_twin_of_another_lab_is_refused_even_when_every_host_name_fits(tmp_path) -> None:
    """Two pods whose host names overlap (a generated 2s4l fabric and a 2s6l one): the
    inventory of one against the other's twin passed the name check, and `configure --prune`
    would have deleted the other fabric's spine ports (two-fabric tester)."""
    from pathlib import Path

    import pytest

    from nornir_evpn.commands.common import apply_twin_endpoints
    from nornir_evpn.errors import TwinNotRunningError
    from nornir_evpn.inventory import load_inventory_docs

    docs = load_inventory_docs(Path(__file__).resolve().parents[2] / "inventory")
    assert docs["defaults"]["data"]["lab"] == "evpn-mh01"
    state, _nodes = _twin_state_of(docs, tmp_path, "pod-b")
    with pytest.raises(TwinNotRunningError, match="serves lab 'pod-b', this inventory is lab 'evpn-mh01'"):
        apply_twin_endpoints(docs, state)


def test_two_state_files_of_one_directory_have_their_own_control_socket(tmp_path) -> None:
    """`twin.podA` and `twin.podB` both made `twin.sock` (with_suffix): a fault meant for pod
    A landed on pod B, and pod A's `twin down` removed pod B's socket."""
    from nornir_evpn.commands.twin_fault import control_socket_path

    a, b = control_socket_path(tmp_path / "twin.podA"), control_socket_path(tmp_path / "twin.podB")
    assert a != b and a.name == "twin.podA.sock"


def test_a_terminal_gone_after_the_work_is_a_quiet_interrupted_exit() -> None:
    """SIGHUP took the operator's terminal: printing the report then fails with EIO. The work
    (and any restore) is done; the command ends 130 without a traceback."""
    code = """
import errno, sys
import nornir_evpn.commands.verify as verify
def run(args):
    raise OSError(errno.EIO, "Input/output error")
verify.run = run
from nornir_evpn.cli import main
sys.exit(main(["verify"]))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stdout, r.stderr) == (130, "", "")


@pytest.mark.parametrize("after", ["KeyboardInterrupt()", "UserInputError('late')"])
def test_a_run_stopped_after_its_report_leaves_that_report_alone(tmp_path, after: str) -> None:
    """configure's report went out, then a second Ctrl-C landed on the way out (CI, under
    load): stdout held two JSON documents, the run's and "interrupted before the report"
    (a reader's json.loads failed with `Extra data`), and a JUnit file written by the run
    could be replaced the same way. The run's report stands; the stop is said on stderr."""
    junit = tmp_path / "r.xml"
    code = f"""
import sys
from pathlib import Path
import nornir_evpn.commands.verify as verify
from nornir_evpn.errors import UserInputError
from nornir_evpn.reporting.common import JUnitCase, JUnitSuite, emit_json, write_junit
def run(args):
    emit_json({{"command": "verify", "ok": True, "hosts": {{"leaf1": {{}}}}}})
    write_junit(Path(args.junit), [JUnitSuite("verify", [JUnitCase("verify", "leaf1")])])
    raise {after}
verify.run = run
from nornir_evpn.cli import main
sys.exit(main(["verify", "--json", "--junit", {str(junit)!r}]))
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    import json

    doc = json.loads(r.stdout)  # one document
    assert doc["ok"] is True and list(doc["hosts"]) == ["leaf1"], r.stdout
    assert 'name="leaf1"' in junit.read_text() and "before the report" not in junit.read_text()
    assert r.returncode == (130 if after.startswith("Keyboard") else 2), r.stderr
    assert ("nornir-evpn: interrupted" if after.startswith("Keyboard") else "nornir-evpn: error: late") in r.stderr


def test_a_refused_run_still_answers_json_and_junit(tmp_path) -> None:
    """A CI job keeping its workspace must not read the previous run's passing JUnit file
    (or an empty stdout) as the result of a run that stopped at its input."""
    import json
    import os
    from xml.etree import ElementTree

    junit = tmp_path / "verify.xml"
    junit.write_text('<testsuites><testsuite name="verify" tests="29" failures="0" errors="0"/></testsuites>')
    env = {k: v for k, v in os.environ.items() if k != "NORNIR_EVPN_TWIN_STATE"}
    r = subprocess.run([sys.executable, "-m", "nornir_evpn", "verify", "--twin", "--twin-state",
                        str(tmp_path / "none.json"), "--junit", str(junit), "--json"],
                       capture_output=True, text=True, timeout=60, env=env)
    # a state file of its own name is named, with the `twin up` that serves it (the plain one
    # started a twin on the default file, and the run failed the same way: two-fabric tester)
    message = (f"no digital twin is running on {tmp_path / 'none.json'}: start one with "
               f"`python -m nornir_evpn twin up --state-file {tmp_path / 'none.json'}`")
    assert r.returncode == 2 and r.stderr == f"nornir-evpn: error: {message}\n"
    doc = json.loads(r.stdout)
    assert doc.pop("started_at") <= doc.pop("finished_at") and len(doc.pop("run_id")) == 12  # when it ran, even refused
    # every document has the standard keys, in this order (cliux review: scripts read
    # doc["target"] and doc["notes"] on every command)
    # the inventory was read before the twin was looked for: the target is named
    target = doc["target"]
    assert (target["lab"], target["twin_state"]) == ("evpn-mh01", str((tmp_path / "none.json").resolve()))
    assert list(doc.items()) == [("command", "verify"), ("ok", False), ("error", message), ("target", target),
                                 ("interrupted", None), ("notes", []), ("hosts", {})]
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("errors")) == ("1", "1")
    assert suite.find("testcase/error").get("message") == message


@pytest.mark.parametrize("argv", [
    ["verify", "--workers", "0"],
    ["failover-test", "--timeout", "-1"],
], ids=["verify-workers-0", "failover-timeout--1"])
def test_an_option_value_argparse_refuses_still_answers_json_and_junit(tmp_path, capsys, argv) -> None:
    """argparse's own refusals (a bad --workers) left the previous --junit file in place."""
    import json
    from xml.etree import ElementTree

    junit = tmp_path / "old.xml"
    junit.write_text('<testsuites><testsuite name="verify" tests="29" failures="0" errors="0"/></testsuites>')
    with pytest.raises(SystemExit) as exit_:
        main([*argv, "--json", f"--junit={junit}"])
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert doc["ok"] is False and doc["command"] == argv[0]
    assert err == f"nornir-evpn {argv[0]}: error: {doc['error']}\n"
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("errors") == "1"
    assert suite.find("testcase/error").get("message") == doc["error"]


def test_a_refused_command_without_junit_writes_no_junit_file(tmp_path, capsys) -> None:
    """`inventory` has no --junit: `--junit x` is an unknown option, and no x is written."""
    target = tmp_path / "r.xml"
    with pytest.raises(SystemExit) as exit_:
        main(["inventory", "--topology", "t.yml", "--junit", str(target), "--json"])
    assert exit_.value.code == 2
    out, err = capsys.readouterr()
    assert out == "" and not target.exists()
    assert err == f"nornir-evpn: error: unrecognized arguments: --junit {target} --json\n"


def test_the_checkout_shadowing_a_regular_install_says_how_to_run(tmp_path) -> None:
    """`pip install .` then `python -m nornir_evpn` inside the checkout imports the checkout's
    nornir_evpn/, where only an editable install maps tasks/: a traceback, even for --help.
    Simulated without the editable finder: site-packages on the path, its .pth files unread."""
    import sysconfig
    from pathlib import Path

    (tmp_path / "nornir_evpn").symlink_to(Path(__file__).resolve().parents[2] / "nornir_evpn")
    env = {"PYTHONPATH": sysconfig.get_paths()["purelib"], "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-S", "-m", "nornir_evpn", "--help"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.splitlines() == [
        "nornir-evpn: error: no module nornir_evpn.tasks: this is the checkout's nornir_evpn/, which only an "
        "editable install maps (`pip install -e .` here), or run from another directory"]


@pytest.mark.parametrize("argv", [["twin", "up"], ["demo"]])
def test_native_windows_is_told_to_use_wsl(monkeypatch, capsys, tmp_path, argv) -> None:
    import types

    from nornir_evpn.commands import twin

    # the twin command's view of the platform only (asyncio itself would then import its
    # Windows modules)
    monkeypatch.setattr(twin, "sys", types.SimpleNamespace(platform="win32"))
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [
        "nornir-evpn: error: the digital twin needs a POSIX system (signals, unix sockets): "
        "on Windows run nornir_evpn in WSL"]
    assert not (tmp_path / ".nornir_evpn").exists()


CANCELLED_WHILE_IMPORTING = """
import builtins, os, signal, sys
sys.argv = ["nornir_evpn", *sys.argv[1:]]
real = builtins.__import__

def hook(name, *args, **kwargs):  # a CI cancel landing while the CLI imports
    if name == {module!r}:
        os.kill(os.getpid(), signal.SIGTERM)
    return real(name, *args, **kwargs)

builtins.__import__ = hook
import runpy
runpy.run_module("nornir_evpn", run_name="__main__")
"""


@pytest.mark.parametrize("module", ["nornir_evpn.cli", "nornir_evpn.checks"])  # in __main__, in main()
def test_a_cancel_while_the_cli_starts_still_answers_json_and_junit(tmp_path, module) -> None:
    """SIGTERM in the first 0.3 s (a CI job cancelled right after it started) killed the
    process by signal, or answered Ctrl-C with empty stdout: an old passing JUnit file stayed,
    though the README promises --json/--junit for an interrupted verify (reliability review)."""
    import json
    from xml.etree import ElementTree

    junit = tmp_path / "verify.xml"
    junit.write_text('<testsuites><testsuite name="old" tests="1" failures="0"/></testsuites>')
    proc = subprocess.run([sys.executable, "-c", CANCELLED_WHILE_IMPORTING.format(module=module), "verify",
                           "--twin", "--twin-state", str(tmp_path / "none.json"), "--json", "--junit", str(junit)],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 130, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["command"] == "verify" and doc["ok"] is False and doc["interrupted"] == "SIGTERM"
    assert doc["error"] == "interrupted (SIGTERM) before the report"
    case = ElementTree.parse(junit).getroot().find("testsuite/testcase/error")
    assert case is not None and case.get("message") == "interrupted (SIGTERM) before the report"
    assert "Traceback" not in proc.stderr


def test_the_entry_point_defers_signals_before_any_heavy_import() -> None:
    """The `nornir-evpn` script called `nornir_evpn.cli:main`, whose import alone takes 0.2 s:
    a SIGTERM then killed it (exit -15) with no JSON and no JUnit (review). Both entry points
    now go through `nornir_evpn.entry`, which defers signals before importing anything heavy."""
    import re
    from pathlib import Path

    pyproject = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text()  # no tomllib on 3.10
    assert re.findall(r'^nornir-evpn = "(.+)"$', pyproject, re.M) == ["nornir_evpn.entry:main"]
    probe = ("import sys, nornir_evpn.entry; "
             "print(sorted(m for m in sys.modules if m.startswith(('nornir', 'scrapli', 'rich', 'pydantic'))))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "['nornir_evpn', 'nornir_evpn.entry', 'nornir_evpn.signals']"


def test_a_script_interrupted_while_main_starts_keeps_its_handlers(monkeypatch, capsys, tmp_path) -> None:
    """A Ctrl-C while `main([...])` imported its command left a calling script with SIGINT,
    SIGTERM and SIGHUP ignored for good (review): the script could no longer be stopped."""
    import json
    import signal

    import nornir_evpn.cli as cli

    real = cli.build_parser

    def interrupted(only=None):
        # lands while main() starts: recorded, answered after. raise_signal, not os.kill:
        # the process's signal may go to another thread (one a test left, coverage's), and
        # the main thread then noticed it only after main() had failed for want of a twin
        signal.raise_signal(signal.SIGINT)
        return real(only)

    # pytest started in the background of a script (`pytest &`) inherits SIGINT ignored, which
    # main honours as a nohup'ed run's: this is about a caller Ctrl-C can stop
    inherited = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
        monkeypatch.setattr(cli, "build_parser", interrupted)
        code = cli.main(["verify", "--twin", "--twin-state", str(tmp_path / "none.json"), "--json"])
        assert code == 130
        assert json.loads(capsys.readouterr().out)["interrupted"] == "SIGINT"
        assert {sig: signal.getsignal(sig) for sig in before} == before
    finally:
        signal.signal(signal.SIGINT, inherited)


@pytest.mark.parametrize("command", ["verify", "configure", "rollback", "failover-test"])
def test_twin_state_without_twin_is_refused_not_ignored(tmp_path, capsys, command) -> None:
    """`twin traffic --twin-state X` needs no --twin; the same habit on `verify` went to the
    inventory's devices with the option ignored (`configure` would have committed there)."""
    code = main([command, "--twin-state", str(tmp_path / "pod.json")])
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "without --twin" in err[0]


@pytest.mark.parametrize("action", ["up", "down", "status", "traffic", "fault"])
def test_every_twin_action_takes_twin_state_as_the_other_commands_spell_it(action) -> None:
    argv = ["twin", action, *(["list"] if action == "fault" else []), "--twin-state", "pod.json"]
    args = build_parser().parse_args(argv)
    assert str(getattr(args, "state_file", None) or args.twin_state) == "pod.json"


def test_every_document_starts_with_the_standard_keys() -> None:
    """configure had no `error`, verify no `error`/`interrupted`, failover-test no `notes`,
    demo and refusals no `target` (cliux review): filled in, the command's own kept."""
    from nornir_evpn.reporting.common import standard_keys

    doc = standard_keys({"command": "failover-test", "ok": True, "host": "leaf1", "interrupted": "SIGINT",
                         "notes": ["n"], "hosts": {"leaf1": {}}})
    assert list(doc) == ["command", "ok", "error", "target", "interrupted", "notes", "hosts", "host"]
    assert (doc["error"], doc["target"], doc["interrupted"], doc["notes"]) == (None, None, "SIGINT", ["n"])
    one, two = standard_keys({"command": "x", "ok": True}), standard_keys({"command": "y", "ok": True})
    one["notes"].append("mine")
    assert two["notes"] == []  # no default shared between documents


def test_the_notes_a_run_writes_on_stderr_are_in_its_json_document_too(tmp_path, capsys, monkeypatch) -> None:
    """Run away from any ./inventory, `--json` said on stderr alone that it took the packaged
    lab's intent: a script reading stdout never knew (release tester). The refusal that
    follows carries it too; a second run in the same process does not carry the first's."""
    import json
    from pathlib import Path

    monkeypatch.chdir(tmp_path)
    code = main(["verify", "--json", "--hosts", "nope"])
    first = capsys.readouterr()
    inventory = Path(__file__).resolve().parents[2] / "inventory"
    code2 = main(["verify", "--json", "--inventory", str(inventory), "--hosts", "nope"])
    second = capsys.readouterr()
    note = "no ./inventory/hosts.yaml here: using the packaged evpn-mh01 inventory"
    assert code == 2 and f"note: {note}" in first.err
    doc = json.loads(first.out)
    assert doc["error"].startswith("--hosts: unknown host 'nope'") and doc["notes"][0].startswith(note)
    assert code2 == 2 and json.loads(second.out)["notes"] == []
    # the inventory was read before --hosts was refused: the document names it (mutation tester)
    assert json.loads(second.out)["target"] == {"lab": "evpn-mh01", "inventory": str(inventory), "twin_state": None}


def test_a_refused_run_names_the_target_it_read_and_the_next_run_does_not_inherit_it(tmp_path, capsys) -> None:
    """A run refused after its inventory was read (a template that does not render) answers
    its `target` (not null); a run of the same process refused before reading one does not
    answer the earlier run's."""
    import json
    from pathlib import Path

    from nornir_evpn.render import FEATURES

    inventory = Path(__file__).resolve().parents[2] / "inventory"
    templates = tmp_path / "t"
    templates.mkdir()
    for feature in FEATURES:
        (templates / f"{feature}.j2").write_text("set / {{ nope.missing }}\n")
    assert main(["configure", "--json", "--inventory", str(inventory), "--templates", str(templates),
                 "--render-to", str(tmp_path / "r")]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert doc["target"]["inventory"] == str(inventory.resolve())
    # refused before any inventory is read (--twin-state without --twin)
    assert main(["verify", "--json", "--twin-state", str(tmp_path / "none.json")]) == 2
    assert json.loads(capsys.readouterr().out)["target"] is None


def test_a_note_said_on_stderr_is_once_and_first_in_the_document(capsys) -> None:
    """A note said twice (`note: ` or not) is one; the notes said on stderr come first, and
    the document's own that repeat one (with its `note: ` or not) are not said again."""
    import json

    from nornir_evpn import run_context
    from nornir_evpn.reporting.common import emit_json

    run_context.start_run()
    try:
        run_context.note("threads short")
        run_context.note("note: threads short")
        emit_json({"command": "verify", "ok": True, "notes": ["its own", "note: threads short", "threads short"]})
        out = capsys.readouterr()
    finally:
        run_context.start_run()
    assert out.err == "note: threads short\nnote: threads short\n"
    assert json.loads(out.out)["notes"] == ["threads short", "its own"]


@pytest.mark.parametrize("option", ["--junit", "--log-file", "--outputs"])
def test_a_path_too_long_for_the_file_system_is_one_line_and_exit_2(tmp_path, capsys, option) -> None:
    """A file name over 255 bytes (a CI job naming its report after a long branch and job
    name): pathlib's is_dir()/exists() raise ENAMETOOLONG, and the checks made before any
    host is reached ended in an OSError traceback, no --json document."""
    import json

    long = tmp_path / ("x" * 300)
    code = main(["verify", option, str(long), "--json"])  # (each refused before any host is reached)
    captured = capsys.readouterr()
    assert code == 2 and captured.err == f"nornir-evpn: error: {long}: File name too long\n"
    doc = json.loads(captured.out)
    assert (doc["ok"], doc["error"]) == (False, f"{long}: File name too long")


@pytest.mark.parametrize("command", [["verify"], ["configure", "--dry-run"], ["failover-test"], ["rollback"]])
def test_a_report_is_never_written_over_a_state_file_or_the_log(tmp_path, monkeypatch, capsys, command,
                                                               own_checkpoint_record) -> None:
    """`verify --twin --junit .nornir_evpn/twin.json` wrote the JUnit XML over the twin's state
    (then "no digital twin is running"; `twin down` refused the file and the twin ran on),
    `--junit F --log-file F` ended the XML with the log. One line, exit 2, the file as it was."""
    monkeypatch.chdir(tmp_path)
    state = tmp_path / "twin.json"
    state.write_text("{}")
    record = own_checkpoint_record  # ($NORNIR_EVPN_CHECKPOINTS)
    record.write_text("[]")
    for extra, flag, what in (
            (["--twin", "--twin-state", str(state), "--junit", str(state)], "--junit", "the twin's state file"),
            (["--junit", str(record)], "--junit", "checkpoint record"),
            # without --twin, the twin's state file all the same ($NORNIR_EVPN_TWIN_STATE or
            # .nornir_evpn/twin.json): a run against the lab wrote its XML over a twin beside it
            (["--junit", ".nornir_evpn/twin.json"], "--junit", "the twin's state file"),
            (["--log-file", ".nornir_evpn/failover-state.json"], "--log-file", "failover-test state file"),
            (["--junit", "r.xml", "--log-file", "./r.xml"], "--junit and --log-file", "name one file")):
        capsys.readouterr()
        assert main([*command, "--json", *extra]) == 2
        out = capsys.readouterr()
        assert out.err.startswith(f"nornir-evpn: error: {flag}") and what in out.err and out.err.count("\n") == 1
        assert '"ok": false' in out.out
    assert state.read_text() == "{}" and record.read_text() == "[]"
    assert not (tmp_path / ".nornir_evpn" / "failover-state.json").exists() and not (tmp_path / "r.xml").exists()
