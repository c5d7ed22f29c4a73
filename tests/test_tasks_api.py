"""The tasks embedded in a user's own Nornir runbook, against an in-process twin: Nornir's
dry-run switch, the documented result dict on an unreachable host, an intent built from a
filtered Nornir, and host data that could inject CLI (refused before any connection)."""

from __future__ import annotations

from pathlib import Path

import pytest
from nornir.core.filter import F
from nornir_evpn.tasks import (
    apply_config,
    configure_fabric,
    confirm_commit,
    shut_interface,
    stale_config,
    verify_host,
)
from runbook_nornir import nornir_on_twin

from nornir_evpn.errors import InventoryError, UnsafeValueError
from nornir_evpn.inventory import fabric_from_nornir
from nornir_evpn.twin.runtime import Twin

ROOT = Path(__file__).resolve().parent.parent
LAB = ROOT / "inventory" / "evpn-mh01.clab.yml"
DESCRIPTION = "set / interface ethernet-1/5 description runbook"
# a node under the twin's `unreachable` fault resets each connection before the SSH banner
UNREACHABLE = "cannot connect: the connection closed before the SSH login"


@pytest.fixture(scope="module")
def twin():
    with Twin(LAB) as t:
        yield t


def runbook(twin: Twin, *, dry_run: bool = False):  # type: ignore[no-untyped-def]
    return nornir_on_twin(twin, dry_run=dry_run)


def test_nornirs_dry_run_switch_commits_nothing(twin: Twin) -> None:
    nr = runbook(twin, dry_run=True)
    before = twin.datastore("leaf1").running.copy()
    try:
        leaf1 = nr.filter(name="leaf1")
        twin.datastore("leaf1").unsaved = True  # someone's change, committed and not saved
        multi = leaf1.run(task=configure_fabric, fabric=fabric_from_nornir(nr), save=True)["leaf1"]
        configured = multi[0].result
        applied = leaf1.run(task=apply_config, config=[DESCRIPTION])["leaf1"][0].result
    finally:
        nr.close_connections(on_failed=True)
    assert (configured["changed"], configured["committed"], configured["saved"]) == (True, False, False)
    # (runbook tester) save=True saved every host anyway: `save startup` never goes out
    assert [r.name for r in multi] == ["configure_fabric", "render_config", "apply_config"]
    assert twin.datastore("leaf1").unsaved is True
    assert "insert / interface lag1 lag lacp admin-key 11" in configured["diff"]
    assert (applied["changed"], applied["committed"]) == (True, False)
    # a new interface entry, then its leaf: SR Linux prints every node it inserts
    assert applied["diff"] == "insert / interface ethernet-1/5\n" + DESCRIPTION.replace("set", "insert", 1)
    assert twin.datastore("leaf1").running == before


def test_apply_config_on_an_unreachable_host_returns_the_documented_dict(twin: Twin) -> None:
    nr = runbook(twin)
    twin.set_unreachable("leaf2")
    try:
        result = nr.filter(F(name="leaf2")).run(task=apply_config, config=[DESCRIPTION])
    finally:
        twin.set_unreachable("leaf2", False)
        nr.close_connections(on_failed=True)
    assert result["leaf2"].failed
    out = result["leaf2"][0].result
    assert (out["committed"], out["changed"]) == (False, False)
    assert out["error"].startswith(UNREACHABLE) and "\n" not in out["error"]


def test_confirm_and_stale_config_on_an_unreachable_host_return_the_documented_dict(twin: Twin) -> None:
    """confirm_commit is the second step of a confirmed commit, for exactly the host that
    dropped after committing; it (and stale_config) returned a 30-line traceback string."""
    nr = runbook(twin)
    twin.set_unreachable("leaf2")
    try:
        leaf2 = nr.filter(F(name="leaf2"))
        confirmed = leaf2.run(task=confirm_commit, accept=False)["leaf2"]
        stale = leaf2.run(task=stale_config, on_failed=True)["leaf2"]
    finally:
        twin.set_unreachable("leaf2", False)
        nr.close_connections(on_failed=True)
    for result in (confirmed, stale):
        assert result.failed and isinstance(result[0].result, dict)
        error = result[0].result["error"]
        assert error.startswith(UNREACHABLE) and "\n" not in error
    assert (confirmed[0].result["accepted"], confirmed[0].result["rejected"]) == (False, False)
    assert stale[0].result["pruned"] == []


