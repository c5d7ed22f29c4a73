"""Baseline: the straightforward way to push the same configuration, one host after another.

A plain `Scrapli(platform="nokia_srlinux", ...)` per host: connect, `enter candidate
private`, send the rendered lines, `commit now`, close. No Nornir, no diff, no threads.
Prints one JSON document `{"command": "baseline", "ok", "hosts": {h: {ok, seconds, error}}}`.

    python benchmarks/baseline.py --inventory DIR --twin-state FILE
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from scrapli import Scrapli
from scrapli.driver.network.base_driver import PrivilegeLevel
from scrapli_community.nokia.srlinux.nokia_srlinux import DEFAULT_PRIVILEGE_LEVELS

from nornir_evpn import platform, session
from nornir_evpn.commands.common import apply_twin_endpoints
from nornir_evpn.intent import natural_key
from nornir_evpn.inventory import fabric_from_docs, load_inventory_docs, password, scrapli_extras
from nornir_evpn.render import Renderer, node_from_data

PRIVS = {**DEFAULT_PRIVILEGE_LEVELS,
         "configuration": PrivilegeLevel(**platform.SCRAPLI_PRIVATE_CANDIDATE_PRIV)}


def push(host: str, port: int, username: str, lines: list[str]) -> str | None:
    """One host: connect, private candidate, lines + commit now, close. Error text or None."""
    extras = {k: v for k, v in scrapli_extras().items() if k != "failed_when_contains"}
    extras["transport"] = session.transport(extras["transport"])
    conn = Scrapli(host=host, port=port, auth_username=username, auth_password=password(),
                   platform=platform.PLATFORM, privilege_levels=PRIVS, **extras)
    conn.open()
    try:
        responses = conn.send_configs([*lines, platform.COMMIT_NOW], privilege_level="configuration",
                                      failed_when_contains=platform.FAILED_WHEN_CONTAINS)
        failed = [r for r in responses if r.failed]
        return f"{failed[0].channel_input}: {failed[0].result.strip()}" if failed else None
    finally:
        conn.close()


def run(inventory: Path, twin_state: Path | None) -> dict[str, Any]:
    docs = load_inventory_docs(inventory)
    fabric = fabric_from_docs(docs, source=str(inventory))
    docs = apply_twin_endpoints(docs, twin_state)
    username = docs["defaults"].get("username") or platform.DEFAULT_USERNAME
    renderer = Renderer()
    hosts: dict[str, Any] = {}
    for name in sorted(docs["hosts"], key=natural_key):
        h = docs["hosts"][name]
        if "srl" not in (h.get("groups") or []):
            continue
        t0 = time.monotonic()
        node = node_from_data(name, h.get("data") or {})
        lines = [line for f in renderer.render(node, fabric).values() for line in f]
        try:
            error = push(h["hostname"], int(h["port"]), username, lines)
        except Exception as exc:  # one host's failure is a result, not a crash
            error = f"{type(exc).__name__}: {exc}"
        hosts[name] = {"ok": error is None, "changed": error is None, "error": error,
                       "seconds": round(time.monotonic() - t0, 3), "lines": len(lines)}
    return {"command": "baseline", "ok": all(e["ok"] for e in hosts.values()), "hosts": hosts}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inventory", type=Path, required=True)
    ap.add_argument("--twin-state", type=Path, default=None)
    args = ap.parse_args()
    doc = run(args.inventory, args.twin_state)
    sys.stdout.write(json.dumps(doc) + "\n")
    return 0 if doc["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
