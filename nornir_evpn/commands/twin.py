"""`nornir-evpn twin up|down|status`: run the digital twin as a background process.

`up` starts `python -m nornir_evpn twin up --foreground ...` detached (output to a log file
next to the state file), waits until every node's port accepts connections and prints the
endpoints. The state file (JSON, no password) is how `--twin` on other commands finds it.
Other modules add `twin` actions through `EXTENSIONS` (e.g. `twin fault`, issue 4).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from nornir_evpn import run_context
from nornir_evpn.commands.common import EXIT_FAILED, EXIT_OK
from nornir_evpn.errors import TwinNotRunningError, UserInputError
from nornir_evpn.intent import derive_intent
from nornir_evpn.outputs import ensure_directory
from nornir_evpn.own_files import open_own
from nornir_evpn.run_log import UtcFormatter
from nornir_evpn.topology import load_topology
from nornir_evpn.twin.keys import load_or_create_key
from nornir_evpn.twin.latency import PROFILES
from nornir_evpn.twin.limits import open_files_note
from nornir_evpn.twin.releases import DEFAULT_RELEASE, IMAGE, RELEASES
from nornir_evpn.twin.state import (
    DEFAULT_STATE_FILE,
    NotATwinStateFile,
    TwinState,
    default_topology,
    other_version_note,
    pid_alive,
    read_twin_state,
    state_path,
)

# (module under nornir_evpn.commands, its function adding an action to `twin`'s subparsers)
EXTENSIONS = [("twin_fault", "add_fault_parser"), ("twin_traffic", "add_traffic_parser")]
START_TIMEOUT_S = 30.0
TIMINGS = ["instant", "fast", "realistic", "demo"]  # twin/timing.py's profiles, in --help's order
STOP_TIMEOUT_S = 10.0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("twin", help="SR Linux digital twin on 127.0.0.1 (up/down/status/traffic/fault)")
    sub = p.add_subparsers(dest="twin_action", metavar="ACTION", required=True)

    up = sub.add_parser("up", help="start the twin in the background and print its endpoints")
    up.add_argument("--topology", type=Path, default=None, metavar="FILE",
                    help="containerlab topology (default ./inventory/evpn-mh01.clab.yml, "
                         "else the packaged evpn-mh01)")
    up.add_argument("--foreground", action="store_true",
                    help="serve in this process until SIGTERM/Ctrl-C")
    up.add_argument("--profile", choices=sorted(PROFILES), default=None,
                    help="command latency profile (default fast: no added delay)")
    up.add_argument("--timing", choices=TIMINGS, default=None,
                    help="fabric convergence delays (LACP/BGP/ES/EVPN); default "
                         "$NORNIR_EVPN_TWIN_TIMING, else the --profile of the same name")
    up.add_argument("--release", choices=[IMAGE, *RELEASES], default=None,
                    help="SR Linux release whose `show` layouts every node prints (default image: "
                         "each node its containerlab image's, the newest of these not newer than "
                         "its tag, untagged/latest the newest; 24.10 lists a subinterface's "
                         "network-instances; 25.10 prints 25.x's BGP EVPN route summary)")
    _state_arg(up)
    up.set_defaults(func=run_up)

    down = sub.add_parser("down", help="stop the background twin")
    _state_arg(down)
    down.set_defaults(func=run_down)

    status = sub.add_parser("status", help="show the running twin; exit 1 if none")
    _state_arg(status)
    status.add_argument("--json", action="store_true",
                        help="one JSON document on stdout: each node's kind, host, port and release")
    status.set_defaults(func=run_status)

    for name, func in EXTENSIONS:
        module = _optional(f"nornir_evpn.commands.{name}")
        if module is not None:
            getattr(module, func)(sub)


def _optional(module: str) -> Any:
    """Import a module built by another issue, None while it does not exist yet."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None


def _state_arg(p: argparse.ArgumentParser) -> None:
    # `--twin-state` too, as `twin traffic`/`twin fault` and every other command spell it: the
    # README's "then --twin-state podB.json" made `twin down --twin-state podB.json` an error
    p.add_argument("--state-file", "--twin-state", dest="state_file", type=Path, default=None, metavar="FILE",
                   help="twin state file (default ./.nornir_evpn/twin.json or $NORNIR_EVPN_TWIN_STATE)")


def _print_endpoints(state: TwinState) -> None:
    profiles = f", profile {state.profile}, timing {state.timing}" if state.profile else ""
    profiles += f", SR Linux {releases_line(state)}" if state.release else ""
    sys.stdout.write(f"twin {state.lab!r} running, pid {state.pid}, user {state.username}{profiles}\n")
    for node, (host, port) in state.endpoints.items():
        kind = state.nodes[node].get("kind", "")
        sys.stdout.write(f"  {node:<12} {kind:<6} ssh -p {port} {state.username}@{host}\n")
    note = other_version_note(state)
    if note is not None:
        run_context.note(note)


