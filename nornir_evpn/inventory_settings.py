"""Your connection settings survive `inventory` written again over an inventory.

Writing the inventory again after a topology change replaces hosts.yaml, groups.yaml and
defaults.yaml; what an operator sets there to reach the devices (`transport: system` for a
jump host, a known_hosts file, a password in defaults.yaml, a host's production address or
port in hosts.yaml) must not go with them.
`inventory` keeps, beside the three files, what it generated for those settings
(SNAPSHOT); the next run applies your changes to that (edited, added, deleted keys) onto
what it generates now, so a default a newer version changes still reaches the settings you
left alone. An inventory written before 0.9 (no snapshot): every setting found there wins.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from nornir_evpn.errors import InventoryError
from nornir_evpn.outputs import replace_atomically

# what an operator sets beside the generated data in groups.yaml and defaults.yaml: how to
# reach the devices (transport, keys, known_hosts, timeouts, user, password, port)
CONNECTION_KEYS = ("connection_options", "username", "password", "port")
# and of a host in hosts.yaml, where `inventory` writes the address (its `lab_hostnames`)
HOST_CONNECTION_KEYS = ("hostname", *CONNECTION_KEYS)
SNAPSHOT = ".generated-connection.yaml"
_ABSENT: Any = object()


def generated_settings(docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The CONNECTION_KEYS of the generated groups and defaults, HOST_CONNECTION_KEYS of the
    hosts (a copy)."""
    def pick(spec: dict[str, Any], keys: tuple[str, ...] = CONNECTION_KEYS) -> dict[str, Any]:
        return {k: copy.deepcopy(spec[k]) for k in keys if k in spec}

    return {"groups": {name: pick(spec) for name, spec in docs["groups"].items()},
            "defaults": pick(docs["defaults"]),
            "hosts": {name: pick(spec, HOST_CONNECTION_KEYS) for name, spec in docs["hosts"].items()}}


def write_snapshot(settings: dict[str, Any], out_dir: Path) -> Path:
    path = out_dir / SNAPSHOT
    replace_atomically(path, "# what `nornir_evpn inventory` generated for the connection settings: the next run\n"
                       "# keeps what you changed in hosts.yaml/groups.yaml/defaults.yaml against this\n"
                       + yaml.safe_dump(json.loads(json.dumps(settings)), sort_keys=False, width=100),
                       shared=True)
    return path


def _three_way(generated: Any, base: Any, own: Any) -> Any:
    """`own`'s changes from `base` (what was generated then) applied to `generated` (now)."""
    if own == base:
        return generated
    if not (isinstance(generated, dict) and isinstance(base, dict) and isinstance(own, dict)):
        return own
    out = dict(generated)
    for k in [*base, *(k for k in own if k not in base)]:
        mine, was = own.get(k, _ABSENT), base.get(k, _ABSENT)
        if mine is _ABSENT:
            out.pop(k, None)  # deleted by you
        elif was is _ABSENT:
            out[k] = mine  # added by you
        else:
            now = generated.get(k, _ABSENT)
            if now is _ABSENT and mine == was:
                out.pop(k, None)  # no longer generated, and you left it alone: it goes
                continue
            out[k] = _three_way(was if now is _ABSENT else now, was, mine)
    return out


def _own_wins(generated: Any, own: Any) -> Any:
    if isinstance(generated, dict) and isinstance(own, dict):
        return {**generated, **{k: _own_wins(generated.get(k), v) for k, v in own.items()}}
    return own


def _differences(generated: Any, final: Any, prefix: str) -> list[str]:
    if isinstance(generated, dict) and isinstance(final, dict):
        return [p for k in [*final, *(k for k in generated if k not in final)]
                for p in (_differences(generated.get(k, _ABSENT), final[k], f"{prefix}.{k}") if k in final
                          else [f"{prefix}.{k} (deleted)"])]
    return [] if generated == final else [prefix]


def _load(path: Path) -> dict[str, Any]:
    from nornir_evpn.inventory import _load_yaml_unique

    try:
        return _load_yaml_unique(path)
    except InventoryError as exc:
        raise InventoryError(f"{exc} (the inventory is written there again, keeping its connection "
                             "settings: fix the file or delete it)") from None


def keep_connection_settings(docs: dict[str, dict[str, Any]], out_dir: Path) -> list[str]:
    """Carry the connection settings of the inventory in `out_dir` into `docs` (the hosts and
    groups both have, and defaults). Returns where they differ from the generated ones, as
    `groups.yaml srl.connection_options.scrapli.extras.transport` (never values)."""
    snapshot_path = out_dir / SNAPSHOT
    snapshot = _load(snapshot_path) if snapshot_path.is_file() else None
    kept: list[str] = []
    for fname, key in (("hosts.yaml", "hosts"), ("groups.yaml", "groups"), ("defaults.yaml", "defaults")):
        path = out_dir / fname
        if not path.is_file():
            continue
        old = _load(path)
        if key == "hosts":
            bases = _host_bases(old, snapshot, out_dir)
            pairs = [(name, docs[key][name], spec, bases.get(name, {})) for name, spec in old.items()
                     if name in docs[key] and isinstance(spec, dict)]
            kept += _carry(fname, pairs, HOST_CONNECTION_KEYS, True)
            continue
        base_doc = (snapshot or {}).get(key) or {}
        pairs = ([(name, docs[key][name], spec, base_doc.get(name)) for name, spec in old.items()
                  if name in docs[key] and isinstance(spec, dict)] if key == "groups"
                 else [("", docs[key], old, base_doc)])
        kept += _carry(fname, pairs, CONNECTION_KEYS, snapshot is not None)
    return kept


