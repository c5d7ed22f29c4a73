"""Pipelined config loads: batching, and reading one prompt back per line from a stream."""

from __future__ import annotations

from nornir_evpn.tasks.config import BATCH_MAX_BYTES, _batches, load_lines

from nornir_evpn import platform

PROMPT = platform.prompt("leaf1", platform.CANDIDATE_PRIVATE_MODE, dirty=True)


class FakeChannel:
    """Answers every written line with echo + output + prompt, in awkward chunk sizes."""

    def __init__(self, answers: dict[str, str], chunk: int) -> None:
        self.answers, self.chunk = answers, chunk
        self.pending = b""
        self.writes: list[str] = []

    def write(self, text: str) -> None:
        self.writes.append(text)
        for line in text.splitlines():
            self.pending += f"{line}\n{self.answers.get(line, '')}{PROMPT}".encode()

    def read(self) -> bytes:
        out, self.pending = self.pending[:self.chunk], self.pending[self.chunk:]
        assert out, "read with nothing pending: the loader waited for a prompt never sent"
        return out


class FakeConn:
    def __init__(self, channel: FakeChannel) -> None:
        self.channel = channel
        self.privs: list[str] = []

    def acquire_priv(self, name: str) -> None:
        self.privs.append(name)


def test_batches_cap_lines_and_bytes() -> None:
    lines = [f"set / system description line{i:03d}" for i in range(10)]
    assert [len(b) for b in _batches(lines, 4)] == [4, 4, 2]
    long = ["x" * 1000] * 7
    batches = list(_batches(long, 64))
    assert all(sum(len(x) + 1 for x in b) <= BATCH_MAX_BYTES for b in batches)
    assert sum(len(b) for b in batches) == 7
    assert list(_batches(["y" * 5000], 64)) == [["y" * 5000]]  # one huge line still goes


def test_each_line_answered_and_last_output_kept() -> None:
    lines = [f"set / interface ethernet-1/{i} admin-state enable" for i in range(1, 8)]
    diff = "+ set / interface ethernet-1/1 admin-state enable\n"
    channel = FakeChannel({"diff flat": diff}, chunk=7)  # prompts split across reads
    loaded = load_lines(FakeConn(channel), [*lines, "diff flat"], batch_lines=3)
    assert loaded.error is None
    assert loaded.last_output == diff
    assert len(channel.writes) == 3  # 8 lines, 3 per round trip


def test_first_failing_line_is_named_and_the_load_stops() -> None:
    lines = ["set / a 1", "set / b 2", "set / c 3", "set / d 4", "set / e 5"]
    channel = FakeChannel({"set / b 2": "Parsing error: Unknown token 'b'.\n"}, chunk=4096)
    conn = FakeConn(channel)
    loaded = load_lines(conn, lines, batch_lines=2)
    assert loaded.error == "set / b 2: Parsing error: Unknown token 'b'."
    assert conn.privs == ["configuration"]
    assert len(channel.writes) == 1  # the batches after the failing one were never sent
