"""tasks/verify.py with a fake scrapli connection: batching, failed commands, connection errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from nornir_evpn.tasks.verify import collect_outputs, verify_host

from nornir_evpn import platform
from nornir_evpn.checks import CommandFailure
from nornir_evpn.intent import derive_intent
from nornir_evpn.parsers.tables import clean_lines
from nornir_evpn.topology import load_topology

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"


PROMPT = "--{ running }--[  ]--\nA:spine1# "


@dataclass
class FakeConn:
    """A device answering `show`s: pasted lines through `channel`, or scrapli's send_commands."""

    outputs: dict[str, str]
    batches: list[list[str]] = field(default_factory=list)
    default_desired_privilege_level: str = "exec"
    _current_priv_level: Any = field(default_factory=lambda: SimpleNamespace(name="exec"))

    def answer(self, command: str) -> str:
        return self.outputs.get(command, "Parsing error: Unknown token 'x'.")

    @property
    def channel(self) -> Any:
        return self

    def write(self, text: str) -> None:  # channel.write: a pasted batch
        batch = text.rstrip("\n").split("\n")
        self.batches.append(batch)
        # echo, the answer (a transcript without its own prompt and echo lines), the prompt
        self._pending = "".join(
            f"{c}\n{chr(10).join(clean_lines(self.answer(c)))}\n{PROMPT}" for c in batch).encode()

    def read(self) -> bytes:  # channel.read: everything at once, prompts included
        out, self._pending = self._pending, b""
        return out

    def send_commands(self, commands: list[str], strip_prompt: bool = True) -> list[Any]:
        self.batches.append(commands)
        return [SimpleNamespace(result=self.answer(c)) for c in commands]


class BrokenConn(FakeConn):
    def write(self, text: str) -> None:
        raise OSError("session dropped")


class FakeHost:
    """Like a Nornir host: an open connection is kept in `connections` until closed."""

    def __init__(self, name: str, conn: FakeConn | Exception) -> None:
        self.name, self._conn, self.closed = name, conn, False
        self.connections: dict[str, Any] = {}

    def get_connection(self, name: str, _config: Any) -> FakeConn:
        if isinstance(self._conn, Exception):
            raise self._conn
        self.connections[name] = SimpleNamespace(connection=self._conn)
        return self._conn

    def close_connection(self, name: str) -> None:
        self.closed = True
        del self.connections[name]


def task_for(name: str, conn: FakeConn | Exception) -> Any:
    return SimpleNamespace(host=FakeHost(name, conn), nornir=SimpleNamespace(config=None))


@pytest.mark.parametrize("batch_lines", [64, 1], ids=["pasted", "send_commands"])
def test_one_batch_and_failed_commands(batch_lines: int) -> None:
    transcript = (FIXTURES / "l2evpn_spine1_show_bgp_neighbor.txt").read_text()
    conn = FakeConn({platform.SHOW_BGP_NEIGHBORS: transcript})
    out = collect_outputs(task_for("spine1", conn), [platform.SHOW_BGP_NEIGHBORS, "show foo"], batch_lines)
    assert conn.batches == [[platform.SHOW_BGP_NEIGHBORS, "show foo"]]
    assert out["show foo"] == CommandFailure("Parsing error: Unknown token 'x'.")
    neighbors = out[platform.SHOW_BGP_NEIGHBORS]
    assert isinstance(neighbors, str)
    assert clean_lines(neighbors) == clean_lines(transcript)  # the whole answer, nothing else


def test_batches_of_n_commands() -> None:
    conn = FakeConn({f"show {i}": f"answer {i}" for i in range(5)})
    out = collect_outputs(task_for("spine1", conn), [f"show {i}" for i in range(5)], 2)
    assert conn.batches == [["show 0", "show 1"], ["show 2", "show 3"], ["show 4"]]
    assert {c: o.strip() for c, o in out.items() if isinstance(o, str)} == {
        f"show {i}": f"answer {i}" for i in range(5)}


def test_failure_markers_are_read_at_the_head_of_an_answer_only() -> None:
    """`Error: ...` first is a failed show; the same text deep in a long table is data."""
    table = "\n".join(f"| leaf{i} | up | description {i} |" for i in range(200))
    conn = FakeConn({
        "show a": "Error: Path '/interface[name=lag9]' is not valid",
        "show b": table + "\n| leaf200 | down | Error: peer reset by operator |",
    })
    out = collect_outputs(task_for("leaf1", conn), ["show a", "show b"])
    assert out["show a"] == CommandFailure("Error: Path '/interface[name=lag9]' is not valid")
    assert isinstance(out["show b"], str) and out["show b"].rstrip().endswith("by operator |")


def test_verify_host_results() -> None:
    fabric = derive_intent(load_topology(ROOT / "inventory" / "evpn-mh01.clab.yml"))
    conn = FakeConn({platform.SHOW_BGP_NEIGHBORS: (FIXTURES / "l2evpn_spine1_show_bgp_neighbor.txt").read_text()})
    r = verify_host(task_for("spine1", conn), fabric)
    assert len(conn.batches) == 1
    assert r.failed and r.result["error"] is None
    [check] = r.result["checks"]
    assert (check["name"], check["ok"]) == ("bgp.underlay_established", False)
    assert check["observed"]["underlay 192.168.13.1 (leaf3)"] == "absent"


def test_connection_error_is_one_line() -> None:
    fabric = derive_intent(load_topology(ROOT / "inventory" / "evpn-mh01.clab.yml"))
    task = task_for("leaf1", ConnectionRefusedError(111, "Connection refused\nmore"))
    r = verify_host(task, fabric)
    assert r.failed and r.result["checks"] == []
    assert r.result["error"] == "ConnectionRefusedError: [Errno 111] Connection refused more"
    assert task.host.connections == {} and not task.host.closed  # never opened: nothing to close


