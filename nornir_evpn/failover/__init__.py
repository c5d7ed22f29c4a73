"""Failover test orchestration: pre-check, probe, shut, converge, restore (always), recover.

The fabric's expected state comes from the verify engine, given the intent and a *fault
set* (the shut link): `Evaluator(faults)` answers, for every (check, host), whether the
device currently shows what the intent predicts under those faults. Healthy is the empty
fault set. Nothing here prints; `reporting/failover.py` renders a `FailoverReport`.

Safety: a state file is written *before* the shut is sent, and the restore runs in a
`finally` with SIGINT/SIGTERM deferred, so neither Ctrl-C, `kill`, nor a failing step can
leave the link down; a SIGKILL leaves the state file (`failover_state.py`) for `failover-test --restore`.
A shut that commits nothing (the interface was already disabled) is never "restored": the
run fails, measures nothing and leaves the interface as it found it.

| module        | its one job                                                              |
|---------------|--------------------------------------------------------------------------|
| `model`       | options, fault sets, an expectation's outcome, timeline, report          |
| `segment`     | the ethernet segment, links and CEs a test touches                       |
| `evaluator`   | the verify checks as an `Evaluator` (one read of every host per call)     |
| `poller`      | polls bounded by the phase's deadline, in a helper thread                |
| `interrupts`  | SIGTERM raising while watching, signals deferred while restoring         |
| `restore`     | one step on one host; the restore and its retries; `--restore`           |
| `run`         | `run_failover`: the phases in order                                      |
"""

from __future__ import annotations

from nornir.core import Nornir
from nornir.plugins.runners import SerialRunner

from nornir_evpn.errors import UserInputError
from nornir_evpn.failover.evaluator import default_checks, verify_evaluator
from nornir_evpn.failover.interrupts import Terminated, signals_deferred, sigterm_raises
from nornir_evpn.failover.model import (
    NO_FAULTS,
    NOT_JUDGED_WITHOUT_TRAFFIC,
    RELEARNT_FROM_TRAFFIC,
    TRAFFIC_DEPENDENT,
    CheckOutcome,
    Evaluator,
    FailoverOptions,
    FailoverReport,
    Faults,
    Port,
    TimelineEvent,
    relearnt_from_traffic,
)
from nornir_evpn.failover.poller import POLL_GRACE_S, POLL_OVERRUN, Poller
from nornir_evpn.failover.restore import (
    RESTORE_ATTEMPTS,
    RESTORE_RETRY_DELAY_S,
    RESTORE_RETRY_MAX_S,
    Step,
    refused_for_good,
    restore_after_shut,
    restore_from_state,
    run_on,
)
from nornir_evpn.failover.run import (
    SLOW_READ_MIN_S,
    SLOW_READ_SHARE,
    UNREACHABLE_MAX_S,
    UNREACHABLE_POLLS,
    WARM_UP_TIMEOUT_S,
    run_failover,
)
from nornir_evpn.failover.segment import (
    ce_of_ip,
    ces_failing_before,
    links_left,
    other_ce_ips,
    probe_targets,
    segment_for,
    warm_up_traffic,
)

# what the 0.10 module imported and a runbook could take from it (its signatures' types)
from nornir_evpn.failover_state import (
    PHASE_SHUT,
    STATE_KIND,
    remove_state,
    state_file_path,
    write_state,
)
from nornir_evpn.failures import task_error
from nornir_evpn.intent import EthernetSegment, FabricIntent, natural_key
from nornir_evpn.internal import internal_error
from nornir_evpn.polling import CheckKey, PollOutcome, wait_for_state
from nornir_evpn.runner import CUT_AGAIN_S
from nornir_evpn.session import cut_short
from nornir_evpn.signals import ALL_SIGNALS, TERMINATION_SIGNALS, handled
from nornir_evpn.tasks.cli_lines import CONNECTION
from nornir_evpn.tasks.failover import CONNECT_CHECK, restore_interface, shut_interface
from nornir_evpn.traffic import TrafficProbe, TrafficStats

__all__ = [
    "ALL_SIGNALS",
    "CONNECTION",
    "CONNECT_CHECK",
    "CUT_AGAIN_S",
    "NOT_JUDGED_WITHOUT_TRAFFIC",
    "NO_FAULTS",
    "PHASE_SHUT",
    "POLL_GRACE_S",
    "POLL_OVERRUN",
    "RELEARNT_FROM_TRAFFIC",
    "RESTORE_ATTEMPTS",
    "RESTORE_RETRY_DELAY_S",
    "RESTORE_RETRY_MAX_S",
    "SLOW_READ_MIN_S",
    "SLOW_READ_SHARE",
    "STATE_KIND",
    "TERMINATION_SIGNALS",
    "TRAFFIC_DEPENDENT",
    "UNREACHABLE_MAX_S",
    "UNREACHABLE_POLLS",
    "WARM_UP_TIMEOUT_S",
    "CheckKey",
    "CheckOutcome",
    "EthernetSegment",
    "Evaluator",
    "FabricIntent",
    "FailoverOptions",
    "FailoverReport",
    "Faults",
    "Nornir",
    "PollOutcome",
    "Poller",
    "Port",
    "SerialRunner",
    "Step",
    "Terminated",
    "TimelineEvent",
    "TrafficProbe",
    "TrafficStats",
    "UserInputError",
    "ce_of_ip",
    "ces_failing_before",
    "cut_short",
    "default_checks",
    "handled",
    "internal_error",
    "links_left",
    "natural_key",
    "other_ce_ips",
    "probe_targets",
    "refused_for_good",
    "relearnt_from_traffic",
    "remove_state",
    "restore_after_shut",
    "restore_from_state",
    "restore_interface",
    "run_failover",
    "run_on",
    "segment_for",
    "shut_interface",
    "signals_deferred",
    "sigterm_raises",
    "state_file_path",
    "task_error",
    "verify_evaluator",
    "wait_for_state",
    "warm_up_traffic",
    "write_state",
]
