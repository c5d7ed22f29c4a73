"""A whole configure run rendered once, before any host connects: the CLI's preflight, and
what a runbook's `nr.run(task=configure_fabric, fabric=...)` checks before its first host
sends a line."""

from __future__ import annotations

import pickle
import threading
from dataclasses import dataclass
from typing import Any

from nornir_evpn.errors import UserInputError
from nornir_evpn.intent import FabricIntent
from nornir_evpn.inventory import host_data, host_node
from nornir_evpn.render import Renderer
from nornir_evpn.runner import RUN_ATTR  # noqa: F401 - the tasks read a run's token by it


@dataclass(frozen=True)
class RunRender:
    """A whole run rendered locally, before any host connects: the first host (in natural
    order) whose configuration does not render, with the error (a template error, an unsafe
    value), or None; and, when every host rendered, the features that rendered nothing on
    any of them."""

    failure: tuple[str, UserInputError] | None
    silent: frozenset[str]


# (renderer, fabric, features, hosts) -> what rendering that run gave; the last few runs
# only (a service configures one fabric over and over)
_RUN_RENDERS: dict[tuple[int, int, tuple[str, ...], frozenset[str]], _Rendered] = {}
_RUN_RENDERS_LOCK = threading.Lock()
_RUN_RENDERS_KEPT = 8


@dataclass
class _Rendered:
    renderer: Renderer
    fabric: FabricIntent
    templates: tuple[Any, ...]
    data: bytes  # the hosts' and groups' data it rendered (`_data_of`)
    outcome: RunRender
    run: object | None = None  # the run whose hosts take it as it is


def _data_of(nr: Any) -> bytes:
    """The run's host and group data, as bytes to compare: a runbook that edits a host's data
    between two runs of one Nornir object (a preview, then the commit) must not get the
    first run's verdict (its other hosts committed, the edited one alone failing)."""
    inventory = nr.inventory
    data = ([(n, h.data, [g.name for g in h.groups]) for n, h in inventory.hosts.items()],
            [(n, g.data) for n, g in inventory.groups.items()])
    try:
        return pickle.dumps(data, protocol=5)
    except Exception:  # a value of the runbook's own that does not pickle
        return repr(data).encode()


def outside_fabric(host: Any, fabric: FabricIntent) -> bool:
    """`host` is no SR Linux node of `fabric` and has no leaf/spine role of its own (a CE,
    a device of another kind in the runbook's inventory): configure_fabric fails it alone,
    with that said, and the run's preflight leaves it out (its render failing is no
    template error of the hosts that are)."""
    return host.name not in fabric.nodes and host_data(host).get("role") not in ("leaf", "spine")


def render_run(nr: Any, fabric: FabricIntent, renderer: Renderer,
               features: tuple[str, ...], run: object | None = None) -> RunRender:
    """Render every host of the run `nr` once: what the CLI's preflight checks before any
    connection, and what a runbook's `nr.run(task=configure_fabric, fabric=...)` checks
    before its first host sends a line. Rendered once per run (renderer, fabric, features
    and hosts), the hosts' tasks waiting for that one pass.

    `run`: the run's token (`RUN_ATTR`), when its runner sets one: the hosts' data are
    compared with what was rendered once per run; without one (another runner, a task run
    as a subtask), at every call."""
    from nornir_evpn.intent import natural_key

    hosts = nr.inventory.hosts
    key = (id(renderer), id(fabric), features, frozenset(hosts))
    with _RUN_RENDERS_LOCK:
        # an edited template is another template (`Renderer.template` loads it again): a run
        # after the edit renders again, whatever the last run found
        templates = tuple(renderer.template(f) for f in features)
        seen = _RUN_RENDERS.get(key)
        if seen is not None and not (seen.renderer is renderer and seen.fabric is fabric
                                     and seen.templates == templates):
            seen = None
        if seen is not None and run is not None and seen.run is run:
            return seen.outcome
        data = _data_of(nr)
        if seen is not None and seen.data == data:
            seen.run = run
            return seen.outcome
        failure = None
        silent = set(features)
        for name in sorted(hosts, key=natural_key):
            if outside_fabric(hosts[name], fabric):
                continue
            try:
                rendered = renderer.render(host_node(hosts[name]), fabric, features)
            except UserInputError as exc:
                failure = (name, exc)
                break
            silent -= {f for f, lines in rendered.items() if lines}
        outcome = RunRender(failure, frozenset() if failure else frozenset(silent))
        _RUN_RENDERS.pop(key, None)  # (re-inserted: the newest last)
        if len(_RUN_RENDERS) >= _RUN_RENDERS_KEPT:
            _RUN_RENDERS.pop(next(iter(_RUN_RENDERS)))
        _RUN_RENDERS[key] = _Rendered(renderer, fabric, templates, data, outcome, run)
        return outcome


def render_failure(nr: Any, fabric: FabricIntent, renderer: Renderer,
                   features: tuple[str, ...], run: object | None = None) -> tuple[str, str] | None:
    """(host, error) for the first host of the run `nr` whose configuration does not render,
    or None (`render_run`)."""
    failure = render_run(nr, fabric, renderer, features, run).failure
    return None if failure is None else (failure[0], str(failure[1]))
