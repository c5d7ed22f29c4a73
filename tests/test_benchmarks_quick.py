"""The scale benchmark's quick mode runs end to end and writes well-formed results.

Checks shapes, types and plausibility (positive numbers, every host ok, one login per host),
never timings: CI machines are too noisy for that.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCALE = ROOT / "benchmarks" / "scale.py"

pytest.importorskip("psutil", reason="benchmarks need the [bench] extra")
pytest.importorskip("matplotlib", reason="benchmarks need the [bench] extra")

MEASURE_KEYS = {
    "rc": int, "wall_s": float, "tool_cpu_s": float, "tool_cpu_ms_per_host": float,
    "tool_maxrss_mb": float, "twin_cpu_s": float, "twin_rss_peak_mb": float,
    "logins_per_host_max": int, "shows_per_host_max": int, "ok": bool, "hosts": int,
}


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("bench")
    env = {k: v for k, v in os.environ.items() if k != "NORNIR_EVPN_TWIN_STATE"}
    proc = subprocess.run([sys.executable, str(SCALE), "--quick", "--out", str(out)],
                          capture_output=True, text=True, timeout=150, env=env, cwd=out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out, json.loads((out / "latest-fast.json").read_text())


def _check_measurement(entry: dict, hosts: int) -> None:
    for key, kind in MEASURE_KEYS.items():
        assert isinstance(entry[key], (int, float) if kind is float else kind), (key, entry[key])
    assert entry["rc"] == 0 and entry["ok"] is True and entry["hosts_failed"] == []
    for key in ("wall_s", "tool_cpu_s", "tool_maxrss_mb", "twin_rss_peak_mb"):
        assert entry[key] > 0, key
    assert entry["hosts"] >= hosts  # failover also lists CEs it probes
    assert entry["logins_per_host_min"] >= 1  # every SR Linux host was really contacted


@pytest.mark.timeout(180)
def test_quick_results_are_well_formed(results: tuple[Path, dict]) -> None:
    out, doc = results
    assert doc["profile"] == "fast" and doc["quick"] is True
    assert doc["machine"]["cpu_count"] >= 1 and doc["machine"]["python"].count(".") == 2
    assert doc["startup"]["cpu_s"] > 0
    assert [s["leaves"] for s in doc["sizes"]] == [4, 16]
    for size in doc["sizes"]:
        hosts = size["srl_hosts"]
        assert hosts == size["leaves"] + size["spines"] == size["leaves"] + 2
        assert size["serial"]["workers"] == 1 and size["parallel"]["workers"] == hosts
        for variant in ("serial", "parallel"):
            for cmd in ("configure", "verify", "failover"):
                _check_measurement(size[variant][cmd], hosts)
            configure, verify = size[variant]["configure"], size[variant]["verify"]
            failover = size[variant]["failover"]
            # one session per host per command, failover-test too (its restore reuses the shut's)
            assert configure["logins_per_host_max"] == 1 == verify["logins_per_host_max"]
            assert failover["logins_per_host_max"] == 1
            assert verify["shows_per_host_max"] >= 1
            assert 0 < configure["host_s_max"] <= configure["wall_s"]
        baseline = size["baseline"]
        _check_measurement(baseline, hosts)
        assert baseline["hosts"] == hosts and baseline["logins_per_host_max"] == 1
    t = doc["targets"]
    assert t["leaves"] == 16 and t["memory"]["tool_peak_mb"] > 0
    assert t["connections"]["once_per_command"] is True
    assert isinstance(t["configure_efficiency"]["ratio"], float)
    # the timestamped copy, the table and the plot are written next to the latest JSON
    assert len(list(out.glob("fast-*.json"))) == 1
    table = (out / "RESULTS.md").read_text()
    assert "| 16 | 18 | configure | 18 | yes |" in table and "baseline" in table
    assert (out / "scale.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_quick_mode_never_replaces_the_committed_results() -> None:
    sys.path.insert(0, str(SCALE.parent))
    try:
        import scale
    finally:
        sys.path.remove(str(SCALE.parent))
    assert scale.parse_args(["--quick"]).out == SCALE.parent / "results" / "quick"
    assert scale.parse_args([]).out == SCALE.parent / "results"
    assert scale.parse_args(["--quick", "--out", "x"]).out == Path("x")
