"""examples/runbook.py runs as a user would run it: its own process, pointed at a twin."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from nornir_evpn.twin.runtime import Twin

ROOT = Path(__file__).resolve().parent.parent
RUNBOOK = ROOT / "examples" / "runbook.py"
FAILOVER_RUNBOOK = ROOT / "examples" / "failover_runbook.py"
LAB = ROOT / "inventory" / "evpn-mh01.clab.yml"


def _run(*args: str, script: Path = RUNBOOK) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)


def test_runbook_configures_the_twin(tmp_path):
    with Twin(LAB) as twin:
        state = tmp_path / "twin.json"
        twin.state().write(state)
        before = twin.datastore("leaf1").running.copy()

        dry = _run("--topology", str(LAB), "--twin-state", str(state), "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert "leaf1: would change (36 lines)" in dry.stdout
        assert "leaf3: would change (1 line)" in dry.stdout
        assert twin.datastore("leaf1").running == before

        real = _run("--topology", str(LAB), "--twin-state", str(state))
        assert real.returncode == 0, real.stderr
        assert sorted(real.stdout.splitlines()) == [
            "leaf1: committed (36 lines)", "leaf2: committed (36 lines)",
            "leaf3: committed (1 line)", "spine1: unchanged",
        ]
        running = set(twin.datastore("leaf1").running.flat())
        assert "set / interface lag1 lag lacp admin-key 11" in running
        assert len(running - set(before.flat())) == 20


def test_failover_runbook_shuts_waits_restores_and_recovers(tmp_path):
    from nornir_evpn.twin import timing as tm
    from nornir_evpn.twin.fabric_lab import attach

    with Twin(LAB) as twin:
        attach(twin, tm.TimingProfile("runbook", lacp=0.1, bgp=0.1, es=0.3, evpn=0.6, mac=0.05))
        state = tmp_path / "twin.json"
        twin.state().write(state)
        assert _run("--topology", str(LAB), "--twin-state", str(state)).returncode == 0  # configure
        ces = twin.fabric.ces
        pairs = [(src, str(a.ip)) for src in ces for dst in ces if dst != src
                 for i in ces[dst].l3_interfaces() for a in i.addresses]
        deadline = time.monotonic() + 2.0  # LACP, ES and EVPN come up in under 1 s here
        while time.monotonic() < deadline:  # CE traffic: the leaves learn the MACs verify expects
            for src, ip in pairs:
                twin.fabric.probe(src, ip)
            time.sleep(0.2)
        done = _run("--topology", str(LAB), "--twin-state", str(state), "--timeout", "15",
                    script=FAILOVER_RUNBOOK)
        assert done.returncode == 0, done.stdout + done.stderr
        lines = done.stdout.splitlines()
        assert lines[0].startswith("degraded state: reached in ") and lines[1] == "restore: ok"
        assert lines[2].startswith("recovery: healthy in ")
        assert "set / interface ethernet-1/1 admin-state enable" in twin.datastore("leaf1").running.flat()

        # the example keeps the CLI's guards: a port that is no ES member is refused, and
        # one an operator shut is left as found (it "restored" both to enable)
        other = _run("--topology", str(LAB), "--twin-state", str(state), "--host", "leaf3",
                     "--interface", "e1-3", script=FAILOVER_RUNBOOK)
        assert other.returncode == 2 and "not a member of an ethernet segment" in other.stdout, other.stdout
        from scrapli import Scrapli

        from nornir_evpn import platform, session

        host, port = twin.state().endpoints["leaf1"]
        with Scrapli(host=host, port=port, auth_username=twin.username, auth_password=twin.password,
                     auth_strict_key=False, platform=platform.PLATFORM, transport=session.transport()) as conn:
            conn.send_commands([platform.ENTER_CANDIDATE_PRIVATE,
                                "set / interface ethernet-1/1 admin-state disable", platform.COMMIT_NOW])
        shut = "set / interface ethernet-1/1 admin-state disable"
        assert shut in twin.datastore("leaf1").running.flat()
        found = _run("--topology", str(LAB), "--twin-state", str(state), "--timeout", "3",
                     script=FAILOVER_RUNBOOK)
        # the pre-check sees the operator's shut (--force is the CLI's way past it); the port
        # stays shut either way
        assert found.returncode == 1, found.stdout
        assert shut in twin.datastore("leaf1").running.flat()



def test_change_with_rollback_reverts_what_it_committed_when_verify_fails(tmp_path):
    """examples/change_with_rollback.py: the checks fail (no CE traffic on a fresh twin, so
    the MAC checks cannot pass), so every host that committed is put back."""
    with Twin(LAB) as twin:
        state = tmp_path / "twin.json"
        twin.state().write(state)
        before = {n: twin.datastore(n).running.copy() for n in ("leaf1", "leaf2", "leaf3", "spine1")}
        done = _run("--topology", str(LAB), "--twin-state", str(state), "--checks", "mac.local,mac.esi_remote",
                    script=ROOT / "examples" / "change_with_rollback.py")
        assert done.returncode == 1, done.stderr
        lines = done.stdout.splitlines()
        assert lines[0].startswith("committed on leaf1, leaf2, leaf3 (checkpoint nornir-evpn-")
        assert lines[1].startswith("verify failed on ")
        assert lines[2:] == ["leaf1: reverted", "leaf2: reverted", "leaf3: reverted"]
        assert {n: twin.datastore(n).running for n in before} == before


def test_change_with_rollback_keeps_a_change_that_verifies(tmp_path):
    from nornir_evpn.twin.fabric_lab import attach
    from nornir_evpn.twin.timing import get_profile

    with Twin(LAB) as twin:
        attach(twin, get_profile("instant"))  # the fabric model: ESes come up with their config
        state = tmp_path / "twin.json"
        twin.state().write(state)
        done = _run("--topology", str(LAB), "--twin-state", str(state), "--checks", "es.esi",
                    script=ROOT / "examples" / "change_with_rollback.py")
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout.splitlines()[1] == "verify passed: the change stays"
        assert "set / interface lag1 lag lacp admin-key 11" in twin.datastore("leaf1").running.flat()
        assert twin.datastore("leaf1").checkpoints[0].name.startswith("nornir-evpn-")
