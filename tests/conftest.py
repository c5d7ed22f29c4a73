from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
LAB = ROOT / "inventory" / "evpn-mh01.clab.yml"

# Tests read rich's output at its 80-column default (a pipe's width); an exported COLUMNS
# (a narrow shell, some CI runners) folded their tables. Subprocesses inherit this too.
os.environ["COLUMNS"] = "80"


@pytest.fixture(autouse=True)
def own_checkpoint_record(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """configure records its checkpoints in ./.nornir_evpn/checkpoints.json: each test (and
    the CLI processes it starts) gets a file of its own, never the checkout's, outside the
    test's tmp_path (whose contents some tests list)."""
    path = tmp_path_factory.mktemp("record") / "checkpoints.json"
    monkeypatch.setenv("NORNIR_EVPN_CHECKPOINTS", str(path))
    return path


@pytest.fixture(autouse=True)
def twin_forgets_learnt_leaf_lists() -> Iterator[None]:
    """The twin learns leaf-lists from `[ ... ]` (module state): one test's must not shape the
    next one's tree."""
    from nornir_evpn.twin.config_tree import forget_learnt_leaf_lists

    yield
    forget_learnt_leaf_lists()


@pytest.fixture
def lab_topology_path() -> Path:
    return LAB


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


# CI runs the property tests with a fixed seed: a red build must be reproducible, not luck.
if os.environ.get("CI"):
    settings.register_profile("ci", derandomize=True)
    settings.load_profile("ci")


@pytest.fixture
def in_candidate(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set once a session to an in-process twin enters a private candidate: a configure is
    then mid-change (the moment the interrupt tests strike)."""
    from nornir_evpn import platform
    from nornir_evpn.twin.cli_engine import CliSession

    opened = threading.Event()
    execute = CliSession.execute

    def spy(self, line, tokens=None):  # type: ignore[no-untyped-def]
        if line.strip() == platform.ENTER_CANDIDATE_PRIVATE:
            opened.set()
        return execute(self, line, tokens)

    monkeypatch.setattr(CliSession, "execute", spy)
    return opened


@pytest.fixture
def signals_not_ignored() -> Iterator[None]:
    """For a test that signals its own process: a harness started in the background (`cmd &`
    in a non-interactive shell, `nohup`) hands SIGINT or SIGHUP down as ignored, and the code
    under test rightly keeps an ignored signal ignored. Un-ignored for the test, put back."""
    import signal

    defaults = {signal.SIGINT: signal.default_int_handler, signal.SIGTERM: signal.SIG_DFL,
                signal.SIGHUP: signal.SIG_DFL}
    before = {s: signal.getsignal(s) for s in defaults}
    for s, h in defaults.items():
        if before[s] is signal.SIG_IGN:
            signal.signal(s, h)
    try:
        yield
    finally:
        for s, h in before.items():
            signal.signal(s, h)

