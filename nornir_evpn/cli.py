"""`python -m nornir_evpn` / `nornir-evpn`: argument parsing and exit codes, nothing else.

Each command lives in `nornir_evpn/commands/<name>.py` with `add_parser(subparsers)`;
the parser sets `func(args) -> int`. User errors become one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import gc
import importlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from nornir_evpn import __version__, home, run_context, run_log  # noqa: F401 - home: before nornir is imported
from nornir_evpn.commands.common import EXIT_INTERRUPTED, EXIT_USAGE
from nornir_evpn.errors import NornirEvpnError, ReportNotWrittenError, UserInputError
from nornir_evpn.signals import (  # noqa: F401
    Terminated,
    defer_start,
    end_start,
    ignore_all,
    signame_of,
    terminate,
)
from nornir_evpn.timestamps import mark_run_start

_terminate = terminate  # (and Terminated: importable from here, their 0.11 home)

# (module, command) in the order `--help` lists them.
COMMANDS = [
    ("inventory", "inventory"),
    ("twin", "twin"),
    ("configure", "configure"),
    ("rollback", "rollback"),
    ("verify", "verify"),
    ("failover", "failover-test"),
    ("demo", "demo"),
    ("topology_cmd", "topology"),
]

EPILOG = """examples:
  python -m nornir_evpn demo                       # twin + configure + verify + failover, one go
  python -m nornir_evpn inventory --topology inventory/evpn-mh01.clab.yml --out inventory/
  python -m nornir_evpn twin up                    # serve every SR Linux node on 127.0.0.1
  python -m nornir_evpn configure --twin --dry-run # show the diff, commit nothing
  python -m nornir_evpn twin traffic               # CEs ping each other: leaves learn their MACs
  python -m nornir_evpn verify --twin --json       # one JSON document on stdout
  python -m nornir_evpn rollback --twin            # back to before the last configure's commit
  python -m nornir_evpn failover-test --twin --host leaf1 --interface ethernet-1/1
exit codes: 0 ok, 1 a host or check failed, 2 bad input, 130 interrupted
(and 3 for configure --exit-code: a host changed or would change)
"""


class _UsageError(SystemExit):
    """argparse refused the command line (exit 2); `message` is its one line."""

    def __init__(self, message: str) -> None:
        super().__init__(EXIT_USAGE)
        self.message = message


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line (its default is usage + message, also 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise _UsageError(message)


def _options_of(parser: argparse.ArgumentParser, command: str | None) -> set[str]:
    """The option strings `command` takes (none for an unknown command)."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return set(action.choices[command]._option_string_actions)
    return set()


