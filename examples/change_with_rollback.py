"""A change window in a runbook: configure with a device checkpoint, verify, revert on failure.

Each host that commits keeps a checkpoint of the configuration it had before; when a check
of the verify that follows fails, every host that committed is reverted to it (one commit
per host), and the run exits 1. Nornir skips the hosts an earlier task failed, so the verify
and the revert run with `on_failed=True`.

    python -m nornir_evpn twin up &                        # or a deployed containerlab lab
    python examples/change_with_rollback.py --twin-state .nornir_evpn/twin.json
"""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path

from nornir import InitNornir
from nornir.core.filter import F
from nornir_evpn.tasks import checkpoint_name, configure_fabric, rollback_checkpoint, verify_host

from nornir_evpn.inventory import fabric_from_nornir
from nornir_evpn.twin.runtime import read_twin_state

PACKAGED_TOPOLOGY = Path(str(resources.files("nornir_evpn.lab") / "evpn-mh01.clab.yml"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topology", type=Path, default=PACKAGED_TOPOLOGY)
    parser.add_argument("--twin-state", type=Path, default=None,
                        help="state file of a running twin (python -m nornir_evpn twin up)")
    parser.add_argument("--checks", default=None, help="comma-separated checks to verify (default: all)")
    args = parser.parse_args(argv)

    nr = InitNornir(
        runner={"plugin": "nornir_evpn.threaded", "options": {"num_workers": 16}},
        inventory={"plugin": "ContainerlabInventory", "options": {"topology_file": str(args.topology)}},
        logging={"enabled": False},
    )
    if args.twin_state is not None:
        endpoints = read_twin_state(args.twin_state).endpoints
        for name, host in nr.inventory.hosts.items():
            host.hostname, host.port = endpoints[name]

    fabric = fabric_from_nornir(nr)
    srl = nr.filter(F(groups__contains="srl"))
    checkpoint = checkpoint_name()
    checks = args.checks.split(",") if args.checks else None
    try:
        applied = srl.run(task=configure_fabric, fabric=fabric, checkpoint=checkpoint)
        committed = sorted(h for h, m in applied.items() if m[0].result.get("checkpoint"))
        print(f"committed on {', '.join(committed) or 'no host'} (checkpoint {checkpoint})")
        checked = srl.run(task=verify_host, fabric=fabric, checks=checks, on_failed=True)
        failing = sorted(h for h, m in checked.items() if m.failed)
        if not failing and not applied.failed:
            print("verify passed: the change stays")
            return 0
        print(f"verify failed on {', '.join(failing) or 'no host'}"
              f"{'; configure failed on ' + ', '.join(sorted(applied.failed_hosts)) if applied.failed else ''}")
        if not committed:
            return 1
        back = srl.filter(filter_func=lambda h: h.name in committed).run(
            task=rollback_checkpoint, checkpoint=checkpoint, required=committed, on_failed=True)
        for name, multi in sorted(back.items()):
            r = multi[0].result
            print(f"{name}: {'reverted' if r['reverted'] else 'NOT reverted: ' + str(r['error'])}")
        return 1
    finally:
        nr.close_connections(on_failed=True)


if __name__ == "__main__":
    sys.exit(main())
