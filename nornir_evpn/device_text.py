"""Text a device sent, made safe to show: its control characters are written out.

A device's answers reach the operator's terminal (Expected/Actual, device errors, diffs),
nornir.log and the JUnit file. Terminal escape sequences in them (a description, a peer
state) set the window title, wrote the operator's clipboard (OSC 52) or reset the terminal,
and one ESC made the JUnit file invalid XML (hostile-device tester). `visible` writes the
control characters but tab and newline as `\\xNN` (`\\x1b]0;...`), and the bidirectional
overrides, which make `dehsilbatse` read "established", as `\\u202e`. Applied where device
text enters the tool (session.paste and scrapli's send paths), so parsers, reports and logs
all see the same text. SR Linux's own output has none of these: a clean answer is returned
as is (see `visible` for what is checked, and its cost).
"""

from __future__ import annotations

import functools
import re

# C0 but tab, newline and carriage return (scrapli drops `\r`; rich and the parsers handle
# it), DEL, C1, and the bidi embeddings/overrides/isolates
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@functools.cache
def _not_xml() -> re.Pattern[str]:
    """What XML 1.0 cannot hold at all (JUnit): control characters, lone surrogates,
    U+FFFE/FFFF. Compiled on first use, by a JUnit report only: its bitmap over all of
    Unicode took 4-5 ms of every command's start-up."""
    return re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _written_out(m: re.Match[str]) -> str:
    code = ord(m.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


# the ASCII control characters a terminal acts on: ESC (every escape sequence starts with it:
# C1 controls and the bidi overrides are not ASCII), ENQ (answerback), BEL, BS, VT, FF, the
# character set shifts, DEL, NUL
_ACTED_ON = "\x1b\x05\x07\x08\x0b\x0c\x0e\x0f\x7f\x00"


def plain(data: bytes) -> bool:
    """`data` (raw from a session) is ASCII with no control character a terminal acts on: its
    text needs no `visible` (C-speed scans, written out: ~0.5 us for a small read)."""
    return (data.isascii() and b"\x1b" not in data and b"\x05" not in data and b"\x07" not in data
            and b"\x08" not in data and b"\x0b" not in data and b"\x0c" not in data and b"\x0e" not in data
            and b"\x0f" not in data and b"\x7f" not in data and b"\x00" not in data)


def visible(text: str) -> str:
    """`text` with its control characters (but tab and newlines) and bidi overrides written
    out as escapes; `text` itself when it has none. The check costs ~15 µs per 200 KB answer
    (an ASCII text with none a terminal acts on is returned as is: the regex alone took
    0.5 ms, 7% of verify's CPU per host; str knows in O(1) that it is ASCII)."""
    if text.isascii() and not any(c in text for c in _ACTED_ON):  # (plain's scans, for str)
        return text
    return _UNSAFE.sub(_written_out, text) if _UNSAFE.search(text) else text


def xml_safe(text: str) -> str:
    """`text` with what XML 1.0 cannot hold written out as escapes (JUnit)."""
    not_xml = _not_xml()
    return not_xml.sub(_written_out, text) if not_xml.search(text) else text