def test_an_unknown_check_name_is_one_line_in_the_result(twin: Twin) -> None:
    nr = runbook(twin)
    try:
        result = nr.filter(F(name="leaf1")).run(task=verify_host, fabric=fabric_from_nornir(nr),
                                                checks=["bgp.overlay"])["leaf1"]
    finally:
        nr.close_connections(on_failed=True)
    assert result.failed and result[0].result["checks"] == []
    assert result[0].result["error"].startswith("unknown check 'bgp.overlay'")


def test_shut_refuses_a_name_sr_linux_would_refuse(twin: Twin) -> None:
    """`Ethernet1/1` (or `eth1`) was committed on the twin, which a real device refuses at
    `set`: a runbook that passed on the twin failed on the lab."""
    nr = runbook(twin)
    before = twin.datastore("leaf1").running.copy()
    try:
        result = nr.filter(F(name="leaf1")).run(task=shut_interface, interface="Ethernet1/1")["leaf1"]
    finally:
        nr.close_connections(on_failed=True)
    assert result.failed and result[0].result["committed"] is False
    assert result[0].result["error"] == "'Ethernet1/1' is not an SR Linux interface name (ethernet-N/M, lagN, ...)"
    assert twin.datastore("leaf1").running == before


def test_a_host_name_that_does_not_resolve_is_named(twin: Twin) -> None:
    # scrapli says only "failed to determine socket address family for host": the operator
    # must see which name failed (a lab not deployed: clab-<lab>-<node> is not in /etc/hosts)
    nr = runbook(twin)
    nr.inventory.hosts["leaf2"].hostname = "clab-nowhere-leaf2.invalid"
    try:
        result = nr.filter(F(name="leaf2")).run(task=apply_config, config=[DESCRIPTION])
        checked = nr.filter(F(name="leaf2")).run(task=verify_host, fabric=fabric_from_nornir(nr),
                                                 on_failed=True)
    finally:
        nr.close_connections(on_failed=True)
    expected = "cannot connect: clab-nowhere-leaf2.invalid:"
    assert result["leaf2"][0].result["error"].startswith(expected)
    assert result["leaf2"][0].result["error"].endswith("the host name does not resolve")
    assert checked["leaf2"][0].result["error"] == result["leaf2"][0].result["error"]


def test_verify_on_an_intent_of_a_filtered_nornir_names_what_it_lacks(twin: Twin) -> None:
    nr = runbook(twin)
    leaves = nr.filter(F(role="leaf"))
    try:
        result = leaves.run(task=verify_host, fabric=fabric_from_nornir(leaves))
    finally:
        nr.close_connections(on_failed=True)
    assert set(result) == {"leaf1", "leaf2", "leaf3"}
    for multi in result.values():
        assert multi.failed and multi[0].exception is None  # one line, not KeyError('spine1')
        assert multi[0].result["error"] == (
            "the fabric intent lacks spine1 (underlay peer of leaf1): build it from the whole "
            "inventory (fabric_from_nornir before nr.filter)")


def test_host_data_that_could_inject_cli_is_refused_before_any_connection(twin: Twin) -> None:
    nr = runbook(twin)
    leaf3 = nr.inventory.hosts["leaf3"]
    leaf3.data["mac_vrf"] = {**leaf3.data["mac_vrf"],
                             "name": "mac-vrf-1\nset / interface ethernet-1/49 admin-state disable"}
    with pytest.raises(UnsafeValueError, match=r"host leaf3: data\.mac_vrf\.name: value .* could inject CLI"):
        fabric_from_nornir(nr)


