"""examples/runbook.py runs as a user would run it: its own process, pointed at a twin."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nornir_evpn.twin.runtime import Twin

ROOT = Path(__file__).resolve().parent.parent
RUNBOOK = ROOT / "examples" / "runbook.py"
LAB = ROOT / "inventory" / "evpn-mh01.clab.yml"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(RUNBOOK), *args], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)


def test_runbook_configures_the_twin(tmp_path):
    with Twin(LAB) as twin:
        state = tmp_path / "twin.json"
        twin.state().write(state)
        before = twin.datastore("leaf1").running.copy()

        dry = _run("--topology", str(LAB), "--twin-state", str(state), "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert "leaf1: would change (20 lines)" in dry.stdout
        assert "leaf3: unchanged" in dry.stdout
        assert twin.datastore("leaf1").running == before

        real = _run("--topology", str(LAB), "--twin-state", str(state))
        assert real.returncode == 0, real.stderr
        assert sorted(real.stdout.splitlines()) == [
            "leaf1: committed (20 lines)", "leaf2: committed (20 lines)",
            "leaf3: unchanged", "spine1: unchanged",
        ]
        running = set(twin.datastore("leaf1").running.flat())
        assert "set / interface lag1 lag lacp admin-key 11" in running
        assert len(running - set(before.flat())) == 20
