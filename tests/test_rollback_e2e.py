"""Checkpoints and `rollback` end to end: the real CLI against the digital twin over SSH.

configure keeps a device checkpoint of the configuration each host had before its commit;
`rollback` reverts to it, one commit per host."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
from nornir_evpn.tasks.checkpoint import CHECKPOINT_PREFIX, checkpoint_name, parse_checkpoints

from nornir_evpn import checkpoint_record
from nornir_evpn.cli import main
from nornir_evpn.twin.runtime import CLAB_INITIAL, CLAB_INITIAL_COMMENT, Twin

ROOT = Path(__file__).resolve().parent.parent
INVENTORY = ROOT / "inventory"
LAB = INVENTORY / "evpn-mh01.clab.yml"
NODES = ("leaf1", "leaf2", "leaf3", "spine1")


class Lab:
    def __init__(self, twin: Twin, state: Path) -> None:
        self.twin, self.state = twin, state

    def run(self, capsys: pytest.CaptureFixture[str], command: str, *extra: str) -> tuple[int, dict, str]:
        capsys.readouterr()
        code = main([command, "--twin", "--twin-state", str(self.state), "--inventory", str(INVENTORY),
                     "--json", *extra])
        captured = capsys.readouterr()
        return code, json.loads(captured.out) if captured.out.strip() else {}, captured.err

    def running(self, node: str) -> set[str]:
        return set(self.twin.datastore(node).running.flat())

    def checkpoints(self, node: str) -> list[str]:
        # (containerlab's own, on every node from the start, aside)
        return [c.name for c in self.twin.datastore(node).checkpoints if c.name != CLAB_INITIAL]


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with Twin(LAB) as twin:
        state = tmp_path / "twin.json"
        twin.state().write(state)
        yield Lab(twin, state)


def test_configure_keeps_a_checkpoint_where_it_commits_and_rollback_reverts_to_it(lab, capsys, tmp_path):
    before = {n: lab.running(n) for n in NODES}
    code, doc, _ = lab.run(capsys, "configure")
    assert code == 0
    # which fabric the report is about (an operator of two pods could not tell)
    assert doc["target"] == {"lab": "evpn-mh01", "inventory": str(INVENTORY.resolve()),
                             "twin_state": str(lab.state.resolve())}
    name = doc["checkpoint"]
    assert name.startswith(CHECKPOINT_PREFIX)
    assert {h: e["checkpoint"] for h, e in doc["hosts"].items()} == {
        "leaf1": name, "leaf2": name, "leaf3": name, "spine1": None}
    # spine1 changed nothing: its checkpoint was cleared, not left to push older ones out
    assert {n: lab.checkpoints(n) for n in NODES} == {
        "leaf1": [name], "leaf2": [name], "leaf3": [name], "spine1": []}
    # the checkpoint holds what the host ran before the commit
    assert set(lab.twin.datastore("leaf1").checkpoints[0].config.flat()) == before["leaf1"]
    assert lab.running("leaf1") != before["leaf1"]

    code, dry, _ = lab.run(capsys, "rollback", "--dry-run")
    assert code == 0 and dry["checkpoint"] == name and dry["dry_run"] is True
    assert dry["interrupted"] is None  # null, as every other command's (0.16.0: false)
    assert {h: (e["found"], e["reverted"]) for h, e in dry["hosts"].items()} == {
        "leaf1": (True, False), "leaf2": (True, False), "leaf3": (True, False), "spine1": (False, False)}
    assert lab.running("leaf1") != before["leaf1"]  # a dry run reverts nothing

    junit = tmp_path / "rollback.xml"
    code, back, _ = lab.run(capsys, "rollback", "--junit", str(junit))
    assert code == 0 and back["ok"] is True and back["checkpoint"] == name
    assert back["target"] == doc["target"]
    assert {h: (e["ok"], e["reverted"], e["changed"]) for h, e in back["hosts"].items()} == {
        "leaf1": (True, True, True), "leaf2": (True, True, True), "leaf3": (True, True, True),
        "spine1": (True, False, False)}
    assert {n: lab.running(n) for n in NODES} == before
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "4" and suite.get("skipped") == "1"
    assert suite.find("testcase[@name='spine1']/skipped") is not None

    # the fabric is where it was: configure would make the same change again
    code, again, _ = lab.run(capsys, "configure", "--dry-run")
    assert code == 0 and again["hosts"]["leaf1"]["added"] == 36 and again["checkpoint"] is None


def test_a_dry_run_shows_each_hosts_revert_diff_and_the_revert_changes_just_that(lab, capsys):
    """`rollback --dry-run` said which hosts held the checkpoint, not what reverting would
    change: the device's `diff flat` of the checkpoint loaded into a private candidate."""
    code, doc, _ = lab.run(capsys, "configure")
    assert code == 0
    added = doc["hosts"]["leaf1"]["added"]
    capsys.readouterr()
    main(["rollback", "--twin", "--twin-state", str(lab.state), "--inventory", str(INVENTORY), "--dry-run"])
    out = capsys.readouterr().out
    assert "leaf1 diff" in out and "delete / interface lag1" in out
    code, dry, _ = lab.run(capsys, "rollback", "--dry-run")
    leaf1 = dry["hosts"]["leaf1"]
    # changed: it would change (a dry run's diff, as configure --dry-run and Nornir's own tasks say)
    assert (leaf1["found"], leaf1["changed"], leaf1["added"], leaf1["diff_error"]) == (True, True, 0, None)
    assert leaf1["removed"] == len(leaf1["diff"].splitlines()) > 0
    assert all(line.startswith("delete / ") for line in leaf1["diff"].splitlines())
    assert dry["hosts"]["spine1"]["diff"] is None  # no checkpoint there
    assert lab.checkpoints("leaf1") == [dry["checkpoint"]] and added > 0  # the preview committed nothing
    junit = lab.state.parent / "rollback.xml"
    code, back, _ = lab.run(capsys, "rollback", "--junit", str(junit))
    assert code == 0
    assert {h: (e["changed"], e["diff"]) for h, e in back["hosts"].items()} == {
        h: (e["found"], e["diff"]) for h, e in dry["hosts"].items()}
    out = ElementTree.parse(junit).getroot().find("testsuite/testcase[@name='leaf1']/system-out")
    assert out is not None and out.text == leaf1["diff"]  # as configure's cases carry theirs

    # reverted already: the checkpoint is what runs, so nothing would change
    code, again, _ = lab.run(capsys, "rollback", "--dry-run", "--checkpoint", dry["checkpoint"])
    assert code == 0
    assert {h: (e["diff"], e["changed"]) for h, e in again["hosts"].items() if e["found"]} == {
        "leaf1": ("", False), "leaf2": ("", False), "leaf3": ("", False)}
    main(["rollback", "--twin", "--twin-state", str(lab.state), "--inventory", str(INVENTORY), "--dry-run",
          "--checkpoint", dry["checkpoint"]])
    out = capsys.readouterr().out
    assert "nothing to revert" in out
    # every host counted once (before: `4 hosts, 0 would revert, 1 without the checkpoint`)
    assert "4 hosts, 0 would revert, 3 with nothing to revert, 1 without the checkpoint, 0 failed" in out


