"""failover-test end to end: the real command (a subprocess) against an in-process twin.

The twin runs in the test process with the fabric model attached and a timing profile
whose slowest component (EVPN) takes `TWIN_DELAY` seconds, so convergence is measurable.
The command runs as a child so signals can be sent to it and so its ssh2 sessions never
share a GIL with the twin's event loop.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import pytest
from nornir_evpn.tasks.config import apply_config, configure_fabric
from nornir_evpn.tasks.failover import PollOutcome, parse_ping, wait_for_state
from rich.console import Console

from nornir_evpn.cli import main as cli_main
from nornir_evpn.commands.common import build_target
from nornir_evpn.failover import NO_FAULTS, TimelineEvent, verify_evaluator
from nornir_evpn.intent import derive_intent
from nornir_evpn.inventory import build_inventory, write_inventory
from nornir_evpn.reporting.common import host_ranges
from nornir_evpn.reporting.failover import LivePrinter
from nornir_evpn.topology import load_topology
from nornir_evpn.twin import timing as tm
from nornir_evpn.twin.fabric_lab import attach
from nornir_evpn.twin.runtime import Twin

ROOT = Path(__file__).resolve().parent.parent
TOPOLOGY = ROOT / "inventory" / "evpn-mh01.clab.yml"
INVENTORY = ROOT / "inventory"
# a node under the twin's `unreachable` fault resets each connection before the SSH banner
UNREACHABLE = "cannot connect: the connection closed before the SSH login"
FABRIC_2S4L = ROOT / "tests" / "fixtures" / "fabric-2s4l2es.clab.yml"
TWIN_DELAY = 0.8  # EVPN routes (the last to follow a shut) appear this long after a change
PROFILE = tm.TimingProfile("failover-test", lacp=0.2, bgp=0.2, es=0.5, evpn=TWIN_DELAY, mac=0.05)
INTERVAL = 0.25
LEAF1_ETH1 = "set / interface ethernet-1/1 admin-state"

pytestmark = pytest.mark.timeout(120)


class Lab:
    def __init__(self, twin: Twin, tmp: Path, inventory: Path = INVENTORY) -> None:
        self.twin, self.tmp, self.inventory = twin, tmp, inventory
        self.twin_state = tmp / "twin.json"
        self.fo_state = tmp / "failover-state.json"
        twin.state().write(self.twin_state)

    def args(self) -> argparse.Namespace:
        return argparse.Namespace(inventory=self.inventory, twin=True, twin_state=self.twin_state, hosts=None,
                                  role=None, workers=None, verbose=0)

    def configure(self) -> None:
        target = build_target(self.args())
        try:
            agg = target.nr.run(task=configure_fabric, fabric=target.fabric)
            assert not agg.failed, {h: m[0].result for h, m in agg.items()}
        finally:
            target.nr.close_connections(on_failed=True)  # never leave ssh2 sessions to the GC (GIL + in-process twin)

    def settle(self, timeout: float = 15.0) -> None:
        """CE traffic (the fabric model's data plane) until every verify check passes."""
        ces = self.twin.fabric.ces
        pairs = [(src, str(a.ip)) for src in ces for dst in ces if dst != src
                 for i in ces[dst].l3_interfaces() for a in i.addresses]
        deadline = time.monotonic() + timeout
        while True:
            for src, ip in pairs:
                self.twin.fabric.probe(src, ip)
            failing = self.failing_checks()
            if not failing:
                return
            assert time.monotonic() < deadline, failing
            time.sleep(0.2)

    def commit(self, node: str, *lines: str) -> None:
        """Change `node`'s config over its CLI (private candidate, commit now), as an operator would."""
        target = build_target(self.args())
        try:
            agg = target.nr.filter(name=node).run(task=apply_config, config=list(lines))
            assert not agg.failed and agg[node][0].changed, agg[node][0].result
        finally:
            target.nr.close_connections(on_failed=True)

    def failing_checks(self) -> list[str]:
        target = build_target(self.args())
        try:
            return [f"{c}@{h}" for (c, h), o in verify_evaluator(target.nr, target.fabric)(NO_FAULTS).items()
                    if not o.ok]
        finally:
            target.nr.close_connections(on_failed=True)

    def leaf1_eth1(self, node: str = "leaf1") -> list[str]:
        return [line for line in self.twin.datastore(node).running.flat() if line.startswith(LEAF1_ETH1)]

    def cli(self, *argv: str) -> list[str]:
        return [sys.executable, "-m", "nornir_evpn", *argv, "--inventory", str(self.inventory), "--twin",
                "--twin-state", str(self.twin_state), "--state-file", str(self.fo_state)]

    def run(self, *argv: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.cli(*argv), cwd=self.tmp, capture_output=True, text=True, timeout=timeout,
                              check=False)

    def start(self, *argv: str, ignore: tuple[signal.Signals, ...] = ()) -> subprocess.Popen[str]:
        def preexec() -> None:
            # defaults whatever pytest inherited (run under `nohup`, SIGHUP stayed ignored)
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                signal.signal(sig, signal.SIG_DFL)
            for sig in ignore:  # `nohup`: SIGHUP ignored from the start
                signal.signal(sig, signal.SIG_IGN)

        return subprocess.Popen(self.cli(*argv), cwd=self.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, preexec_fn=preexec)

    def kill_once_shut(self, proc: subprocess.Popen[str]) -> None:
        """SIGKILL a failover-test once its shut is in leaf1's running config."""
        try:
            self.wait_for(lambda: self.leaf1_eth1() == [f"{LEAF1_ETH1} disable"])
            proc.kill()
            proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()

    def wait_sessions_gone(self) -> None:
        """Until the twin has seen every session of the test's own reads end: a closed
        session stays in `servers[node].connections` until the twin's thread reads its
        close (after `settle`, 6 runs in 12; longer on a loaded machine), and a test waiting
        for "a connection to leaf3" took that one for the CLI's and signalled the CLI while
        it was still importing (empty stdout, or -15 before its handlers)."""
        self.wait_for(lambda: not any(s.connections for s in self.twin.servers.values()))

    def wait_for(self, predicate, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, "condition not reached"
            time.sleep(0.005)


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with Twin(TOPOLOGY) as twin:
        attach(twin, PROFILE)
        yield Lab(twin, tmp_path)


@pytest.fixture
def configured(lab: Lab) -> Lab:
    lab.configure()
    lab.settle()
    lab.wait_sessions_gone()  # a test's first connection to the twin is then the CLI's
    return lab


def _fo_args() -> list[str]:
    return ["failover-test", "--interval", str(INTERVAL), "--timeout", "20"]


# --------------------------------------------------------------------------- happy path


def test_failover_converges_in_order_restores_and_recovers(configured: Lab) -> None:
    done = configured.run(*_fo_args(), "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads(done.stdout)
    assert doc["command"] == "failover-test" and doc["ok"] is True
    assert doc["host"] == "leaf1" and doc["interface"] == "ethernet-1/1" and doc["segment"] == "ES-1"
    assert doc["target"]["twin_state"] == str(configured.twin_state.resolve())
    # convergence: never before the twin's EVPN delay, at most two poll intervals after it
    assert TWIN_DELAY <= doc["convergence_s"] <= TWIN_DELAY + 2 * INTERVAL + 0.15
    assert 0 < doc["recovery_s"] <= TWIN_DELAY + 2 * INTERVAL + 0.5
    # the degraded expectations, in the order the fabric reaches them: LAG, then ES, then EVPN
    events = [e for e in doc["timeline"] if e["event"] == "degraded"]
    held = {(e["check"], e["host"]): e["t"] for e in events}
    assert held[("lag.up", "leaf1")] <= held[("es.oper_up", "leaf1")] <= held[("evpn.received", "leaf3")]
    assert held[("lag.up", "leaf1")] < held[("evpn.received", "leaf3")]
    assert [e["t"] for e in events] == sorted(e["t"] for e in events)
    assert ("es.df", "leaf2") in held  # leaf2 became the sole DF
    kinds = [e["event"] for e in doc["timeline"]]
    assert kinds.index("shut") < kinds.index("converged") < kinds.index("restore") < kinds.index("recovered")
    # per-check first-held times in both phases
    assert doc["checks"]["lag.up"]["leaf1"]["degraded_s"] is not None
    assert doc["checks"]["lag.up"]["leaf1"]["recovered_s"] is not None
    # BGP sessions are untouched by an access-link failure: unchanged expectations
    unchanged = {(e["check"], e["host"]) for e in doc["timeline"] if e["event"] == "unchanged"}
    assert ("bgp.overlay_established", "leaf3") in unchanged
    # traffic from ce1 kept flowing over leaf2: bounded loss
    assert doc["traffic"]["sent"] > 0
    assert doc["traffic"]["lost"] <= doc["traffic"]["sent"] // 2
    assert doc["traffic"]["never_answered"] == []
    assert {ip: t["ce"] for ip, t in doc["traffic"]["per_target"].items()} == {
        "192.168.0.21": "ce2", "192.168.0.22": "ce2", "192.168.0.23": "ce2"}
    assert doc["hosts"]["leaf1"] == {"ok": True, "changed": True, "error": None,
                                     "interface": "ethernet-1/1", "restored": True}
    # the device is back: admin-state enable, every verify check passes, no state file left
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]
    assert configured.failing_checks() == []
    assert not configured.fo_state.exists()


def test_failover_on_srl_25_10_layouts(tmp_path: Path) -> None:
    """configure, verify and failover-test on a twin printing SR Linux 25.10's layouts
    (`twin up --release 25.10`: the route summary's Path-id/Label columns and `, 0 stale`
    footers the EVPN checks poll): the same degraded states, in the same order."""
    with Twin(TOPOLOGY) as twin:
        attach(twin, PROFILE, release="25.10")
        lab = Lab(twin, tmp_path)
        lab.configure()
        lab.settle()
        done = lab.run(*_fo_args(), "--json")
        assert done.returncode == 0, done.stderr[-3000:]
        doc = json.loads(done.stdout)
        assert doc["ok"] is True and doc["segment"] == "ES-1"
        held = {(e["check"], e["host"]): e["t"] for e in doc["timeline"] if e["event"] == "degraded"}
        assert held[("lag.up", "leaf1")] <= held[("es.oper_up", "leaf1")] <= held[("evpn.received", "leaf3")]
        assert ("es.df", "leaf2") in held
        assert TWIN_DELAY <= doc["convergence_s"] <= TWIN_DELAY + 2 * INTERVAL + 0.15
        assert doc["traffic"]["sent"] > 0 and doc["traffic"]["never_answered"] == []
        assert lab.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]
        assert lab.failing_checks() == []


def test_other_es_member_leaf2(configured: Lab) -> None:
    done = configured.run(*_fo_args(), "--host", "leaf2", "--interface", "e1-1", "--no-traffic", "--json")
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads(done.stdout)
    held = {(e["check"], e["host"]) for e in doc["timeline"] if e["event"] == "degraded"}
    assert ("es.df", "leaf1") in held and ("lag.up", "leaf2") in held
    assert doc["traffic"] == {"sent": 0, "lost": 0}
    assert "admin-state enable" in " ".join(
        line for line in configured.twin.datastore("leaf2").running.flat()
        if line.startswith(LEAF1_ETH1))


def test_second_es_of_the_2spine_4leaf_fabric(tmp_path: Path) -> None:
    topology = load_topology(FABRIC_2S4L)
    inv = tmp_path / "inv"
    write_inventory(build_inventory(topology, derive_intent(topology)), inv)
    with Twin(FABRIC_2S4L) as twin:
        attach(twin, PROFILE)  # delayed views: LACP, ES and EVPN converge one after another
        lab = Lab(twin, tmp_path, inv)
        lab.configure()
        lab.settle()
        done = lab.run(*_fo_args(), "--host", "leaf4", "--json")
        assert done.returncode == 0, done.stderr[-3000:]
        doc = json.loads(done.stdout)
        assert doc["segment"] == "ES-2" and doc["ok"] is True
        held = {(e["check"], e["host"]) for e in doc["timeline"] if e["event"] == "degraded"}
        # ES-2 lives on leaf3/leaf4: leaf3 takes over as DF, ES-1's leaves are untouched
        assert ("es.df", "leaf3") in held and ("lag.up", "leaf4") in held
        assert not any(h in ("leaf1", "leaf2") and c.startswith(("lag.", "es.")) for c, h in held)
        assert doc["traffic"]["sent"] > 0
        assert lab.leaf1_eth1("leaf4") == [f"{LEAF1_ETH1} enable"]


def test_tables_fitted_to_an_80_column_terminal_pass_end_to_end(tmp_path: Path) -> None:
    """SR Linux fits `show` tables to the session's terminal, and libssh2 asks for 80
    columns: every table this run reads wraps where the transcripts' do not. configure,
    verify and failover-test over ssh2 on a twin that fits its tables, route reflectors."""
    from scrapli import Scrapli

    topology = load_topology(FABRIC_2S4L)
    inv = tmp_path / "inv"
    write_inventory(build_inventory(topology, derive_intent(topology, "route-reflector")), inv)
    with Twin(FABRIC_2S4L, fit_terminal=True) as twin:
        attach(twin, tm.get_profile("instant"))
        lab = Lab(twin, tmp_path, inv)
        lab.configure()
        lab.settle()
        port = twin.state().nodes["leaf1"]["port"]
        conn = Scrapli(host="127.0.0.1", port=port, auth_username=twin.username, auth_password=twin.password,
                       auth_strict_key=False, platform="nokia_srlinux", transport="ssh2")
        with conn:
            text = conn.send_command("show network-instance default protocols bgp neighbor").result
        rows = [ln for ln in text.splitlines() if ln.startswith(("|", "+"))]
        assert max(map(len, rows)) <= 80 and any(ln.startswith("|  ") and "|" in ln[3:] for ln in rows)
        verify = subprocess.run([sys.executable, "-m", "nornir_evpn", "verify", "--json", "--inventory", str(inv),
                                 "--twin", "--twin-state", str(lab.twin_state)],
                                capture_output=True, text=True, timeout=90, check=False)
        assert verify.returncode == 0, verify.stdout[-3000:]
        summary = json.loads(verify.stdout)["summary"]
        assert summary["checks"] > 40 and summary["checks_failed"] == 0
        done = lab.run(*_fo_args(), "--host", "leaf4", "--json")
        assert done.returncode == 0, done.stderr[-3000:]
        assert json.loads(done.stdout)["ok"] is True


# --------------------------------------------------------------------------- always restore


# SIGHUP: the operator's SSH session to the jump host dropped
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
def test_signal_after_shut_restores(configured: Lab, sig: signal.Signals) -> None:
    proc = configured.start(*_fo_args(), "--no-traffic")
    try:
        configured.wait_for(lambda: configured.leaf1_eth1() == [f"{LEAF1_ETH1} disable"])
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode in (130, 0), err[-2000:]  # 0 only if it had finished already
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]
    assert not configured.fo_state.exists()
    if proc.returncode == 130:
        assert "restore " in out and f"interrupted │ {sig.name}" in out


