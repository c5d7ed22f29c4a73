"""Parse a containerlab topology file into validated pydantic models.

Both lab forms are read: CE commands inline in `exec`, and CE scripts reached through
`binds` (`configs/ce1-config.sh:/ce1-config.sh` + `exec: bash /ce1-config.sh`), with paths
relative to the topology file. Every problem becomes one `TopologyError` line naming the
file, the field and the value.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nornir_evpn.errors import TopologyError
from nornir_evpn.validation import NAME_RE

SRL_KINDS = {"srl", "nokia_srlinux"}
LINUX_KINDS = {"linux"}

# containerlab short form `e1-49` (also `e1-1-1` breakout is out of scope) or SR Linux
# long form `ethernet-1/49`; CE (linux) interfaces are plain Linux names (eth1).
_SHORT_IF = re.compile(r"^e(\d+)-(\d+)\Z")
_LONG_IF = re.compile(r"^ethernet-(\d+)/(\d+)\Z")
_LINUX_IF = re.compile(r"^[a-zA-Z][a-zA-Z0-9_.-]{0,14}\Z")


class Endpoint(BaseModel):
    """One end of a link: node name and its normalised interface name."""

    model_config = ConfigDict(frozen=True)
    node: str
    interface: str

    def __str__(self) -> str:
        return f"{self.node}:{self.interface}"


class Link(BaseModel):
    model_config = ConfigDict(frozen=True)
    a: Endpoint
    b: Endpoint

    def other(self, node: str) -> Endpoint:
        return self.b if self.a.node == node else self.a

    def end(self, node: str) -> Endpoint:
        return self.a if self.a.node == node else self.b


class Node(BaseModel):
    """A containerlab node; `kind` is normalised to `srl` or `linux`."""

    name: str
    kind: str
    image: str | None = None
    type: str | None = None
    mgmt_ipv4: str | None = None
    startup_config: Path | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    exec_lines: list[str] = Field(default_factory=list)
    binds: list[str] = Field(default_factory=list)

    @property
    def is_srl(self) -> bool:
        return self.kind == "srl"

    def startup_text(self) -> str:
        """The startup config's text ("" without one). Read only by what boots the node (the
        twin): an inventory for a lab deployed elsewhere needs none of these files."""
        if self.startup_config is None:
            return ""
        try:
            return self.startup_config.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise TopologyError(f"{self.name}: startup-config file not found: {self.startup_config}") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise TopologyError(f"{self.name}: startup-config {self.startup_config} cannot be read: {exc}") from None


def container_name(prefix: str, lab: str, node: str) -> str:
    """The container (and /etc/hosts) name containerlab gives `node`: `clab-<lab>-<node>` by
    default; `prefix: ""` gives `<node>`, `prefix: __lab-name` gives `<lab>-<node>`."""
    if prefix == "":
        return node
    if prefix == "__lab-name":
        return f"{lab}-{node}"
    return f"{prefix}-{lab}-{node}"


class Topology(BaseModel):
    name: str
    path: Path
    prefix: str = "clab"  # containerlab's container name prefix
    mgmt_subnet: str | None = None
    kinds: dict[str, dict[str, Any]] = Field(default_factory=dict)
    nodes: dict[str, Node]
    links: list[Link]

    @property
    def directory(self) -> Path:
        return self.path.parent

    def links_of(self, node: str) -> list[Link]:
        return [link for link in self.links if node in (link.a.node, link.b.node)]

    def neighbors(self, node: str) -> list[str]:
        return [link.other(node).node for link in self.links_of(node)]


def normalise_srl_interface(name: str) -> str | None:
    """`e1-49` / `ethernet-1/49` → `ethernet-1/49`; None when malformed."""
    for pattern in (_SHORT_IF, _LONG_IF):
        m = pattern.match(name)
        if m:
            return f"ethernet-{int(m.group(1))}/{int(m.group(2))}"
    return None


def load_topology(path: str | Path) -> Topology:
    """Read and validate a containerlab topology file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TopologyError(f"{path}: file not found") from None
    except OSError as exc:
        raise TopologyError(f"{path}: cannot read ({exc.strerror})") from None
    except UnicodeDecodeError as exc:
        raise TopologyError(f"{path}: not UTF-8 text (invalid byte at offset {exc.start})") from None
    return parse_topology(text, path)


