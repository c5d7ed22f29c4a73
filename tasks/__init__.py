from nornir_evpn.tasks.config import apply_config, configure_fabric, confirm_commit, render_config  # noqa: F401
