"""Parse a containerlab topology file into validated pydantic models.

Both lab forms are read: CE commands inline in `exec`, and CE scripts reached through
`binds` (`configs/ce1-config.sh:/ce1-config.sh` + `exec: bash /ce1-config.sh`), with paths
relative to the topology file. Every problem becomes one `TopologyError` line naming the
file, the field and the value.
"""

from __future__ import annotations

import ipaddress
import os
import re
import shlex
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nornir_evpn.errors import TopologyError
from nornir_evpn.inputs import read_text
from nornir_evpn.platform import ETHERNET_PORT_MAX
from nornir_evpn.validation import NAME_RE, check_mac

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
    mgmt_ipv6: str | None = None
    startup_config: Path | None = None
    startup_inline: str | None = None  # containerlab's embedded form: the config text itself
    startup_url: str | None = None  # containerlab downloads it at deploy time
    labels: dict[str, str] = Field(default_factory=dict)
    exec_lines: list[str] = Field(default_factory=list)
    binds: list[str] = Field(default_factory=list)

    @property
    def is_srl(self) -> bool:
        return self.kind == "srl"

    def startup_text(self) -> str:
        """The startup config's text ("" without one). Read only by what boots the node (the
        twin): an inventory for a lab deployed elsewhere needs none of these files."""
        if self.startup_inline is not None:
            return self.startup_inline
        if self.startup_url is not None:
            raise TopologyError(f"{self.name}: startup-config {self.startup_url} is a URL: the twin "
                                "reads local files only; download it and give its path")
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
    nodes: dict[str, Node]
    links: list[Link]
    # what the file has that is not part of the fabric, and is left out (said by `inventory`)
    notes: list[str] = Field(default_factory=list)

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
        # srl_nokia-common.yang interface-all: slot 1..99, port 1..128
        if m and 1 <= int(m.group(1)) <= 99 and 1 <= int(m.group(2)) <= ETHERNET_PORT_MAX:
            return f"ethernet-{int(m.group(1))}/{int(m.group(2))}"
    return None


def load_topology(path: str | Path) -> Topology:
    """Read and validate a containerlab topology file."""
    path = Path(path)
    return parse_topology(read_text(path, TopologyError), path)


# libyaml's parser when PyYAML has it (every wheel does): a 128-leaf fabric's inventory takes
# ~1.5 s of CPU to parse in pure Python, ~0.2 s with libyaml. The inventory loader builds on it.
SafeYamlLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class UniqueKeyLoader(SafeYamlLoader):  # type: ignore[valid-type,misc]
    """SafeYamlLoader that refuses a key given twice in one mapping (YAML keeps the last:
    a node or host defined twice would silently be the second one)."""


MERGE_TAG = "tag:yaml.org,2002:merge"


