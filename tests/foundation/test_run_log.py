"""--log-file as a log pipeline reads it (an SRE's review): one event per line, UTC times,
the run's id on every line, a `start:` and an `end:` line, Nornir's per-run line short."""
from __future__ import annotations

import json
import logging
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nornir_evpn import run_log
from nornir_evpn.cli import main
from nornir_evpn.timestamps import mark_run_start, run_id

LINE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z run=[0-9a-f]{12} - ")


def _record(msg: str, *args: object, level: int = logging.INFO, name: str = "nornir.nornir_evpn.tasks",
            exc_info: object = None) -> logging.LogRecord:
    return logging.getLogger(name).makeRecord(name, level, __file__, 1, msg, args, exc_info)  # type: ignore[arg-type]


def test_a_line_is_utc_whatever_the_local_zone(monkeypatch) -> None:
    """Nornir wrote the local time without its zone: under TZ=America/New_York a run at
    05:25Z logged `00:25:07,749`, its --json `started_at` `05:25:07.612Z`."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        record = _record("leaf1: x")
        record.created = 1795760000.25  # 2026-11-27T06:13:20.250Z
        record.msecs = 250.0
        line = run_log.LogFormatter(run_log.LOG_FORMAT).format(record)
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert line.startswith(f"2026-11-27T06:13:20.250Z run={run_id()} - ")


def test_a_record_of_several_lines_is_one_line() -> None:
    """A traceback (an internal error, Nornir's `task failed with traceback`) or a message
    quoting a device split into several lines: events without time or level in a pipeline."""
    fmt = run_log.LogFormatter(run_log.LOG_FORMAT)
    try:
        raise KeyError("x")
    except KeyError:
        record = _record("leaf1: internal error:\n%s", "Traceback ...\r\n  File x", exc_info=sys.exc_info(),
                         level=logging.ERROR)
    line = fmt.format(record)
    assert "\n" not in line and "\r" not in line
    assert LINE.match(line) and "internal error:\\nTraceback ...\\r\\n  File x\\nTraceback" in line
    assert line.endswith("KeyError: 'x'")


def test_nornir_s_run_line_leaves_the_task_arguments_out_below_debug() -> None:
    """`Running task 'collect_and_check' with args {'view': <...FabricView object at 0x7f..>,
    'checks': [...]}`: 1 KB of reprs at every poll of a failover-test (22 of 24 KB of its INFO
    log); -vv keeps them."""
    record = _record(run_log.NORNIR_RUNNING, "collect_and_check", {"view": object()}, 10, name="nornir.core")
    short = run_log.LogFormatter(run_log.LOG_FORMAT, full_args=False).format(record)
    assert short.endswith(" - Running task 'collect_and_check' on 10 hosts")
    full = run_log.LogFormatter(run_log.LOG_FORMAT).format(record)
    assert "with args {'view': <object object at 0x" in full


@pytest.fixture
def nornir_file_log(tmp_path: Path) -> Iterator[Path]:
    """A log file on the `nornir` logger, as InitNornir leaves it (its own formatter)."""
    logger = logging.getLogger("nornir")
    handler = logging.FileHandler(tmp_path / "run.log")
    handler.setFormatter(logging.Formatter("%(asctime)s - %(levelname)s - %(message)s"))
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    # Not up to pytest's own log capture: a record holding a lone surrogate (an undecodable
    # path, as Python escapes it) cannot cross pytest-xdist's channel to the controller (UTF-8
    # strict), which took the worker down with an INTERNALERROR. The handler under test
    # still gets every record.
    logger.propagate = False
    try:
        yield tmp_path / "run.log"
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
        handler.close()


def test_a_run_logs_its_start_and_its_end_with_the_verdict(nornir_file_log: Path) -> None:
    """A pipeline could not tell a run's command, outcome or exit code from the log (no
    line said either), nor two runs appending to one file apart."""
    mark_run_start()
    run_log.begin(["verify", "--twin", "--log-file", "x y.log"])
    run_log.own_the_log_file()  # keeps the handler's format, with our times
    run_log.log_start()
    run_log.log_start()  # a demo's steps set the log up again: one start line
    logging.getLogger("nornir.nornir_evpn.tasks").warning("leaf2: verify: timeout")
    run_log.log_end(1)
    run_log.log_end(0)  # once
    lines = nornir_file_log.read_text().splitlines()
    assert len(lines) == 3, lines
    assert all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z - ", line) for line in lines)
    assert re.search(r"- INFO - start: nornir-evpn verify --twin --log-file 'x y.log' \(nornir_evpn \S+, pid \d+\)$",
                     lines[0])
    assert re.search(r"- ERROR - end: verify exit 1 \(a host or check failed\) in \d+\.\d\ds$", lines[2])


@pytest.mark.parametrize(("code", "reason", "level", "says"), [
    (0, None, "INFO", "end: twin status exit 0 (ok)"),
    (130, None, "WARNING", "end: twin status exit 130 (interrupted)"),
    (3, None, "INFO", "end: twin status exit 3 (a host changed or would change)"),  # configure --exit-code
    (2, "--hosts: unknown host 'leaf9'", "ERROR", "end: twin status exit 2 (bad input: --hosts: unknown host 'leaf9')"),
])
def test_the_end_line_s_level_follows_the_exit_code(nornir_file_log, code, reason, level, says) -> None:
    run_log.begin(["twin", "status", "--json"])
    run_log.own_the_log_file()
    run_log.log_start()
    run_log.log_end(code, reason)
    last = nornir_file_log.read_text().splitlines()[-1]
    assert f"- {level} - {says} in " in last


def test_a_crash_s_end_line_names_the_exception(nornir_file_log) -> None:
    run_log.begin(["verify"])
    run_log.own_the_log_file()
    run_log.log_start()
    try:
        raise KeyError("x")
    except KeyError:
        run_log.log_end(None)
    assert re.search(r"- ERROR - end: verify crashed \(KeyError\) in \d+\.\d\ds$",
                     nornir_file_log.read_text().splitlines()[-1])


def test_the_task_arguments_are_logged_from_debug_on_and_a_second_run_follows_its_own_level(
        nornir_file_log) -> None:
    """-vv (DEBUG) keeps the arguments of Nornir's `Running task` line; a second run in the
    same process (a demo's steps) sets the formatter it left to its own level."""
    logger = logging.getLogger("nornir")
    [handler] = [h for h in logger.handlers if isinstance(h, logging.FileHandler)]
    run_log.own_the_log_file()  # at INFO
    assert isinstance(handler.formatter, run_log.LogFormatter) and handler.formatter.full_args is False
    logger.setLevel(logging.DEBUG)
    run_log.own_the_log_file()
    assert handler.formatter.full_args is True


def test_a_record_keeps_a_run_id_of_its_own_and_nornir_s_format_variable_is_honoured(monkeypatch) -> None:
    record = _record("leaf1: x")
    record.run_id = "0123456789ab"  # `extra={"run_id": ...}`: a runbook's own runs
    assert " run=0123456789ab - " in run_log.LogFormatter(run_log.LOG_FORMAT).format(record)
    monkeypatch.setenv("NORNIR_LOGGING_FORMAT", "%(levelname)s %(message)s")
    assert run_log.log_format() == "%(levelname)s %(message)s"
    monkeypatch.setenv("NORNIR_LOGGING_FORMAT", "")
    assert run_log.log_format() == run_log.LOG_FORMAT


def test_no_end_line_without_a_log(capsys) -> None:
    """A command that set up no log file (`inventory`, a refused `verify`) writes no end line:
    with no handler on `nornir`, logging's last resort would print it on stderr."""
    assert main(["verify", "--twin", "--twin-state", "/nonexistent/twin.json"]) == 2
    assert "end:" not in capsys.readouterr().err


def test_the_json_document_names_the_run(capsys) -> None:
    """`run_id` in every --json document, as on each line of the run's log."""
    assert main(["verify", "--json", "--twin", "--twin-state", "/nonexistent/twin.json"]) == 2
    doc = json.loads(capsys.readouterr().out)
    assert re.fullmatch(r"[0-9a-f]{12}", doc["run_id"]) and doc["run_id"] == run_id()


def test_failover_test_logs_its_phases_at_info_and_each_checks_event_at_debug(caplog) -> None:
    """The log said when a failover-test started and ended, not when the fabric converged or
    recovered (observability tester); a check's own event (ten a host) is -vv's."""
    import logging

    from nornir_evpn.failover.model import TimelineEvent
    from nornir_evpn.reporting.failover import log_event

    with caplog.at_level(logging.DEBUG, logger="nornir.nornir_evpn.failover"):
        log_event(TimelineEvent(t=0.0, event="shut", host="leaf1", detail="ethernet-1/1 admin-state disable"))
        log_event(TimelineEvent(t=1.25, event="degraded", host="leaf2", check="es.df"))
        log_event(TimelineEvent(t=1.3, event="converged", detail="degraded state reached"))
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "failover-test t=0.000 shut leaf1: ethernet-1/1 admin-state disable"),
        ("DEBUG", "failover-test t=1.250 degraded leaf2 es.df"),
        ("INFO", "failover-test t=1.300 converged: degraded state reached"),
    ]


