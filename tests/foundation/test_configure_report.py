"""configure's table: the status word says what happened on the device."""

from __future__ import annotations

import io

from rich.console import Console

from nornir_evpn.reporting.configure import print_configure

DIFF = "+ set / interface lag1 admin-state enable"


def _entry(**kw):  # type: ignore[no-untyped-def]
    base = {"ok": True, "changed": False, "error": None, "diff": "", "committed": False,
            "device_error": None, "seconds": 0.1, "added": 0, "removed": 0, "pruned": []}
    return {**base, **kw}


def test_status_words() -> None:
    doc = {"command": "configure", "ok": False, "mode": "confirmed", "features": ["multihoming"],
           "notes": ["a commit failed: every host was rolled back"], "interrupted": None,
           "hosts": {
               "leaf1": _entry(diff=DIFF, added=1),  # committed, then rolled back with the others
               "leaf2": _entry(ok=False, diff=DIFF, added=1, error="Error: commit refused"),
               "leaf3": _entry(),
               "spine1": _entry(changed=True, committed=True, diff=DIFF, added=1),
           }}
    out = io.StringIO()
    print_configure(Console(file=out, width=120, color_system=None), doc, show_diff=False)
    rows = {line.split("│")[1].strip(): line.split("│")[2].strip()
            for line in out.getvalue().splitlines() if line.startswith("│")}
    assert rows == {"leaf1": "not applied", "leaf2": "FAILED", "leaf3": "unchanged", "spine1": "committed"}


def test_names_too_long_for_the_box_print_one_whole_line_per_host() -> None:
    """A host name longer than the terminal leaves room for (or a 40-column terminal): rich
    cut every cell to "leaf-ams-dc3-hall2-row12-rack07-unit42…" and "committ…", so the
    failed leaf of a pair could not be told from the other."""
    doc = {"command": "configure", "ok": False, "mode": "commit", "features": ["multihoming"],
           "notes": [], "interrupted": None, "hosts": {
               "leaf-ams-dc3-hall2-row12-rack07-unit42-1": _entry(changed=True, committed=True,
                                                                  diff=DIFF, added=102),
               "leaf-ams-dc3-hall2-row12-rack07-unit42-2": _entry(ok=False, diff=DIFF, added=102,
                                                                  error="Error: commit refused"),
           }}
    for width in (40, 80):
        out = io.StringIO()
        print_configure(Console(file=out, width=width, color_system=None), doc, show_diff=False)
        text = out.getvalue()
        assert "…" not in text
        assert "leaf-ams-dc3-hall2-row12-rack07-unit42-1: committed, changed yes, +102/-0, 0.10s" in text
        assert "leaf-ams-dc3-hall2-row12-rack07-unit42-2: FAILED, changed no, +102/-0, 0.10s" in text
    out = io.StringIO()  # wide enough: still the table
    print_configure(Console(file=out, width=120, color_system=None), doc, show_diff=False)
    assert "│ leaf-ams-dc3-hall2-row12-rack07-unit42-2 │ FAILED" in out.getvalue()


def test_the_summary_counts_the_saved_hosts_when_asked_to_save() -> None:
    hosts = {"leaf1": _entry(changed=True, committed=True, diff=DIFF, added=1, saved=True),
             "leaf2": _entry(ok=False, changed=True, committed=True, diff=DIFF, added=1, saved=False,
                             error="committed, not saved to startup: Error: disk full")}
    for save, tail in ((True, "configure FAILED: 2 hosts, 2 changed, 1 failed, 1 saved to startup"),
                       (False, "configure FAILED: 2 hosts, 2 changed, 1 failed")):
        doc = {"command": "configure", "ok": False, "mode": "commit", "features": ["multihoming"],
               "notes": [], "interrupted": None, "save": save, "hosts": hosts}
        out = io.StringIO()
        print_configure(Console(file=out, width=120, color_system=None), doc, show_diff=False)
        assert out.getvalue().rstrip().splitlines()[-1] == tail


def test_every_json_document_says_when_the_command_ran(capsys) -> None:
    import json
    import re

    from nornir_evpn.reporting.common import emit_json
    from nornir_evpn.timestamps import iso_utc, mark_run_start

    assert iso_utc(1795760000.5) == "2026-11-27T06:13:20.500Z"
    mark_run_start(1795760000.0)
    emit_json({"command": "verify", "ok": True})
    doc = json.loads(capsys.readouterr().out)
    assert doc["started_at"] == "2026-11-27T06:13:20.000Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", doc["finished_at"])
    assert doc["finished_at"] > doc["started_at"] and doc["command"] == "verify"