def test_sighup_under_nohup_is_ignored_and_the_test_runs_to_its_end(configured: Lab) -> None:
    """`nohup failover-test ...`: the operator's session dropping (SIGHUP) must not end the
    run; 0.8 took the signal over whatever its disposition and reported INTERRUPTED."""
    proc = configured.start(*_fo_args(), "--no-traffic", ignore=(signal.SIGHUP,))
    try:
        configured.wait_for(lambda: configured.leaf1_eth1() == [f"{LEAF1_ETH1} disable"])
        proc.send_signal(signal.SIGHUP)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:]
    assert "failover-test PASS" in out and "interrupted" not in out
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]


def test_signal_mid_poll_waits_for_the_poll_then_restores(configured: Lab) -> None:
    """SIGTERM while a poll is reading leaf1: the restore (which reconnects to leaf1) and the
    final close must wait for that read, or ssh2 aborts the process with the link down."""
    proc = configured.start(*_fo_args(), "--no-traffic")
    try:
        configured.wait_for(lambda: configured.leaf1_eth1() == [f"{LEAF1_ETH1} disable"])
        configured.twin.set_slow("leaf1", 0.15)  # every poll of leaf1 now takes > 1 s
        time.sleep(INTERVAL + 0.3)  # inside the next poll of leaf1
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
    finally:
        configured.twin.set_slow("leaf1", 0)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err[-2000:]
    assert "restore " in out and "interrupted │ SIGTERM" in out
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]
    assert not configured.fo_state.exists()


