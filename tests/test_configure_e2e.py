"""`configure` end to end: the real CLI (`cli.main`) against the digital twin over SSH."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

from nornir_evpn.cli import main
from nornir_evpn.intent import derive_intent
from nornir_evpn.inventory import build_inventory, write_inventory
from nornir_evpn.topology import load_topology
from nornir_evpn.twin.config_tree import parse_flat
from nornir_evpn.twin.datastore import CommitError
from nornir_evpn.twin.runtime import CLAB_INITIAL, Twin

ROOT = Path(__file__).resolve().parent.parent
INVENTORY = ROOT / "inventory"
LAB = INVENTORY / "evpn-mh01.clab.yml"
FABRIC_2S4L = ROOT / "tests" / "fixtures" / "fabric-2s4l2es.clab.yml"
TUTORIAL_MH = set((ROOT / "tests" / "templates" / "test_render.py").read_text()
                  .split('TUTORIAL_MH = """\\\n', 1)[1].split('"""', 1)[0].splitlines())


class Lab:
    def __init__(self, twin: Twin, state: Path, inventory: Path) -> None:
        self.twin, self.state, self.inventory = twin, state, inventory

    def configure(self, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict]:
        capsys.readouterr()
        code = main(["configure", "--twin", "--twin-state", str(self.state),
                     "--inventory", str(self.inventory), "--json", *extra])
        out = capsys.readouterr().out
        return code, json.loads(out) if out.strip() else {}

    def running(self, node: str) -> set[str]:
        return set(self.twin.datastore(node).running.flat())


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with Twin(LAB) as twin:
        state = tmp_path / "twin.json"
        twin.state().write(state)
        yield Lab(twin, state, INVENTORY)


def startup(node: str) -> set[str]:
    return set(parse_flat((INVENTORY / "configs" / f"{node}.cfg").read_text()).flat())


def test_dry_run_then_commit_then_idempotent(lab, capsys):
    before = {n: lab.running(n) for n in ("leaf1", "leaf2", "leaf3", "spine1")}

    code, doc = lab.configure(capsys, "--dry-run")
    assert code == 0 and doc["ok"] and doc["mode"] == "dry-run"
    assert {h: e["changed"] for h, e in doc["hosts"].items()} == {
        "leaf1": True, "leaf2": True, "leaf3": True, "spine1": False}
    # 36 `insert` lines: the 20 leaves and the 16 list entries and containers they create
    assert doc["hosts"]["leaf1"]["added"] == 36 and doc["hosts"]["leaf1"]["removed"] == 0
    assert "insert / interface lag1 lag lacp admin-key 11" in doc["hosts"]["leaf1"]["diff"]
    assert not any(e["committed"] for e in doc["hosts"].values())
    assert {n: lab.running(n) for n in before} == before

    code, doc = lab.configure(capsys)
    assert code == 0 and doc["ok"]
    assert {h: (e["changed"], e["committed"]) for h, e in doc["hosts"].items()} == {
        "leaf1": (True, True), "leaf2": (True, True), "leaf3": (True, True),
        "spine1": (False, False)}
    for leaf in ("leaf1", "leaf2"):
        assert lab.running(leaf) - before[leaf] == TUTORIAL_MH
        assert before[leaf] <= lab.running(leaf)
    # the remote leaf: only the mac-vrf's ECMP, for aliasing towards ES-1
    assert lab.running("leaf3") - before["leaf3"] == {
        "set / network-instance mac-vrf-1 protocols bgp-evpn bgp-instance 1 ecmp 2"}
    assert before["leaf3"] == startup("leaf3") <= lab.running("leaf3")

    code, doc = lab.configure(capsys)
    assert code == 0
    assert not any(e["changed"] or e["committed"] for e in doc["hosts"].values())


def test_exit_code_says_whether_a_host_changed_or_would(lab, capsys, tmp_path):
    """--exit-code: 3 while the fabric differs from the intent (a nightly drift check on
    --dry-run), 0 once it does not; without it a dry run with a diff is 0. Its JUnit file
    fails each drifted host, as the exit code fails the job."""
    junit = tmp_path / "drift.xml"
    assert lab.configure(capsys, "--dry-run", "--junit", str(junit))[0] == 0
    assert ElementTree.parse(junit).getroot().find("testsuite").get("failures") == "0"
    code, doc = lab.configure(capsys, "--dry-run", "--exit-code", "--junit", str(junit))
    assert code == 3 and doc["ok"] and [h for h, e in doc["hosts"].items() if e["changed"]] == [
        "leaf1", "leaf2", "leaf3"]
    cases = {c.get("name"): c.find("failure") for c in ElementTree.parse(junit).getroot().iter("testcase")}
    assert [h for h, f in cases.items() if f is not None] == ["leaf1", "leaf2", "leaf3"]
    assert cases["leaf1"].get("message") == "drift from the intent: would change +36/-0"
    assert lab.configure(capsys, "--validate-only", "--exit-code")[0] == 3
    code, doc = lab.configure(capsys, "--exit-code", "--hosts", "leaf3")  # commits, so changed
    assert code == 3 and doc["hosts"]["leaf3"]["committed"]
    code, doc = lab.configure(capsys, "--dry-run", "--exit-code", "--hosts", "leaf3,spine1")
    assert code == 0 and not any(e["changed"] for e in doc["hosts"].values())
    lab.twin.reject_next_commit("leaf1")  # a failed host is still 1, whatever the others did
    code, doc = lab.configure(capsys, "--exit-code")
    assert code == 1 and not doc["ok"] and doc["hosts"]["leaf2"]["committed"]


def test_a_drift_check_names_the_link_a_killed_failover_test_left_shut(lab, capsys, tmp_path, monkeypatch):
    """A failover-test killed after its shut leaves the link down: the nightly drift check
    said `admin-state: disable -> enable` on it, exit 3, and nothing said a test had shut it
    nor that `failover-test --restore` puts it back as the test found it."""
    import os

    from nornir_evpn import commit_claims
    from nornir_evpn.failover_state import STATE_KIND

    state = tmp_path / "fo" / "failover-state.json"
    monkeypatch.setenv("NORNIR_EVPN_FAILOVER_STATE", str(state))
    assert lab.configure(capsys)[0] == 0
    state.parent.mkdir(mode=0o700, exist_ok=True)  # (the commit made it: its claims live there)
    state.write_text(json.dumps({  # as a run killed after its shut leaves it (its pid no longer that run)
        "kind": STATE_KIND, "lab": "evpn-mh01", "twin": True,
        "twin_state": commit_claims.twin_key(lab.state.resolve()), "phase": "shut", "host": "leaf1",
        "interface": "ethernet-1/1", "segment": "ES-1", "pid": os.getpid(), "pid_start": -1}))
    state.chmod(0o600)
    assert lab.configure(capsys, "--dry-run", "--exit-code")[1]["notes"] == []  # the link is up
    lab.twin.datastore("leaf1").running.set(("interface", "ethernet-1/1", "admin-state", "disable"))
    code, doc = lab.configure(capsys, "--dry-run", "--exit-code")
    assert code == 3 and doc["notes"] == [
        f"leaf1 ethernet-1/1 was shut by a failover-test (pid {os.getpid()}) that ended before its restore "
        f"({state}): `failover-test --restore` puts it back as it found it"]
    assert lab.configure(capsys, "--dry-run", "--exit-code", "--hosts", "leaf2")[1]["notes"] == []


def test_dry_run_human_output_shows_diff(lab, capsys):
    code = main(["configure", "--twin", "--twin-state", str(lab.state), "--inventory",
                 str(lab.inventory), "--dry-run", "--hosts", "leaf1"])
    out = capsys.readouterr().out
    assert code == 0
    assert "insert / system network-instance protocols bgp-vpn bgp-instance 1" in out
    assert "would change" in out and "+36/-0" in out
    assert "configure ok: 1 host, 1 would change, 0 failed" in out  # nothing was committed


def test_a_running_value_the_change_replaces_is_named(lab, capsys):
    """A fabric built by hand puts leaf1's CE port in lag5 (a brownfield tester's fabric):
    `diff flat` shows the move to lag1 as one `insert`, so the dry-run read `+36/-0`, purely
    additive, and the commit cut the CE off. The value replaced is now named, old and new."""
    running = lab.twin.datastore("leaf1").running
    running.set(("interface", "ethernet-1/1", "ethernet", "aggregate-id", "lag5"))
    running.set(("interface", "lag5", "admin-state", "enable"))
    running.set(("interface", "ethernet-1/49", "admin-state", "disable"))  # an uplink shut by hand
    code, doc = lab.configure(capsys, "--dry-run")
    assert code == 0
    assert doc["hosts"]["leaf1"]["replaced"] == [
        {"path": "interface ethernet-1/1 ethernet aggregate-id", "old": "lag5", "new": "lag1", "default": None},
        # configure puts it back to its default (`delete`), which brings the port up (day-2 tester)
        {"path": "interface ethernet-1/49 admin-state", "old": "disable", "new": None, "default": "enable"}]
    assert doc["hosts"]["leaf2"]["replaced"] == [] and doc["hosts"]["spine1"]["replaced"] == []
    assert "insert / interface ethernet-1/1 ethernet aggregate-id lag1" in doc["hosts"]["leaf1"]["diff"]

    main(["configure", "--twin", "--twin-state", str(lab.state), "--inventory", str(lab.inventory), "--dry-run"])
    out = capsys.readouterr().out
    assert ("leaf1 would replace 2 running values:\n  interface ethernet-1/1 ethernet aggregate-id: lag5 -> lag1\n"
            "  interface ethernet-1/49 admin-state: disable -> deleted (its default, enable)\n") in out
    assert "configure ok: 4 hosts, 3 would change (1 host would replace running values), 0 failed" in out

    code, doc = lab.configure(capsys)
    assert code == 0 and doc["hosts"]["leaf1"]["replaced"][0]["old"] == "lag5"
    main(["configure", "--twin", "--twin-state", str(lab.state), "--inventory", str(lab.inventory)])
    assert "replace" not in capsys.readouterr().out  # done: nothing left to replace


def test_a_hand_typed_default_is_drift_said_to_have_no_effect(lab, capsys):
    """`admin-state enable` and `min-links 1` typed on a device read `enable -> deleted` in
    a drift check (exit 3), as if the port were to change (drift tester). The check still
    counts them (configure deletes them: the configuration changes), and now says the leaf
    takes its default, the value it has: no effect."""
    assert lab.configure(capsys)[0] == 0
    assert lab.configure(capsys, "--dry-run", "--exit-code")[0] == 0  # no drift
    running = lab.twin.datastore("leaf1").running
    running.set(("interface", "ethernet-1/49", "admin-state", "enable"))
    running.set(("interface", "lag1", "lag", "min-links", "1"))
    code, doc = lab.configure(capsys, "--dry-run", "--exit-code", "--hosts", "leaf1")
    assert code == 3 and doc["hosts"]["leaf1"]["replaced"] == [
        {"path": "interface ethernet-1/49 admin-state", "old": "enable", "new": None, "default": "enable"},
        {"path": "interface lag1 lag min-links", "old": "1", "new": None, "default": "1"}]
    main(["configure", "--twin", "--twin-state", str(lab.state), "--inventory", str(lab.inventory),
          "--dry-run", "--hosts", "leaf1"])
    out = capsys.readouterr().out
    assert ("  interface ethernet-1/49 admin-state: enable -> deleted (its default, enable: no effect)\n"
            "  interface lag1 lag min-links: 1 -> deleted (its default, 1: no effect)\n") in out


@pytest.mark.parametrize("batch", ["64", "1"])
def test_a_failure_word_inside_the_diff_is_data(tmp_path, capsys, batch):
    """The hierarchical diff prints every value of a subtree --prune deletes: a neighbor
    described `MAJOR: old route reflector` failed leaf1 with the whole diff as its error
    (review). A diff fails only when its answer starts with an error."""
    from nornir_evpn.twin.fabric_lab import attach, with_lines
    from nornir_evpn.twin.timing import get_profile

    bgp = "network-instance default protocols bgp"
    with Twin(LAB) as twin:
        attach(twin, get_profile("instant"))
        state = tmp_path / "twin.json"
        twin.state().write(state)
        lab = Lab(twin, state, INVENTORY)

        async def edit() -> None:  # in the twin's loop, as a commit of the device's own
            ds = twin.datastore("leaf1")
            ds.commit(ds.running, with_lines(ds.running, f"set / {bgp} neighbor 10.0.9.9 peer-group iBGP-overlay\n"
                                             f'set / {bgp} neighbor 10.0.9.9 description "MAJOR: old route reflector"\n'))

        twin._run(edit())
        code, doc = lab.configure(capsys, "--prune", "--dry-run", "--hosts", "leaf1", "--batch-lines", batch)
    assert code == 0 and doc["hosts"]["leaf1"]["ok"], doc["hosts"]["leaf1"]["error"]
    assert "delete / network-instance default protocols bgp neighbor 10.0.9.9" in doc["hosts"]["leaf1"]["diff"]


def test_commit_rejected_by_one_host(lab, capsys, tmp_path):
    lab.twin.reject_next_commit("leaf2")
    junit = tmp_path / "configure.xml"
    code, doc = lab.configure(capsys, "--junit", str(junit))
    assert code == 1 and doc["ok"] is False
    leaf2 = doc["hosts"]["leaf2"]
    assert leaf2["ok"] is False and leaf2["committed"] is False
    assert leaf2["error"].startswith("commit now: Error:")
    assert leaf2["device_error"] == leaf2["error"]
    assert doc["hosts"]["leaf1"]["committed"] is True
    assert lab.running("leaf1") - startup("leaf1") == TUTORIAL_MH
    assert lab.running("leaf2") == startup("leaf2")
    suite = ElementTree.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "4" and suite.get("failures") == "1"
    failure = suite.find("testcase[@name='leaf2']/failure")
    assert failure is not None and failure.text == leaf2["error"]


def test_all_or_nothing_leaves_every_host_unchanged(lab, capsys):
    lab.twin.reject_next_commit("leaf2")
    code, doc = lab.configure(capsys, "--all-or-nothing", "--commit-confirmed", "30")
    assert code == 1 and doc["ok"] is False
    assert doc["hosts"]["leaf2"]["ok"] is False and "Error:" in doc["hosts"]["leaf2"]["error"]
    for node in ("leaf1", "leaf2", "leaf3", "spine1"):
        assert lab.running(node) == startup(node)
        assert doc["hosts"][node]["changed"] is False
    assert lab.twin.datastore("leaf1").pending is None


def _fail_the_commit_after_validation(ds) -> None:
    """`ds`'s next commit (not `commit validate`) is refused, once."""
    original = ds.commit

    def failing_commit(*args, **kwargs):
        ds.reject_next_commit = True
        ds.commit = original
        return original(*args, **kwargs)

    ds.commit = failing_commit


