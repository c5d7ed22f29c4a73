"""Output of `rollback`: the per-host table, the summary line and JUnit cases.

Input is the report document the command builds (the --json contract):
`{"command": "rollback", "ok", "target", "checkpoint", "dry_run", "save", "notes", "interrupted",
"hosts": {h: {"ok", "changed", "error", "found", "reverted", "saved", "diff", "diff_error", "added",
"removed", "device_error", "seconds"}}}`.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from nornir_evpn import platform
from nornir_evpn.reporting.common import JUnitCase, JUnitSuite, counted, print_diff


def _status(entry: dict[str, Any], dry_run: bool) -> Text:
    if not entry["ok"]:
        return Text("FAILED", style="bold red")
    if entry.get("diff") == "" and (dry_run or entry.get("reverted")):
        # running is the checkpoint's already (the revert committed nothing): not a change
        return Text("nothing to revert", style="dim")
    if entry.get("reverted"):
        return Text("reverted", style="green")
    if not entry.get("found"):
        return Text("no checkpoint", style="dim")
    return Text("would revert" if dry_run else "not reverted", style="yellow")


def _counts(entry: dict[str, Any]) -> str:
    """`+12/-3` of the revert's diff; `?` when it was not read; empty without a checkpoint."""
    if entry.get("diff") is not None:
        return f"+{entry.get('added', 0)}/-{entry.get('removed', 0)}"
    return "?" if entry.get("found") else ""


def print_rollback(console: Console, doc: dict[str, Any], *, show_diff: bool = False) -> None:
    """The per-host table (each revert's +/- lines), each host's diff when asked for (a dry
    run, -v), errors and notes in full, the summary line."""
    table = Table(title=f"rollback to {doc['checkpoint']}" + (" (dry run)" if doc["dry_run"] else ""))
    for column, justify in (("host", "left"), ("status", "left"), ("+/-", "right"), ("seconds", "right")):
        table.add_column(column, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for host, entry in doc["hosts"].items():
        table.add_row(Text(host), _status(entry, doc["dry_run"]), Text(_counts(entry)),
                      Text(f"{entry.get('seconds', 0.0):.2f}"))
    console.print(table)
    for host, entry in doc["hosts"].items():
        if show_diff and entry.get("diff"):
            print_diff(console, host, entry["diff"])
        # a host whose revert was refused for the user's role is said once, by its error
        if entry.get("diff_error") and not (entry.get("error") and platform.not_authorized(entry["diff_error"])):
            console.print(Text(f"{host}: what the revert changes was not read ({entry['diff_error']})",
                               style="yellow"), crop=False, soft_wrap=True)
        if entry.get("error"):
            console.print(Text(f"{host}: {entry['error']}", style="red"), crop=False, soft_wrap=True)
    for note in doc.get("notes", []):
        console.print(Text(note, style="yellow"), crop=False, soft_wrap=True)
    hosts = doc["hosts"].values()
    found = sum(1 for e in hosts if e["ok"] and e.get("found") and e.get("diff") != "")
    reverted = sum(1 for e in hosts if e.get("reverted") and e.get("diff") != "")
    failed = sum(1 for e in hosts if not e["ok"])
    without = sum(1 for e in hosts if e["ok"] and not e.get("found"))  # a host not read is no such host
    nothing = sum(1 for e in hosts if e["ok"] and e.get("found") and e.get("diff") == "")  # running is the checkpoint's
    done = (f"{found} would revert" if doc["dry_run"] else f"{reverted} reverted") + (
        f", {nothing} with nothing to revert" if nothing else "")
    saved = f", {sum(1 for e in hosts if e.get('saved'))} saved to startup" if doc.get("save") else ""
    console.print(Text(
        f"rollback {'ok' if doc['ok'] else 'FAILED'}: {counted(len(doc['hosts']), 'host')}, {done}, "
        f"{without} without the checkpoint, {failed} failed{saved}",
        style="bold green" if doc["ok"] else "bold red"))


def rollback_junit(doc: dict[str, Any]) -> list[JUnitSuite]:
    """One test case per host: failure = its one-line error, output = its revert's diff; a
    host without the checkpoint is skipped (nothing of that run to undo there)."""
    suite = JUnitSuite(name=f"rollback {doc['checkpoint']}")
    for host, entry in doc["hosts"].items():
        suite.cases.append(JUnitCase(
            classname="rollback", name=host,
            failure=None if entry["ok"] else (entry.get("error") or "failed"),
            skipped=None if entry.get("found") or not entry["ok"] else "no such checkpoint on this host",
            output=entry.get("diff") or "", time_s=float(entry.get("seconds") or 0.0)))
    return [suite]
