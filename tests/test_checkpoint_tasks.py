"""Checkpoints in a runbook of one's own (the tasks, not the CLI), against an in-process twin:
what is left on the devices when a change does not stand, and the documented result dicts."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from nornir_evpn.tasks import (
    checkpoint_name,
    clear_checkpoint,
    configure_fabric,
    confirm_commit,
    list_checkpoints,
    rollback_checkpoint,
)
from nornir_evpn.tasks.cli_lines import DEFAULT_BATCH_LINES
from runbook_nornir import nornir_on_twin

from nornir_evpn.inventory import fabric_from_nornir
from nornir_evpn.render import FEATURES, Renderer
from nornir_evpn.transaction import all_or_nothing
from nornir_evpn.twin.runtime import CLAB_INITIAL, Twin

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "inventory" / "evpn-mh01.clab.yml"
LEAVES = ("leaf1", "leaf2", "leaf3")


@pytest.fixture
def twin():
    with Twin(LAB) as t:
        yield t


@pytest.fixture
def nr(twin: Twin):
    nr = nornir_on_twin(twin)
    yield nr
    nr.close_connections(on_failed=True)


def held(twin: Twin) -> dict[str, list[str]]:
    # (containerlab's own, on every node from the start, aside)
    return {n: [c.name for c in twin.datastore(n).checkpoints if c.name != CLAB_INITIAL] for n in LEAVES}


def test_a_commit_confirmed_rejected_clears_its_checkpoint(twin: Twin, nr) -> None:
    """A runbook's `confirmed` + `accept=False`, rejected after a failed verify, left the
    checkpoint on the device and in the result (runbook tester)."""
    cp = checkpoint_name()
    leaves = nr.filter(filter_func=lambda h: h.name in LEAVES)
    applied = leaves.run(task=configure_fabric, fabric=fabric_from_nornir(nr), mode="confirmed",
                         accept=False, checkpoint=cp)
    assert {h: m[0].result["checkpoint"] for h, m in applied.items()} == dict.fromkeys(LEAVES, cp)
    rejected = leaves.run(task=confirm_commit, accept=False, checkpoint=cp)
    assert {h: (m[0].result["rejected"], m[0].result["checkpoint_cleared"]) for h, m in rejected.items()} == \
        dict.fromkeys(LEAVES, (True, True))
    assert held(twin) == {n: [] for n in LEAVES}


def test_all_or_nothing_rolled_back_clears_the_checkpoints_for_a_runbook_too(twin: Twin, nr) -> None:
    cp = checkpoint_name()
    twin.reject_next_commit("leaf2")
    srl = nr.filter(filter_func=lambda h: h.name in (*LEAVES, "spine1"))
    entries, notes = all_or_nothing(srl, fabric_from_nornir(nr), Renderer(), FEATURES, 60, threading.Event(),
                                    checkpoint=cp)
    assert not any(e["committed"] for e in entries.values())
    assert {h: (e["checkpoint"], e["checkpoint_left"]) for h, e in entries.items()} == dict.fromkeys(
        (*LEAVES, "spine1"), (None, None))
    assert held(twin) == {n: [] for n in LEAVES}
    assert notes == ["a commit failed: every host was rolled back"]


def test_a_failed_host_keeps_every_documented_key(twin: Twin, nr) -> None:
    twin.reject_next_commit("leaf1")
    result = nr.filter(name="leaf1").run(task=configure_fabric, fabric=fabric_from_nornir(nr),
                                         checkpoint=checkpoint_name())["leaf1"][0].result
    assert result["committed"] is False and result["checkpoint"] is None
    assert result["checkpoint_left"] is None  # cleared in its session, and the key is there


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"checkpoint": None}, "checkpoint name: expected a non-empty string, got None"),
    ({"checkpoint": "x\ny"}, "leaf1: checkpoint name"),
    ({"checkpoint": "nornir-evpn-x", "required": "leaf10"},
     "required: expected a collection of host names, got the string 'leaf10'"),
])
def test_bad_input_to_rollback_is_one_line_in_the_dict(nr, kwargs, error) -> None:
    """`checkpoint=r["checkpoint"]` of a host that committed nothing gave a traceback as the
    result; `required="leaf10"` required leaf1 (a substring) (runbook tester)."""
    result = nr.filter(name="leaf1").run(task=rollback_checkpoint, **kwargs)["leaf1"][0]
    assert result.failed and result.result["error"].startswith(error)
    assert result.result["reverted"] is False
    cleared = nr.filter(name="leaf1").run(task=clear_checkpoint, checkpoint=None, on_failed=True)["leaf1"][0]
    assert cleared.failed and cleared.result == {
        "cleared": False, "error": "checkpoint name: expected a non-empty string, got None"}


def test_the_checkpoint_tasks_work_one_command_at_a_time(twin: Twin, nr) -> None:
    """`batch_lines=1` (scrapli's send_commands, the answer read with its prompt): the list's
    JSON was cut at the prompt's last brace (`--{ running }--`), and every checkpoint task
    failed with "answered no checkpoint list" (a self-review of 0.16's runbook paths)."""
    cp = checkpoint_name()
    leaf1 = nr.filter(name="leaf1")
    assert leaf1.run(task=configure_fabric, fabric=fabric_from_nornir(nr), checkpoint=cp)["leaf1"][0].result[
        "committed"]
    listed = leaf1.run(task=list_checkpoints, batch_lines=1)["leaf1"][0].result
    assert [c["name"] for c in listed["checkpoints"]] == [cp, CLAB_INITIAL] and listed["error"] is None
    back = leaf1.run(task=rollback_checkpoint, checkpoint=cp, batch_lines=1)["leaf1"][0]
    assert (back.failed, back.changed, back.result["reverted"]) == (False, True, True)
    assert "delete / interface lag1" in back.result["diff"].splitlines()
    cleared = leaf1.run(task=clear_checkpoint, checkpoint=cp, batch_lines=1)["leaf1"][0].result
    assert cleared == {"cleared": True, "error": None} and held(twin)["leaf1"] == []


def test_a_second_revert_to_one_checkpoint_commits_nothing(twin: Twin, nr) -> None:
    """Reverting a host whose running configuration is the checkpoint's already sent the
    revert anyway: `nothing to revert` in the report, and one more commit in the device's
    history at every `rollback --checkpoint X` run again (determinism tester)."""
    cp = checkpoint_name()
    leaf1 = nr.filter(name="leaf1")
    assert leaf1.run(task=configure_fabric, fabric=fabric_from_nornir(nr), checkpoint=cp)["leaf1"][0].result[
        "committed"]
    first = leaf1.run(task=rollback_checkpoint, checkpoint=cp)["leaf1"][0]
    assert (first.failed, first.changed, first.result["reverted"]) == (False, True, True)
    commits = list(twin.datastore("leaf1").commits)
    again = leaf1.run(task=rollback_checkpoint, checkpoint=cp)["leaf1"][0]
    assert (again.failed, again.changed, again.result["reverted"], again.result["diff"]) == (False, False, True, "")
    assert twin.datastore("leaf1").commits == commits


def test_a_checkpoint_list_read_with_its_prompt_parses_as_without() -> None:
    from nornir_evpn.tasks.checkpoint import parse_checkpoints

    doc = '{\n  "checkpoint": [\n    {"id": 0, "name": "nornir-evpn-a", "comment": ""}\n  ]\n}'
    prompt = "\n--{ + running }--[  ]--\nA:leaf1# "
    assert parse_checkpoints(doc + prompt) == parse_checkpoints(doc) == [
        {"id": 0, "name": "nornir-evpn-a", "comment": ""}]



def _refused_preview(twin: Twin, nr, batch_lines: int):  # type: ignore[no-untyped-def]
    """leaf1 committed with a checkpoint, then reverted to it while another session holds an
    exclusive candidate (the preview's `enter candidate private` refused) on a slow device
    (the answers of the lines typed ahead come one by one): its rollback Result."""
    cp = checkpoint_name()
    leaf1 = nr.filter(name="leaf1")
    assert leaf1.run(task=configure_fabric, fabric=fabric_from_nornir(nr), checkpoint=cp)["leaf1"][0].result[
        "committed"]
    ds = twin.datastore("leaf1")
    ds.exclusive_owner = object()  # another operator's `enter candidate exclusive`
    twin.set_slow("leaf1", 0.1)
    try:
        return leaf1.run(task=rollback_checkpoint, checkpoint=cp, batch_lines=batch_lines)["leaf1"][0]
    finally:
        twin.set_slow("leaf1", 0)
        ds.exclusive_owner = None


def test_a_refused_preview_leaves_the_revert_its_own_answer(twin: Twin, nr) -> None:
    """The preview is pasted: `enter candidate private`, `load checkpoint`, `diff flat`. The
    first refused, the paste stopped reading, and the two lines typed after it answered
    later: a slow device's `diff flat` error was read as the revert's answer (the host
    failed, `not reverted`, with its revert sent). The revert goes, and is read as sent."""
    back = _refused_preview(twin, nr, DEFAULT_BATCH_LINES)
    r = back.result
    assert (back.failed, r["error"], r["reverted"], r["diff"]) == (False, None, True, None), r
    assert r["diff_error"].startswith("enter candidate private: Error: the candidate is locked")
    ds = twin.datastore("leaf1")
    assert set(ds.running.flat()) == set(ds.checkpoints[0].config.flat())


def test_a_refused_preview_one_line_at_a_time_still_reverts(twin: Twin, nr) -> None:
    """`batch_lines=1`: scrapli escalates to the candidate itself, and raised when the device
    refused it (ScrapliPrivilegeError): the host failed before its revert, where the pasted
    preview's refusal only costs the diff."""
    back = _refused_preview(twin, nr, 1)
    r = back.result
    assert (back.failed, r["error"], r["reverted"], r["diff"]) == (False, None, True, None), r
    assert r["diff_error"].startswith("enter candidate private: ScrapliPrivilegeError")
    ds = twin.datastore("leaf1")
    assert set(ds.running.flat()) == set(ds.checkpoints[0].config.flat())


def _own_checkpoint_then_configure(twin: Twin, nr, name: str, comment: str):  # type: ignore[no-untyped-def]
    """leaf1 holds an operator's checkpoint `name` (made by hand: `generate-checkpoint name
    "<name>" comment "<comment>"`), then a configure commits over it: leaf1's rollback to it."""
    twin.datastore("leaf1").generate_checkpoint(name, comment, "admin")
    leaf1 = nr.filter(name="leaf1")
    assert leaf1.run(task=configure_fabric, fabric=fabric_from_nornir(nr))["leaf1"][0].result["committed"]
    return leaf1


@pytest.mark.parametrize("name", ["before maint", "pre|post", "a#b", "x>y"])
def test_a_checkpoint_name_that_is_not_one_word_is_typed_quoted(twin: Twin, nr, name: str) -> None:
    """A checkpoint-name is any string not starting with a digit (srl_nokia-common): an
    operator's `before maint` was typed bare, `load checkpoint name before maint` and
    `tools system configuration checkpoint before maint revert` were parse errors on the
    device (and `|`, `>`, `#` mean a pipe, a redirect, a comment to the CLI): the host held
    the checkpoint and was failed, not reverted."""
    leaf1 = _own_checkpoint_then_configure(twin, nr, name, "mine")
    preview = leaf1.run(task=rollback_checkpoint, checkpoint=name, dry_run=True)["leaf1"][0].result
    assert (preview["found"], preview["diff_error"]) == (True, None), preview
    assert "delete / interface lag1" in preview["diff"].splitlines()
    back = leaf1.run(task=rollback_checkpoint, checkpoint=name)["leaf1"][0]
    assert (back.failed, back.result["reverted"]) == (False, True), back.result
    ds = twin.datastore("leaf1")
    assert set(ds.running.flat()) == set(ds.checkpoints[0].config.flat())
    cleared = leaf1.run(task=clear_checkpoint, checkpoint=name)["leaf1"][0].result
    assert cleared == {"cleared": True, "error": None} and held(twin)["leaf1"] == []


def test_a_checkpoint_comment_that_says_error_does_not_fail_its_revert(twin: Twin, nr) -> None:
    """SR Linux answers a revert with `Reverting to checkpoint 0 (name '...' comment '...')`:
    the operator's comment, read for the failure markers, failed a revert that went through
    (`before fixing the MAJOR: alarm` -> `MAJOR:`)."""
    leaf1 = _own_checkpoint_then_configure(twin, nr, "before-fix", "before fixing the MAJOR: alarm (Error: x)")
    back = leaf1.run(task=rollback_checkpoint, checkpoint="before-fix")["leaf1"][0]
    assert (back.failed, back.result["reverted"], back.result["device_error"]) == (False, True, None), back.result


def test_a_revert_the_device_refuses_still_fails_the_host(twin: Twin, nr) -> None:
    """The echoed checkpoint line is all the revert check leaves out: the device's refusal
    (here a commit confirmed pending) still fails the host with its words."""
    cp = checkpoint_name()
    leaf1 = nr.filter(name="leaf1")
    assert leaf1.run(task=configure_fabric, fabric=fabric_from_nornir(nr), mode="confirmed", accept=False,
                     checkpoint=cp)["leaf1"][0].result["pending_confirm"]
    back = leaf1.run(task=rollback_checkpoint, checkpoint=cp)["leaf1"][0]
    assert back.failed and not back.result["reverted"]
    assert "a commit confirmed is pending" in back.result["device_error"]
    leaf1.run(task=confirm_commit, accept=False, checkpoint=cp)


def test_configure_refuses_a_checkpoint_name_with_a_double_quote_before_any_connection(twin: Twin, nr) -> None:
    """As a name of two lines: refused before the host is reached (nothing sent, nothing
    committed), with the words rollback uses."""
    from nornir_evpn.errors import UnsafeValueError

    leaf1 = nr.filter(name="leaf1")
    before = set(twin.datastore("leaf1").running.flat())
    result = leaf1.run(task=configure_fabric, fabric=fabric_from_nornir(nr), checkpoint='say "hi"')["leaf1"]
    assert result.failed
    errors = [r.exception for r in result if r.exception is not None]
    assert errors and isinstance(errors[0], UnsafeValueError), [r.result for r in result]
    assert "holds a double quote or a backslash: not typed" in str(errors[0])
    assert set(twin.datastore("leaf1").running.flat()) == before
    assert held(twin)["leaf1"] == [] and not nr.inventory.hosts["leaf1"].connections


def test_rejecting_with_a_checkpoint_name_with_a_double_quote_rejects_and_clears_nothing(twin: Twin, nr) -> None:
    cp = checkpoint_name()
    leaf1 = nr.filter(name="leaf1")
    assert leaf1.run(task=configure_fabric, fabric=fabric_from_nornir(nr), mode="confirmed", accept=False,
                     checkpoint=cp)["leaf1"][0].result["pending_confirm"]
    rejected = leaf1.run(task=confirm_commit, accept=False, checkpoint='say "hi"')["leaf1"][0]
    assert not rejected.failed and rejected.exception is None, rejected.result
    assert (rejected.result["rejected"], rejected.result["checkpoint_cleared"]) == (True, False)
    assert held(twin)["leaf1"] == [cp]  # its own checkpoint stays: the name given was not it


def test_a_checkpoint_name_with_a_double_quote_is_sent_nowhere(nr) -> None:
    leaf1 = nr.filter(name="leaf1")
    back = leaf1.run(task=rollback_checkpoint, checkpoint='say "hi"')["leaf1"][0]
    assert back.failed and back.result["error"] == (
        "checkpoint name 'say \"hi\"' holds a double quote or a backslash: not typed")
    cleared = leaf1.run(task=clear_checkpoint, checkpoint='say "hi"', on_failed=True)["leaf1"][0]
    assert cleared.failed and cleared.result["cleared"] is False


def test_checkpoint_words() -> None:
    from nornir_evpn import platform

    assert platform.revert_checkpoint("nornir-evpn-20261127-190512.123456-4242") == (
        "tools system configuration checkpoint nornir-evpn-20261127-190512.123456-4242 revert")
    assert platform.load_checkpoint("before maint") == 'load checkpoint name "before maint"'
    assert platform.clear_checkpoint("a|b") == 'tools system configuration checkpoint "a|b" clear'
    answer = ("/system/configuration/checkpoint[id=0]:\n"
              "    Reverting to checkpoint 0 (name 'x' comment 'MAJOR: y')\n\n/:\n"
              "    Successfully reverted configuration")
    assert not platform.revert_failed(answer)
    assert platform.revert_failed("Error: checkpoint 'x' does not exist")
    # only a line that starts with the echo is left out: the device's words about it are read
    assert platform.revert_failed("/:\n    Error: failed Reverting to checkpoint 0: validation failed")
    assert platform.revert_failed("    Error: /system/configuration/checkpoint[id=0] is locked")
    # configure's checkpoint is typed as the other checkpoint commands type it
    assert platform.generate_checkpoint("before maint", "by nornir") == (
        'tools system configuration generate-checkpoint name "before maint" comment "by nornir"')
    with pytest.raises(ValueError, match="backslash"):
        platform.checkpoint_word("a\\b")


def test_a_checkpoint_list_whose_comment_says_error_is_a_list() -> None:
    """A checkpoint commented `before fixing the MAJOR: alarm` on a host: its list was taken
    for a refused read, and every rollback, `list_checkpoints` and `clear_checkpoint` there
    failed with an internal error (`answered no checkpoint list`)."""
    from nornir_evpn.tasks.checkpoint import parse_checkpoints

    doc = '{\n  "checkpoint": [\n    {"id": 0, "name": "before-fix", "comment": "before fixing the MAJOR: alarm"}\n  ]\n}'
    assert [c["name"] for c in parse_checkpoints(doc) or []] == ["before-fix"]
    assert parse_checkpoints("Error: Path '/system configuration checkpoint' is not valid") is None


def test_a_checkpoint_name_that_says_error_does_not_fail_its_revert(twin: Twin, nr) -> None:
    """The revert's answer names the checkpoint (`Reverting to checkpoint 0 (name 'fix MAJOR:
    alarm' ...)`), and its path line holds the key (`checkpoint[id=0]:` as SR Linux 25.x
    prints it; a device echoing the name typed would print `checkpoint[id=fix MAJOR:
    alarm]:`): `rollback --checkpoint 'fix MAJOR: alarm'` reverted leaf1 and failed it with
    `... Successfully reverted configuration` as the device's error (review)."""
    from nornir_evpn import platform

    leaf1 = _own_checkpoint_then_configure(twin, nr, "fix MAJOR: alarm", "mine")
    back = leaf1.run(task=rollback_checkpoint, checkpoint="fix MAJOR: alarm")["leaf1"][0]
    assert (back.failed, back.result["reverted"], back.result["device_error"]) == (False, True, None), back.result
    assert not platform.revert_failed("/system/configuration/checkpoint[id=fix MAJOR: alarm]:\n"
                                      "    Reverting to checkpoint fix MAJOR: alarm (name 'fix MAJOR: alarm' "
                                      "comment 'mine')\n\n/:\n    Successfully reverted configuration")


def test_the_twin_answers_a_revert_with_the_checkpoints_id(twin: Twin) -> None:
    """SR Linux 25.x (a containerlab lab's transcript) names the checkpoint by its id in a
    revert's answer, whether it was reverted by id or by name: the twin echoed the key typed."""
    ds = twin.datastores["leaf1"]
    ds.generate_checkpoint("older", "first", "admin")
    ds.generate_checkpoint("newer", "second", "admin")
    assert ds.revert_checkpoint("older") == (
        "/system/configuration/checkpoint[id=1]:\n    Reverting to checkpoint 1 (name 'older' comment 'first')"
        "\n\n/:\n    Successfully reverted configuration")
    assert ds.revert_checkpoint("0").startswith("/system/configuration/checkpoint[id=0]:\n"
                                               "    Reverting to checkpoint 0 (name 'newer' ")
