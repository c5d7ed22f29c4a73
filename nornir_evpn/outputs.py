"""Files the commands write (inventory, topology, JUnit report, failover state).

Checked before any device is touched, so a path the file system refuses is bad input
(one line, exit 2) and never a traceback after the fabric has been changed.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nornir_evpn.errors import ReportNotWrittenError, UserInputError


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def path_text(path: str | Path) -> str:
    """A path as a state file keeps it: its bytes read as UTF-8, not as this process's locale
    decoded them. A twin (or failover-test) run under `LANG=fr_FR.ISO-8859-1` in `~/Réseau
    lab` wrote `RÃ©seau lab`, which a shell in a UTF-8 locale could not find. Under UTF-8,
    the locale almost everyone runs, the text is the path's as before."""
    return os.fsencode(path).decode("utf-8", "surrogateescape")


def native_path(text: str) -> str:
    """A path `path_text` wrote, as this process names that file. Text no `path_text` makes
    (a state file edited by hand: a lone `\\ud800`) is taken as it is: its file is then not
    found, said in one line, where encoding it raised a traceback."""
    try:
        return os.fsdecode(text.encode("utf-8", "surrogateescape"))
    except UnicodeEncodeError:
        return text


def ensure_directory(path: Path, what: str, mode: int = 0o777) -> Path:
    """Create directory `path` (and its parents) or fail with one line naming `what`; `mode`
    is the new directory's (0o700 for the tool's state files)."""
    if path.exists() and not path.is_dir():
        raise UserInputError(f"{what} {path}: exists and is not a directory")
    try:
        path.mkdir(mode=mode, parents=True, exist_ok=True)
    except OSError as exc:
        raise UserInputError(f"{what} {path}: cannot create directory: {_reason(exc)}") from None
    try:  # try it: os.access says yes to root for nearly anything
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as exc:
        raise UserInputError(f"{what} {path}: directory is not writable: {_reason(exc)}") from None
    return path


def ensure_writable(path: Path, what: str) -> Path:
    """Make sure file `path` can be written (its directory is created)."""
    if path.is_dir():
        raise UserInputError(f"{what} {path}: is a directory, expected a file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserInputError(f"{what} {path}: cannot create directory {path.parent}: {_reason(exc)}") from None
    # try it: os.access says yes to root for nearly anything (/proc, /sys, read-only mounts)
    existed = path.exists()
    try:
        with path.open("a"):
            pass
    except OSError as exc:
        raise UserInputError(f"{what} {path}: cannot write: {_reason(exc)}") from None
    if not existed:
        path.unlink()
    return path


@contextmanager
def writing(path: Path, what: str, *, after_run: bool = False) -> Iterator[None]:
    """Turn the file system refusing a write into one line naming `what` and `path`: bad
    input (exit 2) before a run, `ReportNotWrittenError` (exit 1) for a report written
    after it (`after_run`)."""
    try:
        yield
    except OSError as exc:
        error = ReportNotWrittenError if after_run else UserInputError
        raise error(f"{what} {path}: cannot write: {_reason(exc)}") from None


def replace_atomically(path: Path, text: str, *, shared: bool = False) -> None:
    """Write `path` so a reader never sees half of it: a temporary file of its own, created
    next to it (a sibling `<name>.tmp` someone else owns is never touched), then renamed.
    For the tool's state files: created 0600, in a directory created 0700 (own_files).
    `shared`: a file of the user's (an inventory): the mode it had, else what the umask
    gives a new file, in a directory made as `mkdir` makes it; a symlink's target is the
    file replaced."""
    if shared:
        # a symlinked inventory file (groups.yaml kept in a shared repository) is written
        # where it points, as `write_text` did: the link is not replaced by a copy
        path = Path(os.path.realpath(path))
        path.parent.mkdir(mode=0o777, parents=True, exist_ok=True)
    else:
        private_directory(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if shared and hasattr(os, "fchmod"):
            os.fchmod(fd, _mode_of(path))
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def private_directory(directory: Path) -> None:
    """Create `directory` and each missing parent 0700: `mkdir(parents=True)` makes the
    parents under the umask, and `.nornir_evpn/` made by the yaml cache's
    `.nornir_evpn/yaml-cache/` (the first command in a project) was 0775 under umask 002,
    which the twin's state, key and control socket then lived in."""
    missing = []
    while not directory.is_dir() and directory != directory.parent:
        missing.append(directory)
        directory = directory.parent
    for made in reversed(missing):
        made.mkdir(mode=0o700, exist_ok=True)


def _mode_of(path: Path) -> int:
    """The permission bits `path` has, or a new file would get under the umask."""
    try:
        return path.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


@contextmanager
def directory_lock(directory: Path) -> Iterator[None]:
    """An advisory lock on `directory` (flock), where the platform has one: one writer of the
    state files in it at a time."""
    try:
        import fcntl
    except ImportError:  # not POSIX: the callers' own exclusive creates alone
        yield
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


@contextmanager
def removed_if_refused(directory: Path | None) -> Iterator[None]:
    """Around the checks that may still refuse a run after its output directory was made
    (`--outputs DIR`, `--render-to DIR`: made first, so a bad path is said first): a run
    refused there (`--hosts nope`) took it away again when this run made it and it is still
    empty, instead of leaving an empty directory behind for a run that touched nothing."""
    # the directory and the parents it lacks, deepest first: `--render-to new/out` left `new`
    made: list[Path] = []
    missing = directory
    while missing is not None and not missing.exists() and missing != missing.parent:
        made.append(missing)
        missing = missing.parent
    try:
        yield
    except BaseException:
        for path in made:
            try:
                path.rmdir()  # (only an empty one)
            except OSError:
                break  # not empty (or not ours to remove): nor are its parents
        raise
