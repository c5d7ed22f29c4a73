"""verify output: host x check matrix (rich), failure list, --json document, JUnit cases."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from nornir_evpn.reporting.common import JUnitCase, JUnitSuite, host_entry

PASS, FAIL, NA = "✓", "✗", "−"


def verify_document(hosts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The --json contract: {"command": "verify", "ok", "hosts": {h: {ok, changed, error, checks}}}.

    `hosts` maps host -> {"checks": [...], "error": str | None} (the task's result).
    """
    entries = {}
    for host, data in hosts.items():
        checks = list(data.get("checks") or [])
        error = data.get("error")
        ok = error is None and all(c["ok"] for c in checks)
        entries[host] = host_entry(ok, False, error, checks=checks, seconds=data.get("seconds", 0.0))
    return {
        "command": "verify",
        "ok": all(e["ok"] for e in entries.values()),
        "hosts": entries,
        "summary": summary(entries),
    }


def summary(entries: dict[str, dict[str, Any]]) -> dict[str, int]:
    checks = [c for e in entries.values() for c in e["checks"]]
    return {
        "hosts": len(entries),
        "hosts_failed": sum(1 for e in entries.values() if not e["ok"]),
        "checks": len(checks),
        "checks_failed": sum(1 for c in checks if not c["ok"]),
    }


def print_verify(console: Console, doc: dict[str, Any], check_names: list[str]) -> None:
    """Matrix with ✓/✗ (− where a check does not apply), then each failure's detail."""
    hosts = doc["hosts"]
    used = [n for n in check_names if any(c["name"] == n for e in hosts.values() for c in e["checks"])]
    table = Table(title="verify", show_lines=False)
    table.add_column("host", style="bold")
    for name in used:
        table.add_column(name, justify="center")
    for host, entry in hosts.items():
        by_name = {c["name"]: c for c in entry["checks"]}
        if entry["error"]:
            table.add_row(host, *([f"[red]{FAIL}[/red]"] * len(used)))
            continue
        row = []
        for name in used:
            c = by_name.get(name)
            row.append(NA if c is None else (f"[green]{PASS}[/green]" if c["ok"] else f"[red]{FAIL}[/red]"))
        table.add_row(host, *row)
    console.print(table)
    failures = [(h, e) for h, e in hosts.items() if not e["ok"]]
    for host, entry in failures:
        if entry["error"]:
            console.print(f"[red]{FAIL}[/red] {host}: {entry['error']}", markup=True, highlight=False)
        for c in entry["checks"]:
            if not c["ok"]:
                console.print(f"[red]{FAIL}[/red] {c['name']}: ", end="")
                console.print(c["detail"], markup=False, highlight=False)
    s = doc["summary"]
    verdict = "[green]PASS[/green]" if doc["ok"] else "[red]FAIL[/red]"
    console.print(
        f"{verdict}: {s['checks'] - s['checks_failed']}/{s['checks']} checks passed on "
        f"{s['hosts'] - s['hosts_failed']}/{s['hosts']} hosts"
    )


def verify_junit(doc: dict[str, Any]) -> list[JUnitSuite]:
    """One testcase per host x check; an unreachable host is one errored testcase."""
    suite = JUnitSuite(name="nornir-evpn verify")
    for host, entry in doc["hosts"].items():
        if entry["error"]:
            suite.cases.append(JUnitCase(classname=host, name="connect", error=entry["error"]))
        for c in entry["checks"]:
            suite.cases.append(JUnitCase(
                classname=host, name=c["name"], failure=None if c["ok"] else c["detail"],
                output="" if not c["ok"] else c["detail"],
            ))
    return [suite]
