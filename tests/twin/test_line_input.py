"""The twin's terminal input: what a typed or pasted byte stream becomes, line by line."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from nornir_evpn.twin.server import _Session


class Engine:
    """Records the lines the server assembles; answers each with a prompt."""

    def __init__(self) -> None:
        self.closed = False
        self.lines: list[str] = []

    async def handle_line(self, line: str, received_at: float | None = None) -> str:
        self.lines.append(line)
        return "# "


class Channel:
    def __init__(self) -> None:
        self.out: list[str] = []

    def write(self, text: str) -> None:
        self.out.append(text)

    def is_closing(self) -> bool:
        return False


def _feed(*chunks: str) -> tuple[list[str], str, bool]:
    session = _Session(SimpleNamespace(extra_delay=0.0))  # type: ignore[arg-type]
    engine, channel = Engine(), Channel()
    session._engine, session._chan = engine, channel  # type: ignore[assignment]

    async def run() -> bool:
        keep = True
        for chunk in chunks:
            keep = await session._feed(chunk, 0.0)
        return keep

    keep_open = asyncio.run(run())
    return engine.lines, "".join(channel.out), keep_open


def test_a_paste_becomes_its_lines_with_crlf_as_one_enter() -> None:
    lines, echo, keep_open = _feed("set / a 1\r\nset / b\t2\nshow x\r", "\nlast")
    assert lines == ["set / a 1", "set / b\t2", "show x"]
    assert keep_open and echo.startswith("set / a 1\r\n")
    again, _, _ = _feed("last\r")
    assert again == ["last"]


def test_backspace_ctrl_c_and_escape_sequences_edit_the_line_as_a_terminal_does() -> None:
    lines, echo, _ = _feed("shox\x7fw a\x08b\r", "garbage\x03", "info\x1b[A\r")
    assert lines == ["show b", "", "info[A"]  # Ctrl-C drops the line and gets a fresh prompt
    assert "\b \b" in echo and "^C" in echo


def test_ctrl_d_on_an_empty_line_logs_out() -> None:
    lines, _, keep_open = _feed("show a\r\x04show b\r")
    assert lines == ["show a"] and not keep_open