# -v turns Nornir's log on, in pytest's process, whose root logger has pytest's handlers
@pytest.mark.filterwarnings("ignore::nornir.core.exceptions.ConflictingConfigurationWarning")
def test_v_shows_each_revert_and_a_revert_to_what_runs_already_changes_nothing(lab, capsys, tmp_path):
    """`rollback -v` prints each host's diff as a dry run does; reverted again to the same
    checkpoint, the hosts revert (one commit each) but nothing changes: `changed` false, as
    configure's is for a host it leaves as it was."""
    code, doc, _ = lab.run(capsys, "configure")
    assert code == 0
    capsys.readouterr()
    assert main(["rollback", "--twin", "--twin-state", str(lab.state), "--inventory", str(INVENTORY), "-v",
                 "--log-file", str(tmp_path / "r.log")]) == 0
    out = capsys.readouterr().out
    assert "leaf1 diff" in out and "delete / interface lag1" in out
    code, again, _ = lab.run(capsys, "rollback", "--checkpoint", doc["checkpoint"])
    assert code == 0
    assert {h: (e["reverted"], e["changed"], e["diff"]) for h, e in again["hosts"].items() if e["found"]} == {
        "leaf1": (True, False, ""), "leaf2": (True, False, ""), "leaf3": (True, False, "")}


def test_a_device_that_cannot_preview_the_revert_still_reverts(lab, capsys, monkeypatch):
    """The preview is information: a device refusing `load checkpoint` (an older release, a
    lock) costs the diff, not the rollback, and says so."""
    from nornir_evpn.twin.cli_engine import CliSession

    lab.run(capsys, "configure")
    monkeypatch.setattr(CliSession, "_load", lambda self, tokens: "Error: load is not supported here")
    # a dry run's preview refused for another cause than the user's role does not fail the host
    code, dry, _ = lab.run(capsys, "rollback", "--hosts", "leaf1", "--dry-run")
    assert code == 0 and dry["hosts"]["leaf1"]["ok"] is True and dry["hosts"]["leaf1"]["error"] is None
    assert dry["hosts"]["leaf1"]["diff_error"].endswith("Error: load is not supported here")
    code, back, err = lab.run(capsys, "rollback", "--hosts", "leaf1")
    leaf1 = back["hosts"]["leaf1"]
    assert code == 0 and leaf1["reverted"] is True and leaf1["changed"] is True and leaf1["diff"] is None
    assert leaf1["diff_error"].startswith("load checkpoint name nornir-evpn-")
    assert leaf1["diff_error"].endswith("Error: load is not supported here")
    assert "leaf1: what the revert changes was not read (load checkpoint name" in " ".join(err.split())
    assert lab.checkpoints("leaf1")  # kept; and the session left the candidate:
    assert lab.running("leaf1") == set(lab.twin.datastore("leaf1").checkpoints[0].config.flat())


def test_the_human_report_says_where_the_way_back_is(lab, capsys):
    main(["configure", "--twin", "--twin-state", str(lab.state), "--inventory", str(INVENTORY)])
    out = capsys.readouterr().out
    name = lab.checkpoints("leaf1")[0]
    assert (f"checkpoint {name} holds the configuration from before this commit on leaf1 … leaf3 (3): "
            f"`rollback --checkpoint {name}`") in " ".join(out.split())
    main(["rollback", "--twin", "--twin-state", str(lab.state), "--inventory", str(INVENTORY)])
    out = capsys.readouterr().out
    assert f"rollback to {name}" in out
    assert "rollback ok: 4 hosts, 3 reverted, 1 without the checkpoint, 0 failed" in out
    # one host is counted in the singular, like configure's summary
    main(["configure", "--twin", "--twin-state", str(lab.state), "--inventory", str(INVENTORY)])
    main(["rollback", "--twin", "--twin-state", str(lab.state), "--inventory", str(INVENTORY), "--hosts", "leaf1"])
    out = capsys.readouterr().out
    assert "rollback ok: 1 host, 1 reverted, 0 without the checkpoint, 0 failed" in out


@pytest.mark.parametrize("extra", [("--no-checkpoint",), ("--dry-run",), ("--validate-only",)])
def test_no_checkpoint_where_nothing_is_committed_or_none_is_asked_for(lab, capsys, extra):
    code, doc, _ = lab.run(capsys, "configure", *extra)
    assert code == 0 and doc["checkpoint"] is None
    assert not any(e["checkpoint"] for e in doc["hosts"].values())
    assert not any(lab.checkpoints(n) for n in NODES)
    code, _, err = lab.run(capsys, "rollback")
    assert code == 2 and err.count("\n") == 1
    assert f"no checkpoint named {CHECKPOINT_PREFIX}* on the selected hosts" in err


@pytest.mark.parametrize("extra", [("--batch-lines", "1"), ("--all-or-nothing",), ("--commit-confirmed", "30")])
def test_every_commit_path_keeps_its_checkpoint(lab, capsys, extra):
    before = lab.running("leaf2")
    code, doc, _ = lab.run(capsys, "configure", *extra)
    assert code == 0 and doc["hosts"]["leaf2"]["committed"] is True
    assert lab.checkpoints("leaf2") == [doc["checkpoint"]] and lab.checkpoints("spine1") == []
    assert lab.run(capsys, "rollback", "--hosts", "leaf2")[0] == 0
    assert lab.running("leaf2") == before


def test_a_rejected_commit_clears_its_checkpoint_and_the_others_keep_theirs(lab, capsys):
    lab.twin.reject_next_commit("leaf2")
    code, doc, _ = lab.run(capsys, "configure")
    assert code == 1 and doc["hosts"]["leaf2"]["committed"] is False
    assert doc["hosts"]["leaf2"]["checkpoint"] is None and lab.checkpoints("leaf2") == []
    assert lab.checkpoints("leaf1") == [doc["checkpoint"]]


@pytest.mark.parametrize("extra", [(), ("--batch-lines", "1")], ids=["pasted", "line-by-line"])
def test_a_checkpoint_the_device_refuses_fails_the_host_before_anything_is_loaded(lab, capsys, monkeypatch, extra):
    """The name is taken on leaf1 (two runs within a millisecond, or by hand): leaf1 fails with
    the device's words and nothing committed, its checkpoint of that name is not ours to
    clear, and the other hosts go on. Line by line (`--batch-lines 1`) the refusal is read
    by another branch, which no test ran (branch coverage)."""
    name = checkpoint_name()
    monkeypatch.setattr("nornir_evpn.commands.configure.checkpoint_name", lambda: name)
    lab.twin.datastore("leaf1").generate_checkpoint(name, "by hand", "admin")
    before = lab.running("leaf1")
    code, doc, _ = lab.run(capsys, "configure", *extra)
    leaf1 = doc["hosts"]["leaf1"]
    assert code == 1 and leaf1["ok"] is False and leaf1["committed"] is False
    assert leaf1["error"].startswith("tools system configuration generate-checkpoint name ")
    assert f"Error: a checkpoint named '{name}' exists already" in leaf1["error"]
    assert lab.running("leaf1") == before
    assert [c.comment for c in lab.twin.datastore("leaf1").checkpoints] == ["by hand", CLAB_INITIAL_COMMENT]
    assert doc["hosts"]["leaf2"]["committed"] is True


