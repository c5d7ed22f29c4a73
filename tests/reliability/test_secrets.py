"""The password never leaves the process: not on stdout/stderr, not in --json/--junit, not in
-v logs (nornir.log in the cwd), not in any file the commands write."""

from __future__ import annotations

import base64
import uuid
from pathlib import Path

from reliability.helpers import LAB, CliRun, run_subprocess


def test_unique_password_appears_nowhere(tmp_path: Path):
    secret, wrong = f"Pw-{uuid.uuid4().hex}", f"Wrong-{uuid.uuid4().hex}"
    env = {"NORNIR_EVPN_PASSWORD": secret, "NORNIR_EVPN_TWIN_TIMING": "instant"}
    cwd = tmp_path / "work"
    cwd.mkdir()
    state = cwd / "state" / "twin.json"
    twin = ["--twin", "--twin-state", str(state), "--inventory", "inv"]
    runs: list[tuple[str, CliRun]] = []

    def cli(*argv: str, expect: tuple[int, ...] = (0,), env_: dict | None = None) -> CliRun:
        run = run_subprocess(*argv, cwd=cwd, env=env_ or env, timeout=120)
        runs.append((" ".join(argv), run))
        assert run.code in expect, (argv, run.err[-2000:])
        return run

    cli("inventory", "--topology", str(LAB), "--out", "inv")
    cli("twin", "up", "--topology", str(LAB), "--state-file", str(state))
    try:
        cli("twin", "status", "--state-file", str(state))
        cli("configure", *twin, "--dry-run", "-vv", "--json", "--junit", "dry.xml")
        cli("configure", *twin, "-v", "--junit", "configure.xml")
        cli("configure", *twin, "--json", "-vv", "--hosts", "leaf1")
        cli("verify", *twin, "-vv", "--json", "--junit", "verify.xml", expect=(0, 1))
        cli("verify", *twin, "-v", expect=(0, 1))
        cli("failover-test", *twin, "-vv", "--json", "--junit", "failover.xml", "--timeout", "20",
            "--interval", "0.2", expect=(0, 1))
        # a failing login is where a password most likely leaks into an error message
        failed = cli("verify", *twin, "--json", "-vv", "--hosts", "leaf3", expect=(1,),
                     env_={**env, "NORNIR_EVPN_PASSWORD": wrong})
        assert failed.doc["hosts"]["leaf3"]["error"].startswith("authentication failed")
    finally:
        cli("twin", "down", "--state-file", str(state), expect=(0, 1, 2))

    # every command really ran and produced output (the grep is not vacuous)
    assert any("leaf1" in r.out for _, r in runs)
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    names = {p.name for p in written}
    assert {"hosts.yaml", "dry.xml", "configure.xml", "verify.xml", "failover.xml"} <= names
    assert "nornir.log" in names and (cwd / "nornir.log").stat().st_size > 0

    forms = {f for pw in (secret, wrong)
             for f in (pw, base64.b64encode(pw.encode()).decode(), pw.encode().hex())}
    for argv, run in runs:
        for form in forms:
            assert form not in run.out, f"password on stdout of `{argv}`"
            assert form not in run.err, f"password on stderr of `{argv}`"
    for path in written:
        data = path.read_bytes()
        for form in forms:
            assert form.encode() not in data, f"password in {path.relative_to(tmp_path)}"
