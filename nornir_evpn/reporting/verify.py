"""verify output: check x host matrix (rich), failure list, --json document, JUnit cases."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from nornir_evpn.checks.base import ABSENT, mismatch_items
from nornir_evpn.reporting.common import (
    SHOWN_ITEMS,
    JUnitCase,
    JUnitSuite,
    host_entry,
    host_ranges,
    print_traffic_hint,
)

PASS, FAIL, NA, NOT_JUDGED = "✓", "✗", "−", "?"


def verify_document(hosts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The --json contract: {"command": "verify", "ok", "hosts": {h: {ok, changed, error, checks}}}.

    `hosts` maps host -> {"checks": [...], "error": str | None} (the task's result).
    """
    entries = {}
    for host, data in hosts.items():
        checks = list(data.get("checks") or [])
        error = data.get("error")
        ok = error is None and all(c["ok"] for c in checks)
        extra = {"not_judged": data["not_judged"]} if data.get("not_judged") else {}
        entries[host] = host_entry(ok, False, error, checks=checks, seconds=data.get("seconds", 0.0), **extra)
    return {
        "command": "verify",
        "ok": all(e["ok"] for e in entries.values()),
        "hosts": entries,
        "summary": summary(entries),
    }


def not_judged_notes(entries: dict[str, dict[str, Any]]) -> list[str]:
    """One line per check some host could not judge: `evpn.advertised not judged on leaf2
    (its overlay session to 10.0.0.1 is not established (see ...))`. The matrix shows such a
    cell as `?`; this says why."""
    by_check: dict[str, list[str]] = {}
    for host, entry in entries.items():
        for check, why in (entry.get("not_judged") or {}).items():
            by_check.setdefault(check, []).append(f"{host}: {why}")
    return [f"{check} not judged on {len(hosts)} host(s): " + "; ".join(hosts[:5])
            + (f"; and {len(hosts) - 5} more" if len(hosts) > 5 else "")
            for check, hosts in sorted(by_check.items())]


# (check, observed key suffix) whose ABSENT value means the intent's object is not on the host
_OBJECT_KEYS = {"lag.up": "", "es.oper_up": " oper-state"}


def absent_objects_note(entries: dict[str, dict[str, Any]]) -> list[str]:
    """One line when the intent's LAGs or ethernet segments are absent on hosts: not
    configured yet, or configured by hand under other names (a brownfield fabric failed
    lag.up and es.* with `Actual: absent` and nothing said why)."""
    hosts_of: dict[str, list[str]] = {}
    for host, entry in entries.items():
        for c in entry.get("checks") or []:
            suffix = _OBJECT_KEYS.get(c["name"])
            # absent as the device says (its `Error:` answer), not unreadable: an output that
            # does not parse, or a command that failed in transit, is no missing object (review)
            if suffix is None or c["ok"] or "Error:" not in c.get("detail", ""):
                continue
            for key, value in (c.get("observed") or {}).items():
                name = key[:len(key) - len(suffix)]  # `lag1`, `ES-1` (not `lag1.0 network-instance`)
                if value == ABSENT and key.endswith(suffix) and " " not in name:
                    hosts = hosts_of.setdefault(name, [])
                    if host not in hosts:
                        hosts.append(host)
    if not hosts_of:
        return []
    what = "; ".join(f"{name} on {', '.join(hosts)}" for name, hosts in hosts_of.items())
    return [f"absent: {what}. Not configured yet (`configure`), or configured by hand under other names "
            "(README, A fabric configured by hand: what the intent can take over)"]


def summary(entries: dict[str, dict[str, Any]]) -> dict[str, int]:
    checks = [c for e in entries.values() for c in e["checks"]]
    return {
        "hosts": len(entries),
        "hosts_failed": sum(1 for e in entries.values() if not e["ok"]),
        "checks": len(checks),
        "checks_failed": sum(1 for c in checks if not c["ok"]),
    }


MAX_HOST_COLUMNS = 10  # beyond this, hosts become rows and checks numbered columns


# styled Text, not markup strings: a 128-leaf matrix has ~1,500 cells to draw
_CELLS = {"ok": Text(PASS, style="green"), "fail": Text(FAIL, style="red"),
          "error": Text("!", style="red"), "na": Text(NA), "not_judged": Text(NOT_JUDGED, style="yellow")}


