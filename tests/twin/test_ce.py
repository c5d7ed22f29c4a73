"""The CE shell: ping over the fabric model, in-process and over the twin's SSH server."""

from __future__ import annotations

import asyncio
import re

import pytest
from conftest import TEST_PASSWORD
from fabric_helpers import FakeClock, tutorial_fabric

from nornir_evpn import platform
from nornir_evpn.twin import timing as tm
from nornir_evpn.twin.ce_shell import PROMPT, CeShell
from nornir_evpn.twin.fabric_lab import MH_CONFIG, attach, boot_lab
from nornir_evpn.twin.runtime import Twin, default_topology

SUMMARY = re.compile(r"(\d+) packets transmitted, (\d+) received, (\d+)% packet loss, time \d+ms")


def run(coro):
    return asyncio.run(coro)


def summary(out: str) -> tuple[int, int, int]:
    m = SUMMARY.search(out)
    assert m, out
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


def test_ping_succeeds_in_the_tutorial_state_with_iputils_format():
    fabric, _running, _show = tutorial_fabric()
    slept: list[float] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    shell = CeShell(fabric, "ce1", sleep=sleep)
    out = run(shell.handle_line(platform.ping("192.168.0.22", 3, 0.2)))
    lines = out.splitlines()
    assert lines[0] == "PING 192.168.0.22 (192.168.0.22) 56(84) bytes of data."
    assert re.fullmatch(r"64 bytes from 192\.168\.0\.22: icmp_seq=1 ttl=64 time=[\d.]+ ms", lines[1])
    assert "--- 192.168.0.22 ping statistics ---" in lines
    assert summary(out) == (3, 3, 0)
    assert lines[-2].startswith("rtt min/avg/max/mdev = ")
    assert out.endswith("\n" + PROMPT)
    assert slept == [0.2, 0.2]


def test_ping_fails_before_multihoming_is_configured():
    fabric, _ = boot_lab()

    async def sleep(s: float) -> None:
        return None

    out = run(CeShell(fabric, "ce1", sleep=sleep).handle_line("ping -c 2 -i 0.1 192.168.0.21"))
    assert summary(out) == (2, 0, 100)
    assert "rtt" not in out


def test_ping_spans_a_failover_and_loses_only_while_converging():
    clock = FakeClock()
    profile = tm.PROFILES["fast"]
    fabric, _running, _show = tutorial_fabric(profile, clock)
    sent = 0

    async def sleep(s: float) -> None:
        nonlocal sent
        sent += 1
        if sent == 3:  # pull leaf1's cable between probe 3 and 4
            fabric.set_link("leaf1:ethernet-1/1", "ce1:eth1", up=False)
        clock.advance(s)

    out = run(CeShell(fabric, "ce1", sleep=sleep).ping(["-c", "20", "-i", "0.02", "192.168.0.21"]))
    total, received, _loss = summary(out)
    assert total == 20
    # lost while LACP (0.05 s) and then the EVPN withdrawal (0.2 s) converge: 0.2/0.02 = 10
    assert 20 - received == 10
    assert "icmp_seq=3 " in out and "icmp_seq=4 " not in out and "icmp_seq=20 " in out


def test_shell_misc_commands():
    fabric, _ = boot_lab()
    shell = CeShell(fabric, "ce2")
    assert run(shell.handle_line("hostname")) == "ce2\n" + PROMPT
    assert "bash: nmap: command not found" in run(shell.handle_line("nmap -PE 192.168.0.21"))
    addr = run(shell.handle_line("ip addr"))
    assert "inet 192.168.0.23/24 scope global eth3" in addr
    assert "link/ether 00:c1:ab:00:00:21" in addr
    assert "Name or service not known" in run(shell.handle_line("ping -c 1 nohost"))
    assert run(shell.handle_line("exit")) == "" and shell.closed


@pytest.mark.parametrize(("line", "want"), [
    ("ping -c1 -W1 192.168.0.22", (1, 1, 0)),  # iputils takes a value glued to its option
    ("ping -qc 2 -i 0 192.168.0.22", (2, 2, 0)),  # and grouped flags
    ("ping 192.168.0.22 -c 1", (1, 1, 0)),  # and options after the address (GNU getopt)
])
def test_ping_takes_every_iputils_spelling_of_its_options(line: str, want: tuple[int, int, int]):
    """`ping -c1 -W1 IP`, a usual spelling in scripts, answered `invalid option -- 'c'`."""
    fabric, _running, _show = tutorial_fabric()

    async def sleep(s: float) -> None:
        return None

    assert summary(run(CeShell(fabric, "ce1", sleep=sleep).handle_line(line))) == want


