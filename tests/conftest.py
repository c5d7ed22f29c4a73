from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
LAB = ROOT / "inventory" / "evpn-mh01.clab.yml"


@pytest.fixture
def lab_topology_path() -> Path:
    return LAB


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
