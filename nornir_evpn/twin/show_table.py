"""SR Linux's boxed text tables, cell wrapping included.

SR Linux (written in Python) wraps cells with `textwrap` using the pre-3.7 hyphen rule: a
break after a hyphen only when a letter precedes it, so `iBGP-overlay` wraps as `iBGP-` /
`overlay` but `ipv4-unicast` as `ipv4-unic` / `ast` (both in the reference transcripts).
Headers are centred (extra space on the right), data cells left-aligned, one space of
padding each side; column widths below include that padding.
"""

from __future__ import annotations

import functools
import re
import textwrap
from collections.abc import Sequence
from contextvars import ContextVar


class _SrlWrapper(textwrap.TextWrapper):
    wordsep_re = re.compile(
        r"(\s+|"  # whitespace
        r"[^\s\w]*\w+[^0-9\W]-(?=\w+[^0-9\W])|"  # hyphenated word, letter before the hyphen
        r"(?<=[\w\!\"\'\&\.\,\?])-{2,}(?=\w))"  # em-dash
    )

    def _handle_long_word(
        self, reversed_chunks: list[str], cur_line: list[str], cur_len: int, width: int
    ) -> None:
        # Python >= 3.10 prefers a hyphen inside an over-long word; SR Linux cuts at the width.
        space_left = max(width - cur_len, 1)
        chunk = reversed_chunks[-1]
        cur_line.append(chunk[:space_left])
        reversed_chunks[-1] = chunk[space_left:]


_SPECIAL_WHITESPACE = frozenset("\t\n\r\x0b\x0c")


@functools.lru_cache(maxsize=32768)
def _wrapped(text: str, width: int) -> tuple[str, ...]:
    # cached: route tables repeat the same RDs, ESIs and addresses on every node
    if width <= 0:
        return (text,)
    if len(text) <= width and text == text.rstrip() and _SPECIAL_WHITESPACE.isdisjoint(text):
        return (text,)  # fits as it is: what textwrap would return, without its regex work
    return tuple(_SrlWrapper(width=width).wrap(text)) or ("",)


def wrap(text: str, width: int) -> list[str]:
    """Wrap one cell's text to `width` characters the way SR Linux does."""
    return list(_wrapped(text, width))


def _rule(widths: Sequence[int], ch: str) -> str:
    return "+" + "+".join(ch * w for w in widths) + "+"


def _centre(text: str, width: int) -> str:
    left = (width - len(text)) // 2
    return " " * left + text + " " * (width - len(text) - left)


# The columns of the terminal the session asked for, when the twin fits its tables to it
# (NORNIR_EVPN_TWIN_FIT_TERMINAL); None: the reference transcripts' widths.
TERMINAL_COLUMNS: ContextVar[int | None] = ContextVar("terminal_columns", default=None)
MIN_CELL = 5  # 3 characters of text and the padding


def fit(widths: Sequence[int], columns: int) -> list[int]:
    """Cell widths for a terminal of `columns`: SR Linux shrinks a table that does not fit;
    here the widest columns are cut down to one level until it does (its exact rule is not
    published: a 25.7 node shared a 128-column terminal equally among eleven columns)."""
    room = columns - len(widths) - 1  # the `|` between and around the cells
    if sum(widths) <= room:
        return list(widths)
    for cap in range(max(widths), MIN_CELL - 1, -1):
        out = [min(w, cap) for w in widths]
        if sum(out) <= room:
            return out
    return [min(w, MIN_CELL) for w in widths]


def render_table(headers: Sequence[str], widths: Sequence[int], rows: Sequence[Sequence[str]]) -> list[str]:
    """Boxed table lines; `widths` are full cell widths (content + 2 spaces of padding),
    shrunk to the session's terminal when the twin fits tables to it."""
    columns = TERMINAL_COLUMNS.get()
    if columns is not None:
        widths = fit(widths, columns)
    out = [_rule(widths, "-")]
    head = [_wrapped(h, w - 2) for h, w in zip(headers, widths, strict=True)]
    for i in range(max(len(c) for c in head)):
        cells = [_centre(c[i] if i < len(c) else "", w) for c, w in zip(head, widths, strict=True)]
        out.append("|" + "|".join(cells) + "|")
    out.append(_rule(widths, "="))
    widths = tuple(widths)
    for row in rows:
        out += _row_lines(tuple(map(str, row)), widths)
    out.append(_rule(widths, "-"))
    return out


@functools.lru_cache(maxsize=8192)
def _row_lines(row: tuple[str, ...], widths: tuple[int, ...]) -> tuple[str, ...]:
    # cached: the leaves of a fabric print the same route rows (same RR as neighbor)
    cols = [_wrapped(v, w - 2) for v, w in zip(row, widths, strict=True)]
    lines = []
    for i in range(max(len(c) for c in cols)):
        cells = [" " + (c[i] if i < len(c) else "").ljust(w - 1) for c, w in zip(cols, widths, strict=True)]
        lines.append("|" + "|".join(cells) + "|")
    return tuple(lines)
