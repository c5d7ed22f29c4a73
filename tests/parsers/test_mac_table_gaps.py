"""The MAC table's Active and Not-Programmed Reason columns: cases the mutation tester found
no test for."""

from __future__ import annotations

from pathlib import Path

from nornir_evpn.parsers.mac_table import parse_mac_table

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _without_column(text: str, index: int) -> str:
    """`text` with the box table's `index`th column (1 = the first) taken out."""
    out = []
    for line in text.splitlines():
        sep = "+" if line.startswith("+") else "|" if line.startswith("|") else None
        if sep is None:
            out.append(line)
            continue
        cells = line.split(sep)
        out.append(sep.join(cells[:index] + cells[index + 1:]))
    return "\n".join(out)


def test_a_view_without_the_active_column_reads_every_entry_active():
    text = (FIXTURES / "tutorial_leaf3_show_mac_table_mac-vrf-1.txt").read_text()
    assert "| Active  |" in text
    t = parse_mac_table(_without_column(text, 5))
    assert t.entries and all(e.active for e in t.entries.values())
    assert sorted(e.address for e in t.local()) == ["00:C1:AB:00:00:21", "00:C1:AB:00:00:22", "00:C1:AB:00:00:23"]


def test_a_reason_cell_of_n_a_or_none_in_any_case_is_no_reason():
    text = (FIXTURES / "srl26_iffirb_leaf1_show_mac_table.txt").read_text()
    row = next(ln for ln in text.splitlines() if ln.startswith("| AA:C1:AB:3E:6A:"))
    for reason, said in (("N/A", ""), ("None", ""), ("mac-dup", "mac-dup")):
        cells = row.split("|")
        cells[5] = " false".ljust(len(cells[5]))
        cells[7] = f" {reason}".ljust(len(cells[7]))
        entry = parse_mac_table(text.replace(row, "|".join(cells))).entries["aa:c1:ab:3e:6a:2b"]
        assert (entry.active, entry.not_programmed) == (False, said)
