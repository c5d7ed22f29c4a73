"""Failover building blocks as embeddable Nornir tasks and helpers.

* `shut_interface` / `restore_interface`: one interface's admin state through a *private*
  candidate and `commit now` (other operators' candidates stay untouched).
* `wait_for_state` (`nornir_evpn.polling`) and `TrafficProbe` (`nornir_evpn.traffic`),
  kept importable from here.

Nothing here prints; the orchestration lives in `nornir_evpn.failover`.
"""

from __future__ import annotations

from typing import Any

from nornir.core.task import Result, Task
from nornir_evpn.tasks.cli_lines import (
    CONNECTION,
    SPARE_CONNECTION,
    drop_connection,
    log_failure,
)
from nornir_evpn.tasks.config import apply_config

from nornir_evpn import platform
from nornir_evpn.errors import DeviceError
from nornir_evpn.failures import host_error, not_authorized
from nornir_evpn.polling import CONNECT_CHECK, CheckKey, PollOutcome, wait_for_state
from nornir_evpn.traffic import (
    PingRunner,
    TrafficProbe,
    TrafficStats,
    docker_ping_runner,
    parse_ping,
    ssh_ping_runner,
)

__all__ = [
    "CheckKey",
    "PingRunner",
    "PollOutcome",
    "TrafficProbe",
    "TrafficStats",
    "docker_ping_runner",
    "parse_ping",
    "restore_interface",
    "set_admin_state",
    "shut_interface",
    "ssh_ping_runner",
    "wait_for_state",
]


# --------------------------------------------------------------------------- admin state


def set_admin_state(task: Task, interface: str, enabled: bool, fresh_connection: bool = False,
                    spare_connection: bool = False, as_default: bool = False,
                    dry_run: bool | None = None) -> Result:
    """Set `interface` admin-state through `apply_config` (private candidate, commit now).

    `as_default` (with `enabled`): delete the leaf instead, which enables the interface as
    its default does, for an interface whose configuration set no admin-state before.
    `dry_run` (as `apply_config`'s): nothing is committed; `was` still says what the running
    configuration holds (`failover-test --restore` reads it before it deletes anything).

    `fresh_connection` drops a cached session first: after an interrupted command the old
    channel may still hold half an answer, and a restore must not trip over it.
    `spare_connection` uses a second session, opened for this and closed after: for a
    restore while a poll still reads the host's session (which must not be closed under it).
    result = {"interface", "admin_state", "committed", "diff", "error", "reached", "refused",
    "was"}; reached is False when the host could not be reached at all (nothing can have been
    applied); refused is True when the device refused a line before the commit was sent (the
    user's role may not write the interface, a candidate it cannot enter): nothing was applied
    either; was is the running admin-state the commit replaced (`enable`), None when the
    configuration had none (the default applied) or nothing changed.
    """
    state = "enable" if enabled else "disable"
    if not platform.INTERFACE_NAME_RE.match(interface):
        # a typo the device would refuse (`Ethernet1/1`, `eth1`): said here, nothing sent
        error = f"{interface!r} is not an SR Linux interface name (ethernet-N/M, lagN, ...)"
        return Result(host=task.host, failed=True, changed=False, result={
            "interface": interface, "admin_state": state, "committed": False, "diff": "",
            "error": error, "reached": False, "refused": False, "was": None})
    connection = SPARE_CONNECTION if spare_connection else CONNECTION
    if fresh_connection or spare_connection:
        drop_connection(task.host, connection)  # a broken session is exactly why we reconnect
    try:
        line = (platform.delete_interface_admin_state(interface) if enabled and as_default
                else platform.set_interface_admin_state(interface, enabled))
        applied = apply_config(task, [line], mode="commit", connection=connection, dry_run=dry_run)
    finally:
        if spare_connection:
            drop_connection(task.host, connection)
    out = applied.result or {}
    error = out.get("error") or out.get("device_error")
    leaf = f"interface {interface} admin-state"
    was = next((r.get("old") for r in out.get("replaced") or () if r.get("path") == leaf), None)
    # the device's answer to a line of the load, before any commit went out (a refused commit
    # is answered too, but is left to the restore, which costs nothing when it did not apply)
    refused = bool(out.get("device_error")) and not out.get("commit_unknown") and \
        not str(out["device_error"]).startswith(platform.COMMIT_NOW)
    if refused and error is not None:
        error = not_authorized(error, f"{'restoring' if enabled else 'shutting'} a link needs write access "
                                      f"to / interface {interface} admin-state; nothing was changed")
    result = {"interface": interface, "admin_state": state, "committed": bool(out.get("committed")),
              "diff": out.get("diff", ""), "error": error,
              "reached": bool(out.get("reached")), "refused": refused, "was": was}
    if applied.failed:
        # apply_config ran as a plain call, in this task: it logged the failure already
        return Result(host=task.host, failed=True, changed=False, result=result,
                      exception=DeviceError(f"{task.host.name}: {interface} admin-state {state} "
                                            f"not committed: {error}"))
    return Result(host=task.host, changed=bool(out.get("changed")), diff=out.get("diff", ""),
                  result=result)