def test_restore_after_sigkill_goes_to_the_twin_the_test_ran_on(configured: Lab) -> None:
    """The twin found the default way (./.nornir_evpn/twin.json, no --twin-state): the state
    file recorded no twin, and a --restore with $NORNIR_EVPN_TWIN_STATE set for another
    fabric (an operator of two pods) went to that one, said "restored" and left this link down
    (two-fabric tester). The twin is now recorded resolved, and used, `--twin` typed or not."""
    default = configured.tmp / ".nornir_evpn" / "twin.json"
    default.parent.mkdir()
    configured.twin.state().write(default)
    argv = [sys.executable, "-m", "nornir_evpn", *_fo_args(), "--no-traffic", "--inventory",
            str(configured.inventory), "--twin", "--state-file", str(configured.fo_state)]
    proc = subprocess.Popen(argv, cwd=configured.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    configured.kill_once_shut(proc)
    assert json.loads(configured.fo_state.read_text())["twin_state"] == str(default.resolve())
    elsewhere = configured.tmp / "other-pod" / "twin.json"  # no twin there: a wrong pick fails loudly
    done = subprocess.run([sys.executable, "-m", "nornir_evpn", "failover-test", "--restore", "--twin",
                           "--state-file", str(configured.fo_state), "--interval", "0.2"],
                          cwd=configured.tmp / "..", capture_output=True, text=True, timeout=90, check=False,
                          env={**os.environ, "NORNIR_EVPN_TWIN_STATE": str(elsewhere)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]


def test_restore_after_sigkill(configured: Lab) -> None:
    proc = configured.start(*_fo_args(), "--no-traffic")
    configured.kill_once_shut(proc)
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} disable"]
    state = json.loads(configured.fo_state.read_text())
    assert state["host"] == "leaf1" and state["interface"] == "ethernet-1/1" and state["twin"] is True
    # a new run must not overwrite what the killed one left to undo
    again = configured.run(*_fo_args(), "--no-traffic")
    assert again.returncode == 2 and "run `failover-test --restore" in again.stderr
    # another link named with --restore is refused (it was ignored: leaf1's link came back
    # while the operator believed leaf2's was being restored)
    for extra in (("--host", "leaf2"), ("--interface", "ethernet-1/2"), ("--force",)):
        other = subprocess.run([sys.executable, "-m", "nornir_evpn", "failover-test", "--restore", *extra,
                                "--state-file", str(configured.fo_state)],
                               cwd=configured.tmp, capture_output=True, text=True, timeout=90, check=False)
        assert other.returncode == 2 and other.stderr.count("\n") == 1, other.stderr
        assert (f"--restore {' '.join(extra)}: {configured.fo_state} names leaf1 ethernet-1/1" in other.stderr
                if extra[0] != "--force" else "a restore has no pre-check" in other.stderr), other.stderr
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} disable"]
    # --restore needs nothing else: inventory and twin come from the state file; the same
    # link named (in containerlab's spelling too) is no conflict
    junit = configured.tmp / "restore.xml"
    done = subprocess.run([sys.executable, "-m", "nornir_evpn", "failover-test", "--restore",
                           "--host", "leaf1", "--interface", "e1-1",
                           "--state-file", str(configured.fo_state), "--interval", "0.2", "--json",
                           "--junit", str(junit)],
                          cwd=configured.tmp, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["restore"]["ok"] is True
    cases = ElementTree.parse(junit).getroot().iter("testcase")
    assert [(c.get("name"), c.find("failure")) for c in cases] == [
        ("leaf1 ethernet-1/1 restore", None), ("leaf1 ethernet-1/1 recovery", None)]
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]
    assert not configured.fo_state.exists()


def _no_admin_state_on_leaf1_eth1(lab: Lab) -> list[str]:
    """leaf1 ethernet-1/1 with no admin-state of its own (the default, enable, applies: a
    fabric built by hand); leaf1's running configuration then, line by line."""
    async def commit() -> None:
        ds = lab.twin.datastore("leaf1")
        changed = ds.running.copy()
        assert changed.delete(("interface", "ethernet-1/1", "admin-state"))
        ds.commit(ds.running, changed)

    lab.twin._run(commit())
    assert lab.leaf1_eth1() == []
    return lab.twin.datastore("leaf1").running.flat()


def test_a_link_with_no_admin_state_of_its_own_is_restored_as_it_was(configured: Lab) -> None:
    """The restore set `admin-state enable` on a port whose configuration had none: the link
    was up again, but the running configuration one line longer than before the test, a diff
    for a test that must leave the device as it found it (determinism tester)."""
    before = _no_admin_state_on_leaf1_eth1(configured)
    done = configured.run(*_fo_args(), "--no-traffic")
    assert done.returncode == 0, done.stderr[-3000:]
    assert configured.twin.datastore("leaf1").running.flat() == before
    assert configured.failing_checks() == []