def test_a_summary_count_is_plural_but_for_one() -> None:
    """`configure ok: 1 host` and `rollback ok: 1 host`; none is plural too ("0 hosts")."""
    from nornir_evpn.reporting.common import counted

    assert [counted(n, "host") for n in (0, 1, 2, 130)] == ["0 hosts", "1 host", "2 hosts", "130 hosts"]


def test_junit_fails_a_drifted_host_only_in_a_drift_check() -> None:
    """`configure --dry-run --exit-code --junit F` as a nightly drift check: the job exits 3,
    and the JUnit file said every host passed (the drift was in system-out only), so CI showed
    a failed job with all tests green. With --exit-code a host that would change is a failure
    naming its replaced values; a committing run's change is no failure, nor a plain dry run's."""
    from nornir_evpn.reporting.configure import configure_junit

    replaced = [{"path": "interface ethernet-1/49 admin-state", "old": "disable", "new": None, "default": "enable"},
                {"path": "interface lag1 lag min-links", "old": "1", "new": None, "default": "1"},
                {"path": "interface lag1 description", "old": "x", "new": None},  # (a 0.20 document)
                {"path": "network-instance default protocols bgp neighbor 10.0.0.2 afi-safi evpn admin-state",
                 "old": "disable", "new": None, "default": None},
                {"path": "network-instance mac-vrf-1 protocols bgp-evpn bgp-instance 1 ecmp",
                 "old": "4", "new": "2"}]
    hosts = {"leaf1": _entry(changed=True, diff=DIFF, added=1, removed=1, replaced=replaced),
             "leaf2": _entry(), "leaf3": _entry(ok=False, error="cannot connect: refused")}

    def failures(mode: str, drift: bool) -> dict[str, str | None]:
        doc = {"command": "configure", "ok": False, "mode": mode, "hosts": hosts}
        [suite] = configure_junit(doc, drift=drift)
        return {c.name: c.failure for c in suite.cases}

    got = failures("dry-run", True)
    assert got["leaf2"] is None and got["leaf3"] == "cannot connect: refused"
    assert got["leaf1"] == ("drift from the intent: would change +1/-1\n"
                            "interface ethernet-1/49 admin-state: disable -> deleted (its default, enable)\n"
                            "interface lag1 lag min-links: 1 -> deleted (its default, 1: no effect)\n"
                            "interface lag1 description: x -> deleted\n"
                            "network-instance default protocols bgp neighbor 10.0.0.2 afi-safi evpn admin-state: "
                            "disable -> deleted (its group's applies)\n"
                            "network-instance mac-vrf-1 protocols bgp-evpn bgp-instance 1 ecmp: 4 -> 2")
    assert failures("validate", True)["leaf1"] == got["leaf1"]
    for mode, drift in (("dry-run", False), ("commit", True), ("confirmed", True)):
        assert failures(mode, drift)["leaf1"] is None, (mode, drift)


def test_a_dry_run_s_unread_host_is_not_said_unchanged_and_exit_3_is_said() -> None:
    """A drift check's unreachable host read `changed no` (it was never read: `?`), and its
    summary line was a green `configure ok` while --exit-code exited 3 (drift tester)."""
    hosts = {"leaf1": _entry(changed=True, diff=DIFF, added=1),
             "leaf2": _entry(ok=False, error="leaf2: timeout: no answer within 30s")}

    def printed(ok: bool, exit_code: bool, **entries):  # type: ignore[no-untyped-def]
        doc = {"command": "configure", "ok": ok, "mode": "dry-run", "features": ["multihoming"],
               "notes": [], "interrupted": None, "hosts": entries}
        out = io.StringIO()
        print_configure(Console(file=out, width=120, color_system=None), doc, show_diff=False, exit_code=exit_code)
        lines = out.getvalue().splitlines()
        return ({line.split("│")[1].strip(): line.split("│")[3].strip() for line in lines if line.startswith("│")},
                lines[-1])

    rows, last = printed(False, True, **hosts)
    assert rows == {"leaf1": "yes", "leaf2": "?"}
    assert last == "configure FAILED: 2 hosts, 1 would change, 1 failed"  # exit 1: no exit 3 said
    rows, last = printed(True, True, leaf1=hosts["leaf1"])
    assert last == "configure ok: 1 host, 1 would change, 0 failed (--exit-code: exit 3)"
    assert printed(True, False, leaf1=hosts["leaf1"])[1] == "configure ok: 1 host, 1 would change, 0 failed"
    assert printed(True, True, leaf1=_entry())[1] == "configure ok: 1 host, 0 would change, 0 failed"