def test_a_revert_the_device_refuses_fails_that_host_only(lab, capsys):
    before = {n: lab.running(n) for n in NODES}
    assert lab.run(capsys, "configure")[0] == 0

    async def pending_on_leaf1() -> None:  # another operator's commit confirmed, not accepted
        ds = lab.twin.datastore("leaf1")
        changed = ds.running.copy()
        changed.set(("interface", "lag9", "admin-state", "enable"))
        ds.commit(ds.running, changed, confirm_timeout=120)

    lab.twin._run(pending_on_leaf1())
    code, doc, _ = lab.run(capsys, "rollback")
    leaf1 = doc["hosts"]["leaf1"]
    assert code == 1 and leaf1["ok"] is False and leaf1["reverted"] is False
    assert "a commit confirmed is pending" in leaf1["device_error"]
    assert {h: e["reverted"] for h, e in doc["hosts"].items() if h != "leaf1"} == {
        "leaf2": True, "leaf3": True, "spine1": False}
    assert lab.running("leaf2") == before["leaf2"]


def test_rollback_names_an_unknown_checkpoint_and_reverts_nothing(lab, capsys):
    assert lab.run(capsys, "configure")[0] == 0
    after = lab.running("leaf1")
    code, _, err = lab.run(capsys, "rollback", "--checkpoint", "nornir-evpn-19990101-000000.000")
    assert code == 2 and err.count("\n") == 1
    assert "no selected host holds checkpoint 'nornir-evpn-19990101-000000.000'" in err
    assert lab.running("leaf1") == after


def test_rollback_picks_the_newest_run_and_leaves_hosts_that_run_did_not_change(lab, capsys):
    before = lab.running("leaf1")
    assert lab.run(capsys, "configure", "--features", "underlay,overlay")[0] == 0  # nothing to do
    code, first, _ = lab.run(capsys, "configure", "--hosts", "leaf1,leaf3")
    assert code == 0
    mid_leaf2 = lab.running("leaf2")
    code, second, _ = lab.run(capsys, "configure")  # changes leaf2 only now
    assert code == 0 and second["checkpoint"] > first["checkpoint"]
    assert [h for h, e in second["hosts"].items() if e["checkpoint"]] == ["leaf2"]
    code, doc, _ = lab.run(capsys, "rollback")
    assert doc["checkpoint"] == second["checkpoint"]
    assert {h: e["reverted"] for h, e in doc["hosts"].items()} == {
        "leaf1": False, "leaf2": True, "leaf3": False, "spine1": False}
    assert lab.running("leaf2") == mid_leaf2 and lab.running("leaf1") != before
    # a second rollback steps back one more run (it went to the same one again: reviewer)
    code, doc, _ = lab.run(capsys, "rollback")
    assert code == 0 and doc["checkpoint"] == first["checkpoint"]
    assert {h: e["reverted"] for h, e in doc["hosts"].items()} == {
        "leaf1": True, "leaf2": False, "leaf3": True, "spine1": False}
    assert lab.running("leaf1") == before
    code, _, err = lab.run(capsys, "rollback")  # every recorded run is rolled back already
    assert code == 2 and "rolled back already" in err


def test_checkpoint_names_sort_like_runs_and_the_state_parser_reads_the_list():
    import datetime

    t = datetime.datetime(2026, 11, 27, 9, 5, 1, 7000, tzinfo=datetime.timezone.utc)
    assert checkpoint_name(t) == f"nornir-evpn-20261127-090501.007000-{os.getpid()}"
    assert checkpoint_name(t) < checkpoint_name(t + datetime.timedelta(milliseconds=1))
    doc = {"srl_nokia-configuration:checkpoint": [
        {"id": 1, "name": "b", "comment": ""}, {"id": 0, "name": "a", "comment": "x"}]}
    assert [c["name"] for c in parse_checkpoints(json.dumps(doc))] == ["a", "b"]
    assert parse_checkpoints("") == []
    assert parse_checkpoints("Error: path /system/configuration/checkpoint is not valid") is None


def test_a_checkpoint_a_run_left_without_committing_is_never_the_default(lab, capsys, own_checkpoint_record):
    """A run interrupted after its checkpoints (or whose session was lost, or an all-or-nothing
    rolled back) left a newer checkpoint on the leaves: rollback took it, reported "3
    reverted" and undid nothing (rollback reviewer). The default comes from the record of
    the runs whose commits stand."""
    before = lab.running("leaf1")
    code, a, _ = lab.run(capsys, "configure")
    assert code == 0
    # the check that the record can be written (a file made beside it) leaves nothing behind
    assert sorted(p.name for p in own_checkpoint_record.parent.iterdir()) == ["checkpoints.json"]
    left = "nornir-evpn-29991231-235959.999"
    for leaf in ("leaf1", "leaf2", "leaf3"):  # what an interrupted run B left behind...
        lab.twin.datastore(leaf).generate_checkpoint(left, "", "admin")
    # ...and recorded as such (an interrupted run starts no session to clear it)
    checkpoint_record.record_run("evpn-mh01", left, [], False, left=["leaf1", "leaf2", "leaf3"])
    after = lab.running("leaf1")
    # the last run committed nothing: undoing the one before is not what "the last run" means
    code, _, err = lab.run(capsys, "rollback")
    assert code == 2 and err.count("\n") == 1 and lab.running("leaf1") == after
    assert f"the last configure run here ({left}) committed nothing (interrupted)" in err
    assert f"`rollback --checkpoint {a['checkpoint']}` undoes the run before it" in err
    assert lab.run(capsys, "rollback", "--forget")[0] == 0  # stepped past: the default is A
    code, doc, _ = lab.run(capsys, "rollback")
    assert code == 0 and doc["checkpoint"] == a["checkpoint"]
    assert lab.running("leaf1") == before


