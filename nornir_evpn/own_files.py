"""The tool's own state files (twin, failover-test, checkpoint record) are trusted only when
this user owns them and nobody else can change them.

What they hold steers the tool: a twin state file names the ports the password is sent to
and the pid `twin down` signals; a failover state file names the inventory `--restore`
logs in with; the checkpoint record picks what `rollback` reverts. In a project directory
shared with a group (a jump host) or under /tmp, another user could write one: the next
`verify --twin` then logged in to that user's SSH server, and `twin down` signalled that
user's choice of process (security review). The tool writes them 0600 in a directory it
creates 0700; a file of another owner, or one others may write, is refused by name.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import tempfile
from pathlib import Path


class NotOwnFile(OSError):
    """A state file this user does not own, or others may change: never trusted."""


def untrusted(st: os.stat_result, directory: Path | None = None) -> str | None:
    """Why a file with this status is not trusted (None: it is). A file others may write
    is trusted where `directory`'s file system keeps no modes (a Windows drive under WSL,
    FAT, some CIFS mounts show every file 0777): no file there can be told apart."""
    if not hasattr(os, "getuid"):  # no POSIX owners: nothing to compare
        return None
    uid = os.getuid()
    if st.st_uid != uid:
        return f"owned by uid {st.st_uid}, not by this user (uid {uid}): run this as its owner"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and (directory is None or keeps_modes(directory)):
        return f"writable by others (mode {stat.S_IMODE(st.st_mode):04o}; `chmod go-w` it if it is yours)"
    return None


@functools.lru_cache(maxsize=8)
def keeps_modes(directory: Path) -> bool:
    """Whether files made in `directory` keep the mode they are made with (a 0600 file reads
    0600): False on file systems that show one mode for every file."""
    try:
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".mode-probe.")
    except OSError:
        return True  # cannot tell: the strict answer
    try:
        return not os.fstat(fd).st_mode & 0o077
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def read_own_text(path: Path) -> str:
    """The text of `path`, an existing file of this user that only this user can change;
    NotOwnFile naming why otherwise (OSError/UnicodeDecodeError as `open` raises them)."""
    with open(path, encoding="utf-8") as fh:
        # of the file read, not of what a path names later
        why = untrusted(os.fstat(fh.fileno()), path.parent)
        if why is not None:
            raise NotOwnFile(f"{path}: {why}: not trusted, as it steers what this tool connects "
                             "to or changes")
        return fh.read()


def open_own(path: Path, flags: int) -> int:
    """os.open for a file beside a state file (lock, log): a symlink there is refused (it made
    `twin up` create or append to the file it named), and so is a file another user owns.
    One of this user's that others may write (0.13 made its log 0664 under umask 002) is
    made 0600-like instead: nothing in a lock or log steers the tool."""
    fd = os.open(path, flags | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0), 0o600)
    st = os.fstat(fd)
    if hasattr(os, "getuid") and st.st_uid == os.getuid() and st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        with contextlib.suppress(OSError):
            os.fchmod(fd, stat.S_IMODE(st.st_mode) & ~0o022)
            st = os.fstat(fd)
    why = untrusted(st, path.parent)
    if why is not None:
        os.close(fd)
        raise NotOwnFile(why)
    return fd
