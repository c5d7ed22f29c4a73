"""What the process it runs in does to the tool: cron's working directory, a container's
arbitrary uid without HOME, a terminal reporting 0 columns (a tester's findings)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from reliability.helpers import LAB, PYTHON, run_subprocess

NO_HOME = """
import pwd, sys
def no_entry(uid):
    raise KeyError(uid)
pwd.getpwuid = no_entry  # a uid without a passwd entry
from nornir_evpn.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_no_home_and_no_passwd_entry_still_runs(tmp_path: Path) -> None:
    """Nornir expands ~/.ssh/config at import: with HOME unset and no passwd entry every
    command, --version included, was `RuntimeError: Could not determine home directory`."""
    env = {k: v for k, v in os.environ.items() if k != "HOME"}
    for argv in (["--version"], ["inventory", "--topology", str(LAB), "--out", "inv"]):
        done = subprocess.run([PYTHON, "-c", NO_HOME, *argv], cwd=tmp_path, env=env, capture_output=True,
                              text=True, timeout=60)
        assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-1500:]
    assert (tmp_path / "inv" / "hosts.yaml").is_file()


def test_a_terminal_of_0_columns_still_gets_the_report_and_cron_is_told_which_inventory(tmp_path: Path) -> None:
    """COLUMNS=0 made rich print nothing at all (exit 0, empty output); a command started
    where there is no ./inventory (cron starts in $HOME) used the packaged lab's without a word."""
    state = tmp_path / "twin.json"
    env = {"NORNIR_EVPN_PASSWORD": "Env-1!", "NORNIR_EVPN_TWIN_TIMING": "instant"}
    assert run_subprocess("twin", "up", "--topology", str(LAB), "--state-file", str(state),
                          cwd=tmp_path, env=env).code == 0
    try:
        run = run_subprocess("verify", "--twin", "--twin-state", str(state), cwd=tmp_path,
                             env={**env, "COLUMNS": "0", "LINES": "0"})
        assert run.code == 1 and "checks passed on" in run.out and "leaf1" in run.out, run.err[-1500:]
        assert run.err.startswith("note: no ./inventory/hosts.yaml here: using the packaged evpn-mh01 inventory (")
        assert run.err.rstrip().endswith("pass --inventory for yours")
        mine = run_subprocess("verify", "--twin", "--twin-state", str(state), "--inventory", str(LAB.parent),
                              cwd=tmp_path, env=env)
        assert "note:" not in mine.err
    finally:
        run_subprocess("twin", "down", "--state-file", str(state), cwd=tmp_path, env=env)
