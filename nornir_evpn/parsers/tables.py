"""Shared reading of SR Linux `show` text: box tables with wrapped cells, `Key : value` lines.

SR Linux draws tables with `+---+` borders, a `+===+` line under the header, and wraps
any cell wider than its column onto continuation rows whose first cell is empty:

    | ethernet-1/1 | up  | IN_SYNC/T | 00:C1:AB: |
    |              |     | rue/True/ | 00:00:11  |
    |              |     | True      |           |

Columns are found by splitting on `|`, never by character offsets: the published
transcripts contain rows whose `|` do not line up with the border (leaf2's RT2 header)
and rule lines with stray inner spaces (`---------    +`).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from nornir_evpn.errors import ParseError

# `--{ + running }--[  ]--` and `A:leaf1# show ...`: scrapli may leave these around the
# output (and the transcripts contain them); they are never data.
_PROMPT_RE = re.compile(r"^\s*--\{.*\}--\[.*\]--\s*$")
# (the prompt alone or a `show` echo only: a DF candidate row of a network-instance named
# `A:x#` is data)
_ECHO_RE = re.compile(r"^\s*[A-D]:\S+#(?:\s*$|\s+/?show\b)")
_RULE_RE = re.compile(r"^\s*[-=]{3,}[-= ]*$")
# A wrapped piece ending in one of these continues without a space (`00:C1:AB:` + `11`).
_GLUE_SUFFIXES = ("-", ":", "/", ".")


def clean_lines(text: str) -> list[str]:
    """Output lines without prompts, command echo, trailing blanks and `\\r`."""
    if "\r" in text:  # scrapli already drops `\r`; the check is 100x cheaper than replace
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    prompt, echo = _PROMPT_RE.match, _ECHO_RE.match
    out = [
        line for raw in text.split("\n")
        # (table rows, most of a route view, skip the two regexes)
        if (line := raw.rstrip()).startswith(("|", "+")) or not (prompt(line) or echo(line))
    ]
    while out and not out[-1].strip():
        out.pop()
    while out and not out[0].strip():
        out.pop(0)
    return out


def lines_with(text: str, needle: str) -> list[str]:
    """The lines of `text` that contain `needle`, found at C speed: picking a few lines out of
    a 150 KB route view without splitting all of it."""
    out = []
    at = text.find(needle)
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        out.append(text[start:end].rstrip())
        at = text.find(needle, end)
    return out


def is_rule(line: str) -> bool:
    """A horizontal rule (`-----`, `=====`), tolerating the transcripts' inner spaces."""
    return bool(_RULE_RE.match(line))


_NOT_KEY_RE = re.compile(r"[^a-z0-9]")


@functools.lru_cache(maxsize=512)  # (a few dozen headers, asked for ~100 times a host)
def norm(header: str) -> str:
    """Normalised column key: `Route-distinguisher` -> `routedistinguisher`."""
    return _NOT_KEY_RE.sub("", header.lower())


def _row(line: str, lineno: int) -> list[str]:
    """A table row's raw cells (padding kept: a cell's width tells a hard wrap)."""
    s = line.strip()
    if not (s.startswith("|") and s.endswith("|")):
        raise ParseError(f"line {lineno}: expected a table row, got {s[:60]!r}")
    return s[1:-1].split("|")


def _room(raw: str) -> int:
    """Room for text in a raw cell (its width minus the padding): a piece this long filled it."""
    return len(raw) - 2 if len(raw) > 3 else 1


def _join_rows(rows: list[list[str]]) -> list[str]:
    """One record's cells from its rows (raw cells: the first row, then continuation rows).

    A wrapped piece is joined without a space after a hard wrap (the previous piece filled
    its cell) or after a `-`/`:`/`/`/`.`, with one space otherwise.
    """
    values = list(map(str.strip, rows[0]))
    if len(rows) == 1:  # most records fit on one row: nothing to join
        return values
    last = list(rows[0])  # per column, the raw cell of the last piece joined
    for row in rows[1:]:
        for c, raw in enumerate(row):
            piece = raw.strip()
            if not piece:
                continue
            if values[c]:
                above = last[c]
                prev = above.strip()
                hard = len(prev) >= _room(above) or prev.endswith(_GLUE_SUFFIXES)
                values[c] += piece if hard else " " + piece
            else:
                values[c] = piece
            last[c] = raw
    return values


@dataclass
class BoxTable:
    """One box table: joined header names and one dict per record (keys from `norm`)."""

    headers: list[str]
    records: list[dict[str, str]] = field(default_factory=list)
    start: int = 0  # index of the table's first border line in the cleaned lines

    def column_keys(self) -> list[str]:
        return [norm(h) for h in self.headers]

    def require(self, *names: str) -> None:
        """Fail when a column this parser depends on is missing (wrong command/format)."""
        have = set(self.column_keys())
        missing = [n for n in names if norm(n) not in have]
        if missing:
            raise ParseError(f"table is missing column(s) {missing}; has {self.headers}")


