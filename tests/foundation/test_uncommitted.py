"""`nornir_evpn.uncommitted`: an interrupt cuts exactly the hosts still before their commit."""
from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from nornir_evpn import uncommitted


@pytest.fixture
def cuts(monkeypatch) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    monkeypatch.setattr(uncommitted, "cut_short", lambda host, conn: seen.append((host.name, conn)))
    return seen


def host(name: str) -> SimpleNamespace:
    return SimpleNamespace(name=name)


def test_a_host_that_sent_its_commit_is_never_cut_and_none_commits_after_the_cut(cuts) -> None:
    cancel = threading.Event()
    leaf1, leaf2, leaf3 = host("leaf1"), host("leaf2"), host("leaf3")
    with uncommitted.before_commit(cancel, leaf1, "scrapli"), \
            uncommitted.before_commit(cancel, leaf2, "scrapli"), \
            uncommitted.before_commit(cancel, leaf3, "scrapli_spare"):
        assert uncommitted.may_commit(cancel, leaf1)  # its commit goes out: not cuttable
        cancel.set()
        assert uncommitted.cut(cancel) == ["leaf2", "leaf3"]
        assert cuts == [("leaf2", "scrapli"), ("leaf3", "scrapli_spare")]
        assert not uncommitted.may_commit(cancel, leaf2)  # cut: it must not commit
    assert uncommitted.cut(cancel) == [] and uncommitted._RUNS == {}  # nothing kept after the run


def test_nested_registration_is_one_and_runs_do_not_mix(cuts) -> None:
    run_a, run_b = threading.Event(), threading.Event()
    leaf1 = host("leaf1")
    with uncommitted.before_commit(run_a, leaf1, "scrapli"), uncommitted.before_commit(run_b, host("leaf9"), "scrapli"):
        with uncommitted.before_commit(run_a, leaf1, "scrapli"):  # apply_config inside configure_fabric
            pass
        assert uncommitted.cut(run_a) == ["leaf1"]  # the inner exit did not take it out
        assert uncommitted.cut(run_b) == ["leaf9"]
    assert uncommitted.may_commit(None, leaf1)  # no cancel event: never cut, always commits
