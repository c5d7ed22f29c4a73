"""verify reporting: JSON contract, matrix cells, JUnit cases (no devices)."""

from __future__ import annotations

import io
from xml.etree import ElementTree

import pytest
from rich.console import Console

from nornir_evpn.checks.mac import NOT_LEARNT
from nornir_evpn.reporting.common import write_junit
from nornir_evpn.reporting.verify import print_verify, verify_document, verify_junit

OK = {"name": "bgp.underlay_established", "ok": True, "expected": {"a": 1}, "observed": {"a": 1}, "detail": "spine1 a: 1"}
BAD = {"name": "evpn.received", "ok": False, "expected": {"mac-vrf-1 RT1": 4}, "observed": {"mac-vrf-1 RT1": 2},
       "detail": "leaf3 mac-vrf-1 RT1 - Expected: 4 Actual: 2"}
HOSTS = {
    "leaf3": {"checks": [dict(OK, detail="leaf3 a: 1"), BAD], "error": None, "seconds": 0.1},
    "spine1": {"checks": [OK], "error": None, "seconds": 0.1},
    "leaf9": {"checks": [], "error": "ScrapliAuthenticationFailed: password authentication failed", "seconds": 1.0},
}
NAMES = ["bgp.underlay_established", "evpn.received", "mac.local"]


def test_json_document_contract() -> None:
    doc = verify_document(HOSTS)
    assert (doc["command"], doc["ok"]) == ("verify", False)
    assert doc["hosts"]["spine1"] == {"ok": True, "changed": False, "error": None, "checks": [OK], "seconds": 0.1}
    assert doc["hosts"]["leaf3"]["ok"] is False and doc["hosts"]["leaf9"]["ok"] is False
    assert doc["summary"] == {"hosts": 3, "hosts_failed": 2, "checks": 3, "checks_failed": 1}
    assert verify_document({"spine1": HOSTS["spine1"]})["ok"] is True


def test_matrix_and_failures() -> None:
    buf = io.StringIO()
    print_verify(Console(file=buf, width=200, color_system=None), verify_document(HOSTS), NAMES)
    text = buf.getvalue()
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
            for line in text.splitlines() if line.startswith("│")}
    assert rows["evpn.received"] == ["✗", "−", "!"]
    assert rows["bgp.underlay_established"] == ["✓", "✓", "!"]
    assert "mac.local" not in rows  # no host ran it
    assert "✗ evpn.received: leaf3 mac-vrf-1 RT1 - Expected: 4 Actual: 2" in text
    assert "! leaf9: ScrapliAuthenticationFailed: password authentication failed" in text
    assert text.rstrip().endswith("verify FAIL: 2/3 checks passed on 1/3 hosts; not checked: leaf9")



def test_a_check_not_judged_is_a_question_mark_and_a_note() -> None:
    """Left to another check (its cause), a check that applies was drawn `−`, as if nothing
    were expected there."""
    from nornir_evpn.reporting.verify import not_judged_notes

    why = "its overlay session to 10.0.0.1 is not established (see bgp.overlay_established)"
    hosts = {**HOSTS, "spine1": {**HOSTS["spine1"], "not_judged": {"mac.local": why}}}
    doc = verify_document(hosts)
    assert doc["hosts"]["spine1"]["not_judged"] == {"mac.local": why}
    assert "not_judged" not in doc["hosts"]["leaf3"]
    doc["notes"] = not_judged_notes(doc["hosts"])
    assert doc["notes"] == [f"mac.local not judged on 1 host(s): spine1: {why}"]
    buf = io.StringIO()
    print_verify(Console(file=buf, width=200, color_system=None), doc, NAMES)
    text = buf.getvalue()
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[2:-1]]
            for line in text.splitlines() if line.startswith("│")}
    assert rows["mac.local"] == ["−", "?", "!"]  # shown, though no host judged it
    assert f"note: mac.local not judged on 1 host(s): spine1: {why}" in text


