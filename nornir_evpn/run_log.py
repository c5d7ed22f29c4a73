"""The --log-file as a log pipeline (Loki, ELK, Splunk) reads it: one event per line, times
in UTC, each line carrying the run's id, and a `start:` and an `end:` line per command.

Nornir writes the file (its handler on the `nornir` logger, its format or
$NORNIR_LOGGING_FORMAT); this module only changes how a record becomes a line:
- the time is `2026-11-28T05:22:58.276Z`, UTC as `--json`'s `started_at` (Nornir's is the
  local time without its zone: a cron job under `TZ=America/New_York` logged 00:25 for
  the document's 05:25Z);
- a newline in a record (a traceback, a message quoting a device) is written `\\n`: a
  multi-line record was split into several events, the first alone naming its level;
- `%(run_id)s` is the run's id (timestamps.run_id), also `run_id` in --json.
"""

from __future__ import annotations

import logging
import os
import shlex
import sys
import time
from collections.abc import Sequence

from nornir_evpn.timestamps import iso_utc, run_id

# Nornir's default format, the time field followed by the run's id (the ` - ` separated
# fields stay where they were)
LOG_FORMAT = "%(asctime)s run=%(run_id)s - %(name)12s - %(levelname)8s - %(funcName)10s() - %(message)s"

log = logging.getLogger("nornir.nornir_evpn.run")

# what the exit codes mean (cli's EPILOG)
_MEANING = {0: "ok", 1: "a host or check failed", 2: "bad input", 3: "a host changed or would change",
            130: "interrupted"}

_RUN: dict[str, object] = {}  # argv, started (monotonic), logged (the start line was written)


# Nornir's line per `nr.run`: its args are the task's keyword arguments as Python reprs (an
# intent, check objects at their memory addresses): 1 KB at every poll of a failover-test
NORNIR_RUNNING = "Running task %r with args %s on %d hosts"


class UtcFormatter(logging.Formatter):
    """`%(asctime)s` as `2026-11-28T05:22:58.276Z`: UTC, as --json's times (the CLI's log
    file, and the twin's log)."""

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return iso_utc(record.created)


class LogFormatter(UtcFormatter):
    """UTC ISO-8601 times, one line per record, `run_id` given to every record. Below DEBUG
    (`full_args` False) Nornir's `Running task` line leaves out the task's arguments."""

    def __init__(self, fmt: str | None = None, full_args: bool = True) -> None:
        super().__init__(fmt)
        self.full_args = full_args

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "run_id"):
            record.run_id = run_id()
        if (not self.full_args and record.msg == NORNIR_RUNNING and isinstance(record.args, tuple)
                and len(record.args) == 3):
            record = logging.makeLogRecord({**record.__dict__, "msg": "Running task %r on %d hosts",
                                            "args": (record.args[0], record.args[2])})
        text = super().format(record)
        if "\n" in text or "\r" in text:
            text = text.replace("\r", "\\r").replace("\n", "\\n")
        return text


def log_format() -> str:
    """The format Nornir is to use: $NORNIR_LOGGING_FORMAT if set (Nornir reads it), else ours."""
    return os.environ.get("NORNIR_LOGGING_FORMAT") or LOG_FORMAT


def _utf8(handler: logging.FileHandler) -> None:
    """Write the file in UTF-8 whatever the locale. Nornir opens it in the locale's encoding:
    under `LANG=fr_FR.ISO-8859-1` (or `LC_ALL=C PYTHONUTF8=0`, ASCII) the first line holding
    a character it cannot encode (a template's `description "... → ..."` at -vv, a project
    path with an `é` in the start line) stopped the log for the rest of the run, and what it
    could encode went in as latin-1 bytes amid other runs' UTF-8. A character UTF-8 cannot
    hold either (a path's undecodable bytes, as Python escapes them) is written `\\udcc3`."""
    if (handler.encoding or "").lower().replace("_", "-") in ("utf-8", "utf8") and handler.errors not in (None, "strict"):
        return
    handler.acquire()
    try:
        handler.encoding, handler.errors = "utf-8", "backslashreplace"  # also what a rollover opens
        if handler.stream is not None:  # opened by Nornir in the locale's encoding: again, appending
            handler.stream.close()
            handler.stream = open(handler.baseFilename, "a", encoding="utf-8", errors="backslashreplace")  # noqa: SIM115
    finally:
        handler.release()


