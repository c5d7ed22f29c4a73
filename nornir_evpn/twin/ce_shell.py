"""The twin's Linux CE shell: what `docker exec -it clab-<lab>-ce1 bash` gives on a real lab.

Prompt `bash-5.0# ` (the tutorial's alpine CE). Commands:

- `ping [-c N] [-i I] [-W S] [-q] [-I IF] IP` (`-c2`, `-qc 2` too): iputils output (`64 bytes from ...` per reply,
  then `--- IP ping statistics ---` and `N packets transmitted, M received, X% packet loss,
  time Tms`). Each probe asks the fabric model right now (so a ping spans a failover) and
  teaches the fabric the MACs on the way. Default count 4, default interval 1 s; probes are
  really spaced by the interval. Unknown target: `ping: IP: Name or service not known`.
- `ip link` / `ip addr`: the CE's interfaces, bonds and addresses (short iproute2 form).
- `hostname`, `echo ...`, `exit` / `logout`. Anything else: `bash: X: command not found`.
"""

from __future__ import annotations

import asyncio
import getopt
import ipaddress
import shlex
import time
from collections.abc import Awaitable, Callable

from nornir_evpn.twin.fabric import Fabric

PROMPT = "bash-5.0# "
Sleep = Callable[[float], Awaitable[None]]


class CeShell:
    """One SSH session on a CE node (a `SessionEngine` for the twin's server)."""

    def __init__(self, fabric: Fabric, hostname: str, sleep: Sleep = asyncio.sleep) -> None:
        self.fabric = fabric
        self.hostname = hostname
        self.sleep = sleep
        self.closed = False

    async def banner_and_prompt(self) -> str:
        return PROMPT

    async def handle_line(self, line: str, received_at: float | None = None) -> str:
        try:
            words = shlex.split(line)
        except ValueError:
            words = line.split()
        if words[:1] in (["exit"], ["logout"]):
            self.closed = True
            return ""
        out = await self.run(words)
        return (f"{out}\n" if out else "") + PROMPT

    async def run(self, words: list[str]) -> str:
        if not words:
            return ""
        cmd = words[0]
        if cmd == "ping":
            return await self.ping(words[1:])
        if cmd == "ip" and len(words) >= 2 and words[1] in ("link", "l", "addr", "address", "a"):
            return self.ip_show(addresses=words[1] in ("addr", "address", "a"))
        if cmd == "hostname":
            return self.hostname
        if cmd == "echo":
            return " ".join(words[1:])
        return f"bash: {cmd}: command not found"

    async def ping(self, args: list[str]) -> str:
        count, interval, quiet = 4, 1.0, False
        value = ""
        try:  # iputils' (GNU) getopt: `-c 2`, `-c2`, `-qc 2` and options after the address
            opts, operands = getopt.gnu_getopt(args, "c:i:W:w:I:s:t:qn")
            for opt, value in opts:
                if opt == "-c":
                    count = int(value)
                elif opt == "-i":
                    interval = float(value)
                elif opt == "-q":
                    quiet = True
        except getopt.GetoptError as exc:
            if len(exc.opt) > 1:  # `--foo`: getopt names the long option without its dashes
                return f"ping: unrecognized option '--{exc.opt}'"
            return (f"ping: option requires an argument -- '{exc.opt}'" if "requires" in exc.msg
                    else f"ping: invalid option -- '{exc.opt}'")
        except ValueError:
            return f"ping: invalid argument: '{value}'"
        target = operands[-1] if operands else None
        if target is None:
            return "ping: usage error: Destination address required"
        try:
            ipaddress.IPv4Address(target)
        except ValueError:
            return f"ping: {target}: Name or service not known"
        if count < 1 or interval < 0:
            return "ping: bad number of packets to transmit."
        lines = [f"PING {target} ({target}) 56(84) bytes of data."]
        rtts: list[float] = []
        start = time.monotonic()
        for seq in range(1, count + 1):
            if seq > 1:
                await self.sleep(interval)
            result = self.fabric.probe(self.hostname, target)
            if result.delivered:
                rtt = 0.05 + 0.01 * len(result.path) + 0.001 * (seq % 7)
                rtts.append(rtt)
                if not quiet:
                    lines.append(f"64 bytes from {target}: icmp_seq={seq} ttl=64 time={rtt:.3g} ms")
        elapsed_ms = int((time.monotonic() - start) * 1000)
        received = len(rtts)
        loss = round(100 * (count - received) / count)
        lines += [
            "",
            f"--- {target} ping statistics ---",
            f"{count} packets transmitted, {received} received, {loss}% packet loss, time {elapsed_ms}ms",
        ]
        if rtts:
            avg = sum(rtts) / len(rtts)
            mdev = (sum((r - avg) ** 2 for r in rtts) / len(rtts)) ** 0.5
            lines.append(f"rtt min/avg/max/mdev = {min(rtts):.3f}/{avg:.3f}/{max(rtts):.3f}/{mdev:.3f} ms")
        return "\n".join(lines)

    def ip_show(self, addresses: bool) -> str:
        ce = self.fabric.ces.get(self.hostname)
        if ce is None:
            return ""
        lines = []
        for i, iface in enumerate(ce.interfaces.values(), start=2):
            master = f" master {iface.master}" if iface.master else ""
            kind = " bond" if iface.bond else ""
            lines.append(f"{i}: {iface.name}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500{master} state UP{kind}")
            lines.append(f"    link/ether {iface.mac.lower()} brd ff:ff:ff:ff:ff:ff")
            if addresses:
                for a in iface.addresses:
                    lines.append(f"    inet {a.with_prefixlen} scope global {iface.name}")
        return "\n".join(lines)


def engine_factory(fabric: Fabric) -> Callable[[str], CeShell]:
    """`Twin.register_engine_factory("linux", engine_factory(fabric))`."""
    return lambda node: CeShell(fabric, node)
