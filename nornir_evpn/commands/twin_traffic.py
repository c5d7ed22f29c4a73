"""`python -m nornir_evpn twin traffic`: every CE of the running twin pings the other CEs.

On a real lab the CEs talk and the leaves learn their MACs; on a fresh twin nothing has
been sent yet, so verify's MAC and RT2 checks fail with "not learnt: no CE traffic yet?".
This sends that traffic: each CE logs in over SSH (as a user would) and pings every other
CE's addresses, which teaches every leaf every CE MAC, as on the lab. The CEs and their
addresses come from the topology the twin serves.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from nornir_evpn import run_context
from nornir_evpn.commands.common import EXIT_FAILED, EXIT_OK, non_negative_float, positive_int
from nornir_evpn.errors import UserInputError
from nornir_evpn.runner import BestEffortPool

# CE logins at a time: a CE's pings are mostly waiting, so all of them at once (the 96 CEs
# of a 128-leaf fabric took 68 s 8 at a time, 11 s all together)
PARALLEL_CES = 128
WAIT_S = 10.0
RETRY_S = 0.5
# past the fabric's own delay: the twin's timers fire late on a busy machine (a verify right
# after `twin traffic` on the realistic timing missed a MAC under the load of a test run)
SETTLE_MARGIN_S = 0.5


def add_traffic_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("traffic", help="every CE pings the other CEs, so the leaves learn the CE MACs")
    p.add_argument("--count", type=positive_int, default=2, metavar="N",
                   help="pings to each address (default 2)")
    p.add_argument("--timeout", type=non_negative_float, default=WAIT_S, metavar="SECONDS",
                   help=f"keep trying a CE that got no reply for this long: a fabric just configured "
                        f"may still be converging (default {WAIT_S:g})")
    p.add_argument("--state-file", "--twin-state", dest="twin_state", type=Path, default=None, metavar="FILE",
                   help="twin state file (default ./.nornir_evpn/twin.json or $NORNIR_EVPN_TWIN_STATE)")
    p.set_defaults(func=run_traffic)


def run_traffic(args: argparse.Namespace) -> int:
    from nornir_evpn.failover import other_ce_ips
    from nornir_evpn.failures import one_line
    from nornir_evpn.intent import derive_intent, natural_key
    from nornir_evpn.inventory import password
    from nornir_evpn.topology import load_topology
    from nornir_evpn.traffic import parse_ping, ssh_ping_runner
    from nornir_evpn.twin.keys import twin_known_hosts
    from nornir_evpn.twin.state import other_version_note, read_twin_state

    state = read_twin_state(args.twin_state)
    if (note := other_version_note(state)) is not None:
        run_context.note(note)
    known_hosts = twin_known_hosts(args.twin_state, scrapli=True)
    fabric = derive_intent(load_topology(state.topology))
    missing = sorted(set(fabric.ces) - set(state.endpoints))
    if missing:
        raise UserInputError(f"the twin serves no CE {', '.join(missing)}: its state file is stale")

    def ping_all(job: tuple[str, list[str]]) -> tuple[dict[str, tuple[int, int]], str | None]:
        """CE `ce` pings each of `ips`: {ip: (sent, received)}, or the error that stopped it."""
        ce, ips = job
        host, port = state.endpoints[ce]
        try:
            run, close = ssh_ping_runner(host, port, state.username, password(), known_hosts=known_hosts)
        except Exception as exc:  # one CE that cannot log in does not stop the others
            return {}, one_line(exc)
        try:
            return {ip: parse_ping(run(ip, args.count, 0.05)) for ip in ips}, None
        except Exception as exc:  # a session dropped mid-way: this CE's line says so
            return {}, one_line(exc)
        finally:
            close()

    # a CE alone in the fabric has nobody to ping: said so, at once (it waited the whole
    # timeout and blamed the configuration)
    targets = {ce: other_ce_ips(fabric, ce) for ce in sorted(fabric.ces, key=natural_key)}
    alone = [ce for ce, ips in targets.items() if not ips]
    ces = [ce for ce, ips in targets.items() if ips]
    # per CE and address, the last try's (sent, received); a CE's error ends its tries
    counts: dict[str, dict[str, tuple[int, int]]] = {ce: {} for ce in ces}
    errors: dict[str, str] = {}
    deadline = time.monotonic() + args.timeout
    pending = {ce: targets[ce] for ce in ces}
    with BestEffortPool(PARALLEL_CES) as pool:
        while True:
            for ce, (got, error) in zip(pending, pool.map(ping_all, pending.items()), strict=True):
                counts[ce].update(got)
                if error is not None:
                    errors[ce] = error
            # an address that never answered may be one the LAGs, sessions or EVPN routes did
            # not reach yet: try it again, since its reply is what teaches the fabric its MAC
            # (a CE retried only when nothing answered kept a MAC the leaves never learnt)
            pending = {ce: silent for ce in pending if ce not in errors
                       if (silent := [ip for ip, (_, received) in counts[ce].items() if received == 0])}
            if not pending or time.monotonic() + RETRY_S > deadline:
                break
            time.sleep(RETRY_S)
    results = {ce: (sum(s for s, _ in counts[ce].values()), sum(r for _, r in counts[ce].values()),
                    errors.get(ce)) for ce in ces}
    if state.settle_s > 0 and any(received for _, received, _ in results.values()):
        # the MACs just learnt reach the other leaves as RT2 routes after the fabric's own
        # delay: return once they have, so a `verify` right after sees them
        time.sleep(state.settle_s + SETTLE_MARGIN_S)
    width = max(map(len, [*ces, *alone]), default=2)
    for ce in alone:
        print(f"{ce:<{width}}  no other CE to ping")
    for ce, (sent, received, error) in results.items():
        # some addresses silent to the end: the MACs behind them were not learnt, say which
        mute = [ip for ip, (_, r) in counts[ce].items() if r == 0] if received else []
        line = error or f"{received}/{sent} replies" + (f", none from {', '.join(mute)}" if mute else "")
        print(f"{ce:<{width}}  {line}")
    silent = [ce for ce, (_, received, error) in results.items() if received == 0 and error is None]
    if silent:
        print(f"no reply at all for {', '.join(silent)} in {args.timeout:g}s: is the fabric configured "
              "(configure --twin)?")
    return EXIT_OK if not silent and all(error is None for _, _, error in results.values()) else EXIT_FAILED