def own_the_log_file() -> None:
    """Give every file handler of the `nornir` logger our formatter, keeping its format; the
    tasks' arguments in Nornir's `Running task` lines only at DEBUG (-vv). The file is UTF-8."""
    logger = logging.getLogger("nornir")
    full_args = logger.getEffectiveLevel() <= logging.DEBUG
    for handler in logger.handlers:
        if isinstance(handler, logging.FileHandler):
            _utf8(handler)
            formatter = handler.formatter
            if isinstance(formatter, LogFormatter):  # set up by an earlier run of this process
                formatter.full_args = full_args
                continue
            fmt = formatter._fmt if formatter is not None else None
            handler.setFormatter(LogFormatter(fmt or LOG_FORMAT, full_args=full_args))


# the loggers a run sets up: Nornir's (InitNornir's log file, level and propagate) and the
# libraries `quiet_library_logs` gives a NullHandler
RUN_LOGGERS = ("nornir", "scrapli", "asyncssh", "paramiko")

LoggersFound = list[tuple[logging.Logger, list[logging.Handler], int, bool]]


def loggers_as_found() -> LoggersFound:
    """The run's loggers as they are before it sets them up, for `put_back_loggers`."""
    return [(logger, list(logger.handlers), logger.level, logger.propagate)
            for logger in map(logging.getLogger, RUN_LOGGERS)]


def put_back_loggers(found: LoggersFound) -> None:
    """Remove (and close) the handlers the run added, and give its loggers back their level and
    propagation. `main([...])` called again in one process (a notebook, a service): InitNornir
    adds its log file only to a `nornir` logger without a handler, so the first run's
    NullHandler, or its --log-file, kept every later run's --log-file (and a runbook's own
    `InitNornir` logging) from being written at all, or wrote it to the first run's file."""
    for logger, handlers, level, propagate in found:
        for handler in list(logger.handlers):
            if handler not in handlers:
                logger.removeHandler(handler)
                handler.close()
        logger.setLevel(level)
        logger.propagate = propagate


def begin(argv: Sequence[str]) -> None:
    """Note the command line of the run the CLI starts (its `start:` line says it)."""
    _RUN.clear()
    _RUN.update(argv=list(argv), started=time.monotonic(), logged=False)


def log_start() -> None:
    """`start: nornir-evpn verify --twin ... (nornir_evpn 0.16.0, pid 1234)`, once per run,
    when the log file is set up (a demo's steps set it up more than once)."""
    if _RUN.get("logged") or "argv" not in _RUN:
        return
    from nornir_evpn import __version__

    _RUN["logged"] = True
    argv = _RUN["argv"]
    assert isinstance(argv, list)
    log.info("start: nornir-evpn %s (nornir_evpn %s, pid %d)", shlex.join(argv), __version__, os.getpid())


def log_end(code: int | None, reason: str | None = None) -> None:
    """`end: verify exit 1 (a host or check failed) in 0.42s`: INFO when 0 or 3 (configure
    --exit-code's "changed"), WARNING when interrupted, ERROR otherwise; nothing when the run
    logged no start (no log file)."""
    if not _RUN.pop("logged", False):
        return
    argv = _RUN.get("argv") or []
    assert isinstance(argv, list)
    command = " ".join(argv[:2] if argv[:1] == ["twin"] else argv[:1]) or "nornir-evpn"
    started = _RUN.get("started")
    took = f" in {time.monotonic() - started:.2f}s" if isinstance(started, float) else ""
    if code is None:
        exc = sys.exc_info()[1]
        what = f"crashed ({type(exc).__name__})" if exc is not None else "crashed"
        log.error("end: %s %s%s", command, what, took)
        return
    level = logging.INFO if code in (0, 3) else logging.WARNING if code == 130 else logging.ERROR
    meaning = _MEANING.get(code, "failed")
    log.log(level, "end: %s exit %d (%s%s)%s", command, code, meaning, f": {reason}" if reason else "", took)
