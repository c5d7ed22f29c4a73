"""Fabric intent → Nornir SimpleInventory (hosts.yaml / groups.yaml / defaults.yaml).

SR Linux hosts carry their `NodeIntent` fields in `host.data` (editable by the user); the
fabric-wide parts (mac-vrf, ethernet segments, CEs) live in `defaults.data["fabric"]`.
`fabric_from_inventory` rebuilds one `FabricIntent` from both, so checks and templates
see the user's edits. No password is ever written to these files.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from nornir_evpn import platform
from nornir_evpn.errors import InventoryError
from nornir_evpn.inputs import read_text
from nornir_evpn.intent import FabricIntent, NodeIntent, natural_key
from nornir_evpn.inventory_schema import check_inventory
from nornir_evpn.outputs import replace_atomically
from nornir_evpn.topology import Topology, UniqueKeyLoader, container_name
from nornir_evpn.yaml_cache import parsed

INVENTORY_FILES = ("hosts.yaml", "groups.yaml", "defaults.yaml")


def password(docs: dict[str, dict[str, Any]] | None = None) -> str:
    """Device password: NORNIR_EVPN_PASSWORD, else the inventory's defaults.yaml `password`
    (hosts.yaml and groups.yaml ones apply to their hosts as in Nornir), else containerlab's
    documented SR Linux default."""
    own = ((docs or {}).get("defaults") or {}).get("password")
    return (os.environ.get(platform.DEFAULT_PASSWORD_ENV) or (own if isinstance(own, str) and own else None)
            or platform.LAB_DEFAULT_PASSWORD)


def scrapli_extras() -> dict[str, Any]:
    """nornir-scrapli connection options for SR Linux hosts (the `srl` group)."""
    return {
        "auth_strict_key": False,
        "transport": "ssh2",
        "timeout_socket": 10,
        # A hung device is caught by the transport: ssh2 reads give up after
        # timeout_transport. scrapli's per-operation timer (timeout_ops) runs every channel
        # op in a fresh thread pool when called from Nornir's worker threads; measured at 64
        # leaves it doubled the tool's CPU (9.6 s → 4.3 s without it), so it is off.
        "timeout_transport": 30,
        "timeout_ops": 0,
        "failed_when_contains": list(platform.FAILED_WHEN_CONTAINS),
    }


def deployed_addresses(topology: Topology) -> dict[str, str]:
    """Management IPs containerlab assigned, from `clab-<lab>/topology-data.json` if deployed.

    Reading them beats guessing: DNS names `clab-<lab>-<node>` only resolve where
    containerlab wrote /etc/hosts, and an address set in the topology may be stale.
    """
    path = topology.directory / f"clab-{topology.name}" / "topology-data.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    nodes = data.get("nodes") if isinstance(data, dict) else None
    if not isinstance(nodes, dict):
        return {}
    out: dict[str, str] = {}
    for name, node in nodes.items():
        if not isinstance(node, dict) or name not in topology.nodes:
            continue
        # an IPv6-only management network leaves the IPv4 address empty
        for key in ("mgmt-ipv4-address", "mgmt-ipv6-address"):
            ip = node.get(key)
            if isinstance(ip, str) and ip:
                out[name] = ip.split("/")[0]
                break
    return out


def build_inventory(topology: Topology, fabric: FabricIntent) -> dict[str, dict[str, Any]]:
    """The three SimpleInventory documents as plain dicts (YAML-ready)."""
    hosts: dict[str, Any] = {}
    deployed = deployed_addresses(topology)
    for name in sorted(topology.nodes, key=natural_key):
        node = topology.nodes[name]
        hostname = (deployed.get(name) or node.mgmt_ipv4 or node.mgmt_ipv6
                    or container_name(topology.prefix, topology.name, name))
        if node.is_srl:
            intent = fabric.nodes[name]
            hosts[name] = {
                "hostname": hostname,
                "platform": platform.PLATFORM,
                "groups": ["srl", intent.role],
                # route_distinguisher: an RD set by hand before this tool, for the user to add
                # (README); the intent derives none
                "data": {"lab": topology.name, **intent.model_dump(
                    mode="json", exclude={"route_distinguisher"} if intent.route_distinguisher is None else None)},
            }
        else:
            ce = fabric.ces[name]
            hosts[name] = {
                "hostname": hostname,
                "platform": "linux",
                "groups": ["ce"],
                "data": {"lab": topology.name, "role": "ce", **ce.model_dump(mode="json")},
            }
    groups = {
        "srl": {
            "platform": platform.PLATFORM,
            "connection_options": {
                "scrapli": {"platform": platform.PLATFORM, "extras": scrapli_extras()},
            },
        },
        "leaf": {"data": {"role": "leaf"}},
        "spine": {"data": {"role": "spine"}},
        "ce": {"data": {"role": "ce"}, "username": "root"},
    }
    fabric_doc = fabric.model_dump(mode="json", exclude={"nodes"})
    defaults = {
        "username": platform.DEFAULT_USERNAME,
        "data": {"lab": topology.name, "clab_prefix": topology.prefix, "topology": topology.path.name,
                 # the addresses written above are the lab's (host_keys): one edited away is not
                 "lab_hostnames": {name: host["hostname"] for name, host in hosts.items()
                                   if host["platform"] == platform.PLATFORM},
                 "fabric": fabric_doc},
    }
    return {"hosts": hosts, "groups": groups, "defaults": defaults}


def write_inventory(docs: dict[str, dict[str, Any]], out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    # what writing it again keeps: it said "edit host data freely", and an edited value went
    header = ("# generated by `python -m nornir_evpn inventory`: written again, it keeps the connection "
              "settings you edit; host data is the topology's (README: Changing the intent)\n")
    for key in ("hosts", "groups", "defaults"):
        path = out_dir / f"{key}.yaml"
        # JSON round trip drops tuples/pydantic types so the YAML is plain and stable.
        plain = json.loads(json.dumps(docs[key]))
        # whole or not at all: a full disk cut hosts.yaml mid-file, and over an inventory
        # being rewritten it lost the user's groups.yaml/defaults.yaml edits
        replace_atomically(path, header + yaml.safe_dump(plain, sort_keys=False, width=100), shared=True)
        written.append(path)
    return written


def load_inventory_docs(directory: Path) -> dict[str, dict[str, Any]]:
    """Read a SimpleInventory directory, with one-line errors for what is wrong."""
    if not directory.is_dir():
        raise InventoryError(f"{directory}: inventory directory not found")
    docs: dict[str, dict[str, Any]] = {}
    for fname in INVENTORY_FILES:
        path = directory / fname
        if not path.is_file():
            if fname == "hosts.yaml":
                raise InventoryError(f"{path}: file not found")
            docs[fname[:-5]] = {}
            continue
        docs[fname[:-5]] = _load_yaml_unique(path)
    check_inventory(directory, docs)
    for name, host in (docs["hosts"] or {}).items():
        groups = host.get("groups") or []
        has_platform = host.get("platform") or any(
            (docs["groups"].get(g) or {}).get("platform") for g in groups
        )
        if not has_platform:
            raise InventoryError(f"{directory / 'hosts.yaml'}: host {name!r} has no platform")
    return docs


def _load_yaml_unique(path: Path) -> dict[str, Any]:
    try:
        # a 128-leaf hosts.yaml takes PyYAML 110 ms: parsed once per text (yaml_cache)
        data = parsed(read_text(path, InventoryError), lambda text: yaml.load(text, Loader=UniqueKeyLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise InventoryError(f"{path}:{where}: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InventoryError(f"{path}: expected a mapping")
    return data


def _extended_groups(names: list[Any], groups: dict[str, Any], chain: tuple[str, ...] = ()) -> list[str]:
    """Group names in Nornir's lookup order: each group, then its own groups, depth first."""
    out: list[str] = []
    for name in names:
        if not isinstance(name, str) or name in out:
            continue
        if name in chain:
            raise InventoryError(f"groups.yaml: group cycle {' -> '.join((*chain, name))}")
        out.append(name)
        parents = (groups.get(name) or {}).get("groups") or []
        out += [g for g in _extended_groups(list(parents), groups, (*chain, name)) if g not in out]
    return out