def _host_bases(old: dict[str, Any], snapshot: dict[str, Any] | None, out_dir: Path) -> dict[str, Any]:
    """What `inventory` wrote last time for each host's connection settings: the snapshot's;
    from a snapshot written before it had hosts (0.16), none but the address, which
    defaults.yaml's `lab_hostnames` records for the SR Linux hosts (a host it lacks: the
    address found is taken for the generated one)."""
    recorded = (snapshot or {}).get("hosts")
    if isinstance(recorded, dict):
        return {name: base for name, base in recorded.items() if isinstance(base, dict)}
    defaults_path = out_dir / "defaults.yaml"
    defaults = _load(defaults_path) if defaults_path.is_file() else {}
    data = defaults.get("data") if isinstance(defaults, dict) else None
    written = (data or {}).get("lab_hostnames") if isinstance(data, dict) else None
    written = written if isinstance(written, dict) else {}
    return {name: ({"hostname": written[name]} if name in written
                   else {"hostname": spec["hostname"]} if "hostname" in spec else {})
            for name, spec in old.items() if isinstance(spec, dict)}


def _carry(fname: str, pairs: list[tuple[str, dict[str, Any], dict[str, Any], Any]], keys: tuple[str, ...],
           three_way: bool) -> list[str]:
    """For each (name, generated spec, your spec, the spec generated last time), put your
    changes of `keys` into the generated spec; returns where the result differs from it."""
    kept: list[str] = []
    for name, new, spec, base in pairs:
        for setting in keys:
            generated = new.get(setting, _ABSENT)
            mine = spec.get(setting, _ABSENT)
            if three_way and isinstance(base, dict):
                was = base.get(setting, _ABSENT)
                final = generated if mine == was else (
                    _ABSENT if mine is _ABSENT else _three_way(generated, was, mine))
            elif mine is _ABSENT:
                continue
            else:
                final = _own_wins(None if generated is _ABSENT else generated, mine)
            here = f"{name}.{setting}" if name else setting
            if final is _ABSENT:
                new.pop(setting, None)
                kept += [f"{fname} {here} (deleted)"] if generated is not _ABSENT else []
                continue
            new[setting] = final
            kept += [f"{fname} {p}" for p in _differences(
                None if generated is _ABSENT else generated, final, here)]
    return kept


# host data the operator adds that no topology derives: written again, the inventory keeps
# it for the hosts still there (a brownfield leaf's RD, dropped without a word, failed every
# other leaf's evpn.received with no hint that an RD was involved)
HAND_SET_HOST_DATA = {"route_distinguisher": ("leaf",)}  # key: the roles it belongs to


def _written_host_data(docs: dict[str, dict[str, Any]],
                       out_dir: Path) -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
    """(host, its data in the hosts.yaml in `out_dir`, its data in `docs`) for each host in
    both whose written data is a mapping (an inventory edited by hand may hold anything)."""
    path = out_dir / "hosts.yaml"
    if not path.is_file():
        return
    for name, old in _load(path).items():
        new = docs["hosts"].get(name)
        old_data = old.get("data") if isinstance(old, dict) else None
        if new is not None and isinstance(old_data, dict):
            yield name, old_data, new["data"]


def keep_hand_set_host_data(docs: dict[str, dict[str, Any]], out_dir: Path) -> list[str]:
    """Carry HAND_SET_HOST_DATA of the hosts.yaml in `out_dir` into `docs`, for the hosts of
    the same name and role; returns `leaf1 route_distinguisher` for each kept."""
    kept: list[str] = []
    for name, old_data, new_data in _written_host_data(docs, out_dir):
        if old_data.get("role") != new_data.get("role"):
            continue
        for key, roles in HAND_SET_HOST_DATA.items():
            if key in old_data and key not in new_data and old_data.get("role") in roles:
                new_data[key] = old_data[key]
                kept.append(f"{name} {key}")
    return kept


def dropped_host_data(docs: dict[str, dict[str, Any]], out_dir: Path) -> list[str]:
    """Keys of a host's data in the hosts.yaml in `out_dir` that `docs` (written over it,
    HAND_SET_HOST_DATA kept) lacks for that host: `leaf1 site` for a key you added, which
    the topology does not derive and the inventory written again does not keep."""
    return [f"{name} {key}" for name, old_data, new_data in _written_host_data(docs, out_dir)
            for key in old_data if key not in new_data]


OVERLAY_MODES = ("full-mesh", "route-reflector")


def written_overlay(out_dir: Path) -> str | None:
    """The overlay design of the inventory in `out_dir` (`fabric.overlay_mode` of its
    defaults.yaml), None when there is none to read: written again without `--overlay`, a
    route-reflector inventory stays one (a leaf added must not rewrite every leaf's peers)."""
    path = out_dir / "defaults.yaml"
    if not path.is_file():
        return None
    data = _load(path).get("data")
    fabric = data.get("fabric") if isinstance(data, dict) else None
    mode = fabric.get("overlay_mode") if isinstance(fabric, dict) else None
    return mode if mode in OVERLAY_MODES else None
