"""A runbook's Nornir on the in-process twin, for the tests of the tasks as a runbook uses them
(a module of its own: `from conftest import` finds another directory's conftest first when
pytest is given several test directories)."""

from __future__ import annotations

from pathlib import Path

LAB = Path(__file__).resolve().parent.parent / "inventory" / "evpn-mh01.clab.yml"


def nornir_on_twin(twin, *, dry_run: bool = False, runner: str = "threaded"):  # type: ignore[no-untyped-def]
    """A runbook's Nornir: the evpn-mh01 topology through the ContainerlabInventory plugin,
    every host pointed at `twin`'s endpoint."""
    from nornir import InitNornir

    nr = InitNornir(
        dry_run=dry_run,
        runner={"plugin": runner, "options": {"num_workers": 4}},
        inventory={"plugin": "ContainerlabInventory", "options": {"topology_file": str(LAB)}},
        logging={"enabled": False},
    )
    for name, (host, port) in twin.endpoints.items():
        nr.inventory.hosts[name].hostname, nr.inventory.hosts[name].port = host, port
    return nr
