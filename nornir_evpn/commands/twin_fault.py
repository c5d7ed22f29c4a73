"""`python -m nornir_evpn twin fault ...`: inject faults into the running twin process.

The twin process serves a control channel: a unix socket next to its state file
(`.nornir_evpn/twin.json` → `.nornir_evpn/twin.json.sock`), one JSON request line in, one JSON
reply line out. Only the local user can reach it (socket mode 0600), nothing listens on TCP.

    twin fault link-down leaf1:ethernet-1/1 ce1:eth1    # pull the cable
    twin fault link-up   leaf1:ethernet-1/1 ce1:eth1
    twin fault unreachable leaf1 [--restore]             # connections closed at once / served
    twin fault drop leaf1                                # drop open SSH sessions
    twin fault slow leaf1 0.5                            # delay each command (0 restores)
    twin fault reject-commit leaf1 [--restore]           # next commit fails
    twin fault wrong-credentials leaf1 [--restore]       # server password changes
    twin fault read-only leaf1 [--restore]               # the user may read, not write
    twin fault saved-prompt leaf1 '{host}# ' / --restore # the user's saved CLI environment
                                                         # sets `environment prompt VALUE`
    twin fault list                                      # pulled cables

The `twin up` command starts the channel with `await serve_control(twin, state_file)`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import os
import secrets
import socket
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any

from nornir_evpn import run_context
from nornir_evpn.errors import TwinNotRunningError, UserInputError
from nornir_evpn.twin.state import other_version_note, read_twin_state, state_path

MAX_SLOW_S = 300.0  # beyond any command timeout: the node is as good as unreachable
ACTIONS = ("link-down", "link-up", "unreachable", "drop", "slow", "reject-commit", "wrong-credentials",
           "read-only", "saved-prompt", "list")
RESTORABLE = ("unreachable", "reject-commit", "wrong-credentials", "read-only", "saved-prompt")  # what --restore undoes
ON_DATASTORE = ("reject-commit", "read-only", "saved-prompt")  # faults of a node's SR Linux datastore


# a unix socket's path is at most 104 bytes on macOS (108 on Linux), NUL included
SOCKET_PATH_MAX = 100


def control_socket_path(state_file: str | Path | None = None) -> Path:
    """Next to the state file; where that path is too long for a unix socket (a checkout
    deep in ~/Documents on a Mac: `twin up` died with "AF_UNIX path too long"), in a
    directory of this user's own under the temp directory (or /tmp, when $TMPDIR is itself
    too long), named after the state file."""
    # resolved: the twin and each client reach one path however they spell the state file
    # (a symlinked directory, macOS's /tmp -> /private/tmp)
    resolved = state_path(state_file).resolve()
    path = resolved.with_name(resolved.name + ".sock")
    if len(os.fsencode(path)) <= SOCKET_PATH_MAX:
        return path
    name = hashlib.sha256(os.fsencode(path)).hexdigest()[:20] + ".sock"
    for directory in _private_dirs():
        if len(os.fsencode(directory / name)) <= SOCKET_PATH_MAX:
            return directory / name
    raise UserInputError(f"no place for the twin's control socket: {path} and the temp directory "
                         f"{tempfile.gettempdir()} are too long for a unix socket "
                         f"({SOCKET_PATH_MAX} bytes); set TMPDIR to a shorter directory")


def _private_dirs() -> list[Path]:
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return [Path(base) / f"nornir-evpn-{uid}" for base in dict.fromkeys((tempfile.gettempdir(), "/tmp"))]


def _make_socket_dir(directory: Path) -> None:
    """Create the socket's directory; the shared one under the temp directory must be this
    user's alone (0700), or another user could stand in for the twin."""
    if directory not in _private_dirs():
        directory.mkdir(parents=True, exist_ok=True)
        return
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = directory.lstat()
    if not stat.S_ISDIR(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != os.getuid()) \
            or st.st_mode & 0o077:
        raise OSError(f"{directory} is not a directory of this user's alone (mode 0700)")