def _outputs_asked(argv: Sequence[str], options: set[str]) -> argparse.Namespace:
    """`--json` and `--junit FILE` read off a command line argparse refused (a bad option
    value), so the refusal still answers them; only when the command has them (`inventory
    --junit x` is refused as an unknown option, and writes no x)."""
    if "--json" not in options:
        argv = [w for w in argv if w != "--json"]
    if "--junit" not in options:
        argv = [w for w in argv if w != "--junit" and not w.startswith("--junit=")]
    json_asked, junit = False, None
    for i, word in enumerate(argv):
        if word == "--json":
            json_asked = True
        elif word == "--junit" and i + 1 < len(argv) and not argv[i + 1].startswith("-"):
            junit = argv[i + 1]  # `--junit --json`: argparse refused it; no file named --json
        elif word.startswith("--junit="):
            junit = word.split("=", 1)[1]
    return argparse.Namespace(json=json_asked, junit=junit)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole CLI, or with `only` one command (its module alone is imported: `verify` does
    not load the failover, twin and template machinery it never runs)."""
    parser = _Parser(
        prog="nornir-evpn",
        description="Operate Nokia SR Linux EVPN multi-homing fabrics with Nornir.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"nornir-evpn {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module, name in COMMANDS:
        if only is not None and name != only:
            continue
        importlib.import_module(f"nornir_evpn.commands.{module}").add_parser(sub)
    return parser


def _one_line(exc: Exception) -> str:
    """Errors echo user input: a newline in it must not start a second (forged) line."""
    return str(exc).replace("\r", "\\r").replace("\n", "\\n")


def _command_in(argv: Sequence[str]) -> str | None:
    """The command `argv` runs, when its first word names one (else the whole CLI is built:
    `--help`, `--version`, a typo)."""
    first = argv[0] if argv else None
    return first if first in {name for _, name in COMMANDS} else None


def _to_devnull(*streams: TextIO) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in streams:
        with contextlib.suppress(OSError, ValueError):  # a stream without a file descriptor
            os.dup2(devnull, stream.fileno())


def _report_refusal(args: argparse.Namespace, command: str | None, message: str,
                    interrupted: str | None = None) -> None:
    """A command that stopped before its report still answers `--json` and `--junit`: a CI
    job must not read the previous run's passing JUnit file, or an empty stdout, as a pass."""
    from nornir_evpn.reporting.common import JUnitCase, JUnitSuite, emit_json, write_junit

    # a report the run wrote before it stopped (a second Ctrl-C while configure's report went
    # out) stands: stdout holds one document, its JUnit file the run's own cases
    name = command or "nornir-evpn"
    if name == "twin" and getattr(args, "twin_action", None):  # `twin status --json`'s own name
        name = f"twin {args.twin_action}"
    junit = getattr(args, "junit", None)
    if junit and not run_context.reported("junit"):
        with contextlib.suppress(OSError, NornirEvpnError):  # the path may be what was refused
            write_junit(Path(junit), [JUnitSuite(name, [JUnitCase(f"nornir_evpn.{name}", "run", error=message)])])
    if getattr(args, "json", False) and not run_context.reported("json"):
        doc: dict[str, object] = {"command": name, "ok": False, "error": message, "hosts": {}}
        if interrupted:  # as in every report of an interrupted run: test it for truth
            doc["interrupted"] = interrupted
        emit_json(doc)


def _restore(previous: dict[signal.Signals, object]) -> None:
    for sig, handler in previous.items():
        signal.signal(sig, handler)  # type: ignore[arg-type]


def report_interrupted_start(argv: Sequence[str], signame: str, parser: argparse.ArgumentParser,
                             *, ignore: bool = True) -> None:
    """A signal while the CLI was starting (importing its modules): say so, and answer
    `--json`/`--junit` as a run interrupted before its report does (a cancelled CI job must
    not leave an old passing JUnit file, or an empty stdout). With `ignore` (the process's
    own entry point) further signals are ignored meanwhile: a second Ctrl-C would only lose
    the answer; a script calling `main` keeps its handlers."""
    if ignore:
        ignore_all()
    sys.stderr.write("nornir-evpn: interrupted\n")
    command = _command_in(argv)
    _report_refusal(_outputs_asked(argv, _options_of(parser, command)), command,
                    f"interrupted ({signame}) before the report", interrupted=signame)


_DISK_FULL = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})


def main(argv: Sequence[str] | None = None) -> int:
    mark_run_start()
    run_context.start_run()
    entry_point = argv is None  # `python -m nornir_evpn`, `nornir-evpn`; not a script's call
    argv = sys.argv[1:] if argv is None else list(argv)
    run_log.begin(argv)  # --log-file's `start:` line (written once the file is set up) and `end:`
    # a script's call leaves its loggers as it found them: the next call (or the script's own
    # InitNornir) sets up its own log file
    found = None if entry_point else run_log.loggers_as_found()
    code: int | None = None
    reason: list[str] = []
    try:
        code = _main(argv, entry_point, reason)
        return code
    finally:
        try:
            run_log.log_end(code, reason[0] if reason else None)
        finally:
            if found is not None:
                run_log.put_back_loggers(found)


