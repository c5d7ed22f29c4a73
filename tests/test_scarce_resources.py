"""A machine running short: a full disk, too few file descriptors (the scarce-resources
tester's findings; threads are in test_thread_shortage.py)."""

from __future__ import annotations

import asyncio
import errno
import io
import json
import logging
import os
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from nornir_evpn.cli import main
from nornir_evpn.commands.common import stop_logging_when_it_cannot_write
from nornir_evpn.errors import UserInputError

ROOT = Path(__file__).resolve().parent.parent
INVENTORY = ROOT / "inventory"
LAB = INVENTORY / "evpn-mh01.clab.yml"
def enospc() -> OSError:
    """A new ENOSPC each time: one module-level exception raised again kept its last
    traceback (a run's Nornir and its pool threads) alive for the rest of the process."""
    return OSError(errno.ENOSPC, "No space left on device")


class _FullFile(io.StringIO):
    def write(self, text: str) -> int:
        raise enospc()


def _disk_full_for(monkeypatch: pytest.MonkeyPatch, module) -> None:  # type: ignore[no-untyped-def]
    """Files `module` opens with os.fdopen take no byte (a full disk)."""
    def fdopen(fd: int, *args: object, **kwargs: object) -> _FullFile:
        os.close(fd)
        return _FullFile()

    monkeypatch.setattr(module.os, "fdopen", fdopen)


def test_an_inventory_rewritten_on_a_full_disk_is_left_as_it_was(tmp_path, monkeypatch) -> None:
    """hosts.yaml was cut mid-file (16,384 bytes), and over an existing inventory the user's
    groups.yaml/defaults.yaml edits were lost."""
    from nornir_evpn import outputs

    inv = tmp_path / "inventory"
    shutil.copytree(INVENTORY, inv)
    before = {p.name: p.read_bytes() for p in inv.glob("*.yaml")}
    _disk_full_for(monkeypatch, outputs)
    code = main(["inventory", "--topology", str(LAB), "--out", str(inv)])
    assert code == 2
    assert {p.name: p.read_bytes() for p in inv.glob("*.yaml")} == before
    assert not list(inv.glob(".*.tmp"))


def test_an_inventory_keeps_the_mode_of_the_files_it_replaces(tmp_path) -> None:
    inv = tmp_path / "inventory"
    assert main(["inventory", "--topology", str(LAB), "--out", str(inv)]) == 0
    (inv / "groups.yaml").chmod(0o640)
    assert main(["inventory", "--topology", str(LAB), "--out", str(inv)]) == 0
    assert (inv / "groups.yaml").stat().st_mode & 0o777 == 0o640
    umask = os.umask(0)
    os.umask(umask)
    assert (inv / "hosts.yaml").stat().st_mode & 0o777 == 0o666 & ~umask  # not a state file's 0600



def test_an_inventory_file_that_is_a_symlink_is_written_where_it_points(tmp_path) -> None:
    """0.14 wrote through a symlinked groups.yaml (kept in a shared repository); the atomic
    rewrite replaced the link with a copy and left the file it named as it was."""
    inv = tmp_path / "inventory"
    assert main(["inventory", "--topology", str(LAB), "--out", str(inv)]) == 0
    shared = tmp_path / "shared-groups.yaml"
    shared.write_text((inv / "groups.yaml").read_text() + "# kept\n")
    (inv / "groups.yaml").unlink()
    (inv / "groups.yaml").symlink_to(shared)
    assert main(["inventory", "--topology", str(LAB), "--out", str(inv)]) == 0
    assert (inv / "groups.yaml").is_symlink()
    assert "# kept" not in shared.read_text() and "srl:" in shared.read_text()

def test_a_twin_key_that_cannot_be_written_leaves_no_empty_key(tmp_path, monkeypatch) -> None:
    """The next `twin up` refused the 0-byte key ("is not a private key; delete it")."""
    from nornir_evpn.twin import keys

    state = tmp_path / "twin.json"
    _disk_full_for(monkeypatch, keys)
    with pytest.raises(UserInputError, match="cannot write: No space left on device"):
        keys.load_or_create_key(state)
    assert not keys.key_path(state).exists()


@pytest.fixture
def nornir_log(tmp_path: Path) -> Iterator[logging.FileHandler]:
    logger = logging.getLogger("nornir")
    handler = logging.FileHandler(tmp_path / "nornir.log")
    logger.addHandler(handler)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        handler.close()


def test_a_log_file_on_a_full_disk_is_one_line_not_a_traceback_per_record(nornir_log, capsys) -> None:
    """`verify -vv` with the log on a full disk: 206 "--- Logging error ---" tracebacks."""
    nornir_log.stream = _FullFile()
    stop_logging_when_it_cannot_write()
    for i in range(50):
        logging.getLogger("nornir.nornir_evpn.tasks").info("record %d", i)
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"note: --log-file {nornir_log.baseFilename}: cannot write: No space left on device; logging stopped"]
    assert nornir_log not in logging.getLogger("nornir").handlers