def _cells(entry: dict[str, Any], names: list[str]) -> list[Text]:
    """One host's cells for `names`, in order."""
    if entry["error"]:
        return [_CELLS["error"]] * len(names)
    seen = {c["name"]: c["ok"] for c in entry["checks"]}
    left = entry.get("not_judged") or {}
    return [(_CELLS["not_judged"] if n in left else _CELLS["na"]) if (ok := seen.get(n)) is None
            else _CELLS["ok" if ok else "fail"] for n in names]


def _used_checks(doc: dict[str, Any], check_names: list[str]) -> list[str]:
    """The checks of `check_names` that ran on at least one host, in that order."""
    ran = {c["name"] for e in doc["hosts"].values() for c in e["checks"]}
    ran |= {n for e in doc["hosts"].values() for n in e.get("not_judged") or {}}
    return [n for n in check_names if n in ran]


def hosts_as_columns(doc: dict[str, Any], used: list[str], width: int | None) -> bool:
    """The check x host layout: at most MAX_HOST_COLUMNS hosts, and (given a console
    `width`) every check and host name fits uncut; otherwise hosts x numbered checks."""
    hosts = doc["hosts"]
    if len(hosts) > MAX_HOST_COLUMNS:
        return False
    if width is None:
        return True
    return _box_width(used, hosts) <= width


def _box_width(first: Iterable[str], columns: Iterable[str]) -> int:
    """Columns a table needs whose first column holds `first` and whose other columns are
    headed `columns`: rich's box draws `│ ` + cell + ` ` per column, and the closing `│`."""
    return max(map(len, first), default=5) + 3 + sum(len(c) + 3 for c in columns) + 1


def verify_table(doc: dict[str, Any], check_names: list[str], width: int | None = None) -> Table:
    """check x host matrix (for big fabrics, or a console too narrow for it: hosts x
    numbered checks, alike neighbours folded into one row): ✓ ✗, − not applicable,
    ? not judged (left to another check: the notes say why), ! host unreachable."""
    hosts = doc["hosts"]
    used = _used_checks(doc, check_names)
    if hosts_as_columns(doc, used, width):
        table = Table(title="verify")
        table.add_column("check", style="bold")
        for host in hosts:
            table.add_column(host, justify="center")
        columns = [_cells(e, used) for e in hosts.values()]
        for row, name in enumerate(used):
            table.add_row(name, *(cells[row] for cells in columns))
        return table
    labels, rows = _folded_rows(hosts, used)
    table = Table(title="verify")
    table.add_column("hosts", style="bold", width=max(map(len, labels)), no_wrap=True)
    for i in range(1, len(used) + 1):
        table.add_column(str(i), justify="center", width=len(str(i)), no_wrap=True)
    for label, cells in zip(labels, rows, strict=True):
        table.add_row(label, *cells)
    return table


def _folded_rows(hosts: dict[str, Any], used: list[str]) -> tuple[list[str], list[list[Text]]]:
    """(labels, cells) with consecutive hosts that have the same cells sharing a row
    (`leaf1 … leaf64 (64)`): at 128 leaves the matrix is a handful of rows instead of 130,
    and a host that differs stands out on its own row; failures are listed one by one under
    the matrix anyway."""
    runs: list[tuple[str, str, int, list[Text]]] = []
    for host, entry in hosts.items():
        cells = _cells(entry, used)
        if runs and runs[-1][3] == cells:
            first, _, count, _ = runs[-1]
            runs[-1] = (first, host, count + 1, cells)
        else:
            runs.append((host, host, 1, cells))
    labels = [first if count == 1 else f"{first} … {last} ({count})" for first, last, count, _ in runs]
    return labels, [cells for _, _, _, cells in runs]


def _strips(labels: list[str], rows: list[list[Text]]) -> list[Text]:
    """For a console too narrow even for hosts x numbered checks (rich squeezed the cells
    to nothing, blank where a ✗ belonged): per (folded) row of hosts (`_folded_rows`), its
    cells as one strip of characters, checks 1, 2, ... left to right."""
    width = max(map(len, labels), default=0)
    out = []
    for label, cells in zip(labels, rows, strict=True):
        line = Text(label.ljust(width) + "  ", style="bold")
        for cell in cells:
            line.append_text(cell)
        out.append(line)
    return out


