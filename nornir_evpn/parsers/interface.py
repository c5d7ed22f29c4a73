"""`show interface <name>`: oper state of an interface (a LAG here) and its subinterfaces.

SR Linux 23.x names a subinterface's network-instance on one line:

    lag1 is up, speed None, type None
      lag1.0 is up
        Network-instance: mac-vrf-1
        Encapsulation   : null
        Type            : bridged

24.x and later list them under a heading, one `* Name: <ni> (<type>)` line each:

    ethernet-1/10 is up, speed 100G, type None
      ethernet-1/10.0 is up
        Network-instances:
          * Name: store1 (mac-vrf)
        Encapsulation   : null
        Type            : bridged
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from nornir_evpn.errors import ParseError
from nornir_evpn.parsers.tables import clean_lines, is_rule, key_values

# `lag1 is down, reason no-active-links`: state first, anything after the comma is detail.
_IF_RE = re.compile(r"^(?P<name>[A-Za-z][\w\-/]*) is (?P<state>[\w\-]+)(?:,\s*(?P<rest>.*))?$")
_SUB_RE = re.compile(r"^\s+(?P<name>[A-Za-z][\w\-/]*\.\d+) is (?P<state>[\w\-]+)(?:,\s*(?P<rest>.*))?$")
# `* Name: mac-vrf-1 (mac-vrf)` under `Network-instances:` (24.x+); names may hold spaces
_NI_ITEM_RE = re.compile(r"^\*\s+Name:\s+(?P<name>.+?)(?:\s+\((?P<type>[\w\-]+)\))?$")


@dataclass
class Subinterface:
    name: str
    oper_state: str
    network_instance: str | None = None  # the first one listed (a bridged one is in one only)
    network_instances: list[str] = field(default_factory=list)
    encapsulation: str | None = None
    type: str | None = None
    detail: str = ""  # the rest of its line: `reason port-down` when down (last: 0.9's order holds)


@dataclass
class InterfaceState:
    name: str
    oper_state: str
    detail: str = ""  # the rest of the first line, e.g. `speed None, type None` or a down reason
    subinterfaces: dict[str, Subinterface] = field(default_factory=dict)

    @property
    def up(self) -> bool:
        return self.oper_state == "up"


def parse_show_interface(text: str) -> InterfaceState:
    """Parse `show interface <name>` (brief form, one interface)."""
    lines = [ln for ln in clean_lines(text) if ln.strip() and not is_rule(ln)]
    if not lines:
        raise ParseError("show interface: empty output")
    m = _IF_RE.match(lines[0])
    if not m:
        raise ParseError(f"show interface: expected '<name> is <state>', got {lines[0].strip()[:80]!r}")
    state = InterfaceState(name=m["name"], oper_state=m["state"], detail=m["rest"] or "")
    current: Subinterface | None = None
    block: list[str] = []

    def flush() -> None:
        if current is None:
            return
        kv = key_values(block)
        listed = [m["name"] for ln in block if (m := _NI_ITEM_RE.match(ln.strip()))]
        current.network_instances = listed or ([kv["networkinstance"]] if "networkinstance" in kv else [])
        current.network_instance = current.network_instances[0] if current.network_instances else None
        current.encapsulation = kv.get("encapsulation")
        current.type = kv.get("type")

    for line in lines[1:]:
        sm = _SUB_RE.match(line)
        if sm:
            flush()
            current = Subinterface(name=sm["name"], oper_state=sm["state"], detail=sm["rest"] or "")
            state.subinterfaces[current.name] = current
            block = []
        elif (other := _IF_RE.match(line)) is not None:
            # a plain `show interface` (every interface): read as one, each next interface's
            # subinterfaces were filed under the first
            raise ParseError(f"show interface: a second interface ({other['name']} after {state.name}): "
                             "this parser reads `show interface <name>`, one interface")
        elif current is not None:
            block.append(line)
    flush()
    return state
