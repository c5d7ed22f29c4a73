"""SR Linux configuration as a token trie, with just enough schema to behave like SR Linux.

A path is a tuple of CLI tokens, e.g.
``("interface", "ethernet-1/49", "subinterface", "0", "ipv4", "address", "192.168.11.1/30")``.
There is no YANG here: a few tables say which tokens are keyed lists, which are leaf-lists
and which are containers, and that is enough to print `info`, `info flat` and `diff` the way
SR Linux does and to give `set` leaf-replace semantics (`admin-state enable` then
`admin-state disable` keeps one value).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence

# Keyed lists: the token consumes the next token as its key.
LISTS: frozenset[str] = frozenset(
    {
        "interface",
        "subinterface",
        "network-instance",
        "neighbor",
        "group",
        "afi-safi",
        "policy",
        "bgp-instance",
        "ethernet-segment",
        "tunnel-interface",
        "vxlan-interface",
        "address",
        "member",
        "statement",
        "prefix-set",
        "prefix",
        "community-set",
        "route",
        "next-hop-group",
        "next-hop",
        "user",
        "server",
        "mac",
        "static-mac",
        "dynamic-neighbors",
        "accept",
    }
)

# (nearest enclosing schema name, token): the token is NOT a list there although it is one
# elsewhere. `/system network-instance protocols evpn` is a container; a bgp-evpn
# bgp-instance's `vxlan-interface vxlan1.1` is a leaf reference.
NOT_LIST_UNDER: frozenset[tuple[str, str]] = frozenset(
    {
        ("system", "network-instance"),
        ("bgp-instance", "vxlan-interface"),
        ("dynamic-neighbors", "accept"),
        ("policy-result", "accept"),  # `default-action policy-result accept`: a value
    }
)

# Leaf-lists: `export-policy all` and `export-policy [ all ]` store the same path.
LEAF_LISTS: frozenset[str] = frozenset({"export-policy", "import-policy", "members"})
# Leaf-lists learnt from a `[ ... ]` typed or loaded at them, by schema path (the path's names,
# list keys left out: `system dns server-list`): SR Linux's YANG has 166 leaf-list names, many
# of them leaves or containers elsewhere (`address`, `type`), so a name alone would mislead.
# The schema is every node's, so one set serves the twin's nodes.
_LEARNT_LEAF_LISTS: set[tuple[str, ...]] = set()


def learn_leaf_list(path: Sequence[str]) -> None:
    """The last token of `path` names a leaf-list (it was given a `[ ... ]`)."""
    if not path or path[-1] in LEAF_LISTS:
        return
    role = roles(path[:-1])
    schema = (*(t for t, r in zip(path[:-1], role, strict=True) if r not in ("key", "value")), path[-1])
    if schema not in _LEARNT_LEAF_LISTS:
        _LEARNT_LEAF_LISTS.add(schema)
        _roles.cache_clear()


def forget_learnt_leaf_lists() -> None:
    """Back to the leaf-lists known by name only (a new twin, a test of its own)."""
    _LEARNT_LEAF_LISTS.clear()
    _roles.cache_clear()

# Tokens that are containers even when empty and alone under their parent, so
# `encap { untagged { } }` does not print as a leaf `encap untagged`, a typed
# `/system network-instance protocols` navigates instead of setting a leaf, and a value is
# never replaced by (or replaces) a container.
CONTAINERS: frozenset[str] = frozenset(
    {
        "untagged",
        "default-action",
        "bgp-vpn",
        "bgp-evpn",
        "bgp",
        "evpn",
        "ethernet-segments",
        "protocols",
        "lag",
        "ethernet",
        "vlan",
        "encap",
        "single-tagged",
        "ipv4",
        "ipv6",
        "transport",
        "timers",
        "route-target",
        "ingress",
        "egress",
        "local-as",
        "routing-policy",
        "system",
        "dhcp-client",
        "mac-learning",
        "mac-duplication",
        "bridge-table",
        "ipv4-unicast",
        "evpn-unicast",
        "l2vpn-evpn",
        "df-election",
        "algorithm",
        "preference-alg",
    }
)

# Containers without a YANG `presence` (srl_nokia-interfaces.yang, srl_nokia-interfaces-vlans
# .yang): one whose last child is deleted is gone. (`lag`, `untagged`, `bgp` are presence
# containers: they stay.)
NON_PRESENCE: frozenset[str] = frozenset({"ethernet", "vlan", "encap"})

_NATURAL = re.compile(r"(\d+)")
_NEEDS_QUOTES = re.compile(r"[\s\"{}\[\];#]|^$")


@functools.lru_cache(maxsize=65536)  # the same tokens recur on every node and every sort
def natural_key(token: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key giving SR Linux's order: ethernet-1/2 before ethernet-1/10."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in _NATURAL.split(token) if part
    )


def quote(token: str) -> str:
    """Quote a token for printing when it would not survive tokenizing as-is."""
    if _NEEDS_QUOTES.search(token):
        return '"' + token.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return token


def tokenize(line: str) -> list[str]:
    """Split a CLI line into tokens; double-quoted strings are one token, `#` starts a comment."""
    if '"' not in line and "#" not in line:
        return line.split()  # the common case, and the same answer: whitespace only
    tokens: list[str] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch.isspace():
            i += 1
        elif ch == "#":
            break
        elif ch == '"':
            i += 1
            buf: list[str] = []
            while i < n and line[i] != '"':
                if line[i] == "\\" and i + 1 < n:
                    i += 1
                buf.append(line[i])
                i += 1
            i += 1  # closing quote (tolerate a missing one, as the CLI does)
            tokens.append("".join(buf))
        else:
            j = i
            while j < n and not line[j].isspace() and line[j] != '"':
                j += 1
            tokens.append(line[i:j])
            i = j
    return tokens


def roles(path: Sequence[str]) -> tuple[str, ...]:
    """Schema role of each token: "list", "key", "leaf-list", "value" or "name"."""
    return _roles(tuple(path))


@functools.lru_cache(maxsize=1 << 16)  # prefixes repeat on every node and every `info`/diff
def _roles(path: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    enclosing = ""
    schema: tuple[str, ...] = ()  # the names so far, keys and values left out
    for token in path:
        prev = out[-1] if out else ""
        if prev == "list":
            out.append("key")
        elif prev in ("leaf-list", "value"):
            out.append("value")
        elif token in LEAF_LISTS or (_LEARNT_LEAF_LISTS and (*schema, token) in _LEARNT_LEAF_LISTS):
            out.append("leaf-list")
        elif token in LISTS and (enclosing, token) not in NOT_LIST_UNDER:
            out.append("list")
            enclosing = token
        else:
            out.append("name")
            enclosing = token
        if _LEARNT_LEAF_LISTS and out[-1] not in ("key", "value"):  # (nothing learnt: no schema needed)
            schema = (*schema, token)
    return tuple(out)


def _expand_brackets(path: Sequence[str]) -> tuple[list[str], list[str] | None]:
    """Split `... export-policy [ a b ]` into the prefix and the bracketed values."""
    if "[" not in path:
        return list(path), None
    start = list(path).index("[")
    values = [t for t in path[start + 1 :] if t != "]"]
    return list(path[:start]), values


class ConfigTree:
    """One node of the configuration trie; the root is the whole configuration."""

    __slots__ = ("children",)

    def __init__(self) -> None:
        self.children: dict[str, ConfigTree] = {}

    # -- mutation -------------------------------------------------------------------------
    def set(self, path: Sequence[str]) -> None:
        """Create `path`; a trailing `name value` replaces the previous value of that leaf."""
        prefix, values = _expand_brackets(path)
        if values is not None:
            learn_leaf_list(prefix)
            node = self._walk_create(prefix)
            node.children = {v: ConfigTree() for v in values}
            return
        if not prefix:
            return
        role = roles(prefix)
        if "leaf-list" in role:
            # a leaf-list value is a leaf: nothing can hang below it
            cut = role.index("leaf-list") + 2
            prefix, role = prefix[:cut], role[:cut]
        leafish = len(prefix) >= 2 and (
            role[-2] == "leaf-list"
            or (role[-2] == "name" and role[-1] == "name" and prefix[-2] not in CONTAINERS)
        )
        if leafish and role[-2] == "leaf-list":
            self._walk_create(prefix[:-1]).children = {prefix[-1]: ConfigTree()}
            return
        if leafish:
            parent = self._walk_create(prefix[:-1])
            # Replace only while the node still looks like a leaf: a node that already has
            # grandchildren (or a known container child) is a container whose other
            # children must survive.
            looks_like_leaf = all(
                not c.children and t not in CONTAINERS and roles((*prefix[:-1], t))[-1] == "name"
                for t, c in parent.children.items()
            )
            if looks_like_leaf and prefix[-1] not in CONTAINERS:
                kept = parent.children.get(prefix[-1], ConfigTree())
                parent.children = {prefix[-1]: kept}
            else:
                parent.children.setdefault(prefix[-1], ConfigTree())
            return
        self._walk_create(prefix)

    def ensure(self, path: Sequence[str]) -> ConfigTree:
        """Create `path` without leaf-replace (a `{` block opening) and return its node."""
        return self._walk_create(path)

    def _walk_create(self, path: Sequence[str]) -> ConfigTree:
        node = self
        for token in path:
            node = node.children.setdefault(token, ConfigTree())
        return node

    def delete(self, path: Sequence[str]) -> bool:
        """Remove the subtree at `path`; False if it does not exist."""
        prefix, values = _expand_brackets(path)
        if not prefix:
            had = bool(self.children)
            self.children = {}
            return had
        parent = self.get(prefix[:-1])
        if parent is None or prefix[-1] not in parent.children:
            return False
        if values is not None:
            node = parent.children[prefix[-1]]
            removed = [v for v in values if node.children.pop(v, None) is not None]
            return bool(removed)
        del parent.children[prefix[-1]]
        # an emptied non-presence container is not configuration: no bare `set / interface
        # ethernet-1/1 ethernet` once its aggregate-id is deleted
        while len(prefix) >= 2 and not parent.children and prefix[-2] in NON_PRESENCE:
            prefix = prefix[:-1]
            parent = self.get(prefix[:-1])
            assert parent is not None
            del parent.children[prefix[-1]]
        # a list's last entry (or a leaf-list's last value) gone, the list is gone: no bare
        # `set / interface e1-1 subinterface` or `... export-policy` line
        if len(prefix) >= 2 and not parent.children and roles(tuple(prefix))[-1] in ("key", "value"):
            grandparent = self.get(prefix[:-2])
            if grandparent is not None:
                grandparent.children.pop(prefix[-2], None)
        return True

    def merge(self, other: ConfigTree) -> None:
        """Add every path of `other` to this tree (set semantics, path by path)."""
        for path in other.paths():
            self.set(path)

    # -- queries --------------------------------------------------------------------------
    def get(self, path: Sequence[str]) -> ConfigTree | None:
        node: ConfigTree | None = self
        for token in path:
            assert node is not None
            node = node.children.get(token)
            if node is None:
                return None
        return node

    def expand(self, path: Sequence[str]) -> list[tuple[str, ...]]:
        """The paths `path` names, each `*` standing for every key there, in SR Linux order."""
        found: list[tuple[str, ...]] = [()]
        for token in path:
            nxt: list[tuple[str, ...]] = []
            for p in found:
                node = self.get(p)
                if node is None:
                    continue
                if token == "*":
                    nxt += [(*p, key) for key in sorted(node.children, key=natural_key)]
                elif token in node.children:
                    nxt.append((*p, token))
            found = nxt
        return found

    def exists(self, path: Sequence[str]) -> bool:
        return self.get(path) is not None

    def value(self, path: Sequence[str]) -> str | None:
        """The single child token of a leaf path, None if absent or not a single value."""
        node = self.get(path)
        if node is None or len(node.children) != 1:
            return None
        return next(iter(node.children))

    def keys(self, path: Sequence[str]) -> list[str]:
        """Child tokens at `path` in SR Linux (natural) order; [] if absent."""
        node = self.get(path)
        return sorted(node.children, key=natural_key) if node else []

    def copy(self) -> ConfigTree:
        new = ConfigTree()
        new.children = {k: v.copy() for k, v in self.children.items()}
        return new

    def _sorted(self) -> list[tuple[str, ConfigTree]]:
        return sorted(self.children.items(), key=lambda kv: natural_key(kv[0]))

    def _iter_paths(self, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        if not self.children:
            if prefix:
                yield prefix
            return
        for token, child in self._sorted():
            yield from child._iter_paths((*prefix, token))

    def paths(self) -> list[tuple[str, ...]]:
        """Every root-to-leaf token path, in SR Linux order."""
        return list(self._iter_paths(()))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ConfigTree):
            return NotImplemented
        return self.children == other.children

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"ConfigTree({len(self.paths())} leaves)"

    # -- printing -------------------------------------------------------------------------
    def flat(self, prefix: Sequence[str] = ()) -> list[str]:
        """`info flat` lines, e.g. `set / interface ethernet-1/1 admin-state enable`."""
        node = self.get(prefix)
        if node is None:
            return []
        return [_flat_line(p) for p in _flat_paths(node, tuple(prefix))]

    def render(self, prefix: Sequence[str] = ()) -> str:
        """Hierarchical `info` text: 4-space indents and `{ }` blocks, as SR Linux prints."""
        node = self.get(prefix)
        if node is None:
            return ""
        lines: list[str] = []
        _render_body(node, tuple(prefix), 0, lines, mark="")
        return "\n".join(lines)


def _flat_paths(node: ConfigTree, prefix: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """Leaf paths; a multi-valued leaf-list becomes one `name [ a b ]` path."""
    if prefix and roles(prefix)[-1] == "leaf-list" and len(node.children) > 1:
        yield (*prefix, "[", *node.children, "]")  # in the order given: a policy chain's order
        return
    if not node.children:
        if prefix:
            yield prefix
        return
    items = node._sorted()
    if prefix and roles(prefix)[-1] == "name":
        # A container's sub-containers print before its bare tokens, so that re-reading the
        # lines sees a container (not a leaf to replace) when the bare tokens arrive.
        items.sort(key=lambda kv: not kv[1].children)
    for token, child in items:
        yield from _flat_paths(child, (*prefix, token))


def _flat_line(path: Sequence[str]) -> str:
    return "set / " + " ".join(t if t in ("[", "]") else quote(t) for t in path)


def _is_leaf(name: str, node: ConfigTree) -> bool:
    """A `name value` line: one childless child that is not a known container."""
    if len(node.children) != 1:
        return False
    (child_token, child), = node.children.items()
    return not child.children and child_token not in CONTAINERS


def _render_body(
    node: ConfigTree, path: tuple[str, ...], depth: int, lines: list[str], mark: str
) -> None:
    """Render the children of a container/list-entry node at `depth`."""
    for token, child in node._sorted():
        _render_child(token, child, (*path, token), depth, lines, mark)


def _render_child(
    token: str,
    child: ConfigTree,
    path: tuple[str, ...],
    depth: int,
    lines: list[str],
    mark: str,
) -> None:
    pad = mark + "    " * depth
    role = roles(path)[-1]
    if role == "list":
        for key, entry in child._sorted():
            lines.append(f"{pad}{token} {quote(key)} {{")
            _render_body(entry, (*path, key), depth + 1, lines, mark)
            lines.append(f"{pad}}}")
    elif role == "leaf-list":
        values = list(child.children)  # ordered by user, as SR Linux keeps policy chains
        if len(values) == 1:
            lines.append(f"{pad}{token} {quote(values[0])}")
        else:
            lines.append(f"{pad}{token} [")
            lines.extend(f"{pad}    {quote(v)}" for v in values)
            lines.append(f"{pad}]")
    elif _is_leaf(token, child):
        lines.append(f"{pad}{token} {quote(next(iter(child.children)))}")
    else:
        lines.append(f"{pad}{token} {{")
        _render_body(child, path, depth + 1, lines, mark)
        lines.append(f"{pad}}}")


def parse_flat(text: str) -> ConfigTree:
    """Build a tree from `set / ...` lines (startup configs); comments and blanks ignored."""
    tree = ConfigTree()
    for raw in text.splitlines():
        tokens = tokenize(raw)
        if not tokens:
            continue
        if tokens[0] == "set":
            tokens = tokens[1:]
        if tokens and tokens[0] == "/":
            tokens = tokens[1:]
        tree.set(tokens)
    return tree


# -- diff --------------------------------------------------------------------------------------
def diff_flat(old: ConfigTree, new: ConfigTree) -> str:
    """`diff flat` as SR Linux prints it (learn-srlinux CLI pages, lab transcripts):
    `insert / <path>` for every node the candidate adds, list entries and containers
    included (`insert / interface ethernet-1/21`, `... subinterface 0 ipv4`), and for a leaf
    whose value it sets or changes (one line, no `delete` of the old value); `delete /
    <path>` for the highest node it removes. In path order, like the device."""
    lines: list[str] = []
    _flat_diff(old, new, (), lines)
    return "\n".join(lines)


def _same(a: ConfigTree, b: ConfigTree, path: tuple[str, ...]) -> bool:
    """`a == b`, except that a leaf-list's order counts (a policy chain reordered is a
    change, which `ConfigTree.__eq__`, a dict comparison, does not see)."""
    if path and roles(path)[-1] == "leaf-list":
        return list(a.children) == list(b.children)
    if a.children.keys() != b.children.keys():
        return False
    return all(_same(child, b.children[t], (*path, t)) for t, child in a.children.items())


def _flat_diff(old: ConfigTree, new: ConfigTree, path: tuple[str, ...], lines: list[str]) -> None:
    role = roles(path)[-1] if path else ""
    if role == "leaf-list" and old.children.keys() == new.children.keys():
        # the same values in another order: the chain as it now stands
        lines.append(_diff_line("insert", (*path, "[", *new.children, "]")))
        return
    # the old value of a leaf the candidate sets again is replaced, not deleted
    replaced = bool(path) and _is_leaf(path[-1], new) and role == "name"
    for token in sorted(set(old.children) | set(new.children), key=natural_key):
        o, n = old.children.get(token), new.children.get(token)
        sub = (*path, token)
        if n is None:
            if replaced:
                continue
            if roles(sub)[-1] == "list":  # a list's last entries went: one delete per entry
                lines += [_diff_line("delete", (*sub, key)) for key, _ in o._sorted()] if o else []
            else:
                lines.append(_diff_line("delete", sub))
        elif o is None:
            _inserted(n, sub, lines)
        elif not _same(o, n, sub):
            _flat_diff(o, n, sub, lines)


def _inserted(node: ConfigTree, path: tuple[str, ...], lines: list[str]) -> None:
    """`insert` lines for a new subtree: each list entry, container and leaf value in it
    (not a list's name or a leaf's name alone: `interface`, `admin-state`)."""
    role = roles(path)[-1]
    named = role in ("key", "value") or (role == "name" and not _is_leaf(path[-1], node))
    if named:
        lines.append(_diff_line("insert", path))
    # a leaf-list's values in the order given (a policy chain), anything else sorted
    children = node.children.items() if role == "leaf-list" else node._sorted()
    for token, child in children:
        _inserted(child, (*path, token), lines)


def _diff_line(op: str, path: Sequence[str]) -> str:
    return f"{op} / " + " ".join(t if t in ("[", "]") else quote(t) for t in path)


def diff(old: ConfigTree, new: ConfigTree) -> str:
    """SR Linux `diff`: the hierarchical view with `+`/`-` on changed lines; "" when equal."""
    if _same(old, new, ()):
        return ""
    lines: list[str] = []
    _diff_body(old, new, (), 0, lines)
    return "\n".join(lines)


_CTX = "  "  # unchanged context lines carry two spaces where changed ones carry "+ "/"- "


def _diff_body(
    old: ConfigTree, new: ConfigTree, path: tuple[str, ...], depth: int, lines: list[str]
) -> None:
    tokens = sorted(set(old.children) | set(new.children), key=natural_key)
    for token in tokens:
        o, n = old.children.get(token), new.children.get(token)
        sub = (*path, token)
        if o is None:
            assert n is not None
            _render_child(token, n, sub, depth, lines, mark="+ ")
        elif n is None:
            _render_child(token, o, sub, depth, lines, mark="- ")
        elif not _same(o, n, sub):
            _diff_changed(token, o, n, sub, depth, lines)


def _diff_changed(
    token: str, o: ConfigTree, n: ConfigTree, path: tuple[str, ...], depth: int, lines: list[str]
) -> None:
    pad = "    " * depth
    role = roles(path)[-1]
    if role == "list":
        for key in sorted(set(o.children) | set(n.children), key=natural_key):
            oe, ne = o.children.get(key), n.children.get(key)
            if oe is not None and ne is not None and _same(oe, ne, (*path, key)):
                continue
            if oe is None or ne is None:
                entry = ConfigTree()
                entry.children = {key: (ne if oe is None else oe)}  # type: ignore[dict-item]
                _render_child(token, entry, path, depth, lines, "+ " if oe is None else "- ")
                continue
            lines.append(f"{_CTX}{pad}{token} {quote(key)} {{")
            _diff_body(oe, ne, (*path, key), depth + 1, lines)
            lines.append(f"{_CTX}{pad}}}")
    elif role == "leaf-list" or _is_leaf(token, o) or _is_leaf(token, n):
        _render_child(token, o, path, depth, lines, mark="- ")
        _render_child(token, n, path, depth, lines, mark="+ ")
    else:
        lines.append(f"{_CTX}{pad}{token} {{")
        _diff_body(o, n, path, depth + 1, lines)
        lines.append(f"{_CTX}{pad}}}")


__all__ = [
    "CONTAINERS",
    "LEAF_LISTS",
    "LISTS",
    "ConfigTree",
    "diff",
    "diff_flat",
    "natural_key",
    "parse_flat",
    "quote",
    "roles",
    "tokenize",
]
