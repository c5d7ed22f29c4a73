"""Digital twin of an SR Linux EVPN fabric: every node served over SSH on 127.0.0.1.

Layers, each testable alone: `config_tree` (configuration trie), `datastore` (running,
candidates, commit/rollback, faults), `cli_engine` (SR Linux CLI, line in → text out),
`server` (asyncssh transport), `runtime` (the `Twin`, process state file). The fabric
model (`fabric*`, `show_*`, `ce_*`) plugs in through `Twin.set_show_provider`,
`Twin.add_commit_hook` and `Twin.register_engine_factory`.
"""

from nornir_evpn.twin.cli_engine import CliSession, SessionEngine, ShowProvider, UnknownCommand
from nornir_evpn.twin.config_tree import ConfigTree, diff, diff_flat, parse_flat
from nornir_evpn.twin.datastore import NodeDatastore
from nornir_evpn.twin.runtime import Twin, TwinState, read_twin_state

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
