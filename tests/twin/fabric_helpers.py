"""Shared helpers for the fabric-model tests: transcripts, table rows, the tutorial lab."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nornir_evpn.generate import generate_topology, write_topology
from nornir_evpn.intent import FabricIntent, derive_intent
from nornir_evpn.render import FEATURES, Renderer
from nornir_evpn.topology import load_topology
from nornir_evpn.twin.fabric import Fabric
from nornir_evpn.twin.fabric_lab import MH_CONFIG, boot_lab, with_lines
from nornir_evpn.twin.show_render import FabricShow
from nornir_evpn.twin.timing import TimingProfile

REFERENCE = Path("/work/shared/reference")
if not REFERENCE.exists():  # pragma: no cover - the repo copy for CI
    REFERENCE = Path(__file__).resolve().parents[1] / "fixtures" / "reference"
TUTORIAL = REFERENCE / "000_6bcc7703818999df.txt"
CE2_IPS = ("192.168.0.21", "192.168.0.22", "192.168.0.23")


def configured_fabric(tmp_path: Path, overlay: str, extra: Mapping[str, str] | None = None,
                      ) -> tuple[FabricIntent, Any, dict[str, Any]]:
    """A generated 2-spine 6-leaf fabric (2 multi-homed pairs) in the twin's model, every
    node's config as `configure` renders it committed, then `extra[node]`'s lines on that
    node: (intent, twin, running configs)."""
    topo = load_topology(write_topology(generate_topology(2, 6, 2), tmp_path / "g.clab.yml"))
    fabric = derive_intent(topo, overlay)
    twin, running = boot_lab(topo)
    renderer = Renderer()
    for name, node in fabric.nodes.items():
        lines = [line for block in renderer.render(node, fabric, FEATURES).values() for line in block]
        running[name] = with_lines(running[name], "\n".join(lines) + "\n" + (extra or {}).get(name, ""))
        twin.on_commit(name, running[name])
    return fabric, twin, running


def transcript(path: Path, node: str, command: str) -> str:
    """The output block after `A:<node># <command>` in a reference file (dedented)."""
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.strip().rstrip() == f"A:{node}# {command}":
            indent = len(line) - len(line.lstrip())
            out = []
            for nxt in lines[i + 1 :]:
                s = nxt.strip()
                if s.startswith("```") or s.startswith("--{"):
                    break
                out.append(nxt[indent:].rstrip())
            return "\n".join(out)
    raise KeyError(f"{node}: {command} not in {path}")


def tables(text: str) -> list[list[list[str]]]:
    """Every boxed table's data rows, wrapped cells joined (header rows dropped)."""
    out: list[list[list[str]]] = []
    rows: list[list[str]] | None = None
    in_body = False
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("+="):
            in_body, rows = True, []
            out.append(rows)
        elif s.startswith("+-"):
            if in_body:
                in_body = False
        elif s.startswith("|") and in_body and rows is not None:
            cells = [c.strip() for c in s.strip("|").split("|")]
            if cells[0] or not rows:
                rows.append(cells)
            else:
                rows[-1] = [a + b for a, b in zip(rows[-1], cells, strict=True)]
    return out


def plain_lines(text: str) -> list[str]:
    """Non-table, non-rule lines (titles, key: value lines, counters)."""
    return [
        line.rstrip()
        for line in text.splitlines()
        if line.strip() and not re.match(r"^\s*[|+=-]", line)
    ]


def tutorial_fabric(profile: TimingProfile | None = None, clock=None) -> tuple[Fabric, dict, FabricShow]:
    """evpn-mh01 with the tutorial's MH config committed on leaf1/leaf2 and ce1 traffic sent."""
    kwargs = {"profile": profile}
    if clock is not None:
        kwargs["clock"] = clock
    fabric, running = boot_lab(**kwargs)
    for leaf in ("leaf1", "leaf2"):
        running[leaf] = with_lines(running[leaf], MH_CONFIG)
        fabric.on_commit(leaf, running[leaf])
    if clock is not None and profile is not None:
        clock.advance(profile.longest)
    for ip in CE2_IPS:
        assert fabric.probe("ce1", ip).delivered
    if clock is not None and profile is not None:
        clock.advance(profile.longest)
    return fabric, running, FabricShow(fabric)


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        self.t += dt