def test_the_run_before_an_interrupted_one_is_the_one_recorded_before_it(lab, capsys):
    """Two operators at once on disjoint hosts: run I (leaf1) started first and was
    interrupted, run B (leaf2, leaf3) started a moment later and committed, and I's record came
    last. The refusal said `--checkpoint <A>` "undoes the run before it", A being the run
    before B (compared by checkpoint name, i.e. by start): reverting to it undid B and A on
    leaf2 and leaf3. The run before is the one the default takes after `--forget`: B."""
    code, a, _ = lab.run(capsys, "configure")
    assert code == 0 and a["checkpoint"]
    interrupted, b = "nornir-evpn-29991231-235959.000001-1", "nornir-evpn-29991231-235959.000002-2"
    for leaf in ("leaf2", "leaf3"):
        lab.twin.datastore(leaf).generate_checkpoint(b, "", "admin")
    lab.twin.datastore("leaf1").generate_checkpoint(interrupted, "", "admin")
    checkpoint_record.record_run("evpn-mh01", b, ["leaf2", "leaf3"], False)  # B ended first
    checkpoint_record.record_run("evpn-mh01", interrupted, [], False, left=["leaf1"])
    code, _, err = lab.run(capsys, "rollback")
    assert code == 2, err
    assert f"the last configure run here ({interrupted}) committed nothing (interrupted)" in err
    assert f"`rollback --checkpoint {b}` undoes the run before it" in err, err
    assert lab.run(capsys, "rollback", "--forget")[0] == 0
    code, doc, err = lab.run(capsys, "rollback", "--dry-run")
    assert code == 0 and doc["checkpoint"] == b, err


def test_a_newer_checkpoint_this_directory_never_recorded_stops_the_default(lab, capsys):
    """A runbook (or another machine) changed leaf1 after the last recorded run: the record's
    default reverted past it and undid both changes without a word (runbook tester)."""
    code, a, _ = lab.run(capsys, "configure")
    assert code == 0
    theirs = "nornir-evpn-29991231-235959.999"
    lab.twin.datastore("leaf1").generate_checkpoint(theirs, "a runbook's", "admin")
    after = lab.running("leaf1")
    code, _, err = lab.run(capsys, "rollback")
    assert code == 2 and err.count("\n") == 1
    assert f"leaf1 holds checkpoint {theirs}, newer than the last run recorded here ({a['checkpoint']})" in err
    assert lab.running("leaf1") == after
    assert lab.run(capsys, "rollback", "--checkpoint", a["checkpoint"])[0] == 0  # chosen: done


def test_an_all_or_nothing_rolled_back_keeps_no_checkpoint_in_the_report(lab, capsys):
    lab.twin.reject_next_commit("leaf2")
    code, doc, _ = lab.run(capsys, "configure", "--all-or-nothing")
    assert code == 1 and not any(e["committed"] for e in doc["hosts"].values())
    assert doc["checkpoint"] is None and not any(e["checkpoint"] for e in doc["hosts"].values())
    # the leaves that committed, then were rolled back, had their checkpoint cleared again
    assert not any(lab.checkpoints(n) for n in NODES)
    assert not any(e["checkpoint_left"] for e in doc["hosts"].values())
    code, _, err = lab.run(capsys, "rollback")  # a failed run is no way to reach the run before it
    assert code == 2 and "committed nothing (failed on leaf2): there is nothing of it to undo" in err


def test_without_a_record_a_host_that_cannot_be_read_stops_the_choice(lab, capsys, own_checkpoint_record):
    """The newest checkpoint is read off the devices when this directory has no record (the
    run was made on another machine): leaf1, unreadable, might hold a newer one, and the
    others were reverted to an older run's (rollback reviewer)."""
    assert lab.run(capsys, "configure")[0] == 0
    own_checkpoint_record.unlink()
    lab.twin.set_unreachable("leaf1")
    after = lab.running("leaf2")
    code, _, err = lab.run(capsys, "rollback")
    assert code == 2 and err.count("\n") == 1
    assert "cannot tell the newest checkpoint: leaf1: " in err and "--checkpoint NAME" in err
    assert lab.running("leaf2") == after
    lab.twin.set_unreachable("leaf1", False)
    assert lab.run(capsys, "rollback")[0] == 0  # all read: the devices' newest


def test_a_host_the_run_changed_that_lost_its_checkpoint_stops_it_before_any_revert(lab, capsys):
    """Ten later checkpoints pushed the run's out of leaf1's list: leaf1 was "no checkpoint"
    (skipped), leaf2 reverted, exit 0, the ES peers left with different LACP settings; then
    leaf1 failed but leaf2 still reverted, and every later default picked that run again
    (rollback reviewers). Nothing is reverted now, and --forget steps past the run."""
    code, a, _ = lab.run(capsys, "configure")
    assert code == 0
    lab.twin.datastore("leaf1").clear_checkpoint(a["checkpoint"])
    after = lab.running("leaf2")
    code, _, err = lab.run(capsys, "rollback")
    assert code == 2 and err.count("\n") == 1
    assert f"checkpoint {a['checkpoint']} is no longer on leaf1 (" in err and "rollback --forget" in err
    assert lab.running("leaf2") == after
    code, _, err = lab.run(capsys, "rollback", "--forget")
    assert code == 0 and f"run {a['checkpoint']} marked undone on leaf1 … leaf3 (3)" in err
    assert lab.running("leaf2") == after
    code, _, err = lab.run(capsys, "rollback")
    assert code == 2 and "rolled back already" in err


