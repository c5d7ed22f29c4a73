"""The running values a candidate replaces or deletes, read from SR Linux's hierarchical `diff`.

`diff flat` prints a changed leaf as one `insert / <path> <new>` line, like a leaf the
candidate adds: a LAG member moved from `lag5` to `lag1`, or an AS rewritten, reads as a
pure addition (`+64/-0`). The hierarchical `diff` prints the old value's line with `-` and
the new one's with `+`, inside the braces of their containers:

        interface ethernet-1/1 {
            ethernet {
    -           aggregate-id lag5
    +           aggregate-id lag1
            }
        }

A value deleted from a container the candidate keeps (configure puts `admin-state` and
`min-links` back to their defaults that way: a port shut by hand comes back up) is its `-`
line alone. Depth is read from the braces, not the indentation (the marks shift marked lines).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARKS = ("+", "-")

# The leaves configure deletes to put a default back (the templates' `delete` lines), with
# that default (srl_nokia-interfaces, srl_nokia-interfaces-lag, srl_nokia-bgp: every
# release). Only these: many other admin-states default to `disable` (gnmi-server, a BGP
# afi-safi), and a neighbor's afi-safi, deleted, follows its group's instead.
_DEFAULTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"interface \S+ (subinterface \S+ )?admin-state"), "enable"),
    (re.compile(r"interface \S+ lag min-links"), "1"),
    (re.compile(r"network-instance \S+ protocols bgp ((group|neighbor) \S+ )?admin-state"), "enable"),
)


# The afi-safi admin-states configure deletes so that the level above applies again (a
# neighbor's overrides its group's, a group's BGP's: srl_nokia-bgp.yang, none has a default)
_INHERITED: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"network-instance \S+ protocols bgp neighbor \S+ afi-safi \S+ admin-state"), "its group's"),
    (re.compile(r"network-instance \S+ protocols bgp group \S+ afi-safi \S+ admin-state"), "BGP's"),
)


def inherited_from(path: str) -> str | None:
    """Whose value the leaf at `path` follows once deleted (`its group's`, `BGP's`), when it
    is one configure deletes for that; None otherwise."""
    return next((whose for pattern, whose in _INHERITED if pattern.fullmatch(path)), None)


def default_of(path: str) -> str | None:
    """The value the leaf at `path` takes once deleted, when it is one configure deletes to
    put its default back; None otherwise (no default, or not one this module knows)."""
    return next((value for pattern, value in _DEFAULTS if pattern.fullmatch(path)), None)


@dataclass(frozen=True)
class Replaced:
    """One leaf (or leaf-list) whose running value the candidate changes; `new` None: the
    candidate deletes it (its default, if it has one, applies)."""

    path: str  # `interface ethernet-1/1 ethernet aggregate-id`
    old: str
    new: str | None

    @property
    def default(self) -> str | None:
        """Deleted: the default the leaf takes (`default_of`); None when it is replaced, or
        its default is not known here."""
        return default_of(self.path) if self.new is None else None

    def as_dict(self) -> dict[str, str | None]:
        return {"path": self.path, "old": self.old, "new": self.new, "default": self.default}


def _split(line: str) -> tuple[str, str]:
    """(mark, text): mark is "+", "-" or "" for a context line."""
    if line[:1] in _MARKS:
        return line[0], line[1:].strip()
    return "", line.strip()


def _listed(values: list[str]) -> str:
    return f"[ {' '.join(values)} ]"


def replaced_values(diff: str) -> list[Replaced]:
    """Every `- <leaf> <old>` line in a container the candidate keeps: followed directly by
    `+ <leaf> <new>`, a value the candidate replaces; alone, one it deletes. A leaf-list
    printed as a block (`export-policy [`, one value per line, `]`) is one value: marked
    whole, it pairs like a leaf; unmarked, its `-` and `+` values inside are the old and new
    chains. What added and removed subtrees hold is neither."""
    stack: list[tuple[str, str]] = []  # (container, its mark)
    out: list[Replaced] = []
    # (leaf, old value) of the last `-` leaf: flushed at every brace, so in the current container
    pending: tuple[str, str] | None = None
    block: tuple[str, str, list[tuple[str, str]]] | None = None  # a leaf-list block: mark, name, items

    def path(leaf: str) -> str:
        return " ".join([*(name for name, _ in stack), leaf])

    def flush() -> None:  # a `-` value no `+` replaced: deleted
        nonlocal pending
        if pending is not None:
            out.append(Replaced(path(pending[0]), pending[1], None))
        pending = None

    def in_marked_subtree() -> bool:  # added or removed whole
        return any(m for _, m in stack)

    def value(mark: str, leaf: str, text: str) -> None:
        nonlocal pending
        if in_marked_subtree():
            return
        if mark == "+" and pending is not None and pending[0] == leaf:
            out.append(Replaced(path(leaf), pending[1], text))
            pending = None
            return
        flush()
        if mark == "-":
            pending = (leaf, text)

    for raw in diff.splitlines():
        mark, text = _split(raw)
        if not text:
            continue
        if block is not None:
            if text != "]":
                block[2].append((mark, text))
                continue
            head, leaf, items = block
            block = None
            if head:
                value(head, leaf, _listed([v for _, v in items]))
                continue
            flush()
            old = [v for m, v in items if m != "+"]
            new = [v for m, v in items if m != "-"]
            if old != new and not in_marked_subtree():
                out.append(Replaced(path(leaf), _listed(old), _listed(new) if new else None))
            continue
        if text == "}":
            flush()
            if stack:
                stack.pop()
            continue
        if text.endswith("{"):
            flush()
            stack.append((text[:-1].strip(), mark))
            continue
        if text.endswith("["):
            block = (mark, text[:-1].strip(), [])
            continue
        leaf, _, rest = text.partition(" ")
        value(mark, leaf, rest)
    flush()
    return out