# libyaml's parser when PyYAML has it (every wheel does): a 128-leaf fabric's inventory takes
# ~1.5 s of CPU to parse in pure Python, ~0.2 s with libyaml. The inventory loader builds on it.
SafeYamlLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UniqueKeyLoader(SafeYamlLoader):  # type: ignore[valid-type,misc]
    """SafeYamlLoader that refuses a key given twice in one mapping (YAML keeps the last:
    a node or host defined twice would silently be the second one)."""


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if isinstance(key, (list, dict)):
            raise yaml.constructor.ConstructorError(None, None, "a mapping key must be a scalar",
                                                    key_node.start_mark)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_topology(text: str, path: Path) -> Topology:
    """Validate topology YAML text; `path` locates relative files and names errors."""
    path = path.resolve()
    try:
        raw = yaml.load(text, Loader=UniqueKeyLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        kind = "" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error: "
        raise TopologyError(f"{path}:{where}: {kind}{problem}") from None
    if raw is None:
        raise TopologyError(f"{path}: file is empty")
    if not isinstance(raw, dict):
        raise TopologyError(f"{path}: expected a mapping at top level, got {type(raw).__name__}")
    name = raw.get("name")
    if not name:
        raise TopologyError(f"{path}: field 'name' is missing")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise TopologyError(f"{path}: field 'name' has invalid value {name!r}")
    prefix = raw.get("prefix")
    if prefix is None:  # absent or `prefix:` with no value: containerlab's default
        prefix = "clab"
    if not isinstance(prefix, str) or (prefix and prefix != "__lab-name" and not NAME_RE.match(prefix)):
        raise TopologyError(f"{path}: field 'prefix' has invalid value {prefix!r}")
    topo = raw.get("topology")
    if not isinstance(topo, dict):
        raise TopologyError(f"{path}: field 'topology' is missing")
    kinds = topo.get("kinds") or {}
    if not isinstance(kinds, dict):
        raise TopologyError(f"{path}: field 'topology.kinds' must be a mapping")
    for kind, spec in kinds.items():
        if spec is not None and not isinstance(spec, dict):
            raise TopologyError(f"{path}: field 'topology.kinds.{kind}' must be a mapping")
    mgmt = raw.get("mgmt") or {}
    if not isinstance(mgmt, dict):
        raise TopologyError(f"{path}: field 'mgmt' must be a mapping")
    subnet = mgmt.get("ipv4-subnet")
    if subnet is not None and not _is_network(subnet):
        raise TopologyError(f"{path}: field 'mgmt.ipv4-subnet' has invalid value {subnet!r}")
    raw_nodes = topo.get("nodes")
    if not isinstance(raw_nodes, dict) or not raw_nodes:
        raise TopologyError(f"{path}: field 'topology.nodes' is missing or empty")
    inherited = {"defaults": topo.get("defaults") or {}, "groups": topo.get("groups") or {}}
    for key, value in inherited.items():
        if not isinstance(value, dict) or (key == "groups" and not all(
                isinstance(g, dict) for g in value.values())):
            raise TopologyError(f"{path}: field 'topology.{key}' must be a mapping")
    nodes = {n: _parse_node(path, n, _inherit(path, n, spec, inherited), kinds)
             for n, spec in raw_nodes.items()}
    owners: dict[str, str] = {}
    for node in nodes.values():
        if node.mgmt_ipv4 is not None:
            if node.mgmt_ipv4 in owners:
                raise TopologyError(f"{path}: nodes {owners[node.mgmt_ipv4]!r} and {node.name!r} "
                                    f"have the same mgmt-ipv4 {node.mgmt_ipv4}")
            owners[node.mgmt_ipv4] = node.name
    links = _parse_links(path, topo.get("links") or [], nodes)
    try:
        return Topology(
            name=name,
            path=path,
            prefix=prefix,
            mgmt_subnet=subnet,
            kinds={k: dict(v or {}) for k, v in kinds.items()},
            nodes=nodes,
            links=links,
        )
    except ValidationError as exc:  # pragma: no cover - fields are pre-validated above
        err = exc.errors()[0]
        raise TopologyError(f"{path}: field '{'.'.join(map(str, err['loc']))}': {err['msg']}") from None


def _inherit(path: Path, name: Any, spec: Any, inherited: dict[str, dict[str, Any]]) -> Any:
    """A node's spec with what containerlab gives it from its `group` and from `defaults`
    (the node wins, then its group, then the defaults; labels merge). `kinds` settings are
    applied later, once the kind is known."""
    if spec is not None and not isinstance(spec, dict):
        return spec  # _parse_node reports it
    spec = dict(spec or {})
    group_name = spec.get("group")
    group = inherited["groups"].get(group_name, {}) if isinstance(group_name, str) else {}
    if group_name is not None and not group:
        raise TopologyError(f"{path}: field 'topology.nodes.{name}.group' names unknown group {group_name!r}")
    for source in (group, inherited["defaults"]):
        for key, value in source.items():
            if key == "labels" and isinstance(value, dict) and isinstance(spec.get("labels", {}), dict):
                spec["labels"] = {**value, **(spec.get("labels") or {})}
            else:
                spec.setdefault(key, value)
    return spec


def _parse_node(path: Path, name: Any, spec: Any, kinds: dict[str, Any]) -> Node:
    field = f"topology.nodes.{name}"
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise TopologyError(f"{path}: field 'topology.nodes' has invalid node name {name!r}")
    spec = spec or {}
    if not isinstance(spec, dict):
        raise TopologyError(f"{path}: field '{field}' must be a mapping")
    kind = spec.get("kind")
    if kind is None:
        raise TopologyError(f"{path}: field '{field}.kind' is missing")
    if not isinstance(kind, str):
        raise TopologyError(f"{path}: field '{field}.kind' must be a string, got {kind!r}")
    if kind in SRL_KINDS:
        norm_kind = "srl"
    elif kind in LINUX_KINDS:
        norm_kind = "linux"
    else:
        raise TopologyError(
            f"{path}: field '{field}.kind' has unknown kind {kind!r} "
            f"(expected one of: linux, nokia_srlinux, srl)"
        )
    kind_defaults = kinds.get(kind) or {}
    labels = spec.get("labels") or {}
    if not isinstance(labels, dict):
        raise TopologyError(f"{path}: field '{field}.labels' must be a mapping")
    for key, value in labels.items():
        # a label is one value; a nested one could be an alias bomb whose str() never ends
        if isinstance(value, (list, dict, set, tuple)) or isinstance(key, (list, dict, tuple)):
            raise TopologyError(f"{path}: field '{field}.labels.{key}' must be a single value, "
                                f"got a {type(value).__name__}")
    exec_lines = spec.get("exec") or []
    binds = spec.get("binds") or []
    if not isinstance(exec_lines, list) or not all(isinstance(x, str) for x in exec_lines):
        raise TopologyError(f"{path}: field '{field}.exec' must be a list of strings")
    if not isinstance(binds, list) or not all(isinstance(x, str) for x in binds):
        raise TopologyError(f"{path}: field '{field}.binds' must be a list of strings")
    for key in ("image", "type", "startup-config"):
        if spec.get(key) is not None and not isinstance(spec[key], str):
            raise TopologyError(f"{path}: field '{field}.{key}' must be a string, got {spec[key]!r}")
    mgmt_ipv4 = spec.get("mgmt-ipv4") or spec.get("mgmt_ipv4")
    if mgmt_ipv4 is not None and not (isinstance(mgmt_ipv4, str) and _is_address(mgmt_ipv4)):
        raise TopologyError(f"{path}: field '{field}.mgmt-ipv4' has invalid IPv4 address {mgmt_ipv4!r}")
    startup = spec.get("startup-config")
    startup_path = (path.parent / startup).resolve() if startup else None
    return Node(
        name=name,
        kind=norm_kind,
        image=spec.get("image") or kind_defaults.get("image"),
        type=spec.get("type"),
        mgmt_ipv4=mgmt_ipv4,
        startup_config=startup_path,
        labels={str(k): str(v) for k, v in labels.items()},
        exec_lines=_expand_exec(path, field, exec_lines, binds),
        binds=binds,
    )


def _is_address(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _is_network(text: Any) -> bool:
    try:
        ipaddress.IPv4Network(text, strict=False)
    except (ValueError, TypeError):
        return False
    return isinstance(text, str)


def _expand_exec(path: Path, field: str, exec_lines: list[str], binds: list[str]) -> list[str]:
    """Inline the CE scripts that `exec` runs from `binds` (the published lab's form)."""
    mounted: dict[str, Path] = {}
    for bind in binds:
        parts = bind.split(":")
        if len(parts) >= 2:
            mounted[parts[1]] = (path.parent / parts[0]).resolve()

    def host_path(inside: str) -> Path | None:
        """The host file behind a path inside the CE: a file bind, or under a directory one."""
        if inside in mounted:
            return mounted[inside]
        for target, source in mounted.items():
            prefix = target.rstrip("/") + "/"
            if inside.startswith(prefix):
                return source / inside[len(prefix):]
        return None

    out: list[str] = []
    for line in exec_lines:
        words = shlex.split(line, comments=False) if line.strip() else []
        script = None
        if words and Path(words[0]).name in ("bash", "sh"):  # `/bin/bash -x /x.sh` too
            args = [w for w in words[1:] if not w.startswith("-")]
            script = host_path(args[0]) if len(args) == 1 else None
        elif len(words) == 1:
            script = host_path(words[0])
        if script is None:
            out.append(line.strip())
            continue
        try:
            body = script.read_text(encoding="utf-8")
        except UnicodeDecodeError:  # a program in a bound directory, not a script: nothing to read
            out.append(line.strip())
            continue
        except OSError:
            raise TopologyError(f"{path}: field '{field}.binds' script not found: {script}") from None
        pending = ""
        for raw in body.splitlines():
            sline = raw.strip()
            if sline.startswith("#") and not pending:  # a comment never continues (bash)
                continue
            if sline.endswith("\\"):  # `\` continues a command on the next line
                pending += sline[:-1] + " "
                continue
            sline, pending = (pending + sline).strip(), ""
            if sline:
                out.append(sline)
        if pending.strip():
            out.append(pending.strip())
    return out


def _parse_links(path: Path, raw_links: Any, nodes: dict[str, Node]) -> list[Link]:
    if not isinstance(raw_links, list):
        raise TopologyError(f"{path}: field 'topology.links' must be a list")
    used: dict[tuple[str, str], int] = {}
    links: list[Link] = []
    for i, item in enumerate(raw_links):
        field = f"topology.links[{i}].endpoints"
        eps = item.get("endpoints") if isinstance(item, dict) else None
        if not isinstance(eps, list) or len(eps) != 2 or not all(isinstance(e, str) for e in eps):
            raise TopologyError(f"{path}: field '{field}' must be a list of two 'node:interface'")
        ends = []
        for raw_ep in eps:
            node, sep, iface = raw_ep.partition(":")
            if not sep or not iface:
                raise TopologyError(f"{path}: field '{field}' has malformed endpoint {raw_ep!r}")
            if node not in nodes:
                raise TopologyError(f"{path}: field '{field}' names unknown node {node!r}")
            if nodes[node].is_srl:
                norm = normalise_srl_interface(iface)
                if norm is None:
                    raise TopologyError(
                        f"{path}: field '{field}' has malformed interface {raw_ep!r} "
                        "(expected e1-N or ethernet-1/N)"
                    )
            else:
                if not _LINUX_IF.match(iface):
                    raise TopologyError(
                        f"{path}: field '{field}' has malformed interface {raw_ep!r}"
                    )
                norm = iface
            key = (node, norm)
            if key in used:
                raise TopologyError(
                    f"{path}: field '{field}' uses interface {node}:{norm} already used in "
                    f"topology.links[{used[key]}]"
                )
            used[key] = i
            ends.append(Endpoint(node=node, interface=norm))
        links.append(Link(a=ends[0], b=ends[1]))
    return links
