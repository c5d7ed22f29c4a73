"""Embed nornir_evpn's `configure_fabric` task in a plain Nornir runbook.

The inventory comes straight from the containerlab topology through the
`ContainerlabInventory` plugin (installed as a Nornir entry point); with `--twin-state`
the hosts are pointed at a running digital twin instead of the lab's management names.

    python -m nornir_evpn twin up &                        # or a deployed containerlab lab
    python examples/runbook.py --twin-state .nornir_evpn/twin.json --dry-run
    python examples/runbook.py --twin-state .nornir_evpn/twin.json
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

from nornir import InitNornir
from nornir.core.filter import F
from nornir_evpn.tasks import configure_fabric

from nornir_evpn.inventory import fabric_from_nornir
from nornir_evpn.twin.runtime import read_twin_state

PACKAGED_TOPOLOGY = Path(str(resources.files("nornir_evpn.lab") / "evpn-mh01.clab.yml"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topology", type=Path, default=PACKAGED_TOPOLOGY)
    parser.add_argument("--twin-state", type=Path, default=None,
                        help="state file of a running twin (python -m nornir_evpn twin up)")
    parser.add_argument("--dry-run", action="store_true", help="show diffs, commit nothing")
    args = parser.parse_args(argv)

    nr = InitNornir(
        runner={"plugin": "nornir_evpn.threaded", "options": {"num_workers": 16}},
        inventory={"plugin": "ContainerlabInventory",
                   "options": {"topology_file": str(args.topology)}},
        logging={"enabled": False},
    )
    if args.twin_state is not None:
        endpoints = read_twin_state(args.twin_state).endpoints
        for name, host in nr.inventory.hosts.items():
            host.hostname, host.port = endpoints[name]

    fabric = fabric_from_nornir(nr)  # the intent the templates render, from host data
    srl = nr.filter(F(groups__contains="srl"))
    try:
        result = srl.run(task=configure_fabric, fabric=fabric,
                         mode="dry-run" if args.dry_run else "commit")
    finally:
        nr.close_connections(on_failed=True)

    for name, multi in sorted(result.items()):
        entry = multi[0].result
        if multi.failed:
            print(f"{name}: FAILED {entry.get('error') if isinstance(entry, dict) else entry}")
            continue
        verb = "would change" if args.dry_run else "committed"
        lines = len(entry["diff"].splitlines())
        plural = "" if lines == 1 else "s"
        print(f"{name}: {verb} ({lines} line{plural})" if entry["changed"] else f"{name}: unchanged")
        if args.dry_run and entry["diff"]:
            print(entry["diff"])
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
