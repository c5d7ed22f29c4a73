"""How the MAC checks describe an entry the device did not program: cases the mutation
tester found no test for."""

from __future__ import annotations

from nornir_evpn.checks.mac import _describe
from nornir_evpn.parsers.mac_table import MacEntry


def _entry(active: bool, reason: str) -> MacEntry:
    return MacEntry(address="00:C1:AB:00:00:11",
                    destination="vxlan-interface:vxlan1.1 esi:01:11:11:11:11:11:11:00:00:01",
                    dest_index="0", type="evpn", active=active, aging="N/A", last_update="", not_programmed=reason)


def test_an_inactive_entry_says_why_when_the_device_does():
    """25.x+ gives a `Not-Programmed Reason`: the observed value carries it."""
    assert _describe(_entry(False, "mac-dup"), True) == "evpn esi:01:11:11:11:11:11:11:00:00:01 (not active: mac-dup)"
    assert _describe(_entry(False, ""), True) == "evpn esi:01:11:11:11:11:11:11:00:00:01 (not active)"
    assert _describe(_entry(True, ""), True) == "evpn esi:01:11:11:11:11:11:11:00:00:01"
    assert _describe(_entry(True, ""), False) == "evpn vxlan-interface:vxlan1.1 esi:01:11:11:11:11:11:11:00:00:01"