def test_a_session_that_never_came_up_is_said_in_words() -> None:
    """A port that accepts TCP and closes it: scrapli's "do you need to call 'open()'?"."""
    from scrapli.exceptions import ScrapliConnectionNotOpened

    fabric = derive_intent(load_topology(ROOT / "inventory" / "evpn-mh01.clab.yml"))
    task = task_for("leaf1", ScrapliConnectionNotOpened(
        "connection not opened, but attempting to call a method that requires an open connection, "
        "do you need to call 'open()'?"))
    r = verify_host(task, fabric)
    assert r.result["error"] == "cannot connect: the connection closed before the SSH login (an SSH server there?)"

    class Timeout(Exception):  # ssh2-python's, by name: a host that accepted TCP and hung
        pass

    hung = ScrapliConnectionNotOpened("connection not opened, ... do you need to call 'open()'?")
    hung.__cause__ = Timeout()
    r = verify_host(task_for("leaf1", hung), fabric)
    # a host without inventory settings: scrapli's own default
    assert r.result["error"] == "timeout: no answer within 30s (timeout_transport not set: scrapli's default)"

    # paramiko's read past timeout_transport: socket.timeout under scrapli's "EOF" wording
    from scrapli.exceptions import ScrapliConnectionError

    slow = ScrapliConnectionError("encountered EOF reading from transport; typically means the device "
                                  "closed the connection")
    slow.__cause__ = TimeoutError("timed out")
    r = verify_host(task_for("leaf1", slow), fabric)
    assert r.result["error"] == "timeout: no answer within 30s (timeout_transport not set: scrapli's default)"


def _inventory_host(name: str, host_extras: dict[str, Any] | None = None) -> Any:
    """`name` of the repo's inventory (groups.yaml's `srl` extras), optionally with
    connection extras of its own as hosts.yaml would set them."""
    import yaml

    from nornir_evpn.inventory_plugin import inventory_from_docs

    inv = ROOT / "inventory"
    docs = {f: yaml.safe_load((inv / f"{f}.yaml").read_text()) for f in ("hosts", "groups", "defaults")}
    if host_extras is not None:
        docs["hosts"][name]["connection_options"] = {"scrapli": {"extras": host_extras}}
    return inventory_from_docs(docs, "x").hosts[name]


def test_a_timeout_says_how_long_and_which_setting() -> None:
    """The seconds and the setting come from the host's inventory, not a constant."""
    from scrapli.exceptions import (
        ScrapliConnectionError,
        ScrapliConnectionNotOpened,
        ScrapliTimeout,
    )

    from nornir_evpn.failures import host_error

    class Timeout(Exception):  # ssh2-python's read past timeout_transport
        pass

    read = ScrapliConnectionError("encountered EOF reading from transport")
    read.__cause__ = Timeout()
    leaf2 = _inventory_host("leaf2")
    assert host_error(leaf2, read) == "timeout: no answer within 30s (timeout_transport in groups.yaml)"
    own = _inventory_host("leaf2", {"timeout_transport": 7.5, "timeout_socket": 3})
    assert host_error(own, read) == "timeout: no answer within 7.5s (timeout_transport in hosts.yaml)"
    connect = ScrapliConnectionNotOpened("timed out trying to open socket to 10.0.0.9 on port 22 for "
                                         "address family AF_INET")
    connect.__cause__ = TimeoutError("timed out")
    assert host_error(leaf2, connect) == "timeout: no answer within 10s (timeout_socket in groups.yaml)"
    assert host_error(own, connect) == "timeout: no answer within 3s (timeout_socket in hosts.yaml)"
    ops = _inventory_host("leaf2", {"timeout_ops": 20})  # scrapli's timer, off in groups.yaml
    assert host_error(ops, ScrapliTimeout("timed out sending input to device")) == (
        "timeout: no answer within 20s (timeout_ops in hosts.yaml)")
    refused = ScrapliConnectionNotOpened("connection refused trying to open socket to 10.0.0.9 on port 22")
    refused.__cause__ = ConnectionRefusedError(111, "Connection refused")
    assert host_error(leaf2, refused).startswith("cannot connect: connection refused")


def test_session_dropped_mid_show_is_closed() -> None:
    fabric = derive_intent(load_topology(ROOT / "inventory" / "evpn-mh01.clab.yml"))
    task = task_for("leaf1", BrokenConn({}))
    r = verify_host(task, fabric)
    assert r.failed and r.result["error"] == "OSError: session dropped"
    assert task.host.closed and task.host.connections == {}


def test_a_show_command_that_is_not_one_line_is_never_sent() -> None:
    """A hand-built intent skips the inventory's checks: the task still refuses to type a
    value with a newline into the device (it would run as a command of its own)."""
    fabric = derive_intent(load_topology(ROOT / "inventory" / "evpn-mh01.clab.yml"))
    leaf3 = fabric.nodes["leaf3"]
    assert leaf3.mac_vrf is not None
    evil = leaf3.model_copy(update={"mac_vrf": leaf3.mac_vrf.model_copy(update={"name": "mac-vrf-1\ncommit now"})})
    fabric = fabric.model_copy(update={"nodes": {**fabric.nodes, "leaf3": evil}})
    conn = FakeConn({})
    task = task_for("leaf3", conn)
    r = verify_host(task, fabric)
    assert r.failed and r.result["checks"] == [] and conn.batches == [] and task.host.connections == {}
    assert r.result["error"].startswith(
        "leaf3: show command: 'show network-instance mac-vrf-1\\ncommit now bridge-table")
    assert r.result["error"].endswith("is not one CLI line (it holds a control character)")
