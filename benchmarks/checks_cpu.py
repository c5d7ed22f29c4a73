"""CPU of verify's checks alone, single thread, on outputs a real run collected.

The end-to-end benchmark (scale.py) cannot resolve a change of a few per cent of a run's CPU
on a shared 2-core VM; this one times the checks' part without SSH, threads or the twin:

    python -m nornir_evpn topology generate --spines 2 --leaves 128 --mh-pairs 32 --out t.clab.yml
    python -m nornir_evpn inventory --topology t.clab.yml --overlay route-reflector
    python -m nornir_evpn twin up --topology t.clab.yml
    python -m nornir_evpn configure --twin && python -m nornir_evpn twin traffic
    python -m nornir_evpn verify --twin --outputs outs
    python benchmarks/checks_cpu.py --inventory inventory --outputs outs

`verify`: every host's checks evaluated once on its outputs (what a verify does after its
reads). `failover polls`: four polls of every host with failover-test's memo kept from one
to the next, two expecting leaf1's ethernet-1/1 down and two healthy, on the same (healthy)
outputs: a worst case, where the fault's expectations never match. Best of 7, CPU time.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from nornir_evpn.checks import resolve_checks
from nornir_evpn.checks.catalog import commands_for, evaluate_host
from nornir_evpn.checks.model import Observations, shared_view
from nornir_evpn.commands.common import fabric_from_docs, load_inventory_docs
from nornir_evpn.commands.verify import output_file_name


def best_cpu(run: Callable[[], object], times: int = 7) -> float:
    best = float("inf")
    for _ in range(times):
        started = time.process_time()
        run()
        best = min(best, time.process_time() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inventory", type=Path, default=Path("inventory"))
    parser.add_argument("--outputs", type=Path, required=True, help="a `verify --outputs` directory")
    parser.add_argument("--fault", default="leaf1:ethernet-1/1", help="HOST:INTERFACE the polls expect down")
    args = parser.parse_args()
    fabric = fabric_from_docs(load_inventory_docs(args.inventory), source=str(args.inventory))
    outputs = {
        host.name: {c: (host / output_file_name(c)).read_text() for c in commands_for(fabric, host.name)}
        for host in sorted(args.outputs.iterdir()) if host.name in fabric.nodes
    }
    checks = resolve_checks(None)
    names = frozenset(c.name for c in checks)
    fault = frozenset({tuple(args.fault.split(":", 1))})

    def verify() -> int:
        return sum(not r.ok for name, outs in outputs.items() for r in evaluate_host(fabric, name, outs).results)

    def polls() -> int:
        memos: dict[str, dict] = {name: {} for name in outputs}
        failing = 0
        for faults in (fault, fault, frozenset(), frozenset()):
            view = shared_view(fabric, faults)
            for name, outs in outputs.items():
                node, obs = fabric.nodes[name], Observations(outs, memos[name], names)
                for check in checks:
                    if check.applies(view, node) and (r := check.run(view, node, obs)) is not None:
                        failing += not r.ok
        return failing

    hosts = len(outputs)
    print(f"{hosts} hosts; checks failing on these outputs: verify {verify()}, polls {polls()}")
    for label, run in (("verify", verify), ("failover polls (4)", polls)):
        cpu = best_cpu(run)
        print(f"{label}: {cpu * 1000:.1f} ms CPU, {cpu * 1000 / hosts:.2f} ms a host")


if __name__ == "__main__":
    main()
