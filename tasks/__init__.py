from nornir_evpn.tasks.config import apply_config, configure_fabric, confirm_commit, render_config  # noqa: F401
from nornir_evpn.tasks.failover import restore_interface, shut_interface, wait_for_state  # noqa: F401