@pytest.fixture
def junit_on_a_full_disk(tmp_path, monkeypatch) -> Iterator[tuple[object, Path]]:
    """A served twin of the lab, and a --junit the disk refuses (ElementTree's write)."""
    from nornir_evpn.twin.fabric_lab import attach
    from nornir_evpn.twin.runtime import Twin

    with Twin(LAB) as twin:
        attach(twin)
        state = tmp_path / "twin.json"
        twin.state().write(state)

        def full(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            raise enospc()

        monkeypatch.setattr(ET.ElementTree, "write", full)
        yield twin, state


def _with_lost_junit(command: str, state: Path, junit: Path, capsys) -> tuple[int, dict, str]:  # type: ignore[no-untyped-def]
    capsys.readouterr()
    code = main([command, "--twin", "--twin-state", str(state), "--inventory", str(INVENTORY),
                 "--json", "--junit", str(junit)])
    out, err = capsys.readouterr()
    assert err.splitlines()[-1] == f"nornir-evpn: error: --junit {junit}: cannot write: No space left on device"
    return code, json.loads(out), err  # one document: the run's


def test_a_junit_report_lost_after_the_commit_is_exit_1_and_one_json_document(
        junit_on_a_full_disk, tmp_path, capsys) -> None:
    """configure committed, then `--junit: cannot write` exited 2, which says "bad input,
    nothing touched"; and --json printed a second document (the refusal's) after the run's."""
    twin, state = junit_on_a_full_disk
    code, doc, _ = _with_lost_junit("configure", state, tmp_path / "c.xml", capsys)
    assert code == 1
    assert doc["ok"] is True and doc["hosts"]["leaf1"]["committed"] is True
    assert "ethernet-segment ES-1" in "".join(twin.datastore("leaf1").running.flat())  # type: ignore[attr-defined]


def test_verify_with_a_junit_report_lost_still_prints_its_json(junit_on_a_full_disk, tmp_path, capsys) -> None:
    """verify wrote --junit before --json: a junit the disk refused left stdout empty (and
    exit 1 skips the refusal's document), so a CI job parsing it read nothing."""
    _, state = junit_on_a_full_disk
    code, doc, _ = _with_lost_junit("verify", state, tmp_path / "v.xml", capsys)
    assert code == 1
    assert doc["command"] == "verify" and "hosts" in doc  # the run's document, whatever its verdict


def test_the_twin_says_once_in_a_while_that_it_cannot_accept(caplog) -> None:
    """Out of file descriptors, asyncio logged a traceback for every failed accept() (the
    twin's log grew by 518 MB in two minutes at `ulimit -n 48`)."""
    from nornir_evpn.twin.runtime import _AcceptErrors

    loop = asyncio.new_event_loop()
    try:
        handler = _AcceptErrors()
        context = {"message": "socket.accept() out of system resource",
                   "exception": OSError(errno.EMFILE, "Too many open files")}
        with caplog.at_level(logging.ERROR):
            for _ in range(1000):
                handler(loop, context)
        [record] = caplog.records
        assert record.getMessage() == ("cannot accept SSH connections: Too many open files (1 time(s)); "
                                       "raise `ulimit -n`")
        caplog.clear()
        with caplog.at_level(logging.ERROR):  # anything else: asyncio's own handling
            handler(loop, {"message": "Task exception was never retrieved"})
        assert "Task exception was never retrieved" in caplog.text
    finally:
        loop.close()


def test_twin_up_says_when_the_open_files_limit_is_too_low(monkeypatch) -> None:
    import resource

    from nornir_evpn.twin.limits import open_files_needed, open_files_note

    monkeypatch.setattr(resource, "getrlimit", lambda what: (48, 48))
    assert open_files_note(30) == (
        "note: open files are limited to 48 here (ulimit -n, hard limit): the twin's 30 nodes need "
        f"{open_files_needed(30)} to serve a session to each at once; sessions beyond it time out. "
        f"Raise it (`ulimit -n {open_files_needed(30)}`) and run `twin down`, `twin up` again")
    monkeypatch.setattr(resource, "getrlimit", lambda what: (1024, 1024))
    assert open_files_note(30) is None


def test_a_host_failing_for_want_of_file_descriptors_names_the_limit() -> None:
    """Each host said `OSError: [Errno 24] Too many open files` with no hint that it is
    this process's limit, not the device."""
    from types import SimpleNamespace

    from nornir_evpn.failures import host_error

    host = SimpleNamespace(name="leaf7", hostname="127.0.0.1", port=22, connection_options={})
    error = host_error(host, OSError(errno.EMFILE, "Too many open files"))
    assert error.endswith("(this process's open files limit, `ulimit -n`: a session per host stays open; raise it)")
    assert "Too many open files" in error


def test_verify_outputs_on_a_full_disk_leave_no_empty_file(tmp_path, monkeypatch) -> None:
    """A 0-byte output file read like the device's empty answer."""
    from nornir_evpn.commands.verify import write_outputs

    def full(self: Path, text: str, *args: object, **kwargs: object) -> int:
        self.touch()  # opened, then nothing fits
        raise enospc()

    monkeypatch.setattr(Path, "write_text", full)
    with pytest.raises(UserInputError, match="No space left on device"):
        write_outputs(tmp_path, {"leaf1": {"outputs": {"show version": "Hostname leaf1"}}})
    assert not list(tmp_path.rglob("*.txt"))