def _main(argv: list[str], entry_point: bool, reason: list[str]) -> int:
    # started with stdout or stderr closed (`>&-`): Python leaves it None, and the report's
    # first write was an AttributeError traceback; what is written there goes nowhere
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - lives until exit
    # SIGTERM (kill, a CI job cancelled) and SIGHUP end a command like Ctrl-C: sessions closed,
    # --json/--junit answered; Python's default would end the process with neither. Commands
    # with more to undo (configure, failover-test) set their own handlers while they run.
    # While the command's modules import (0.2 s; the entry point defers from its first line),
    # a signal is only recorded, and answered once they are in
    defer_start()
    try:
        try:
            parser = build_parser(only=_command_in(argv))
            args = parser.parse_args(argv)
        finally:
            signame, previous = end_start()
    except _UsageError as exc:
        _restore(previous)
        command = _command_in(argv)
        _report_refusal(_outputs_asked(argv, _options_of(parser, command)), command,
                        _one_line(Exception(exc.message)))
        raise
    except BaseException:  # --help, --version; an import that failed
        _restore(previous)
        raise
    if signame is not None:
        _restore(previous)
        report_interrupted_start(argv, signame, parser, ignore=entry_point)
        return EXIT_INTERRUPTED
    if not getattr(args, "func", None):
        _restore(previous)
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    # what the imports loaded lives until exit: keep the cyclic GC from walking it again in
    # every full collection the command's parsing triggers. Only as the process's own entry
    # point: frozen objects are never collected, a calling script's garbage included
    if entry_point:
        gc.freeze()
    code = None
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # inside the try: a reader that left (`| head`) is handled below
        return code
    except BrokenPipeError:
        # the reader of stdout left (`twin status | head -1`): stop quietly, and keep the
        # interpreter's own flush at exit from printing a traceback
        _to_devnull(sys.stdout)
        return 1
    except OSError as exc:
        if exc.errno in _DISK_FULL:
            # stdout (or a report file) on a full disk, `> /dev/full`: one line, no traceback;
            # exit 1, as the report this run owed is lost
            _to_devnull(sys.stdout)
            with contextlib.suppress(OSError):
                sys.stderr.write(f"nornir-evpn: error: cannot write the output: {exc.strerror}\n")
            return 1
        if exc.errno == errno.ENAMETOOLONG:
            # a path given on the command line too long for the file system (a component over
            # 255 bytes): pathlib's is_dir()/exists() raise it where they say False for a path
            # that is not there, so the checks made before any device is touched let it through
            # as a traceback. Bad input, named in one line, as any other unusable path.
            message = f"{exc.filename}: {exc.strerror}"
            reason.append(message)
            sys.stderr.write(f"nornir-evpn: error: {message}\n")
            _report_refusal(args, _command_in(argv), message)
            return EXIT_USAGE
        if exc.errno != errno.EIO:
            raise
        # the terminal went away (SIGHUP: the operator's SSH session dropped) after the work
        # was done and any link restored; there is no one left to print the report to
        _to_devnull(sys.stdout, sys.stderr)
        return EXIT_INTERRUPTED
    except NornirEvpnError as exc:  # UserInputError (exit 2) is one
        message = _one_line(exc)
        reason.append(message)
        sys.stderr.write(f"nornir-evpn: error: {message}\n")
        if isinstance(exc, ReportNotWrittenError):
            return 1  # the run reported on stdout (--json) already; the file refused is the junit
        _report_refusal(args, _command_in(argv), message)
        return EXIT_USAGE if isinstance(exc, UserInputError) else 1
    except KeyboardInterrupt as exc:
        # a command that ends on an interrupt with its report (configure, failover-test after
        # its shut) never gets here: this one stopped before it, and says so on --json/--junit
        signame = signame_of(exc)
        code = EXIT_INTERRUPTED
        sys.stderr.write("nornir-evpn: interrupted\n")
        _report_refusal(args, _command_in(argv), f"interrupted ({signame}) before the report",
                        interrupted=signame)
        return code
    finally:
        if entry_point and code == EXIT_INTERRUPTED:
            # the run ended on an interrupt and reported it: a second Ctrl-C on the way out
            # would only turn exit 130 into a death by signal (or a traceback). Ignored before
            # anything else (restoring the handlers first left a moment for one to raise)
            ignore_all()
        else:
            _restore(previous)
