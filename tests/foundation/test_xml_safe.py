"""device_text.xml_safe: what XML 1.0 holds is kept as is (the mutation tester found no
test that tab, newline and carriage return stay themselves)."""

from __future__ import annotations

from nornir_evpn.device_text import xml_safe


def test_xml_safe_keeps_tab_and_newlines_and_writes_out_the_rest():
    assert xml_safe("a\tb\r\nc é \U0001f600") == "a\tb\r\nc é \U0001f600"
    assert xml_safe("a\x00b\x1b[31m\ufffe\ud800") == "a\\x00b\\x1b[31m\\ufffe\\ud800"
