"""Second round of mutation testing (parsers/tables.py, checks/catalog.py, tasks/verify.py,
prune.py, checks/model.py): each test kills mutants the fast suites let through. Verbatim
transcripts, edited where a test needs another fabric state."""
from __future__ import annotations

from pathlib import Path

import pytest

from nornir_evpn import platform
from nornir_evpn.checks import applicable
from nornir_evpn.errors import ParseError
from nornir_evpn.intent import derive_intent
from nornir_evpn.parsers.tables import clean_lines, iter_tables
from nornir_evpn.prune import lag_commands, stale_member_lines
from nornir_evpn.render import Renderer
from nornir_evpn.topology import load_topology

from .edited import fx, spine1_with_leftover_overlay_session

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
LACP = (FIXTURES / "tutorial_leaf1_show_lag_lag1_lacp_state.txt").read_text()


def _config(fabric, node: str) -> list[str]:
    return [ln for lines in Renderer().render(fabric.nodes[node], fabric).values() for ln in lines]


def _with_member(text: str, row: str) -> str:
    """The transcript's lacp-state with one more one-row member after ethernet-1/1's rows."""
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("| ethernet-1/1 "))
    assert len(row) == len(lines[at])
    return "\n".join([*lines[:at + 3], row, *lines[at + 3:]]) + "\n"


# --- prune.py: `configure --prune` must never delete a member the intent has ----------------
# (stale_member_lines had no unit test: `port not in wanted` -> `in`, or the `if` negated,
# deleted leaf1's ethernet-1/1 from lag1 -- the ES's only member -- and the fast suites passed)
def test_prune_keeps_the_members_the_intent_has_and_takes_out_only_the_others(mh01) -> None:
    config = _config(mh01, "leaf1")
    assert lag_commands(config) == [platform.show_lacp_state("lag1")]
    # the transcript's lag1 has exactly the intent's member: nothing to delete
    assert stale_member_lines(config, [LACP]) == []
    # a port recabled away in the topology still carries aggregate-id lag1: only it goes
    moved = _with_member(LACP, "| ethernet-1/2 | down      | ACTIVE    | LONG      | OUT_OF_SY | 00:00:00: | 11        "
                               "|           |           | 2         |           |")
    assert stale_member_lines(config, [moved]) == ["delete / interface ethernet-1/2 ethernet aggregate-id"]
    # lag1 not configured yet (device error): nothing, and no parse of the error
    assert stale_member_lines(config, ["Error: lag1 does not exist\n"]) == []
    # a member name that is not an interface name is never pasted into a delete line
    odd = _with_member(LACP, "| e-1/2;commit | down      | ACTIVE    | LONG      | OUT_OF_SY | 00:00:00: | 11        "
                             "|           |           | 2         |           |")
    with pytest.raises(ParseError):
        stale_member_lines(config, [odd])


# --- catalog.applicable: the "nothing to verify" guard of `verify` ---------------------------
def test_applicable_keeps_checks_that_only_look_for_leftovers_and_plain_checks(mh01) -> None:
    # bgp.overlay_established expects nothing on a full-mesh spine but still looks for
    # leftover sessions (finds_unexpected): `verify --hosts spine1 --checks
    # bgp.overlay_established` must run, not stop with "nothing to verify"
    assert applicable(mh01, "spine1", ["bgp.overlay_established"]) == ["bgp.overlay_established"]
    # a check with expectations on the node is applicable; one that does not apply is not
    assert applicable(mh01, "leaf1", ["lag.up", "es.df"]) == ["lag.up", "es.df"]
    assert applicable(mh01, "leaf3", ["lag.up"]) == []
    assert applicable(mh01, "spine1", ["lag.up"]) == []


# --- parsers/tables.py: a new one-row record must not be merged into the record above ----------
def test_a_record_that_fills_every_column_is_not_a_continuation() -> None:
    # ethernet-1/1 and ethernet-1/2 both fill every cell (`up` in a 2-character column): the
    # second row has values only under full cells, exactly like a wrap row would, but it
    # leaves no column empty that the first row had a value in, so it is a new record
    text = """\
+--------------+----+----+
|   Members    | Op | Ke |
+==============+====+====+
| ethernet-1/1 | up | 15 |
| ethernet-1/2 | up | 15 |
+--------------+----+----+
"""
    [table] = iter_tables(clean_lines(text))
    assert [(r["members"], r["op"], r["ke"]) for r in table.records] == [
        ("ethernet-1/1", "up", "15"), ("ethernet-1/2", "up", "15")]


def test_a_record_empty_where_the_record_above_is_empty_too_is_not_a_continuation() -> None:
    # two members without a partner key: the second row leaves `Ke` empty, but so did the
    # first row -- only a column the record HAD a value in, left empty, marks a wrap row
    text = """\
+--------------+----+----+
|   Members    | Op | Ke |
+==============+====+====+
| ethernet-1/1 | up |    |
| ethernet-1/2 | up |    |
+--------------+----+----+
"""
    [table] = iter_tables(clean_lines(text))
    assert [(r["members"], r["op"], r["ke"]) for r in table.records] == [
        ("ethernet-1/1", "up", ""), ("ethernet-1/2", "up", "")]


