"""nornir_evpn: operate Nokia SR Linux EVPN multi-homing fabrics with Nornir."""

__version__ = "0.16.0"
