"""The twin's SSH host key, kept next to its state file, and the known_hosts file naming it.

A key made anew by every `twin up` could never be checked: `--twin` took whatever answered
on a node's port and gave it the password. The key lives in `<state file>.key` (this
user's alone, 0600) and outlives the twin, so a restarted twin keeps its fingerprint;
`<state file>.known_hosts` is written by each twin for its ports, and `--twin` connects
with strict host-key checking against it.

asyncssh is imported only where a key is read or made: `--twin` reads paths from here.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nornir_evpn.errors import TwinNotRunningError, UserInputError
from nornir_evpn.outputs import replace_atomically
from nornir_evpn.own_files import untrusted
from nornir_evpn.twin.state import state_path

KEY_TYPE = "ecdsa-sha2-nistp256"  # signed in one call by every transport (ssh2, paramiko, OpenSSH)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)


def key_path(state_file: str | Path | None = None) -> Path:
    # resolved, as the control socket's: the twin and each client find one file
    resolved = state_path(state_file).resolve()
    return resolved.with_name(resolved.name + ".key")


def known_hosts_path(state_file: str | Path | None = None, *, scrapli: bool = False) -> Path:
    resolved = state_path(state_file).resolve()
    return resolved.with_name(resolved.name + (".known_hosts.scrapli" if scrapli else ".known_hosts"))


def _open_key(path: Path) -> int | None:
    """The key file opened for reading (None when there is none), refused unless it is a
    regular file of this user's that nobody else may read: another user's key would let
    them stand in for the twin, a key others can read lets them too."""
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:  # ELOOP: a symbolic link, never followed
        reason = "a symbolic link" if os.path.islink(path) else (exc.strerror or str(exc))
        raise UserInputError(f"the twin's host key {path}: cannot open: {reason}; delete it "
                             "(`twin up` makes a new one)") from None
    st = os.fstat(fd)
    problem = None
    if not stat.S_ISREG(st.st_mode):
        problem = "not a regular file"
    elif hasattr(os, "getuid") and st.st_uid != os.getuid():
        problem = f"owned by uid {st.st_uid}, not this user"
    elif st.st_mode & 0o077:
        problem = f"mode {stat.S_IMODE(st.st_mode):04o}: others may read it"
    if problem is not None:
        os.close(fd)
        raise UserInputError(f"the twin's host key {path} is {problem}; delete it (`twin up` makes a new one)")
    return fd


def load_or_create_key(state_file: str | Path | None = None) -> Any:
    """The twin's host key (an asyncssh key), made and saved on first use."""
    import asyncssh

    path = key_path(state_file)
    fd = _open_key(path)
    if fd is None:
        key = asyncssh.generate_private_key(KEY_TYPE)
        try:  # O_EXCL: a file (or link) put there meanwhile is not written through
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600)
        except OSError as exc:
            raise UserInputError(f"the twin's host key {path}: cannot create: {exc.strerror or exc}") from None
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(key.export_private_key())
        except OSError as exc:  # a full disk: no empty key left for the next `twin up` to refuse
            with contextlib.suppress(OSError):
                os.unlink(path)
            raise UserInputError(f"the twin's host key {path}: cannot write: {exc.strerror or exc}") from None
        return key
    with os.fdopen(fd, "rb") as fh:
        data = fh.read()
    try:
        return asyncssh.import_private_key(data)
    except (asyncssh.KeyImportError, ValueError):
        raise UserInputError(f"the twin's host key {path} is not a private key; delete it "
                             "(`twin up` makes a new one)") from None


def write_known_hosts(state_file: str | Path | None, key: Any,
                      endpoints: Mapping[str, tuple[str, int]]) -> Path:
    """`<state file>.known_hosts` for `key` on every endpoint, and its address lines alone in
    `<state file>.known_hosts.scrapli`. OpenSSH (`transport: system`) looks a host up by
    `[address]:port` for a port other than 22; scrapli's ssh2 and paramiko transports by its
    address alone (scrapli.ssh_config.SSHKnownHosts), parsing the whole file at every login:
    131 lines for a 128-leaf twin cost ~0.8 ms of CPU per host, one line nothing."""
    public = " ".join(key.export_public_key("openssh").decode().split()[:2])  # type, base64; no comment
    addresses = [f"{name} {public}\n" for name in dict.fromkeys(host for host, _port in endpoints.values())]
    ports = [f"[{host}]:{port} {public}\n" for host, port in sorted(set(endpoints.values()))]
    replace_atomically(known_hosts_path(state_file, scrapli=True), "".join(addresses))
    path = known_hosts_path(state_file)
    replace_atomically(path, "".join(addresses + ports))
    return path


def twin_known_hosts(state_file: str | Path | None = None, *, scrapli: bool = False) -> Path:
    """The running twin's known_hosts file, for a client's strict host-key check; `scrapli`:
    the one for scrapli's own transports (ssh2, paramiko), address lines only."""
    path = known_hosts_path(state_file, scrapli=scrapli)
    st = None
    with contextlib.suppress(OSError):
        st = path.lstat()
    if st is not None and stat.S_ISREG(st.st_mode):
        if (why := untrusted(st, path.parent)) is not None:  # whoever can write it picks the key trusted
            raise UserInputError(f"the twin's known_hosts file {path} is {why}: left unused")
        return path
    raise TwinNotRunningError(f"the running twin has no known_hosts file {path} (started by a nornir_evpn "
                              "before 0.14?): restart it (`twin down`, `twin up`)")
