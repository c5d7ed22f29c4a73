"""Output of `configure`: the per-host table, diffs, the --json document and JUnit cases.

Input is the plain report document the command builds (the --json contract):
`{"command": "configure", "ok", "mode", "features", "hosts": {h: {"ok", "changed", "error",
"diff", "committed", "device_error", "seconds", "added", "removed", "replaced", "pruned", "saved",
"checkpoint"}}, "notes", "save", "checkpoint": null | name,
"interrupted": null | {"committed": [hosts]}, ...}`; mode `render` (`--render-to`) has
`"render_to"` too, and each host `{"ok", "changed", "error", "lines", "file"}` instead.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from nornir_evpn.replaced import inherited_from
from nornir_evpn.reporting.common import JUnitCase, JUnitSuite, counted, host_ranges, print_diff


def _status(entry: dict[str, Any], mode: str) -> Text:
    if entry.get("commit_unknown"):
        return Text("UNKNOWN", style="bold red")  # the commit went out, its answer was lost
    if not entry["ok"]:
        return Text("FAILED", style="bold red")
    if not entry["changed"]:
        if entry.get("diff") and mode in ("commit", "confirmed"):  # an --all-or-nothing roll back
            return Text("not applied", style="yellow")
        return Text("unchanged", style="dim")
    word = {"dry-run": "would change", "validate": "validated"}.get(mode)
    if word is None:
        word = "committed" if entry.get("committed") else "changed"
    return Text(word, style="green")


def print_configure(console: Console, doc: dict[str, Any], *, show_diff: bool, exit_code: bool = False) -> None:
    """The summary table; each host's diff when asked for (dry-run or -v); errors in full.
    `exit_code` (`--exit-code`): the summary line says the exit 3 a change or drift gives."""
    mode = doc["mode"]
    reads_only = mode in ("dry-run", "validate")
    rows = [
        (Text(host), _status(entry, mode),
         # a dry run's failed host was not (fully) read: whether it would change is unknown
         Text("?" if entry.get("commit_unknown") or (reads_only and not entry["ok"] and not entry["changed"])
              else "yes" if entry["changed"] else "no"),
         Text(f"+{entry.get('added', 0)}/-{entry.get('removed', 0)}"),
         Text(f"{entry.get('seconds', 0.0):.2f}"))
        for host, entry in doc["hosts"].items()
    ]
    title = f"configure ({mode}; features: {', '.join(doc['features'])})"
    columns = (("host", "left"), ("status", "left"), ("changed", "center"), ("+/-", "right"),
               ("seconds", "right"))
    # widths given up front: rich otherwise measures every cell (a 130-host table: 70 ms)
    widths = [max([len(column), *(len(r[i]) for r in rows)]) for i, (column, _) in enumerate(columns)]
    if sum(widths) + 3 * len(widths) + 1 > console.width:
        # too narrow for the box (long host names, a 40-column terminal): rich would cut the
        # cells to "…"; one whole line per host instead
        console.print(title, markup=False)
        for host, status, was_changed, counts, seconds in rows:
            console.print(Text.assemble(host, ": ", status, f", changed {was_changed}, {counts}, {seconds}s"),
                          crop=False, soft_wrap=True)
    else:
        table = Table(title=title)
        for (column, justify), width in zip(columns, widths, strict=True):
            table.add_column(column, justify=justify, width=width, no_wrap=True)  # type: ignore[arg-type]
        for row in rows:
            table.add_row(*row)
        console.print(table)
    for host, entry in doc["hosts"].items():
        if show_diff and entry.get("diff"):
            print_diff(console, host, entry["diff"])
        _print_replaced(console, host, entry, everything=show_diff)
        if entry.get("error"):
            console.print(Text(f"{host}: {entry['error']}", style="red"))
    for note in doc.get("notes", []):
        console.print(Text(note, style="yellow"))
    _print_checkpoint(console, doc)
    verdict = "ok" if doc["ok"] else "FAILED"
    changed = sum(1 for e in doc["hosts"].values() if e["changed"])
    failed = sum(1 for e in doc["hosts"].values() if not e["ok"])
    # nothing was committed in these modes: say what the diff means
    changed_word = "would change" if mode in ("dry-run", "validate") else "changed"
    saved = (f", {sum(1 for e in doc['hosts'].values() if e.get('saved'))} saved to startup"
             if doc.get("save") else "")
    replacing = sum(1 for e in doc["hosts"].values() if e["changed"] and e.get("replaced"))
    replaced = (f" ({counted(replacing, 'host')} "
                f"{'replaced' if changed_word == 'changed' else 'would replace'} running values)") if replacing else ""
    exit_3 = exit_code and doc["ok"] and changed > 0
    console.print(
        Text(f"configure {verdict}: {counted(len(doc['hosts']), 'host')}, {changed} {changed_word}{replaced}, "
             f"{failed} failed{saved}" + (" (--exit-code: exit 3)" if exit_3 else ""),
             style="bold yellow" if exit_3 else "bold green" if doc["ok"] else "bold red")
    )


def print_rendered(console: Console, doc: dict[str, Any]) -> None:
    """`configure --render-to DIR`: each host's file and its line count, the notes, the
    summary line."""
    for host, entry in doc["hosts"].items():
        console.print(Text(f"{host}: {counted(entry['lines'], 'line')} -> {entry['file']}"), crop=False,
                      soft_wrap=True)
    for note in doc.get("notes", []):
        console.print(Text(note, style="yellow"), crop=False, soft_wrap=True)
    lines = sum(e["lines"] for e in doc["hosts"].values())
    console.print(Text(f"configure rendered: {counted(len(doc['hosts']), 'host')}, {counted(lines, 'line')} "
                       f"written to {doc['render_to']}; no host connected to", style="bold green"),
                  crop=False, soft_wrap=True)


def _print_checkpoint(console: Console, doc: dict[str, Any]) -> None:
    """Where the way back is: the hosts whose change stands, each with the checkpoint of the
    configuration it had before."""
    kept = [h for h, e in doc["hosts"].items() if e.get("checkpoint")]  # (only a change that stands keeps it)
    if kept:
        name = doc["hosts"][kept[0]]["checkpoint"]
        console.print(Text(f"checkpoint {name} holds the configuration from before this commit on "
                           f"{host_ranges(kept)}: `rollback --checkpoint {name}` (with this run's target "
                           "options) reverts to it", style="dim"), crop=False, soft_wrap=True)


REPLACED_SHOWN = 3  # per host without -v


def _replaced_line(r: dict[str, Any]) -> str:
    """`path: old -> new` for one running value a change replaces (`-> deleted`: the leaf
    takes its default, if it has one; named when known: a hand-typed default, deleted, is
    a change with no effect, which a drift check still counts)."""
    if r["new"] is not None:
        return f"{r['path']}: {r['old']} -> {r['new']}"
    default = r.get("default")  # (absent in documents of 0.20 and earlier)
    if default is None:
        whose = inherited_from(r["path"])  # a neighbor's afi-safi: its group's applies
        return f"{r['path']}: {r['old']} -> deleted" + (f" ({whose} applies)" if whose else "")
    effect = ": no effect" if r["old"] == default else ""
    return f"{r['path']}: {r['old']} -> deleted (its default, {default}{effect})"


def _print_replaced(console: Console, host: str, entry: dict[str, Any], *, everything: bool) -> None:
    """The running values a change replaces, which `diff flat` shows as inserts (`+64/-0`
    for a LAG member moved from a LAG of the fabric's own to the intent's), or deletes (a
    port shut by hand, back to `enable`): every one with -v or a dry-run, the first few
    otherwise."""
    values = entry.get("replaced") or []
    if not values or not entry["changed"]:
        return
    verb = "replaced" if entry.get("committed") else "would replace"
    console.print(Text(f"{host} {verb} {counted(len(values), 'running value')}:", style="yellow"))
    shown = values if everything else values[:REPLACED_SHOWN]
    for r in shown:
        console.print(Text(f"  {_replaced_line(r)}", style="yellow"), crop=False, soft_wrap=True)
    if len(shown) < len(values):
        console.print(Text(f"  and {len(values) - len(shown)} more (-v lists them)", style="yellow"))


def _drift(entry: dict[str, Any]) -> str:
    """A host's drift as a JUnit failure: the summary line first (CI shows it as the
    message), then each running value it would replace, old and new, then what --prune
    would delete."""
    lines = [f"drift from the intent: would change +{entry.get('added', 0)}/-{entry.get('removed', 0)}"]
    lines.extend(_replaced_line(r) for r in entry.get("replaced") or [])
    lines.extend(entry.get("pruned") or [])
    return "\n".join(lines)


def configure_junit(doc: dict[str, Any], *, drift: bool = False) -> list[JUnitSuite]:
    """One test case per host: failure = the host's one-line error, output = its diff.
    `drift` (`--exit-code` with `--dry-run`/`--validate-only`, a drift check): a host that
    would change fails too, as the exit code 3 does the CI job, so the report names the
    drifted hosts instead of showing every case passed."""
    suite = JUnitSuite(name=f"configure {doc['mode']}")
    judge_drift = drift and doc["mode"] in ("dry-run", "validate")
    for host, entry in doc["hosts"].items():
        if not entry["ok"]:
            failure: str | None = entry.get("error") or "failed"
        elif judge_drift and entry["changed"]:
            failure = _drift(entry)
        else:
            failure = None
        suite.cases.append(
            JUnitCase(
                classname="configure",
                name=host,
                failure=failure,
                time_s=float(entry.get("seconds") or 0.0),
                output=entry.get("diff") or "",
            )
        )
    return [suite]
