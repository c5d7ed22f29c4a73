"""The failover-test state file: which link a run shut, owned by the run that wrote it.

It is written before the shut and removed after the restore, so a run killed in between
(SIGKILL, power loss) leaves what `failover-test --restore` needs. A file belongs to the run
that claimed it (pid and process start time): it is claimed from the pre-check on by an
exclusive create under a lock on its directory, and only its owner replaces or removes it.
A second run given the same file, or a `--restore`, while the first runs is refused.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nornir_evpn.errors import UserInputError
from nornir_evpn.outputs import directory_lock, replace_atomically
from nornir_evpn.own_files import NotOwnFile, read_own_text
from nornir_evpn.processes import names_one_process, pid_alive, process_start
from nornir_evpn.topology import normalise_srl_interface
from nornir_evpn.validation import check_name

DEFAULT_STATE_FILE = Path(".nornir_evpn") / "failover-state.json"
STATE_ENV = "NORNIR_EVPN_FAILOVER_STATE"


def state_file_path(path: str | Path | None = None) -> Path:
    if path is not None:
        return Path(path)
    return Path(os.environ.get(STATE_ENV) or DEFAULT_STATE_FILE)



STATE_KIND = "nornir_evpn failover-test state"  # marks the files this module may replace


# a state file's phase: claimed by a run still in its pre-check (nothing disabled yet), or
# written just before the shut (the link may be down until the restore)
PHASE_CLAIMED = "pre-check"
PHASE_SHUT = "shut"
# true in the file of a run whose shut found no admin-state configured on the interface (the
# default, enable, applied): the restore deletes the leaf rather than set `enable`, which
# would leave the running configuration one line longer than before the test
STATE_ADMIN_STATE_DEFAULT = "admin_state_default"


def _owner() -> dict[str, Any]:
    """This process, as a state file names it: its pid and when it started (a pid alone may be
    another process's after a reboot)."""
    return {"pid": os.getpid(), "pid_start": process_start(os.getpid())}


def run_alive(doc: Mapping[str, Any]) -> bool:
    """The run that wrote `doc` (a failover-test's state file, a configure's or rollback's
    commit claim) still runs. A file of an older version (no start recorded) is taken as a
    stopped run, as that version did."""
    pid, start = doc.get("pid"), doc.get("pid_start")
    if not names_one_process(pid) or not isinstance(start, int):
        return False
    return pid_alive(pid) and process_start(pid) == start


def running_error(path: Path, doc: Mapping[str, Any]) -> UserInputError:
    return UserInputError(
        f"--state-file {path}: a failover-test (pid {doc.get('pid')}) is running on {doc.get('host')} "
        f"{doc.get('interface')}; wait for it to end (it restores the link itself) or stop it with Ctrl-C"
    )


def failover_state_doc(path: Path) -> dict[str, Any] | None:
    """The failover state file at `path`, None for any other file (or none)."""
    try:
        doc = json.loads(read_own_text(path))
    except (OSError, ValueError):  # NotOwnFile too: another user's file is no state of ours
        return None
    if isinstance(doc, dict) and (doc.get("kind") == STATE_KIND or {"host", "interface", "pid"} <= doc.keys()):
        return doc
    return None


def prepare_state_file(path: Path, host: str | None = None, interface: str | None = None,
                       scope: Mapping[str, Any] | None = None) -> None:
    """Before a run: claim `path` for this run (the shut is not sent otherwise).

    The claim is an exclusive create: a second failover-test given the same state file while
    this one runs is refused, from its pre-check on. An existing failover state file is a run
    still going (refused), one killed in its pre-check (nothing was disabled: replaced), or
    one killed after its shut, whose link may still be down: `--restore` comes first. Any
    other existing file is never overwritten (nor deleted after the run). Claims of one
    state file are made one at a time (a lock on its directory): two runs replacing the same
    stale claim both took it."""
    if path.is_dir():
        raise UserInputError(f"--state-file {path}: is a directory, expected a file")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise UserInputError(f"--state-file {path}: cannot create directory {path.parent}: "
                             f"{exc.strerror or exc}") from None
    with directory_lock(path.parent):
        _claim(path, host, interface, scope)


def _claim(path: Path, host: str | None, interface: str | None, scope: Mapping[str, Any] | None = None) -> None:
    if path.exists():
        doc = failover_state_doc(path)
        if doc is None:
            try:
                read_own_text(path)
            except NotOwnFile as exc:  # a state file, perhaps, but not one to trust: say why
                raise UserInputError(f"--state-file {exc}") from None
            except (OSError, ValueError):
                pass
            raise UserInputError(f"--state-file {path}: exists and is not a failover-test state file; "
                                 "it is never overwritten")
        if run_alive(doc):
            raise running_error(path, doc)
        if doc.get("phase") != PHASE_CLAIMED:
            raise UserInputError(
                f"--state-file {path}: a failover-test stopped before its restore left {doc.get('host')} "
                f"{doc.get('interface')} disabled; run `failover-test --restore --state-file {path}` first"
            )
        with contextlib.suppress(FileNotFoundError):  # stopped before its shut: nothing to undo
            path.unlink()
    # a configure or rollback of this project committing to `host` now would re-enable the
    # link once shut (its candidate opened after the shut): under the lock it claims with
    from nornir_evpn import commit_claims  # (here: it imports this module)

    if host is not None:
        scope = scope or {}
        commit_claims.refuse_while_committing(scope.get("lab"), [host], "failover-test",
                                              why="; a commit there would re-enable the link this test shuts",
                                              twin_state=scope.get("twin_state", commit_claims.ANY_TWIN))
    # not `ensure_writable`: its probe creates the file empty for a moment, and a run killed
    # then left an empty file that refused every later run. The claim below is the probe.
    claim = {"kind": STATE_KIND, **(scope or {}), "phase": PHASE_CLAIMED, "host": host, "interface": interface,
             "time": time.time(), **_owner()}
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(claim, indent=2) + "\n")
        os.link(tmp, path)  # atomic and exclusive: whole, and never over another run's claim
    except FileExistsError:
        doc = failover_state_doc(path) or {}
        raise (running_error(path, doc) if run_alive(doc) else UserInputError(
            f"--state-file {path}: another process created it just now")) from None
    except OSError as exc:
        raise UserInputError(f"--state-file {path}: cannot write: {exc.strerror or exc}") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def release_claim(path: Path) -> None:
    """After a run: drop this run's claim if it never got past its pre-check (refused,
    failed, interrupted). A file written for the shut is left to the restore."""
    doc = failover_state_doc(path)
    if doc is not None and doc.get("phase") == PHASE_CLAIMED and doc.get("pid") == os.getpid():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def write_state(path: Path, doc: dict[str, Any]) -> None:
    """Write the state file of this run (`doc` + this process). A state file of another
    run in its place is never replaced: the shut is then not sent."""
    current = failover_state_doc(path) if path.exists() else None
    if path.exists() and (current is None or current.get("pid") != os.getpid()):
        if current is not None and run_alive(current):
            raise running_error(path, current)
        raise UserInputError(f"--state-file {path}: another run's file took its place; "
                             "the link was not shut")
    # a kill mid-write never leaves half a file
    replace_atomically(path, json.dumps({**doc, **_owner()}, indent=2) + "\n")


