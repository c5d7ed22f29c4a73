"""The Nornir side of an inventory (how to reach a host), checked before any connection.

Host data (the intent) is validated by `render.node_from_data`; this covers the fields
Nornir and scrapli read: hostname, port, username, platform, groups, connection options.
A wrong type here used to surface only at connect time, as one failed host among others
that had already committed (`port: abc`), or to drop a host without a word (`groups: srl`,
which Nornir reads as the groups `s`, `r`, `l`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from nornir_evpn.errors import InventoryError


class _Extras(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    timeout_socket: float | None = Field(default=None, ge=0)
    timeout_transport: float | None = Field(default=None, ge=0)
    timeout_ops: float | None = Field(default=None, ge=0)
    transport: str | None = None
    auth_strict_key: bool | None = None


class _Reach(BaseModel):
    """How to reach a host: in an entry itself or in one of its connection options."""

    model_config = ConfigDict(extra="allow", strict=True)

    hostname: str | None = Field(default=None, min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    username: str | None = Field(default=None, min_length=1)
    password: str | None = None
    platform: str | None = Field(default=None, min_length=1)


class _Connection(_Reach):
    extras: _Extras | None = None


class _Entry(_Reach):
    """A host, a group or the defaults."""

    groups: list[str] | None = None
    data: dict[str, Any] | None = None
    connection_options: dict[str, _Connection] | None = None


# a wrong value of these is shown in the error; any other field may hold a secret
_SHOWN = {"hostname", "port", "username", "platform", "groups", "data", "transport",
          "timeout_socket", "timeout_transport", "timeout_ops", "auth_strict_key"}


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = ".".join(str(p) for p in err["loc"])
    shown = any(part in _SHOWN for part in err["loc"])
    return f"field '{loc}': {err['msg']}" + (f" (got {err.get('input')!r})" if shown else "")


def check_inventory(directory: Path, docs: dict[str, dict[str, Any]]) -> None:
    """One-line InventoryError for the first entry Nornir could not use as written."""
    groups = docs.get("groups") or {}
    where = {"hosts": "host", "groups": "group"}
    for doc in ("hosts", "groups"):
        for name, entry in (docs.get(doc) or {}).items():
            if entry is None and doc == "groups":
                continue  # an empty group is fine
            if not isinstance(entry, dict):
                raise InventoryError(f"{directory / f'{doc}.yaml'}: {where[doc]} {name!r} must be a mapping")
            try:
                _Entry.model_validate(entry)
            except ValidationError as exc:
                raise InventoryError(f"{directory / f'{doc}.yaml'}: {where[doc]} {name!r} {_first_error(exc)}") from None
            for group in entry.get("groups") or []:
                if group not in groups:
                    raise InventoryError(
                        f"{directory / f'{doc}.yaml'}: {where[doc]} {name!r} is in group {group!r}, "
                        "which groups.yaml does not define"
                    )
    try:
        _Entry.model_validate(docs.get("defaults") or {})
    except ValidationError as exc:
        raise InventoryError(f"{directory / 'defaults.yaml'}: {_first_error(exc)}") from None
