"""Twin scaling: N SR Linux nodes in one twin process; RSS and server CPU per SSH session.

Each session is what a config run does: connect, 5 `show`s, a 10-line private-candidate
commit, close (scrapli `nokia_srlinux`, ssh2 transport). The twin runs in its own process so
its CPU (from /proc) is not mixed with the client's.

    .venv/bin/python benchmarks/twin_sessions.py [--nodes 128] [--workers 4] [--fabric]

`--fabric` starts the twin the way users do (`twin up --foreground`, fabric model attached);
without it the bare twin (CLI engine + SSH only) is measured.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from scrapli import Scrapli
from scrapli.driver.network.base_driver import PrivilegeLevel
from scrapli_community.nokia.srlinux.nokia_srlinux import DEFAULT_PRIVILEGE_LEVELS

from nornir_evpn import platform
from nornir_evpn import session as sessions

PASSWORD = "Bench-1!"
PRIVS = {**DEFAULT_PRIVILEGE_LEVELS,
         "configuration": PrivilegeLevel(**platform.SCRAPLI_PRIVATE_CANDIDATE_PRIV)}
TICK = os.sysconf("SC_CLK_TCK")
BARE_TWIN = """
import asyncio, json, signal, sys
from nornir_evpn.twin.runtime import Twin
async def main():
    twin = Twin(sys.argv[1])
    await twin.start()
    twin.state().write(__import__("pathlib").Path(sys.argv[2]))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await twin.stop()
asyncio.run(main())
"""


def topology(n: int, directory: Path) -> Path:
    lines = ["name: bench", "topology:", "  nodes:"]
    lines += [f"    n{i}:\n      kind: srl" for i in range(1, n + 1)]
    lines += ["  links:"]
    lines += [f'    - endpoints: ["n{i}:e1-1", "n{i % n + 1}:e1-2"]' for i in range(1, n + 1)]
    path = directory / "bench.clab.yml"
    path.write_text("\n".join(lines) + "\n")
    return path


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def session(host: str, port: int, node: str) -> None:
    conn = Scrapli(host=host, port=port, auth_username="admin", auth_password=PASSWORD,
                   auth_strict_key=False, platform=platform.PLATFORM, transport=sessions.transport(),
                   privilege_levels=PRIVS, timeout_ops=30)
    conn.open()
    for cmd in (platform.SHOW_VERSION, platform.INFO_FLAT, platform.SHOW_VERSION,
                "info /interface", platform.SHOW_VERSION):
        conn.send_command(cmd)
    lines = [f"set / interface ethernet-1/{i} admin-state enable" for i in range(1, 10)]
    r = conn.send_configs([*lines, platform.COMMIT_NOW], privilege_level="configuration",
                          failed_when_contains=platform.FAILED_WHEN_CONTAINS)
    if r.failed:
        raise RuntimeError(f"{node}: commit failed: {r.result}")
    conn.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nodes", type=int, default=128)
    ap.add_argument("--workers", type=int, default=4, help="concurrent client sessions")
    ap.add_argument("--fabric", action="store_true", help="attach the fabric model (twin up)")
    args = ap.parse_args()
    env = {**os.environ, platform.DEFAULT_PASSWORD_ENV: PASSWORD}
    with tempfile.TemporaryDirectory() as tmp:
        topo, state = topology(args.nodes, Path(tmp)), Path(tmp) / "twin.json"
        if args.fabric:
            cmd = [sys.executable, "-m", "nornir_evpn", "twin", "up", "--foreground",
                   "--topology", str(topo), "--state-file", str(state)]
        else:
            cmd = [sys.executable, "-c", BARE_TWIN, str(topo), str(state)]
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env)
        try:
            while not state.exists():
                if proc.poll() is not None:
                    raise SystemExit("twin exited early")
                time.sleep(0.02)
            startup = time.perf_counter() - t0
            nodes = {n: (v["host"], v["port"]) for n, v in json.loads(state.read_text())["nodes"].items()}
            idle_rss, cpu0 = rss_mb(proc.pid), cpu_s(proc.pid)
            t1 = time.perf_counter()
            with ThreadPoolExecutor(args.workers) as pool:
                list(pool.map(lambda kv: session(*kv[1], kv[0]), nodes.items()))
            wall = time.perf_counter() - t1
            cpu = cpu_s(proc.pid) - cpu0
            busy_rss = rss_mb(proc.pid)
        finally:
            proc.terminate()
            proc.wait(10)
    n = len(nodes)
    result = {
        "nodes": n, "workers": args.workers, "fabric": args.fabric,
        "startup_s": round(startup, 2), "rss_idle_mb": round(idle_rss, 1),
        "rss_after_mb": round(busy_rss, 1), "rss_per_node_kb": round(idle_rss * 1024 / n, 1),
        "sessions": n, "wall_s": round(wall, 2), "sessions_per_s": round(n / wall, 1),
        "server_cpu_s": round(cpu, 2), "server_cpu_ms_per_session": round(cpu * 1000 / n, 1),
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