def test_the_log_file_is_utf8_whatever_the_locale(tmp_path: Path) -> None:
    """Nornir opens the file in the locale's encoding: under `LANG=fr_FR.ISO-8859-1` a -vv
    line typing a template's `description "... → ..."` (or, under `LC_ALL=C PYTHONUTF8=0`,
    a project path with an `é` in the start line) stopped the log for the rest of the run
    (`note: --log-file ...: cannot write: 'latin-1' codec can't encode ...; logging stopped`),
    and what it could encode went in as latin-1 amid other runs' UTF-8."""
    path = tmp_path / "run.log"
    path.write_bytes("2026-11-28T05:00:00.000Z an earlier run's line, café\n".encode())
    handler = logging.FileHandler(path, encoding="latin-1")  # what Nornir opens in that locale
    assert not _own(handler, 'leaf1: > set / interface ethernet-1/49 description "Lien → spine1, café"',
                    "start: nornir-evpn verify --inventory '/tmp/R\udcc3\udca9seau'")
    lines = path.read_bytes().decode("utf-8").splitlines()
    assert len(lines) == 3, lines
    assert lines[0].endswith("line, café")  # appended to, not truncated
    assert lines[1].endswith('description "Lien → spine1, café"')
    assert lines[2].endswith("--inventory '/tmp/R\\udcc3\\udca9seau'")


