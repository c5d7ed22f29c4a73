"""Output plumbing shared by every command: consoles, the --json document, JUnit XML.

Only the reporting package imports rich. With `--json`, stdout carries exactly one JSON
document and all human output goes to stderr.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from rich.console import Console
from rich.text import Text

from nornir_evpn import platform, run_context
from nornir_evpn.checks.mac import NOT_LEARNT
from nornir_evpn.device_text import xml_safe
from nornir_evpn.host_results import host_entry, host_ranges  # noqa: F401 - reporting's own names too
from nornir_evpn.outputs import writing
from nornir_evpn.timestamps import iso_utc, run_id, run_started

# failed items of one check on one host a console report prints; the rest are counted
# (`--json` and `--junit` keep each): a fabric of 320 CEs failing mac.esi_remote on 16
# leaves printed 280 items per leaf, verify 16 lines of 44 KB (709 KB), failover-test's
# refused pre-check table 1.4 MB
SHOWN_ITEMS = 5


def print_diff(console: Console, host: str, diff: str) -> None:
    """A host's `diff flat` under a rule naming it: additions green, removals red."""
    console.rule(f"{host} diff")
    for line in diff.splitlines():
        head = line.lstrip()
        style = "green" if head.startswith(platform.DIFF_ADDED) else "red" if head.startswith(platform.DIFF_REMOVED) else ""
        console.print(Text(line, style=style), crop=False, soft_wrap=True)


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """`1 host`, `3 hosts` (`1 leaf`, `3 leaves` with `plural`): a summary line's count."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def shorten_detail(detail: str, host: str, limit: int = SHOWN_ITEMS) -> str:
    """A failed check's detail (`<host> <item> - Expected: X Actual: Y; <host> ...`) cut to
    its first `limit` items, with how many more there are; unchanged when it has no more."""
    sep = f"; {host} "
    items = detail.split(sep)
    if len(items) <= limit:
        return detail
    return (sep.join(items[:limit])
            + f"; ... and {len(items) - limit} more item(s) ({len(items)} in all: --json has each)")


def print_traffic_hint(console: Console, hint: str | None, details: Iterable[str], then: str) -> None:
    """Offer `hint` (a command sending CE traffic) when a failure is a MAC not learnt yet."""
    if hint and any(NOT_LEARNT in d for d in details):
        console.print(f"hint: leaves learn MACs from CE traffic only; if none was sent, `{hint}` "
                      f"sends some, then {then} (if it was, look at the CE's access link)",
                      style="yellow", markup=False, highlight=False, soft_wrap=True)


# the reports' glyphs, for a stream that cannot encode them: one character each, as they
# sit in one-character matrix cells (`leaf1 - leaf64 (64)` for a folded run of hosts)
_ASCII_GLYPHS = str.maketrans({"✓": "+", "✗": "X", "−": "-", "…": "-"})


class AsciiStream:
    """Writes to a stream whose encoding cannot carry the reports' glyphs (PYTHONIOENCODING=
    ascii, a C locale without UTF-8 mode): they become ASCII stand-ins and any other such
    character a `?`. It was a UnicodeEncodeError traceback once the work was done."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self.encoding = stream.encoding

    def write(self, text: str) -> int:
        plain = text.translate(_ASCII_GLYPHS).encode(self.encoding, "replace").decode(self.encoding)
        return int(self._stream.write(plain))

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return bool(self._stream.isatty())

    def fileno(self) -> int:
        return int(self._stream.fileno())


def _carries_unicode(stream: Any) -> bool:
    encoding = (getattr(stream, "encoding", None) or "utf-8").lower().replace("_", "-")
    return encoding.startswith("utf")


def console_for(json_mode: bool) -> Console:
    """Human output console: stderr when stdout is reserved for JSON."""
    stream = sys.stderr if json_mode else sys.stdout
    if not _carries_unicode(stream):
        stream = AsciiStream(stream)
    # rich takes COLUMNS=0 (or LINES=0) for a width of 0 and prints nothing at all; Python's
    # own terminal size reading treats such a value as unset, and so do we
    environ = {k: v for k, v in os.environ.items()
               if k not in ("COLUMNS", "LINES") or (v.isdigit() and int(v) > 0)}
    return Console(file=stream, highlight=False, soft_wrap=True, _environ=environ)


