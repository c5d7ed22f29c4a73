"""The verbatim transcripts, varied the way real output varies: each parser must read the
same values or raise ParseError, never return another plausible value.

Variations: trailing spaces, CRLF line ends, a prompt line / command echo / banner around
the output, an extra trailing column in every box table (what a newer release adds), and
a table cut down to its header (0 entries).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nornir_evpn.errors import ParseError
from nornir_evpn.parsers.bgp_advertised import parse_advertised_evpn
from nornir_evpn.parsers.bgp_neighbors import parse_bgp_neighbors
from nornir_evpn.parsers.ethernet_segment import parse_ethernet_segment
from nornir_evpn.parsers.evpn_summary import parse_evpn_summary
from nornir_evpn.parsers.interface import parse_show_interface
from nornir_evpn.parsers.lacp import parse_lacp_state
from nornir_evpn.parsers.mac_table import parse_mac_table
from nornir_evpn.parsers.vxlan import parse_vxlan_brief

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PARSERS = [
    ("show_es", parse_ethernet_segment),
    ("lacp_state", parse_lacp_state),
    ("show_interface", parse_show_interface),
    ("advertised_evpn", parse_advertised_evpn),
    ("routes_evpn_summary", parse_evpn_summary),
    ("mac_table", parse_mac_table),
    ("vxlan_interface_brief", parse_vxlan_brief),
    ("show_bgp_neighbor", parse_bgp_neighbors),
]
CASES = sorted((p.name, parser) for p in FIXTURES.glob("*.txt") for key, parser in PARSERS
               if key in p.name and not ("advertised" in p.name and parser is parse_bgp_neighbors))
IDS = [name for name, _ in CASES]


def fixture_text(name: str) -> str:
    """The fixture as its parser takes it: of a whole `show interface` (several interfaces),
    the first interface, as `show interface <name>` prints it."""
    text = (FIXTURES / name).read_text()
    if "show_interface" in name:  # the rule after the first interface ends it
        lines = text.split("\n")
        rules = [i for i, ln in enumerate(lines) if ln.startswith("-" * 40)]
        if rules:
            text = "\n".join(lines[: rules[0]]) + "\n"
    return text


def plain(value: Any) -> Any:
    """A parse result as plain data (EvpnRouteSet read out: counts and routes)."""
    if hasattr(value, "counts") and hasattr(value, "routes"):
        return {"counts": value.counts, "routes": plain(value.routes)}
    if dataclasses.is_dataclass(value):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def same_or_refused(parser: Any, text: str, want: Any) -> None:
    try:
        got = plain(parser(text))
    except ParseError:
        return
    assert got == want


FAST = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
NOISE = st.sampled_from([
    "--{ running }--[  ]--",
    "--{ + candidate shared default }--[ network-instance default ]--",
    "A:leaf1# show interface lag1",
    "",
    "Welcome to SR Linux",
])


@pytest.mark.parametrize(("name", "parser"), CASES, ids=IDS)
@FAST
@given(data=st.data())
def test_whitespace_and_line_ends(name, parser, data) -> None:
    text = fixture_text(name)
    want = plain(parser(text))
    lines = text.split("\n")
    pads = data.draw(st.lists(st.sampled_from(["", " ", "  ", "\t"]), min_size=len(lines), max_size=len(lines)))
    sep = data.draw(st.sampled_from(["\n", "\r\n"]))
    same_or_refused(parser, sep.join(ln + p for ln, p in zip(lines, pads, strict=True)), want)


@pytest.mark.parametrize(("name", "parser"), CASES, ids=IDS)
@FAST
@given(before=st.lists(NOISE, max_size=3), after=st.lists(NOISE, max_size=3))
def test_prompt_echo_and_banner_around(name, parser, before, after) -> None:
    text = fixture_text(name)
    want = plain(parser(text))
    same_or_refused(parser, "\n".join([*before, text, *after]), want)


def _add_column(text: str, header: str = "New Column", value: str = "") -> str:
    """Every box table one column wider on the right (a newer release's column), its cells
    `value` (blank by default: a value on a wrapped record's continuation rows would be a
    record of its own)."""
    out = []
    in_header = False
    for line in text.split("\n"):
        s = line.rstrip()
        if s.lstrip().startswith("+") and set(s.strip()) <= set("+-= "):
            ch = "=" if "=" in s else "-"
            in_header = in_header or ch == "-"
            out.append(s + ch * 12 + "+")
            if ch == "=":
                in_header = False
        elif s.lstrip().startswith("|"):
            first_row = in_header and not any(o.rstrip().endswith(f"{header:^12}|") for o in out[-1:])
            cell = f"{header:^12}" if (in_header and first_row) else (" " * 12 if in_header else f" {value:<11}")
            out.append(s + cell + "|")
        else:
            out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize(("name", "parser"), CASES, ids=IDS)
def test_extra_column_of_a_newer_release(name, parser) -> None:
    text = fixture_text(name)
    want = plain(parser(text))
    same_or_refused(parser, _add_column(text), want)


def _empty_tables(text: str) -> str:
    """Every box table's data rows dropped (the header and borders stay)."""
    out, body = [], False
    for line in text.split("\n"):
        s = line.strip()
        if s.startswith("+") and "=" in s:
            body = True
        elif s.startswith("+"):
            body = False
        elif body and s.startswith("|"):
            continue
        out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize(("name", "parser"), CASES, ids=IDS)
def test_tables_without_rows_read_as_empty(name, parser) -> None:
    text = _empty_tables((FIXTURES / name).read_text())
    try:
        got = plain(parser(text))
    except ParseError:
        return
    # nothing read from a table may survive its rows
    flat = repr(got)
    for mac in re.findall(r"[0-9A-F]{2}(?::[0-9A-F]{2}){5}", (FIXTURES / name).read_text()):
        if "Mac-table" in text:
            assert mac.lower() not in flat
