"""Where the report goes cannot take: a full disk, a closed stdout. One line, never a traceback."""

from __future__ import annotations

import errno
import io
import json
import sys

import pytest

from nornir_evpn.cli import main
from reliability.helpers import INVENTORY, Watch


class _FullDevice(io.RawIOBase):
    """`> /dev/full`: every write fails with ENOSPC."""

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[no-untyped-def,override]
        raise OSError(errno.ENOSPC, "No space left on device")


def _verify(watch: Watch) -> list[str]:
    return ["verify", "--twin", "--twin-state", str(watch.state), "--inventory", str(INVENTORY), "--json"]


def test_a_full_stdout_is_one_line_and_exit_1(watch: Watch, capsys, monkeypatch) -> None:
    """`verify --json > /dev/full`: an OSError traceback, after every check had run."""
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BufferedWriter(_FullDevice()), encoding="utf-8"))
    assert main(_verify(watch)) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "nornir-evpn: error: cannot write the output: No space left on device"


def test_a_closed_stdout_still_runs_the_command(watch: Watch, capsys, monkeypatch) -> None:
    """`verify --json >&-`: Python leaves sys.stdout None; the report's first write was an
    AttributeError traceback. The checks run and exit as they would (the JSON goes nowhere)."""
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdout", None)
    code = main(_verify(watch))
    err = capsys.readouterr().err
    assert code in (0, 1) and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith(("verify PASS:", "verify FAIL:"))
    with pytest.raises(json.JSONDecodeError):  # nothing reached the captured stdout
        json.loads(capsys.readouterr().out)