# what every --json document has, whatever the command (a script read doc["error"] or
# doc["target"]["lab"] and crashed on the commands that left one out): None, or empty, when
# the command has none to give; each command's own keys follow
STANDARD_KEYS: dict[str, Any] = {"error": None, "target": None, "interrupted": None, "notes": [], "hosts": {}}


def standard_keys(document: dict[str, Any]) -> dict[str, Any]:
    """`document` with `command`, `ok` and STANDARD_KEYS first, missing ones filled in."""
    head = {k: document[k] for k in ("command", "ok") if k in document}
    head.update({k: document.get(k, json.loads(json.dumps(v))) for k, v in STANDARD_KEYS.items()})
    return {**head, **document}


def emit_json(document: dict[str, Any]) -> None:
    """The document on stdout: indented for a terminal, compact for a pipe or a file (the
    C encoder; with `indent` json falls back to pure Python, ~1 ms per host at 130 hosts).

    It says when the command ran (`started_at`, `finished_at`, UTC): a change record, and
    what to match against the devices' logs and `info from state system configuration
    commit` (whose `started`/`ended` are the devices' clocks); and `run_id`, which each line
    of the run's --log-file carries (`run=<id>`)."""
    now = time.time()
    document = {**standard_keys(document), "started_at": iso_utc(run_started(now)), "finished_at": iso_utc(now),
                "run_id": run_id()}
    # what the run said on stderr before its report (the packaged inventory, a twin of
    # another version, ...) first, then the command's own
    if document["target"] is None:  # a run refused or interrupted after its inventory was read
        document["target"] = run_context.target()
    said = run_context.taken()
    document["notes"] = [*said, *(n for n in document["notes"] if n.removeprefix(run_context.PREFIX) not in said)]
    indent = 2 if sys.stdout.isatty() else None
    text = json.dumps(document, indent=indent, sort_keys=False, default=str) + "\n"
    run_context.mark_reported("json")  # (before the write: a signal during it must not start a second one)
    sys.stdout.write(text)
    sys.stdout.flush()


@dataclass
class JUnitCase:
    classname: str
    name: str
    failure: str | None = None
    error: str | None = None
    skipped: str | None = None  # not judged, and why
    time_s: float = 0.0
    output: str = ""


@dataclass
class JUnitSuite:
    name: str
    cases: list[JUnitCase] = field(default_factory=list)


def write_junit(path: Path, suites: list[JUnitSuite]) -> None:
    root = ET.Element("testsuites")
    for suite in suites:
        s = ET.SubElement(
            root, "testsuite", name=suite.name, tests=str(len(suite.cases)),
            failures=str(sum(1 for c in suite.cases if c.failure is not None)),
            errors=str(sum(1 for c in suite.cases if c.error is not None)),
            skipped=str(sum(1 for c in suite.cases if c.skipped is not None)),
        )
        for case in suite.cases:
            # what XML cannot hold is written out (a device's text, an exception's): one
            # control character made the whole file unparseable for the CI reading it
            failure, error, skipped, output = (None if t is None else xml_safe(t) for t in (
                case.failure, case.error, case.skipped, case.output))
            c = ET.SubElement(s, "testcase", classname=xml_safe(case.classname), name=xml_safe(case.name),
                              time=f"{case.time_s:.3f}")
            if failure is not None:
                ET.SubElement(c, "failure", message=failure.splitlines()[0] if failure else "").text = failure
            if error is not None:
                ET.SubElement(c, "error", message=error.splitlines()[0] if error else "").text = error
            if skipped is not None:
                ET.SubElement(c, "skipped", message=skipped)
            if output:
                ET.SubElement(c, "system-out").text = output
    with writing(path, "--junit", after_run=True):  # checked before the run; this covers what changed since
        path.parent.mkdir(parents=True, exist_ok=True)
        ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    run_context.mark_reported("junit")