def print_verify(console: Console, doc: dict[str, Any], check_names: list[str], *,
                 traffic_hint: str | None = None) -> None:
    """The matrix, then each failure with expected vs observed, then a one-line verdict.

    `traffic_hint`: a command that sends CE traffic (the twin's `twin traffic`), printed
    when checks failed only because no MAC was learnt yet.
    """
    used = _used_checks(doc, check_names)
    as_columns = hosts_as_columns(doc, used, console.width)
    labels, rows = _folded_rows(doc["hosts"], used)
    numbers = [str(i) for i in range(1, len(used) + 1)]
    if as_columns or _box_width(labels, numbers) <= console.width:
        console.print(verify_table(doc, check_names, console.width))
    else:
        console.print(f"verify (checks 1-{len(used)} left to right)")
        for strip in _strips(labels, rows):
            console.print(strip, no_wrap=True, crop=False, soft_wrap=True)
    if not as_columns:
        console.print("  ".join(f"{i}={n}" for i, n in enumerate(used, 1)), soft_wrap=True)
    for host, entry in doc["hosts"].items():
        if entry["error"]:
            console.print(f"[red]![/red] {host}: ", end="")
            console.print(entry["error"], markup=False, highlight=False, soft_wrap=True)
        for c in entry["checks"]:
            if not c["ok"]:
                console.print(f"[red]{FAIL}[/red] {c['name']}: ", end="")
                console.print(failure_text(c, limit=SHOWN_ITEMS), markup=False, highlight=False,
                              soft_wrap=True)
    print_traffic_hint(console, traffic_hint, (c["detail"] for e in doc["hosts"].values()
                                               for c in e["checks"] if not c["ok"]), "verify again")
    for note in doc.get("notes") or []:
        console.print(f"note: {note}", style="yellow", markup=False, highlight=False, soft_wrap=True)
    s = doc["summary"]
    # named like `configure ok:` and `failover-test PASS:` (a CI log of several commands)
    verdict = "verify [green]PASS[/green]" if doc["ok"] else "verify [red]FAIL[/red]"
    # a host that could not be reached ran no check: "FAIL: 21/21 checks passed" alone
    # read as a contradiction, so the verdict names it
    unreached = [h for h, e in doc["hosts"].items() if e["error"]]
    tail = f"; not checked: {host_ranges(unreached)}" if unreached else ""
    console.print(
        f"{verdict}: {s['checks'] - s['checks_failed']}/{s['checks']} checks passed on "
        f"{s['hosts'] - s['hosts_failed']}/{s['hosts']} hosts{tail}"
    )


def failure_text(check: dict[str, Any], limit: int | None = None) -> str:
    """A failed check's detail and the `show` commands it read, which `verify --outputs DIR`
    keeps: `... (from: show interface lag1)`. With `limit`, the first `limit` failed items
    and how many more there are (all of them are in --json's expected/observed)."""
    commands = check.get("commands") or []
    detail = check["detail"]
    if limit is not None:
        detail = _shortened(check, limit)
    return detail + (f" (from: {'; '.join(commands)})" if commands else "")


def _shortened(check: dict[str, Any], limit: int) -> str:
    """`check`'s detail with only its first `limit` failed items; the detail unchanged when
    it has no more, or when it is not made of the items (an error, an unreadable output)."""
    expected, observed = check.get("expected") or {}, check.get("observed") or {}
    bad = [k for k, v in expected.items() if observed.get(k) != v]
    if len(bad) <= limit:
        return check["detail"]
    host = check["detail"].split(" ", 1)[0]
    items = mismatch_items(host, expected, observed, bad)
    joined = "; ".join(items)
    if not check["detail"].startswith(joined):
        return check["detail"]
    causes = check["detail"][len(joined):]  # ` (why values are absent)`, when known
    actual = {_actual(i) for i in items[limit:]}
    alike = f", each Actual: {actual.pop()}" if len(actual) == 1 else ""
    return ("; ".join(items[:limit]) + f"; ... and {len(bad) - limit} more item(s){alike} "
            f"({len(bad)} in all: --json has each){causes}")


def _actual(item: str) -> str:
    return item.rsplit(" Actual: ", 1)[-1]


def verify_junit(doc: dict[str, Any]) -> list[JUnitSuite]:
    """One testcase per host x check; an unreachable host is one errored testcase, a check
    not judged a skipped one."""
    suite = JUnitSuite(name="nornir-evpn verify")
    for host, entry in doc["hosts"].items():
        if entry["error"]:
            suite.cases.append(JUnitCase(classname=host, name="connect", error=entry["error"]))
        for c in entry["checks"]:
            suite.cases.append(JUnitCase(
                classname=host, name=c["name"], failure=None if c["ok"] else failure_text(c),
                output="" if not c["ok"] else c["detail"],
            ))
        for name, why in (entry.get("not_judged") or {}).items():
            suite.cases.append(JUnitCase(classname=host, name=name, skipped=why))
    return [suite]
