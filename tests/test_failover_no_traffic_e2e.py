"""failover-test when the multi-homed CE's MAC was learnt through the shut leaf only (the
tester's F2): the real command against the in-process twin of test_failover_e2e.

ce1's flows all went through leaf1 (leaf2's link was down while ce1 sent), so leaf2 holds
ce1's MAC only as leaf1's synced RT2. Shutting leaf1's link flushes it and withdraws the RT2:
the MAC leaves the fabric until ce1 sends again (RFC 7432), and the twin does the same.
Without traffic the MAC checks cannot be judged after the shut; with traffic they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_failover_e2e import INTERVAL, LEAF1_ETH1, PROFILE, TOPOLOGY, Lab

from nornir_evpn.failover import NOT_JUDGED_WITHOUT_TRAFFIC
from nornir_evpn.twin.fabric_lab import attach
from nornir_evpn.twin.runtime import Twin

pytestmark = pytest.mark.timeout(120)

CE1_MAC = "00:C1:AB:00:00:11"
MAC_CHECKS = ["mac.esi_remote", "mac.local"]


def _learnt_through_leaf1_only(lab: Lab) -> None:
    """The F2 state: leaf1 `learnt`, leaf2 only `evpn` (synced), every verify check passing."""
    fabric = lab.twin.fabric
    fabric.set_link("leaf2:e1-1", "ce1:eth2", up=False)  # flushes leaf2's learnt copy
    lab.wait_for(fabric.converged, timeout=10)  # ce1's bond sends on eth1 (leaf1) only
    for ip in ("192.168.0.21", "192.168.0.22", "192.168.0.23"):
        assert fabric.probe("ce1", ip).path[1] == "leaf1"
    fabric.set_link("leaf2:e1-1", "ce1:eth2", up=True)
    lab.wait_for(lambda: lab.failing_checks() == [], timeout=10)
    local = {leaf: fabric.view().local_macs(leaf, "mac-vrf-1") for leaf in ("leaf1", "leaf2")}
    assert CE1_MAC in local["leaf1"] and CE1_MAC not in local["leaf2"]


@pytest.fixture
def learnt_via_leaf1(tmp_path: Path) -> Iterator[Lab]:
    with Twin(TOPOLOGY) as twin:
        attach(twin, PROFILE)
        lab = Lab(twin, tmp_path)
        lab.configure()
        lab.settle()
        _learnt_through_leaf1_only(lab)
        yield lab


def _fo(*extra: str) -> list[str]:
    return ["failover-test", "--interval", str(INTERVAL), "--timeout", "5", "--json", *extra]


def test_no_traffic_passes_when_the_mac_was_learnt_through_the_shut_leaf_only(learnt_via_leaf1: Lab) -> None:
    """F2: it FAILed after holding the link down the whole --timeout (`never held
    mac.esi_remote@leaf3`); the fabric had withdrawn the MAC correctly. Now the MAC checks
    are left out of both targets, said once, and the rest (RT1/RT4 counts included) judged."""
    configured = learnt_via_leaf1
    done = configured.run(*_fo("--no-traffic"))
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads(done.stdout)
    assert doc["ok"] is True and doc["convergence_s"] < 3 and doc["recovery_s"] < 3
    assert doc["not_judged"] == {"checks": MAC_CHECKS, "reason": NOT_JUDGED_WITHOUT_TRAFFIC}
    assert f"{NOT_JUDGED_WITHOUT_TRAFFIC} (mac.esi_remote, mac.local)" in done.stderr
    assert not [e for e in doc["timeline"] if (e["check"] or "").startswith("mac.")]
    assert not [c for c in doc["checks"] if c.startswith("mac.")]
    # what does not need traffic is still judged: leaf3 loses leaf1's RT1s and gets them back
    held = {(e["check"], e["host"]) for e in doc["timeline"] if e["event"] == "degraded"}
    assert ("evpn.received", "leaf3") in held and ("es.df", "leaf2") in held
    assert doc["checks"]["evpn.received"]["leaf3"]["recovered_s"] is not None
    # the fabric did what the test no longer judges: ce1's MAC left it, and no traffic since
    assert configured.leaf1_eth1() == [f"{LEAF1_ETH1} enable"]
    assert "mac.esi_remote@leaf3" in configured.failing_checks()


def test_with_traffic_the_mac_checks_are_judged_in_both_phases(learnt_via_leaf1: Lab) -> None:
    """The same fabric with the probe (the default): its pings teach leaf2 ce1's MAC after
    the shut and leaf1 again after the restore, so the MAC checks stay in both targets."""
    configured = learnt_via_leaf1
    done = configured.run(*_fo())
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads(done.stdout)
    assert doc["ok"] is True and doc["traffic"]["sent"] > 0
    assert doc["not_judged"] is None and NOT_JUDGED_WITHOUT_TRAFFIC not in done.stderr
    esi = doc["checks"]["mac.esi_remote"]["leaf3"]
    assert esi["degraded_s"] is not None and esi["recovered_s"] is not None
    assert configured.failing_checks() == []  # leaf1 re-learnt ce1's MAC from the pings
