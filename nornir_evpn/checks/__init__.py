"""Check catalog: named, pure evaluations of parsed `show` output against the fabric intent.

Public API (used by verify and failover-test)::

    from nornir_evpn.checks import CHECK_NAMES, commands_for, evaluate, evaluate_host, expected_state
"""

from nornir_evpn.checks.catalog import (
    CATALOG,
    CHECK_NAMES,
    Evaluation,
    applicable,
    commands_for,
    evaluate,
    evaluate_host,
    expected_state,
    resolve_checks,
)
from nornir_evpn.checks.model import CheckResult, CommandFailure, FabricView, Fault

__all__ = [
    "CATALOG", "CHECK_NAMES", "CheckResult", "CommandFailure", "Evaluation", "FabricView", "Fault",
    "applicable", "commands_for", "evaluate", "evaluate_host", "expected_state", "resolve_checks",
]
