"""Nornir inventory plugins: straight from a containerlab topology, or from loaded documents.

`ContainerlabInventory` is registered under the `nornir.plugins.inventory` entry point, so
any runbook can do::

    InitNornir(inventory={"plugin": "ContainerlabInventory",
                          "options": {"topology_file": "evpn-mh01.clab.yml"}})
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from nornir.core.inventory import (
    ConnectionOptions,
    Defaults,
    Group,
    Groups,
    Host,
    Hosts,
    Inventory,
    ParentGroups,
)

from nornir_evpn import platform, session
from nornir_evpn.intent import OverlayMode, derive_intent
from nornir_evpn.inventory import build_inventory, password
from nornir_evpn.ssh_keys import leave_out_rsa_keys
from nornir_evpn.topology import load_topology

log = logging.getLogger("nornir.nornir_evpn")  # under Nornir's logger: its nornir.log


def _options(data: dict[str, Any]) -> dict[str, ConnectionOptions]:
    return {
        name: ConnectionOptions(
            hostname=c.get("hostname"), port=c.get("port"), username=c.get("username"),
            password=c.get("password"), platform=c.get("platform"), extras=_extras(c),
        )
        for name, c in (data or {}).items()
    }


def _extras(options: dict[str, Any]) -> dict[str, Any] | None:
    """SR Linux scrapli connections open and close with `session.on_open`/`on_close` (fewer
    round trips than scrapli-community's) unless the inventory names its own."""
    extras = options.get("extras")
    if extras and (wanted := extras.get("transport")) != session.transport(wanted):
        extras = {**extras, "transport": session.transport(wanted)}  # ssh2 -> paramiko
    if options.get("platform") != platform.PLATFORM:
        return extras
    return {"on_open": session.on_open, "on_close": session.on_close, **(extras or {})}


def inventory_from_docs(docs: dict[str, dict[str, Any]], secret: str | None = None) -> Inventory:
    """Build a Nornir Inventory from SimpleInventory-shaped dicts; the password is set here only."""
    d = docs.get("defaults") or {}
    defaults = Defaults(
        hostname=d.get("hostname"), port=d.get("port"), username=d.get("username"),
        password=secret if secret is not None else d.get("password"),
        platform=d.get("platform"), data=d.get("data"),
        connection_options=_options(d.get("connection_options")),
    )

    def element(cls: type, name: str, spec: dict[str, Any]) -> Any:
        return cls(
            name=name, hostname=spec.get("hostname"), port=spec.get("port"),
            username=spec.get("username"), password=spec.get("password"),
            platform=spec.get("platform"), data=spec.get("data"), groups=None,
            defaults=defaults, connection_options=_options(spec.get("connection_options")),
        )

    group_specs = docs.get("groups") or {}
    groups = Groups({name: element(Group, name, spec or {}) for name, spec in group_specs.items()})
    for name, spec in group_specs.items():
        groups[name].groups = ParentGroups(groups[g] for g in (spec or {}).get("groups") or [])
    hosts = Hosts()
    for name, spec in (docs.get("hosts") or {}).items():
        host = element(Host, name, spec)
        host.groups = ParentGroups(groups[g] for g in spec.get("groups") or [] if g in groups)
        hosts[name] = host
    return Inventory(hosts=hosts, groups=groups, defaults=defaults)


class ContainerlabInventory:
    """Nornir inventory plugin: hosts, groups and intent derived from a clab topology file."""

    def __init__(
        self, topology_file: str, overlay_mode: OverlayMode = "full-mesh",
        password: str | None = None,
    ) -> None:
        self.topology_file = Path(topology_file)
        self.overlay_mode = overlay_mode
        self.password = password

    def load(self) -> Inventory:
        topology = load_topology(self.topology_file)
        for note in topology.notes:  # as `inventory` prints them
            log.warning("%s: %s", self.topology_file, note)
        docs = build_inventory(topology, derive_intent(topology, self.overlay_mode))
        inventory = inventory_from_docs(docs, self.password or password())
        for note in leave_out_rsa_keys(inventory.hosts.values()):  # ssh2 crashes signing with RSA
            log.warning("%s", note)
        return inventory


class DocsInventory:
    """Inventory plugin over already-loaded documents (used by the nornir_evpn commands)."""

    def __init__(self, docs: dict[str, dict[str, Any]], password: str | None = None) -> None:
        self.docs = docs
        self.password = password

    def load(self) -> Inventory:
        return inventory_from_docs(self.docs, self.password)
