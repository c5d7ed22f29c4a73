"""Transcripts edited into fabric states no transcript shows (shared by the check tests)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fx(name: str) -> str:
    """A verbatim transcript of tests/fixtures."""
    return (FIXTURES / name).read_text()


def spine1_with_leftover_overlay_session() -> str:
    """The L2 EVPN tutorial's spine1 neighbor table plus an established iBGP-overlay session
    to 10.0.0.1: what a route-reflector intent leaves on a spine of a full-mesh one."""
    text = (FIXTURES / "l2evpn_spine1_show_bgp_neighbor.txt").read_text()
    row1 = ("| default        | 10.0.0.1              | iBGP-overlay   | S    | 100     | established |"
            " 0d:18h:20m: | evpn      | [4/4/2]               |\n")
    row2 = ("|                |                       |                |      |         |             |"
            " 49s         |           |                       |\n")
    at = text.index("+----------------+", text.index("+====="))
    return text[:at] + row1 + row2 + text[at:]
