"""`verify --outputs DIR`: this run's outputs only, one file per command, inside DIR."""
from __future__ import annotations

import os
import subprocess
import sys
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


def test_hosts_left_from_an_earlier_run_are_named(tmp_path: Path) -> None:
    """`verify --hosts leaf1 --outputs DIR` after a full run refreshed leaf1's folder and
    left leaf2's and leaf10's from the run before, silently: a diff of DIR compared files of
    two runs (determinism tester). The note names them, in host order; a host this run
    selected but could not read is emptied, not named; a folder without outputs is not one."""
    assert write_outputs(tmp_path, {h: {"outputs": {"show version": "old"}}
                                    for h in ("leaf1", "leaf2", "leaf10")}) == []
    (tmp_path / "notes").mkdir()  # the user's own, with no outputs in it
    assert write_outputs(tmp_path, {"leaf1": {"outputs": {"show version": "new"}},
                                    "leaf3": {"outputs": {}, "error": "cannot connect"}}) == [
        f"--outputs {tmp_path}: leaf2, leaf10 hold an earlier run's outputs (not selected this run)"]
    assert write_outputs(tmp_path, {h: {"outputs": {"show version": "x"}} for h in ("leaf2", "leaf10")}) == [
        f"--outputs {tmp_path}: leaf1 holds an earlier run's outputs (not selected this run)"]
    # many folded as every host list is
    write_outputs(tmp_path, {f"leaf{n}": {"outputs": {"show version": "x"}} for n in range(1, 17)})
    assert write_outputs(tmp_path, {"leaf1": {"outputs": {"show version": "y"}}}) == [
        f"--outputs {tmp_path}: leaf2 … leaf16 (15) hold an earlier run's outputs (not selected this run)"]


def test_a_host_name_never_leaves_the_directory(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    write_outputs(out, {"..": {"outputs": {"show version": "x"}}, "a/../../b": {"outputs": {"show version": "y"}}})
    assert sorted(p.name for p in out.iterdir()) == ["_..", "a_.._.._b"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_outputs_are_utf8_whatever_the_locale(tmp_path: Path) -> None:
    """A device's text (a BGP neighbor's `Description : Lien → RR, café` in the
    advertised-routes output) was written in the locale's encoding: under `LC_ALL=C
    PYTHONUTF8=0` (ASCII) or `LANG=fr_FR.ISO-8859-1` a `→` stopped verify with a
    UnicodeEncodeError traceback after every host was read, and no report."""
    code = ("import sys; from pathlib import Path; from nornir_evpn.commands.verify import write_outputs; "
            "write_outputs(Path(sys.argv[1]), {'leaf1': {'outputs': {'show x': 'Description : Lien \\u2192 RR, caf\\u00e9'}}})")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG", "PYTHONIOENCODING"))}
    env.update(LC_ALL="C", PYTHONUTF8="0")  # no C.UTF-8 coercion with LC_ALL set: an ASCII locale
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr[-1500:]
    assert (tmp_path / "leaf1" / "show_x.txt").read_bytes().decode("utf-8") == "Description : Lien → RR, café\n"


def test_a_directory_that_cannot_be_made_is_named_not_an_inner_probe_file(tmp_path: Path) -> None:
    """`--outputs afile/sub` named `afile/sub/.nornir-evpn-write-test` (a file of the tool's
    own check) in its one line; the user gave `afile/sub`, so that is the path it names."""
    import pytest

    from nornir_evpn.commands.verify import prepare_outputs_dir
    from nornir_evpn.errors import UserInputError

    (tmp_path / "afile").write_text("")
    with pytest.raises(UserInputError) as info:
        prepare_outputs_dir(tmp_path / "afile" / "sub")
    assert str(info.value) == f"--outputs {tmp_path / 'afile' / 'sub'}: cannot create directory: Not a directory"
    assert prepare_outputs_dir(tmp_path / "new" / "dir").is_dir()
    assert list((tmp_path / "new" / "dir").iterdir()) == []


def test_a_file_another_verify_removed_meanwhile_is_no_error(tmp_path: Path, monkeypatch) -> None:
    """Two verifies given one `--outputs DIR` (a cron job and an engineer): the other run may
    delete a host's old file between this run listing it and removing it, which said
    `--outputs DIR: cannot write` after the run."""
    write_outputs(tmp_path, {"leaf1": {"outputs": {"show interface lag1": "old"}}})
    listed = list((tmp_path / "leaf1").glob("*.txt"))
    real_glob = Path.glob
    monkeypatch.setattr(Path, "glob", lambda self, pattern: [*real_glob(self, pattern), *(
        p.with_name("gone.txt") for p in listed)])
    write_outputs(tmp_path, {"leaf1": {"outputs": {"show interface lag1": "new"}}})
    assert (tmp_path / "leaf1" / "show_interface_lag1.txt").read_text() == "new\n"


def test_outputs_given_a_file_says_it_is_a_file(tmp_path: Path) -> None:
    """`--outputs report.txt` (a file there): the one line says what the user gave is a file,
    before any host is read, and leaves the file as it was."""
    import pytest

    from nornir_evpn.commands.verify import prepare_outputs_dir
    from nornir_evpn.errors import UserInputError

    (tmp_path / "report.txt").write_text("keep\n")
    with pytest.raises(UserInputError) as info:
        prepare_outputs_dir(tmp_path / "report.txt")
    assert str(info.value) == f"--outputs {tmp_path / 'report.txt'}: is a file, expected a directory"
    assert (tmp_path / "report.txt").read_text() == "keep\n"