def _kill_once_the_shut_found_no_admin_state(configured: Lab) -> None:
    """A failover-test killed once its state file says the shut found no admin-state
    configured on leaf1 ethernet-1/1 (written when the shut's answer is read)."""
    proc = configured.start(*_fo_args(), "--no-traffic")

    def said() -> bool:
        return configured.fo_state.exists() and json.loads(configured.fo_state.read_text()).get(
            "admin_state_default") is True

    try:
        configured.wait_for(said)
    finally:
        proc.kill()
        proc.communicate(timeout=30)


def test_restore_after_sigkill_of_a_link_with_no_admin_state_of_its_own(configured: Lab) -> None:
    before = _no_admin_state_on_leaf1_eth1(configured)
    _kill_once_the_shut_found_no_admin_state(configured)
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} disable"]
    done = subprocess.run([sys.executable, "-m", "nornir_evpn", "failover-test", "--restore",
                           "--state-file", str(configured.fo_state), "--interval", "0.2"],
                          cwd=configured.tmp, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert configured.twin.datastore("leaf1").running.flat() == before


def test_restore_after_sigkill_keeps_an_admin_state_enable_set_since(configured: Lab) -> None:
    """The killed run's file says leaf1 ethernet-1/1 had no admin-state of its own; then a
    `configure` enabled the port with the intent's `admin-state enable`. `--restore` deleted
    that line (the port up, the running configuration off its intent): it is kept."""
    _no_admin_state_on_leaf1_eth1(configured)
    _kill_once_the_shut_found_no_admin_state(configured)
    done = subprocess.run([sys.executable, "-m", "nornir_evpn", "configure", "--inventory", str(configured.inventory),
                           "--twin", "--twin-state", str(configured.twin_state), "--hosts", "leaf1"],
                          cwd=configured.tmp, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]
    done = subprocess.run([sys.executable, "-m", "nornir_evpn", "failover-test", "--restore",
                           "--state-file", str(configured.fo_state), "--interval", "0.2"],
                          cwd=configured.tmp, capture_output=True, text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]


def test_a_second_run_on_the_same_state_file_is_refused_while_the_first_runs(configured: Lab) -> None:
    """Two operators (or CI jobs) in one checkout: the second run, and a --restore, are told
    the first is running, instead of "stopped before its restore" and a restore that enabled
    the link under the live test (or two shuts, and a state file deleted by the wrong run)."""
    # every poll of leaf3 takes seconds: the first run's fault window outlasts the two CLI
    # processes started under it (on a loaded machine its whole shut-restore once fit in
    # the second's start-up, and the restore found nothing to refuse)
    configured.twin.set_slow("leaf3", 0.5)
    proc = configured.start(*_fo_args(), "--no-traffic")
    try:
        configured.wait_for(lambda: configured.fo_state.exists())  # claimed from its pre-check on
        second = configured.run(*_fo_args(), "--no-traffic", "--host", "leaf2")
        assert second.returncode == 2, second.stderr[-2000:]
        assert f"a failover-test (pid {proc.pid}) is running on leaf1 ethernet-1/1" in second.stderr
        configured.wait_for(lambda: configured.leaf1_eth1() == [f"{LEAF1_ETH1} disable"])
        restore = configured.run("failover-test", "--restore")
        assert restore.returncode == 2 and f"(pid {proc.pid}) is running" in restore.stderr
        assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} disable"]  # left to the running test
        configured.twin.set_slow("leaf3", 0)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:] + out[-2000:]
    assert configured.leaf1_eth1("leaf2") == configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]
    assert not configured.fo_state.exists()


def test_a_run_killed_in_its_precheck_does_not_block_the_next(configured: Lab) -> None:
    proc = configured.start(*_fo_args(), "--no-traffic")
    try:
        configured.wait_for(lambda: configured.fo_state.exists())
        proc.kill()
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    if json.loads(configured.fo_state.read_text())["phase"] != "pre-check":
        pytest.skip("the run got to its shut before the kill")
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]  # never shut
    r = configured.run(*_fo_args(), "--no-traffic")
    assert r.returncode == 0, r.stderr[-2000:]
    assert not configured.fo_state.exists()


def test_ctrl_c_during_recovery_waits_for_the_poll_in_flight(configured: Lab) -> None:
    """Ctrl-C while a recovery poll reads: the sessions were closed under that poll (its join
    was skipped once the run was interrupted), and the healthy hosts it was reading were
    reported "could not read ... the device ended the SSH session"."""
    proc = configured.start(*_fo_args(), "--no-traffic", "--json")
    try:
        configured.wait_for(lambda: configured.leaf1_eth1() == [f"{LEAF1_ETH1} disable"])
        configured.wait_for(lambda: configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"])
        for node in ("leaf2", "leaf3"):
            configured.twin.set_slow(node, 0.15)  # every poll of them now takes > 1 s
        time.sleep(INTERVAL + 0.3)  # inside a recovery poll
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        for node in ("leaf2", "leaf3"):
            configured.twin.set_slow(node, 0)
        if proc.poll() is None:
            proc.kill()
    doc = json.loads(out)
    assert (proc.returncode, doc["interrupted"]) == (130, "SIGINT"), err[-2000:]
    assert doc["unreachable"] == {}
    assert not [e for e in doc["timeline"] if e["event"] == "unreachable"]
    assert "could not read" not in err


def test_failed_restore_is_loud(configured: Lab) -> None:
    proc = configured.start(*_fo_args(), "--no-traffic", "--json")
    try:
        configured.wait_for(lambda: configured.leaf1_eth1() == [f"{LEAF1_ETH1} disable"])
        configured.twin.reject_next_commit("leaf1")  # the restore commit is the next one
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1
    assert "RESTORE FAILED" in err and "leaf1 ethernet-1/1" in err and "--restore" in err
    doc = json.loads(out)
    assert doc["ok"] is False and doc["restore"]["ok"] is False
    assert "--restore" in doc["restore"]["command"]
    assert doc["hosts"]["leaf1"]["ok"] is False and "restore failed" in doc["hosts"]["leaf1"]["error"]
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} disable"]
    assert configured.fo_state.exists()  # kept for --restore
    again = configured.run("failover-test", "--restore", "--interval", "0.2")
    assert again.returncode == 0, again.stderr[-2000:]
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]


def _leaf3_hangs_after_the_shut(lab: Lab, timeout: str, interrupt: bool, *extra: str) -> tuple[float, str, str, int]:
    """failover-test, leaf3 slowed to 4 s a command right after the shut (a poll of it takes
    half a minute), optionally a Ctrl-C inside that poll: (seconds from the shut, or the
    Ctrl-C, to the restore; stdout; stderr; exit code)."""
    proc = lab.start("failover-test", "--interval", str(INTERVAL), "--timeout", timeout, "--no-traffic", *extra)
    try:
        lab.wait_for(lambda: lab.leaf1_eth1() == [f"{LEAF1_ETH1} disable"])
        since = time.monotonic()
        lab.twin.set_slow("leaf3", 4.0)
        if interrupt:
            time.sleep(INTERVAL + 0.5)  # inside a poll of leaf3
            proc.send_signal(signal.SIGINT)
            since = time.monotonic()
        lab.wait_for(lambda: lab.leaf1_eth1() == [f"{LEAF1_ETH1} enable"], timeout=20)
        took = time.monotonic() - since
        lab.twin.set_slow("leaf3", 0)
        out, err = proc.communicate(timeout=90)
    finally:
        lab.twin.set_slow("leaf3", 0)
        if proc.poll() is None:
            proc.kill()
    return took, out, err, proc.returncode