def test_all_or_nothing_commit_fault_rolls_back_the_others(lab, capsys):
    # validation passes everywhere; the real commit then fails on leaf2 only
    _fail_the_commit_after_validation(lab.twin.datastore("leaf2"))
    code, doc = lab.configure(capsys, "--all-or-nothing")
    assert code == 1
    assert doc["hosts"]["leaf2"]["ok"] is False
    for node in ("leaf1", "leaf2", "leaf3", "spine1"):
        assert lab.running(node) == startup(node), node
    assert lab.twin.datastore("leaf1").pending is None
    assert "rolled back" in " ".join(doc["notes"])


def test_all_or_nothing_success_accepts_everywhere(lab, capsys):
    code, doc = lab.configure(capsys, "--all-or-nothing", "--commit-confirmed", "30")
    assert code == 0 and doc["ok"]
    for leaf in ("leaf1", "leaf2"):
        assert doc["hosts"][leaf]["committed"] is True
        assert lab.running(leaf) - startup(leaf) == TUTORIAL_MH
        assert lab.twin.datastore(leaf).pending is None  # accepted, no rollback timer


def test_all_or_nothing_never_accepts_after_a_timer_may_have_run_out(lab, capsys):
    """leaf2 commits at once, leaf1 takes longer than --commit-confirmed: leaf2's timer runs
    out before anyone could accept, so the run must roll back everywhere rather than
    accept leaf1 and leave the fabric half changed."""
    lab.twin.set_slow("leaf1", 0.1)  # ~25 lines: leaf1 commits about 2.5 s after leaf2, past 3 - 2 s
    try:
        code, doc = lab.configure(capsys, "--all-or-nothing", "--commit-confirmed", "3",
                                  "--features", "multihoming")
    finally:
        lab.twin.set_slow("leaf1", 0)
    assert code == 1 and not doc["ok"]
    assert "longer than --commit-confirmed 3s allows" in doc["notes"][0]
    assert not any(e["committed"] or e["changed"] for e in doc["hosts"].values())
    for leaf in ("leaf1", "leaf2"):
        assert lab.running(leaf) == startup(leaf)
        assert lab.twin.datastore(leaf).pending is None


TWIN_PROCESS = """
import sys, time
from pathlib import Path
from nornir_evpn.twin.runtime import Twin
with Twin(sys.argv[1]) as twin:
    twin.set_password("leaf2", "not-the-password")
    twin.set_unreachable("leaf3")
    twin.state().write(Path(sys.argv[2]))
    while True:
        time.sleep(1)
"""


def test_unreachable_host_and_wrong_password(tmp_path, capsys):
    # Its own process: libssh2 holds the GIL while a refused login waits, which would stall
    # an in-process twin's event loop (a real device or `twin up` is a separate process).
    state = tmp_path / "twin.json"
    proc = subprocess.Popen([sys.executable, "-c", TWIN_PROCESS, str(LAB), str(state)])
    try:
        deadline = time.monotonic() + 20
        while not state.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        code, doc = Lab(None, state, INVENTORY).configure(capsys)  # type: ignore[arg-type]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert code == 1
    for host in ("leaf2", "leaf3"):
        err = doc["hosts"][host]["error"]
        assert doc["hosts"][host]["ok"] is False and err and "\n" not in err
    assert doc["hosts"]["leaf2"]["error"].startswith("authentication failed")
    # unreachable: closed before the SSH banner
    assert doc["hosts"]["leaf3"]["error"].startswith("cannot connect: the connection closed before the SSH login")
    assert doc["hosts"]["leaf1"]["ok"] and doc["hosts"]["leaf1"]["committed"]
    assert doc["hosts"]["spine1"]["ok"] and doc["hosts"]["spine1"]["changed"] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--features", "underlay,vlans"], "unknown feature 'vlans'"),
        (["--templates", "/nonexistent/templates"], "templates directory not found"),
    ],
)
def test_bad_input_exits_2_before_connecting(lab, capsys, args, message):
    before = lab.running("leaf1")
    code = main(["configure", "--twin", "--twin-state", str(lab.state), "--inventory",
                 str(lab.inventory), *args])
    assert code == 2
    assert message in capsys.readouterr().err
    assert lab.running("leaf1") == before



def test_an_empty_templates_path_is_not_the_current_directory(lab, capsys):
    """`--templates ''` read the current directory: `underlay.j2: template not found`."""
    with pytest.raises(SystemExit) as exc:
        main(["configure", "--twin", "--twin-state", str(lab.state), "--inventory",
              str(lab.inventory), "--templates", ""])
    assert exc.value.code == 2
    assert "argument --templates: empty path" in capsys.readouterr().err

