"""A review of 0.6's changes, reproduced: prune and a port moved between intent LAGs, the poll
memo's exceptions, the fault socket reached through a symlink."""
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LACP = (ROOT / "tests/fixtures/verifymd_leaf1_show_lag_lag1_lacp_state.txt").read_text()


def test_prune_keeps_a_port_the_intent_moves_to_another_lag():
    from nornir_evpn.prune import stale_member_lines
    # the device: ethernet-1/1 in lag1; the intent moves it to lag2 and gives lag1 ethernet-1/2
    config = ["set / interface ethernet-1/1 ethernet aggregate-id lag2",
              "set / interface ethernet-1/2 ethernet aggregate-id lag1"]
    outputs = [LACP.replace("lag1", "lag2").replace("ethernet-1/1", "ethernet-1/9"), LACP]
    # lag2 answers for ethernet-1/9 (a genuine leftover), lag1 for ethernet-1/1
    assert stale_member_lines(config, outputs) == ["delete / interface ethernet-1/9 ethernet aggregate-id"]


def test_a_memoised_unavailable_does_not_grow_its_traceback_per_poll():
    from nornir_evpn.checks.model import Observations, Unavailable
    from nornir_evpn.parsers.lacp import parse_lacp_state

    memo: dict = {}
    depths = []
    for _ in range(5):
        obs = Observations({"show lag lag9 lacp-state": "Error: no lag9\n"}, memo)
        with pytest.raises(Unavailable) as info:
            obs.get("show lag lag9 lacp-state", parse_lacp_state)
        tb, n = info.value.__traceback__, 0
        while tb:
            n, tb = n + 1, tb.tb_next
        depths.append(n)
    assert depths[0] == depths[-1], depths


def test_fault_socket_found_through_a_symlinked_state_path(tmp_path):
    from nornir_evpn.commands.twin_fault import control_socket_path

    real = tmp_path / ("d" * 110)
    (real / ".nornir_evpn").mkdir(parents=True)
    link = tmp_path / "ln"
    link.symlink_to(real)
    served = control_socket_path((real / ".nornir_evpn" / "twin.json").resolve())  # twin up resolves
    asked = control_socket_path(link / ".nornir_evpn" / "twin.json")                # twin fault does not
    assert served.resolve() == asked.resolve()