def test_a_poll_that_hangs_does_not_hold_the_link_down_past_the_timeout(configured: Lab) -> None:
    """The link is restored about --timeout after the shut, on a second session to leaf1,
    not once leaf3's poll ends; the report names the host whose poll overran."""
    down_for, out, err, code = _leaf3_hangs_after_the_shut(configured, "2", False, "--json")
    assert down_for < 2 + 1 + 2.5, down_for  # timeout + grace + the restore's own commit
    assert code == 1, err[-2000:]
    doc = json.loads(out)
    assert doc["restore"]["ok"] is True and "Traceback" not in err
    assert any("poll@leaf3" in (e.get("detail") or "") for e in doc["timeline"]), doc["timeline"]
    assert doc["hosts"]["leaf3"]["ok"] is False and "poll" in doc["hosts"]["leaf3"]["error"]
    assert not configured.fo_state.exists()


def test_a_host_lost_during_the_polls_is_named_unreachable_not_broken(configured: Lab) -> None:
    """leaf2 unreachable right after the shut: the timeline says so with the reason, once,
    instead of `breaks bgp.underlay_established on leaf2` and the rest of its checks (a
    management blip read as a fabric failure); leaf2's JSON entry carries the reason."""
    proc = configured.start("failover-test", "--interval", str(INTERVAL), "--timeout", "2",
                            "--no-traffic", "--json")
    try:
        configured.wait_for(lambda: configured.leaf1_eth1() == [f"{LEAF1_ETH1} disable"])
        configured.twin.set_unreachable("leaf2")
        out, err = proc.communicate(timeout=60)
    finally:
        configured.twin.set_unreachable("leaf2", False)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 1, err[-2000:]
    doc = json.loads(out)
    leaf2 = [e["event"] for e in doc["timeline"] if e.get("host") == "leaf2"]
    # a first poll may have read leaf2 before it went away ("unchanged ..."); from then on
    # one "unreachable", and none of its checks "breaks"
    assert leaf2.count("unreachable") == 1 and "breaks" not in leaf2, leaf2
    assert doc["hosts"]["leaf2"]["error"].startswith(UNREACHABLE)
    assert doc["unreachable"] == {"leaf2": doc["hosts"]["leaf2"]["error"]}
    assert doc["restore"]["ok"] is True and configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]


def test_ctrl_c_during_a_hung_poll_restores_at_once(configured: Lab) -> None:
    """Ctrl-C inside leaf3's hung poll: the restore goes out on a second session right away."""
    restored_after, out, err, code = _leaf3_hangs_after_the_shut(configured, "20", True)
    assert restored_after < 3, restored_after
    assert code == 130, err[-2000:]
    assert "interrupted │ SIGINT" in out and not configured.fo_state.exists()


def test_refused_shut_is_still_restored(configured: Lab) -> None:
    """A shut whose commit fails leaves Nornir counting leaf1 as a failed host; the restore
    must still be sent (Nornir skipped it: `KeyError: 'leaf1'`, and no restore at all)."""
    configured.twin.reject_next_commit("leaf1")  # the shut's commit
    done = configured.run(*_fo_args(), "--no-traffic", "--json")
    assert done.returncode == 1
    doc = json.loads(done.stdout)
    assert "shut failed: leaf1" in doc["error"] and "KeyError" not in done.stderr
    assert doc["restore"]["ok"] is True and "RESTORE FAILED" not in done.stderr
    assert doc["hosts"]["leaf1"]["changed"] is False  # the shut never happened
    # nothing broke, so nothing is timed: "healthy again after 0.07s" timed a failover that
    # never happened
    assert (doc["shut_commit_s"], doc["convergence_s"], doc["recovery_s"]) == (None, None, None)
    assert not [e for e in doc["timeline"] if e["event"] in ("recovered", "healthy")]
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]
    assert not configured.fo_state.exists()


def test_force_on_a_link_already_shut_tests_nothing_and_leaves_it_shut(configured: Lab) -> None:
    """An operator shut leaf1 ethernet-1/1 for maintenance; `--force` gets past the pre-check.
    The shut then commits nothing: no measurement (every check it could change already
    failed and is ignored, so "converged" would hold at once), and no restore (it would
    enable a port the operator shut). A FAIL that says so, the state file gone."""
    configured.commit("leaf1", f"{LEAF1_ETH1} disable")
    configured.wait_for(lambda: "es.oper_up@leaf1" in configured.failing_checks(), timeout=10)
    junit = configured.tmp / "failover.xml"
    done = configured.run(*_fo_args(), "--force", "--json", "--junit", str(junit))
    assert done.returncode == 1, done.stderr[-3000:]
    doc = json.loads(done.stdout)
    message = "leaf1 ethernet-1/1 was already admin-state disable: nothing to test; left as found"
    assert doc["ok"] is False and doc["refused"] is False and doc["already_disabled"] is True
    assert doc["error"] == message
    assert doc["convergence_s"] is None and doc["recovery_s"] is None and doc["checks"] == {}
    assert doc["restore"] == {"attempted": False, "ok": None, "error": None, "command": None}
    events = [e["event"] for e in doc["timeline"]]
    assert events == ["precheck", "left-as-found"], doc["timeline"]
    assert doc["hosts"]["leaf1"] == {"ok": False, "changed": False, "error": message,
                                     "interface": "ethernet-1/1", "restored": None}
    assert f"failover-test FAIL: {message}" in done.stderr
    cases = {c.get("name"): c.find("failure") for c in ElementTree.parse(junit).getroot().iter("testcase")}
    assert cases["leaf1 ethernet-1/1 shut"].get("message") == message
    assert "leaf1 ethernet-1/1 restore" not in cases
    # left as found: still disabled, nothing to restore
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} disable"]
    assert not configured.fo_state.exists()


def test_force_judges_the_traffic_of_the_ces_that_were_healthy_only(configured: Lab) -> None:
    """ce2's 192.168.0.21 is cut off (leaf3's ethernet-1/1.0 out of mac-vrf-1) before the
    test. The pre-check names it (access.up, mac.local on leaf3 ethernet-1/1), so --force
    leaves it out of the targets and of the traffic verdict: it never answers, and the run
    still PASSes on what it can judge, saying so. (A target that never answers otherwise
    FAILs the run: tests/foundation/test_failover_run.py.)"""
    configured.commit("leaf3", "delete / network-instance mac-vrf-1 interface ethernet-1/1.0")
    junit = configured.tmp / "failover.xml"
    done = configured.run(*_fo_args(), "--force", "--json", "--junit", str(junit))
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads(done.stdout)
    assert doc["ok"] is True and doc["restore"]["ok"] is True
    assert {(f["check"], f["host"]) for f in doc["precheck_failures"]} >= {("access.up", "leaf3")}
    per_target = doc["traffic"]["per_target"]
    cut = per_target["192.168.0.21"]
    assert cut["sent"] > 0 and cut["lost"] == cut["sent"] and cut["ce"] == "ce2"
    assert doc["traffic"]["never_answered"] == ["192.168.0.21"]
    assert doc["traffic"]["left_out"] == ["192.168.0.21", "192.168.0.22", "192.168.0.23"]  # ce2's
    cases = {c.get("name"): c.find("failure") for c in ElementTree.parse(junit).getroot().iter("testcase")}
    assert [n for n, f in cases.items() if f is not None] == []
    # the 80-column table wraps the cell: read its words
    words = " ".join(w for w in done.stderr.split() if w not in ("│", "┃"))
    assert re.search(r"192\.168\.0\.21 \(ce2\) \d+ sent, \d+ lost: never answered "
                     r"\(broken before, --force: not judged\)", words)
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]
    assert not configured.fo_state.exists()


