"""A HOME for Nornir, set before it is imported (by the CLI only).

Nornir expands `~/.ssh/config` when it is imported (nornir/core/configuration.py): with
HOME unset and no passwd entry for this uid (a container's arbitrary user under `env -i`,
some CI runners) that raised `RuntimeError: Could not determine home directory` before any
command ran, `--version` included. The CLI then points HOME at the temporary directory:
nothing of ours lives in HOME, and an ssh config is then simply not found.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def ensure_home() -> None:
    if os.environ.get("HOME"):
        return
    try:
        Path("~").expanduser()
    except RuntimeError:
        os.environ["HOME"] = tempfile.gettempdir()


ensure_home()
