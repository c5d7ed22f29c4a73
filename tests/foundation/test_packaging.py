"""The wheel holds every package: pyproject lists them one by one (the repo maps `tasks/`,
`templates/` and `inventory/` into `nornir_evpn`), and an editable install, which CI and the
README use, finds a package the list forgets; `pip install nornir-evpn` would not."""

from __future__ import annotations

from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_directory_is_listed_for_the_wheel() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(setuptools["packages"])
    mapped = setuptools["package-dir"]  # package -> directory
    on_disk = set()
    for package, directory in mapped.items():
        base = ROOT / directory
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base).parts
            if "__pycache__" not in rel:
                on_disk.add(".".join((package, *rel)))
    assert on_disk - listed == set(), "packages missing from [tool.setuptools] packages"
    assert listed - on_disk == set(), "listed packages with no __init__.py"


def test_what_a_0_10_runbook_took_from_nornir_evpn_failover_is_still_there() -> None:
    """0.11 made the module a package; its names, and the types its signatures use that it
    imported (CheckKey, PollOutcome, ...), are still importable from it (refactor review)."""
    import nornir_evpn.failover as failover

    names_0_10 = ["NO_FAULTS", "NOT_JUDGED_WITHOUT_TRAFFIC", "RELEARNT_FROM_TRAFFIC",
                  "TRAFFIC_DEPENDENT", "WARM_UP_TIMEOUT_S", "RESTORE_ATTEMPTS",
                  "RESTORE_RETRY_DELAY_S", "RESTORE_RETRY_MAX_S", "POLL_OVERRUN", "POLL_GRACE_S",
                  "SLOW_READ_SHARE", "SLOW_READ_MIN_S", "UNREACHABLE_POLLS", "UNREACHABLE_MAX_S",
                  "CheckOutcome", "Evaluator", "FailoverOptions", "FailoverReport", "Faults", "Port",
                  "Step", "Terminated", "TimelineEvent", "ce_of_ip", "ces_failing_before",
                  "default_checks", "links_left", "other_ce_ips", "probe_targets", "refused_for_good",
                  "relearnt_from_traffic", "restore_from_state", "run_failover", "segment_for",
                  "signals_deferred", "sigterm_raises", "verify_evaluator", "warm_up_traffic",
                  "CheckKey", "PollOutcome", "TrafficProbe", "TrafficStats", "wait_for_state",
                  "write_state", "remove_state", "state_file_path", "STATE_KIND", "PHASE_SHUT",
                  "CONNECT_CHECK"]
    # and the project's names it imported (reviewer: `from nornir_evpn.failover import shut_interface`)
    names_0_10 += ["ALL_SIGNALS", "CONNECTION", "CUT_AGAIN_S", "TERMINATION_SIGNALS", "EthernetSegment",
                   "FabricIntent", "Nornir", "SerialRunner", "UserInputError", "cut_short", "handled",
                   "internal_error", "natural_key", "restore_interface", "shut_interface", "task_error"]
    assert [n for n in names_0_10 if not hasattr(failover, n)] == []


def test_one_version_in_pyproject_the_package_and_the_changelog() -> None:
    """A release bumps three places by hand: 0.14's pyproject said 0.14.0 while `--version`
    (and the twin's state, which names the version that started it) still said 0.13.0. The
    newest `## From A to B` section of CHANGELOG.md opens with `Version <version>.` (an
    `## Unreleased` section above it is what the next release will say)."""
    import re

    from nornir_evpn import __version__

    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    released = re.findall(r"^## From \S+ to (\S+)\n\nVersion (\S+)\.", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert __version__ == version
    assert released and released[0] == (".".join(version.split(".")[:2]), version), released[:1]


def test_no_docstring_holds_a_lone_surrogate() -> None:
    """Python 3.13 dedents docstrings as it compiles them, through UTF-8: a docstring holding
    a lone surrogate (`\\ud800` typed with one backslash) made the module fail to import
    there (UnicodeEncodeError), while 3.11, the suite's, took it."""
    import ast

    found = []
    for path in sorted([*(ROOT / "nornir_evpn").rglob("*.py"), *(ROOT / "tasks").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                doc = ast.get_docstring(node, clean=False) or ""
                if any(0xD800 <= ord(c) <= 0xDFFF for c in doc):
                    found.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 1)}")
    assert found == []