def test_a_rollback_to_an_older_run_marks_the_runs_it_undid(lab, capsys, tmp_path):
    """`rollback --checkpoint <run1>` undid run2 too; the plain rollback after it picked run2
    and put its configuration back, exit 0 (rollback reviewer)."""
    import shutil

    other = tmp_path / "inventory"  # the intent with ecmp 4: a second change on every leaf
    shutil.copytree(INVENTORY, other)
    for name in ("hosts.yaml", "defaults.yaml"):
        (other / name).write_text((other / name).read_text().replace("ecmp: 2", "ecmp: 4"))
    before = lab.running("leaf1")
    code, run1, _ = lab.run(capsys, "configure")
    assert code == 0
    capsys.readouterr()
    code = main(["configure", "--twin", "--twin-state", str(lab.state), "--inventory", str(other), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    run2 = json.loads(captured.out)
    assert run2["checkpoint"] and run2["hosts"]["leaf1"]["changed"]
    assert lab.run(capsys, "rollback", "--checkpoint", run1["checkpoint"])[0] == 0
    assert lab.running("leaf1") == before
    code, _, err = lab.run(capsys, "rollback")
    assert code == 2 and "rolled back already" in err
    assert lab.running("leaf1") == before


def test_a_corrupt_record_is_one_line_and_never_overwritten(lab, capsys, own_checkpoint_record):
    assert lab.run(capsys, "configure")[0] == 0
    own_checkpoint_record.write_text('{"runs": [{"lab": "evpn-mh01", "checkp')  # a truncated write
    code, _, err = lab.run(capsys, "rollback")
    assert code == 2 and err.count("\n") == 1 and "not a checkpoint record" in err
    running = lab.running("leaf1")
    # a run the record cannot hold is refused before any connection (it used to commit, then
    # say the checkpoint was not recorded: rollback did not know which hosts it changed)
    code, _, err = lab.run(capsys, "configure", "--features", "underlay,overlay", "--prune")
    assert code == 2 and err.count("\n") == 1, err
    assert "not a checkpoint record" in err and "configure records its run there for rollback" in err
    assert lab.running("leaf1") == running and len(lab.checkpoints("leaf1")) == 1
    assert own_checkpoint_record.read_text() == '{"runs": [{"lab": "evpn-mh01", "checkp'
    # what commits nothing needs no record
    assert lab.run(capsys, "configure", "--dry-run")[0] == 0


def test_a_record_that_cannot_be_written_refuses_the_commit_up_front(lab, capsys, monkeypatch,
                                                                     own_checkpoint_record):
    from nornir_evpn import checkpoint_record

    def read_only(*args, **kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(checkpoint_record.tempfile, "mkstemp", read_only)
    running = lab.running("leaf1")
    code, _, err = lab.run(capsys, "configure")
    assert code == 2 and err.count("\n") == 1, err
    assert f"checkpoint record {own_checkpoint_record} cannot be written (Read-only file system)" in err
    assert "$NORNIR_EVPN_CHECKPOINTS" in err and "--no-checkpoint" in err
    assert "writable directory" not in err  # the record is the variable's: the cwd is no way out
    assert lab.running("leaf1") == running and lab.checkpoints("leaf1") == []
    # without a checkpoint there is nothing to record: the run goes ahead
    code, doc, _ = lab.run(capsys, "configure", "--no-checkpoint")
    assert code == 0 and doc["hosts"]["leaf1"]["changed"] and doc["checkpoint"] is None
    assert not own_checkpoint_record.exists()

def test_the_first_run_in_a_new_project_makes_the_records_directory(lab, capsys, tmp_path, monkeypatch):
    """The check that the record can be written runs before the directory exists (a new
    project has no ./.nornir_evpn/ yet): it makes it, private, rather than refusing the run."""
    record = tmp_path / "new" / ".nornir_evpn" / "checkpoints.json"
    monkeypatch.setenv("NORNIR_EVPN_CHECKPOINTS", str(record))
    code, doc, err = lab.run(capsys, "configure")
    assert code == 0, err
    assert [r["checkpoint"] for r in json.loads(record.read_text())["runs"]] == [doc["checkpoint"]]
    assert record.parent.stat().st_mode & 0o777 == 0o700


def test_rollback_after_a_saved_change_says_so_and_saves_when_asked(lab, capsys):
    assert lab.run(capsys, "configure", "--save")[0] == 0
    code, doc, _ = lab.run(capsys, "rollback")
    assert code == 0 and lab.twin.datastore("leaf1").unsaved is True
    assert any("configure saved that change to the startup configuration" in n for n in doc["notes"])
    assert lab.run(capsys, "configure", "--save")[0] == 0
    code, doc, _ = lab.run(capsys, "rollback", "--save")
    assert code == 0 and doc["save"] is True and not doc["notes"]
    assert {h: e["saved"] for h, e in doc["hosts"].items()} == {
        "leaf1": True, "leaf2": True, "leaf3": True, "spine1": False}
    assert lab.twin.datastore("leaf1").unsaved is False


def test_the_startup_note_s_command_saves_the_revert_and_reverts_nothing_more(lab, capsys):
    """After `configure --save` and a `rollback`, the note said "`rollback --save` keeps the
    revert": run as said, it chose the run before (this one is undone) and reverted that too.
    The note names the checkpoint; that rollback finds nothing to revert, and saves."""
    assert lab.run(capsys, "configure")[0] == 0

    async def by_hand() -> None:  # a line taken away by hand: the next configure puts it back
        ds = lab.twin.datastore("leaf1")
        changed = ds.running.copy()
        assert changed.delete(("interface", "ethernet-1/1", "admin-state"))
        ds.commit(ds.running, changed)

    lab.twin._run(by_hand())
    assert lab.run(capsys, "configure", "--save")[0] == 0
    code, doc, _ = lab.run(capsys, "rollback")
    assert code == 0
    [note] = [n for n in doc["notes"] if "configure saved that change" in n]
    command = note.split("`")[1].split()
    assert command[:2] == ["rollback", "--checkpoint"] and command[2] == doc["checkpoint"]
    after = {h: lab.running(h) for h in ("leaf1", "spine1")}
    code, doc, _ = lab.run(capsys, *command)
    assert code == 0 and lab.twin.datastore("leaf1").unsaved is False
    assert all(not e["changed"] for e in doc["hosts"].values())
    assert {h: lab.running(h) for h in ("leaf1", "spine1")} == after


def test_a_checkpoint_name_of_two_lines_is_one_line_of_bad_input(lab, capsys):
    code, _, err = lab.run(capsys, "rollback", "--checkpoint", "x\ny")
    assert code == 2 and err.count("\n") == 1 and "--checkpoint" in err


@pytest.mark.parametrize("name", ['say "hi"', "a\\b"])
def test_a_checkpoint_name_the_tool_will_not_type_is_one_line_of_bad_input(lab, capsys, name):
    """README: a name holding a double quote or a backslash "is refused (one line, nothing
    sent)"; it was one FAILED row and one line per host, exit 1 (review)."""
    code, _, err = lab.run(capsys, "rollback", "--checkpoint", name)
    assert code == 2 and err.count("\n") == 1 and "double quote or a backslash" in err, err


def test_an_interrupt_while_reading_the_checkpoint_lists_says_nothing_changed(lab, capsys, monkeypatch,
                                                                              own_checkpoint_record):
    """Exit 130 with an empty stdout under --json (rollback reviewer)."""
    assert lab.run(capsys, "configure")[0] == 0
    own_checkpoint_record.unlink()  # no record: the lists are read first

    def interrupted(agg):
        raise KeyboardInterrupt

    monkeypatch.setattr("nornir_evpn.commands.rollback.newest_checkpoint", interrupted)
    after = lab.running("leaf1")
    code, doc, err = lab.run(capsys, "rollback")
    assert code == 130 and "rollback interrupted before any revert: nothing changed" in err
    assert doc["interrupted"] is True and doc["hosts"] == {} and doc["ok"] is False
    assert lab.running("leaf1") == after


def test_an_interrupt_during_the_checkpoint_reads_reports_no_host_without_its_checkpoint(lab, capsys, monkeypatch,
                                                                                        tmp_path):
    """A SIGTERM while the lists were read came back with what they read, taken for the
    reverts' results: every host "no checkpoint" (`found: false`, JUnit skipped), "0 would
    revert, 4 without the checkpoint", on hosts that held it (CLI consistency review)."""
    from nornir_evpn.commands import rollback as command
    from nornir_evpn.commands.configure import Interrupted

    assert lab.run(capsys, "configure")[0] == 0
    real = command.run_interruptible

    def signalled_while_reading(work, cancel):
        raise Interrupted(real(work, cancel))  # the reads ended, the signal came meanwhile

    monkeypatch.setattr(command, "run_interruptible", signalled_while_reading)
    junit = tmp_path / "rollback.xml"
    code, doc, err = lab.run(capsys, "rollback", "--dry-run", "--junit", str(junit))
    assert code == 130 and "rollback interrupted before any revert: nothing changed" in err
    assert doc["hosts"] == {} and doc["dry_run"] is True and doc["ok"] is False
    assert 'errors="1"' in junit.read_text()


def test_an_interrupt_during_the_save_keeps_the_reverts_in_the_report(lab, capsys, monkeypatch):
    """An interrupt in `rollback --save`'s save step was reported as "interrupted before any
    revert: nothing changed", with every host reverted (reviewer)."""
    before = lab.running("leaf1")
    assert lab.run(capsys, "configure", "--save")[0] == 0

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("nornir_evpn.commands.rollback._save", interrupted)
    code, doc, err = lab.run(capsys, "rollback", "--save")
    assert code == 130 and lab.running("leaf1") == before
    assert {h: (e["reverted"], e["saved"]) for h, e in doc["hosts"].items()} == {
        "leaf1": (True, False), "leaf2": (True, False), "leaf3": (True, False), "spine1": (False, False)}
    assert any("interrupted during the save" in n for n in doc["notes"])
    assert "nothing changed" not in err


def _intent(tmp_path: Path, ecmp: int) -> Path:
    """A copy of the inventory whose mac-vrf has `ecmp` paths: another change on every leaf."""
    import shutil

    copy = tmp_path / f"inventory-ecmp{ecmp}"
    if not copy.exists():
        shutil.copytree(INVENTORY, copy)
        for name in ("hosts.yaml", "defaults.yaml"):
            (copy / name).write_text((copy / name).read_text().replace("ecmp: 2", f"ecmp: {ecmp}"))
    return copy


def _configure(lab: Lab, capsys, inventory: Path, *extra: str) -> dict:
    capsys.readouterr()
    code = main(["configure", "--twin", "--twin-state", str(lab.state), "--inventory", str(inventory),
                 "--json", *extra])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def _ecmp(lab: Lab, node: str) -> str | None:
    """The mac-vrf's ecmp on `node` (None: not set, as in the lab's startup configs)."""
    return next((line.rsplit(" ", 1)[1] for line in lab.running(node) if line.endswith(
        tuple(f"ecmp {n}" for n in range(1, 9))) and "mac-vrf-1" in line), None)


def test_no_revert_forward_after_a_revert_that_undid_part_of_a_later_run(lab, capsys, tmp_path):
    """A1 on leaf1 only, B on every leaf, `rollback --checkpoint A1` (leaf1 back, B undone
    there too), then the plain rollback picked B and put leaf1 forward to A1's ecmp 8, exit 0
    (third review). leaf1 is done with B: only leaf2 and leaf3 go back."""
    a1 = _configure(lab, capsys, _intent(tmp_path, 8), "--hosts", "leaf1")
    b = _configure(lab, capsys, INVENTORY)
    assert [_ecmp(lab, n) for n in ("leaf1", "leaf2", "leaf3")] == ["2", "2", "2"]
    assert lab.run(capsys, "rollback", "--checkpoint", a1["checkpoint"])[0] == 0
    assert _ecmp(lab, "leaf1") is None  # before A1: the startup's
    code, doc, _ = lab.run(capsys, "rollback")
    assert code == 0 and doc["checkpoint"] == b["checkpoint"] and "leaf1" not in doc["hosts"]
    assert [_ecmp(lab, n) for n in ("leaf1", "leaf2", "leaf3")] == [None, None, None]  # (not 8 on leaf1)


def test_rollback_of_one_host_twice_steps_back_on_that_host(lab, capsys, tmp_path):
    """`rollback --hosts leaf1` twice reverted leaf1 to B's checkpoint again (exit 0) and never
    stepped back to A (third review); and with the newest run not touching the selection,
    the default was refused."""
    a = _configure(lab, capsys, _intent(tmp_path, 4))
    _configure(lab, capsys, _intent(tmp_path, 8))
    _configure(lab, capsys, INVENTORY, "--hosts", "leaf2")  # the newest run: leaf2 only
    assert lab.run(capsys, "rollback", "--hosts", "leaf1")[0] == 0
    assert _ecmp(lab, "leaf1") == "4"  # before the ecmp-8 run
    code, doc, _ = lab.run(capsys, "rollback", "--hosts", "leaf1")
    assert code == 0 and doc["checkpoint"] == a["checkpoint"] and _ecmp(lab, "leaf1") is None


def test_a_checkpoint_of_ones_own_never_leads_to_a_revert_forward(lab, capsys, tmp_path):
    """`rollback --checkpoint before-maint` marked runs by alphabetical order (third review); left
    unmarked, a run older than the checkpoint was then reverted to, forward (final review). A
    checkpoint of another name cannot be placed among the runs: the record counts them undone
    on the hosts reverted, and says so."""
    a = _configure(lab, capsys, _intent(tmp_path, 4))
    _configure(lab, capsys, _intent(tmp_path, 8))
    for leaf in ("leaf1", "leaf2", "leaf3"):  # taken after both runs... then everything reverted
        lab.twin.datastore(leaf).generate_checkpoint("mine", "", "admin")
    code, doc, _ = lab.run(capsys, "rollback", "--checkpoint", "mine")
    assert code == 0 and any(n.startswith("mine is no checkpoint of configure's") for n in doc["notes"])
    code, _, err = lab.run(capsys, "rollback")  # no run left to undo: nothing put forward
    assert code == 2 and "rolled back already" in err and _ecmp(lab, "leaf1") == "8"
    assert lab.run(capsys, "rollback", "--checkpoint", a["checkpoint"])[0] == 0  # chosen by name: done
    assert _ecmp(lab, "leaf1") is None

def test_forget_marks_that_run_only_and_says_so_in_json(lab, capsys, tmp_path):
    a = _configure(lab, capsys, _intent(tmp_path, 4))
    b = _configure(lab, capsys, _intent(tmp_path, 8))
    code, _, err = lab.run(capsys, "rollback", "--forget", "--dry-run")
    assert code == 2 and "--forget with --dry-run" in err
    code, _, err = lab.run(capsys, "rollback", "--forget", "--save")
    assert code == 2 and "--forget with --save: --forget sends nothing to any host" in err
    junit = tmp_path / "forget.xml"
    junit.write_text('<testsuites><testsuite name="old" tests="0"/></testsuites>')  # a previous run's
    code, doc, _ = lab.run(capsys, "rollback", "--forget", "--checkpoint", a["checkpoint"], "--junit", str(junit))
    assert code == 0 and doc == {**doc, "forget": ["leaf1", "leaf2", "leaf3"], "checkpoint": a["checkpoint"],
                                 "hosts": {}}
    assert f'name="rollback --forget {a["checkpoint"]}" tests="3"' in junit.read_text()  # it was left as it was
    code, doc, _ = lab.run(capsys, "rollback")  # B still stands: it is the default
    assert code == 0 and doc["checkpoint"] == b["checkpoint"] and _ecmp(lab, "leaf1") == "4"


def test_a_host_the_run_changed_that_cannot_be_read_stops_it(lab, capsys, tmp_path):
    """leaf2 unreachable: leaf1 and leaf3 were reverted, leaf2 not, ES peers apart (third review)."""
    _configure(lab, capsys, _intent(tmp_path, 4))
    lab.twin.set_unreachable("leaf2")
    code, _, err = lab.run(capsys, "rollback")
    assert code == 2 and err.count("\n") == 1 and "cannot read the checkpoints of leaf2: " in err
    assert _ecmp(lab, "leaf1") == "4"
    lab.twin.set_unreachable("leaf2", False)


def test_the_startup_note_names_the_hosts_configure_saved(lab, capsys, tmp_path, monkeypatch):
    """One host's save failed: the record said "not saved" for the run, and rollback said
    nothing of the two hosts that would boot with the change (third review)."""
    def full_disk() -> None:
        from nornir_evpn.twin.datastore import CommitError

        raise CommitError("no space left on device")

    lab.twin.datastore("leaf1").save = full_disk
    capsys.readouterr()
    main(["configure", "--twin", "--twin-state", str(lab.state), "--inventory", str(_intent(tmp_path, 4)),
          "--json", "--save"])
    capsys.readouterr()
    code, doc, _ = lab.run(capsys, "rollback")
    assert code == 0
    assert any(n.startswith("configure saved that change to the startup configuration: leaf2, leaf3 would boot")
               for n in doc["notes"])


def test_two_runs_in_one_millisecond_get_two_names() -> None:
    import datetime

    t = datetime.datetime(2026, 11, 27, 9, 5, 1, 7000, tzinfo=datetime.timezone.utc)
    assert checkpoint_name(t).endswith(f"-{os.getpid()}")  # (another process: another name)


def test_a_host_changed_again_after_its_revert_is_reverted_with_its_run(lab, capsys, tmp_path):
    """A on every leaf, `rollback --hosts leaf1` (A undone there), B on leaf1 again, then
    `rollback --checkpoint A` skipped leaf1 without a word (final review): leaf1 moved on since,
    so it goes back with the others."""
    _configure(lab, capsys, INVENTORY)
    a = _configure(lab, capsys, _intent(tmp_path, 4))
    assert lab.run(capsys, "rollback", "--hosts", "leaf1")[0] == 0
    _configure(lab, capsys, _intent(tmp_path, 8), "--hosts", "leaf1")
    code, doc, _ = lab.run(capsys, "rollback", "--checkpoint", a["checkpoint"])
    assert code == 0 and doc["hosts"]["leaf1"]["reverted"] is True
    assert [_ecmp(lab, n) for n in ("leaf1", "leaf2", "leaf3")] == ["2", "2", "2"]


def test_forget_on_some_hosts_leaves_the_run_to_undo_on_the_others(lab, capsys, tmp_path):
    _configure(lab, capsys, INVENTORY)
    c = _configure(lab, capsys, _intent(tmp_path, 4))
    assert lab.run(capsys, "rollback", "--forget", "--hosts", "leaf1")[0] == 0
    code, doc, _ = lab.run(capsys, "rollback")
    assert code == 0 and doc["checkpoint"] == c["checkpoint"] and "leaf1" not in doc["hosts"]
    assert any(n.startswith("leaf1: reverted to") for n in doc["notes"])
    assert [_ecmp(lab, n) for n in ("leaf1", "leaf2", "leaf3")] == ["4", "2", "2"]


SLOW_S = 5.0  # a device's answer to each command: longer than any wait below


def test_ctrl_c_while_the_lists_are_read_from_a_slow_device_does_not_wait_for_its_answers(lab, capsys):
    """The checkpoint lists change nothing: an interrupt cuts their sessions. A device
    answering in 8 s a command held Ctrl-C for 38 s, then said "nothing changed"."""
    import signal
    import subprocess
    import sys
    import time

    assert lab.run(capsys, "configure")[0] == 0
    after = lab.running("leaf1")
    lab.twin.set_slow("leaf1", SLOW_S)
    proc = subprocess.Popen([sys.executable, "-m", "nornir_evpn", "rollback", "--twin", "--twin-state", str(lab.state),
                             "--inventory", str(INVENTORY)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # a harness started in the background hands SIGINT down ignored
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        # connected to leaf1, its list read waiting on the first answer (a fixed sleep lost the
        # race with a slow start-up: the signal then came before the command ran)
        deadline = time.monotonic() + 30
        while not lab.twin.servers["leaf1"].connections:
            assert time.monotonic() < deadline and proc.poll() is None, "rollback never reached leaf1"
            time.sleep(0.02)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        sent = time.monotonic()
        _, err = proc.communicate(timeout=60)
        waited = time.monotonic() - sent
    finally:
        proc.kill()
        lab.twin.set_slow("leaf1", 0)
    assert proc.returncode == 130 and "rollback interrupted before any revert: nothing changed" in err, err
    assert waited < SLOW_S, f"waited {waited:.1f}s for the device's answer"
    assert lab.running("leaf1") == after


def test_an_interrupt_cuts_a_host_still_reading_before_its_revert_and_never_a_revert_sent(lab, capsys):
    """rollback's reverts: a host still reading its list when the run is cancelled is cut
    (left as it was, `interrupted: not reverted`); the hosts whose revert went out keep it."""
    import argparse
    import threading
    import time

    from nornir_evpn.tasks.checkpoint import rollback_checkpoint

    from nornir_evpn import uncommitted
    from nornir_evpn.commands.common import build_target

    before = {n: lab.running(n) for n in NODES}
    code, doc, _ = lab.run(capsys, "configure")
    assert code == 0
    changed = lab.running("leaf1")
    target = build_target(argparse.Namespace(inventory=INVENTORY, twin=True, twin_state=lab.state, hosts=None,
                                              role=None, workers=None, verbose=0))
    lab.twin.set_slow("leaf1", SLOW_S)
    cancel = threading.Event()
    box: dict = {}
    # leaf1 (slow) and leaf3 only: a third host (leaf2, or spine1 reading its list) lagging on
    # a loaded machine would still be cuttable when leaf3 is done, and was cut too
    two = target.nr.filter(filter_func=lambda h: h.name in ("leaf1", "leaf3"))
    worker = threading.Thread(target=lambda: box.update(agg=two.run(
        task=rollback_checkpoint, checkpoint=doc["checkpoint"], cancel=cancel)))
    try:
        worker.start()
        deadline = time.monotonic() + 30
        while lab.running("leaf3") != before["leaf3"] and time.monotonic() < deadline:
            time.sleep(0.05)  # the fast hosts have reverted; leaf1 waits on its first answer
        cancel.set()
        # cut again until the run ends, as configure's interrupt does (CUT_AGAIN_S): a host
        # still in its SSH login has no session to cut yet (a loaded CI machine got there)
        cut: set[str] = set()
        deadline = time.monotonic() + SLOW_S - 1
        while worker.is_alive() and time.monotonic() < deadline:
            cut.update(uncommitted.cut(cancel))
            worker.join(0.05)
        assert not worker.is_alive(), "the interrupt waited for the slow device"
    finally:
        lab.twin.set_slow("leaf1", 0)
        worker.join(60)
        target.nr.close_connections(on_failed=True)
    results = {h: m[0].result for h, m in box["agg"].items()}
    assert cut == {"leaf1"}
    assert results["leaf1"]["error"] == "interrupted: not reverted" and not results["leaf1"]["reverted"]
    assert lab.running("leaf1") == changed  # left as it was
    assert results["leaf3"]["reverted"] and lab.running("leaf3") == before["leaf3"]


def test_the_twin_has_containerlabs_initial_checkpoint_and_rollback_resets_the_lab_to_it(lab, capsys):
    """containerlab checkpoints every SR Linux node once deployed (`clab-initial`, comment `set
    by containerlab`): users reset a lab with it, and it is one of the device's ten. The twin
    has it too, so `rollback --checkpoint clab-initial` (no record needed) resets a configured
    twin as it resets a lab."""
    # containerlab's srl kind: `generate-checkpoint name clab-initial comment "set by containerlab"`
    assert (CLAB_INITIAL, CLAB_INITIAL_COMMENT) == ("clab-initial", "set by containerlab")
    startup = {n: lab.running(n) for n in NODES}
    for n in NODES:
        [initial] = lab.twin.datastore(n).checkpoints
        assert (initial.name, initial.comment) == (CLAB_INITIAL, CLAB_INITIAL_COMMENT)
        assert set(initial.config.flat()) == startup[n]
    code, doc, _ = lab.run(capsys, "configure")
    assert code == 0 and lab.running("leaf1") != startup["leaf1"]
    code, back, _ = lab.run(capsys, "rollback", "--checkpoint", CLAB_INITIAL)
    assert code == 0, back
    assert {h: (e["found"], e["reverted"]) for h, e in back["hosts"].items()} == {n: (True, True) for n in NODES}
    assert {n: lab.running(n) for n in NODES} == startup
    # the run's own checkpoints stay (a revert clears none), containerlab's too
    assert [c.name for c in lab.twin.datastore("leaf1").checkpoints] == [doc["checkpoint"], CLAB_INITIAL]


def test_rollback_is_held_off_by_a_failover_test_or_a_commit_on_its_hosts_a_dry_run_is_not(
        lab, capsys, tmp_path, monkeypatch):
    """rollback commits: while a configure of this directory commits to one of its hosts, or
    a failover-test has that host's link shut, it is refused (nothing sent); a dry run only
    reads and goes on. `--forget` commits nothing: a configure's claim does not hold it off
    (a failover-test does, as before)."""
    import os

    from nornir_evpn import commit_claims
    from nornir_evpn.failover_state import prepare_state_file, state_file_path

    monkeypatch.setenv("NORNIR_EVPN_FAILOVER_STATE", str(tmp_path / "fo" / "failover-state.json"))
    code, a, _ = lab.run(capsys, "configure")
    assert code == 0 and a["checkpoint"]
    after = lab.running("leaf1")
    with commit_claims.committing("configure", "evpn-mh01", ["leaf1"], twin_state=lab.state.resolve()):
        code, _, err = lab.run(capsys, "rollback")
        assert code == 2, err
        assert f"a configure (pid {os.getpid()}) is committing to leaf1 of lab evpn-mh01" in err
        assert err.rstrip().endswith("run rollback once it has ended")
        code, dry, err = lab.run(capsys, "rollback", "--dry-run")
        assert (code, dry["checkpoint"]) == (0, a["checkpoint"]), err
    prepare_state_file(state_file_path(), "leaf1", "ethernet-1/1", {"lab": "evpn-mh01"})
    for extra in ((), ("--forget",)):
        code, _, err = lab.run(capsys, "rollback", *extra)
        assert code == 2, err
        assert f"a failover-test (pid {os.getpid()}) is running on leaf1 ethernet-1/1" in err
        assert "run rollback once it has ended" in err
    assert lab.run(capsys, "rollback", "--dry-run")[0] == 0
    assert lab.running("leaf1") == after  # nothing reverted
    state_file_path().unlink()
    with commit_claims.committing("configure", "evpn-mh01", ["leaf1"], twin_state=lab.state.resolve()):
        code, doc, err = lab.run(capsys, "rollback", "--forget")
        assert (code, doc["checkpoint"], doc["forget"]) == (0, a["checkpoint"], ["leaf1", "leaf2", "leaf3"]), err
    assert not list((tmp_path / "fo").glob("commit-*.json"))


def test_rollback_holds_its_hosts_while_it_reverts(lab, capsys, tmp_path, monkeypatch):
    """A failover-test, configure or rollback wanting one of the hosts a rollback reverts
    is refused until it ends: its claim names them."""
    from nornir_evpn import commit_claims
    from nornir_evpn.commands import rollback

    monkeypatch.setenv("NORNIR_EVPN_FAILOVER_STATE", str(tmp_path / "fo" / "failover-state.json"))
    assert lab.run(capsys, "configure")[0] == 0
    held: list[tuple[str, list[str]]] = []
    real = rollback._run

    def run(args, target):
        held.extend((doc["command"], doc["hosts"]) for _, doc in commit_claims.live_claims("evpn-mh01"))
        return real(args, target)

    monkeypatch.setattr(rollback, "_run", run)
    code, _, err = lab.run(capsys, "rollback", "--hosts", "leaf1,leaf2")
    assert code == 0, err
    assert held == [("rollback", ["leaf1", "leaf2"])]
    assert commit_claims.live_claims("evpn-mh01") == []


def test_save_with_dry_run_is_refused_before_anything_is_read(lab, capsys, tmp_path):
    """`rollback --dry-run --save` was accepted: exit 0 and "0 saved to startup", the --save
    silently dropped (configure refuses the same pair). One line, exit 2, --json and --junit
    answered, no host read."""
    code, _, _ = lab.run(capsys, "configure")
    assert code == 0
    junit = tmp_path / "rb.xml"
    code, doc, err = lab.run(capsys, "rollback", "--dry-run", "--save", "--junit", str(junit))
    assert code == 2 and err.count("\n") == 1 and "--save with --dry-run" in err
    assert doc["ok"] is False and "--save with --dry-run" in doc["error"]
    assert 'failures="1"' in junit.read_text() or 'errors="1"' in junit.read_text()
    # --forget says its own (it sends nothing at all)
    code, _, err = lab.run(capsys, "rollback", "--forget", "--dry-run", "--save")
    assert code == 2 and "--forget with --dry-run" in err


def test_default_rollback_of_hosts_no_run_changed_says_so(lab, capsys):
    """`rollback --role spine` after a configure that changed the leaves only said "every run
    ... is rolled back already on the selected hosts": no run had ever changed spine1."""
    assert lab.run(capsys, "configure")[0] == 0
    code, doc, err = lab.run(capsys, "rollback", "--role", "spine")
    assert code == 2 and err.count("\n") == 1
    assert "no run of lab evpn-mh01 recorded in" in err and "changed the selected hosts (spine1)" in err
    assert "rolled back already" not in doc["error"]
    assert lab.run(capsys, "rollback")[0] == 0  # the leaves' change is undone
    code, _, err = lab.run(capsys, "rollback", "--hosts", "leaf1")
    assert code == 2 and "is rolled back already on the selected hosts" in err
