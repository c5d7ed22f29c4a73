"""A failover runbook built from nornir_evpn's tasks: shut, wait, restore, wait.

`failover-test` does all of this (and more: traffic, live timeline, reports); this is
the shape of it in your own Nornir code. Verify polls and the restore run with
`on_failed=True`: Nornir skips a host that failed an earlier task, and in the degraded
state `verify_host` fails hosts on purpose.

    python -m nornir_evpn twin up
    python -m nornir_evpn configure --twin && python -m nornir_evpn twin traffic
    python examples/failover_runbook.py --twin-state .nornir_evpn/twin.json
"""

from __future__ import annotations

import argparse
import sys
import time
from importlib import resources
from pathlib import Path

from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.filter import F
from nornir_evpn.tasks import restore_interface, shut_interface, verify_host, wait_for_state

from nornir_evpn.errors import NornirEvpnError
from nornir_evpn.failover import segment_for
from nornir_evpn.intent import FabricIntent
from nornir_evpn.inventory import fabric_from_nornir
from nornir_evpn.topology import normalise_srl_interface
from nornir_evpn.twin.runtime import read_twin_state

PACKAGED_TOPOLOGY = Path(str(resources.files("nornir_evpn.lab") / "evpn-mh01.clab.yml"))


def fabric_state(srl: Nornir, fabric: FabricIntent,
                 faults: frozenset[tuple[str, str]]) -> dict[tuple[str, str], bool]:
    """{(check, host): ok} for every verify check, expected as under `faults`."""
    agg = srl.run(task=verify_host, fabric=fabric, faults=faults, on_failed=True)
    state = {}
    for host, multi in agg.items():
        result = multi[0].result if isinstance(multi[0].result, dict) else {}
        state[("reachable", host)] = not result.get("error")
        state.update({(c["name"], host): c["ok"] for c in result.get("checks", [])})
    return state


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topology", type=Path, default=PACKAGED_TOPOLOGY)
    parser.add_argument("--twin-state", type=Path, default=None,
                        help="state file of a running twin (python -m nornir_evpn twin up)")
    parser.add_argument("--host", default="leaf1")
    parser.add_argument("--interface", default="ethernet-1/1")
    parser.add_argument("--timeout", type=float, default=30.0)
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
    try:  # an ethernet segment's member link, and its name as the intent spells it
        interface = normalise_srl_interface(args.interface) or args.interface
        segment_for(fabric, args.host, interface)
    except NornirEvpnError as exc:
        print(exc)
        return 2
    srl = nr.filter(F(groups__contains="srl"))
    leaf = srl.filter(name=args.host)
    fault = frozenset({(args.host, interface)})
    try:
        if not all(fabric_state(srl, fabric, frozenset()).values()):
            print("fabric not healthy: run verify first; nothing was changed")
            return 1
        shut = leaf.run(task=shut_interface, interface=interface)
        if shut.failed:  # nothing committed: nothing to restore
            print(f"shut failed: {shut[args.host][0].result.get('error')}")
            return 1
        if not shut[args.host][0].changed:
            # already admin-state disable (an operator's shut): a restore would enable a
            # port someone shut on purpose
            print(f"{args.host} {interface} was already disabled: nothing to test; left as found")
            return 1
        try:
            degraded = wait_for_state(lambda: fabric_state(srl, fabric, fault), t0=time.monotonic(),
                                      interval=0.5, timeout=args.timeout)
        finally:
            restored = leaf.run(task=restore_interface, interface=interface, on_failed=True)
        recovery = wait_for_state(lambda: fabric_state(srl, fabric, frozenset()), t0=time.monotonic(),
                                  interval=0.5, timeout=args.timeout)
    finally:
        nr.close_connections(on_failed=True)

    print(f"degraded state: {f'reached in {degraded.converged_s:.2f}s' if degraded.reached else 'not reached'}"
          + ("" if degraded.reached else f" ({', '.join(f'{c}@{h}' for c, h in degraded.failing)})"))
    print(f"restore: {'ok' if not restored.failed else restored[args.host][0].exception}")
    print(f"recovery: {f'healthy in {recovery.converged_s:.2f}s' if recovery.reached else 'not reached'}")
    return 0 if degraded.reached and not restored.failed and recovery.reached else 1


if __name__ == "__main__":
    sys.exit(main())
