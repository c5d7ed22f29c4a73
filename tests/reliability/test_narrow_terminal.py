"""Tables squeezed into a narrow terminal read the same as wide ones.

SR Linux fits a table to the terminal: past its width, columns shrink and cells wrap
(a 25.7 simulator's 128-column terminal printed eleven 10-character columns; 26.3's
195-column one cut MACs into `AA:C1:AB:12:DF:` / `09`). The pty a session asks for sets
that width (libssh2 asks for 80 columns), so the verdicts must not depend on it. Here the
twin's tables are re-rendered with their columns shrunk to a terminal of 50 to 140
columns (every third width from 50 to 167 passed once) by two rules (cap the widest
columns, the twin's `show_table.fit`; share the width equally), and every check on every node must come out the same,
observed values included, as with the transcripts' widths.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from nornir_evpn.checks import CommandFailure, commands_for, evaluate
from nornir_evpn.intent import derive_intent
from nornir_evpn.parsers.bgp_neighbors import parse_bgp_neighbors
from nornir_evpn.parsers.mac_table import parse_mac_table
from nornir_evpn.topology import load_topology

fabric_lab = pytest.importorskip("nornir_evpn.twin.fabric_lab")
show_render = pytest.importorskip("nornir_evpn.twin.show_render")
show_table = pytest.importorskip("nornir_evpn.twin.show_table")
UnknownCommand = pytest.importorskip("nornir_evpn.twin.cli_engine").UnknownCommand

ROOT = Path(__file__).resolve().parents[2]
TOPOLOGY = ROOT / "inventory" / "evpn-mh01.clab.yml"


def shared(widths: Sequence[int], terminal: int) -> list[int]:
    """Every column the same share of the terminal (what the 25.7 transcript shows)."""
    room = terminal - len(widths) - 1  # the `|` between and around the cells
    if sum(widths) <= room:
        return list(widths)
    return [max(show_table.MIN_CELL, room // len(widths))] * len(widths)


def squeezing(terminal: int, rule: Callable[[Sequence[int], int], list[int]]):
    original = show_table.render_table

    def render(headers, widths, rows):
        return original(headers, rule(widths, terminal), rows)
    return render


def _lab():
    fabric, running = fabric_lab.boot_lab()
    for leaf in ("leaf1", "leaf2"):
        running[leaf] = fabric_lab.with_lines(running[leaf], fabric_lab.MH_CONFIG)
        fabric.on_commit(leaf, running[leaf])
    for ip in ("192.168.0.21", "192.168.0.22", "192.168.0.23"):
        fabric.probe("ce1", ip)
    return show_render.FabricShow(fabric)


def _outputs(show, intent) -> dict[str, dict[str, str | CommandFailure]]:
    out: dict[str, dict[str, str | CommandFailure]] = {}
    for node in intent.nodes:
        out[node] = {}
        for command in commands_for(intent, node):
            try:
                out[node][command] = show.show(node, command)
            except UnknownCommand as exc:
                out[node][command] = CommandFailure(f"Error: unknown {exc}")
    return out


def _verdicts(intent, outputs) -> dict[str, list[tuple]]:
    return {node: [(r.check, r.ok, r.expected, r.observed) for r in evaluate(intent, node, outs)]
            for node, outs in outputs.items()}


def _macs(text: str) -> dict[str, tuple]:
    return {mac: (e.address, e.destination, e.dest_index, e.type, e.active, e.aging)
            for mac, e in parse_mac_table(text).entries.items()}


def _widest_table(outputs) -> int:
    return max(len(ln) for outs in outputs.values() for text in outs.values() if isinstance(text, str)
               for ln in text.splitlines() if ln.startswith(("|", "+")))


@pytest.fixture(scope="module")
def wide():
    intent = derive_intent(load_topology(TOPOLOGY))
    show = _lab()
    outputs = _outputs(show, intent)
    return intent, show, outputs, _verdicts(intent, outputs)


@pytest.mark.parametrize("rule", [show_table.fit, shared], ids=["capped", "shared"])
@pytest.mark.parametrize("terminal", [50, 80, 100, 140])
def test_every_verdict_reads_the_same_in_a_narrow_terminal(wide, monkeypatch, rule, terminal) -> None:
    intent, _, wide_outputs, wide_verdicts = wide
    monkeypatch.setattr(show_render, "render_table", squeezing(terminal, rule))
    outputs = _outputs(_lab(), intent)  # a fresh twin: its show texts are cached per state
    # they did get narrower (at 50 columns an 11-column table keeps 5 characters a cell: 67)
    assert _widest_table(outputs) <= max(terminal, 67) < _widest_table(wide_outputs)
    assert _verdicts(intent, outputs) == wide_verdicts
    for node in ("leaf1", "leaf3", "spine1"):
        for command, text in outputs[node].items():
            if command.endswith("bridge-table mac-table all"):  # two twins: times differ
                assert _macs(text) == _macs(wide_outputs[node][command])
            if command.endswith("protocols bgp neighbor"):
                assert parse_bgp_neighbors(text) == parse_bgp_neighbors(wide_outputs[node][command])