def test_renamed_host_keys_are_refused_like_the_cli_refuses_them(twin: Twin) -> None:
    nr = runbook(twin)
    hosts = nr.inventory.hosts
    hosts["dc1-leaf1"] = hosts.pop("leaf1")
    hosts["dc1-leaf1"].name = "dc1-leaf1"
    with pytest.raises(InventoryError, match=r"host 'dc1-leaf1': data\.name is 'leaf1'; they must match"):
        fabric_from_nornir(nr)


def test_a_template_failing_on_some_hosts_changes_none(twin: Twin, tmp_path: Path, caplog) -> None:
    """A custom template that fails on the multi-homed leaves only (`es.customer`): leaf1 and
    leaf2 failed, leaf3 committed its change, and each failure logged a traceback (a template
    tester's runbook). As the CLI's preflight: every host reports, none is changed."""
    for f in ("underlay", "overlay", "mac_vrf", "multihoming"):
        (tmp_path / f"{f}.j2").write_text((ROOT / "templates" / f"{f}.j2").read_text())
    (tmp_path / "mac_vrf.j2").write_text((ROOT / "templates" / "mac_vrf.j2").read_text()
                                         + "set / interface ethernet-1/5 description runbook\n")
    (tmp_path / "multihoming.j2").write_text("{% for es in segments %}\nset / interface {{ es.lag }} "
                                             "description {{ es.customer }}\n{% endfor %}\n")
    nr = runbook(twin)
    srl = nr.filter(F(role="leaf") | F(role="spine"))
    before = {h: twin.datastore(h).running.copy() for h in srl.inventory.hosts}
    try:
        agg = srl.run(task=configure_fabric, fabric=fabric_from_nornir(nr), templates_dir=tmp_path)
    finally:
        nr.close_connections(on_failed=True)
    errors = {h: m[0].result["error"] for h, m in agg.items()}
    assert all(m.failed for m in agg.values())
    assert errors["leaf1"].startswith(f"{tmp_path / 'multihoming.j2'}:2: ") and "customer" in errors["leaf1"]
    assert errors["leaf2"].startswith(f"{tmp_path / 'multihoming.j2'}:2: ")  # its own error
    assert errors["leaf3"] == f"not sent: leaf1's configuration does not render: {errors['leaf1']}"
    assert {h: twin.datastore(h).running for h in before} == before
    assert "Traceback" not in caplog.text
    # a feature the tool does not have: one line, not `bogus.j2: template not found`
    bogus = nr.filter(name="leaf3").run(task=configure_fabric, fabric=fabric_from_nornir(nr),
                                        features=["underlay", "bogus"], on_failed=True)["leaf3"][0].result
    assert bogus["error"] == "unknown feature 'bogus' (choose from underlay, overlay, mac_vrf, multihoming)"



def test_a_template_edited_between_two_runs_is_judged_again(twin: Twin, tmp_path: Path) -> None:
    """The run's render check was cached per renderer and fabric: a template broken between
    two runs of a service let the hosts it renders on go on, a fixed one kept failing (review)."""
    import os

    for f in ("underlay", "overlay", "mac_vrf", "multihoming"):
        (tmp_path / f"{f}.j2").write_text((ROOT / "templates" / f"{f}.j2").read_text())
    nr = runbook(twin)
    srl = nr.filter(F(role="leaf") | F(role="spine"))
    fabric = fabric_from_nornir(nr)
    multihoming = tmp_path / "multihoming.j2"
    good = multihoming.read_text()

    def run() -> dict[str, str | None]:
        agg = srl.run(task=configure_fabric, fabric=fabric, templates_dir=tmp_path, mode="dry-run", on_failed=True)
        return {h: m[0].result["error"] for h, m in agg.items()}

    def edit(text: str) -> None:
        later = multihoming.stat().st_mtime + 10
        multihoming.write_text(text)
        os.utime(multihoming, (later, later))

    try:
        assert set(run().values()) == {None}
        edit(good + "{% if segments %}set / system information location {{ node.site }}{% endif %}\n")
        broken = run()
        assert all(broken.values()), broken
        assert broken["leaf3"].startswith("not sent: leaf1's configuration does not render")
        edit(good)
        assert set(run().values()) == {None}
    finally:
        nr.close_connections(on_failed=True)