def _is_border(line: str) -> bool:
    s = line.strip()
    return s.startswith("+") and set(s) <= set("+-= ") and "-" in s


def _is_header_sep(line: str) -> bool:
    s = line.strip()
    return s.startswith("+") and "=" in s and set(s) <= set("+= ")


def _wrapped_into(above: str, raw: str) -> bool:
    """`raw` can be the wrap of the cell `above`: above filled its room (hard wrap), or
    the next word did not fit after it (a soft wrap at a space: `... vtep:2.2.2.2` / `vni:1`)."""
    prev, piece = above.strip(), raw.strip()
    return len(prev) >= _room(above) or (bool(prev) and len(prev) + 1 + len(piece.split()[0]) > _room(above))


def _continues(group: list[list[str]], cells: list[str]) -> bool:
    """Whether a row continues the record whose rows are `group`.

    Usually a continuation row has an empty first cell. A first cell that filled its column
    wraps too (`ethernet-1/1` / `0` for ethernet-1/10). Such a row continues the record when
    each of its values sits under a cell that filled its room (only a full cell wraps: a
    new record has `down` under `up`) and it leaves empty a column the record's first row
    had a value in (a new record fills every column).
    """
    first = cells[0]
    if not first or first.isspace():
        return True
    above, head = group[-1], group[0]
    if len(above[0].strip()) < _room(above[0]):  # the usual new record: the cell above it had room
        return False
    if not all(not raw or raw.isspace() or _wrapped_into(above[c], raw)
               for c, raw in enumerate(cells)):
        return False
    return any((not raw or raw.isspace()) and head[c].strip() for c, raw in enumerate(cells))


def iter_tables(lines: list[str]) -> Iterator[BoxTable]:
    """Every box table in cleaned lines, in order; raises ParseError on a broken table."""
    i, n = 0, len(lines)
    while i < n:
        if not _is_border(lines[i]) or _is_header_sep(lines[i]):
            i += 1
            continue
        start = i
        i += 1
        header_rows: list[list[str]] = []
        while i < n and lines[i].lstrip().startswith("|"):
            header_rows.append(_row(lines[i], i + 1))
            i += 1
        if i >= n or not _is_header_sep(lines[i]) or not header_rows:
            raise ParseError(f"line {start + 1}: table without a header (`+===+` line missing)")
        ncols = len(header_rows[0])
        if any(len(r) != ncols for r in header_rows):
            raise ParseError(f"line {start + 1}: header rows have different column counts")
        headers = _join_rows(header_rows)
        keys = [norm(h) for h in headers]
        i += 1
        groups: list[list[list[str]]] = []
        while i < n and (s := lines[i].strip()).startswith("|"):  # (_row, inlined: ~100k rows at 128 leaves)
            if not s.endswith("|"):
                raise ParseError(f"line {i + 1}: expected a table row, got {s[:60]!r}")
            cells = s[1:-1].split("|")
            if len(cells) != ncols:
                raise ParseError(
                    f"line {i + 1}: {len(cells)} cells where the header has {ncols}: "
                    f"{s[:80]!r}"
                )
            if groups and (not (first := cells[0]) or first.isspace() or _continues(groups[-1], cells)):
                groups[-1].append(cells)
            else:
                groups.append([cells])
            i += 1
        if i >= n or not _is_border(lines[i]):
            raise ParseError(f"line {i + 1}: table starting at line {start + 1} is not closed")
        i += 1
        records = [dict(zip(keys, _join_rows(group), strict=True)) for group in groups]
        yield BoxTable(headers=headers, records=records, start=start)


# a key is short (`Multi-homing mode`): bounded, the lookahead at each run of blanks cannot
# scan to the end of a long line (32 KB without a colon took 2.9 s: quadratic)
_KV_SPLIT_RE = re.compile(r"\s{2,}(?=[A-Za-z][A-Za-z0-9 \-/]{0,79}?\s*:(?:\s|$))")
_KV_RE = re.compile(r"^([A-Za-z][A-Za-z0-9 \-/]*?)\s*:\s*(.*)$")


def key_values(lines: list[str]) -> dict[str, str]:
    """`Key : value` pairs (two per line allowed), keys normalised with `norm`."""
    out: dict[str, str] = {}
    for line in lines:
        stripped = line.strip()
        if not stripped or ":" not in stripped or stripped.startswith(("|", "+")) or is_rule(line):
            continue
        for part in _KV_SPLIT_RE.split(stripped):
            m = _KV_RE.match(part)
            if m:
                out.setdefault(norm(m.group(1)), m.group(2).strip())
    return out
