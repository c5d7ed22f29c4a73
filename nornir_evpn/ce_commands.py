"""What a Linux CE's shell commands build: its devices, bonds and their members, masters
(bond or VRF), MACs, addresses and up/down.

One reader for the intent (what verify and failover-test expect of a CE) and the digital
twin (the CE it runs), so the two cannot disagree on a line. It follows the iproute2 forms
the evpn-mh labs use, in any of their usual spellings:

    ip link add [dev|name] bond0 type bond [mode 802.3ad]   ip link add dev vrf-1 type vrf table 1
    ip link set [dev] eth1 [address MAC] [master bond0 | vrf vrf-1 | nomaster] [up|down]
    ip [-4|-6|-f inet|...] {addr|address|a} {add|replace|a} A/L dev eth1   (or `add dev eth1 A/L`)

Anything else (other programs, other `ip` objects, a line shlex cannot split) is ignored,
as a CE's unrelated setup would be. Pure: no I/O, no validation (the intent checks MACs
and addresses; the twin adds what only it needs, such as default MACs).
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field

LACP_MODES = ("802.3ad", "4")  # `mode 4` is 802.3ad's number


@dataclass
class CeDevice:
    name: str
    kind: str | None = None  # `type` of the `ip link add` that made it (bond, vrf, ...)
    bond_mode: str | None = None  # a bond's mode: "balance-rr" (the kernel's default) unless given
    mac: str | None = None  # lower-case, as `ip link set address` gave it
    ips: list[str] = field(default_factory=list)  # "A/L" as written, in command order
    master: str | None = None  # the bond or VRF it is enslaved to
    members: list[str] = field(default_factory=list)  # what is enslaved to it, in that order
    up: bool | None = None  # the last `up`/`down`; None: never set

    @property
    def lacp(self) -> bool:
        return self.bond_mode in LACP_MODES


def parse_ce_commands(lines: Iterable[str]) -> dict[str, CeDevice]:
    """The devices `lines` create or touch, in order of first mention."""
    devices: dict[str, CeDevice] = {}
    for line in lines:
        apply_ce_command(devices, line)
    return devices


def _device(devices: dict[str, CeDevice], name: str) -> CeDevice:
    return devices.setdefault(name, CeDevice(name=name))


def _after(words: list[str], key: str) -> str | None:
    """The word after `key`, if both are there."""
    at = words.index(key) + 1 if key in words else len(words)
    return words[at] if at < len(words) else None


def apply_ce_command(devices: dict[str, CeDevice], line: str) -> None:
    """Apply one command line to `devices`."""
    try:
        w = shlex.split(line)
    except ValueError:
        return
    if not w or w[0] != "ip":
        return
    # `ip -6 addr add ...`, `ip -f inet a a ...`, `ip address replace ...`: one spelling each
    while len(w) > 1 and w[1].startswith("-"):
        option = w.pop(1)
        if option in ("-f", "-family", "-n", "-netns") and len(w) > 1:
            w.pop(1)  # its argument
    if len(w) < 3:
        return
    obj = {"a": "addr", "address": "addr", "l": "link"}.get(w[1], w[1])
    verb = "add" if obj == "addr" and w[2] in ("replace", "a") else w[2]
    rest = w[3:]
    if obj == "link" and verb == "add":
        if rest[:1] in (["dev"], ["name"]):
            rest = rest[1:]
        if not rest:
            return
        new = _device(devices, rest[0])
        new.kind = _after(rest, "type") or new.kind
        if new.kind == "bond":
            new.bond_mode = _after(rest, "mode") or "balance-rr"
    elif obj == "link" and verb == "set":
        _link_set(devices, rest)
    elif obj == "addr" and verb == "add" and "dev" in rest[:-1]:
        at = rest.index("dev")
        name, others = rest[at + 1], rest[:at] + rest[at + 2:]  # `add dev eth1 ADDR` too
        if others:
            _device(devices, name).ips.append(others[0])


_WITH_ARGUMENT = {"address", "master", "vrf", "mtu", "name", "alias", "netns", "txqueuelen", "type"}


def _link_set(devices: dict[str, CeDevice], rest: list[str]) -> None:
    """`ip link set`: the device is the word after `dev`, or else the first word that is no
    keyword nor a keyword's argument (iproute2 takes `dev` as optional)."""
    name = _after(rest, "dev")
    if name is None:
        args = {i + 1 for i, x in enumerate(rest) if x in _WITH_ARGUMENT}
        name = next((x for i, x in enumerate(rest) if i not in args and x not in _WITH_ARGUMENT
                     and x not in ("dev", "up", "down", "nomaster")), None)
    if name is None:
        return
    me = _device(devices, name)
    if (mac := _after(rest, "address")) is not None:
        me.mac = mac.lower()
    master = _after(rest, "master") or _after(rest, "vrf")  # `vrf NAME`: short form of master
    if (master is not None or "nomaster" in rest) and master != me.master:
        if me.master is not None:
            devices[me.master].members.remove(me.name)
        me.master = master
        if master is not None:
            _device(devices, master).members.append(me.name)
    if "up" in rest or "down" in rest:
        me.up = "up" in rest
