"""Where ssh2-python is not installed (macOS: no wheel for Intel, Python 3.10 or 3.13), the
same inventory (`transport: ssh2`, as `inventory` writes it) must work over paramiko."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from nornir_evpn import session
from nornir_evpn.inventory_plugin import _extras
from nornir_evpn.twin.runtime import Twin

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "inventory" / "evpn-mh01.clab.yml"


def test_ssh2_falls_back_to_paramiko_only_when_missing(monkeypatch) -> None:
    assert session.transport("paramiko") == "paramiko"
    monkeypatch.setattr(session, "ssh2_available", lambda: True)
    assert session.transport() == "ssh2"
    assert _extras({"platform": "nokia_srlinux", "extras": {"transport": "ssh2"}})["transport"] == "ssh2"
    monkeypatch.setattr(session, "ssh2_available", lambda: False)
    assert session.transport() == "paramiko"
    assert _extras({"platform": "nokia_srlinux", "extras": {"transport": "ssh2"}})["transport"] == "paramiko"
    assert _extras({"platform": "linux", "extras": {"transport": "ssh2"}}) == {"transport": "paramiko"}


def test_configure_and_verify_over_paramiko_when_ssh2_does_not_import(tmp_path: Path) -> None:
    blocker = tmp_path / "blocked" / "ssh2"
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text('raise ImportError("no ssh2-python wheel here")\n')
    env = {**os.environ, "PYTHONPATH": str(blocker.parent)}
    probe = subprocess.run([sys.executable, "-c", "from nornir_evpn import session; print(session.transport())"],
                           env=env, capture_output=True, text=True, check=True)
    assert probe.stdout.strip() == "paramiko"
    from nornir_evpn.twin.fabric_lab import attach
    from nornir_evpn.twin.timing import get_profile

    with Twin(LAB) as twin:
        attach(twin, get_profile("instant"))
        state = tmp_path / "twin.json"
        twin.state().write(state)
        common = ["--twin", "--twin-state", str(state), "--inventory", str(ROOT / "inventory"), "--json"]
        conf = subprocess.run([sys.executable, "-m", "nornir_evpn", "configure", *common],
                              env=env, capture_output=True, text=True, timeout=120)
        doc = json.loads(conf.stdout)
        assert conf.returncode == 0, conf.stderr
        assert doc["hosts"]["leaf1"]["changed"] and doc["hosts"]["leaf1"]["added"] == 36
        ver = subprocess.run([sys.executable, "-m", "nornir_evpn", "verify", *common, "--checks",
                              "lag.up,es.oper_up,es.esi,bgp.underlay_established"],
                             env=env, capture_output=True, text=True, timeout=120)
        assert ver.returncode == 0, ver.stdout + ver.stderr
        summary = json.loads(ver.stdout)["summary"]
        assert summary["checks_failed"] == 0 and summary["checks"] > 0