def test_unsafe_host_data_exits_2(lab, capsys, tmp_path):
    inv = tmp_path / "inv"
    inv.mkdir()
    for f in ("groups.yaml", "defaults.yaml"):
        (inv / f).write_text((INVENTORY / f).read_text())
    hosts = yaml.safe_load((INVENTORY / "hosts.yaml").read_text())
    hosts["leaf2"]["data"]["underlay_group"] = "eBGP; commit now"
    (inv / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    lab.twin.set_unreachable("leaf1")  # any connection attempt would surface as exit 1
    code = main(["configure", "--twin", "--twin-state", str(lab.state), "--inventory", str(inv)])
    err = capsys.readouterr().err
    assert code == 2
    assert "host leaf2" in err and "underlay_group" in err


def test_small_batches_give_the_same_running_config(lab, capsys):
    """Lines sent several per round trip (here 5) end exactly where line by line ends."""
    code, doc = lab.configure(capsys, "--batch-lines", "5")
    assert code == 0 and doc["ok"]
    batched = {n: lab.running(n) for n in ("leaf1", "leaf2", "leaf3", "spine1")}
    assert batched["leaf1"] - startup("leaf1") == TUTORIAL_MH
    with Twin(LAB) as twin:  # a second, untouched lab, configured one line at a time
        state = lab.state.with_name("twin-line-by-line.json")
        twin.state().write(state)
        code = main(["configure", "--twin", "--twin-state", str(state), "--inventory",
                     str(lab.inventory), "--batch-lines", "1", "--json"])
        capsys.readouterr()
        assert code == 0
        assert {n: set(twin.datastore(n).running.flat()) for n in batched} == batched


@pytest.mark.parametrize("batch", ["64", "1"])
def test_rejected_line_mid_batch_is_named_and_nothing_is_committed(lab, capsys, tmp_path, batch):
    for f in ("underlay", "overlay", "mac_vrf", "multihoming"):
        (tmp_path / f"{f}.j2").write_text((ROOT / "templates" / f"{f}.j2").read_text())
    good = (ROOT / "templates" / "multihoming.j2").read_text()
    (tmp_path / "multihoming.j2").write_text(
        "set / interface ethernet-1/1 description before\n"
        "set / interfaces ethernet-1/1 description typo\n"
        "set / interface ethernet-1/1 description after\n" + good)
    code, doc = lab.configure(capsys, "--templates", str(tmp_path), "--features", "multihoming",
                              "--hosts", "leaf1", "--batch-lines", batch)
    assert code == 1
    leaf1 = doc["hosts"]["leaf1"]
    assert leaf1["ok"] is False and leaf1["committed"] is False and leaf1["changed"] is False
    assert leaf1["error"].startswith("set / interfaces ethernet-1/1 description typo: ")
    assert "Parsing error: Unknown token 'interfaces'" in leaf1["error"]
    # which template rendered it (template tester)
    assert leaf1["error"].endswith(f" (from {tmp_path / 'multihoming.j2'})")
    assert "\n" not in leaf1["error"]
    assert lab.running("leaf1") == startup("leaf1")
    ds = lab.twin.datastore("leaf1")
    assert ds.shared is None and ds.exclusive_owner is None and ds.pending is None


def test_template_syntax_error_exits_2(lab, capsys, tmp_path):
    for f in ("underlay", "overlay", "mac_vrf", "multihoming"):
        (tmp_path / f"{f}.j2").write_text((ROOT / "templates" / f"{f}.j2").read_text())
    (tmp_path / "overlay.j2").write_text("{% for x in y %}\nset / a\n")
    code = main(["configure", "--twin", "--twin-state", str(lab.state), "--inventory",
                 str(lab.inventory), "--templates", str(tmp_path)])
    assert code == 2
    assert "overlay.j2:" in capsys.readouterr().err



@pytest.mark.parametrize("mode", [(), ("--dry-run",)])
def test_a_template_that_commits_is_refused_before_any_device(lab, capsys, tmp_path, mode):
    """A `commit now` pasted into a template from a device session committed what was typed
    so far, during --dry-run too (a template tester's find)."""
    for f in ("underlay", "overlay", "mac_vrf", "multihoming"):
        (tmp_path / f"{f}.j2").write_text((ROOT / "templates" / f"{f}.j2").read_text())
    (tmp_path / "mac_vrf.j2").write_text((ROOT / "templates" / "mac_vrf.j2").read_text()
                                         + "set / interface ethernet-1/1 description X\ncommit now\n")
    code = main(["configure", "--twin", "--twin-state", str(lab.state), "--inventory",
                 str(lab.inventory), "--templates", str(tmp_path), *mode])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{tmp_path / 'mac_vrf.j2'}: renders 'commit now' for leaf1: a template renders only" in err
    assert all(lab.running(h) == startup(h) for h in ("leaf1", "leaf2", "leaf3"))


def test_a_feature_that_renders_nothing_is_said(lab, capsys, tmp_path):
    """An empty template of one's own for a selected feature ran silently: exit 0, nothing
    of it sent, nothing said (template tester)."""
    for f in ("underlay", "overlay", "mac_vrf"):
        (tmp_path / f"{f}.j2").write_text((ROOT / "templates" / f"{f}.j2").read_text())
    (tmp_path / "multihoming.j2").write_text("{# to do #}\n")
    code, doc = lab.configure(capsys, "--templates", str(tmp_path), "--dry-run")
    assert code == 0
    assert doc["notes"] == [f"multihoming renders nothing on the selected hosts ({tmp_path / 'multihoming.j2'}): "
                            "nothing of it was sent"]
    # the shipped ones render nothing where a feature has nothing to do: no note (review)
    code, doc = lab.configure(capsys, "--dry-run", "--hosts", "spine1")
    assert doc["notes"] == []

def test_cancel_discards_every_candidate(lab):
    """What Ctrl-C does to the workers: the cancel event stops them before any commit."""
    import argparse

    from nornir_evpn.commands.common import build_target
    from nornir_evpn.transaction import run_phase

    args = argparse.Namespace(inventory=INVENTORY, twin=True, twin_state=lab.state, hosts=None,
                              role=None, workers=None, verbose=0)
    target = build_target(args)
    cancel = threading.Event()
    cancel.set()
    try:
        hosts = run_phase(target.nr, fabric=target.fabric, mode="commit", cancel=cancel)
    finally:
        target.nr.close_connections(on_failed=True)
    # set before any line was typed: no host loads anything, not even one with nothing to change
    assert {h: (e["ok"], e["committed"], "interrupted" in (e["error"] or "")) for h, e in hosts.items()} == {
        h: (False, False, True) for h in ("leaf1", "leaf2", "leaf3", "spine1")}
    for node in ("leaf1", "leaf2"):
        assert lab.running(node) == startup(node)


def test_commit_confirmed_is_accepted_after_health_check(lab, capsys):
    code, doc = lab.configure(capsys, "--commit-confirmed", "30", "--features", "multihoming")
    assert code == 0 and doc["ok"] and doc["mode"] == "confirmed"
    assert doc["features"] == ["multihoming"]
    assert doc["hosts"]["leaf1"]["committed"] is True
    assert lab.twin.datastore("leaf1").pending is None  # accepted: no rollback timer left
    assert lab.running("leaf1") - startup("leaf1") == TUTORIAL_MH


def test_a_commit_confirmed_nobody_accepted_is_no_unchanged(lab, capsys):
    """A configure --commit-confirmed killed (SIGKILL) before its accept leaves the commit
    pending: it is in running config, so the next configure said "unchanged, ok" and verify
    passed, until the timer rolled it back minutes later."""
    import argparse

    from nornir_evpn.tasks.config import apply_config, render_config

    from nornir_evpn.commands.common import build_target

    target = build_target(argparse.Namespace(inventory=lab.inventory, twin=True, twin_state=lab.state,
                                             hosts="leaf1", role=None, workers=None, verbose=0))
    try:  # what the killed run got to: leaf1 committed with a timer, never accepted
        agg = target.nr.run(task=lambda t: apply_config(
            t, render_config(t, fabric=target.fabric).result["config"], mode="confirmed", confirm_timeout=120))
        assert agg["leaf1"][0].result["pending_confirm"] is True
    finally:
        target.nr.close_connections(on_failed=True)
    assert lab.twin.datastore("leaf1").pending is not None
    code, doc = lab.configure(capsys)
    assert code == 1 and not doc["ok"]
    leaf1 = doc["hosts"]["leaf1"]
    assert (leaf1["changed"], leaf1["committed"]) == (False, False)
    assert leaf1["error"].startswith("a commit confirmed (commit 1) is pending: until someone accepts it")
    assert "tools system configuration confirmed-accept" in leaf1["error"]
    assert doc["hosts"]["leaf2"]["ok"] and doc["hosts"]["leaf2"]["error"] is None  # the others go on
    # accepted on the device: the next run is a true "unchanged"
    async def accept() -> None:  # on the twin's loop: the rollback timer lives there
        lab.twin.datastore("leaf1").confirm_accept()

    lab.twin._run(accept())
    code, doc = lab.configure(capsys)
    assert code == 0 and doc["ok"] and doc["hosts"]["leaf1"]["changed"] is False


@pytest.mark.parametrize("overlay_mode", ["full-mesh", "route-reflector"])
def test_2spine_4leaf_2es_fabric_from_empty(tmp_path, capsys, overlay_mode):
    from nornir_evpn.twin.fabric_lab import attach
    from nornir_evpn.twin.timing import get_profile

    topology = load_topology(FABRIC_2S4L)
    fabric = derive_intent(topology, overlay_mode)
    inv = tmp_path / "inv"
    write_inventory(build_inventory(topology, fabric), inv)
    with Twin(FABRIC_2S4L) as twin:
        model = attach(twin, get_profile("instant"))
        state = tmp_path / "twin.json"
        twin.state().write(state)
        lab = Lab(twin, state, inv)
        assert all(not lab.running(n) for n in fabric.nodes)  # booted empty
        code, doc = lab.configure(capsys)
        assert code == 0, doc
        assert all(e["changed"] and e["committed"] for e in doc["hosts"].values())
        assert set(doc["hosts"]) == {"spine1", "spine2", "leaf1", "leaf2", "leaf3", "leaf4"}
        _assert_fabric_up(twin, model, fabric)
        code, doc = lab.configure(capsys)
        assert code == 0 and not any(e["changed"] for e in doc["hosts"].values())


def test_prune_deletes_the_old_overlay_when_the_design_changes(tmp_path, capsys):
    """Full mesh, then route reflectors: configure adds the RR sessions and leaves the leaf
    mesh; --prune deletes exactly the mesh (the diff's `-` lines), and going back deletes
    the spines' RR sessions. Underlay sessions and groups the intent does not own stay."""
    from nornir_evpn.twin.fabric_lab import attach
    from nornir_evpn.twin.timing import get_profile

    topology = load_topology(FABRIC_2S4L)
    inv = {}
    for mode in ("full-mesh", "route-reflector"):
        inv[mode] = tmp_path / mode
        write_inventory(build_inventory(topology, derive_intent(topology, mode)), inv[mode])
    neighbor = re.compile(r"^set / network-instance default protocols bgp neighbor (\S+) peer-group (\S+)$")
    with Twin(FABRIC_2S4L) as twin:
        attach(twin, get_profile("instant"))
        state = tmp_path / "twin.json"
        twin.state().write(state)
        mesh, rr = Lab(twin, state, inv["full-mesh"]), Lab(twin, state, inv["route-reflector"])

        def peers(node: str, group: str) -> set[str]:
            return {m[1] for line in mesh.running(node) if (m := neighbor.match(line)) and m[2] == group}

        assert mesh.configure(capsys, "--prune")[0] == 0  # nothing configured yet: nothing to prune
        assert peers("leaf1", "iBGP-overlay") == {"10.0.0.2", "10.0.0.3", "10.0.0.4"}
        # a neighbor of a group the intent does not own must survive every prune
        twin.datastore("leaf1").running.set(
            ("network-instance", "default", "protocols", "bgp", "neighbor", "192.0.2.9", "peer-group", "external"))

        code, doc = rr.configure(capsys)
        assert code == 0 and peers("leaf1", "iBGP-overlay") == {"10.0.0.2", "10.0.0.3", "10.0.0.4",
                                                              "10.0.1.1", "10.0.1.2"}
        code, doc = rr.configure(capsys, "--prune", "--dry-run")
        assert code == 0 and doc["hosts"]["leaf1"]["removed"] == 3 and doc["hosts"]["leaf1"]["added"] == 0
        assert "delete / network-instance default protocols bgp neighbor 10.0.0.2" in doc["hosts"]["leaf1"]["diff"]
        assert not doc["hosts"]["spine1"]["changed"]
        assert peers("leaf1", "iBGP-overlay") == {"10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.1.1", "10.0.1.2"}

        code, doc = rr.configure(capsys, "--prune")
        assert code == 0 and {h: e["removed"] for h, e in doc["hosts"].items()} == {
            "spine1": 0, "spine2": 0, "leaf1": 3, "leaf2": 3, "leaf3": 3, "leaf4": 3}
        assert doc["hosts"]["leaf1"]["pruned"] == [
            f"delete / network-instance default protocols bgp neighbor 10.0.0.{i}" for i in (2, 3, 4)]
        assert peers("leaf1", "iBGP-overlay") == {"10.0.1.1", "10.0.1.2"}
        assert peers("leaf1", "eBGP-underlay") == {"192.168.11.2", "192.168.21.2"}
        assert peers("leaf1", "external") == {"192.0.2.9"}
        assert not any(e["changed"] for e in rr.configure(capsys, "--prune")[1]["hosts"].values())

        # back to the full mesh: the spines expect no overlay session, yet verify names theirs
        capsys.readouterr()
        code = main(["verify", "--twin", "--twin-state", str(state), "--inventory", str(inv["full-mesh"]),
                     "--json", "--hosts", "spine1", "--checks", "bgp.overlay_established"])
        [check] = json.loads(capsys.readouterr().out)["hosts"]["spine1"]["checks"]
        assert code == 1 and "spine1 overlay 10.0.0.1 (not in the intent) - Expected: absent Actual: " \
            in check["detail"]
        code, doc = mesh.configure(capsys, "--prune")
        assert code == 0 and doc["hosts"]["spine1"]["removed"] == 4  # one `delete` per leaf client
        assert peers("spine1", "iBGP-overlay") == set()
        assert peers("leaf1", "iBGP-overlay") == {"10.0.0.2", "10.0.0.3", "10.0.0.4"}


def _assert_fabric_up(twin, model, fabric) -> None:
    from nornir_evpn import platform

    for name, node in fabric.nodes.items():
        text = twin.show_provider.show(name, platform.SHOW_BGP_NEIGHBORS)
        expected = [u.peer_ip for u in node.underlay] + list(node.overlay.peers)
        for peer in expected:
            row = next((ln for ln in text.splitlines() if f" {peer} " in ln), None)
            assert row is not None, f"{name}: no BGP row for {peer}\n{text}"
            assert "established" in row, f"{name}: {peer} not established: {row}"
    for es in fabric.ethernet_segments.values():
        for leaf in es.members:
            detail = twin.show_provider.show(leaf, platform.show_ethernet_segment(es.name))
            state = re.search(r"Oper State\s*:\s*(\S+)", detail)
            assert state is not None and state.group(1) == "up", detail
            assert es.esi in detail


def test_ctrl_c_after_one_host_committed_says_so(lab, tmp_path):
    """leaf1 commits at once, leaf2 is slow: an interrupt then cannot undo leaf1's commit,
    and the command must say it was committed rather than "nothing committed"."""
    import signal

    lab.twin.set_slow("leaf2", 0.05)
    proc = subprocess.Popen(
        [sys.executable, "-m", "nornir_evpn", "configure", "--twin", "--twin-state",
         str(lab.state), "--inventory", str(INVENTORY), "--hosts", "leaf1,leaf2", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 20
        while lab.running("leaf1") == startup("leaf1"):
            assert time.monotonic() < deadline, "leaf1 never committed"
            time.sleep(0.01)
        proc.send_signal(signal.SIGINT)
        time.sleep(0.01)
        proc.send_signal(signal.SIGINT)  # an impatient second Ctrl-C changes nothing
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        lab.twin.set_slow("leaf2", 0)
    assert proc.returncode == 130, err
    assert "configure interrupted: open candidates discarded; committed before the interrupt: leaf1" in err
    doc = json.loads(out)
    assert doc["ok"] is False and doc["interrupted"] == {"committed": ["leaf1"]}
    assert doc["hosts"]["leaf1"]["committed"] and not doc["hosts"]["leaf2"]["committed"]
    assert lab.running("leaf2") == startup("leaf2")
    # leaf2's checkpoint went out first in its paste (or its session was cut before) and no
    # session clears it after an interrupt: said, not silent (reviewer), never rollback's default
    name = doc["checkpoint"]
    assert doc["hosts"]["leaf1"]["checkpoint"] == name and doc["hosts"]["leaf2"]["checkpoint"] is None
    if len(lab.twin.datastore("leaf2").checkpoints) > 1:  # (the interrupt may come while leaf2 still logs in)
        assert doc["hosts"]["leaf2"]["checkpoint_left"] == name
        assert f"checkpoint {name} may be left on leaf2 (interrupted before their commit" in " ".join(doc["notes"])


def test_ctrl_c_exits_130_and_commits_nothing(lab, tmp_path, in_candidate):
    """A real SIGINT to the CLI process mid-load: candidates discarded, exit 130."""
    import signal

    for node in ("leaf1", "leaf2"):
        lab.twin.set_slow(node, 0.3)  # ~18 s to load the candidate: time to interrupt
    proc = subprocess.Popen(
        [sys.executable, "-m", "nornir_evpn", "configure", "--twin", "--twin-state",
         str(lab.state), "--inventory", str(INVENTORY), "--hosts", "leaf1,leaf2", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        # a harness started in the background hands SIGINT down as ignored: restore it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert in_candidate.wait(timeout=20), "configure never opened a candidate"
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    out, err = proc.communicate(timeout=30)
    # the checkpoints went out before the candidates; no session clears them after an
    # interrupt: each is named, not left in silence (reviewer), and recorded as left
    doc = json.loads(out)
    left = {h: e["checkpoint_left"] for h, e in doc["hosts"].items()}
    name = left["leaf1"]
    assert name and left == {"leaf1": name, "leaf2": name} and doc["checkpoint"] is None
    assert [c.name for c in lab.twin.datastore("leaf2").checkpoints] == [name, CLAB_INITIAL]
    assert f"checkpoint {name} may be left on leaf1, leaf2 (interrupted before their commit" in " ".join(doc["notes"])
    # the typed lines are not waited for: the sessions (and their candidates) are dropped
    assert time.monotonic() - sent < 3, err
    assert proc.returncode == 130, err
    assert "configure interrupted: open candidates discarded" in err
    for node in ("leaf1", "leaf2"):
        lab.twin.set_slow(node, 0)
        assert lab.running(node) == startup(node)


@pytest.mark.parametrize("extra,when", [
    ((), "in its candidate"),
    (("--prune",), "logging in"),  # every line waits a minute, the login's too
])
def test_an_interrupt_does_not_wait_for_a_device_that_stopped_answering(lab, tmp_path, in_candidate, extra, when):
    """leaf2 answers nothing (a hung device): SIGTERM cut its session at once instead of
    waiting 30 s for the transport timeout, and named it interrupted, not "timeout"; leaf1,
    already committed, keeps its commit."""
    import signal

    # leaf2 slow from the start (~0.2 s a line: still typing its candidate when leaf1 has
    # committed), then hung; or hung from its login
    lab.twin.set_slow("leaf2", 60 if when == "logging in" else 0.2)
    proc = subprocess.Popen(
        [sys.executable, "-m", "nornir_evpn", "configure", "--twin", "--twin-state", str(lab.state),
         "--inventory", str(INVENTORY), "--hosts", "leaf1,leaf2", "--json", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert in_candidate.wait(timeout=20), "configure never opened a candidate"
        deadline = time.monotonic() + 20
        while lab.running("leaf1") == startup("leaf1"):
            assert time.monotonic() < deadline, "leaf1 never committed"
            time.sleep(0.01)
        lab.twin.set_slow("leaf2", 60)  # it stops answering
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
        lab.twin.set_slow("leaf2", 0)
    assert took < 5, err
    assert proc.returncode == 130, err
    doc = json.loads(out)
    assert doc["interrupted"] == {"committed": ["leaf1"]}
    assert doc["hosts"]["leaf2"]["error"] == "interrupted: candidate discarded, nothing committed"
    assert not doc["hosts"]["leaf2"]["committed"] and lab.running("leaf2") == startup("leaf2")


def test_prune_leaves_a_renumbered_leaf_and_a_renamed_lag_with_exactly_the_intent(tmp_path, capsys):
    """The intent owns the address lists it sets and the ethernet segment's one interface:
    leaf3 renumbered (label number: 5) kept its old system0 /32, the lowest hence the primary
    address, and its old /30; ce1's LAG renamed to lag10 made ES-1 hold lag1 and lag10,
    which SR Linux refuses at commit (`list interface` has max-elements 1). --prune empties
    those lists first in the same candidate."""
    with Twin(LAB) as twin:
        state = tmp_path / "twin.json"
        twin.state().write(state)
        assert Lab(twin, state, INVENTORY).configure(capsys)[0] == 0
        doc = yaml.safe_load(LAB.read_text())
        doc["topology"]["nodes"]["leaf3"]["labels"] = {"number": 5}
        doc["topology"]["nodes"]["ce1"]["labels"] = {"lag": "lag10"}
        (tmp_path / "configs").symlink_to(INVENTORY / "configs")
        topo = tmp_path / "edited.clab.yml"
        topo.write_text(yaml.safe_dump(doc, sort_keys=False))
        topology = load_topology(topo)
        write_inventory(build_inventory(topology, derive_intent(topology)), tmp_path / "inv")
        code, out = Lab(twin, state, tmp_path / "inv").configure(capsys)
        assert code == 1 and "ES-1: interface has 2 entries (lag1, lag10)" in out["hosts"]["leaf1"]["error"]
        assert not out["hosts"]["leaf1"]["committed"]
        code, out = Lab(twin, state, tmp_path / "inv").configure(capsys, "--prune")
        assert code == 0, out
        leaf3 = Lab(twin, state, INVENTORY).running("leaf3")
        assert [ln for ln in leaf3 if " system0 subinterface 0 ipv4 address " in ln] == [
            "set / interface system0 subinterface 0 ipv4 address 10.0.0.5/32"]
        assert [ln.rsplit(" ", 1)[1] for ln in leaf3 if ln.startswith(
            "set / interface ethernet-1/49 subinterface 0 ipv4 address ")] == ["192.168.15.1/30"]
        es_if = "set / system network-instance protocols evpn ethernet-segments bgp-instance 1 ethernet-segment ES-1 interface "
        for leaf in ("leaf1", "leaf2"):
            assert [ln for ln in Lab(twin, state, INVENTORY).running(leaf) if ln.startswith(es_if)] == [es_if + "lag10"]
        # pruned again: nothing left to change (the rendered sets put back what the deletes take)
        code, out = Lab(twin, state, tmp_path / "inv").configure(capsys, "--prune")
        assert code == 0 and not any(h["changed"] for h in out["hosts"].values())


def test_a_member_recabled_in_the_topology_fails_verify_until_prune_takes_it_out(tmp_path, capsys):
    """ce1 re-cabled from leaf1 e1-1 to e1-5: configure adds ethernet-1/5 to lag1 and leaves
    ethernet-1/1's aggregate-id (verify PASSed with it still in the bundle); verify names it,
    --prune deletes it, verify passes."""
    from nornir_evpn.twin.fabric_lab import attach
    from nornir_evpn.twin.timing import get_profile

    doc = yaml.safe_load(LAB.read_text())
    doc["topology"]["links"] = [
        {"endpoints": ["ce1:eth1", "leaf1:e1-5"]} if link["endpoints"] == ["ce1:eth1", "leaf1:e1-1"] else link
        for link in doc["topology"]["links"]]
    (tmp_path / "configs").symlink_to(INVENTORY / "configs")
    topo = tmp_path / "recabled.clab.yml"
    topo.write_text(yaml.safe_dump(doc, sort_keys=False))
    topology = load_topology(topo)
    write_inventory(build_inventory(topology, derive_intent(topology)), tmp_path / "inv")
    with Twin(topo) as twin:  # the cable is moved; the fabric still has the old intent's config
        attach(twin, get_profile("instant"))
        state = tmp_path / "twin.json"
        twin.state().write(state)
        assert Lab(twin, state, INVENTORY).configure(capsys)[0] == 0
        recabled = Lab(twin, state, tmp_path / "inv")

        def lacp_check() -> tuple[int, dict]:
            capsys.readouterr()
            code = main(["verify", "--twin", "--twin-state", str(state), "--inventory", str(tmp_path / "inv"),
                         "--json", "--hosts", "leaf1", "--checks", "lacp.members_in_sync"])
            return code, json.loads(capsys.readouterr().out)["hosts"]["leaf1"]["checks"][0]

        assert recabled.configure(capsys)[0] == 0
        code, check = lacp_check()
        assert code == 1 and check["expected"]["lag1 ethernet-1/1 (not in the intent)"] == "absent"
        assert check["observed"]["lag1 ethernet-1/1 (not in the intent)"].startswith("member, ")
        code, out = recabled.configure(capsys, "--prune")
        assert code == 0 and out["hosts"]["leaf1"]["pruned"] == ["delete / interface ethernet-1/1 ethernet aggregate-id"]
        assert out["hosts"]["leaf2"]["pruned"] == []
        assert not any(ln.startswith("set / interface ethernet-1/1 ethernet aggregate-id")
                       for ln in recabled.running("leaf1"))
        code, check = lacp_check()
        assert code == 0 and check["ok"], check


def _inventories_without(tmp_path: Path, *gone: str) -> None:
    """inv-before (fabric-2s4l2es) and inv-after (the same without the `gone` nodes and
    their links) under tmp_path."""
    doc = yaml.safe_load(FABRIC_2S4L.read_text())
    for node in gone:
        del doc["topology"]["nodes"][node]
    doc["topology"]["links"] = [ln for ln in doc["topology"]["links"]
                                if not any(e.split(":")[0] in gone for e in ln["endpoints"])]
    topo = tmp_path / "after.clab.yml"
    topo.write_text(yaml.safe_dump(doc, sort_keys=False))
    for path, source in ((tmp_path / "inv-before", FABRIC_2S4L), (tmp_path / "inv-after", topo)):
        topology = load_topology(source)
        write_inventory(build_inventory(topology, derive_intent(topology)), path)


def test_prune_takes_out_what_a_removed_multihomed_ce_left_and_verify_passes(tmp_path, capsys):
    """mhce2 (ES-2 on leaf3/leaf4) taken out of the topology: configure changes nothing and
    leaves lag2, its member's aggregate-id, lag2.0 in mac-vrf-1 and ES-2 (oper down, unseen by
    verify). --prune deletes exactly those, in the diff; leaf1/leaf2 (ES-1) are untouched and
    the next prune has nothing to do."""
    from nornir_evpn.twin.fabric_lab import attach
    from nornir_evpn.twin.timing import get_profile

    _inventories_without(tmp_path, "mhce2")
    with Twin(FABRIC_2S4L) as twin:
        model = attach(twin, get_profile("instant"))
        state = tmp_path / "twin.json"
        twin.state().write(state)
        assert Lab(twin, state, tmp_path / "inv-before").configure(capsys)[0] == 0
        after = Lab(twin, state, tmp_path / "inv-after")
        code, out = after.configure(capsys)
        assert code == 0 and not any(h["changed"] for h in out["hosts"].values())
        code, out = after.configure(capsys, "--prune", "--dry-run")
        es2 = "system network-instance protocols evpn ethernet-segments bgp-instance 1 ethernet-segment ES-2"
        left = ["delete / network-instance mac-vrf-1 interface lag2.0", f"delete / {es2}",
                "delete / interface ethernet-1/1 ethernet aggregate-id", "delete / interface lag2"]
        assert code == 0 and {h: e["pruned"] for h, e in out["hosts"].items()} == {
            "leaf1": [], "leaf2": [], "leaf3": left, "leaf4": left, "spine1": [], "spine2": []}
        assert not any(e["committed"] for e in out["hosts"].values())
        code, out = after.configure(capsys, "--prune")
        assert code == 0 and [h for h, e in out["hosts"].items() if e["committed"]] == ["leaf3", "leaf4"]
        for leaf in ("leaf3", "leaf4"):
            running = after.running(leaf)
            assert not [ln for ln in running if "lag2" in ln or "ES-2" in ln or "aggregate-id" in ln], running
            assert "set / interface ethernet-1/1 admin-state enable" in running  # the port stays
        assert "set / interface lag1 admin-state enable" in after.running("leaf1")
        code, out = after.configure(capsys, "--prune")
        assert code == 0 and not any(h["changed"] for h in out["hosts"].values())
        model.probe("mhce1", "172.30.0.12")  # mhce1's MAC learnt (mhce2, still cabled, is off the fabric)
        capsys.readouterr()
        code = main(["verify", "--twin", "--twin-state", str(state), "--inventory", str(tmp_path / "inv-after"),
                     "--json"])
        doc = json.loads(capsys.readouterr().out)
        assert code == 0 and doc["ok"], [c for h in doc["hosts"].values() for c in h["checks"] if not c["ok"]]


def test_prune_takes_out_the_spine_ports_of_a_leaf_pair_taken_out_and_verify_passes(tmp_path, capsys):
    """leaf3/leaf4 (and mhce2 on them) decommissioned: --prune deleted their BGP sessions but
    each spine kept the routed subinterface of the port that faced them (/30 and default
    network-instance entry). Now those go too, in the same candidate; the ports stay."""
    from nornir_evpn.twin.fabric_lab import attach
    from nornir_evpn.twin.timing import get_profile

    _inventories_without(tmp_path, "leaf3", "leaf4", "mhce2")
    with Twin(FABRIC_2S4L) as twin:
        attach(twin, get_profile("instant"))
        state = tmp_path / "twin.json"
        twin.state().write(state)
        assert Lab(twin, state, tmp_path / "inv-before").configure(capsys)[0] == 0
        after = Lab(twin, state, tmp_path / "inv-after")
        code, out = after.configure(capsys, "--prune", "--dry-run")
        assert code == 0 and {h: e["pruned"] for h, e in out["hosts"].items()} == {
            "spine1": ["delete / network-instance default protocols bgp neighbor 192.168.13.1",
                       "delete / network-instance default protocols bgp neighbor 192.168.14.1",
                       "delete / network-instance default interface ethernet-1/3.0",
                       "delete / interface ethernet-1/3 subinterface 0",
                       "delete / network-instance default interface ethernet-1/4.0",
                       "delete / interface ethernet-1/4 subinterface 0"],
            "spine2": ["delete / network-instance default protocols bgp neighbor 192.168.23.1",
                       "delete / network-instance default protocols bgp neighbor 192.168.24.1",
                       "delete / network-instance default interface ethernet-1/3.0",
                       "delete / interface ethernet-1/3 subinterface 0",
                       "delete / network-instance default interface ethernet-1/4.0",
                       "delete / interface ethernet-1/4 subinterface 0"],
            "leaf1": ["delete / network-instance default protocols bgp neighbor 10.0.0.3",
                      "delete / network-instance default protocols bgp neighbor 10.0.0.4"],
            "leaf2": ["delete / network-instance default protocols bgp neighbor 10.0.0.3",
                      "delete / network-instance default protocols bgp neighbor 10.0.0.4"]}
        assert out["hosts"]["spine1"]["removed"] == 6 and out["hosts"]["spine1"]["added"] == 0
        code, out = after.configure(capsys, "--prune")
        assert code == 0 and all(e["committed"] for e in out["hosts"].values())
        for spine in ("spine1", "spine2"):
            running = after.running(spine)
            assert not [ln for ln in running if "ethernet-1/3 subinterface" in ln or "ethernet-1/3.0" in ln
                        or "ethernet-1/4 subinterface" in ln or "ethernet-1/4.0" in ln], running
            assert {"set / interface ethernet-1/1 subinterface 0 ipv4 address",
                    "set / network-instance default interface ethernet-1/2.0"} <= {
                ln.rsplit(" ", 1)[0] if " ipv4 address " in ln else ln for ln in running}
        code, out = after.configure(capsys, "--prune")
        assert code == 0 and not any(h["changed"] for h in out["hosts"].values())
        capsys.readouterr()
        code = main(["verify", "--twin", "--twin-state", str(state), "--inventory", str(tmp_path / "inv-after"),
                     "--json"])
        doc = json.loads(capsys.readouterr().out)
        assert code == 0 and doc["ok"], [c for h in doc["hosts"].values() for c in h["checks"] if not c["ok"]]


# --- a change window: what --commit-confirmed and --all-or-nothing report when it goes wrong
def _leave_pending(lab, host: str = "leaf1", config: list[str] | None = None) -> None:
    """What a --commit-confirmed run killed before its accept leaves: `host` committed with
    a rollback timer nobody accepts (the intent's config, or `config`: someone else's)."""
    import argparse

    from nornir_evpn.tasks.config import apply_config, render_config

    from nornir_evpn.commands.common import build_target

    target = build_target(argparse.Namespace(inventory=lab.inventory, twin=True, twin_state=lab.state,
                                             hosts=host, role=None, workers=None, verbose=0))
    try:
        target.nr.run(task=lambda t: apply_config(
            t, config or render_config(t, fabric=target.fabric).result["config"], mode="confirmed",
            confirm_timeout=120))
    finally:
        target.nr.close_connections(on_failed=True)
    assert lab.twin.datastore(host).pending is not None


def test_all_or_nothing_and_dry_run_see_a_pending_commit_confirmed(lab, capsys):
    """leaf1 holds an unaccepted commit confirmed: "unchanged" there is untrue (it rolls
    back at its timer). Plain configure refused it; --all-or-nothing decides on its validate
    phase and committed leaf2 and leaf3, reporting ok: the timer then left a mixed fabric."""
    _leave_pending(lab)
    code, doc = lab.configure(capsys, "--all-or-nothing")
    assert code == 1 and doc["notes"] == ["a host failed in the validation phase (see its error): nothing was committed anywhere"]
    assert doc["hosts"]["leaf1"]["error"].startswith("a commit confirmed (commit 1) is pending")
    assert not any(e["committed"] for e in doc["hosts"].values())
    for node in ("leaf2", "leaf3", "spine1"):
        assert lab.running(node) == startup(node)
    code, doc = lab.configure(capsys, "--dry-run")
    assert code == 1 and doc["hosts"]["leaf1"]["error"].startswith("a commit confirmed (commit 1) is pending")


def test_a_pending_commit_confirmed_fails_a_host_with_changes_before_anything_commits(lab, capsys):
    """(review) Someone's commit confirmed of an unrelated line waits on leaf1, which also
    has this run's changes: --all-or-nothing validated everywhere, committed leaf2/leaf3,
    then leaf1 refused and everything was rolled back. And a commit on top of a pending one
    would go with it when its timer ends. The host fails before any commit, in every mode."""
    _leave_pending(lab, config=["set / interface ethernet-1/9 description someone-else"])
    code, doc = lab.configure(capsys, "--all-or-nothing")
    assert code == 1 and doc["notes"] == ["a host failed in the validation phase (see its error): nothing was committed anywhere"]
    assert doc["hosts"]["leaf1"]["error"].startswith("a commit confirmed (commit 1) is pending")
    for node in ("leaf2", "leaf3"):
        assert lab.running(node) == startup(node) and not lab.twin.datastore(node).commits
    code, doc = lab.configure(capsys)
    leaf1 = doc["hosts"]["leaf1"]
    assert code == 1 and (leaf1["ok"], leaf1["committed"], leaf1["changed"]) == (False, False, False)
    assert doc["hosts"]["leaf2"]["committed"]  # the others go on
    code, doc = lab.configure(capsys, "--dry-run")
    leaf1 = doc["hosts"]["leaf1"]
    assert code == 1 and leaf1["diff"] and leaf1["error"].startswith("a commit confirmed")  # its diff shown
    lab.twin._run(_reject(lab.twin.datastore("leaf1")))


def test_an_accept_after_the_timer_says_the_commit_rolled_back(lab, capsys):
    """The rollback timer ran out before the accept (a slow device): the accept answers that
    nothing is pending. That commit is gone, not "committed, rolls back in Ns"."""
    ds = lab.twin.datastore("leaf1")
    original = ds.commit

    def commit_then_time_out(base, candidate, confirm_timeout=None):
        original(base, candidate, confirm_timeout)
        if confirm_timeout is not None:
            asyncio.get_running_loop().call_soon(ds._timeout)  # the timer ends before the accept

    ds.commit = commit_then_time_out
    code, doc = lab.configure(capsys, "--commit-confirmed", "30", "--hosts", "leaf1")
    leaf1 = doc["hosts"]["leaf1"]
    assert code == 1 and (leaf1["committed"], leaf1["changed"]) == (False, False)
    assert leaf1["error"].endswith("the commit rolled back, its 30s timer ran out before the accept")
    assert lab.running("leaf1") == startup("leaf1")


def test_all_or_nothing_names_a_host_whose_accept_failed_and_the_mixed_fabric(lab, capsys):
    ds = lab.twin.datastore("leaf2")

    def refuse() -> None:
        raise CommitError("the accept was refused")

    ds.confirm_accept = refuse
    code, doc = lab.configure(capsys, "--all-or-nothing", "--commit-confirmed", "30")
    leaf2 = doc["hosts"]["leaf2"]
    assert code == 1 and not leaf2["ok"] and leaf2["committed"]
    assert leaf2["error"].startswith("accept failed: ") and "rolls back 30s after it was made" in leaf2["error"]
    assert doc["notes"] == ["the accept failed on leaf2: the fabric is mixed, leaf1, leaf3 kept the change; "
                            "run configure again"]
    assert lab.twin.datastore("leaf1").pending is None and ds.pending is not None
    lab.twin._run(_reject(ds))


async def _reject(ds) -> None:  # on the twin's loop: the rollback timer lives there
    ds.confirm_reject()


def test_all_or_nothing_names_a_host_whose_reject_failed_as_still_committed(lab, capsys):
    """A commit fails on leaf2: the others are rejected. leaf1's reject fails: its change
    stays until its timer, so it is not "rolled back" and the note does not say "every host"."""
    _fail_the_commit_after_validation(lab.twin.datastore("leaf2"))
    leaf1 = lab.twin.datastore("leaf1")

    def refuse() -> None:
        raise CommitError("the reject was refused")

    leaf1.confirm_reject = refuse
    code, doc = lab.configure(capsys, "--all-or-nothing", "--commit-confirmed", "30")
    assert code == 1
    assert doc["notes"] == ["a commit failed: rolled back everywhere but leaf1, whose reject failed: "
                            "its commit stays until its 30s timer ends"]
    assert (doc["hosts"]["leaf1"]["committed"], doc["hosts"]["leaf1"]["changed"]) == (True, True)
    assert doc["hosts"]["leaf1"]["error"].startswith("reject failed (")
    assert (doc["hosts"]["leaf3"]["committed"], doc["hosts"]["leaf3"]["changed"]) == (False, False)
    assert lab.running("leaf3") == startup("leaf3")
    del leaf1.confirm_reject
    lab.twin._run(_reject(leaf1))


def test_all_or_nothing_interrupted_after_the_commits_accepts_nothing(lab):
    """Ctrl-C once every host had committed confirmed: the accept went out anyway."""
    import argparse

    from nornir_evpn import transaction as cfg
    from nornir_evpn.commands.common import build_target
    from nornir_evpn.render import FEATURES, Renderer

    target = build_target(argparse.Namespace(inventory=INVENTORY, twin=True, twin_state=lab.state, hosts=None,
                                             role=None, workers=None, verbose=0))
    cancel = threading.Event()
    run_phase = cfg.run_phase

    def phase(nr, **kwargs):
        out = run_phase(nr, **kwargs)
        if kwargs["mode"] == "confirmed":
            cancel.set()  # the interrupt comes as the last commit answers
        return out

    try:
        with pytest.MonkeyPatch.context() as m:
            m.setattr(cfg, "run_phase", phase)
            hosts, notes = cfg.all_or_nothing(target.nr, target.fabric, Renderer(), FEATURES, 30, cancel)
    finally:
        target.nr.close_connections(on_failed=True)
    assert notes == ["interrupted: every host was rolled back"]
    assert not any(e["committed"] or e["changed"] for e in hosts.values())
    for node in ("leaf1", "leaf2", "leaf3", "spine1"):
        assert lab.running(node) == startup(node)
        assert lab.twin.datastore(node).pending is None


def test_all_or_nothing_refuses_a_timer_too_short_to_accept(lab, capsys):
    capsys.readouterr()
    code = main(["configure", "--twin", "--twin-state", str(lab.state), "--all-or-nothing",
                 "--commit-confirmed", "2"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--commit-confirmed 2 with --all-or-nothing" in err
    assert lab.running("leaf1") == startup("leaf1")


# --- --save: the startup configuration a reboot loads ---------------------------------------
@pytest.mark.parametrize("extra", [(), ("--commit-confirmed", "30"), ("--all-or-nothing",)],
                         ids=["commit", "confirmed", "all-or-nothing"])
def test_save_makes_running_the_startup_config_everywhere(lab, capsys, extra):
    """A commit changes running only (SR Linux's `+` in the prompt): a reboot after the change
    window brought the old configuration back. --save saves every host, changed or not, once
    its change is final."""
    assert lab.configure(capsys, "--features", "underlay")[0] == 0  # committed, not saved
    assert lab.twin.datastore("leaf1").unsaved is False  # the underlay was there already
    code, doc = lab.configure(capsys, *extra)
    assert code == 0 and doc["save"] is False and not any(e["saved"] for e in doc["hosts"].values())
    assert lab.twin.datastore("leaf1").unsaved is True
    capsys.readouterr()
    code, doc = lab.configure(capsys, "--save", *extra)
    assert code == 0 and doc["save"] is True
    assert {h: (e["changed"], e["saved"]) for h, e in doc["hosts"].items()} == {
        h: (False, True) for h in ("leaf1", "leaf2", "leaf3", "spine1")}
    assert not any(lab.twin.datastore(h).unsaved for h in doc["hosts"])
    assert lab.twin.datastore("leaf1").pending is None


def test_save_after_a_change_and_a_save_that_fails(lab, capsys):
    def full_disk() -> None:
        raise CommitError("could not write the startup configuration: no space left on device")

    lab.twin.datastore("leaf2").save = full_disk
    code, doc = lab.configure(capsys, "--save")
    assert code == 1
    leaf1, leaf2 = doc["hosts"]["leaf1"], doc["hosts"]["leaf2"]
    assert (leaf1["ok"], leaf1["committed"], leaf1["saved"]) == (True, True, True)
    assert (leaf2["ok"], leaf2["committed"], leaf2["saved"]) == (False, True, False)
    assert leaf2["error"] == ("committed, not saved to startup: Error: could not write the startup "
                              "configuration: no space left on device")
    assert lab.running("leaf2") - startup("leaf2") == TUTORIAL_MH  # the commit stays


def test_save_is_refused_where_nothing_is_committed(lab, capsys):
    capsys.readouterr()
    code = main(["configure", "--twin", "--twin-state", str(lab.state), "--dry-run", "--save"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--save with --dry-run" in err


def test_prune_turns_a_ces_access_port_into_an_uplink_in_one_run(tmp_path, capsys):
    """(review) ce2's eth3 link on leaf3 e1-3 re-cabled to spine1 e1-9: the intent sets
    ethernet-1/3.0 again, as a routed uplink. The prune kept the old subinterface whole
    (bridged, untagged) and deleted vlan-tagging: the device refused the commit. The
    subinterface goes whole first; the rendered lines set the uplink's."""
    doc = yaml.safe_load(LAB.read_text())
    doc["topology"]["links"] = [ln for ln in doc["topology"]["links"] if ln["endpoints"] != ["ce2:eth3", "leaf3:e1-3"]]
    doc["topology"]["links"].append({"endpoints": ["leaf3:e1-3", "spine1:e1-9"]})
    (tmp_path / "configs").symlink_to(INVENTORY / "configs")
    topo = tmp_path / "recabled.clab.yml"
    topo.write_text(yaml.safe_dump(doc, sort_keys=False))
    topology = load_topology(topo)
    write_inventory(build_inventory(topology, derive_intent(topology)), tmp_path / "inv")
    with Twin(LAB) as twin:
        state = tmp_path / "twin.json"
        twin.state().write(state)
        assert Lab(twin, state, INVENTORY).configure(capsys)[0] == 0
        recabled = Lab(twin, state, tmp_path / "inv")
        code, out = recabled.configure(capsys, "--prune", "--hosts", "leaf3,spine1")
        assert code == 0, {h: e["error"] for h, e in out["hosts"].items()}
        assert out["hosts"]["leaf3"]["pruned"] == [
            "delete / network-instance mac-vrf-1 interface ethernet-1/3.0",
            "delete / interface ethernet-1/3 subinterface 0", "delete / interface ethernet-1/3 vlan-tagging"]
        port = sorted(ln for ln in recabled.running("leaf3") if ln.startswith("set / interface ethernet-1/3 "))
        assert not [ln for ln in port if "bridged" in ln or "vlan" in ln], port
        assert any(" subinterface 0 ipv4 address " in ln for ln in port), port
        code, out = recabled.configure(capsys, "--prune", "--hosts", "leaf3,spine1")
        assert code == 0 and not any(e["changed"] for e in out["hosts"].values())


def test_a_commit_state_that_cannot_be_read_fails_the_host_before_any_commit(lab, capsys, monkeypatch):
    """(review) The pending-commit check timed out: the session went on to `commit now` and
    read the check's late answer as the commit's, reporting a refused commit committed."""
    from nornir_evpn.tasks import config as task_config

    from nornir_evpn import platform

    paste = task_config.paste

    def slow_state(conn, lines, *args, **kwargs):
        if list(lines) == [platform.COMMIT_STATE] and conn.host == "127.0.0.1" and \
                conn.port == lab.twin.state().nodes["leaf1"]["port"]:
            conn.channel.write(lines[0] + "\n")  # typed; its answer comes after the read gave up
            raise TimeoutError("timed out reading from the device")
        return paste(conn, lines, *args, **kwargs)

    monkeypatch.setattr(task_config, "paste", slow_state)
    lab.twin.reject_next_commit("leaf1")
    code, doc = lab.configure(capsys)
    leaf1 = doc["hosts"]["leaf1"]
    assert code == 1 and (leaf1["ok"], leaf1["committed"], leaf1["changed"]) == (False, False, False)
    assert leaf1["error"].startswith("could not read the commit state before committing: ")
    assert lab.running("leaf1") == startup("leaf1")
    assert doc["hosts"]["leaf2"]["committed"]


def test_configure_enables_again_what_was_disabled_by_hand(lab, capsys):
    """An uplink, its subinterface, a BGP session (group, neighbor, the whole instance), an
    access port, a CE's subinterface and LAG min-links changed by hand: configure puts each
    back to its default (enable, 1) and names the lines; where nothing was touched (spine1) it
    changes nothing."""
    from nornir_evpn.twin.fabric_lab import with_lines

    assert lab.configure(capsys)[0] == 0
    bgp = "network-instance default protocols bgp"
    edits = {
        "leaf1": ["interface ethernet-1/49 admin-state disable",
                  "interface lag1 subinterface 0 admin-state disable",
                  "interface lag1 lag min-links 2"],
        "leaf3": ["interface ethernet-1/49 subinterface 0 admin-state disable",
                  f"{bgp} neighbor 10.0.0.1 admin-state disable",
                  f"{bgp} group iBGP-overlay admin-state disable",
                  "interface ethernet-1/1 admin-state disable"],
        "leaf2": [f"{bgp} admin-state disable",
                  f"{bgp} neighbor 192.168.12.2 admin-state disable"],
    }
    before = {n: lab.running(n) for n in ("leaf1", "leaf2", "leaf3", "spine1")}

    async def edit(node: str, lines: list[str]) -> None:
        ds = lab.twin.datastore(node)
        ds.commit(ds.running, with_lines(ds.running, "".join(f"set / {x}\n" for x in lines)))

    for node, lines in edits.items():
        lab.twin._run(edit(node, lines))
        assert lab.running(node) - before[node] == {f"set / {x}" for x in lines}

    code, doc = lab.configure(capsys)
    assert code == 0 and doc["ok"]
    assert {h: e["changed"] for h, e in doc["hosts"].items()} == {
        "leaf1": True, "leaf2": True, "leaf3": True, "spine1": False}
    for node, lines in edits.items():
        assert lab.running(node) == before[node]
        assert doc["hosts"][node]["removed"] == len(lines) and doc["hosts"][node]["added"] == 0
        assert doc["hosts"][node]["diff"].splitlines() == sorted(
            f"delete / {line.rsplit(' ', 1)[0]}" for line in lines)


def test_a_bug_of_ours_is_said_as_one_and_the_other_hosts_finish(lab, capsys, monkeypatch):
    """An exception that is no transport or device error (here an AttributeError on leaf1)
    still fails leaf1 alone, but not as if it were unreachable: the traceback is printed once
    on stderr under a line saying it is a bug in nornir_evpn, and the host's error says so."""
    import nornir_evpn.tasks.cli_lines as config

    from nornir_evpn import internal

    real = config.note_mode

    def broken(conn, prompt):
        if conn.__dict__.get("_nornir_evpn_host") == "leaf1":
            raise AttributeError("x")
        return real(conn, prompt)

    monkeypatch.setattr(config, "note_mode", broken)
    internal.reset()
    capsys.readouterr()
    code = main(["configure", "--twin", "--twin-state", str(lab.state), "--inventory", str(lab.inventory),
                 "--dry-run", "--json"])
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert code == 1
    assert doc["hosts"]["leaf1"]["error"] == ("internal error (AttributeError: x) while loading the candidate: "
                                              "nothing committed, see the traceback above")
    assert {h: e["ok"] for h, e in doc["hosts"].items() if h != "leaf1"} == {
        "leaf2": True, "leaf3": True, "spine1": True}
    assert doc["hosts"]["leaf2"]["changed"]  # read its diff as usual
    err = captured.err
    assert err.count("Traceback (most recent call last)") == 1
    assert ("leaf1: internal error: a bug in nornir_evpn, not a device or network problem (the host was "
            "left out, the others went on); please report it with this traceback:") in err
    assert "in _paste_checked\n    note_mode(conn, prompt)" in err and "\nAttributeError: x\n" in err
    # --json: the report goes to stderr too, after the traceback it points to
    assert err.index("Traceback") < err.index("leaf1: internal error (AttributeError: x) while loading")


def test_transport_and_device_errors_are_no_bug() -> None:
    from scrapli.exceptions import ScrapliTimeout

    from nornir_evpn import internal
    from nornir_evpn.errors import DeviceError

    for exc in (ScrapliTimeout("t"), ConnectionResetError(104, "reset"), EOFError(), TimeoutError(),
                DeviceError("refused"), OSError("x")):
        assert internal.internal_error(exc, "leaf1") is None, exc
    assert internal.is_internal(AttributeError("x")) and internal.is_internal(IndexError("y"))


def test_a_commit_confirmed_is_held_off_by_a_commit_on_its_hosts_a_dry_run_is_not(lab, capsys, tmp_path,
                                                                                  monkeypatch) -> None:
    """--commit-confirmed commits as a plain commit does: refused while a rollback of this
    directory holds one of its hosts, nothing sent; a dry run only reads and goes on."""
    import os

    from nornir_evpn import commit_claims

    monkeypatch.setenv("NORNIR_EVPN_FAILOVER_STATE", str(tmp_path / "fo" / "failover-state.json"))
    before = lab.running("leaf2")
    with commit_claims.committing("rollback", "evpn-mh01", ["leaf2"], twin_state=lab.state.resolve()):
        for extra in ((), ("--commit-confirmed", "60")):
            code, doc = lab.configure(capsys, *extra)
            assert code == 2, doc
            assert doc["error"].startswith(f"a rollback (pid {os.getpid()}) is committing to leaf2 of lab evpn-mh01 (")
        code, doc = lab.configure(capsys, "--dry-run")
        assert code == 0 and doc["hosts"]["leaf2"]["changed"], doc
    assert lab.running("leaf2") == before
    assert [p.name for p in (tmp_path / "fo").glob("commit-*.json")] == []


@pytest.mark.parametrize("mode", [[], ["--dry-run"]])
def test_batch_lines_1_with_a_host_that_renders_nothing(lab, capsys, mode):
    """`--features overlay --batch-lines 1`: spine1 (a full mesh: no overlay lines) failed with
    `IndexError: list index out of range while loading the candidate` (scrapli's send_configs
    of no line). It is unchanged, as with the default paste."""
    code, doc = lab.configure(capsys, "--features", "overlay", "--batch-lines", "1", *mode)
    assert code == 0 and doc["ok"], doc["hosts"]["spine1"]
    assert (doc["hosts"]["spine1"]["ok"], doc["hosts"]["spine1"]["changed"]) == (True, False)


@pytest.mark.parametrize("mode", ["--dry-run", "--validate-only"])
def test_options_a_run_that_commits_nothing_leaves_idle_are_noted(lab, capsys, mode):
    """`configure --dry-run --all-or-nothing` (or `--no-checkpoint`) was accepted without a
    word, and --json said `"all_or_nothing": true` of a run that had no transaction."""
    code, doc = lab.configure(capsys, mode, "--all-or-nothing", "--no-checkpoint")
    assert code == 0 and doc["all_or_nothing"] is False
    assert doc["notes"] == [f"--all-or-nothing and --no-checkpoint with {mode}: nothing is committed, "
                            "so they change nothing in this run"]
    code, doc = lab.configure(capsys, mode)
    assert code == 0 and doc["notes"] == []


def _verify_evpn(lab: Lab, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, list[str]]]:
    """verify's EVPN checks on the twin: its exit code and each failed item (`check item:
    expected -> observed`), per host."""
    capsys.readouterr()
    code = main(["verify", "--twin", "--twin-state", str(lab.state), "--inventory", str(lab.inventory), "--json",
                 "--checks", "bgp.overlay_established,evpn.advertised,evpn.received"])
    doc = json.loads(capsys.readouterr().out)
    return code, {host: [f"{c['name']} {k}: {v} -> {c['observed'].get(k)}"
                         for c in h["checks"] for k, v in c["expected"].items() if c["observed"].get(k) != v]
                  for host, h in doc["hosts"].items() if any(not c["ok"] for c in h["checks"])}


@pytest.fixture
def evpn_lab(tmp_path: Path) -> Iterator[Lab]:
    """The lab on a twin that converges at once (verify right after a commit)."""
    from nornir_evpn.twin.fabric_lab import attach
    from nornir_evpn.twin.timing import get_profile

    with Twin(LAB) as twin:
        attach(twin, get_profile("instant"))
        state = tmp_path / "twin.json"
        twin.state().write(state)
        yield Lab(twin, state, INVENTORY)


def _commit_by_hand(lab: Lab, node: str, lines: list[str]) -> None:
    from nornir_evpn.twin.fabric_lab import with_lines

    async def edit() -> None:
        ds = lab.twin.datastore(node)
        ds.commit(ds.running, with_lines(ds.running, "".join(f"set / {x}\n" for x in lines)))

    lab.twin._run(edit())


def test_evpn_disabled_by_hand_on_one_session_fails_verify_until_configure_mends_it(evpn_lab, capsys):
    """`afi-safi evpn admin-state disable` typed on leaf1's session to leaf2 (with
    ipv4-unicast enabled there instead, or SR Linux refuses a session with no address
    family): the neighbor's afi-safi overrides the group's, so the session stays up with no
    EVPN routes across it. The twin kept exchanging them (verify PASS), the drift check saw
    nothing (exit 0) and configure left the lines. Now verify names the routes each leaf
    misses, the drift check exits 3 naming the two lines, configure deletes them, verify
    passes and a second configure changes nothing."""
    lab = evpn_lab
    assert lab.configure(capsys)[0] == 0
    assert _verify_evpn(lab, capsys) == (0, {})
    bgp = "network-instance default protocols bgp"
    edit = [f"{bgp} neighbor 10.0.0.2 afi-safi evpn admin-state disable",
            f"{bgp} neighbor 10.0.0.2 afi-safi ipv4-unicast admin-state enable"]
    before = lab.running("leaf1")
    _commit_by_hand(lab, "leaf1", edit)
    assert lab.running("leaf1") - before == {f"set / {x}" for x in edit}

    code, failed = _verify_evpn(lab, capsys)
    assert code == 1 and set(failed) == {"leaf1", "leaf2"}  # leaf3's sessions carry EVPN still
    for host, peer, other in (("leaf1", "10.0.0.2", "leaf2"), ("leaf2", "10.0.0.1", "leaf1")):
        # nothing crosses the session either way: the other ES leaf's A-D (RT1) and ES
        # (RT4) routes are missing, and of the IMETs (RT3) leaf3's only is left (the
        # missing ones named by their leaf)
        assert failed[host] == [
            f"evpn.advertised to {peer} RT1: 2 -> 0", f"evpn.advertised to {peer} RT3: 1 -> 0",
            f"evpn.advertised to {peer} RT4: 1 -> 0",
            "evpn.received mac-vrf-1 RT1: 2 -> 0",
            "evpn.received mac-vrf-1 RT3: 2 -> 1", "evpn.received mac-vrf-1 RT4: 1 -> 0",
            f"evpn.received mac-vrf-1 RT1 from {other} ES-1: 2 -> 0",
            f"evpn.received mac-vrf-1 RT3 from {other}: 1 -> 0",
            f"evpn.received mac-vrf-1 RT4 from {other} ES-1: 1 -> 0"], host
    # the session is up: leaf1 shows it carrying ipv4-unicast, leaf2 evpn with nothing over it
    from nornir_evpn import platform
    from nornir_evpn.parsers.bgp_neighbors import parse_bgp_neighbors

    shown = {n: parse_bgp_neighbors(lab.twin.show_provider.show(n, platform.SHOW_BGP_NEIGHBORS))
             for n in ("leaf1", "leaf2")}
    assert (shown["leaf1"]["10.0.0.2"].state, shown["leaf1"]["10.0.0.2"].prefixes) == (
        "established", {"ipv4-unicast": (0, 0, 0)})
    assert (shown["leaf2"]["10.0.0.1"].state, shown["leaf2"]["10.0.0.1"].prefixes) == (
        "established", {"evpn": (0, 0, 0)})

    code, doc = lab.configure(capsys, "--dry-run", "--exit-code")
    assert code == 3 and [h for h, e in doc["hosts"].items() if e["changed"]] == ["leaf1"]
    assert doc["hosts"]["leaf1"]["diff"].splitlines() == [
        f"delete / {bgp} neighbor 10.0.0.2 afi-safi evpn admin-state",
        f"delete / {bgp} neighbor 10.0.0.2 afi-safi ipv4-unicast admin-state"]

    code, doc = lab.configure(capsys)
    assert code == 0 and doc["hosts"]["leaf1"]["committed"]
    assert lab.running("leaf1") == before | {  # the afi-safi entries stay, holding nothing
        f"set / {bgp} neighbor 10.0.0.2 afi-safi evpn", f"set / {bgp} neighbor 10.0.0.2 afi-safi ipv4-unicast"}
    assert _verify_evpn(lab, capsys) == (0, {})
    code, doc = lab.configure(capsys, "--exit-code")
    assert code == 0 and not any(e["changed"] or e["committed"] for e in doc["hosts"].values())


def test_a_session_disabled_by_hand_with_its_evpn_comes_back_whole(evpn_lab, capsys):
    """A neighbor disabled with its evpn (what SR Linux commits without ipv4-unicast on it):
    configure deleted the neighbor's admin-state only, leaving a session with no address
    family, which SR Linux (and now the twin) refuses at commit; configure failed on leaf3
    and the session stayed down. Both lines go, the commit passes, the routes come back."""
    lab = evpn_lab
    assert lab.configure(capsys)[0] == 0
    bgp = "network-instance default protocols bgp"
    before = lab.running("leaf3")
    _commit_by_hand(lab, "leaf3", [f"{bgp} neighbor 10.0.0.1 admin-state disable",
                                   f"{bgp} neighbor 10.0.0.1 afi-safi evpn admin-state disable"])
    code, failed = _verify_evpn(lab, capsys)
    assert code == 1 and failed["leaf3"][0] == "bgp.overlay_established overlay 10.0.0.1: established -> idle"

    code, doc = lab.configure(capsys)
    assert code == 0 and doc["ok"] and doc["hosts"]["leaf3"]["committed"], doc["hosts"]["leaf3"]
    assert doc["hosts"]["leaf3"]["diff"].splitlines() == [
        f"delete / {bgp} neighbor 10.0.0.1 admin-state",
        f"delete / {bgp} neighbor 10.0.0.1 afi-safi evpn admin-state"]
    assert lab.running("leaf3") == before | {f"set / {bgp} neighbor 10.0.0.1 afi-safi evpn"}
    assert _verify_evpn(lab, capsys) == (0, {})
    assert not any(e["changed"] for e in lab.configure(capsys)[1]["hosts"].values())