def _construct_mapping(loader: Any, node: yaml.MappingNode) -> dict[Any, Any]:
    # Fast path (most mappings): as many keys built as given means none repeats. Building
    # and hashing every key a second time doubled a 128-leaf inventory's parse (80 ms).
    # Scalar keys only (no merge key, no list or mapping as a key: those take the long way).
    if all(isinstance(k, yaml.ScalarNode) and k.tag != MERGE_TAG for k, _ in node.value):
        mapping = loader.construct_mapping(node)
        if len(mapping) == len(node.value):
            return mapping
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == MERGE_TAG:  # `<<: *anchor`: construct_mapping merges it, keys given here win
            continue
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
    """Validate topology YAML text; `path` locates relative files and names errors.

    What containerlab does to the file before deploying it is done here too: environment
    variables are substituted (`expand_env`), the magic variables are replaced, and each
    node inherits from `defaults`, its kind and its group as containerlab's do."""
    path = path.resolve()
    try:
        raw = yaml.load(expand_env(text), Loader=UniqueKeyLoader)
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
    if isinstance(name, str) and any(v in name for v in GIT_VARS):
        name = _git_name(name, path.parent)
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
    mgmt = raw.get("mgmt") or {}
    if not isinstance(mgmt, dict):
        raise TopologyError(f"{path}: field 'mgmt' must be a mapping")
    subnet = mgmt.get("ipv4-subnet")
    if subnet == "auto":  # containerlab picks a free subnet at deploy time
        subnet = None
    elif subnet is not None and not _is_network(subnet):
        raise TopologyError(f"{path}: field 'mgmt.ipv4-subnet' has invalid value {subnet!r}")
    raw_nodes = topo.get("nodes")
    if not isinstance(raw_nodes, dict) or not raw_nodes:
        raise TopologyError(f"{path}: field 'topology.nodes' is missing or empty")
    levels = _levels(path, topo)
    lab = _LabDirs(path.parent / f"clab-{name}")
    nodes = {n: _parse_node(path, n, _inherit(path, n, spec, levels), lab) for n, spec in raw_nodes.items()}
    owners: dict[str, str] = {}
    for node in nodes.values():
        if node.mgmt_ipv4 is not None:
            if node.mgmt_ipv4 in owners:
                raise TopologyError(f"{path}: nodes {owners[node.mgmt_ipv4]!r} and {node.name!r} "
                                    f"have the same mgmt-ipv4 {node.mgmt_ipv4}")
            owners[node.mgmt_ipv4] = node.name
    notes: list[str] = []
    free = sorted({g for spec in raw_nodes.values() if isinstance(spec, dict)
                   and isinstance(g := spec.get("group"), str) and g not in levels["groups"]})
    if free:
        notes.append(f"group(s) {', '.join(free)}: not in topology.groups, nothing inherited from them")
    macs: dict[tuple[str, str], str] = {}
    links = _parse_links(path, topo.get("links") or [], nodes, notes, macs)
    for (node_name, iface), mac in macs.items():  # containerlab gives the port its MAC before `exec` runs
        node = nodes[node_name]
        node.exec_lines = [f"ip link set dev {iface} address {mac}", *node.exec_lines]
    wired = {ep.node for link in links for ep in (link.a, link.b)}
    unwired = sorted(n for n, node in nodes.items() if node.kind == "linux" and n not in wired)
    if unwired:  # a collector, a dashboard: no CE, as nothing connects it to the fabric
        notes.append(f"{', '.join(unwired)}: linux node(s) with no link at all, left out (not CEs)")
        nodes = {n: node for n, node in nodes.items() if n not in unwired}
    try:
        return Topology(
            name=name,
            path=path,
            prefix=prefix,
            mgmt_subnet=subnet,
            nodes=nodes,
            links=links,
            notes=notes,
        )
    except ValidationError as exc:  # pragma: no cover - fields are pre-validated above
        err = exc.errors()[0]
        raise TopologyError(f"{path}: field '{'.'.join(map(str, err['loc']))}': {err['msg']}") from None


# --------------------------------------------------------------------------- what containerlab substitutes

# containerlab runs the file through hellt/envsubst v0.2.0 (restricted, "no replace";
# core/file.go): `$V` and `${V}` give V's value, and `$V` when V is unset or empty; `${V:-d}`
# and `${V:=d}` give d then; `${V-d}` and `${V=d}` give d only when V is unset; `${V+a}` and
# `${V:+a}` give a when V is set, else nothing. A default that is one variable (`${V:-$W}`)
# is W's value (or `$W`); any other is text (`${V:-x$W}` keeps `$W`); an empty one is none.
# `$$` is a `$`; `$1` and `${1}` are left alone.
_ENV_RE = re.compile(r"\$(?:(\$)|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-=+])([^}\n]*))?\}|([A-Za-z_][A-Za-z0-9_]*))")


_DEFAULT_VAR_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def expand_env(text: str, env: Mapping[str, str] | None = None) -> str:
    """`text` with environment variables substituted as containerlab does to a topology file."""
    env = os.environ if env is None else env

    def one(m: re.Match[str]) -> str:
        dollar, braced, op, default, bare = m.groups()
        if dollar:
            return "$"
        name = braced or bare
        if name == "_":
            return m.group(0)
        value = env.get(name, "")
        plain = value or f"${name}"
        if op is None or not default:
            return plain
        if (var := _DEFAULT_VAR_RE.fullmatch(default)) is not None:
            default = env.get(var.group(1), "") or default
        if op in ("+", ":+"):
            return default if name in env else ""
        if op in (":-", ":="):
            return value or default
        return plain if name in env else default  # "-", "="

    return _ENV_RE.sub(one, text)


GIT_VARS = ("__gitBranch__", "__gitHash__")


