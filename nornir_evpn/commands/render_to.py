"""`configure --render-to DIR`: each selected host's configuration written to DIR/<host>.cfg,
no host connected to.

What a GitOps review needs from a merge request without a lab or a twin (a CI job with no
network): the lines configure would load into each host's candidate, one per line, in the
order it sends them, as files a diff of two commits shows. `--prune`'s deletes are read from
the device and are not among them; nor is what the device holds already (that is `--dry-run`'s
diff, which needs the device).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from nornir_evpn.errors import UserInputError
from nornir_evpn.intent import natural_key
from nornir_evpn.inventory import host_node
from nornir_evpn.outputs import ensure_directory, replace_atomically, writing
from nornir_evpn.render import Renderer
from nornir_evpn.tasks.cli_lines import DEFAULT_BATCH_LINES

SUFFIX = ".cfg"
# options that act on a device: with --render-to nothing is sent, so each would be ignored
_NEED_A_DEVICE = (("dry_run", "--dry-run"), ("validate_only", "--validate-only"),
                  ("commit_confirmed", "--commit-confirmed"), ("all_or_nothing", "--all-or-nothing"),
                  ("save", "--save"), ("prune", "--prune"), ("exit_code", "--exit-code"))


def refuse_device_options(args: argparse.Namespace) -> None:
    """--render-to with an option that needs a device: one line, exit 2. Also those that only
    steer how a device is reached or committed to: `--twin` (a twin had to be running, else
    "no digital twin is running", for a run that reaches none), `--no-checkpoint` and a
    `--batch-lines` of one's own were accepted and did nothing."""
    given = [flag for attr, flag in _NEED_A_DEVICE if getattr(args, attr, None) not in (None, False)]
    if getattr(args, "twin", False):
        given.append("--twin")
    if getattr(args, "checkpoint", True) is False:
        given.append("--no-checkpoint")
    if getattr(args, "batch_lines", DEFAULT_BATCH_LINES) != DEFAULT_BATCH_LINES:
        given.append("--batch-lines")
    if given:
        raise UserInputError(f"--render-to connects to no host: {', '.join(given)} "
                             f"{'needs' if len(given) == 1 else 'need'} one "
                             "(--render-to writes what configure would load; --dry-run shows the device's diff)")


def prepare(directory: Path) -> Path:
    """Create DIR now: a bad path is said before anything is rendered (naming DIR)."""
    if directory.exists() and not directory.is_dir():
        raise UserInputError(f"--render-to {directory}: is a file, expected a directory")
    return ensure_directory(directory, "--render-to")


def render_to(directory: Path, target: Any, renderer: Renderer, features: tuple[str, ...],
              every_host: bool) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Write DIR/<host>.cfg for each selected host (the preflight has rendered them all, so
    none fails here): ({host: {"ok", "changed", "error", "lines", "file"}}, notes).
    `every_host`: no --hosts/--role, so a <host>.cfg of a host the inventory no longer has is
    named (left as it is: DIR may hold files of the user's)."""
    hosts: dict[str, dict[str, Any]] = {}
    with writing(directory, "--render-to"):
        for name in sorted(target.nr.inventory.hosts, key=natural_key):
            rendered = renderer.render(host_node(target.nr.inventory.hosts[name]), target.fabric, features)
            lines = [line for feature_lines in rendered.values() for line in feature_lines]
            file = directory / f"{name}{SUFFIX}"
            replace_atomically(file, "".join(f"{line}\n" for line in lines), shared=True)
            hosts[name] = {"ok": True, "changed": False, "error": None, "lines": len(lines), "file": str(file)}
    notes: list[str] = []
    if every_host:
        known = set(target.docs.get("hosts") or {})
        stale = sorted((p.name for p in directory.glob(f"*{SUFFIX}") if p.stem not in known), key=natural_key)
        if stale:
            notes.append(f"--render-to {directory}: {', '.join(stale)} {'is' if len(stale) == 1 else 'are'} for no "
                         "host of the inventory (left as found: delete what was rendered for hosts taken out)")
    return hosts, notes
