"""Scale benchmark: configure / verify / failover-test on generated fabrics of 4..128 leaves.

For every size: generate a topology (2 spines, L leaves, L/4 multi-homing pairs), write its
inventory, and per worker setting (`--workers 1`, then the default one-per-host) start a
fresh digital twin in its own process (`twin_runner.py`, empty configs), then run the real
commands as subprocesses with `--twin --json`:

    configure (all features, from empty) -> CE warm-up pings (untimed) -> verify -> failover-test

Each command is measured from outside: wall time, tool CPU and peak RSS (`os.wait4` rusage
of the child), twin CPU and sampled peak RSS (psutil), per-host seconds from the --json
output, and SSH logins / CLI lines per host counted inside the twin. A plain sequential
scrapli loop (`baseline.py`) pushes the same configuration on a fresh twin for comparison.

    python benchmarks/scale.py --leaves 4,16,64,128 --latency-profile realistic
    python benchmarks/scale.py --quick            # 4 and 16 leaves, fast profile (CI)

Writes results/<profile>-<timestamp>.json, results/latest-<profile>.json, results/RESULTS.md
and results/scale.png (see report.py); --quick writes to results/quick/ (not committed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform as pyplatform
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # sibling modules when run as a script

import report  # noqa: E402
from twin_runner import counters_path  # noqa: E402

PY = sys.executable
SPINES = 2
# twin command latency profile -> fabric convergence profile (timing.py) it runs with
FABRIC_TIMING = {"fast": "instant", "realistic": "realistic"}
TWIN_START_TIMEOUT_S = 120.0
SAMPLE_INTERVAL_S = 0.05
BENCH_PASSWORD = "Bench-1!"


# ----------------------------------------------------------------------------- measurement
class TwinProcess:
    """The instrumented twin in its own process; counters and RSS/CPU read from outside."""

    def __init__(self, topology: Path, workdir: Path, profile: str, env: dict[str, str]) -> None:
        self.state = workdir / "twin.json"
        self.counters_file = counters_path(self.state)
        env = {**env, "NORNIR_EVPN_TWIN_TIMING": FABRIC_TIMING[profile]}
        t0 = time.perf_counter()
        self.log = open(workdir / "twin.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [PY, str(HERE / "twin_runner.py"), str(topology), str(self.state), profile],
            env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )
        while not self.state.exists():
            if self.proc.poll() is not None or time.perf_counter() - t0 > TWIN_START_TIMEOUT_S:
                self.stop()
                raise RuntimeError(f"twin did not start; see {workdir / 'twin.log'}")
            time.sleep(0.02)
        self.startup_s = time.perf_counter() - t0
        self.ps = psutil.Process(self.proc.pid)
        self.idle_rss_mb = self.rss_mb()

    def rss_mb(self) -> float:
        return self.ps.memory_info().rss / 2**20

    def cpu_s(self) -> float:
        t = self.ps.cpu_times()
        return t.user + t.system

    def counters(self) -> dict[str, Any]:
        """Ask the twin for a fresh snapshot (SIGUSR1) and wait until it is written."""
        before = self._read().get("seq", 0)
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            doc = self._read()
            if doc.get("seq", 0) > before:
                return doc
            time.sleep(0.01)
        raise RuntimeError("twin did not write its counters")

    def _read(self) -> dict[str, Any]:
        try:
            return json.loads(self.counters_file.read_text())
        except (OSError, ValueError):
            return {}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class PeakSampler:
    """Peak RSS of a process, sampled on a thread while a command runs."""

    def __init__(self, ps: psutil.Process) -> None:
        self.ps, self.peak = ps, ps.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_INTERVAL_S):
            self.peak = max(self.peak, self.ps.memory_info().rss)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.ps.memory_info().rss)


def run_child(argv: list[str], cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    """Run a command, return wall time, its own CPU and peak RSS (wait4), rc, stdout."""
    out_path = cwd / "stdout.json"
    with open(out_path, "wb") as out, open(cwd / "stderr.log", "ab") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {
        "rc": proc.returncode, "wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime,
        "cpu_user_s": ru.ru_utime, "cpu_sys_s": ru.ru_stime,
        "maxrss_mb": ru.ru_maxrss / (2**20 if sys.platform == "darwin" else 1024),  # macOS: bytes, Linux: KiB
        "stdout": out_path.read_text(errors="replace"),
    }


def _diff_counters(before: dict[str, Any], after: dict[str, Any], hosts: list[str]) -> dict[str, Any]:
    """Logins and CLI lines per SR Linux host between two snapshots."""
    logins, shows, lines = [], [], []
    for h in hosts:
        logins.append(after["logins"].get(h, 0) - before.get("logins", {}).get(h, 0))
        a, b = after["commands"].get(h, {}), before.get("commands", {}).get(h, {})
        kinds = set(a) | set(b)
        delta = {k: a.get(k, 0) - b.get(k, 0) for k in kinds}
        shows.append(delta.get("show", 0) + delta.get("info", 0))
        lines.append(sum(delta.values()))
    return {
        "logins_per_host_max": max(logins), "logins_per_host_min": min(logins),
        "logins_total": sum(logins),
        "shows_per_host_max": max(shows), "shows_per_host_mean": round(statistics.mean(shows), 2),
        "cli_lines_total": sum(lines),
    }


def measure(argv: list[str], cwd: Path, env: dict[str, str], twin: TwinProcess,
            hosts: list[str]) -> dict[str, Any]:
    """One timed command against the twin: tool + twin resources, JSON summary, counters."""
    before, cpu0 = twin.counters(), twin.cpu_s()
    with PeakSampler(twin.ps) as sampler:
        child = run_child(argv, cwd, env)
    after = twin.counters()
    entry: dict[str, Any] = {
        "rc": child["rc"], "wall_s": round(child["wall_s"], 3),
        "tool_cpu_s": round(child["cpu_s"], 3), "tool_cpu_user_s": round(child["cpu_user_s"], 3),
        "tool_cpu_sys_s": round(child["cpu_sys_s"], 3),
        "tool_cpu_ms_per_host": round(child["cpu_s"] * 1000 / len(hosts), 2),
        "tool_maxrss_mb": round(child["maxrss_mb"], 1),
        "twin_cpu_s": round(twin.cpu_s() - cpu0, 3), "twin_rss_peak_mb": round(sampler.peak / 2**20, 1),
        **_diff_counters(before, after, hosts),
    }
    try:
        doc = json.loads(child["stdout"])
    except ValueError:
        entry.update(ok=False, error="no JSON on stdout")
        return entry
    host_docs = doc.get("hosts") or {}
    secs = [float(e["seconds"]) for e in host_docs.values() if isinstance(e.get("seconds"), (int, float))]
    entry.update(
        ok=bool(doc.get("ok")), hosts=len(host_docs),
        hosts_failed=sorted(h for h, e in host_docs.items() if not e.get("ok")),
    )
    if secs:
        entry.update(host_s_max=round(max(secs), 3), host_s_mean=round(statistics.mean(secs), 3),
                     host_s_sum=round(sum(secs), 3))
    for key in ("convergence_s", "recovery_s"):
        if key in doc:
            entry[key] = doc[key]
    if "summary" in doc:
        entry["summary"] = doc["summary"]
    return entry


# ----------------------------------------------------------------------------- fabric steps
def warm_up(inventory: Path, twin: TwinProcess) -> float:
    """Untimed CE pings so every leaf learns its CEs' MACs (verify expects them)."""
    from nornir_evpn.inventory import fabric_from_docs, load_inventory_docs, password
    from nornir_evpn.traffic import ssh_ping_runner
    from nornir_evpn.twin.keys import twin_known_hosts
    from nornir_evpn.twin.runtime import read_twin_state

    t0 = time.perf_counter()
    fabric = fabric_from_docs(load_inventory_docs(inventory), source=str(inventory))
    state = read_twin_state(twin.state)
    ces = sorted(fabric.ces)
    if len(ces) < 2:
        return 0.0
    ips = {c: fabric.ces[c].ips[0].split("/")[0] for c in ces}

    def ping(ce: str) -> None:
        host, port = state.endpoints[ce]
        run, close = ssh_ping_runner(host, port, state.username, password(),
                                     known_hosts=twin_known_hosts(twin.state, scrapli=True))
        try:
            run(ips[ces[1]] if ce == ces[0] else ips[ces[0]], 2, 0.05)
        finally:
            close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(ping, ces))
    return time.perf_counter() - t0


