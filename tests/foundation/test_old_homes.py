"""What a 0.14 runbook imported from `nornir_evpn.tasks.config` still imports from there
(the session helpers moved to `tasks.cli_lines`, the run's render to `tasks.preflight`)."""

from __future__ import annotations

import pytest
from nornir_evpn.tasks import cli_lines, config, preflight

MOVED = {
    cli_lines: ("load_lines", "run_commands", "send_line", "discard", "srl_connection", "running_session",
                "drop_connection", "CONNECTION", "SPARE_CONNECTION", "DEFAULT_BATCH_LINES", "Loaded",
                "leave_candidate"),
    preflight: ("render_run", "render_failure", "RunRender"),
}


@pytest.mark.parametrize(("module", "name"), [(m, n) for m, names in MOVED.items() for n in names])
def test_a_moved_name_is_still_in_tasks_config(module, name) -> None:  # type: ignore[no-untyped-def]
    assert getattr(config, name) is getattr(module, name)
