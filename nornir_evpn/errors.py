"""Exceptions raised by nornir_evpn.

Hierarchy::

    NornirEvpnError                 base; never shown with a traceback
    ├── UserInputError              the user can fix it; one line, exit code 2
    │   ├── TopologyError           bad containerlab topology (file, field, value)
    │   ├── IntentError             topology is valid but no fabric intent can be derived
    │   ├── InventoryError          missing/broken inventory directory or host data
    │   ├── TemplateError           missing template, Jinja syntax error (file:line)
    │   ├── UnsafeValueError        a value that could inject CLI (newline, ;, {, }, !)
    │   └── TwinNotRunningError     --twin given but no twin state file / dead pid
    ├── DeviceError                 a device refused something (commit rejected, Error:)
    └── ParseError                  `show` output the parser does not understand
"""

from __future__ import annotations


class NornirEvpnError(Exception):
    """Base class for every error this package raises on purpose."""


class UserInputError(NornirEvpnError):
    """Bad input from the user: reported as one line, exit code 2."""


class TopologyError(UserInputError):
    """The containerlab topology file is invalid."""


class IntentError(UserInputError):
    """The topology is valid YAML but the fabric intent cannot be derived."""


class InventoryError(UserInputError):
    """The Nornir inventory is missing or inconsistent."""


class TemplateError(UserInputError):
    """A Jinja2 template is missing or broken."""


class UnsafeValueError(UserInputError):
    """A value that would reach the device CLI contains characters that could inject CLI."""


class TwinNotRunningError(UserInputError):
    """`--twin` was requested but no digital twin is running."""


class ReportNotWrittenError(NornirEvpnError):
    """A report file the run owed (`--junit`) could not be written once the run was done:
    exit 1, not 2 (the fabric may have changed; the input was good). As for stdout on a
    full disk."""


class DeviceError(NornirEvpnError):
    """A device rejected an operation (commit failed, `Error:` in output)."""


class ParseError(NornirEvpnError):
    """Device output did not match what a parser expects."""