def srl_hosts(inventory: Path) -> list[str]:
    from nornir_evpn.inventory import load_inventory_docs

    docs = load_inventory_docs(inventory)
    return sorted(h for h, d in docs["hosts"].items() if "srl" in (d.get("groups") or []))


def tool(cmd: str, *extra: str) -> list[str]:
    return [PY, "-m", "nornir_evpn", cmd, *extra]


def run_variant(size_dir: Path, topo: Path, inv: Path, hosts: list[str], profile: str,
                workers: int | None, env: dict[str, str], failover: bool) -> dict[str, Any]:
    """Fresh twin; configure, warm-up, verify, failover-test with one worker setting."""
    name = "serial" if workers == 1 else "parallel"
    work = size_dir / name
    work.mkdir()
    twin = TwinProcess(topo, work, profile, env)
    timing = _fabric_longest(profile)
    common = ["--twin", "--twin-state", str(twin.state), "--inventory", str(inv), "--json"]
    if workers is not None:
        common += ["--workers", str(workers)]
    out: dict[str, Any] = {"workers": workers or len(hosts), "twin_startup_s": round(twin.startup_s, 2),
                           "twin_idle_rss_mb": round(twin.idle_rss_mb, 1)}
    try:
        out["configure"] = measure(tool("configure", *common), work, env, twin, hosts)
        time.sleep(timing)  # BGP/LAG come up after the commit (fabric timing profile)
        out["warm_up_s"] = round(warm_up(inv, twin), 2)
        time.sleep(timing)  # learnt MACs reach the remote leaves
        out["verify"] = measure(tool("verify", *common), work, env, twin, hosts)
        if failover:
            fo = ["--state-file", str(work / "failover-state.json"), "--interval", "0.2", "--timeout", "120"]
            out["failover"] = measure(tool("failover-test", *fo, *common), work, env, twin, hosts)
        else:
            out["failover"] = {"skipped": "serial failover-test polls every host each round; "
                                          "run only up to --serial-failover-max leaves"}
        out["twin_rss_end_mb"] = round(twin.rss_mb(), 1)
    finally:
        twin.stop()
    return out


