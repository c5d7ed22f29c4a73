"""The SR Linux releases whose `show` layouts the twin prints (`twin up --release`).

23.7 is the tutorial's (every transcript under tests/fixtures/tutorial_* and verifymd_*);
24.10 is the release of the public 24.x transcripts (tests/fixtures/srl24_*): a
subinterface lists its network-instances with their type, an ES's MAC-VRF header is
indented, the mac table counts IRB VRRPs.
"""

from __future__ import annotations

# release -> (`show version` Software Version, Build Number)
RELEASES: dict[str, tuple[str, str]] = {
    "23.7": ("v23.7.1", "163-gd408df6a0c"),
    "24.10": ("v24.10.1", "492-gf8858c5836"),
}
DEFAULT_RELEASE = "23.7"


def at_least(release: str, version: tuple[int, int]) -> bool:
    """`release` ("24.10") is `version` ((24, 7)) or newer."""
    major, _, minor = release.partition(".")
    return (int(major), int(minor or 0)) >= version