class FaultController:
    """Applies fault requests to a `Twin` (and its `fabric`, when one is attached)."""

    def __init__(self, twin: Any) -> None:
        self.twin = twin

    def apply(self, req: dict[str, Any]) -> dict[str, Any]:
        action = req.get("action")
        node = req.get("node")
        restore = bool(req.get("restore"))
        try:
            if action in ("link-down", "link-up"):
                fabric = getattr(self.twin, "fabric", None)
                if fabric is None:
                    return {"ok": False, "error": "this twin has no fabric model attached"}
                fabric.set_link(req["a"], req["b"], up=action == "link-up")
                return {"ok": True, "down_links": _links(fabric)}
            if action == "list":
                fabric = getattr(self.twin, "fabric", None)
                return {"ok": True, "down_links": _links(fabric) if fabric else [],
                        "node_faults": self._node_faults()}
            if node not in getattr(self.twin, "servers", {}):
                return {"ok": False, "error": f"unknown node {node!r}"}
            if action in ON_DATASTORE and node not in self.twin.datastores:
                return {"ok": False, "error": f"{node} has no SR Linux datastore"}
            if action == "unreachable":
                self.twin.set_unreachable(node, not restore)
            elif action == "drop":
                self.twin.drop_connections(node)
            elif action == "slow":
                self.twin.set_slow(node, float(req.get("seconds", 0.0)))
            elif action == "reject-commit":
                self.twin.reject_next_commit(node, not restore)
            elif action == "wrong-credentials":
                self.twin.set_password(node, None if restore else "wrong-" + secrets.token_hex(8))
            elif action == "read-only":
                self.twin.set_read_only(node, not restore)
            elif action == "saved-prompt":
                self.twin.set_saved_prompt(node, None if restore else str(req.get("prompt", "")))
            else:
                return {"ok": False, "error": f"unknown action {action!r}"}
        except (ValueError, KeyError) as exc:
            return {"ok": False, "error": str(exc).strip("'\"")}
        except OSError as exc:  # asked right, not done (a node that cannot serve again): not ok either
            return {"ok": False, "error": f"{node}: {exc.strerror or exc}", "failed": True}
        return {"ok": True}

    def _node_faults(self) -> list[str]:
        """The faults set on nodes, as the `twin fault` arguments that set them."""
        out = []
        for name, server in sorted(getattr(self.twin, "servers", {}).items()):
            if server.unreachable:
                out.append(f"unreachable {name}")
            if server.extra_delay > 0:
                out.append(f"slow {name} {server.extra_delay:g}")
            if server.password != self.twin.password:
                out.append(f"wrong-credentials {name}")
            datastore = self.twin.datastores.get(name)
            if datastore is not None and datastore.reject_next_commit:
                out.append(f"reject-commit {name}")
            if datastore is not None and datastore.read_only:
                out.append(f"read-only {name}")
            if datastore is not None and datastore.saved_prompt is not None:
                out.append(f"saved-prompt {name} {json.dumps(datastore.saved_prompt)}")
        return out


def _links(fabric: Any) -> list[str]:
    return [f"{a[0]}:{a[1]} {b[0]}:{b[1]}" for a, b in fabric.down_links()]


async def serve_control(twin: Any, state_file: str | Path | None = None,
                        path: Path | None = None) -> asyncio.AbstractServer:
    """Start the control socket for `twin` (call inside the twin's event loop), at `path`
    (default: `control_socket_path(state_file)`)."""
    path = path or control_socket_path(state_file)
    _make_socket_dir(path.parent)
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    controller = FaultController(twin)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            try:
                req = json.loads(line)
                reply = controller.apply(req) if isinstance(req, dict) else {"ok": False, "error": "bad request"}
            except ValueError:
                reply = {"ok": False, "error": "bad request"}
            writer.write((json.dumps(reply) + "\n").encode())
            await writer.drain()
        finally:
            writer.close()

    old = os.umask(0o177)  # the socket is created 0600: only this user may inject faults
    try:
        server = await asyncio.start_unix_server(handle, path=str(path))
    finally:
        os.umask(old)
    return server


def send_fault(req: dict[str, Any], state_file: str | Path | None = None, timeout: float = 10.0) -> dict[str, Any]:
    """Send one request to the running twin; TwinNotRunningError when there is none."""
    state = read_twin_state(state_file)  # raises TwinNotRunningError with the standard message
    path = Path(state.control) if state.control else control_socket_path(state_file)
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(str(path))
            s.sendall((json.dumps(req) + "\n").encode())
            data = b""
            while not data.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError as exc:
        raise TwinNotRunningError(f"twin control channel {path} unavailable ({exc.strerror or exc})") from None
    try:
        reply = json.loads(data)
    except ValueError:
        raise TwinNotRunningError(f"twin control channel {path} sent no reply") from None
    return reply if isinstance(reply, dict) else {"ok": False, "error": "bad reply"}