def _own(handler: logging.FileHandler, *messages: str) -> list[logging.LogRecord]:
    """Log `messages` through `handler` on the `nornir` logger after own_the_log_file; the
    records the handler failed on."""
    logger = logging.getLogger("nornir")
    failed: list[logging.LogRecord] = []
    handler.handleError = failed.append  # type: ignore[method-assign]
    level, propagate = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    # Not up to pytest's own log capture: a record holding a lone surrogate (an undecodable
    # path, as Python escapes it) cannot cross pytest-xdist's channel to the controller (UTF-8
    # strict), which took the worker down with an INTERNALERROR. The handler under test
    # still gets every record.
    logger.propagate = False
    try:
        run_log.own_the_log_file()
        for message in messages:
            logging.getLogger("nornir.nornir_evpn.run").info(message)
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = propagate
        handler.close()
    return failed


def test_a_utf8_log_file_opened_strict_writes_an_undecodable_path_escaped(tmp_path: Path) -> None:
    """Under a UTF-8 locale Nornir's file is UTF-8 but strict: a path's undecodable bytes
    (as Python escapes them) in the start line stopped the log as latin-1 did."""
    path = tmp_path / "run.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    assert _own(handler, "start: nornir-evpn verify --inventory '/tmp/R\udce9seau'", "café →") == []
    assert handler.errors == "backslashreplace"
    lines = path.read_bytes().decode("utf-8").splitlines()
    assert [line.split(" - ")[-1] for line in lines] == ["start: nornir-evpn verify --inventory '/tmp/R\\udce9seau'",
                                                         "café →"]


def test_a_log_file_not_opened_yet_opens_in_utf8(tmp_path: Path) -> None:
    """A handler that opens its file at its first line (delay=True, a rollover's new file)
    opens it in UTF-8 too, not in the locale's encoding."""
    path = tmp_path / "run.log"
    handler = logging.FileHandler(path, encoding="latin-1", delay=True)
    assert _own(handler, 'description "Lien → spine1, café"') == []
    assert (handler.encoding, handler.errors) == ("utf-8", "backslashreplace")
    assert path.read_bytes().decode("utf-8").splitlines()[0].endswith('description "Lien → spine1, café"')


def test_the_stream_opened_in_the_locale_s_encoding_is_closed_when_reopened(tmp_path: Path) -> None:
    handler = logging.FileHandler(tmp_path / "run.log", encoding="latin-1")
    first = handler.stream
    assert _own(handler, "x") == []
    assert first.closed