def test_a_check_not_judged_is_a_skipped_junit_case(tmp_path) -> None:
    why = "its overlay session to 10.0.0.1 is not established (see bgp.overlay_established)"
    path = tmp_path / "v.xml"
    write_junit(path, verify_junit(verify_document({"leaf3": {**HOSTS["leaf3"], "not_judged": {"evpn.advertised": why}}})))
    suite = ElementTree.parse(path).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("3", "1", "1")
    [case] = [c for c in suite.findall("testcase") if c.get("name") == "evpn.advertised"]
    assert case.find("skipped").get("message") == why

def test_junit_one_case_per_host_check(tmp_path) -> None:
    path = tmp_path / "v.xml"
    write_junit(path, verify_junit(verify_document(HOSTS)))
    cases = ElementTree.parse(path).getroot().findall(".//testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("leaf3", "bgp.underlay_established"), ("leaf3", "evpn.received"),
        ("spine1", "bgp.underlay_established"), ("leaf9", "connect")]
    assert cases[1].find("failure").get("message") == BAD["detail"]
    assert cases[3].find("error") is not None


def test_big_fabric_matrix_has_hosts_as_rows_and_folds_alike_neighbours() -> None:
    hosts = {f"leaf{i}": {"checks": [OK], "error": None} for i in range(1, 13)}
    hosts["leaf5"] = {"checks": [BAD], "error": None}
    buf = io.StringIO()
    print_verify(Console(file=buf, width=120, color_system=None), verify_document(hosts), NAMES)
    text = buf.getvalue()
    assert "1=bgp.underlay_established" in text
    rows = [line for line in text.splitlines() if line.startswith("│ leaf")]
    assert [r.split("│")[1].strip() for r in rows] == [
        "leaf1 … leaf4 (4)", "leaf5", "leaf6 … leaf12 (7)"]
    assert "✗" in rows[1] and "✓" in rows[0] and "✓" in rows[2]
    assert "✗ evpn.received: leaf3 mac-vrf-1 RT1 - Expected: 4 Actual: 2" in text


@pytest.mark.parametrize(("width", "as_columns"), [(120, True), (80, False)])
def test_ten_hosts_are_columns_only_when_every_name_fits(width, as_columns) -> None:
    # 8 leaves + 2 spines: 115 columns as a check x host matrix; at 80 rich would cut the
    # check names to `es.…` and the hosts to `lea…`
    names = [f"leaf{i}" for i in range(1, 9)] + ["spine1", "spine2"]
    hosts = {h: {"checks": [OK], "error": None} for h in names}
    buf = io.StringIO()
    print_verify(Console(file=buf, width=width, color_system=None), verify_document(hosts), NAMES)
    text = buf.getvalue()
    assert "…" not in text.replace("leaf1 … spine2 (10)", "")
    assert max(map(len, text.splitlines())) <= width
    if as_columns:
        assert "│ bgp.underlay_established │" in text and "1=bgp" not in text
    else:
        assert "1=bgp.underlay_established" in text
        assert [line.split("│")[1].strip() for line in text.splitlines() if line.startswith("│ ")] == [
            "leaf1 … spine2 (10)"]


def test_traffic_hint_only_when_macs_were_not_learnt() -> None:
    quiet = {"name": "mac.local", "ok": False, "expected": {}, "observed": {},
             "detail": f"leaf3 mac-vrf-1 00:c1:ab:00:00:21 - Expected: learnt ethernet-1/1.0 Actual: {NOT_LEARNT}"}
    hint = "python -m nornir_evpn twin traffic"

    def printed(hosts: dict, traffic_hint: str | None) -> str:
        buf = io.StringIO()
        print_verify(Console(file=buf, width=200, color_system=None), verify_document(hosts), NAMES,
                     traffic_hint=traffic_hint)
        return buf.getvalue()

    not_learnt = {"leaf3": {"checks": [quiet, BAD], "error": None, "seconds": 0.1}}
    assert f"hint: leaves learn MACs from CE traffic only; if none was sent, `{hint}` sends some, then verify again" in printed(not_learnt, hint)
    assert "hint:" not in printed(not_learnt, None)  # not on the twin: no command to offer
    assert "hint:" not in printed(HOSTS, hint)  # failures of another kind


