"""Validate values before they reach the SR Linux CLI.

Anything rendered into a CLI line is checked here first: a newline, `;`, `{`, `}` or `!`
in a name could end the line early or open a block and inject configuration.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Sequence
from typing import Any

from nornir_evpn.errors import UnsafeValueError
from nornir_evpn.platform import ES_NAME_MAX, LAG_NAME_RE

_UNSAFE = re.compile(r"[\r\n;{}!#\"'`\\\s]")
# \Z, not $: `$` also matches before a trailing newline ("leaf1\n" passed)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,62}\Z")
_ESI = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){9}\Z")
NAME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_-]{0,62}\Z")  # containerlab lab and node names
_MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}\Z")
# the shape of a route distinguisher: decimals, no leading zeros (the YANG's patterns);
# the ranges are checked in check_route_distinguisher
_DEC = r"(?:0|[1-9][0-9]{0,9})"
_RD = re.compile(rf"^(?:{_DEC}(?:\.{_DEC}){{0,3}}):{_DEC}\Z")


def check_name(value: str, field: str) -> str:
    """A CLI identifier (interface, ES, LAG, group, network-instance)."""
    if not isinstance(value, str) or _UNSAFE.search(value) or not _NAME.match(value):
        raise ValueError(f"field '{field}' has unsafe or invalid value {value!r}")
    return value


def check_es_name(value: str, field: str) -> str:
    """An ethernet-segment name: a CLI name of at most 32 characters (SR Linux YANG)."""
    check_name(value, field)
    if len(value) > ES_NAME_MAX:
        raise ValueError(f"field '{field}' has invalid value {value!r} ({len(value)} characters; "
                         f"an SR Linux ethernet-segment name has at most {ES_NAME_MAX})")
    return value


def check_lag(value: str, field: str) -> str:
    """A LAG interface name: `lagN`, N from 1 without a leading zero."""
    check_name(value, field)
    if not LAG_NAME_RE.match(value):
        raise ValueError(f"field '{field}' has invalid value {value!r} (expected lagN, N from 1 to 1000, no leading zero: SR Linux interface name)")
    return value


def esi_refusal(esi: str) -> str | None:
    """Why SR Linux refuses a well-formed ESI (per its YANG description), or None:
    "reserved" for ESI-0 (single-homed) and MAX-ESI, "null-route-target" for octets 2-7
    all zero (the ES-import route target would be null). The twin's commit uses it too."""
    octets = esi.lower().split(":")
    if set(octets) in ({"00"}, {"ff"}):
        return "reserved"
    if set(octets[1:7]) == {"00"}:
        return "null-route-target"
    return None


def check_esi(value: str, field: str) -> str:
    """10 hex octets, and none SR Linux refuses (`esi_refusal`)."""
    if not isinstance(value, str) or not _ESI.match(value):
        raise ValueError(f"field '{field}' has invalid ESI {value!r} (expected 10 hex octets)")
    refusal = esi_refusal(value)
    if refusal == "reserved":
        raise ValueError(f"field '{field}' has reserved ESI {value!r} (ESI-0 and MAX-ESI are not allowed)")
    if refusal == "null-route-target":
        raise ValueError(
            f"field '{field}' has invalid ESI {value!r} (octets 2-7 all zero give a null ES-import "
            "route target)"
        )
    return value


def check_route_distinguisher(value: str, field: str) -> str:
    """A route distinguisher SR Linux takes for a bgp-vpn instance (srl_nokia-common.yang
    `route-distinguisher`): `<2-byte AS>:<4-byte>`, `<IPv4>:<2-byte>`, `<4-byte AS>:<2-byte>`
    or `<2-byte>.<2-byte>:<2-byte>`; not `0:*`, `0.0:*`, nor `0.0.0.0:` below 513
    (srl_nokia-bgp-vpn.yang)."""
    bad = ValueError(f"field '{field}' has invalid route distinguisher {value!r} (expected "
                     "ASN:NN or IPv4:NN, e.g. 65001:111 or 10.0.0.1:111)")
    if not isinstance(value, str) or not _RD.match(value) or value.split(":")[0].count(".") == 2:
        raise bad
    admin, number = value.rsplit(":", 1)
    n = int(number)
    if admin.count(".") == 3:
        if not _valid_ip(admin, False) or n > 0xFFFF:
            raise bad
        if admin == "0.0.0.0" and n < 513:
            raise ValueError(f"field '{field}' has reserved route distinguisher {value!r}")
    elif "." in admin:  # asdot, each half 2 bytes
        if any(int(half) > 0xFFFF for half in admin.split(".")) or n > 0xFFFF:
            raise bad
    elif int(admin) > 0xFFFFFFFF or (int(admin) > 0xFFFF and n > 0xFFFF) or n > 0xFFFFFFFF:
        raise bad
    if admin in ("0", "0.0"):
        raise ValueError(f"field '{field}' has invalid route distinguisher {value!r} (0:* is not allowed)")
    return value


def es_import_rt(esi: str) -> str:
    """An ESI's ES-import route target (RFC 7432 7.6): the high-order 6 octets of its 9-octet
    value, so octets 2-7 of the ESI. A PE imports the RT4 (Ethernet Segment) routes carrying
    the RT of any ES it is configured with: ESIs that share those octets share the RT, and
    each such PE holds the others' RT4 routes too (the DF election still keeps only its own
    ESI's)."""
    return ":".join(esi.lower().split(":")[1:7])


def check_mac(value: str, field: str) -> str:
    if not isinstance(value, str) or not _MAC.match(value):
        raise ValueError(f"field '{field}' has invalid MAC {value!r}")
    return value


@functools.lru_cache(maxsize=8192)
def _valid_ip(value: str, with_prefix: bool) -> bool:
    # cached: a full-mesh inventory repeats every leaf's address in every other leaf's peers
    try:
        if with_prefix:
            ipaddress.ip_interface(value)
            return "/" in value
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def check_ip(value: str, field: str, *, with_prefix: bool = False) -> str:
    if not isinstance(value, str) or not _valid_ip(value, with_prefix):
        raise ValueError(f"field '{field}' has invalid IP address {value!r}")
    return value


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def assert_one_line(lines: Sequence[str], where: str) -> None:
    """Refuse a command or config line that is not one CLI line: a newline (or any control
    character) in it would type a second command the caller never meant to send."""
    for line in lines:
        if _CONTROL.search(line):
            raise UnsafeValueError(f"{where}: {line!r} is not one CLI line (it holds a control character)")


def assert_cli_safe(data: Any, where: str) -> None:
    """Walk rendered-into-CLI data; refuse any string that could inject CLI."""
    # the path of the offending value is built only when there is one: a full-mesh leaf's
    # data holds 130 peer addresses, and naming each of them costs more than checking it
    if _cli_safe(data):
        return
    if isinstance(data, dict):
        for k, v in data.items():
            assert_cli_safe(k, where)
            assert_cli_safe(v, f"{where}.{k}")
    elif isinstance(data, (list, tuple)):
        for i, v in enumerate(data):
            assert_cli_safe(v, f"{where}[{i}]")
    elif isinstance(data, str):
        raise UnsafeValueError(f"{where}: value {data!r} contains characters that could inject CLI")


def _cli_safe(data: Any) -> bool:
    if isinstance(data, str):
        return _UNSAFE.search(data) is None
    if isinstance(data, dict):
        return all(map(_cli_safe, data)) and all(map(_cli_safe, data.values()))
    if isinstance(data, (list, tuple)):
        return all(map(_cli_safe, data))
    return True