# --------------------------------------------------------------------------- refusals


def test_unhealthy_fabric_is_refused_untouched(lab: Lab) -> None:
    before = {n: list(ds.running.flat()) for n, ds in lab.twin.datastores.items()}
    done = lab.run(*_fo_args(), "--json")
    assert done.returncode == 1
    doc = json.loads(done.stdout)
    assert doc["ok"] is False and doc["refused"] is True
    assert {f["check"] for f in doc["precheck_failures"]} >= {"lag.up", "es.oper_up"}
    assert [e["event"] for e in doc["timeline"]] == ["refused"]
    assert {n: list(ds.running.flat()) for n, ds in lab.twin.datastores.items()} == before
    assert not lab.fo_state.exists()


@pytest.mark.parametrize("fault", ["wrong password", "unreachable"])
def test_a_ce_the_probe_cannot_log_in_to_is_refused_before_the_shut(configured: Lab, fault: str) -> None:
    """ce1's SSH login failing made the probe 'unavailable; continuing without traffic': the
    link was shut and the run PASSed with no traffic measured, where on a real lab a probe
    that cannot ping fails it (a chaos test)."""
    before = configured.leaf1_eth1()
    if fault == "wrong password":
        configured.twin.set_password("ce1", "not-the-password")
    else:
        configured.twin.set_unreachable("ce1")
    try:
        done = configured.run(*_fo_args(), "--json")
    finally:
        configured.twin.set_password("ce1", None)
        configured.twin.set_unreachable("ce1", False)
    assert done.returncode == 1, done.stderr[-3000:]
    doc = json.loads(done.stdout)
    assert doc["ok"] is False and doc["refused"] is True and not doc["restore"]["attempted"]
    assert doc["error"].startswith("traffic probe unavailable on ce1 (")
    assert doc["error"].endswith("); nothing was changed (--no-traffic tests without CE traffic)")
    assert configured.leaf1_eth1() == before  # never shut
    assert configured.run(*_fo_args(), "--json").returncode == 0  # and with the CE back, it runs


def test_interface_not_in_an_es_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    rc = cli_main(["failover-test", "--inventory", str(INVENTORY), "--interface", "ethernet-1/49"])
    assert rc == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "leaf1 ethernet-1/49 is not a member of an ethernet segment" in err[0]


@pytest.mark.parametrize("selection", [["--hosts", "leaf1"], ["--hosts", "leaf1,leaf3,spine1"]])
def test_a_selection_without_the_segments_other_leaf_is_a_usage_error(selection, capsys, tmp_path) -> None:
    """--hosts leaf1 left leaf2 (ES-1's other member) out: refused after the pre-check, exit 1,
    where --role spine (leaving out --host) was exit 2 before anything (cliux review)."""
    rc = cli_main(["failover-test", "--inventory", str(INVENTORY), *selection,
                   "--state-file", str(tmp_path / "fo.json")])
    assert rc == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line == ("nornir-evpn: error: no other link of ES-1 would be checked: leaf2 left out by --hosts/--role, "
                    "and shutting leaf1 ethernet-1/1 may cut ce1 off")
    assert not (tmp_path / "fo.json").exists()


# --------------------------------------------------------------------------- pieces


def test_wait_for_state_records_first_held_and_convergence() -> None:
    now = [0.0]
    seq = iter([
        {("a", "h"): False, ("b", "h"): True},
        {("a", "h"): True, ("b", "h"): False},
        {("a", "h"): True, ("b", "h"): True},
    ])

    def state() -> dict[tuple[str, str], bool]:
        now[0] += 0.1  # each poll takes 0.1 s
        return next(seq)

    out = wait_for_state(state, t0=0.0, interval=0.5, timeout=10, clock=lambda: now[0],
                         sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert isinstance(out, PollOutcome)
    assert out.reached and out.polls == 3
    assert out.first_held == {("b", "h"): pytest.approx(0.1), ("a", "h"): pytest.approx(0.6)}
    assert out.converged_s == pytest.approx(1.1)


def test_wait_for_state_calls_on_poll_after_each_polls_first_held() -> None:
    seq = iter([{("a", "h"): True, ("b", "h"): False}, {("a", "h"): True, ("b", "h"): True}])
    calls: list[object] = []
    wait_for_state(lambda: next(seq), t0=0.0, interval=0.0, timeout=10, clock=lambda: 0.0, sleep=lambda s: None,
                   on_first_held=lambda key, t: calls.append(key), on_poll=lambda: calls.append("poll"))
    assert calls == [("a", "h"), "poll", ("b", "h"), "poll"]


def test_live_printer_folds_a_check_that_holds_on_many_hosts_in_one_poll() -> None:
    out = io.StringIO()
    printer = LivePrinter(Console(file=out, width=200, no_color=True))
    for h in ["leaf1"]:
        printer(TimelineEvent(t=0.5, event="degraded", check="lag.up", host=h))
    for h in [f"leaf{i}" for i in range(2, 131) if i != 10]:
        printer(TimelineEvent(t=0.5, event="degraded", check="evpn.received", host=h))
    printer(TimelineEvent(t=0.5, event="degraded", check="es.df", host="leaf2"))
    printer.flush()
    for h in ["leaf3", "leaf4"]:  # few hosts: a line each, as on the 4-leaf lab
        printer(TimelineEvent(t=0.8, event="degraded", check="mac.esi_remote", host=h))
    printer(TimelineEvent(t=0.8, event="converged", detail="degraded state reached"))
    lines = out.getvalue().splitlines()
    assert lines == [
        "t= +0.500s  holds          lag.up on leaf1",
        "t= +0.500s  holds          evpn.received on leaf2 … leaf9 (8), leaf11 … leaf130 (120)",
        "t= +0.500s  holds          es.df on leaf2",
        "t= +0.800s  holds          mac.esi_remote on leaf3",
        "t= +0.800s  holds          mac.esi_remote on leaf4",
        "t= +0.800s  converged       degraded state reached",
    ]


def test_host_ranges_fold_numbered_runs_in_natural_order() -> None:
    assert host_ranges(["spine1", "leaf10", "leaf9", "leaf11", "leaf2", "ce1", "spine2"]) == \
        "ce1, leaf2, leaf9 … leaf11 (3), spine1, spine2"


def test_wait_for_state_times_out_with_failing_list() -> None:
    now = [0.0]
    out = wait_for_state(lambda: {("a", "h"): False}, t0=0.0, interval=0.5, timeout=1.2,
                         clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    assert not out.reached and out.failing == [("a", "h")] and out.converged_s is None


def test_parse_ping_summary() -> None:
    text = "--- 192.168.0.21 ping statistics ---\n5 packets transmitted, 3 received, 40% packet loss, time 4ms\n"
    assert parse_ping(text) == (5, 3)
    assert parse_ping("ping: connect: Network is unreachable") == (0, 0)


def test_an_unreachable_host_is_one_precheck_row(configured: Lab) -> None:
    """leaf3 unreachable: the run is refused before any shut, and leaf3 is named once with
    why (not once per check it could not read)."""
    configured.twin.set_unreachable("leaf3")
    try:
        r = configured.run(*_fo_args(), "--no-traffic", "--json")
    finally:
        configured.twin.set_unreachable("leaf3", False)
    assert r.returncode == 1, r.stderr[-2000:]
    doc = json.loads(r.stdout)
    assert doc["refused"] is True
    leaf3 = [f for f in doc["precheck_failures"] if f["host"] == "leaf3"]
    assert [f["check"] for f in leaf3] == ["connect"]
    assert leaf3[0]["detail"].startswith(f"leaf3: {UNREACHABLE}")
    assert doc["error"] == "fabric not healthy: 1 host(s) not read (1 unreachable); nothing was changed"
    assert doc["hosts"]["leaf3"]["error"].startswith(UNREACHABLE)
    assert doc["unreachable"]["leaf3"] == doc["hosts"]["leaf3"]["error"]
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]


def test_a_shut_that_never_reached_the_host_restores_nothing(configured: Lab) -> None:
    """leaf1 unreachable and --force: the shut never connected, so nothing was applied. No
    restore is attempted (no 'RESTORE FAILED ... may still be disabled') and no state file
    is left to block the next drill."""
    configured.twin.set_unreachable("leaf1")
    try:
        r = configured.run(*_fo_args(), "--no-traffic", "--force", "--json")
    finally:
        configured.twin.set_unreachable("leaf1", False)
    assert r.returncode == 1, r.stderr[-2000:]
    assert "RESTORE FAILED" not in r.stderr and "Traceback" not in r.stderr
    doc = json.loads(r.stdout)
    assert doc["ok"] is False and doc["error"].startswith("shut failed: ")
    assert "cannot connect" in doc["error"]
    assert not doc["restore"]["attempted"]
    assert not configured.fo_state.exists()
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]