def releases_line(state: TwinState) -> str:
    """`23.7`, or per release the nodes that print it: `24.10 (spine1, spine2), 25.10 (leaf1)`."""
    by_release: dict[str, list[str]] = {}
    for node, release in (state.releases or {}).items():
        by_release.setdefault(release, []).append(node)
    if len(by_release) <= 1:
        return next(iter(by_release), state.release)
    return ", ".join(f"{r} ({', '.join(nodes)})" for r, nodes in sorted(by_release.items(), key=lambda kv: kv[1][0]))


def _ports_open(state: TwinState) -> bool:
    for host, port in state.endpoints.values():
        try:
            with socket.create_connection((host, port), timeout=0.5):
                pass
        except OSError:
            return False
    return True


# -- up ---------------------------------------------------------------------------------------
def refuse_native_windows() -> None:
    """The twin serves on asyncio signal handlers and a unix control socket, which native
    Windows has not: one line, not a NotImplementedError from the twin's child."""
    if sys.platform == "win32":
        raise UserInputError("the digital twin needs a POSIX system (signals, unix sockets): "
                             "on Windows run nornir_evpn in WSL")


def _refuse_foreground_here() -> None:
    """`--foreground` serves until SIGTERM/SIGINT, caught by an event loop of its own in the
    main thread. Called from a notebook (whose loop runs in the main thread) it was
    `RuntimeError: asyncio.run() cannot be called from a running event loop`, with a handler
    left on the root logger (every later warning of the notebook printed once more per call);
    from another thread the loop cannot take signals: `RuntimeError: set_wakeup_fd only works
    in main thread`, raised after the state file and control socket were written, both left
    behind naming the calling process as the twin."""
    try:
        asyncio.get_running_loop()
        where = "an event loop runs in this thread (a notebook's, an asyncio program's)"
    except RuntimeError:
        if threading.current_thread() is threading.main_thread():
            return
        where = "not in the main thread"
    raise UserInputError(f"twin up --foreground serves in this process until SIGTERM/Ctrl-C, and {where}: "
                         "run `twin up` (a background process), or embed the twin: `with Twin(...)` "
                         "(nornir_evpn.twin.runtime; its own loop thread) or `await twin.start()`")