def docs_host_data(host: dict[str, Any], groups: dict[str, Any]) -> dict[str, Any]:
    """A host document's data with what its groups give it, as Nornir resolves `host[key]`
    (host first, then its groups in order; not the defaults, which hold the fabric): a
    `role` set in groups.yaml counts."""
    merged: dict[str, Any] = {}
    for name in reversed(_extended_groups(list(host.get("groups") or []), groups)):
        data = (groups.get(name) or {}).get("data")
        if isinstance(data, dict):
            merged.update(data)
    merged.update(host.get("data") or {})
    return merged


def host_data(host: Any) -> dict[str, Any]:
    """`docs_host_data` for an initialised Nornir host (any inventory plugin)."""
    merged: dict[str, Any] = {}
    for group in reversed(host.extended_groups()):
        merged.update(group.data)
    merged.update(host.data)
    return merged


def host_node(host: Any) -> NodeIntent:
    """The NodeIntent of a Nornir host, from its data with its groups' (`host_data`): the
    tasks and configure's preflight all read a node this way, never from `host.data` alone."""
    from nornir_evpn.render import node_from_data

    return node_from_data(host.name, host_data(host))


def fabric_from_docs(docs: dict[str, dict[str, Any]], source: str = "inventory") -> FabricIntent:
    """Rebuild the fabric intent from inventory documents (host data wins over its groups')."""
    fabric_doc = ((docs.get("defaults") or {}).get("data") or {}).get("fabric")
    if not isinstance(fabric_doc, dict):
        raise InventoryError(f"{source}: defaults.data.fabric is missing (regenerate the inventory)")
    nodes: dict[str, Any] = {}
    ces: dict[str, Any] = dict(fabric_doc.get("ces") or {})
    groups = docs.get("groups") or {}
    merged = {name: docs_host_data(host, groups) for name, host in (docs.get("hosts") or {}).items()}
    for name, host_merged in merged.items():
        data = dict(host_merged)
        role = data.get("role")
        if role in ("leaf", "spine"):
            data.pop("lab", None)
            nodes[name] = data
        elif role == "ce":
            data.pop("lab", None)
            data.pop("role", None)
            ces[name] = data
    try:
        fabric = FabricIntent.model_validate({**fabric_doc, "nodes": nodes, "ces": ces})
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise InventoryError(f"{source}: host data field '{loc}': {err['msg'].removeprefix('Value error, ')}") from None
    validate_host_data(docs, fabric, merged)
    return fabric


