"""nornir_evpn: operate Nokia SR Linux EVPN multi-homing fabrics with Nornir."""

import logging

__version__ = "0.22.0"

# The tasks log a failing host under Nornir's logger (its nornir.log when a runbook enables
# it). With no handler anywhere (`InitNornir(logging={"enabled": False})`), logging's last
# resort printed those records on a runbook's stderr: a library leaves that choice to the
# application.
logging.getLogger("nornir.nornir_evpn").addHandler(logging.NullHandler())
