"""Nornir tasks, for `nr.run(task=...)` in anyone's runbook (installed as nornir_evpn.tasks)."""

from nornir_evpn.tasks.checkpoint import (
    checkpoint_name,
    clear_checkpoint,
    list_checkpoints,
    rollback_checkpoint,
)
from nornir_evpn.tasks.config import (
    apply_config,
    configure_fabric,
    confirm_commit,
    render_config,
    save_startup,
    stale_config,
)
from nornir_evpn.tasks.failover import restore_interface, shut_interface, wait_for_state
from nornir_evpn.tasks.verify import verify_host

__all__ = [
    "apply_config",
    "checkpoint_name",
    "clear_checkpoint",
    "configure_fabric",
    "confirm_commit",
    "list_checkpoints",
    "render_config",
    "restore_interface",
    "rollback_checkpoint",
    "save_startup",
    "shut_interface",
    "stale_config",
    "verify_host",
    "wait_for_state",
]
