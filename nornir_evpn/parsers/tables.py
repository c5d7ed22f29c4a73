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

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from nornir_evpn.errors import ParseError

# `--{ + running }--[  ]--` and `A:leaf1# show ...`: scrapli may leave these around the
# output (and the transcripts contain them); they are never data.
_PROMPT_RE = re.compile(r"^\s*--\{.*\}--\[.*\]--\s*$")
_ECHO_RE = re.compile(r"^\s*[A-D]:\S+#")
_RULE_RE = re.compile(r"^\s*[-=]{3,}[-= ]*$")
# A wrapped piece ending in one of these continues without a space (`00:C1:AB:` + `11`).
_GLUE_SUFFIXES = ("-", ":", "/", ".")


def clean_lines(text: str) -> list[str]:
    """Output lines without prompts, command echo, trailing blanks and `\\r`."""
    out = [
        line for line in (raw.rstrip() for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"))
        # (table rows, most of a route view, skip the two regexes)
        if line.startswith(("|", "+")) or not (_PROMPT_RE.match(line) or _ECHO_RE.match(line))
    ]
    while out and not out[-1].strip():
        out.pop()
    while out and not out[0].strip():
        out.pop(0)
    return out


def is_rule(line: str) -> bool:
    """A horizontal rule (`-----`, `=====`), tolerating the transcripts' inner spaces."""
    return bool(_RULE_RE.match(line))


def norm(header: str) -> str:
    """Normalised column key: `Route-distinguisher` -> `routedistinguisher`."""
    return re.sub(r"[^a-z0-9]", "", header.lower())


# A cell piece of one table row: (text, room inside the cell = raw width minus padding).
# Plain tuples, not objects: a 128-leaf fabric's route tables have ~100k rows per verify.
_Piece = tuple[str, int]


def _join(pieces: list[_Piece]) -> str:
    """Join a cell's wrapped pieces: no space after a hard wrap or a `-`/`:`/`/`."""
    out = ""
    prev: _Piece | None = None
    for piece in pieces:
        if not piece[0]:
            continue
        if prev is None:
            out = piece[0]
        elif len(prev[0]) >= prev[1] or prev[0].endswith(_GLUE_SUFFIXES):
            out += piece[0]
        else:
            out += " " + piece[0]
        prev = piece
    return out


def _cells(line: str, lineno: int) -> list[_Piece]:
    s = line.strip()
    if not (s.startswith("|") and s.endswith("|")):
        raise ParseError(f"line {lineno}: expected a table row, got {line.strip()[:60]!r}")
    return [(c.strip(), len(c) - 2 if len(c) > 3 else 1) for c in s[1:-1].split("|")]


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


def iter_tables(lines: list[str]) -> Iterator[BoxTable]:
    """Every box table in cleaned lines, in order; raises ParseError on a broken table."""
    i, n = 0, len(lines)
    while i < n:
        if not _is_border(lines[i]) or _is_header_sep(lines[i]):
            i += 1
            continue
        start = i
        i += 1
        header_rows: list[list[_Piece]] = []
        while i < n and lines[i].lstrip().startswith("|"):
            header_rows.append(_cells(lines[i], i + 1))
            i += 1
        if i >= n or not _is_header_sep(lines[i]) or not header_rows:
            raise ParseError(f"line {start + 1}: table without a header (`+===+` line missing)")
        ncols = len(header_rows[0])
        if any(len(r) != ncols for r in header_rows):
            raise ParseError(f"line {start + 1}: header rows have different column counts")
        headers = [_join([r[c] for r in header_rows]) for c in range(ncols)]
        keys = [norm(h) for h in headers]
        i += 1
        groups: list[list[list[_Piece]]] = []
        while i < n and lines[i].lstrip().startswith("|"):
            cells = _cells(lines[i], i + 1)
            if len(cells) != ncols:
                raise ParseError(
                    f"line {i + 1}: {len(cells)} cells where the header has {ncols}: "
                    f"{lines[i].strip()[:80]!r}"
                )
            if cells[0][0] or not groups:
                groups.append([cells])
            else:
                groups[-1].append(cells)
            i += 1
        if i >= n or not _is_border(lines[i]):
            raise ParseError(f"line {i + 1}: table starting at line {start + 1} is not closed")
        i += 1
        records = [
            # most records fit on one row: nothing to join
            dict(zip(keys, [p[0] for p in group[0]], strict=True)) if len(group) == 1
            else {keys[c]: _join([row[c] for row in group]) for c in range(ncols)}
            for group in groups
        ]
        yield BoxTable(headers=headers, records=records, start=start)


_KV_SPLIT_RE = re.compile(r"\s{2,}(?=[A-Za-z][A-Za-z0-9 \-/]*?\s*:(?:\s|$))")
_KV_RE = re.compile(r"^([A-Za-z][A-Za-z0-9 \-/]*?)\s*:\s*(.*)$")


def key_values(lines: list[str]) -> dict[str, str]:
    """`Key : value` pairs (two per line allowed), keys normalised with `norm`."""
    out: dict[str, str] = {}
    for line in lines:
        stripped = line.strip()
        if not stripped or stripped.startswith(("|", "+")) or is_rule(line):
            continue
        for part in _KV_SPLIT_RE.split(stripped):
            m = _KV_RE.match(part)
            if m:
                out.setdefault(norm(m.group(1)), m.group(2).strip())
    return out


def to_int(value: str, what: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ParseError(f"{what}: expected an integer, got {value!r}") from None
