"""Which `configure` or `rollback` of this project is committing to which hosts right now.

A failover-test's state file names the run that has a link shut, and configure and rollback
refuse to commit on its host; nothing named a configure that was committing. So a
failover-test started a moment after a configure shut its link, the configure's candidate on
that leaf (opened after the shut) re-enabled it, and the test went on measuring a fabric
someone else had restored; two configures of one lab both reported their change committed
while the last one's stood; a rollback during a configure was told the configure's checkpoint
was "not made by a configure from this directory".

A committing configure or rollback now writes `commit-<pid>-<n>.json` (its command, lab,
hosts, pid and process start) beside the default failover state file (`.nornir_evpn/`),
after checking, under the lock of that directory, that no live failover-test, configure or
rollback of the same lab holds one of its hosts; a failover-test checks the claims under the
same lock before its own claim. The file is removed when the run ends; one a killed run left
is no live run (pid and start time) and is removed by the next look.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from nornir_evpn.errors import UserInputError
from nornir_evpn.failover_state import PHASE_SHUT, failover_state_doc, run_alive, state_file_path
from nornir_evpn.host_results import host_ranges
from nornir_evpn.outputs import directory_lock, path_text, private_directory, replace_atomically
from nornir_evpn.own_files import read_own_text
from nornir_evpn.processes import process_start

CLAIM_KIND = "nornir_evpn commit claim"
_NUMBERS = itertools.count(1)  # two runs of one process (a runbook's threads) never share a file
ANY_TWIN = object()  # `twin_state` of a caller that cannot tell: any fabric of the lab's name


def twin_key(twin_state: str | Path | None) -> str | None:
    """A run's twin state file as claims and failover state files keep it (None: the lab's
    own devices)."""
    return None if twin_state is None else path_text(twin_state)


def fabric_of(target: Any) -> tuple[str, str | None]:
    """(lab, twin) of a command's target as claims and failover state files name its
    fabric: the arguments of `busy_notes`, `running_failover_test`, `killed_failover_test`."""
    return target.fabric.name, twin_key(target.twin_state)


def of_fabric(doc: dict[str, Any], lab: str | None, twin_state: object = ANY_TWIN) -> bool:
    """`doc` (a claim, a failover state file) is of the fabric `lab` (None: any) reached
    through `twin_state` (`twin_key`'s text; None: the lab's devices). Two twins of one lab
    name in one directory (`--twin-state`), or a twin and the lab it models, are two fabrics:
    a configure of one was refused while the other's committed. A document that does not say
    (an older version's) is of every fabric of its lab."""
    if lab is not None and doc.get("lab") and doc.get("lab") != lab:
        return False
    return twin_state is ANY_TWIN or "twin_state" not in doc or doc.get("twin_state") == twin_state


def claims_dir() -> Path:
    """Where the claims live: the default failover state file's directory, the one configure
    reads a failover-test's state from."""
    return state_file_path().parent


def live_claims(lab: str | None, directory: Path | None = None,
                twin_state: object = ANY_TWIN) -> list[tuple[Path, dict[str, Any]]]:
    """The claims of runs still going, of the fabric `lab` (None: any) through `twin_state`
    (`of_fabric`); a dead run's file is removed."""
    directory = directory or claims_dir()
    found = []
    for path in sorted(directory.glob("commit-*.json")):
        try:
            doc = json.loads(read_own_text(path))
        except (OSError, ValueError):  # gone meanwhile, another user's, not ours
            continue
        if not isinstance(doc, dict) or doc.get("kind") != CLAIM_KIND:
            continue
        if not run_alive(doc):
            with contextlib.suppress(OSError):
                path.unlink()
            continue
        if of_fabric(doc, lab, twin_state):
            found.append((path, doc))
    return found


def refuse_while_committing(lab: str | None, hosts: Iterable[str], command: str,
                            directory: Path | None = None, why: str = "", twin_state: object = ANY_TWIN) -> None:
    """UserInputError when a live configure/rollback of `lab` (through `twin_state`) is
    committing to one of `hosts`."""
    wanted = set(hosts)
    for path, doc in live_claims(lab, directory, twin_state):
        both = sorted(wanted & set(doc.get("hosts") or ()))
        if both:
            raise UserInputError(
                f"a {doc.get('command')} (pid {doc.get('pid')}) is committing to {host_ranges(both)} of lab "
                f"{doc.get('lab')} ({path}){why}: run {command} once it has ended")


@contextlib.contextmanager
def committing(command: str, lab: str, hosts: Iterable[str],
               check: Callable[[], None] | None = None, twin_state: str | Path | None = None) -> Iterator[None]:
    """While inside, this run holds `hosts` of `lab`: a failover-test, configure or rollback
    of this project wanting one of them is refused. `check` (the failover-test's state file)
    runs under the same lock, so a failover-test claiming its link at that moment is seen.
    A directory that cannot be written (a read-only checkout) holds no claim: the run goes on
    as before, with nothing to coordinate with there. (`--no-checkpoint` claims as any run:
    it commits all the same.) `twin_state`: the
    twin's state file the run commits through (None: the lab's devices)."""
    hosts = sorted(set(hosts))
    twin = twin_key(twin_state)
    directory = claims_dir()
    try:
        # absolute: a runbook thread that changes directory meanwhile left the claim behind
        directory = directory.absolute()  # (a working directory since removed: no claim)
        private_directory(directory)
    except OSError:
        directory = None  # type: ignore[assignment]
    if directory is None:
        if check is not None:
            check()
        yield
        return
    path = directory / f"commit-{os.getpid()}-{next(_NUMBERS)}.json"
    # the name is this run's alone: removed in the `finally` whether or not it was written, so
    # an interrupt (Ctrl-C in a runbook) right after the write leaves no claim that its
    # still-living process would hold until it exits
    try:
        with directory_lock(directory):
            if check is not None:
                check()
            refuse_while_committing(lab, hosts, command, directory, twin_state=twin)
            with contextlib.suppress(OSError):  # (not written: nothing held, the run goes on)
                replace_atomically(path, json.dumps({
                    "kind": CLAIM_KIND, "command": command, "lab": lab, "twin_state": twin, "hosts": hosts,
                    "pid": os.getpid(), "pid_start": process_start(os.getpid())}, indent=1) + "\n")
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)


