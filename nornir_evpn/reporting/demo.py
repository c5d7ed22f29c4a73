"""demo output: a header per step and one summary table at the end."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.rule import Rule
from rich.table import Table

from nornir_evpn.failover.model import FailoverReport


@dataclass
class DemoStep:
    name: str
    ok: bool
    seconds: float
    detail: str = ""


def print_step_header(console: Console, name: str, what: str) -> None:
    console.print(Rule(f"[bold]{name}[/]", align="left"))
    console.print(what, markup=False, style="dim")


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}s"


def print_summary(console: Console, steps: list[DemoStep], report: FailoverReport | None,
                  ok: bool, total_s: float) -> None:
    console.print(Rule("[bold]demo summary[/]", align="left"))
    table = Table("step", "result", "time", "detail")
    for s in steps:
        table.add_row(s.name, "[green]ok[/]" if s.ok else "[red]FAILED[/]", f"{s.seconds:.1f}s", escape(s.detail))
    console.print(table)
    if report is not None:
        traffic = f"{report.traffic.sent} sent, {report.traffic.lost} lost" if report.traffic else "not measured"
        console.print(f"failover {report.host} {report.interface} ({report.segment}): "
                      f"convergence {_secs(report.convergence_s)}, recovery {_secs(report.recovery_s)}, "
                      f"traffic {traffic}", markup=False)
    verdict = "[bold green]demo OK[/]" if ok else "[bold red]demo FAILED[/]"
    console.print(f"{verdict} in {total_s:.1f}s; twin stopped")


def demo_document(steps: list[DemoStep], report: FailoverReport | None, ok: bool) -> dict[str, Any]:
    return {
        "command": "demo",
        "ok": ok,
        "hosts": {},
        "steps": [{"name": s.name, "ok": s.ok, "seconds": round(s.seconds, 3), "detail": s.detail}
                  for s in steps],
        "convergence_s": None if report is None or report.convergence_s is None else round(report.convergence_s, 3),
        "recovery_s": None if report is None or report.recovery_s is None else round(report.recovery_s, 3),
        "traffic": report.traffic.as_dict() if report is not None and report.traffic else {"sent": 0, "lost": 0},
    }
