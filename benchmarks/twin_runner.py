"""The digital twin for benchmarks: `twin up --foreground` plus per-node counters.

Runs in its own process (so its CPU and RSS stay apart from the tool's) and counts, per
node, successful SSH logins and CLI lines by kind (show/info/commit/edit/default). On
SIGUSR1 it writes the counters to `<state-file>.counters.json`; the benchmark diffs two
snapshots to get the logins and `show`s one command caused.

    python benchmarks/twin_runner.py TOPOLOGY STATE_FILE PROFILE
"""

from __future__ import annotations

import json
import os
import signal
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from nornir_evpn.commands import twin as twin_cmd
from nornir_evpn.twin import cli_engine, server

LOGINS: Counter[str] = Counter()
COMMANDS: defaultdict[str, Counter[str]] = defaultdict(Counter)
_SEQ = [0]


def counters_path(state_file: Path) -> Path:
    return state_file.with_suffix(".counters.json")


def _instrument() -> None:
    """Wrap the login check and the line handler; the twin's behaviour is unchanged."""
    validate = server._Auth.validate_password
    handle = cli_engine.CliSession.handle_line

    def counted_validate(self: Any, username: str, password: str) -> bool:
        ok = validate(self, username, password)
        if ok:
            LOGINS[self._node.name] += 1
        return ok

    async def counted_handle(self: Any, line: str, received_at: float | None = None) -> str:
        tokens = cli_engine.tokenize(line)
        COMMANDS[self.ds.name][cli_engine._kind_of(tokens)] += 1
        return await handle(self, line, received_at)

    server._Auth.validate_password = counted_validate  # type: ignore[method-assign]
    cli_engine.CliSession.handle_line = counted_handle  # type: ignore[method-assign]


def _dump(path: Path) -> None:
    _SEQ[0] += 1
    doc = {"seq": _SEQ[0], "logins": dict(LOGINS),
           "commands": {node: dict(kinds) for node, kinds in COMMANDS.items()}}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc))
    os.replace(tmp, path)  # readers never see a half-written file


def main(argv: list[str]) -> int:
    topology, state_file, profile = Path(argv[0]), Path(argv[1]), argv[2]
    _instrument()
    out = counters_path(state_file)
    signal.signal(signal.SIGUSR1, lambda *_: _dump(out))
    return twin_cmd.serve(topology, state_file, profile)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