def _git_name(name: str, directory: Path) -> str:
    """The lab name with containerlab's git variables replaced: the branch (a `/` made `-`)
    and the 7-digit commit of the repository at the topology's directory, `none` otherwise.
    containerlab opens `<directory>/.git` only (go-git PlainOpen, core/config.go getGitInfo):
    a topology in a subdirectory of a repository is `none` too. Where it cannot resolve HEAD
    (no commit yet; a linked worktree, whose `.git` is a file) the branch HEAD names, commit
    `none`. The environment's GIT_* variables and git's ownership check do not apply to it."""
    def git(*args: str) -> str:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        try:
            out = subprocess.run(["git", "-c", "safe.directory=*", "-C", str(directory), *args],
                                 capture_output=True, text=True, timeout=10, check=False,
                                 env={**env, "GIT_CEILING_DIRECTORIES": str(directory.parent)})
        except (OSError, subprocess.SubprocessError):
            return "none"
        return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "none"

    branch, commit = "none", "none"
    dot_git = directory / ".git"
    if dot_git.is_dir():
        commit = git("rev-parse", "--short=7", "HEAD")
    if dot_git.exists():
        branch = git("rev-parse", "--abbrev-ref", "HEAD") if commit != "none" else git("symbolic-ref", "--short", "HEAD")
    return name.replace("__gitBranch__", branch.replace("/", "-")).replace("__gitHash__", commit)


class _LabDirs:
    """containerlab's magic variables of a node: replaced in its startup-config, binds, exec."""

    def __init__(self, lab_dir: Path) -> None:
        self.lab_dir = lab_dir

    def replace(self, text: str, node: str) -> str:
        for var, value in (("__clabDir__", str(self.lab_dir)), ("__clabLabName__", self.lab_dir.name),
                           ("__clabNodeDir__", str(self.lab_dir / node)), ("__clabNodeName__", node)):
            text = text.replace(var, value)
        return text


# --------------------------------------------------------------------------- inheritance

_Levels = dict[str, Any]


def _levels(path: Path, topo: dict[str, Any]) -> _Levels:
    """`defaults`, `kinds` and `groups`, checked to be mappings."""
    out: _Levels = {}
    for key in ("defaults", "kinds", "groups"):
        value = topo.get(key) or {}
        if not isinstance(value, dict):
            raise TopologyError(f"{path}: field 'topology.{key}' must be a mapping")
        if key == "defaults":  # one node's settings; kinds and groups map names to them
            out[key] = value
            continue
        for name, spec in value.items():
            if spec is not None and not isinstance(spec, dict):
                raise TopologyError(f"{path}: field 'topology.{key}.{name}' must be a mapping")
        out[key] = {k: v or {} for k, v in value.items()}
    return out


def _inherit(path: Path, name: Any, spec: Any, levels: _Levels) -> Any:
    """A node's spec as containerlab resolves it (types/topology.go): a setting is the node's,
    else its group's, else its kind's, else the defaults'; `exec` lists are joined (defaults
    first, duplicates dropped), `binds` merged by path inside the node (the most specific
    wins), `labels` merged. The kind is the node's, its group's or the defaults'; the group the
    node's, its kind's or the defaults'."""
    if spec is not None and not isinstance(spec, dict):
        return spec  # _parse_node reports it
    spec = dict(spec or {})
    defaults, kinds, groups = levels["defaults"], levels["kinds"], levels["groups"]

    def group_of(group_name: Any, where: str) -> dict[str, Any]:
        """A group's settings; a name `groups` lacks gives none (containerlab: a group is also
        free text, which `containerlab graph` lays nodes out by)."""
        if group_name is None:
            return {}
        if not isinstance(group_name, str):
            raise TopologyError(f"{path}: field '{where}.group' must be a string, got {group_name!r}")
        return groups.get(group_name, {})

    field = f"topology.nodes.{name}"
    kind = (spec.get("kind") or group_of(spec.get("group"), field).get("kind")
            or group_of(defaults.get("group"), "topology.defaults").get("kind") or defaults.get("kind"))
    kind_spec = kinds.get(kind, {}) if isinstance(kind, str) else {}
    group_name = spec.get("group") or kind_spec.get("group") or defaults.get("group")
    group = group_of(group_name, field)
    out: dict[str, Any] = {}
    exec_lines: list[str] = []
    binds: dict[str, str] = {}
    labels: dict[Any, Any] = {}
    for at, level in (("topology.defaults", defaults), (f"topology.kinds.{kind}", kind_spec),
                      (f"topology.groups.{group_name}", group), (field, spec)):  # least specific first
        for key, value in level.items():
            if value is not None and value != "":
                out[key] = value
        for line in _strings(path, f"{at}.exec", level.get("exec")):
            if line not in exec_lines:
                exec_lines.append(line)
        for bind in _strings(path, f"{at}.binds", level.get("binds")):
            binds[_bind_target(bind) or bind] = bind
        node_labels = level.get("labels") or {}
        if not isinstance(node_labels, dict):
            raise TopologyError(f"{path}: field '{at}.labels' must be a mapping")
        labels.update(node_labels)
    out["kind"] = kind
    out["mgmt-ipv4"] = spec.get("mgmt-ipv4", spec.get("mgmt_ipv4"))  # a node's own, never inherited
    out["mgmt-ipv6"] = spec.get("mgmt-ipv6", spec.get("mgmt_ipv6"))
    out["exec"], out["binds"], out["labels"] = exec_lines, list(binds.values()), labels
    return out


