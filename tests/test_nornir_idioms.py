"""The tasks in a runbook written with Nornir's own idioms, against an in-process twin:
Nornir's dry-run switch on every task that changes a device, a run on the whole inventory
(CEs included), `nr.data.failed_hosts` kept across our helpers, `print_result` of a configure."""

from __future__ import annotations

import contextlib
import io
import logging
import threading
from pathlib import Path

import pytest
from nornir.core.filter import F
from nornir_evpn.tasks import (
    apply_config,
    clear_checkpoint,
    configure_fabric,
    confirm_commit,
    save_startup,
    stale_config,
)
from nornir_utils.plugins.functions import print_result
from runbook_nornir import nornir_on_twin

from nornir_evpn.inventory import fabric_from_nornir
from nornir_evpn.render import FEATURES, Renderer
from nornir_evpn.transaction import all_or_nothing
from nornir_evpn.twin.runtime import CLAB_INITIAL, Twin

LAB = Path(__file__).resolve().parent.parent / "inventory" / "evpn-mh01.clab.yml"
DESCRIPTION = "set / interface ethernet-1/5 description idioms"
SRL = ["leaf1", "leaf2", "leaf3", "spine1"]


@pytest.fixture
def twin():
    with Twin(LAB) as t:  # stopped when the test ends, whatever it did
        yield t


def test_nornirs_dry_run_switch_sends_no_save_accept_reject_or_clear(twin: Twin) -> None:
    """`InitNornir(dry_run=True)`: save_startup saved, clear_checkpoint cleared and
    confirm_commit(accept=False) rolled the running configuration back (idioms tester)."""
    nr = nornir_on_twin(twin)
    try:
        nr.filter(name="leaf1").run(task=apply_config, config=[DESCRIPTION], checkpoint="cp-idioms")
        nr.filter(name="leaf2").run(task=apply_config, config=[DESCRIPTION], mode="confirmed", confirm_timeout=300)
    finally:
        nr.close_connections(on_failed=True)
    leaf1, leaf2 = twin.datastore("leaf1"), twin.datastore("leaf2")
    assert leaf1.unsaved and leaf2.pending is not None
    running2 = leaf2.running.copy()

    dry = nornir_on_twin(twin, dry_run=True)
    try:
        saved = dry.filter(name="leaf1").run(task=save_startup)["leaf1"]
        cleared = dry.filter(name="leaf1").run(task=clear_checkpoint, checkpoint="cp-idioms")["leaf1"]
        rejected = dry.filter(name="leaf2").run(task=confirm_commit, accept=False)["leaf2"]
    finally:
        dry.close_connections(on_failed=True)
    assert (saved.failed, saved.changed, saved[0].result) == (False, False, {"saved": False, "error": None})
    assert (cleared.failed, cleared[0].result) == (False, {"cleared": False, "error": None})
    assert (rejected.failed, rejected.changed, rejected[0].result["rejected"]) == (False, False, False)
    assert leaf1.unsaved is True
    assert [c.name for c in leaf1.checkpoints] == ["cp-idioms", CLAB_INITIAL]
    assert leaf2.pending is not None and leaf2.running == running2

    # without the switch a reject goes out, and rolling the running config back is a change
    nr = nornir_on_twin(twin)
    try:
        rejected = nr.filter(name="leaf2").run(task=confirm_commit, accept=False)["leaf2"]
        cleared = nr.filter(name="leaf1").run(task=clear_checkpoint, checkpoint="cp-idioms")["leaf1"]
    finally:
        nr.close_connections(on_failed=True)
    assert (rejected.failed, rejected.changed, rejected[0].result["rejected"]) == (False, True, True)
    assert leaf2.pending is None and leaf2.running != running2
    # a checkpoint cleared is a change of the device's too (0.15: changed False)
    assert (cleared.failed, cleared.changed, cleared[0].result["cleared"]) == (False, True, True)
    assert [c.name for c in leaf1.checkpoints] == [CLAB_INITIAL]


def test_all_or_nothing_under_nornirs_dry_run_validates_and_commits_nothing(twin: Twin) -> None:
    """It went on to a commit phase that committed nothing, then failed every host with
    "accept failed: there is no pending commit confirmed ... its commit rolled back"."""
    nr = nornir_on_twin(twin, dry_run=True)
    before = {n: twin.datastore(n).running.copy() for n in SRL}
    try:
        entries, notes = all_or_nothing(nr.filter(F(groups__contains="srl")), fabric_from_nornir(nr), Renderer(),
                                        FEATURES, 60, threading.Event(), save=True)
    finally:
        nr.close_connections(on_failed=True)
    assert notes == ["Nornir's dry-run switch is on: validated everywhere, nothing committed"]
    assert {h: (e["ok"], e["committed"], e["saved"], e["error"]) for h, e in entries.items()} == \
        dict.fromkeys(SRL, (True, False, False, None))
    assert [h for h, e in entries.items() if e["changed"]] == ["leaf1", "leaf2", "leaf3"]
    assert {n: twin.datastore(n).running == before[n] for n in SRL} == dict.fromkeys(SRL, True)