def test_a_shut_the_users_role_refuses_restores_nothing_and_blocks_no_next_run(configured: Lab) -> None:
    """leaf1's user may only read (`twin fault read-only`): SR Linux refuses the shut's `set`
    itself, before any commit. Nothing was applied, so no restore goes out (it would be
    refused too, and said `RESTORE FAILED ... may still be admin-state disable` of a link
    never shut), no state file is left (the next run was refused until a `--restore` that
    the same user could not do), and the error names the privilege."""
    configured.twin.set_read_only("leaf1")
    try:
        r = configured.run(*_fo_args(), "--no-traffic", "--json")
        assert r.returncode == 1, r.stderr[-2000:]
        assert "RESTORE FAILED" not in r.stderr and "Traceback" not in r.stderr
        doc = json.loads(r.stdout)
        assert doc["error"].startswith("shut failed: leaf1: ethernet-1/1 admin-state disable not committed: "
                                       "not authorized: Error: No authorization to execute command: "
                                       "'set / interface ethernet-1/1 admin-state disable' (shutting a link "
                                       "needs write access"), doc["error"]
        assert doc["error"].endswith("nothing was changed)")
        assert not doc["restore"]["attempted"]
        assert not configured.fo_state.exists()
        assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]
        again = configured.run(*_fo_args(), "--no-traffic", "--json")  # not refused for a state file
        assert again.returncode == 1 and json.loads(again.stdout)["error"].startswith("shut failed: leaf1")
    finally:
        configured.twin.set_read_only("leaf1", False)


def test_configure_is_refused_while_a_failover_test_runs(configured: Lab) -> None:
    """configure next to a failover-test re-enabled the link the test had shut (the intent
    says enable): the test measured nothing true and its restore was a no-op."""
    configured.twin.set_slow("leaf3", 0.5)  # the fault window outlasts configure's start-up under load
    proc = configured.start(*_fo_args(), "--no-traffic")
    try:
        configured.wait_for(lambda: configured.leaf1_eth1() == [f"{LEAF1_ETH1} disable"])
        env = {**os.environ, "NORNIR_EVPN_FAILOVER_STATE": str(configured.fo_state)}
        done = subprocess.run([sys.executable, "-m", "nornir_evpn", "configure", "--inventory", str(configured.inventory),
                               "--twin", "--twin-state", str(configured.twin_state)],
                              cwd=configured.tmp, capture_output=True, text=True, timeout=60, env=env, check=False)
        assert done.returncode == 2, done.stderr[-2000:]
        assert f"a failover-test (pid {proc.pid}) is running on leaf1 ethernet-1/1" in done.stderr
        assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} disable"]  # untouched
        configured.twin.set_slow("leaf3", 0)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err[-2000:] + out[-2000:]


@pytest.mark.parametrize(("command", "code", "what"), [
    (["verify"], 1, "a failure"),
    (["configure", "--dry-run", "--exit-code"], 3, "a diff"),
], ids=["verify", "drift-check"])
def test_a_read_during_a_failover_test_says_the_test_was_running(configured: Lab, command, code, what) -> None:
    """A nightly verify that overlapped an on-call failover-test FAILed (the shut LAG, its ES,
    its routes) with nothing saying a test of this directory had the link down; a nightly
    drift check (`configure --dry-run --exit-code`, which holds nothing) reported the shut
    link as drift (`admin-state: disable -> enable`, exit 3) the same way."""
    configured.twin.set_slow("leaf3", 0.5)  # the fault window outlasts the read's start-up under load
    proc = configured.start(*_fo_args(), "--no-traffic")
    try:
        configured.wait_for(lambda: configured.leaf1_eth1() == [f"{LEAF1_ETH1} disable"])
        env = {**os.environ, "NORNIR_EVPN_FAILOVER_STATE": str(configured.fo_state)}
        done = subprocess.run([sys.executable, "-m", "nornir_evpn", *command, "--json", "--inventory",
                               str(configured.inventory), "--twin", "--twin-state", str(configured.twin_state),
                               "--hosts", "leaf1,leaf2"],
                              cwd=configured.tmp, capture_output=True, text=True, timeout=60, env=env, check=False)
        configured.twin.set_slow("leaf3", 0)
        out, err = proc.communicate(timeout=60)
    finally:
        configured.twin.set_slow("leaf3", 0)
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
    assert done.returncode == code, done.stderr[-2000:]
    notes = json.loads(done.stdout)["notes"]
    assert any(n.startswith(f"a failover-test (pid {proc.pid}) of leaf1 ethernet-1/1 was running during this run")
               and f"{what} may be the link it shuts" in n for n in notes), notes
    assert proc.returncode == 0, err[-2000:] + out[-2000:]


