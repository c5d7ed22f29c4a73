"""Values SR Linux refuses at `set` time, for the leaves this project configures.

The twin has no YANG schema: it knows which tokens are lists and leaf-lists
(`config_tree`), not the type of every leaf. This table gives the leaves the templates
render (and a runbook is likely to touch) their type, so `admin-state maybe` or
`lacp admin-key 99999999` fail on the line that sets them, as on the device, and
`commit validate` / `--all-or-nothing` on the twin can catch them. A leaf not listed
here takes any value.
"""

from __future__ import annotations

from collections.abc import Sequence

from nornir_evpn.platform import ES_NAME_MAX, INTERFACE_NAME_RE, LAG_NAME_RE, MEMBER_SPEEDS

_UINT32 = (1, 4_294_967_295)
ENUMS: dict[str, tuple[str, ...]] = {
    "admin-state": ("disable", "enable"),
    "lacp-mode": ("ACTIVE", "PASSIVE"),
    "lag-type": ("lacp", "static"),
    "member-speed": MEMBER_SPEEDS,
    "multi-homing-mode": ("all-active", "single-active"),
    "vlan-tagging": ("false", "true"),
}
RANGES: dict[str, tuple[int, int]] = {
    "admin-key": (1, 65_535),
    "system-priority": (0, 65_535),
    "autonomous-system": _UINT32,
    "peer-as": _UINT32,
    "as-number": _UINT32,
    "vni": (1, 16_777_215),
    "evi": (1, 65_535),
    "ecmp": (1, 8),  # SR Linux 23.x (1..64 from 24.3, not kept per release: the intent stops at 8)
    "minimum-advertisement-interval": (1, 255),
    "min-links": (1, 64),  # srl_nokia-interfaces-lag.yang, every release
}
# `interval` is a LACP leaf here; under other containers it is not ours to check
CONTEXT_ENUMS: dict[tuple[str, str], tuple[str, ...]] = {("lacp", "interval"): ("FAST", "SLOW")}


def key_error(path: Sequence[str]) -> str | None:
    """The device's complaint about a path (`set` or `delete`) naming an interface that
    cannot exist (`e1-49`: the device parses the key before it looks for the entry)."""
    if len(path) >= 2 and path[0] == "interface" and not INTERFACE_NAME_RE.match(path[1]):
        return f"Error: Invalid value '{path[1]}' for name: not an interface name (ethernet-N/M, lagN, ...)"
    return None


def leaf_error(path: Sequence[str]) -> str | None:
    """The device's complaint about `set <path>` when `path` ends in `<leaf> <value>` with
    a value that leaf cannot take; None when it can (or the leaf is not typed here, or the
    path sets a leaf-list with `[ ... ]`)."""
    if error := key_error(path):
        return error
    if len(path) < 2 or "[" in path:
        return None
    leaf, value = path[-2], path[-1]
    choices = CONTEXT_ENUMS.get((path[-3], leaf)) if len(path) >= 3 else None
    choices = choices or ENUMS.get(leaf)
    if choices is not None and value not in choices:
        return f"Error: Invalid value '{value}' for {leaf}: expected one of [{', '.join(choices)}]"
    if "ethernet-segment" in path[:-1]:
        name = path[path.index("ethernet-segment") + 1]
        if len(name) > ES_NAME_MAX:
            return f"Error: Invalid value '{name}' for name: length must be 1..{ES_NAME_MAX}"
    if leaf == "aggregate-id":
        if not LAG_NAME_RE.match(value):
            return f"Error: Invalid value '{value}' for aggregate-id: expected a lag interface (lagN)"
        return None
    bounds = RANGES.get(leaf)
    if bounds is not None:
        low, high = bounds
        if not value.isdigit() or not low <= int(value) <= high:
            return f"Error: Invalid value '{value}' for {leaf}: expected an integer from {low} to {high}"
    return None
