"""Fabrics the check tests judge: evpn-mh01 (the tutorial's) and a 2-spine, 4-leaf,
2-ES one, each derived once per module."""

from __future__ import annotations

from pathlib import Path

import pytest

from nornir_evpn.intent import FabricIntent, derive_intent
from nornir_evpn.topology import load_topology

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def mh01() -> FabricIntent:
    return derive_intent(load_topology(ROOT / "inventory" / "evpn-mh01.clab.yml"))


@pytest.fixture(scope="module")
def big() -> FabricIntent:
    return derive_intent(load_topology(ROOT / "tests" / "fixtures" / "fabric-2s4l2es.clab.yml"))
