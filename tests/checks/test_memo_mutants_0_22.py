"""Gaps mutation testing of 0.22's check memos found (`Observations.derived`, `_remembered`'s
value before the last, `described_macs`): each test kills a mutant the suite let live."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from nornir_evpn import platform
from nornir_evpn.checks.model import FabricView, Observations
from nornir_evpn.intent import derive_intent
from nornir_evpn.topology import load_topology

ROOT = Path(__file__).resolve().parents[2]
MAC_TABLE = (ROOT / "tests" / "fixtures" / "tutorial_leaf3_show_mac_table_mac-vrf-1.txt").read_text()
NEIGHBORS = (ROOT / "tests" / "fixtures" / "l2evpn_spine1_show_bgp_neighbor.txt").read_text()
CMD = platform.show_mac_table("mac-vrf-1")


def _mh01_leaf3():
    fabric = derive_intent(load_topology(ROOT / "inventory" / "evpn-mh01.clab.yml"))
    return FabricView(fabric), fabric.nodes["leaf3"]


def test_a_link_shut_then_restored_then_steady_keeps_the_healthy_value() -> None:
    """healthy, degraded, healthy, healthy, other, healthy: the value that came back is the
    current one (the next poll of the same text returns it, not the degraded one) and the
    degraded one is the one before; `other` then pushes out the degraded value, not the
    healthy one, which serves again without being drawn."""
    memo: dict = {}
    calls: list[str] = []
    for text in ("healthy", "degraded", "healthy", "healthy", "other", "healthy"):
        obs = Observations({CMD: text}, memo)
        assert obs.derived(CMD, "n", lambda text=text: calls.append(text) or text.upper()) == text.upper()
    assert calls == ["healthy", "degraded", "other"]


def test_a_parse_keeps_no_earlier_parse() -> None:
    """The parse memo keeps one parse per command and parser (a 128-leaf RIB's parse is
    large): only `derived`'s small values keep the one before."""

    class Parsed:
        def __init__(self, text: str) -> None:
            self.text = text

    def parser(text: str) -> Parsed:
        return Parsed(text)

    memo: dict = {}
    first = Observations({CMD: "one"}, memo).get(CMD, parser)
    gone = weakref.ref(first)
    del first
    assert Observations({CMD: "two"}, memo).get(CMD, parser).text == "two"
    gc.collect()
    assert gone() is None


def test_a_failing_check_names_only_the_command_a_kept_value_came_from() -> None:
    """mac.esi_remote may read the mac table and the BGP neighbors; its verdict drawn from a
    kept mac-table value rests on the mac table alone (`derived` notes the read), not on both."""
    from nornir_evpn.checks.mac import MacEsiRemote

    view, node = _mh01_leaf3()
    gone = "\n".join(ln for ln in MAC_TABLE.splitlines() if "00:C1:AB:00:00:11" not in ln)
    memo: dict = {}
    for when in ("2023-08-17T10:34:59.000Z", "2023-08-18T11:00:00.000Z"):
        result = MacEsiRemote().run(view, node, Observations({CMD: gone.replace("2023-08-17T10:34:59.000Z", when)}, memo))
        assert result is not None and not result.ok
        assert result.commands == [CMD], result.commands


def test_mac_local_says_a_missing_mac_is_not_learnt_kept_or_not() -> None:
    from nornir_evpn.checks.mac import NOT_LEARNT, MacLocal

    view, node = _mh01_leaf3()
    gone = "\n".join(ln for ln in MAC_TABLE.splitlines() if "00:C1:AB:00:00:22" not in ln)
    memo: dict = {}
    for text in (gone, gone.replace("2023-08-17T10:34:59.000Z", "2023-08-18T11:00:00.000Z")):
        result = MacLocal().run(view, node, Observations({CMD: text}, memo))
        assert result is not None and not result.ok
        assert result.observed["mac-vrf-1 00:c1:ab:00:00:22"] == NOT_LEARNT


def test_described_macs_tells_which_macs_and_how_they_are_spelled() -> None:
    """Two readings of one table (by ESI for mac.esi_remote, by destination for mac.local),
    and two sets of MACs (mac.local's follow the ports up), are kept apart."""
    from nornir_evpn.checks.mac import described_macs

    _, node = _mh01_leaf3()
    obs = Observations({CMD: MAC_TABLE}, {})
    remote = ("00:c1:ab:00:00:11",)
    assert described_macs(obs, node, remote, True) == {"00:c1:ab:00:00:11": "evpn esi:01:11:11:11:11:11:11:00:00:01"}
    assert described_macs(obs, node, remote, False) == \
        {"00:c1:ab:00:00:11": "evpn vxlan-interface:vxlan1.1 esi:01:11:11:11:11:11:11:00:00:01"}
    assert described_macs(obs, node, ("00:c1:ab:00:00:21", "00:c1:ab:00:00:99"), False) == \
        {"00:c1:ab:00:00:21": "learnt ethernet-1/1.0", "00:c1:ab:00:00:99": None}


def test_mac_local_reads_a_local_mac_seen_remotely_by_its_destination() -> None:
    """A single-homed CE's MAC that moved behind an ES elsewhere is said as mac.local says
    every entry, by destination (`evpn vxlan-interface:... esi:...`), not as mac.esi_remote
    does (`evpn esi:...`)."""
    from nornir_evpn.checks.mac import MacLocal

    view, node = _mh01_leaf3()
    moved = MAC_TABLE.replace("| 00:C1:AB:00:00:11  |", "| 00:C1:AB:00:00:2X  |").replace(
        "| 00:C1:AB:00:00:21  | ethernet-1/1.0                        | 3          | learnt     |",
        "| 00:C1:AB:00:00:21  | vxlan-interface:vxlan1.1              | 3          | evpn       |").replace(
        "00:C1:AB:00:00:2X", "00:C1:AB:00:00:11")
    lines = moved.splitlines()
    at = next(i for i, ln in enumerate(lines) if "00:C1:AB:00:00:21" in ln)
    lines.insert(at + 1, "|                    | esi:01:11:11:11:11:11:11:00:00:01     | 20         |            |         |        |                                       |")
    result = MacLocal().run(view, node, Observations({CMD: "\n".join(lines)}, {}))
    assert result is not None and not result.ok
    assert result.observed["mac-vrf-1 00:c1:ab:00:00:21"] == \
        "evpn vxlan-interface:vxlan1.1 esi:01:11:11:11:11:11:11:00:00:01"


def test_bgp_sessions_are_kept_when_an_uptime_grows_a_digit() -> None:
    """`0d:18h:20m:9s` then `0d:18h:20m:10s`: the cell's padding shrinks with it, and the
    sessions are kept all the same."""
    from nornir_evpn.checks import bgp

    line = next(ln for ln in NEIGHBORS.splitlines() if "192.168.11.1" in ln)
    cell = "| 0d:18h:20m: |"
    assert cell in line
    a = NEIGHBORS.replace(line, line.replace(cell, "| 0d:1h:2m:9s  |"))
    b = NEIGHBORS.replace(line, line.replace(cell, "| 0d:1h:2m:10s |"))
    assert a != b and bgp.without_counters(a) == bgp.without_counters(b)
    memo: dict = {}
    assert bgp.sessions(Observations({platform.SHOW_BGP_NEIGHBORS: a}, memo)) is \
        bgp.sessions(Observations({platform.SHOW_BGP_NEIGHBORS: b}, memo))
