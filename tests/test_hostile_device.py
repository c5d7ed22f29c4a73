"""What a compromised or misbehaving device answers cannot take over the operator's terminal,
break the JUnit file, hang the run, or pass for a commit (hostile-device tester)."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest
from nornir_evpn.tasks import configure_fabric
from nornir_evpn.tasks.verify import collect_outputs
from runbook_nornir import nornir_on_twin

from nornir_evpn import platform, session
from nornir_evpn.device_text import visible
from nornir_evpn.errors import DeviceError
from nornir_evpn.failures import one_line
from nornir_evpn.inventory import fabric_from_nornir
from nornir_evpn.reporting.common import JUnitCase, JUnitSuite, write_junit
from nornir_evpn.twin.cli_engine import CliSession
from nornir_evpn.twin.fabric_lab import attach
from nornir_evpn.twin.runtime import Twin
from nornir_evpn.twin.timing import get_profile

LAB = Path(__file__).resolve().parent.parent / "inventory" / "evpn-mh01.clab.yml"
# window title, clipboard (OSC 52), terminal reset, a C1 CSI, a right-to-left override
EVIL = "x\x1b]0;PWNED\x1b\\\x1b]52;c;ZWNobyBwd25lZA==\x07\x1bc\x9b2J\u202edehsilbatse"


def test_control_characters_are_written_out_and_clean_text_is_untouched() -> None:
    shown = visible(f"| 10.0.0.3 | {EVIL} |\n\tnext")
    assert shown == ("| 10.0.0.3 | x\\x1b]0;PWNED\\x1b\\\\x1b]52;c;ZWNobyBwd25lZA==\\x07\\x1bc\\x9b2J"
                     "\\u202edehsilbatse |\n\tnext")
    clean = "| 10.0.0.3 | established | 00:C1:AB:00:00:11 |\n"
    assert visible(clean) is clean
    assert one_line(RuntimeError(f"commit refused {EVIL}")) == "RuntimeError: " + visible(f"commit refused {EVIL}")


@pytest.fixture
def twin():
    with Twin(LAB) as t:
        yield t


def _answer(monkeypatch: pytest.MonkeyPatch, node: str, line: str, answer) -> None:  # type: ignore[no-untyped-def]
    """`node` answers `line` with answer(its real answer)."""
    execute = CliSession.execute

    def hostile(self, typed, tokens=None):  # type: ignore[no-untyped-def]
        out = execute(self, typed, tokens)
        return answer(out) if self.hostname == node and typed.strip() == line else out

    monkeypatch.setattr(CliSession, "execute", hostile)


def test_escape_sequences_in_a_show_reach_the_tool_written_out(twin: Twin, monkeypatch: pytest.MonkeyPatch) -> None:
    attach(twin, get_profile("instant"))  # the fabric model answers the shows
    _answer(monkeypatch, "spine1", platform.SHOW_BGP_NEIGHBORS, lambda out: out.replace("established", EVIL, 1))
    nr = nornir_on_twin(twin).filter(name="spine1")
    try:
        [text] = nr.run(task=lambda task: collect_outputs(task, [platform.SHOW_BGP_NEIGHBORS]))["spine1"][0].result.values()
    finally:
        nr.close_connections(on_failed=True)
    assert "\x1b" not in text and "\u202e" not in text and "\x9b" not in text
    # (scrapli strips some escape sequences itself; what it leaves is written out)
    assert "\\u202edehsilbatse" in text and "\\x1b" in text, text


def test_a_commit_answered_without_saying_it_committed_is_unknown_not_committed(
        twin: Twin, monkeypatch: pytest.MonkeyPatch) -> None:
    """`Commit aborted: ..., nothing applied` carries no error marker: leaf2 read "committed",
    and its checkpoint was recorded as the way back from a change it may not hold."""
    _answer(monkeypatch, "leaf2", platform.COMMIT_NOW,
            lambda out: "Commit aborted: validation daemon unreachable, nothing applied")
    nr = nornir_on_twin(twin)
    srl = nr.filter(filter_func=lambda h: h.platform == platform.PLATFORM)
    try:
        done = srl.run(task=configure_fabric, fabric=fabric_from_nornir(nr))
    finally:
        nr.close_connections(on_failed=True)
    leaf2 = done["leaf2"][0].result
    assert done["leaf2"].failed and leaf2["commit_unknown"] is True and leaf2["committed"] is False
    assert leaf2["error"] == ("its answer does not say it committed ('Commit aborted: validation daemon unreachable, "
                              "nothing applied') after `commit now` was sent: it may have committed; check leaf2's "
                              "running config")
    assert done["leaf1"][0].result["committed"] and not done["leaf1"].failed  # the others are untouched


class _Flooding:
    """A session whose device answers the one line typed with data and never a prompt."""

    timeout_transport = 30.0

    def __init__(self, chunk: bytes) -> None:
        self.chunk = chunk
        self.channel = self

    def write(self, _data: str) -> None:
        pass

    def read(self) -> bytes:
        return self.chunk


def test_an_answer_without_end_is_cut_off_by_size(monkeypatch: pytest.MonkeyPatch) -> None:
    """A flood held 1.25 GB after 110 s, and no host of the run was reported."""
    monkeypatch.setattr(session, "MAX_ANSWER_BYTES", 1 << 20)
    with pytest.raises(DeviceError, match=r"^the answer to `show version` went on past 1 MiB without a prompt: session dropped$"):
        list(session.paste(_Flooding(b"| 10.0.0.9 | established |\n" * 2000), ["show version"], 8))


def test_an_answer_that_drips_forever_is_cut_off_by_time(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]

    def clock() -> float:
        now[0] += 30.0  # a byte every timeout_transport, never a prompt
        return now[0]

    monkeypatch.setattr(session.time, "monotonic", clock)
    with pytest.raises(DeviceError, match=r"went on past 300s without a prompt"):
        list(session.paste(_Flooding(b"x"), ["show version"], 8))


def test_a_junit_file_holds_any_text_as_valid_xml(tmp_path: Path) -> None:
    path = tmp_path / "r.xml"
    write_junit(path, [JUnitSuite("verify", [JUnitCase("verify.bgp", f"leaf1 {EVIL}", failure=f"Actual: {EVIL}\x00",
                                                       output="diff \x1b[31m+x")])])
    case = ElementTree.parse(path).getroot().find("testsuite/testcase")
    assert case is not None and case.find("failure").text.startswith("Actual: x\\x1b]0;PWNED")  # type: ignore[union-attr]
    assert case.find("failure").text.endswith("\\x00")  # type: ignore[union-attr]