def validate_host_data(docs: dict[str, dict[str, Any]], fabric: FabricIntent,
                       merged: dict[str, dict[str, Any]]) -> None:
    """Every command (not only configure) puts host data into device commands (show
    targets, ping lines): refuse bad or CLI-injecting values before any connection.
    `merged`: each host's data with its groups' (`docs_host_data`)."""
    from nornir_evpn.intent import check_ce_addresses
    from nornir_evpn.render import node_from_data, node_segments, validate_node
    from nornir_evpn.validation import assert_cli_safe

    for name, host in (docs.get("hosts") or {}).items():
        data = merged[name]
        groups = host.get("groups") or []
        for role in ("leaf", "spine", "ce"):
            if role in groups and data.get("role") != role:
                raise InventoryError(f"host {name!r} is in group {role!r} but data.role is {data.get('role')!r}")
        if "srl" in groups or data.get("role") in ("leaf", "spine"):
            node = node_from_data(name, data)
            if node.name != name:  # the fabric is keyed by data.name, Nornir by the host key
                raise InventoryError(f"host {name!r}: data.name is {node.name!r}; they must match")
            validate_node(node, node_segments(node, fabric))
            _same_mac_vrf(name, node.mac_vrf, fabric.mac_vrf)
        else:
            assert_cli_safe(data, f"host {name}: data")
            _no_node_settings(name, data)
    _distinct_route_distinguishers(fabric)
    # a hand-edited CE address: "192.168.0.21x" pinged nothing and "-f" became a ping
    # option, and the traffic verdict read "0 sent, 0 lost"
    for ce in fabric.ces.values():
        try:
            check_ce_addresses(ce, lambda name, kind: f"interfaces.{name}.{kind}")
        except ValueError as exc:
            raise InventoryError(f"host {ce.name}: data {exc}") from None