def shut_interface(task: Task, interface: str) -> Result:
    """`admin-state disable` on one interface, committed from a private candidate."""
    return set_admin_state(task, interface, enabled=False)


def restore_interface(task: Task, interface: str, fresh_connection: bool = True,
                      spare_connection: bool = False, as_default: bool = False) -> Result:
    """`admin-state enable` on one interface (on a fresh session by default; on a second
    session with `spare_connection`, see `set_admin_state`). `as_default`: the shut found no
    admin-state in the configuration (its `was` None): the leaf is deleted, so the running
    configuration is again what it was, not the same plus an explicit `enable`."""
    return set_admin_state(task, interface, enabled=True, fresh_connection=fresh_connection,
                           spare_connection=spare_connection, as_default=as_default)


# --------------------------------------------------------------------------- verify adapter


def collect_and_check(task: Task, view: Any, checks: list[Any], memo: dict[Any, Any] | None = None) -> Result:
    """Send every command `checks` need on this host and evaluate them against `view`.

    result = list of `CheckResult`. Kept here (not in the verify package) because a poll
    needs a fault-aware view per call; a broken session is dropped so the next poll
    reconnects instead of failing forever. `memo`: a dict the caller keeps for this host
    from one poll to the next; an output unchanged since the last poll is not parsed again.
    """
    from nornir_evpn.tasks.verify import collect_outputs

    from nornir_evpn.checks.model import CheckResult, Observations
    from nornir_evpn.inventory import host_node

    # the view's fabric was derived from this inventory: its node is the host's data,
    # already validated (re-validating a spine's data every poll round costs more)
    node = view.fabric.nodes.get(task.host.name) or host_node(task.host)
    wanted = [c for c in checks if c.applies(view, node)]
    commands = list(dict.fromkeys(cmd for c in wanted for cmd in c.commands(view, node)))
    try:
        outputs = collect_outputs(task, commands)
    except Exception as exc:
        # an unreachable host fails the poll as one `connect` expectation, named once with
        # its reason (not once per check); it does not stop the poll, and the next one
        # reconnects
        drop_connection(task.host)
        reason = host_error(task.host, exc)
        log_failure(task, "poll (show commands)", reason)
        down = CheckResult(task.host.name, CONNECT_CHECK, False, {"session": "open"},
                           {"session": reason}, f"{task.host.name}: {reason}")
        return Result(host=task.host, result=[down], failed=False)
    obs = Observations(outputs, memo, frozenset(c.name for c in checks))
    results = [r for c in wanted if (r := c.run(view, node, obs)) is not None]
    return Result(host=task.host, result=results, failed=False)
