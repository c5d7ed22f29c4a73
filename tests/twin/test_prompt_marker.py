"""The prompt's `*` (the candidate differs from its base) without a whole-tree comparison
after every line: a re-run of a 3,000-line configure, which changes nothing, compared the
two trees after each pasted line and took 12 s a host (the large-tables tester)."""

from __future__ import annotations

import random

import pytest

from nornir_evpn.twin.cli_engine import CliSession
from nornir_evpn.twin.config_tree import ConfigTree, parse_flat
from nornir_evpn.twin.datastore import NodeDatastore

RUNNING = "".join(f"set / interface ethernet-1/{i} description port{i}\n"
                  f"set / interface ethernet-1/{i} admin-state enable\n" for i in range(1, 41))


def _session(kind: str = "private") -> CliSession:
    s = CliSession(NodeDatastore("leaf1", running=parse_flat(RUNNING)))
    assert s.execute(f"enter candidate {kind}") == ""
    return s


def _marker(s: CliSession) -> bool:
    return "*" in s.prompt().split("}--")[0]


def test_lines_that_change_nothing_compare_the_trees_once(monkeypatch) -> None:
    s = _session()
    calls = []
    real = ConfigTree.__eq__

    def counting(self: ConfigTree, other: object) -> bool:
        calls.append(1)
        return real(self, other)

    assert not _marker(s)
    monkeypatch.setattr(ConfigTree, "__eq__", counting)
    for line in RUNNING.splitlines():  # every line already so: the paste of a re-run
        s.execute(line)
        assert not _marker(s)
    s.execute("delete / interface ethernet-1/99")  # nothing there
    s.execute("info interface ethernet-1/1")
    assert not _marker(s) and calls == []


@pytest.mark.parametrize("kind", ["private", "exclusive", "shared"])
def test_the_marker_is_always_what_comparing_would_say(kind) -> None:
    """Random edits, some of them undone: the kept marker against a fresh comparison."""
    rng = random.Random(7)
    s = _session(kind)
    lines = []
    for _ in range(300):
        i = rng.randint(1, 45)
        lines.append(rng.choice([
            f"set / interface ethernet-1/{i} admin-state enable",
            f"set / interface ethernet-1/{i} admin-state disable",
            f"set / interface ethernet-1/{i} description port{i}",
            f"set / interface ethernet-1/{i} description other",
            f"delete / interface ethernet-1/{i} description",
            f"delete / interface ethernet-1/{i}",
            f"set / network-instance mac-vrf-1 interface ethernet-1/{i}.0",
            f"delete / network-instance mac-vrf-1 interface ethernet-1/{i}.0",
            "info interface ethernet-1/1",
        ]))
    for line in lines:
        s.execute(line)
        assert _marker(s) == (s.candidate != s.base), line


def test_a_shared_candidate_edited_by_another_session_shows_in_the_prompt() -> None:
    ds = NodeDatastore("leaf1", running=parse_flat(RUNNING))
    mine, theirs = CliSession(ds), CliSession(ds)
    for s in (mine, theirs):
        assert s.execute("enter candidate shared") == ""
    assert not _marker(mine)
    theirs.execute("set / interface ethernet-1/1 admin-state disable")
    assert _marker(mine)


@pytest.mark.parametrize("ending", ["commit stay", "commit validate", "discard now", "discard stay"])
def test_the_marker_follows_a_commit_or_discard(ending) -> None:
    """After `commit stay` (still in candidate mode, a new transaction) the `*` goes; after
    `commit validate` it stays (mut15: a kept marker over commit/discard was not caught)."""
    s = _session()
    s.execute("set / interface ethernet-1/1 admin-state disable")
    assert _marker(s)
    s.execute(ending)
    assert _marker(s) == (s.kind is not None and s.candidate != s.base), ending
    assert _marker(s) == (ending == "commit validate"), ending
