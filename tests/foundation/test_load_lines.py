"""Pipelined config loads: a bounded type-ahead window, one prompt read back per line."""

from __future__ import annotations

from nornir_evpn.tasks.cli_lines import load_lines, run_commands, send_line

from nornir_evpn import platform
from nornir_evpn.session import BATCH_MAX_BYTES

PROMPT = platform.prompt("leaf1", platform.CANDIDATE_PRIVATE_MODE, dirty=True)


class FakeChannel:
    """Answers every written line with echo + output + prompt, in awkward chunk sizes, and
    records how much was ever typed ahead (written but not yet answered by a read prompt)."""

    def __init__(self, answers: dict[str, str], chunk: int) -> None:
        self.answers, self.chunk = answers, chunk
        self.stream = b""
        self.read_to = 0
        self.answered_at: list[tuple[int, int]] = []  # (offset the line counts answered, bytes)
        self.writes: list[str] = []
        self.max_lines_ahead = self.max_bytes_ahead = 0

    def write(self, text: str) -> None:
        self.writes.append(text)
        for line in text.splitlines():
            prompt = platform.prompt("leaf1") if line in ("discard now", "commit now") else PROMPT
            self.stream += f"{line}\n{self.answers.get(line, '')}{prompt}".encode()
            # answered once the prompt's `#` is read (the pattern does not wait for its space)
            self.answered_at.append((len(self.stream) - 1, len(line) + 1))
        ahead = [size for end, size in self.answered_at if end > self.read_to]
        self.max_lines_ahead = max(self.max_lines_ahead, len(ahead))
        self.max_bytes_ahead = max(self.max_bytes_ahead, sum(ahead))

    def read(self) -> bytes:
        out = self.stream[self.read_to:self.read_to + self.chunk]
        assert out, "read with nothing pending: the loader waited for a prompt never sent"
        self.read_to += len(out)
        return out


class Priv:
    def __init__(self, name: str) -> None:
        self.name = name


class FakeConn:
    """The scrapli driver surface the loader uses: the channel and the tracked mode."""

    def __init__(self, channel: FakeChannel) -> None:
        self.channel = channel
        self.default_desired_privilege_level = "exec"
        self.privilege_levels = {"exec": Priv("exec"), "configuration": Priv("configuration")}
        self._current_priv_level = self.privilege_levels["exec"]


def test_type_ahead_is_capped_in_lines_and_bytes_and_refilled_before_it_drains() -> None:
    lines = [f"set / interface ethernet-1/{i} description {'x' * 40}" for i in range(1, 201)]
    channel = FakeChannel({}, chunk=200)
    assert load_lines(FakeConn(channel), lines, batch_lines=64).error is None
    assert channel.max_bytes_ahead <= BATCH_MAX_BYTES
    assert channel.max_lines_ahead <= 64
    # refilled at half a window: more writes than 4 full batches, each well under a batch
    assert len(channel.writes) > 200 // 64 + 1
    # every line once, in order, after entering the private candidate
    assert "".join(channel.writes).splitlines() == ["enter candidate private", *lines]


def test_one_line_longer_than_the_byte_cap_still_goes() -> None:
    channel = FakeChannel({}, chunk=4096)
    assert load_lines(FakeConn(channel), ["y" * 5000, "set / a 1"], batch_lines=64).error is None
    assert channel.writes == ["enter candidate private\n", "y" * 5000 + "\n", "set / a 1\n"]


def test_a_late_prompt_left_by_an_earlier_enter_is_not_taken_for_an_answer() -> None:
    # scrapli's get_prompt returned on the banner's prompt; the answer to its own Enter (a
    # bare prompt) arrives after our first line was typed. Counted as an answer, it shifted
    # every answer by one: a restore read an empty diff and committed nothing.
    channel = FakeChannel({"diff flat": "+ set / a 1\n"}, chunk=16)
    channel.stream = f"\n{PROMPT}".encode()
    loaded = load_lines(FakeConn(channel), ["set / a 1", "diff flat"], batch_lines=8)
    assert loaded.error is None and loaded.last_output == "+ set / a 1\n"


def test_each_line_answered_and_last_output_kept() -> None:
    lines = [f"set / interface ethernet-1/{i} admin-state enable" for i in range(1, 8)]
    diff = "+ set / interface ethernet-1/1 admin-state enable\n"
    channel = FakeChannel({"diff flat": diff}, chunk=7)  # prompts split across reads
    loaded = load_lines(FakeConn(channel), [*lines, "diff flat"], batch_lines=3)
    assert loaded.error is None
    assert loaded.last_output == diff
    assert channel.max_lines_ahead <= 3


def test_first_failing_line_is_named_and_the_load_stops() -> None:
    lines = ["set / a 1", "set / b 2", "set / c 3", "set / d 4", "set / e 5"]
    channel = FakeChannel({"set / b 2": "Parsing error: Unknown token 'b'.\n"}, chunk=4096)
    conn = FakeConn(channel)
    loaded = load_lines(conn, lines, batch_lines=3)
    assert loaded.error == "set / b 2: Parsing error: Unknown token 'b'."
    assert conn._current_priv_level.name == "configuration"  # learnt from the prompts
    # nothing after the failing line was sent
    assert channel.writes == ["enter candidate private\nset / a 1\nset / b 2\n"]


def test_a_session_known_to_be_in_the_candidate_does_not_enter_it_again() -> None:
    channel = FakeChannel({}, chunk=4096)
    conn = FakeConn(channel)
    conn._current_priv_level = conn.privilege_levels["configuration"]
    assert load_lines(conn, ["set / a 1"], batch_lines=8).error is None
    assert channel.writes == ["set / a 1\n"]


def test_send_line_is_one_round_trip_and_tracks_the_mode() -> None:
    channel = FakeChannel({"commit now": "All changes have been committed. Leaving candidate mode.\n"},
                          chunk=10)
    conn = FakeConn(channel)
    conn._current_priv_level = conn.privilege_levels["configuration"]
    assert send_line(conn, "commit now") is None
    assert channel.writes == ["commit now\n"]
    assert conn._current_priv_level.name == "exec"  # the running prompt came back
    bad = FakeChannel({"commit now": "Error: validation failed: mandatory leaf missing\n"}, chunk=4096)
    assert send_line(FakeConn(bad), "commit now") == "commit now: Error: validation failed: mandatory leaf missing"


def test_run_commands_returns_each_answer_without_echo_or_prompt() -> None:
    answers = {f"show x {i}": f"answer {i}\n" for i in range(10)}
    channel = FakeChannel(answers, chunk=13)
    assert run_commands(FakeConn(channel), list(answers), batch_lines=4) == list(answers.values())
    assert channel.max_lines_ahead <= 4
