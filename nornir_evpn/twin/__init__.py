"""Digital twin of an SR Linux EVPN fabric: every node served over SSH on 127.0.0.1.

Layers, each testable alone: `config_tree` (configuration trie), `datastore` (running,
candidates, commit/rollback, faults), `cli_engine` (SR Linux CLI, line in → text out),
`server` (asyncssh transport), `runtime` (the `Twin`, process state file). The fabric
model (`fabric*`, `show_*`, `ce_*`) plugs in through `Twin.set_show_provider`,
`Twin.add_commit_hook` and `Twin.register_engine_factory`.
"""

from importlib import import_module
from typing import Any

# imported on first use: `nornir_evpn.twin.latency` or `.state` must not pull in asyncssh
_LAZY = {
    "CliSession": "cli_engine", "SessionEngine": "cli_engine", "ShowProvider": "cli_engine",
    "UnknownCommand": "cli_engine", "ConfigTree": "config_tree", "diff": "config_tree",
    "diff_flat": "config_tree", "parse_flat": "config_tree", "NodeDatastore": "datastore",
    "Twin": "runtime", "TwinState": "state", "read_twin_state": "state",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"nornir_evpn.twin.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'nornir_evpn.twin' has no attribute {name!r}")


__all__ = [
    "CliSession",
    "ConfigTree",
    "NodeDatastore",
    "SessionEngine",
    "ShowProvider",
    "Twin",
    "TwinState",
    "UnknownCommand",
    "diff",
    "diff_flat",
    "parse_flat",
    "read_twin_state",
]
