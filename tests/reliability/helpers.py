"""Helpers for the reliability matrix: run the CLI, watch the twin, prove nothing leaked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from nornir_evpn.cli import main
from nornir_evpn.twin.cli_engine import CliSession
from nornir_evpn.twin.runtime import Twin

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = ROOT / "inventory"
LAB = INVENTORY / "evpn-mh01.clab.yml"
PYTHON = sys.executable
SRL_NODES = ("leaf1", "leaf2", "leaf3", "spine1")


@dataclass
class CliRun:
    code: int
    out: str
    err: str

    @property
    def doc(self) -> dict:
        return json.loads(self.out)


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> CliRun:
    """`nornir-evpn argv` in this process (argparse exits become codes too)."""
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capsys.readouterr()
    return CliRun(code, captured.out, captured.err)


def run_subprocess(*argv: str, cwd: Path, env: dict[str, str] | None = None,
                   timeout: float = 60) -> CliRun:
    done = subprocess.run([PYTHON, "-m", "nornir_evpn", *argv], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env={**os.environ, **(env or {})})
    return CliRun(done.returncode, done.stdout, done.stderr)


def assert_usage_error(run: CliRun, message: str) -> None:
    """Exit 2, exactly one stderr line containing `message`, no traceback, nothing on stdout."""
    lines = run.err.strip().splitlines()
    assert run.code == 2, run.err
    assert len(lines) == 1, run.err
    assert message in lines[0], lines[0]
    assert "Traceback" not in run.err and not run.out.strip()


@dataclass
class Watch:
    """A running in-process twin plus what touched it: logins per node, CLI sessions."""

    twin: Twin
    state: Path
    logins: dict[str, int] = field(default_factory=dict)
    sessions: list[CliSession] = field(default_factory=list)

    def running(self) -> dict[str, frozenset[str]]:
        return {n: frozenset(self.twin.datastore(n).running.flat()) for n in SRL_NODES}

    def assert_clean(self) -> None:
        """No open candidate anywhere: private, shared, exclusive lock, pending confirm."""
        for node in SRL_NODES:
            ds = self.twin.datastore(node)
            assert ds.shared is None, f"{node}: shared candidate left open"
            assert ds.exclusive_owner is None, f"{node}: exclusive lock held"
            assert ds.pending is None, f"{node}: commit confirmed still pending"
        open_private = [s.ds.name for s in self.sessions if not s.closed and s.kind is not None]
        assert not open_private, f"candidates still open on {open_private}"




# A twin in its own process (libssh2 holds the GIL while it waits: an in-process twin would
# stall), with faults from argv[3] (JSON). On SIGTERM it writes what the datastores hold and
# which candidates are still open to argv[4], then exits.
TWIN_PROCESS = r"""
import json, signal, sys, threading
from pathlib import Path
from nornir_evpn.twin.cli_engine import CliSession
from nornir_evpn.twin.runtime import Twin
sessions = []
init = CliSession.__init__
def tracking(self, *a, **k):
    init(self, *a, **k)
    sessions.append(self)
CliSession.__init__ = tracking
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
faults = json.loads(sys.argv[3])
with Twin(sys.argv[1]) as twin:
    for node, seconds in faults.get("slow", {}).items():
        twin.set_slow(node, seconds)
    for node, pw in faults.get("password", {}).items():
        twin.set_password(node, pw)
    twin.state().write(Path(sys.argv[2]))
    stop.wait()
    open_candidates = sorted(s.ds.name for s in sessions if not s.closed and s.kind is not None)
    report = {
        "running": {n: sorted(ds.running.flat()) for n, ds in twin.datastores.items()},
        "open": open_candidates + sorted(
            n for n, ds in twin.datastores.items()
            if ds.shared is not None or ds.exclusive_owner is not None or ds.pending is not None),
    }
    Path(sys.argv[4]).write_text(json.dumps(report))
"""


class TwinProcess:
    """`with TwinProcess(tmp, faults) as tp:` then `tp.state`; `tp.report` after exit."""

    def __init__(self, tmp: Path, faults: dict | None = None, env: dict | None = None) -> None:
        self.state, self.report_file = tmp / "twin-proc.json", tmp / "twin-report.json"
        self.faults, self.env = faults or {}, env
        self.report: dict = {}

    def __enter__(self) -> TwinProcess:
        import time

        self.proc = subprocess.Popen(
            [PYTHON, "-c", TWIN_PROCESS, str(LAB), str(self.state), json.dumps(self.faults),
             str(self.report_file)], env={**os.environ, **(self.env or {})})
        deadline = time.monotonic() + 30
        while not self.state.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert self.state.exists(), "twin process did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)
        if self.report_file.exists():
            self.report = json.loads(self.report_file.read_text())


def short_timeout_inventory(tmp_path: Path, timeout_transport: float = 3) -> Path:
    """The shipped inventory with a short read timeout (`timeout_transport`, 3 s): a silent
    device, or a prompt the tool does not read, fails its host within the test."""
    import yaml

    inv = tmp_path / "inv"
    inv.mkdir()
    for f in ("hosts.yaml", "defaults.yaml"):
        (inv / f).write_text((INVENTORY / f).read_text())
    groups = yaml.safe_load((INVENTORY / "groups.yaml").read_text())
    groups["srl"]["connection_options"]["scrapli"]["extras"].update(timeout_transport=timeout_transport)
    (inv / "groups.yaml").write_text(yaml.safe_dump(groups))
    return inv