def _bind_target(bind: str) -> str | None:
    """The path inside the node of a bind `source:target[:options]`; None without one."""
    parts = bind.split(":")
    return parts[1] if len(parts) >= 2 else None


def _strings(path: Path, field: str, value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(x, str) for x in value):
        raise TopologyError(f"{path}: field '{field}' must be a list of strings")
    return value


_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _parse_node(path: Path, name: Any, spec: Any, lab: _LabDirs) -> Node:
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
    labels = spec.get("labels") or {}
    for key, value in labels.items():
        # a label is one value; a nested one could be an alias bomb whose str() never ends
        if isinstance(value, (list, dict, set, tuple)) or isinstance(key, (list, dict, tuple)):
            raise TopologyError(f"{path}: field '{field}.labels.{key}' must be a single value, "
                                f"got a {type(value).__name__}")
    exec_lines = [lab.replace(line, name) for line in spec["exec"]]
    binds = [lab.replace(source, name) + sep + rest
             for source, sep, rest in (b.partition(":") for b in spec["binds"])]  # the host side only
    for key in ("image", "type", "startup-config"):
        if spec.get(key) is not None and not isinstance(spec[key], str):
            raise TopologyError(f"{path}: field '{field}.{key}' must be a string, got {spec[key]!r}")
    mgmt_ipv4 = spec.get("mgmt-ipv4")
    if mgmt_ipv4 is not None and not (isinstance(mgmt_ipv4, str) and _is_address(mgmt_ipv4)):
        raise TopologyError(f"{path}: field '{field}.mgmt-ipv4' has invalid IPv4 address {mgmt_ipv4!r}")
    mgmt_ipv6 = spec.get("mgmt-ipv6")
    if mgmt_ipv6 is not None and not (isinstance(mgmt_ipv6, str) and _is_address(mgmt_ipv6, 6)):
        raise TopologyError(f"{path}: field '{field}.mgmt-ipv6' has invalid IPv6 address {mgmt_ipv6!r}")
    startup = lab.replace(spec["startup-config"], name) if spec.get("startup-config") else None
    inline = startup if startup is not None and "\n" in startup else None  # containerlab: embedded
    url = startup if startup is not None and inline is None and _URL_RE.match(startup) else None
    return Node(
        name=name,
        kind=norm_kind,
        image=spec.get("image"),
        type=spec.get("type"),
        mgmt_ipv4=mgmt_ipv4,
        mgmt_ipv6=mgmt_ipv6,
        startup_config=(path.parent / startup).resolve() if startup and not (inline or url) else None,
        startup_inline=inline,
        startup_url=url,
        labels={str(k): str(v) for k, v in labels.items()},
        exec_lines=_expand_exec(path, field, exec_lines, binds),
        binds=binds,
    )


def _is_address(text: str, version: int = 4) -> bool:
    try:
        (ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address)(text)
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
        if (target := _bind_target(bind)) is not None:
            mounted[target] = (path.parent / bind.partition(":")[0]).resolve()

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


# containerlab's links that join no two lab nodes: a node to the host, the management network,
# a host interface (macvlan), a VXLAN tunnel, a dummy interface. They carry nothing of the fabric.
OUTSIDE_LINK_TYPES = {"host", "mgmt-net", "macvlan", "vxlan", "vxlan-stitch", "dummy"}
OUTSIDE_ENDPOINTS = {"host", "mgmt-net", "macvlan"}  # the brief form's `host:veth0`


