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

`twin up` (`--release image`, the default) has each node print the release of its
containerlab image: the newest of these not newer than the image's tag, so a fabric halfway
through a rolling upgrade (spines on 24.10.3, leaves on 25.10.1) answers as it would.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# release -> (`show version` Software Version, Build Number)
RELEASES: dict[str, tuple[str, str]] = {
    "23.7": ("v23.7.1", "163-gd408df6a0c"),
    "24.10": ("v24.10.1", "492-gf8858c5836"),
    # `show version` of a 25.10.1 containerlab node (a public SR Linux hackathon task,
    # "SR Linux interfaces and network-instances", Task 05.1): `v25.10.1`, `399-g90c1dbe35ef`
    "25.10": ("v25.10.1", "399-g90c1dbe35ef"),
}
DEFAULT_RELEASE = "23.7"


def _order(release: str) -> tuple[int, ...]:
    return tuple(int(x) for x in release.split("."))


NEWEST_RELEASE = max(RELEASES, key=_order)
IMAGE = "image"  # `twin up --release image`: each node plays its image tag's release
_TAG_VERSION = re.compile(r"^v?(\d+)\.(\d+)")


def at_least(release: str, version: tuple[int, int]) -> bool:
    """`release` ("24.10") is `version` ((24, 7)) or newer."""
    major, _, minor = release.partition(".")
    return (int(major), int(minor or 0)) >= version


def release_for_image(image: str | None) -> str:
    """The release a node running `image` prints: the newest one not newer than its tag
    (`ghcr.io/nokia/srlinux:24.10.3` -> 24.10; a tag older than every one -> the oldest).
    An image without a version tag (none, `latest`, a digest) is the newest release: what
    containerlab pulls for it."""
    ref = (image or "").split("@", 1)[0]
    name, _, tag = ref.rpartition(":")
    if not name or "/" in tag:  # no tag (the colon was a registry port's)
        tag = ""
    m = _TAG_VERSION.match(tag)
    if m is None:
        return NEWEST_RELEASE
    fits = [r for r in RELEASES if not at_least(r, (int(m[1]), int(m[2]) + 1))]
    return max(fits, key=_order) if fits else min(RELEASES, key=_order)


def node_releases(images: Mapping[str, str | None], release: str | None) -> dict[str, str]:
    """SR Linux node -> the release it prints: `release` for every node, or with IMAGE each
    node's image's (`images`: node -> its containerlab image); None is DEFAULT_RELEASE."""
    if release == IMAGE:
        return {node: release_for_image(image) for node, image in images.items()}
    return dict.fromkeys(images, release or DEFAULT_RELEASE)