def test_all_or_nothing_keeps_the_runbooks_failed_hosts(twin: Twin) -> None:
    """Each phase reset `nr.data.failed_hosts`: a host an earlier task failed, outside the
    filter all_or_nothing ran on, was no longer failed (Nornir ran the next task on it)."""
    nr = nornir_on_twin(twin)
    try:
        nr.data.failed_hosts.add("leaf3")  # as an earlier task of the runbook failed it
        entries, notes = all_or_nothing(nr.filter(F(name__any=["leaf1", "leaf2", "spine1"])), fabric_from_nornir(nr),
                                        Renderer(), FEATURES, 60, threading.Event())
    finally:
        nr.close_connections(on_failed=True)
    assert (notes, {h: e["committed"] for h, e in entries.items()}) == \
        ([], {"leaf1": True, "leaf2": True, "spine1": False})
    assert nr.data.failed_hosts == {"leaf3"}


def test_all_or_nothing_accepts_and_saves_a_selected_host_the_runbook_failed_before(twin: Twin) -> None:
    """Every phase runs on every selected host, one an earlier task failed too: the commit
    phase (`on_failed=True`) committed leaf1, and an accept or save that skipped it (Nornir
    skips failed hosts) left its commit to roll back by its timer, reported as kept."""
    nr = nornir_on_twin(twin)
    try:
        nr.data.failed_hosts.add("leaf1")  # as an earlier task of the runbook failed it
        entries, notes = all_or_nothing(nr.filter(F(name__any=["leaf1", "leaf2"])), fabric_from_nornir(nr),
                                        Renderer(), FEATURES, 60, threading.Event(), save=True)
    finally:
        nr.close_connections(on_failed=True)
    assert (notes, {h: (e["ok"], e["committed"], e["saved"], e["error"]) for h, e in entries.items()}) == \
        ([], dict.fromkeys(["leaf1", "leaf2"], (True, True, True, None)))
    for name in ("leaf1", "leaf2"):
        assert twin.datastore(name).pending is None and not twin.datastore(name).unsaved, name


def test_configure_fabric_on_the_whole_inventory_fails_the_ces_alone(twin: Twin) -> None:
    """`nr.run(task=configure_fabric, fabric=...)` without filtering out the CEs: every host
    failed with "not sent: ce1's configuration does not render: ... role ..."."""
    nr = nornir_on_twin(twin)
    try:
        fabric = fabric_from_nornir(nr)
        applied = nr.run(task=configure_fabric, fabric=fabric, mode="dry-run")
        pruned = nr.filter(name="ce1").run(task=stale_config, on_failed=True)["ce1"]
    finally:
        nr.close_connections(on_failed=True)
    assert {h: (m.failed, m[0].result["error"]) for h, m in applied.items()} == {
        "ce1": (True, "ce1 is not an SR Linux node of the fabric intent: nothing sent"),
        "ce2": (True, "ce2 is not an SR Linux node of the fabric intent: nothing sent"),
        **dict.fromkeys(SRL, (False, None)),
    }
    assert [h for h, m in applied.items() if m[0].result["changed"]] == ["leaf1", "leaf2", "leaf3"]
    # one line, not a traceback string
    assert (pruned.failed, pruned[0].result) == (True, {
        "pruned": [], "error": "host ce1: data field 'role': Input should be 'leaf' or 'spine'"})


def test_a_fabric_node_without_its_role_fails_with_the_field_named(twin: Twin) -> None:
    """Only a host the intent does not know, with no leaf/spine role either, is outside the
    fabric: a leaf of the intent whose inventory lost its role is told which field is
    missing, not "None: nothing sent"."""
    nr = nornir_on_twin(twin)
    try:
        fabric = fabric_from_nornir(nr)
        leaf1 = nr.inventory.hosts["leaf1"]
        leaf1.data.pop("role", None)
        for group in leaf1.groups:
            group.data.pop("role", None)
        applied = nr.filter(name="leaf1").run(task=configure_fabric, fabric=fabric, mode="dry-run")["leaf1"]
    finally:
        nr.close_connections(on_failed=True)
    assert applied.failed and applied[0].result["error"] == "host leaf1: data field 'role': Field required"