def running_failover_test(lab: str | None, twin_state: object = ANY_TWIN) -> dict[str, Any] | None:
    """The state of the failover-test of this project (its default state file) still running
    on the fabric `lab` (None: any) through `twin_state` (as `of_fabric`), else None."""
    doc = failover_state_doc(state_file_path())
    return doc if doc is not None and run_alive(doc) and of_fabric(doc, lab, twin_state) else None


def killed_failover_test(lab: str, twin_state: object = ANY_TWIN) -> dict[str, Any] | None:
    """The state of a failover-test of this project (its default state file) on the fabric
    `lab` (through `twin_state`, as `of_fabric`) that ended after its shut without removing
    it (killed: its link may still be shut), else None."""
    doc = failover_state_doc(state_file_path())
    if doc is None or doc.get("phase") != PHASE_SHUT or run_alive(doc) or not of_fabric(doc, lab, twin_state):
        return None
    return doc


def busy_notes(lab: str, twin_state: object = ANY_TWIN, what: str = "a failure") -> list[str]:
    """For a run that only reads (verify): the failover-test with a link shut, and the
    configures and rollbacks committing, of this project on the fabric `lab` (through
    `twin_state`, `twin_key`'s text) now. A nightly verify that overlapped an on-call
    failover-test FAILed with nothing saying why. Whichever hosts the verify reads: a link
    shut on leaf1 withdraws the ethernet segment's routes leaf3 receives, and a commit on
    leaf1 changes what the others learn from it."""
    notes = []
    doc = running_failover_test(lab, twin_state)
    if doc is not None:
        notes.append(f"a failover-test (pid {doc.get('pid')}) of {doc.get('host')} {doc.get('interface')} was "
                     f"running during this run ({state_file_path()}): {what} may be the link it shuts; run "
                     "again once the test has ended")
    try:
        claims = live_claims(lab, twin_state=twin_state)
    except OSError:
        claims = []
    for _path, claim in claims:
        notes.append(f"a {claim.get('command')} (pid {claim.get('pid')}) was committing to "
                     f"{host_ranges(sorted(claim.get('hosts') or ()))} during this run: what it read may be a "
                     f"change half-applied; run again once that {claim.get('command')} has ended")
    return notes