def run_up(args: argparse.Namespace) -> int:
    refuse_native_windows()
    if args.foreground:
        _refuse_foreground_here()
    try:
        state_file = state_path(args.state_file).resolve()
    except OSError as exc:  # the working directory was removed under the shell
        raise UserInputError(f"--state-file {state_path(args.state_file)}: cannot resolve: "
                             f"{exc.strerror or exc} (was the working directory removed?)") from None
    ensure_directory(state_file.parent, "--state-file", mode=0o700)  # one line, not a PermissionError later
    if args.foreground:  # the child of a `twin up`, which holds the lock (or a user's own)
        return _up(args, state_file)
    import fcntl  # POSIX, as the twin (refuse_native_windows)

    # one `twin up` at a time per state file: two at once (CI jobs in one workspace, two
    # panes) both found no twin and started one each, the first left where `down` cannot reach.
    # Read-only is enough for flock. A symlink or another user's file there is refused
    # (own_files): it made `twin up` create the file a symlink named
    lock_path = state_file.with_name(state_file.name + ".lock")
    try:
        fd = open_own(lock_path, os.O_RDONLY | os.O_CREAT)
    except OSError as exc:
        raise UserInputError(f"--state-file {state_file}: cannot open its lock {lock_path}: "
                             f"{exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return _up(args, state_file)
    finally:
        os.close(fd)


def _up(args: argparse.Namespace, state_file: Path) -> int:
    timing = args.timing or os.environ.get("NORNIR_EVPN_TWIN_TIMING") or None
    if timing not in (None, *TIMINGS):  # the variable's value: said here, not in the child's log (exit 1)
        raise UserInputError(f"$NORNIR_EVPN_TWIN_TIMING {timing!r}: expected one of {', '.join(TIMINGS)}")
    try:
        state = read_twin_state(state_file)
    except NotATwinStateFile as exc:  # another file, or a corrupt one: never overwritten
        raise UserInputError(f"--state-file {exc}; it is never overwritten: delete it or "
                             "choose another path") from None
    except TwinNotRunningError:
        state = None
    if state is not None:
        # the same twin again is a no-op; another one asked for must not pass for it
        asked = {"topology": str(args.topology.resolve()) if args.topology else None,
                 "profile": args.profile, "timing": timing, "release": args.release}
        running = {"topology": state.topology, "profile": state.profile, "timing": state.timing,
                   "release": state.release or DEFAULT_RELEASE}
        if set((state.releases or {}).values()) == {args.release}:  # `image` gave every node it
            running["release"] = args.release
        differ = [f"{k} {Path(v).name if k == 'topology' else v}" for k, v in asked.items()
                  if v is not None and running[k] and v != running[k]]
        down = "twin down" + ("" if state_file == DEFAULT_STATE_FILE.resolve() else f" --state-file {state_file}")
        if differ:
            raise UserInputError(
                f"a digital twin is already running ({state.lab}, profile {state.profile}, timing "
                f"{state.timing}; {state_file}): run `{down}` first to start one with "
                + ", ".join(differ))
        # no --topology: it may not be the lab meant (another pod's twin on this state file)
        sys.stderr.write(f"a digital twin is already running: lab {state.lab} ({Path(state.topology).name}; "
                         f"{state_file})\n")
        _print_endpoints(state)  # (with the note of a twin of another version: once)
        return EXIT_OK
    profile = args.profile or "fast"
    topology = Path(args.topology or default_topology()).resolve()
    # a bad file is a one-line user error here, not in the child's log; and the same
    # topology `inventory` refuses (a CE wired to nothing...) is refused here too
    topo = load_topology(topology)
    derive_intent(topo)
    for node in topo.nodes.values():  # the twin boots the SR Linux nodes from these
        if node.is_srl:
            node.startup_text()
    for note in topo.notes:  # what `inventory` says of the file, the twin leaves out too
        sys.stderr.write(f"note: {note}\n")
    if (note := open_files_note(len(topo.nodes))) is not None:
        sys.stderr.write(f"{note}\n")
    timing = timing or profile
    release = args.release or IMAGE
    # made here, not in the child: a key that cannot be written (a full disk) is one line
    # here, not a dead child's log on that same disk
    load_or_create_key(state_file)
    if args.foreground:
        return serve(topology, state_file, profile, timing, release)
    return _spawn(topology, state_file, profile, timing, release)


def _spawn(topology: Path, state_file: Path, profile: str, timing: str, release: str) -> int:
    state_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    log_path = state_file.with_name(state_file.name + ".log")
    cmd = [sys.executable, "-m", "nornir_evpn", "twin", "up", "--foreground",
           "--topology", str(topology), "--state-file", str(state_file), "--profile", profile,
           "--timing", timing, "--release", release]
    try:  # appended to, never through a symlink (it appended to the file the link named)
        log = os.fdopen(open_own(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT), "ab")
    except OSError as exc:
        raise UserInputError(f"--state-file {state_file}: cannot open its log {log_path}: "
                             f"{exc.strerror or exc}") from None
    with log:
        # the password travels in the environment (inherited), never on the command line
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace").splitlines()[-5:]
            sys.stderr.write(f"twin exited with code {proc.returncode}; see {log_path}\n" if tail else
                             f"twin exited with code {proc.returncode} and an empty log ({log_path}): "
                             "could it write there (a full disk)?\n")
            sys.stderr.write("".join(f"  {line}\n" for line in tail))
            return EXIT_FAILED
        with contextlib.suppress(TwinNotRunningError):
            state = read_twin_state(state_file)
            if state.pid == proc.pid and _ports_open(state):
                _print_endpoints(state)
                # it runs on, detached, on purpose: no "subprocess is still running"
                # ResourceWarning when this Popen goes (`-W error` CI jobs grep for it)
                proc.returncode = 0
                return EXIT_OK
        time.sleep(0.05)
    proc.terminate()
    sys.stderr.write(f"twin did not come up within {START_TIMEOUT_S:g}s; see {log_path}\n")
    return EXIT_FAILED


class _TwinLogFormatter(UtcFormatter):
    """`2026-11-28T05:26:51.812Z WARNING asyncio: socket.send() raised exception.`: the twin
    log's lines had no time and no level (logging's last resort wrote the bare message), so
    a line could not be matched with the run that met it."""


# asyncio's line for a write to a session whose client has hung up (a client that drops its
# session mid-answer: a verify cut short, a runbook's close): ~1 in 40 sessions wrote it, a
# log that grew without bound over months of cron runs, saying nothing wrong with the twin
_CLIENT_GONE = "socket.send() raised exception."


def _not_a_client_gone(record: logging.LogRecord) -> bool:
    return not (record.name == "asyncio" and record.msg == _CLIENT_GONE)


def log_to_stderr() -> logging.Handler:
    """The twin process's log (its stderr is the `.log` file `twin up` names): warnings and
    errors of every logger, each with its UTC time and level."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_TwinLogFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_not_a_client_gone)
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    return handler


def serve(topology: Path, state_file: Path, profile: str, timing: str = "instant",
          release: str = IMAGE) -> int:
    """Run the twin in this process until SIGTERM/SIGINT; the state file lives as long."""
    root = logging.getLogger()
    level = root.level
    handler = log_to_stderr()
    try:
        return _serve(topology, state_file, profile, timing, release)
    finally:  # a script's `main([...])` goes on: its logging as it was
        root.removeHandler(handler)
        root.setLevel(level)


def _serve(topology: Path, state_file: Path, profile: str, timing: str, release: str) -> int:
    from nornir_evpn.twin.runtime import Twin  # the SSH server: only where the twin runs

    key = load_or_create_key(state_file)  # kept across restarts: clients check it (twin/keys.py)

    async def main() -> None:
        twin = Twin(topology, latency=profile, host_key=key)
        fabric_lab = _optional("nornir_evpn.twin.fabric_lab")
        settle_s = 0.0
        if fabric_lab is not None:  # show outputs and CE shells from the fabric model
            from nornir_evpn.twin.timing import get_profile

            fabric_lab.attach(twin, profile=get_profile(timing), release=release)
            settle_s = get_profile(timing).longest
        await twin.start()
        fault = _optional("nornir_evpn.commands.twin_fault")
        control_path = fault.control_socket_path(state_file) if fault is not None else None
        control = await fault.serve_control(twin, path=control_path) if fault is not None else None
        state = twin.state()
        # the clients read it here: one whose $TMPDIR differs (a tmux pane, a CI step, systemd's
        # PrivateTmp) computed another place for a long state path's socket
        state.control = str(control_path or "")
        state.settle_s = settle_s
        state.profile, state.timing, state.release = profile, timing, release
        release_of = getattr(twin.show_provider, "release_of", None)
        if release_of is not None:
            state.releases = {n.name: release_of(n.name) for n in twin.topology.nodes.values() if n.is_srl}
        state.write(state_file)  # and its known_hosts (Twin.state)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        sys.stderr.write(f"twin {state.lab!r} serving {len(state.nodes)} nodes, pid {state.pid}\n")
        try:
            await stop.wait()
        finally:
            if control is not None:
                control.close()
                with contextlib.suppress(OSError):
                    Path(state.control).unlink()
            await twin.stop()
            with contextlib.suppress(OSError, TwinNotRunningError):
                if read_twin_state(state_file).pid == os.getpid():
                    state_file.unlink()

    asyncio.run(main())
    return EXIT_OK


# -- status / down -----------------------------------------------------------------------------
def run_status(args: argparse.Namespace) -> int:
    from nornir_evpn.reporting.common import emit_json  # (rich: not for the other twin commands)

    try:
        state = read_twin_state(args.state_file)
    except NotATwinStateFile as exc:
        raise UserInputError(f"--state-file {exc}") from None
    except TwinNotRunningError as exc:
        sys.stderr.write(f"{exc}\n")
        if args.json:
            emit_json({"command": "twin status", "ok": False, "error": str(exc), "running": False})
        return EXIT_FAILED
    if args.json:  # a script's ports without parsing the table (or the state file's layout)
        note = other_version_note(state)
        if note is not None:
            run_context.note(note)  # on stderr, and first in the document's notes
        emit_json({"command": "twin status", "ok": True,
                   "hosts": {node: {"kind": state.nodes[node].get("kind", ""), "host": host, "port": port,
                                    "release": (state.releases or {}).get(node)}
                             for node, (host, port) in state.endpoints.items()},
                   "running": True, "lab": state.lab, "pid": state.pid, "username": state.username,
                   "profile": state.profile, "timing": state.timing, "release": state.release,
                   "state_file": str(state_path(args.state_file).resolve())})
        return EXIT_OK
    _print_endpoints(state)
    return EXIT_OK


def run_down(args: argparse.Namespace) -> int:
    path = state_path(args.state_file)
    try:
        state = read_twin_state(path)
    except NotATwinStateFile as exc:  # not ours to delete, nor a pid to signal
        raise UserInputError(f"--state-file {exc}; left as it is") from None
    except TwinNotRunningError as exc:
        # nothing to stop is what was asked for (as `twin up` with one running is): a cleanup
        # step under `set -e` failed on it (cliux review)
        sys.stderr.write(f"{exc}: nothing to stop\n")
        with contextlib.suppress(OSError):
            path.unlink()  # stale file of a dead twin
        return EXIT_OK
    try:
        os.kill(state.pid, signal.SIGTERM)
    except ProcessLookupError:  # it ended since it was read (another `twin down`): stopped
        pass
    except PermissionError:
        raise UserInputError(f"the twin of {path} (pid {state.pid}) belongs to another user: "
                             "stop it as that user") from None
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while pid_alive(state.pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if pid_alive(state.pid):
        sys.stderr.write(f"twin pid {state.pid} did not stop within {STOP_TIMEOUT_S:g}s\n")
        return EXIT_FAILED
    with contextlib.suppress(OSError):
        path.unlink()
    sys.stderr.write(f"twin {state.lab!r} (pid {state.pid}) stopped\n")
    return EXIT_OK