def test_print_result_of_a_configure_shows_its_own_result_once(twin: Twin) -> None:
    """render_config, stale_config and apply_config are in configure_fabric's own result:
    printed at INFO they made a leaf's print_result 560 lines (its config three times)."""
    nr = nornir_on_twin(twin)
    try:
        leaf1 = nr.filter(name="leaf1")
        agg = leaf1.run(task=configure_fabric, fabric=fabric_from_nornir(nr), mode="dry-run", prune=True)
        twin.reject_next_commit("leaf1")
        refused = leaf1.run(task=configure_fabric, fabric=fabric_from_nornir(nr))
    finally:
        nr.close_connections(on_failed=True)
    multi = agg["leaf1"]
    assert [(r.name, r.severity_level) for r in multi] == [
        ("configure_fabric", logging.INFO), ("render_config", logging.DEBUG),
        ("stale_config", logging.DEBUG), ("apply_config", logging.DEBUG)]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print_result(agg)
    text = out.getvalue()
    assert "vvvv configure_fabric ** changed : True" in text
    assert "render_config" not in text and "apply_config" not in text
    assert text.count("set / interface lag1 lag lacp admin-key 11") == 1  # its config, once
    # a subtask that fails is ERROR, and printed
    assert [(r.name, r.severity_level) for r in refused["leaf1"]] == [
        ("configure_fabric", logging.ERROR), ("render_config", logging.DEBUG), ("apply_config", logging.ERROR)]


@pytest.mark.parametrize("runner", ["threaded", "nornir_evpn.threaded"])
def test_host_data_edited_after_a_preview_is_rendered_again_before_any_commit(twin: Twin, runner: str) -> None:
    """A preview, then a bad edit of one host's data, then the commit on the same Nornir
    object: the run's render was the preview's, every other host committed and the edited
    one alone failed (Nornir-idioms tester). The data are compared with what was rendered:
    once a run with this project's runner, at each host's start with another."""
    nr = nornir_on_twin(twin, runner=runner)
    srl = nr.filter(F(groups__contains="srl"))
    fabric = fabric_from_nornir(nr)
    before = {h: set(twin.datastore(h).running.flat()) for h in SRL}
    try:
        preview = srl.run(task=configure_fabric, fabric=fabric, mode="dry-run")
        assert not preview.failed and preview["leaf1"][0].result["changed"]
        nr.inventory.hosts["leaf2"].data["system_ip"] = "10.0.0.2\nset / system x"
        run = srl.run(task=configure_fabric, fabric=fabric, mode="commit")
    finally:
        nr.close_connections(on_failed=True)
    results = {h: run[h][0].result for h in SRL}
    assert not any(r["committed"] for r in results.values()), results
    assert results["leaf1"]["error"].startswith("not sent: leaf2's configuration does not render")
    assert {h: set(twin.datastore(h).running.flat()) for h in SRL} == before


def test_dry_run_per_call_overrides_nornirs_switch_as_its_own_tasks_do(twin: Twin) -> None:
    """`nr.run(task=configure_fabric, dry_run=True)`, the way nornir_scrapli's and napalm's
    tasks are called, was a TypeError; it now reads the diff and sends no commit and no save.
    `dry_run=False` under `InitNornir(dry_run=True)` does act, as in Nornir's own tasks."""
    nr = nornir_on_twin(twin)
    srl = nr.filter(F(groups__contains="srl"))
    fabric = fabric_from_nornir(nr)
    before = {h: set(twin.datastore(h).running.flat()) for h in SRL}
    try:
        agg = srl.run(task=configure_fabric, fabric=fabric, dry_run=True, save=True)
    finally:
        nr.close_connections(on_failed=True)
    assert not agg.failed
    leaf1 = agg["leaf1"][0].result
    assert leaf1["changed"] and "insert / interface ethernet-1/1" in leaf1["diff"] and not leaf1["committed"] and not leaf1["saved"]
    assert {h: set(twin.datastore(h).running.flat()) for h in SRL} == before
    assert twin.datastore("leaf1").unsaved is False  # nothing committed, nothing saved

    switched = nornir_on_twin(twin, dry_run=True)
    one = switched.filter(name="leaf1")
    try:
        committed = one.run(task=configure_fabric, fabric=fabric, dry_run=False)
        saved = one.run(task=save_startup, dry_run=False)
    finally:
        switched.close_connections(on_failed=True)
    assert committed["leaf1"][0].result["committed"] and set(twin.datastore("leaf1").running.flat()) != before["leaf1"]
    assert saved["leaf1"][0].result["saved"] and twin.datastore("leaf1").unsaved is False
    assert saved["leaf1"][0].changed  # the startup configuration was written (0.15: changed False)
