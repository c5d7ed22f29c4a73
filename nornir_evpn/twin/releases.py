"""The SR Linux releases whose `show` layouts the twin prints (`twin up --release`).

23.7 is the tutorial's (every transcript under tests/fixtures/tutorial_* and verifymd_*);
24.10 is the release of the public 24.x transcripts (tests/fixtures/srl24_*): a
subinterface lists its network-instances with their type, an ES's MAC-VRF header is
indented, the mac table counts IRB VRRPs.
25.10 is the current release: where a public 25.x transcript shows a layout other than
24.10's it prints that one (the BGP EVPN route summary's status codes, `Path-id` and
`Label` columns and `, 0 stale` footers; the neighbor summary's `, 0 disabled peers`;
`show version`'s `OS` line), everything else as 24.10 (see show_render.py for the
transcript behind each).
"""

from __future__ import annotations

# release -> (`show version` Software Version, Build Number)
RELEASES: dict[str, tuple[str, str]] = {
    "23.7": ("v23.7.1", "163-gd408df6a0c"),
    "24.10": ("v24.10.1", "492-gf8858c5836"),
    # `show version` of a 25.10.1 containerlab node (a public SR Linux hackathon task,
    # "SR Linux interfaces and network-instances", Task 05.1): `v25.10.1`, `399-g90c1dbe35ef`
    "25.10": ("v25.10.1", "399-g90c1dbe35ef"),
}
DEFAULT_RELEASE = "23.7"


def at_least(release: str, version: tuple[int, int]) -> bool:
    """`release` ("24.10") is `version` ((24, 7)) or newer."""
    major, _, minor = release.partition(".")
    return (int(major), int(minor or 0)) >= version
