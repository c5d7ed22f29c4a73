"""A runbook decides what its stderr shows: the tasks log, they do not print."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def test_a_runbook_with_logging_off_prints_nothing_for_a_failing_host(tmp_path: Path) -> None:
    """A CE's failure (configure_fabric on a CE) logged a WARNING that logging's last resort printed on the
    runbook's stderr (release tester): the tasks return data, the application decides what
    to print."""
    inventory = Path(__file__).resolve().parents[2] / "inventory"
    script = textwrap.dedent(f'''
        from nornir import InitNornir
        from nornir_evpn.inventory import fabric_from_nornir
        from nornir_evpn.tasks import configure_fabric
        nr = InitNornir(inventory={{"plugin": "SimpleInventory", "options": {{
            "host_file": "{inventory}/hosts.yaml", "group_file": "{inventory}/groups.yaml",
            "defaults_file": "{inventory}/defaults.yaml"}}}}, logging={{"enabled": False}})
        r = nr.filter(name="ce1").run(task=configure_fabric, fabric=fabric_from_nornir(nr))
        print("failed" if r["ce1"].failed else "ok")
    ''')
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.stdout.strip() == "failed"
    assert done.stderr == ""