@pytest.mark.parametrize(("line", "error"), [
    ("ping -c", "ping: option requires an argument -- 'c'"),
    ("ping -x 192.168.0.22", "ping: invalid option -- 'x'"),
    ("ping --foo 192.168.0.22", "ping: unrecognized option '--foo'"),  # (it said -- 'f')
    ("ping -c many 192.168.0.22", "ping: invalid argument: 'many'"),
    ("ping -c 0 192.168.0.22", "ping: bad number of packets to transmit."),
    ("ping -q", "ping: usage error: Destination address required"),
])
def test_a_bad_ping_line_is_refused_as_iputils_does(line: str, error: str):
    fabric, _ = boot_lab()
    assert run(CeShell(fabric, "ce1").handle_line(line)) == f"{error}\n{PROMPT}"


@pytest.fixture
def live_twin():
    with Twin(default_topology(), password=TEST_PASSWORD, fit_terminal=False) as tw:  # the transcripts' rows
        fabric = attach(tw, tm.PROFILES["instant"])
        yield tw, fabric


def test_over_ssh_commit_then_ce_ping_then_show(live_twin):
    import asyncssh
    from scrapli import Scrapli

    tw, _fabric = live_twin
    for leaf in ("leaf1", "leaf2"):
        host, port = tw.endpoints[leaf]
        with Scrapli(host=host, port=port, auth_username="admin", auth_password=TEST_PASSWORD,
                     auth_strict_key=False, platform=platform.PLATFORM, transport="paramiko",
                     timeout_ops=10) as conn:
            lines = [x for x in MH_CONFIG.splitlines() if x] + [platform.COMMIT_NOW]
            resp = conn.send_configs(lines, failed_when_contains=platform.FAILED_WHEN_CONTAINS)
            assert not resp.failed, resp.result

    host, port = tw.endpoints["ce1"]

    async def ping() -> str:
        async with asyncssh.connect(host, port, username="admin", password=TEST_PASSWORD,
                                    known_hosts=None) as c:
            cmds = "".join(platform.ping(ip, 2, 0.01) + "\n" for ip in ("192.168.0.21", "192.168.0.22",
                                                                        "192.168.0.23"))
            r = await c.run(input=cmds + "exit\n", term_type="xterm", timeout=10)
            return str(r.stdout)

    out = ping_out = asyncio.run(ping())
    assert ping_out.count("2 packets transmitted, 2 received, 0% packet loss") == 3, out

    host, port = tw.endpoints["leaf3"]
    with Scrapli(host=host, port=port, auth_username="admin", auth_password=TEST_PASSWORD,
                 auth_strict_key=False, platform=platform.PLATFORM, transport="paramiko") as conn:
        mac = conn.send_command(platform.show_mac_table("mac-vrf-1")).result
        summ = conn.send_command(platform.SHOW_EVPN_SUMMARY).result
    assert "| 00:C1:AB:00:00:11  | vxlan-interface:vxlan1.1" in mac
    assert "4 Ethernet Auto-Discovery routes 4 used, 4 valid" in summ


@pytest.mark.parametrize(("line", "want", "replies"), [
    # -t (TTL) takes a value, after the address too: `64` is not the destination
    ("ping -c 1 192.168.0.22 -t 64", (1, 1, 0), 1),
    ("ping -qc 2 -i 0 192.168.0.22", (2, 2, 0), 0),  # -q: the summary alone, no reply lines
    ("ping -n -c 1 192.168.0.22", (1, 1, 0), 1),  # -n (numeric output) is a flag iputils takes
])
def test_ping_options_with_a_value_and_quiet_are_kept(line: str, want: tuple[int, int, int], replies: int):
    """(mutation testing: `-t` read as a flag and `-q` ignored both passed every test)"""
    fabric, _running, _show = tutorial_fabric()

    async def sleep(s: float) -> None:
        return None

    out = run(CeShell(fabric, "ce1", sleep=sleep).handle_line(line))
    assert summary(out) == want
    assert out.count("bytes from") == replies
