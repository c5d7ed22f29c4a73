"""The twin's state file and defaults: what other commands need to find a running twin.

Kept apart from `runtime` so that `--twin` on a Nornir command reads the state file
without importing the SSH server (asyncssh) into the tool.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any

from nornir_evpn import platform
from nornir_evpn.errors import TwinNotRunningError
from nornir_evpn.outputs import native_path, path_text, replace_atomically
from nornir_evpn.own_files import NotOwnFile, read_own_text
from nornir_evpn.processes import names_one_process, pid_alive, process_start

STATE_ENV = "NORNIR_EVPN_TWIN_STATE"
DEFAULT_STATE_FILE = Path(".nornir_evpn") / "twin.json"
NOT_RUNNING = "no digital twin is running: start one with `python -m nornir_evpn twin up`"


def default_password() -> str:
    return os.environ.get(platform.DEFAULT_PASSWORD_ENV) or platform.LAB_DEFAULT_PASSWORD


def default_topology() -> Path:
    """`./inventory/evpn-mh01.clab.yml` if present, else the packaged copy."""
    local = Path("inventory") / "evpn-mh01.clab.yml"
    if local.is_file():
        return local
    return Path(str(resources.files("nornir_evpn.lab") / "evpn-mh01.clab.yml"))


@dataclass
class TwinState:
    """What `twin up` writes for other commands: never the password."""

    pid: int
    topology: str
    lab: str
    username: str
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    started_at: float = field(default_factory=time.time)
    # the fabric timing's longest delay: how long a change (a MAC learnt) takes to show
    # everywhere; `twin traffic` waits that long after its pings
    settle_s: float = 0.0
    # the twin process's start (`process_start`): tells it from a later process with its pid
    pid_start: int | None = None
    profile: str = ""  # command latency profile (`twin up --profile`)
    timing: str = ""  # fabric timing profile (`twin up --timing`)
    release: str = ""  # SR Linux release the `show` layouts follow (`twin up --release`), or `image`
    releases: dict[str, str] = field(default_factory=dict)  # SR Linux node -> the release it prints
    control: str = ""  # the fault/traffic control socket ("" before 0.9: computed from this file's path)
    version: str = ""  # the nornir_evpn that started it ("" before 0.4): its reading of the topology

    @property
    def endpoints(self) -> dict[str, tuple[str, int]]:
        return {n: (str(v["host"]), int(v["port"])) for n, v in self.nodes.items()}

    def write(self, path: Path) -> None:
        doc = asdict(self)
        for name in PATH_FIELDS:
            if isinstance(doc[name], str) and doc[name]:
                doc[name] = path_text(doc[name])
        replace_atomically(path, json.dumps(doc, indent=2) + "\n")  # readers never see half a file


# the fields that hold a path: kept as its bytes (outputs.path_text), for a process in another
# locale (a twin started under latin-1 in `Réseau lab`: `twin traffic` from a UTF-8 shell
# found no topology, `twin fault` no control channel, `twin up` "run `twin down` first")
PATH_FIELDS = ("topology", "control")


def not_running(path: Path) -> str:
    """"No twin" for the state file `path`: one of another name is named, with the `twin up`
    that starts a twin there (the plain one would start it on the default file)."""
    if path == DEFAULT_STATE_FILE:
        return NOT_RUNNING
    return (f"no digital twin is running on {path}: start one with "
            f"`python -m nornir_evpn twin up --state-file {path}`")


def state_path(path: str | Path | None = None) -> Path:
    if path is not None:
        return Path(path)
    return Path(os.environ.get(STATE_ENV) or DEFAULT_STATE_FILE)


class NotATwinStateFile(TwinNotRunningError):
    """The state file exists but is not one `twin up` wrote (corrupt, or another file)."""


def twin_alive(pid: int, start: int | None, state_file: Path | None = None) -> bool:
    """`pid` runs and is the process that wrote the state file: after a crash or a reboot a
    stale file's pid may belong to another process, which `twin down` must not signal."""
    if not pid_alive(pid):
        return False
    if start is None:  # a file of an older version: the twin `twin up` started for this file
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                words = fh.read().split(b"\0")
        except OSError:
            return True
        return b"nornir_evpn" in words and state_file is not None and \
            str(state_file.resolve()).encode() in words
    now = process_start(pid)
    return now is None or now == start


def read_twin_state(path: str | Path | None = None) -> TwinState:
    """The running twin's state; TwinNotRunningError if there is none or its pid is dead."""
    p = state_path(path)
    try:
        text = read_own_text(p)
    except (FileNotFoundError, NotADirectoryError):
        raise TwinNotRunningError(not_running(p)) from None
    except NotOwnFile as exc:  # another user's file names ports and a pid: never followed
        raise NotATwinStateFile(str(exc)) from None
    except OSError as exc:  # there, and not ours to read (another user's twin): not "no twin"
        raise NotATwinStateFile(f"{p}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:  # not a file `twin up` wrote
        raise NotATwinStateFile(f"{p}: not a twin state file (not UTF-8 text)") from None
    try:
        doc = json.loads(text)
        # a field a later version adds (`release` came this way) is left to that version: an
        # older tool reading a newer twin's file still finds the twin
        known = {f.name for f in fields(TwinState)}
        state = TwinState(**{k: v for k, v in doc.items() if k in known}) if isinstance(doc, dict) \
            else TwinState(**doc)
        if not names_one_process(state.pid) or not isinstance(state.pid_start, (int, type(None))) or not all(
                0 < port < 65536 for _host, port in state.endpoints.values()):
            raise ValueError("a pid or port out of range")
        for name in PATH_FIELDS:
            if isinstance(getattr(state, name), str):
                setattr(state, name, native_path(getattr(state, name)))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        # a truncated write or a hand edit: say which file, not "no twin is running"
        reason = " ".join(str(exc).split())[:120]
        raise NotATwinStateFile(f"{p}: not a twin state file ({type(exc).__name__}: {reason})") from None
    if not twin_alive(state.pid, state.pid_start, p):
        raise TwinNotRunningError(not_running(p))
    return state


def other_version_note(state: TwinState) -> str | None:
    """The note for a twin started by another nornir_evpn (it models the topology as that
    version reads it), None for one of this version."""
    from nornir_evpn import __version__

    if state.version == __version__:
        return None
    return (f"note: the twin was started by nornir_evpn {state.version or 'before 0.4'}, this is "
            f"{__version__}: restart it (`twin down`, `twin up`) to model the topology as this version reads it")