def _parse_links(path: Path, raw_links: Any, nodes: dict[str, Node], notes: list[str],
                 macs: dict[tuple[str, str], str]) -> list[Link]:
    """The links between lab nodes, in containerlab's brief form (`endpoints: ["leaf1:e1-1",
    "ce1:eth1"]`) or its extended one (`type: veth`, `endpoints: [{node:, interface:}, ...]`).
    Links to the outside (host, mgmt-net, macvlan, vxlan, dummy) are left out, with a note.
    The `mac` an extended endpoint of a linux node gives its port goes in `macs`."""
    if not isinstance(raw_links, list):
        raise TopologyError(f"{path}: field 'topology.links' must be a list")
    used: dict[tuple[str, str], int] = {}
    links: list[Link] = []
    outside: list[str] = []
    addressed: list[str] = []
    ce_addressed: list[str] = []
    for i, item in enumerate(raw_links):
        field = f"topology.links[{i}].endpoints"
        link_type = item.get("type") if isinstance(item, dict) else None
        if link_type in OUTSIDE_LINK_TYPES:
            outside.append(f"links[{i}] ({link_type})")
            continue
        if link_type not in (None, "veth"):
            raise TopologyError(f"{path}: field 'topology.links[{i}].type' has unsupported link type "
                                f"{link_type!r} (expected veth, or one to the outside: "
                                f"{', '.join(sorted(OUTSIDE_LINK_TYPES))})")
        eps = item.get("endpoints") if isinstance(item, dict) else None
        if link_type == "veth":
            if not isinstance(eps, list) or len(eps) != 2 or not all(
                    isinstance(e, dict) and isinstance(e.get("node"), str) and isinstance(e.get("interface"), str)
                    for e in eps):
                raise TopologyError(f"{path}: field '{field}' must be a list of two "
                                    "{node: ..., interface: ...} (type: veth)")
            fabric_addressed = False
            for j, e in enumerate(eps):
                on_ce = e["node"] in nodes and not nodes[e["node"]].is_srl
                if e.get("ipv4") or e.get("ipv6"):
                    if on_ce:
                        ce_addressed.append(f"links[{i}] ({e['node']})")
                    else:
                        fabric_addressed = True
                if on_ce and e.get("mac") is not None:
                    try:
                        mac = check_mac(e["mac"], f"topology.links[{i}].endpoints[{j}].mac")
                    except ValueError as exc:
                        raise TopologyError(f"{path}: {exc}") from None
                    macs[(e["node"], e["interface"])] = mac.lower()
            if fabric_addressed:
                addressed.append(f"links[{i}]")
            eps = [f"{e['node']}:{e['interface']}" for e in eps]
        elif not isinstance(eps, list) or len(eps) != 2 or not all(isinstance(e, str) for e in eps):
            raise TopologyError(f"{path}: field '{field}' must be a list of two 'node:interface'")
        elif item.get("ipv4") or item.get("ipv6"):
            addressed.append(f"links[{i}]")
        if any(e.partition(":")[0] in OUTSIDE_ENDPOINTS and e.partition(":")[0] not in nodes for e in eps):
            outside.append(f"links[{i}] ({', '.join(eps)})")
            continue
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
                    breakout = re.fullmatch(r"e\d+-\d+-\d+|ethernet-\d+/\d+/\d+", iface)
                    raise TopologyError(
                        f"{path}: field '{field}' has {'a breakout port' if breakout else 'malformed interface'} "
                        f"{raw_ep!r} " + ("(breakout ports are not supported: wire the link to an e1-N port)" if breakout
                                          else "(expected eS-N or ethernet-S/N: slot S from 1 to 99, port N from 1 to 128)")
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
    if outside:
        notes.append(f"{', '.join(outside)}: link(s) to the outside of the lab, left out")
    if addressed:
        notes.append(f"{', '.join(addressed)}: the link addresses the topology gives (ipv4/ipv6) are "
                     "not used: the intent derives the fabric's own, and containerlab's stay on the "
                     "device beside them: remove them from the topology")
    if ce_addressed:
        notes.append(f"{', '.join(ce_addressed)}: a CE's addresses are read from its exec commands "
                     "(`ip addr add ADDR dev IF`), not from a link endpoint's ipv4/ipv6: give them there, "
                     "or the tool knows no address of that CE")
    return links
