"""`twin up`'s open-files note at its bound (mut15: `hard > needed` and a need without the
process's own files both survived the suite)."""

from __future__ import annotations

import pytest


def test_the_open_files_note_is_said_below_the_need_only(monkeypatch: pytest.MonkeyPatch) -> None:
    import resource

    from nornir_evpn.twin.limits import open_files_needed, open_files_note

    # a listening socket per node, one per session, and the process's own (logs, the
    # control socket, the state files)
    assert open_files_needed(30) == 2 * 30 + 64
    monkeypatch.setattr(resource, "getrlimit", lambda what: (124, 124))
    assert open_files_note(30) is None  # exactly enough
    monkeypatch.setattr(resource, "getrlimit", lambda what: (123, 123))
    assert open_files_note(30) is not None and "need 124" in open_files_note(30)
    monkeypatch.setattr(resource, "getrlimit", lambda what: (48, resource.RLIM_INFINITY))
    assert open_files_note(30) is None  # the twin raises its soft limit itself