@pytest.mark.parametrize("second", ["failover-test", "configure", "rollback"])
def test_a_run_is_refused_while_a_configure_commits_to_its_hosts(configured: Lab, second: str) -> None:
    """configure checked for a failover-test once, at its start: a failover-test started a
    moment later shut leaf8's link, the configure's candidate there (opened after the shut)
    re-enabled it, and the test PASSed on a link someone else had restored. Two configures
    of one lab both said their change was committed (the last one's stood), and a rollback
    was told the running configure's checkpoint came from "a runbook's, another machine's".
    A committing configure now holds its hosts: each of these is refused, nothing sent."""
    env = {**os.environ, "NORNIR_EVPN_FAILOVER_STATE": str(configured.fo_state)}
    base = ["--inventory", str(configured.inventory), "--twin", "--twin-state", str(configured.twin_state)]

    def cli(*argv: str) -> list[str]:
        return [sys.executable, "-m", "nornir_evpn", *argv, *base]

    configured.twin.set_slow("leaf1", 0.2)  # configure is still typing leaf1's lines
    first = subprocess.Popen(cli("configure"), cwd=configured.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=env)
    try:
        configured.wait_for(lambda: any(configured.tmp.glob("commit-*.json")))
        argv = {"failover-test": [*_fo_args(), "--no-traffic", "--state-file", str(configured.fo_state)],
                "configure": ["configure", "--hosts", "leaf1"], "rollback": ["rollback"]}[second]
        done = subprocess.run(cli(*argv), cwd=configured.tmp, capture_output=True, text=True, timeout=60,
                              env=env, check=False)
        assert done.returncode == 2, done.stderr[-2000:]
        assert f"a configure (pid {first.pid}) is committing to leaf1" in done.stderr, done.stderr[-2000:]
        assert f"run {second} once it has ended" in done.stderr
        assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]  # the test shut nothing
        assert not configured.fo_state.exists()
        configured.twin.set_slow("leaf1", 0)
        out, err = first.communicate(timeout=60)
    finally:
        configured.twin.set_slow("leaf1", 0)
        if first.poll() is None:
            first.kill()
            first.communicate(timeout=30)
    assert first.returncode == 0, err[-2000:] + out[-2000:]
    assert not any(configured.tmp.glob("commit-*.json"))  # its claim gone with it


@pytest.mark.parametrize("when", ["precheck", "recovery"])
def test_an_interrupt_does_not_wait_behind_a_slow_host(configured: Lab, when: str) -> None:
    """SIGTERM while a poll waited on a slow leaf (2 s per command): the run sat out that
    poll (16 s), deaf to further signals. Its reads are cut short now: prompt exit, the
    link restored if it was shut, and the cut hosts not reported unreachable."""
    slow = "leaf3"
    if when == "precheck":
        configured.twin.set_slow(slow, 2.0)
    proc = configured.start(*_fo_args(), "--no-traffic", "--json")
    try:
        if when == "recovery":
            configured.wait_for(lambda: configured.leaf1_eth1() == [f"{LEAF1_ETH1} disable"])
            configured.wait_for(lambda: configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"])
            configured.twin.set_slow(slow, 2.0)
            time.sleep(1.0)  # inside a recovery poll of the slow leaf
        else:
            # the CLI is up (its handlers installed: a SIGTERM before them killed it, -15,
            # on a loaded machine) and reading the slow leaf; a fixed sleep was a race
            configured.wait_for(lambda: configured.twin.servers[slow].connections)
            time.sleep(0.3)
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - started
    finally:
        configured.twin.set_slow(slow, 0)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err[-2000:]
    assert took < 8, took
    doc = json.loads(out)
    assert doc.pop("started_at") <= doc.pop("finished_at") and len(doc.pop("run_id")) == 12
    if when == "precheck":
        # the target was known: named, as in a document that got to its report (0.16: null)
        assert doc.pop("target") == _target_of(configured)
        assert doc == {"command": "failover-test", "ok": False, "hosts": {}, "interrupted": "SIGTERM",
                       "notes": [], "error": "interrupted (SIGTERM) before the report"}
    else:
        assert doc["interrupted"] == "SIGTERM" and doc["unreachable"] == {}
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]
    assert not configured.fo_state.exists()


def _target_of(lab: Lab) -> dict[str, str]:
    return {"lab": "evpn-mh01", "inventory": str(lab.inventory.resolve()),
            "twin_state": str(lab.twin_state.resolve())}


def test_an_interrupted_verify_does_not_wait_behind_a_slow_host(configured: Lab) -> None:
    """Ctrl-C while verify read a slow leaf (2 s per command): the exit came once that
    leaf had answered everything (about a whole run later), deaf to a second Ctrl-C, so a
    CI cancel with a short grace period killed it before any report. verify only reads:
    its reads are cut short now."""
    configured.twin.set_slow("leaf3", 2.0)
    log = configured.tmp / "interrupted-verify.log"
    argv = [sys.executable, "-m", "nornir_evpn", "verify", "--inventory", str(configured.inventory), "--twin",
            "--twin-state", str(configured.twin_state), "--json", "--log-file", str(log)]
    proc = subprocess.Popen(argv, cwd=configured.tmp, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        configured.wait_for(lambda: configured.twin.servers["leaf3"].connections)  # past start-up
        time.sleep(0.3)  # inside leaf3's slow answers
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        took = time.monotonic() - started
    finally:
        configured.twin.set_slow("leaf3", 0)
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err[-2000:]
    assert took < 4, took
    doc = json.loads(out)
    assert doc.pop("started_at") <= doc.pop("finished_at") and len(doc.pop("run_id")) == 12
    assert doc.pop("target") == _target_of(configured)  # known before the interrupt (0.16: null)
    assert doc == {"command": "verify", "ok": False, "hosts": {}, "interrupted": "SIGINT",
                   "notes": [], "error": "interrupted (SIGINT) before the report"}
    assert "Traceback" not in err
    # the read the interrupt cut is said as such: the log said `leaf3: ... connection lost:
    # encountered EOF ...; typically means the device closed the connection` (an alert on a
    # healthy leaf in a log pipeline)
    text = log.read_text()
    assert "leaf3: verify (login, show commands): interrupted: not read" in text
    assert "connection lost" not in text
    assert " - end: verify exit 130 (interrupted) in " in text.splitlines()[-1]


def test_a_signal_right_after_the_claim_leaves_no_state_file(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGTERM just after the run wrote its claim (before the try that releases it): the
    claim of a dead run stayed behind, `--state-file` in phase pre-check."""
    from nornir_evpn.cli import Terminated
    from nornir_evpn.commands import failover as command

    claim = command.prepare_state_file

    def then_signalled(*args, **kwargs):  # type: ignore[no-untyped-def]
        claim(*args, **kwargs)
        raise Terminated("SIGTERM")  # what the handler raises at the next bytecode

    monkeypatch.setattr(command, "prepare_state_file", then_signalled)
    code = cli_main([*_fo_args(), "--no-traffic", "--json", "--inventory", str(lab.inventory), "--twin",
                     "--twin-state", str(lab.twin_state), "--state-file", str(lab.fo_state)])
    assert code == 130
    assert not lab.fo_state.exists()