def add_fault_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add `fault` to the `twin` command's subparsers."""
    p = subparsers.add_parser("fault", help="inject a fault into the running twin")
    p.add_argument("action", choices=ACTIONS)
    p.add_argument("targets", nargs="*", help="node, or two node:interface endpoints for link faults; "
                                              "`slow` takes node and seconds")
    p.add_argument("--restore", action="store_true", help="undo the fault (unreachable, reject-commit, "
                                                            "wrong-credentials, read-only, saved-prompt)")
    p.add_argument("--state-file", "--twin-state", dest="twin_state", type=Path, default=None, metavar="FILE",
                   help="twin state file (default ./.nornir_evpn/twin.json or $NORNIR_EVPN_TWIN_STATE)")
    p.set_defaults(func=run_fault)
    return p


def build_request(action: str, targets: list[str], restore: bool = False) -> dict[str, Any]:
    """Validate the command line into a request; UserInputError names what is wrong."""
    if restore and action not in RESTORABLE:
        # `link-down A B --restore` pulled the cable it was meant to put back
        undo = {"link-down": "link-up with the same endpoints", "link-up": "link-down with the same endpoints",
                "slow": "slow NODE 0"}.get(action)
        raise UserInputError(f"twin fault {action}: --restore undoes {', '.join(RESTORABLE)} only"
                             + (f"; to undo {action}: {undo}" if undo else ""))
    if action in ("link-down", "link-up"):
        if len(targets) != 2 or not all(":" in t for t in targets):
            raise UserInputError(f"twin fault {action}: expected two endpoints node:interface node:interface")
        return {"action": action, "a": targets[0], "b": targets[1]}
    if action == "list":
        return {"action": "list"}
    if action == "slow":
        if len(targets) != 2:
            raise UserInputError("twin fault slow: expected NODE SECONDS")
        try:
            seconds = float(targets[1])
        except ValueError:
            raise UserInputError(f"twin fault slow: seconds {targets[1]!r} is not a number") from None
        if not 0 <= seconds <= MAX_SLOW_S:  # also refuses nan and inf
            raise UserInputError(f"twin fault slow: seconds must be from 0 to {MAX_SLOW_S:g}, got {targets[1]}")
        return {"action": "slow", "node": targets[0], "seconds": seconds}
    if action == "saved-prompt" and not restore:
        if len(targets) != 2 or not targets[1].strip():
            raise UserInputError("twin fault saved-prompt: expected NODE PROMPT (an `environment prompt` "
                                 "value such as '{host}# '), or NODE --restore")
        return {"action": action, "node": targets[0], "prompt": targets[1]}
    if len(targets) != 1:
        raise UserInputError(f"twin fault {action}: expected one NODE")
    return {"action": action, "node": targets[0], "restore": restore}


def run_fault(args: argparse.Namespace) -> int:
    """CLI entry: 0 applied, 1 the twin could not apply it, 2 user error (bad args, unknown
    node, no twin)."""
    req = build_request(args.action, list(args.targets), bool(getattr(args, "restore", False)))
    reply = send_fault(req, getattr(args, "twin_state", None))
    with contextlib.suppress(Exception):  # the twin answered: its state file was just read
        if (note := other_version_note(read_twin_state(getattr(args, "twin_state", None)))) is not None:
            run_context.note(note)
    if reply.get("failed"):  # the twin tried and could not: the fault is not what was asked
        sys.stderr.write(f"twin fault {args.action}: {reply.get('error')}\n")
        return 1
    if not reply.get("ok"):
        raise UserInputError(f"twin fault {args.action}: {reply.get('error')}")
    if args.action == "list":
        for link in reply.get("down_links", []):
            print(f"link-down {link}")
        for fault in reply.get("node_faults", []):
            print(fault)
    else:  # success was silent: a script's log, or a slow reply, left "did it happen?"
        restore = " --restore" if req.get("restore") else ""
        print(f"twin fault {args.action} {' '.join(args.targets)}{restore}: done")
    return 0