def _no_node_settings(name: str, data: dict[str, Any]) -> None:
    """A CE's data carries none of the settings a leaf's takes by hand: an RD put under the
    CE beside a leaf's was ignored without a word, and the leaf's routes then went uncounted
    (a spine's is refused by its node's validation)."""
    from nornir_evpn.inventory_settings import HAND_SET_HOST_DATA

    for key, roles in HAND_SET_HOST_DATA.items():
        if key in data:
            raise InventoryError(f"host {name}: data.{key} is a {' or '.join(roles)}'s setting; "
                                 f"{name} is a {data.get('role') or 'non-SR Linux host'} (move it to the leaf it is for)")


def _distinct_route_distinguishers(fabric: FabricIntent) -> None:
    """Two leaves whose mac-vrfs share an RD (one set by hand, or one set to another's derived
    `<system-ip>:<evi>`): their A-D and MAC routes for one ES or MAC are one route to a route
    reflector, which passes on only the best (RFC 7432 7.9 wants the RD unique per PE), and
    the checks could not tell whose routes they count."""
    seen: dict[str, str] = {}
    for node in fabric.leaves:
        if node.mac_vrf is None:
            continue
        other = seen.setdefault(node.rd, node.name)
        if other != node.name:
            raise InventoryError(
                f"hosts {other} and {node.name}: both mac-vrfs have route distinguisher {node.rd!r} "
                "(data.route_distinguisher): each leaf needs its own (RFC 7432 7.9)")


def _same_mac_vrf(host: str, mine: Any, fabrics: Any) -> None:
    """A leaf's mac-vrf (what configure renders) must be the fabric's (defaults.yaml): a VNI
    edited in one place only was silently ignored there (configure: nothing to change)."""
    if mine is None or mine == fabrics:
        return
    field = next(f for f in type(mine).model_fields if getattr(mine, f) != getattr(fabrics, f))
    raise InventoryError(
        f"host {host}: data.mac_vrf.{field} is {getattr(mine, field)!r} but defaults "
        f"data.fabric.mac_vrf.{field} is {getattr(fabrics, field)!r}: the fabric has one "
        "mac-vrf, set both alike")


def fabric_from_nornir(nr: Any) -> FabricIntent:
    """The fabric intent of an initialised Nornir object (any inventory plugin), checked
    like the CLI checks its inventory (names, roles, values that could inject CLI).

    Build it from the whole inventory: checks look at every node of the fabric, so an
    intent from a filtered Nornir (`nr.filter(...)`) lacks the nodes filtered out.
    Hosts that are not part of the fabric (no leaf/spine/ce role) are ignored.
    """
    inv = nr.inventory
    data = {name: host_data(h) for name, h in inv.hosts.items()}
    docs = {
        "hosts": {
            name: {"data": data[name], "groups": [g.name for g in h.groups]}
            for name, h in inv.hosts.items()
            # a host in a leaf/spine/ce group without that role is refused, not dropped
            if data[name].get("role") in ("leaf", "spine", "ce")
            or {g.name for g in h.groups} & {"leaf", "spine", "ce"}
        },
        "defaults": {"data": dict(inv.defaults.data)},
    }
    return fabric_from_docs(docs)