def remove_state(path: Path, owner: Mapping[str, Any] | None = None) -> None:
    """The link is as it was before the run (restored, or never changed): nothing to undo.
    Only the file of this run (or of the run `owner` describes: `--restore`) is removed: a
    file another run wrote in its place names a link that may still be down."""
    current = failover_state_doc(path)
    if current is None:
        return
    pid = os.getpid() if owner is None else owner.get("pid")
    if current.get("pid") == pid:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def read_state(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(read_own_text(path))
    except FileNotFoundError:
        raise UserInputError(f"{path}: no failover state file (nothing to restore)") from None
    except NotOwnFile as exc:  # it names the inventory --restore logs in with
        raise UserInputError(str(exc)) from None
    except (OSError, ValueError) as exc:
        raise UserInputError(f"{path}: unreadable failover state file: {exc}") from None
    if not isinstance(doc, dict) or not doc.get("host") or not doc.get("interface"):
        raise UserInputError(f"{path}: failover state file lacks host/interface")
    # the file is input like any other: what it names goes into a CLI line on the device
    interface = doc["interface"]
    if not isinstance(interface, str) or normalise_srl_interface(interface) != interface:
        raise UserInputError(f"{path}: failover state file names interface {interface!r}, "
                             "not an SR Linux port (ethernet-N/M)")
    try:
        check_name(doc["host"], "host")
    except ValueError as exc:
        raise UserInputError(f"{path}: failover state file: {exc}") from None
    return doc