def run_baseline(size_dir: Path, topo: Path, inv: Path, hosts: list[str], profile: str,
                 env: dict[str, str]) -> dict[str, Any]:
    work = size_dir / "baseline"
    work.mkdir()
    twin = TwinProcess(topo, work, profile, env)
    try:
        argv = [PY, str(HERE / "baseline.py"), "--inventory", str(inv), "--twin-state", str(twin.state)]
        return measure(argv, work, env, twin, hosts)
    finally:
        twin.stop()


def _fabric_longest(profile: str) -> float:
    from nornir_evpn.twin.timing import get_profile

    return get_profile(FABRIC_TIMING[profile]).longest + 0.2


def run_size(leaves: int, root: Path, profile: str, env: dict[str, str],
             serial_failover_max: int, overlay: str = "full-mesh") -> dict[str, Any]:
    size_dir = root / f"l{leaves}"
    size_dir.mkdir()
    pairs = max(1, leaves // 4)
    topo, inv = size_dir / "topo.clab.yml", size_dir / "inventory"
    subprocess.run(tool("topology", "generate", "--spines", str(SPINES), "--leaves", str(leaves),
                        "--mh-pairs", str(pairs), "--out", str(topo)),
                   check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(tool("inventory", "--topology", str(topo), "--out", str(inv), "--overlay", overlay),
                   check=True, env=env, stdout=subprocess.DEVNULL)
    hosts = srl_hosts(inv)
    result: dict[str, Any] = {"leaves": leaves, "spines": SPINES, "mh_pairs": pairs, "srl_hosts": len(hosts)}
    log(f"[{profile}] {leaves} leaves ({len(hosts)} SR Linux hosts): serial")
    result["serial"] = run_variant(size_dir, topo, inv, hosts, profile, 1, env,
                                   failover=leaves <= serial_failover_max)
    log(f"[{profile}] {leaves} leaves: parallel")
    result["parallel"] = run_variant(size_dir, topo, inv, hosts, profile, None, env, failover=True)
    log(f"[{profile}] {leaves} leaves: baseline")
    result["baseline"] = run_baseline(size_dir, topo, inv, hosts, profile, env)
    return result


def compile_project() -> None:
    """Byte-compile the tool's own packages, as `pip install` does for an installed package.
    An editable install leaves them as source, and the runs below keep Python from writing
    bytecode (nothing changes in the tree mid-benchmark): every command would compile them
    again, ~80 ms of tool CPU that a user's second run never pays."""
    import compileall
    import importlib.util

    for package in ("nornir_evpn", "tasks", "templates"):
        spec = importlib.util.find_spec(package)
        for location in (spec.submodule_search_locations or []) if spec else []:
            compileall.compile_dir(location, quiet=1)


def startup_cost(env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """The CLI's fixed cost: interpreter + imports of every command (`--help`)."""
    child = run_child(tool("--help"), cwd, env)
    return {"wall_s": round(child["wall_s"], 3), "cpu_s": round(child["cpu_s"], 3),
            "maxrss_mb": round(child["maxrss_mb"], 1)}


def machine() -> dict[str, Any]:
    return {"uname": " ".join(os.uname()), "cpu_count": os.cpu_count(),
            "python": pyplatform.python_version(), "load_avg_start": [round(x, 2) for x in os.getloadavg()]}


def log(msg: str) -> None:
    sys.stderr.write(f"{time.strftime('%H:%M:%S')} {msg}\n")
    sys.stderr.flush()


# ----------------------------------------------------------------------------- main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--leaves", default="4,16,64,128", help="comma-separated fabric sizes")
    ap.add_argument("--latency-profile", choices=sorted(FABRIC_TIMING), default="fast")
    ap.add_argument("--quick", action="store_true", help="4 and 16 leaves, fast profile (CI)")
    ap.add_argument("--overlay", choices=["full-mesh", "route-reflector"], default="full-mesh",
                    help="iBGP overlay of the generated inventories (results labelled <profile>-rr)")
    ap.add_argument("--serial-failover-max", type=int, default=16,
                    help="largest fabric on which failover-test also runs with --workers 1")
    ap.add_argument("--out", type=Path, default=None,
                    help="results directory (default results/, with --quick results/quick/: a "
                         "smoke run never replaces the committed measurements)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, outputs)")
    args = ap.parse_args(argv)
    if args.quick:
        args.leaves, args.latency_profile = "4,16", "fast"
    if args.out is None:
        args.out = HERE / "results" / "quick" if args.quick else HERE / "results"
    args.sizes = [int(x) for x in args.leaves.split(",") if x.strip()]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # the warm-up pings run in this process: it needs the twin's password too
    os.environ["NORNIR_EVPN_PASSWORD"] = BENCH_PASSWORD
    compile_project()
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("NORNIR_EVPN_TWIN_STATE", None)
    args.out.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix="nornir-evpn-bench-"))
    started = dt.datetime.now(dt.timezone.utc)
    doc: dict[str, Any] = {
        "benchmark": "scale", "profile": args.latency_profile, "quick": args.quick,
        "overlay": args.overlay,
        "timestamp": started.strftime("%Y-%m-%dT%H:%M:%SZ"), "machine": machine(),
        "twin_fabric_timing": FABRIC_TIMING[args.latency_profile],
        "startup": startup_cost(env, root), "sizes": [],
    }
    try:
        for leaves in args.sizes:
            doc["sizes"].append(run_size(leaves, root, args.latency_profile, env,
                                         args.serial_failover_max, args.overlay))
    finally:
        if not args.keep:
            import shutil

            shutil.rmtree(root, ignore_errors=True)
        else:
            log(f"work directory kept: {root}")
    doc["duration_s"] = round((dt.datetime.now(dt.timezone.utc) - started).total_seconds(), 1)
    doc["targets"] = report.targets(doc)
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    label = args.latency_profile + ("-rr" if args.overlay == "route-reflector" else "")
    for name in (f"{label}-{stamp}.json", f"latest-{label}.json"):
        (args.out / name).write_text(json.dumps(doc, indent=2) + "\n")
    report.write_all(args.out)
    log(f"results in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
