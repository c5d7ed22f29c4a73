"""Which hosts log in without their SSH host key checked, outside a containerlab lab.

The generated inventory turns host-key checking off (`auth_strict_key: false`): containerlab
gives every node a new key on each deploy, and sets `StrictHostKeyChecking no` for its nodes
itself. Pointed at devices that are not such a lab (a hosts.yaml edited to production
addresses), the same setting sends the password to whatever answers at the address (the
security review captured it with a rogue SSH server). `unchecked_hosts` names those hosts,
for one note per command; the lab's own addresses are left out: the ones `inventory` wrote,
loopback, and (an older inventory) container names and containerlab's default networks.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable
from typing import Any

from nornir_evpn.topology import container_name

# containerlab's default management networks (IPv6: 3fff:... from 0.60, 2001:... before)
CLAB_SUBNETS = ("172.20.20.0/24", "3fff:172:20:20::/64", "2001:172:20:20::/64")


def _strict(host: Any) -> bool:
    extras = host.get_connection_parameters("scrapli").extras or {}
    return extras.get("auth_strict_key", True) is not False  # scrapli's default: strict


def lab_address(hostname: str, node: str, lab_data: dict[str, Any]) -> bool:
    """`hostname` is an address containerlab gives `node` of the lab `lab_data` (the inventory's
    defaults data) describes: the one `inventory` wrote for it (`lab_hostnames`: a container
    name, a deployed or configured management address, whatever the lab's subnet), else,
    for an inventory of an older version, its container name or containerlab's default
    management networks; loopback always."""
    written = lab_data.get("lab_hostnames")
    if isinstance(written, dict) and written.get(node) == hostname:
        return True
    lab, prefix = lab_data.get("lab"), lab_data.get("clab_prefix", "clab")
    if isinstance(lab, str) and isinstance(prefix, str) and hostname == container_name(prefix, lab, node):
        return True
    try:
        ip = ipaddress.ip_address(hostname.split("%")[0])
    except ValueError:
        return hostname == "localhost"
    return ip.is_loopback or any(ip in _network(s) for s in CLAB_SUBNETS)


@functools.lru_cache(maxsize=16)
def _network(subnet: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    return ipaddress.ip_network(subnet, strict=False)  # built once, not once per host


def unchecked_hosts(hosts: Iterable[Any], lab_data: dict[str, Any]) -> list[str]:
    """The hosts (Nornir Host) that log in with host-key checking off at an address that is
    not their containerlab lab's."""
    return [h.name for h in hosts if not _strict(h) and not lab_address(str(h.hostname), h.name, lab_data)]


def unchecked_note(names: list[str]) -> str:
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return (f"note: SSH host keys are not checked for {shown} (auth_strict_key: false, set for containerlab "
            "labs): the password goes to whatever answers at the address; for devices outside a lab set "
            "auth_strict_key: true and ssh_known_hosts_file in groups.yaml, for a lab's own addresses run "
            "`inventory` again (README: Against a real containerlab lab)")
