"""The `watch` fixture: an in-process twin with login and CLI-session tracking."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nornir_evpn.twin import server as twin_server
from nornir_evpn.twin.cli_engine import CliSession
from nornir_evpn.twin.runtime import Twin
from reliability.helpers import LAB, Watch


@pytest.fixture
def watch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Watch]:
    with Twin(LAB) as twin:
        state = tmp_path / "twin.json"
        twin.state().write(state)
        w = Watch(twin, state)
        made = twin_server._Auth.connection_made
        init = CliSession.__init__

        def counting(self, conn):  # type: ignore[no-untyped-def]
            if not self._node.unreachable:  # an unreachable node's connections close at once
                w.logins[self._node.name] = w.logins.get(self._node.name, 0) + 1
            made(self, conn)

        def tracking(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            init(self, *args, **kwargs)
            w.sessions.append(self)

        monkeypatch.setattr(twin_server._Auth, "connection_made", counting)
        monkeypatch.setattr(CliSession, "__init__", tracking)
        yield w
