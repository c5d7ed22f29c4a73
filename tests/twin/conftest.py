"""Shared fixtures for the twin tests: the tutorial's multi-homing config and leaf1."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from importlib.resources import files

import pytest

from nornir_evpn.twin.cli_engine import CliSession
from nornir_evpn.twin.config_tree import parse_flat
from nornir_evpn.twin.datastore import NodeDatastore
from nornir_evpn.twin.runtime import Twin, default_topology

# The tutorial's "SR Linux Multi-Homing Configurations" snippets for leaf1, verbatim
# (reference/000_6bcc7703818999df.txt), including the unbalanced brace of the last one.
TUTORIAL_SNIPPETS: list[str] = [
    """\
enter candidate
    /interface lag1 {
        admin-state enable
        vlan-tagging true
        subinterface 0 {
            type bridged
            vlan {
                encap {
                    untagged {
                    }
                }
            }
        }
        lag {
            lag-type lacp
            member-speed 10G
            lacp {
                interval SLOW
                lacp-mode ACTIVE
                admin-key 11
                system-id-mac 00:00:00:00:00:11
                system-priority 11
            }
        }
    }
commit now
""",
    """\
enter candidate
    /interface ethernet-1/1 {
        admin-state enable
        ethernet {
            aggregate-id lag1
        }
    }
commit now
""",
    """\
enter candidate
/system network-instance protocols\x20
    evpn {
        ethernet-segments {
            bgp-instance 1 {
                ethernet-segment ES-1 {
                    admin-state enable
                    esi 01:11:11:11:11:11:11:00:00:01
                    multi-homing-mode all-active
                    interface lag1 {
                    }
                }
            }
        }
    }
    bgp-vpn {
        bgp-instance 1 {
        }
    }
commit now
""",
    """\
enter candidate
    /network-instance mac-vrf-1 {
        interface lag1.0 {
        }
    }
commit now
""",
    """\
enter candidate
    /network-instance mac-vrf-1 {
        protocols {
        bgp-evpn {
            bgp-instance 1 {
                ecmp 2
            }
        }
    }
commit now
""",
]

LAB = files("nornir_evpn.lab")
Feed = Callable[[CliSession, str], Awaitable[list[str]]]


async def _feed(session: CliSession, text: str) -> list[str]:
    return [await session.handle_line(line) for line in text.splitlines()]


@pytest.fixture
def tutorial_snippets() -> list[str]:
    return list(TUTORIAL_SNIPPETS)


@pytest.fixture
def leaf1_ds() -> NodeDatastore:
    """leaf1 booted from its startup config."""
    return NodeDatastore("leaf1", running=parse_flat((LAB / "configs" / "leaf1.cfg").read_text()))


@pytest.fixture
def feed() -> Feed:
    """Send text line by line, as a paste; returns each line's reply (output + prompt)."""
    return _feed


@pytest.fixture
def twin() -> Iterator[Twin]:
    """The evpn-mh01 twin (packaged topology) on free ports, fresh per test (~20 ms)."""
    with Twin(default_topology(), password=TEST_PASSWORD) as tw:
        yield tw


TEST_PASSWORD = "TwinTest-1!"
