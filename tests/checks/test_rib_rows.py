"""evpn.received counts a RIB's RT1/RT3/RT4 rows without the table reader where every row
reads as `_ROWS` expects, and gives the table reader's counts whatever the view.

`only_intent_rows` is 0.21's verdict "every valid row is the intent's" (its footers are
then its counts), as 0.22's `rib_groups` gives it: the intent's rows per originator add
up to the footers."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from nornir_evpn.checks.evpn import _ABSENT, _rows_of, intent_routes, rib_groups
from nornir_evpn.parsers.evpn_routes import EvpnRouteSet
from nornir_evpn.parsers.evpn_summary import parse_evpn_summary
from nornir_evpn.parsers.tables import clean_lines

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
VIEWS = sorted(FIXTURES.glob("*bgp_routes_evpn_summary.txt"))
ESI1, ESI2 = "01:11:11:11:11:11:11:00:00:01", "01:11:11:11:11:11:11:00:00:02"


def only_intent_rows(routes: EvpnRouteSet, evi: int, leaves: set[str], esis: frozenset[str],
                     imported: frozenset[str]) -> bool:
    """Every valid RT1/RT3/RT4 row of the view is one of the intent's (`leaves` with their
    derived RDs `<ip>:<evi>`), so the footers count them."""
    groups = rib_groups(routes, {f"{ip}:{evi}": ip for ip in leaves}, frozenset(esis), frozenset(imported))
    return groups.totals() == {t: routes.count(t) for t in (1, 3, 4)} and all(
        origin in leaves for _t, origin, _esi in groups.groups)


def _both(text: str) -> tuple[EvpnRouteSet, EvpnRouteSet]:
    """The view as verify has it (its text: rows read fast) and as lines (tables read)."""
    routes = parse_evpn_summary(text).routes
    return routes, EvpnRouteSet(routes.counts, lines=clean_lines(text))


def _wrapped(text: str) -> str:
    """The first RT1 row with its ESI cell wrapped onto a continuation row, as SR Linux draws
    a cell wider than its column."""
    lines = text.split("\n")
    i = next(i for i, ln in enumerate(lines) if ln.startswith("| u*>") and ESI1.upper() in ln.upper())
    cells = lines[i].split("|")
    esi_cell = cells[3]
    cut = esi_cell.upper().index(ESI1.upper()) + 24
    cont = [" " * len(c) for c in cells]
    cont[0], cont[-1] = cells[0], cells[-1]
    cont[3] = esi_cell[:1] + esi_cell[cut:] + " " * (len(esi_cell) - 1 - len(esi_cell[cut:]))
    cells[3] = esi_cell[:cut] + " " * (len(esi_cell) - cut)
    lines[i:i + 1] = ["|".join(cells), "|".join(cont)]
    return "\n".join(lines)


@pytest.mark.parametrize("view", VIEWS, ids=lambda p: p.name)
def test_rows_read_fast_count_as_the_tables_do(view: Path) -> None:
    fast, tables = _both(view.read_text())
    rds_seen = sorted({r.rd for t in (1, 3) for r in tables.of_type(t)})
    for rds, esis, valid_only in itertools.product(
            [set(rds_seen), set(rds_seen[:1]), set()], [frozenset({ESI1, ESI2}), frozenset({ESI2}), frozenset()],
            [True, False]):
        assert intent_routes(fast, rds, esis, esis, valid_only=valid_only, types=(1, 3, 4)) == \
            intent_routes(tables, rds, esis, esis, valid_only=valid_only, types=(1, 3, 4)), (rds, esis, valid_only)


def test_a_wrapped_row_is_left_to_the_table_reader() -> None:
    text = (FIXTURES / "tutorial_leaf3_show_bgp_routes_evpn_summary.txt").read_text()
    fast, _ = _both(text)
    assert [len(r) if r is not _ABSENT else "absent" for r in (_rows_of(fast, t) for t in (1, 3, 4))] == [4, 2, "absent"]
    wrapped = _wrapped(text)
    fast, tables = _both(wrapped)
    assert _rows_of(fast, 1) is None  # the continuation row does not read as a row
    assert [r.esi for r in tables.of_type(1)].count(ESI1) == 4  # the table reader joins it
    args = ({"10.0.0.1:111", "10.0.0.2:111"}, frozenset({ESI1}), frozenset({ESI1}))
    assert intent_routes(fast, *args, valid_only=True, types=(1, 3, 4)) == {1: 4, 3: 2, 4: 0}
    # and the rows per originator are the table reader's on a view the fast rows cannot read
    owners, esis = {"10.0.0.1:111": "10.0.0.1", "10.0.0.2:111": "10.0.0.2"}, frozenset({ESI1})
    assert rib_groups(fast, owners, esis, esis) == rib_groups(_both(wrapped)[1], owners, esis, esis) == \
        rib_groups(_both(text)[0], owners, esis, esis)
    assert only_intent_rows(fast, 111, {"10.0.0.1", "10.0.0.2"}, frozenset({ESI1}), frozenset({ESI1}))


@pytest.mark.parametrize(("change", "holds"), [
    (lambda t: t, True),
    (lambda t: t.replace("10.0.0.1:111  ", "10.0.0.1:222  ", 1), False),  # another EVI's RT1
    (lambda t: t.replace(ESI1, ESI2, 1), False),  # an ESI not the intent's
    (lambda t: t.replace("| 10.0.0.2            |", "| 10.0.0.9            |", 1), False),  # RT3 of no leaf
    (lambda t: t.replace("10.0.0.1:111      ", "10.0.0.1111      ", 1), False),  # an RD without its EVI
])
def test_only_intent_rows_judges_each_row(change, holds: bool) -> None:
    text = (FIXTURES / "tutorial_leaf3_show_bgp_routes_evpn_summary.txt").read_text()
    changed = change(text)
    assert (changed == text) is holds
    routes = parse_evpn_summary(changed).routes
    assert only_intent_rows(routes, 111, {"10.0.0.1", "10.0.0.2"}, frozenset({ESI1}), frozenset({ESI1})) is holds


def test_an_rt4_row_is_the_intents_with_an_rd_of_evi_0_only() -> None:
    text = (FIXTURES / "tutorial_leaf2_show_bgp_routes_evpn_summary.txt").read_text()
    routes = parse_evpn_summary(text).routes
    args = (111, {"10.0.0.1", "10.0.0.3"}, frozenset({ESI1}), frozenset({ESI1}))
    assert only_intent_rows(routes, *args)
    rt4 = text[text.index("\nType 4 "):]
    row = next(ln for ln in rt4.split("\n") if ln.startswith("| u*>"))
    assert ":0 " in row
    changed = text.replace(row, row.replace(":0 ", ":7 ", 1))
    assert not only_intent_rows(parse_evpn_summary(changed).routes, *args)
    groups = rib_groups(parse_evpn_summary(changed).routes, {"10.0.0.1:111": "10.0.0.1"}, args[2], args[3]).groups
    assert groups[(4, "10.0.0.1:7", ESI1)] == 1 and (4, "10.0.0.1", ESI1) not in groups


ESI_HEX = "01:ab:cd:ef:11:11:11:00:00:01"  # an ESI with letters (ESI1 has none)


def _upper_esis(text: str) -> str:
    """The view with ESI1 as ESI_HEX in capitals (the table reader lowercases an ESI)."""
    return text.replace(ESI1, ESI_HEX.upper())


def _some_invalid(text: str) -> str:
    """Every other row of each table, its first one first, drawn as an invalid path (`u >`:
    no `*`)."""
    lines = text.split("\n")
    nth = 0
    for i, ln in enumerate(lines):
        nth = 0 if ln.startswith("Type ") else nth
        if ln.startswith("| u*>"):
            if nth % 2 == 0:
                lines[i] = ln.replace("| u*>", "| u >", 1)
            nth += 1
    return "\n".join(lines)


@pytest.mark.parametrize("view", VIEWS, ids=lambda p: p.name)
@pytest.mark.parametrize("change", [_upper_esis, _some_invalid], ids=["upper-esis", "some-invalid"])
def test_rows_read_fast_count_as_the_tables_do_in_capitals_and_invalid_paths(view: Path, change) -> None:
    """The fast rows lowercase the ESIs as the table reader does, and count an invalid path
    (no `*`) exactly when the table reader does (`valid_only`), RT4 as RT1/RT3."""
    text = change(view.read_text())
    fast, tables = _both(text)
    rds = {r.rd for t in (1, 3) for r in tables.of_type(t)}
    esis = frozenset({ESI1, ESI2, ESI_HEX})
    for valid_only in (True, False):
        assert intent_routes(fast, rds, esis, esis, valid_only=valid_only, types=(1, 3, 4)) == \
            intent_routes(tables, rds, esis, esis, valid_only=valid_only, types=(1, 3, 4)), valid_only


def test_only_intent_rows_reads_esis_in_capitals() -> None:
    for name, leaves in (("tutorial_leaf3", {"10.0.0.1", "10.0.0.2"}), ("tutorial_leaf2", {"10.0.0.1", "10.0.0.3"})):
        text = (FIXTURES / f"{name}_show_bgp_routes_evpn_summary.txt").read_text()
        changed = _upper_esis(text)
        assert changed != text
        routes = parse_evpn_summary(changed).routes
        assert only_intent_rows(routes, 111, leaves, frozenset({ESI_HEX}), frozenset({ESI_HEX})), name


def test_an_rt4_row_of_an_es_not_imported_is_not_the_intents() -> None:
    text = (FIXTURES / "tutorial_leaf2_show_bgp_routes_evpn_summary.txt").read_text()
    routes = parse_evpn_summary(text).routes
    assert only_intent_rows(routes, 111, {"10.0.0.1", "10.0.0.3"}, frozenset({ESI1}), frozenset({ESI1}))
    # the same RT4 row (RD `<ip>:0`), of an ES this leaf does not import
    assert not only_intent_rows(routes, 111, {"10.0.0.1", "10.0.0.3"}, frozenset({ESI1}), frozenset({ESI2}))


def test_routes_counted_in_the_footers_without_their_table_are_not_told_the_intents() -> None:
    """The footers count an RT4 the view draws no `Type 4` table for: whose it is cannot be
    told, so the footers are not trusted."""
    text = (FIXTURES / "tutorial_leaf2_show_bgp_routes_evpn_summary.txt").read_text()
    start = text.index("\nType 4 ")
    end = text.index("\n+-", text.index("\n+=", start) + 1)
    end = text.index("\n", end + 1)
    without = text[:start] + text[end:]
    routes = parse_evpn_summary(without).routes
    assert routes.count(4) == 1 and _rows_of(routes, 4) is _ABSENT
    assert not only_intent_rows(routes, 111, {"10.0.0.1", "10.0.0.3"}, frozenset({ESI1}), frozenset({ESI1}))


def test_a_table_drawn_without_its_header_rule_is_left_to_the_table_reader() -> None:
    """A `Type 4` table whose header has no `+===+` line is not read as "no table" (0
    routes): the table reader is asked, and says the view is broken."""
    from nornir_evpn.errors import ParseError

    text = (FIXTURES / "tutorial_leaf2_show_bgp_routes_evpn_summary.txt").read_text()
    start = text.index("\nType 4 ")
    sep = text.index("\n+=", start)
    eol = text.index("\n", sep + 1)
    broken = text[:sep + 1] + text[sep + 1:eol].replace("=", "-") + text[eol:]
    routes = parse_evpn_summary(broken).routes
    assert _rows_of(routes, 4) is None
    with pytest.raises(ParseError):
        intent_routes(routes, {"10.0.0.1:111"}, frozenset({ESI1}), frozenset({ESI1}), valid_only=True, types=(4,))


@pytest.mark.parametrize("view", [v for v in VIEWS if not v.name.startswith("srl25_eda")], ids=lambda p: p.name)
def test_a_view_drawn_as_expected_is_counted_without_the_table_reader(view: Path, monkeypatch) -> None:
    """The point of `_ROWS`: a 128-leaf RIB's tables cost 2 ms a leaf a poll to read (the
    EDA view left out: its RT3 neighbor cells wrap, read by the table reader)."""
    fast, _ = _both(view.read_text())
    assert all(_rows_of(fast, t) is not None for t in (1, 3, 4))

    def no_reading(self, rtype):
        raise AssertionError(f"the table of type {rtype} was read")

    monkeypatch.setattr(EvpnRouteSet, "of_type", no_reading)
    intent_routes(fast, {"10.0.0.1:111"}, frozenset({ESI1}), frozenset({ESI1}), valid_only=True, types=(1, 3, 4))
