"""`verify --outputs DIR`: this run's outputs only, one file per command, inside DIR."""
from __future__ import annotations

from pathlib import Path

from nornir_evpn.commands.verify import output_file_name, write_outputs


def test_ports_a_slash_apart_get_files_apart() -> None:
    names = {output_file_name(f"show interface {p}") for p in ("ethernet-1/11", "ethernet-11/1", "ethernet-1/1/1")}
    assert names == {"show_interface_ethernet-1-11.txt", "show_interface_ethernet-11-1.txt",
                     "show_interface_ethernet-1-1-1.txt"}


def test_a_host_not_read_this_run_keeps_no_file_of_the_last_one(tmp_path: Path) -> None:
    write_outputs(tmp_path, {"leaf3": {"outputs": {"show interface lag1": "old"}}})
    write_outputs(tmp_path, {"leaf3": {"outputs": {}, "error": "cannot connect"},
                             "leaf1": {"outputs": {"show interface lag1": "new"}}})
    assert list((tmp_path / "leaf3").iterdir()) == []
    assert (tmp_path / "leaf1" / "show_interface_lag1.txt").read_text() == "new\n"


def test_a_host_name_never_leaves_the_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    write_outputs(out, {"..": {"outputs": {"show version": "x"}}, "a/../../b": {"outputs": {"show version": "y"}}})
    assert sorted(p.name for p in out.iterdir()) == ["_..", "a_.._.._b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
