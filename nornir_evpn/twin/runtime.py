"""The Twin: every node of a containerlab topology served over SSH on 127.0.0.1.

Usable three ways: `async with`/`await twin.start()` inside an event loop, `with Twin(...)`
from synchronous code (the loop then runs in a background thread), and as a background
process (`python -m nornir_evpn twin up`) found through its state file (`read_twin_state`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

from nornir_evpn import __version__, platform
from nornir_evpn.topology import Topology, load_topology
from nornir_evpn.twin.cli_engine import (
    CliSession,
    DefaultShowProvider,
    LinuxShellPlaceholder,
    SessionEngine,
    ShowProvider,
)
from nornir_evpn.twin.config_tree import parse_flat
from nornir_evpn.twin.datastore import CommitHook, NodeDatastore
from nornir_evpn.twin.keys import write_known_hosts
from nornir_evpn.twin.latency import Latency
from nornir_evpn.twin.limits import open_files_needed, raise_open_files_limit
from nornir_evpn.twin.releases import DEFAULT_RELEASE
from nornir_evpn.twin.server import NodeServer
from nornir_evpn.twin.server import host_key as server_host_key

# re-exported: the runtime's public names (`X as X` marks them so for type checkers)
from nornir_evpn.twin.state import DEFAULT_STATE_FILE as DEFAULT_STATE_FILE
from nornir_evpn.twin.state import NOT_RUNNING as NOT_RUNNING
from nornir_evpn.twin.state import STATE_ENV as STATE_ENV
from nornir_evpn.twin.state import TwinState as TwinState
from nornir_evpn.twin.state import default_password as default_password
from nornir_evpn.twin.state import default_topology as default_topology
from nornir_evpn.twin.state import pid_alive as pid_alive
from nornir_evpn.twin.state import process_start as process_start
from nornir_evpn.twin.state import read_twin_state as read_twin_state
from nornir_evpn.twin.state import state_path as state_path

# containerlab's post-deploy checkpoint of an SR Linux node (srl kind: `generate-checkpoint
# name clab-initial comment "set by containerlab"`)
CLAB_INITIAL = "clab-initial"
CLAB_INITIAL_COMMENT = "set by containerlab"


T = TypeVar("T")
FIT_TERMINAL_ENV = "NORNIR_EVPN_TWIN_FIT_TERMINAL"

# factory(node_name) -> a fresh engine for one SSH session on that node
KindEngineFactory = Callable[[str], SessionEngine]


class _ProviderProxy:
    """Sessions hold this, so `set_show_provider` also reaches already-open sessions."""

    def __init__(self, twin: Twin) -> None:
        self._twin = twin

    def show(self, node: str, command: str) -> str:
        return self._twin.show_provider.show(node, command)

    def state(self, node: str, path: str, as_json: bool) -> str:
        return self._twin.show_provider.state(node, path, as_json)

    def release_of(self, node: str) -> str:
        """The SR Linux release `node` plays (its `set` semantics follow it too)."""
        of = getattr(self._twin.show_provider, "release_of", None)
        return of(node) if of is not None else DEFAULT_RELEASE


log = logging.getLogger(__name__)


class _AcceptErrors:
    """The event loop's exception handler: asyncio logs a traceback for every `accept()`
    that fails for want of file descriptors, as often as the listener is readable (hundreds
    of MB of log in two minutes at `ulimit -n 48`). Those become one line per
    ACCEPT_NOTE_EVERY_S with their count; anything else goes to the default handler."""

    def __init__(self) -> None:
        self.last = -math.inf
        self.since = 0

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if "out of system resource" not in str(context.get("message", "")):
            loop.default_exception_handler(context)
            return
        self.since += 1
        now = time.monotonic()
        if now - self.last >= ACCEPT_NOTE_EVERY_S:
            exc = context.get("exception")
            log.error("cannot accept SSH connections: %s (%d time(s)); raise `ulimit -n`",
                      getattr(exc, "strerror", None) or exc, self.since)
            self.last, self.since = now, 0


ACCEPT_NOTE_EVERY_S = 10.0


class Twin:
    """Digital twin of a topology: datastores, SSH servers, engine factories and faults."""

    def __init__(
        self,
        topology_path: str | Path | None = None,
        *,
        username: str = platform.DEFAULT_USERNAME,
        password: str | None = None,
        latency: Latency | Mapping[str, float] | str | None = None,
        host: str = "127.0.0.1",
        show_provider: ShowProvider | None = None,
        topology: Topology | None = None,
        fit_terminal: bool | None = None,
        host_key: Any = None,
    ) -> None:
        self.topology = topology or load_topology(topology_path or default_topology())
        self.username = username
        self.password = password if password is not None else default_password()
        self.host = host
        self.show_provider: ShowProvider = show_provider or DefaultShowProvider()
        # `show` tables fitted to each session's terminal, as SR Linux prints them (default:
        # the tutorial transcripts' widths; $NORNIR_EVPN_TWIN_FIT_TERMINAL=1 turns it on)
        self.fit_terminal = (os.environ.get(FIT_TERMINAL_ENV, "").lower() in ("1", "true", "yes")
                             if fit_terminal is None else fit_terminal)
        self.datastores: dict[str, NodeDatastore] = {}
        for name, node in self.topology.nodes.items():
            if node.kind == "srl":
                running = parse_flat(node.startup_text())
                ds = self.datastores[name] = NodeDatastore(name, running, Latency.of(latency))
                # containerlab's own checkpoint of each SR Linux node once deployed (its
                # startup configuration applied): what `checkpoint clab-initial revert`
                # resets a lab to, and one of the device's ten
                ds.generate_checkpoint(CLAB_INITIAL, CLAB_INITIAL_COMMENT, "admin")
        self._factories: dict[str, KindEngineFactory] = {
            "srl": self._srl_engine,
            "linux": LinuxShellPlaceholder,
        }
        # one key for every node; None: the process's own (made anew each run, see twin/keys.py)
        self.host_key = host_key or server_host_key()
        self.servers: dict[str, NodeServer] = {
            name: NodeServer(
                name,
                self._engine_factory_for(name, node.kind),
                username=username,
                password=self.password,
                host=host,
                key=self.host_key,
            )
            for name, node in self.topology.nodes.items()
        }
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- engines -------------------------------------------------------------------------------
    def _srl_engine(self, node: str) -> SessionEngine:
        return CliSession(self.datastores[node], _ProviderProxy(self), username=self.username,
                          fit_terminal=self.fit_terminal)

    def _engine_factory_for(self, node: str, kind: str) -> Callable[[], SessionEngine]:
        # looked up at session start, so factories registered after start() apply too
        return lambda: self._factories[kind](node)

    def register_engine_factory(self, kind: str, factory: KindEngineFactory) -> None:
        """Serve nodes of `kind` ("srl" or "linux") with `factory(node_name)` engines."""
        self._factories[kind] = factory

    def set_show_provider(self, provider: ShowProvider) -> None:
        """Answer `show` / `info from state` with `provider` (new sessions and open ones)."""
        self.show_provider = provider

    def add_commit_hook(self, hook: CommitHook) -> None:
        """Call `hook(node, running)` after every commit or rollback on any node."""
        for ds in self.datastores.values():
            ds.add_commit_hook(hook)

    def datastore(self, node: str) -> NodeDatastore:
        return self.datastores[node]

    @property
    def endpoints(self) -> dict[str, tuple[str, int]]:
        return {name: (s.host, s.port) for name, s in self.servers.items()}

    # -- async lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        raise_open_files_limit(open_files_needed(len(self.servers)))
        loop = asyncio.get_running_loop()
        if loop.get_exception_handler() is None:  # a loop of the caller's keeps its own
            loop.set_exception_handler(_AcceptErrors())
        await asyncio.gather(*(s.start() for s in self.servers.values()))

    async def stop(self) -> None:
        await asyncio.gather(*(s.stop() for s in self.servers.values()))
        for ds in self.datastores.values():
            if ds.pending is not None and ds.pending.timer is not None:
                ds.pending.timer.cancel()

    async def __aenter__(self) -> Twin:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- sync lifecycle (loop in a background thread) ------------------------------------------------
    def __enter__(self) -> Twin:
        if self._loop is not None:
            # a notebook cell run again: a second loop thread took over `_loop`, the first one
            # (serving every session) ran on after `__exit__`, which stopped the servers from
            # the wrong loop
            raise RuntimeError("this Twin is already started (`with Twin(...)` / __enter__): "
                               "leave it (__exit__) first, or make another Twin")
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="twin-loop", daemon=True)
        self._thread.start()
        try:
            self._run(self.start())
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            self._run(self.stop())
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            loop.close()
            self._loop, self._thread = None, None

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run `coro` on the twin's loop from another thread and wait for it."""
        assert self._loop is not None, "use `with Twin(...)` or call the async API"
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=60)

    # -- faults -----------------------------------------------------------------------------------
    def set_unreachable(self, node: str, unreachable: bool = True) -> None:
        """Close every new connection to the node before its SSH banner, drop its open
        sessions (or restore); its port stays its own. OSError when it cannot be restored."""
        server = self.servers[node]
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if self._loop is not None and running is not self._loop:
            # from another thread: the sessions are the loop's to abort, and an error is the caller's
            self._run(self.aset_unreachable(node, unreachable))
        else:
            server.set_unreachable(unreachable)

    async def aset_unreachable(self, node: str, unreachable: bool = True) -> None:
        self.servers[node].set_unreachable(unreachable)

    def drop_connections(self, node: str) -> None:
        """Abort every SSH connection to `node`, mid-command or not."""
        server = self.servers[node]
        if self._loop is not None:
            self._loop.call_soon_threadsafe(server.drop_connections)
        else:
            server.drop_connections()

    def set_slow(self, node: str, seconds: float) -> None:
        """Delay every command line on `node` by `seconds` (0 restores)."""
        self.servers[node].extra_delay = max(0.0, seconds)

    def reject_next_commit(self, node: str, reject: bool = True) -> None:
        self.datastores[node].reject_next_commit = reject

    def set_read_only(self, node: str, read_only: bool = True) -> None:
        """`node` answers its user as one whose role may only read: every write is refused
        (`Error: No authorization to execute command: ...`), reads are served."""
        self.datastores[node].read_only = read_only

    def set_saved_prompt(self, node: str, prompt: str | None) -> None:
        """`node`'s user has saved `environment prompt PROMPT` in its CLI environment
        (~/.srlinuxrc, loaded at every login): new sessions start with that prompt (None
        restores SR Linux's default). Sessions already open keep theirs."""
        self.datastores[node].saved_prompt = prompt

    def set_password(self, node: str, password: str | None) -> None:
        """Change the node's server-side password (None restores): clients get auth errors."""
        self.servers[node].password = password if password is not None else self.password

    # -- state file ----------------------------------------------------------------------------------
    def state(self, pid: int | None = None) -> TwinState:
        """What the state file says of this twin; its `write` writes the known_hosts file too."""
        pid = pid if pid is not None else os.getpid()
        state = _KeyedState(
            pid=pid,
            pid_start=process_start(pid),
            topology=str(self.topology.path),
            lab=self.topology.name,
            username=self.username,
            version=__version__,
            nodes={
                name: {"host": s.host, "port": s.port, "kind": self.topology.nodes[name].kind}
                for name, s in self.servers.items()
            },
        )
        state.host_key = self.host_key
        return state


class _KeyedState(TwinState):
    """A state whose file goes with `<file>.known_hosts`: `--twin` checks the twin's host key
    against it, so a twin embedded in a runbook (`twin.state().write(path)`, as `twin up`
    does) is found with its key."""

    host_key: Any = None  # not a dataclass field: never in the state file

    def write(self, path: Path) -> None:
        write_known_hosts(path, self.host_key, self.endpoints)  # first: who finds the state finds the key
        super().write(path)