def test_checks_that_cannot_look_at_a_ce_say_so() -> None:
    """A CE whose MAC the topology does not pin (a real server's burned-in MAC) drops out of
    the MAC checks: verify says which, instead of a quieter matrix."""
    from pathlib import Path

    from nornir_evpn.commands.verify import skipped_notes
    from nornir_evpn.intent import derive_intent
    from nornir_evpn.topology import parse_topology

    lab = Path(__file__).resolve().parents[2] / "inventory" / "evpn-mh01.clab.yml"
    text = "\n".join(ln for ln in lab.read_text().splitlines() if "ip link set address" not in ln)
    fabric = derive_intent(parse_topology(text, lab))
    note = ("MAC checks skip ce1, ce2: the topology gives no MAC for them "
            "(pin one with `ip link set dev <if> address <mac>` in the CE's exec, or `mac:` on its link's endpoint)")
    assert skipped_notes(fabric, ["mac.local", "es.df"]) == [note]
    assert skipped_notes(fabric, ["es.df"]) == []  # no MAC check selected
    assert skipped_notes(derive_intent(parse_topology(lab.read_text(), lab)), ["mac.local"]) == []
    doc = dict(verify_document({"spine1": HOSTS["spine1"]}), notes=[note])
    buf = io.StringIO()
    print_verify(Console(file=buf, width=300, color_system=None), doc, NAMES)
    assert f"note: {note}\nverify PASS: 1/1 checks passed on 1/1 hosts" in buf.getvalue()


@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_a_stream_that_cannot_encode_the_glyphs_gets_ascii_stand_ins(monkeypatch, encoding) -> None:
    """PYTHONIOENCODING=ascii (or a C locale without UTF-8 mode): verify ran every check,
    then died on `✓` with a UnicodeEncodeError traceback and exit 1."""
    from nornir_evpn.reporting.common import console_for

    raw = io.BytesIO()
    monkeypatch.setattr("sys.stdout", io.TextIOWrapper(raw, encoding=encoding))
    hosts = {f"leaf{i}": {"checks": [OK], "error": None} for i in range(1, 13)}
    hosts["leaf5"] = {"checks": [BAD], "error": None}
    console = console_for(json_mode=False)
    print_verify(console, verify_document(hosts), NAMES)
    console.file.flush()
    text = raw.getvalue().decode("ascii")  # nothing outside ASCII, latin-1 included
    rows = [line for line in text.splitlines() if line.startswith("| leaf")]
    assert [[c.strip() for c in r.split("|")[1:-1]] for r in rows] == [
        ["leaf1 - leaf4 (4)", "+", "-"], ["leaf5", "-", "X"], ["leaf6 - leaf12 (7)", "+", "-"]]
    assert "X evpn.received: leaf3 mac-vrf-1 RT1 - Expected: 4 Actual: 2" in text


def test_a_console_too_narrow_for_any_table_gets_one_strip_per_host() -> None:
    """COLUMNS=40: rich squeezed the hosts x numbered checks table to blank cells, blank
    where a ✗ belonged. Each host (run of alike hosts) is now one strip of cells."""
    names = [f"check.n{i}" for i in range(1, 14)]
    hosts = {f"leaf{i}": {"checks": [dict(OK, name=n) for n in names], "error": None} for i in range(1, 5)}
    hosts["leaf2"] = {"checks": [dict(OK, name=n) for n in names[:12]] + [dict(BAD, name=names[12])],
                      "error": None}
    buf = io.StringIO()
    print_verify(Console(file=buf, width=40, color_system=None), verify_document(hosts), names)
    lines = buf.getvalue().splitlines()
    assert lines[0] == "verify (checks 1-13 left to right)"
    assert [line.rstrip() for line in lines[1:4]] == ["leaf1              " + "✓" * 13,
                                                      "leaf2              " + "✓" * 12 + "✗",
                                                      "leaf3 … leaf4 (2)  " + "✓" * 13]
