"""The console's cut of a failed check's items at its bound (mut15: `<` for `<=` survived:
a detail of exactly SHOWN_ITEMS items said "... and 0 more item(s)")."""

from __future__ import annotations

from nornir_evpn.reporting.common import SHOWN_ITEMS, shorten_detail


def _detail(n: int) -> str:
    return "; ".join(f"leaf1 mac.esi_remote {i} - Expected: 1 Actual: 0" for i in range(n))


def test_a_detail_of_exactly_the_shown_items_is_left_whole() -> None:
    assert shorten_detail(_detail(SHOWN_ITEMS), "leaf1") == _detail(SHOWN_ITEMS)


def test_one_item_more_is_cut_and_counted() -> None:
    cut = shorten_detail(_detail(SHOWN_ITEMS + 1), "leaf1")
    assert cut == _detail(SHOWN_ITEMS) + f"; ... and 1 more item(s) ({SHOWN_ITEMS + 1} in all: --json has each)"