# --- prune.py: the overlay group is owned exactly when the overlay feature is configured -----
def test_prune_takes_a_leftover_overlay_session_only_with_the_overlay_feature(mh01) -> None:
    from nornir_evpn.prune import prune_lines

    # the spine1 transcript with an iBGP-overlay session a route-reflector intent left behind
    # (mh01 is a full mesh: spine1's intent has the overlay group but no overlay peer)
    text = spine1_with_leftover_overlay_session()
    spine1 = mh01.nodes["spine1"]
    delete = "delete / network-instance default protocols bgp neighbor 10.0.0.1"
    assert prune_lines(spine1, ["underlay", "overlay"], text) == [delete]
    assert prune_lines(spine1, ["overlay"], text) == [delete]
    # `configure --features underlay --prune` leaves the overlay group alone
    assert prune_lines(spine1, ["underlay"], text) == []


# --- parsers/tables.py: `\r\n` output (another transport, a transcript saved on Windows) --------
def test_crlf_output_reads_like_lf_output() -> None:
    from nornir_evpn.parsers.lacp import parse_lacp_state
    from nornir_evpn.parsers.mac_table import parse_mac_table

    crlf = LACP.replace("\n", "\r\n")
    assert parse_lacp_state(crlf) == parse_lacp_state(LACP)
    mac = fx("tutorial_leaf3_show_mac_table_mac-vrf-1.txt")
    assert parse_mac_table(mac.replace("\n", "\r\n")) == parse_mac_table(mac)
    assert clean_lines("a\rb\r\nc\n") == ["a", "b", "c"]


# --- tasks/verify.py: a host with ONE failing check is a failed host -------------------------
# (the README's runbook gates CI on `checked.failed`; `not all(ok)` -> `not any(ok)` made a host
# with one passing and one failing check a success, and no test noticed)
def test_verify_host_fails_when_one_check_of_several_fails(mh01) -> None:
    from nornir_evpn.tasks.verify import verify_host

    from .test_verify_task import FakeConn, task_for

    # leaf1 answers `show interface lag1` (lag1 up, the transcript) but not the BGP table
    conn = FakeConn({platform.show_interface("lag1"): fx("tutorial_leaf1_show_interface_lag1.txt")})
    r = verify_host(task_for("leaf1", conn), mh01, checks=["lag.up", "bgp.underlay_established"])
    assert [(c["name"], c["ok"]) for c in r.result["checks"]] == [
        ("lag.up", True), ("bgp.underlay_established", False)]
    assert r.failed
    # and all passing is not failed
    r = verify_host(task_for("leaf1", conn), mh01, checks=["lag.up"])
    assert [(c["name"], c["ok"]) for c in r.result["checks"]] == [("lag.up", True)]
    assert not r.failed


# --- checks/model.py: a LAG of two members stays up with one member shut ---------------------
# (FabricView.lag_up `any` -> `all` survived: every shipped topology has one member per leaf,
# so failover-test shutting one member of a two-member LAG would expect lag1 and the ES down)
def test_a_lag_stays_up_while_one_member_is_up(tmp_path) -> None:
    from nornir_evpn.checks import expected_state

    src = (ROOT / "inventory" / "evpn-mh01.clab.yml").read_text()
    src = src.replace("        - ip link set eth2 master bond0\n",
                      "        - ip link set eth2 master bond0\n        - ip link set eth3 master bond0\n", 1)
    src = src.replace('    - endpoints: ["ce1:eth2", "leaf2:e1-1"]\n',
                      '    - endpoints: ["ce1:eth2", "leaf2:e1-1"]\n    - endpoints: ["ce1:eth3", "leaf1:e1-2"]\n')
    (tmp_path / "two.clab.yml").write_text(src)
    fabric = derive_intent(load_topology(tmp_path / "two.clab.yml"))
    assert fabric.ethernet_segments["ES-1"].members["leaf1"] == ["ethernet-1/1", "ethernet-1/2"]
    one = {("leaf1", "ethernet-1/1")}
    exp = expected_state(fabric, "leaf1", one)
    assert exp["lag.up"]["lag1"] == "up" and exp["es.oper_up"] == {"ES-1 oper-state": "up"}
    assert expected_state(fabric, "leaf2", one)["es.df"]["ES-1 mac-vrf-1 candidates"] == ["10.0.0.1", "10.0.0.2"]
    both = {("leaf1", "ethernet-1/1"), ("leaf1", "ethernet-1/2")}
    assert expected_state(fabric, "leaf1", both)["lag.up"]["lag1"] == "down"
