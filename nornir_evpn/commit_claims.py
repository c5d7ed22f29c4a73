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
from nornir_evpn.failover_state import run_alive, state_file_path
from nornir_evpn.host_results import host_ranges
from nornir_evpn.outputs import directory_lock, private_directory, replace_atomically
from nornir_evpn.own_files import read_own_text
from nornir_evpn.processes import process_start

CLAIM_KIND = "nornir_evpn commit claim"
_NUMBERS = itertools.count(1)  # two runs of one process (a runbook's threads) never share a file


def claims_dir() -> Path:
    """Where the claims live: the default failover state file's directory, the one configure
    reads a failover-test's state from."""
    return state_file_path().parent


def live_claims(lab: str | None, directory: Path | None = None) -> list[tuple[Path, dict[str, Any]]]:
    """The claims of runs still going, of `lab` (None: any); a dead run's file is removed."""
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
        if lab is None or doc.get("lab") == lab:
            found.append((path, doc))
    return found


def refuse_while_committing(lab: str | None, hosts: Iterable[str], command: str,
                            directory: Path | None = None, why: str = "") -> None:
    """UserInputError when a live configure/rollback of `lab` is committing to one of `hosts`."""
    wanted = set(hosts)
    for path, doc in live_claims(lab, directory):
        both = sorted(wanted & set(doc.get("hosts") or ()))
        if both:
            raise UserInputError(
                f"a {doc.get('command')} (pid {doc.get('pid')}) is committing to {host_ranges(both)} of lab "
                f"{doc.get('lab')} ({path}){why}: run {command} once it has ended")


@contextlib.contextmanager
def committing(command: str, lab: str, hosts: Iterable[str],
               check: Callable[[], None] | None = None) -> Iterator[None]:
    """While inside, this run holds `hosts` of `lab`: a failover-test, configure or rollback
    of this project wanting one of them is refused. `check` (the failover-test's state file)
    runs under the same lock, so a failover-test claiming its link at that moment is seen.
    A directory that cannot be written (a read-only checkout, `--no-checkpoint`) holds no
    claim: the run goes on as before, with nothing to coordinate with there."""
    hosts = sorted(set(hosts))
    directory = claims_dir()
    path = directory / f"commit-{os.getpid()}-{next(_NUMBERS)}.json"
    try:
        private_directory(directory)
    except OSError:
        directory = None  # type: ignore[assignment]
    if directory is None:
        if check is not None:
            check()
        yield
        return
    with directory_lock(directory):
        if check is not None:
            check()
        refuse_while_committing(lab, hosts, command, directory)
        try:
            replace_atomically(path, json.dumps({
                "kind": CLAIM_KIND, "command": command, "lab": lab, "hosts": hosts,
                "pid": os.getpid(), "pid_start": process_start(os.getpid())}, indent=1) + "\n")
        except OSError:
            path = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()


def busy_notes(lab: str, hosts: Iterable[str]) -> list[str]:
    """For a run that only reads (verify): the failover-test with a link shut, and the
    configures and rollbacks committing, of this project on `lab`'s `hosts` now. A nightly
    verify that overlapped an on-call failover-test FAILed with nothing saying why."""
    from nornir_evpn.failover_state import failover_state_doc  # (as `_claim` imports this module)

    wanted = set(hosts)
    notes = []
    doc = failover_state_doc(state_file_path())
    if (doc is not None and run_alive(doc) and doc.get("host") in wanted
            and (not doc.get("lab") or doc.get("lab") == lab)):
        notes.append(f"a failover-test (pid {doc.get('pid')}) of {doc.get('host')} {doc.get('interface')} was "
                     f"running during this run ({state_file_path()}): a failure may be the link it shuts; run "
                     "again once the test has ended")
    try:
        claims = live_claims(lab)
    except OSError:
        claims = []
    for _path, claim in claims:
        both = sorted(wanted & set(claim.get("hosts") or ()))
        if both:
            notes.append(f"a {claim.get('command')} (pid {claim.get('pid')}) was committing to {host_ranges(both)} "
                         "during this run: what it read may be a change half-applied; run again once that "
                         f"{claim.get('command')} has ended")
    return notes
