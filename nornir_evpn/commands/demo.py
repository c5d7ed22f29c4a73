"""`demo`: digital twin + configure + verify + failover-test in one command, from any directory.

The twin runs in a child process on free ports with its state file in a temporary
directory, so it never collides with a user's `twin up`, and nothing outlives the
command (Ctrl-C, SIGTERM, even SIGKILL of the demo: the child watches its stdin pipe). Each step is the real command, run
in-process from an argument list, so the demo shows exactly what a user would type.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

from nornir_evpn.commands.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    build_target,
    positive_float,
)
from nornir_evpn.errors import NornirEvpnError, TwinNotRunningError
from nornir_evpn.failover import (
    NO_FAULTS,
    FailoverReport,
    other_ce_ips,
    verify_evaluator,
    warm_up_traffic,
)
from nornir_evpn.inventory import password
from nornir_evpn.polling import wait_for_state
from nornir_evpn.reporting.common import console_for, emit_json
from nornir_evpn.reporting.demo import DemoStep, demo_document, print_step_header, print_summary
from nornir_evpn.traffic import ssh_ping_runner

SETTLE_TIMEOUT_S = 30.0
TWIN_START_TIMEOUT_S = 30.0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "demo", help="twin + configure + verify + failover-test in one go (no lab needed)",
        description="Start the evpn-mh01 digital twin on free ports, configure multi-homing, verify, "
                    "send CE traffic, run failover-test, print one summary and stop the twin.",
    )
    # --timing, as `twin up` names the fabric's convergence delays (its --profile is command
    # latency); --profile, the name 0.14 had, stays for scripts
    p.add_argument("--timing", "--profile", dest="profile", default="demo",
                   choices=["demo", "realistic", "fast", "instant"],
                   help="the twin's convergence timing, as twin up --timing (default demo: a few "
                        "seconds of convergence)")
    # checked here as failover-test checks them: a bad value is refused before the twin starts
    p.add_argument("--interval", type=positive_float, default=0.5, metavar="S",
                   help="failover-test's poll interval in seconds (default 0.5)")
    p.add_argument("--timeout", type=positive_float, default=30.0, metavar="S",
                   help="failover-test's --timeout in seconds (default 30)")
    p.add_argument("--json", action="store_true", help="one summary JSON document on stdout")
    p.set_defaults(func=run)


def packaged_topology() -> Path:
    return Path(str(resources.files("nornir_evpn.lab") / "evpn-mh01.clab.yml"))


def packaged_inventory() -> Path:
    return Path(str(resources.files("nornir_evpn.lab")))


@contextlib.contextmanager
def _stdout_to_stderr(enabled: bool) -> Iterator[None]:
    """With --json the sub-commands' human output must not pollute stdout."""
    if not enabled:
        yield
        return
    with contextlib.redirect_stdout(sys.stderr):
        yield


@contextlib.contextmanager
def _cwd(path: Path) -> Iterator[None]:
    """Run in `path`, with the record files a user's environment may point elsewhere kept
    there too: `$NORNIR_EVPN_CHECKPOINTS` (an absolute one got the demo twin's configure run
    recorded under lab evpn-mh01, which a `rollback` of the real lab then chose) and
    `$NORNIR_EVPN_FAILOVER_STATE` (a real failover-test's would refuse the demo's configure)."""
    from nornir_evpn.checkpoint_record import RECORD_ENV
    from nornir_evpn.failover_state import STATE_ENV

    try:
        previous: Path | None = Path.cwd()
    except FileNotFoundError:  # started in a directory since removed: the demo needs none of it
        previous = None
    saved = {name: os.environ.get(name) for name in (RECORD_ENV, STATE_ENV)}
    os.chdir(path)
    os.environ[RECORD_ENV] = str(path / "checkpoints.json")
    os.environ[STATE_ENV] = str(path / "failover-state.json")
    try:
        yield
    finally:
        if previous is not None:
            os.chdir(previous)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _command(argv: list[str]) -> argparse.Namespace:
    from nornir_evpn.cli import build_parser

    return build_parser().parse_args(argv)


def _settle(twin_args: list[str], timeout: float) -> tuple[bool, list[str]]:
    """CE traffic from every CE to every other CE's IPs, then poll until the fabric is healthy."""
    ns = _command(["verify", *twin_args])
    target = build_target(ns)
    closers: list[Callable[[], None]] = []
    try:
        from nornir_evpn.twin.keys import twin_known_hosts
        from nornir_evpn.twin.state import read_twin_state

        state = read_twin_state(ns.twin_state)
        pingers = []
        for ce_name in sorted(target.fabric.ces):
            host, port = state.endpoints[ce_name]
            runner, close = ssh_ping_runner(host, port, state.username, password(),
                                            known_hosts=twin_known_hosts(ns.twin_state, scrapli=True))
            closers.append(close)
            pingers.append(warm_up_traffic(runner, other_ce_ips(target.fabric, ce_name)))
        evaluate = verify_evaluator(target.nr, target.fabric)

        def healthy_after_traffic() -> dict[tuple[str, str], bool]:
            # ping every round: packets sent before the LAGs came up taught no MAC
            for ping in pingers:
                ping()
            return {k: o.ok for k, o in evaluate(NO_FAULTS).items()}

        outcome = wait_for_state(healthy_after_traffic, t0=time.monotonic(), interval=0.5, timeout=timeout)
        return outcome.reached, [f"{c}@{h}" for c, h in outcome.failing]
    finally:
        for close in closers:
            close()
        target.nr.close_connections(on_failed=True)


@contextlib.contextmanager
def twin_process(state_file: Path, profile: str, log: Path) -> Iterator[dict[str, tuple[str, int]]]:
    """The twin in a child process (see module docstring); yields its endpoints, always stops it.

    A child, not a thread: an ssh2 session freed by the garbage collector blocks while
    holding the GIL until the server answers, which a twin in the same process never could.
    The child also exits when our end of its stdin pipe closes, so not even a SIGKILL of
    this process leaves it behind.
    """
    from nornir_evpn.twin.state import read_twin_state

    with log.open("w") as log_fh:
        proc = subprocess.Popen(
            [sys.executable, "-m", "nornir_evpn.commands.demo", "--serve-twin", str(state_file), profile,
             str(os.getpid())],
            stdin=subprocess.PIPE, stdout=log_fh, stderr=subprocess.STDOUT,
            # a session of its own: a terminal's Ctrl-C and `timeout` signal the demo's whole
            # process group, and a twin stopped with the demo left failover-test no device to
            # restore the link on (RESTORE FAILED, "demo FAILED"); the demo stops it itself
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + TWIN_START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                raise NornirEvpnError(f"demo twin exited with {proc.returncode}: {log.read_text()[-500:]}")
            try:
                state = read_twin_state(state_file)
                break
            except TwinNotRunningError:
                if time.monotonic() > deadline:
                    raise NornirEvpnError(f"demo twin did not start within {TWIN_START_TIMEOUT_S:g}s") from None
                time.sleep(0.05)
        yield state.endpoints
    finally:
        proc.terminate()  # first: a child that sees its stdin close first takes us for dead
        with contextlib.suppress(OSError):
            assert proc.stdin is not None
            proc.stdin.close()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


DEMO_TMP_PREFIX = "nornir-evpn-demo-"  # a demo killed with -9 leaves it: its twin removes it


def serve_twin(state_file: Path, profile: str, parent: int | None = None) -> None:
    """Child side of `twin_process`: serve until SIGTERM/SIGINT or stdin EOF."""
    import asyncio
    import signal
    import threading

    from nornir_evpn.twin import timing
    from nornir_evpn.twin.fabric_lab import attach
    from nornir_evpn.twin.runtime import Twin

    # the demo's pid, given: it may be dead (kill -9) before this child is even up
    parent = parent if parent is not None else os.getppid()
    why: list[str] = []  # what ended the twin first: "signal" (the demo's stop) or "eof"

    async def main() -> None:
        twin = Twin(packaged_topology())
        attach(twin, timing.get_profile(profile))
        await twin.start()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        def stop_for(reason: str) -> None:
            why.append(reason)
            stop.set()

        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop_for, "signal")

        def watch_parent() -> None:
            sys.stdin.buffer.read()  # returns at EOF: the parent closed the pipe or died
            loop.call_soon_threadsafe(stop_for, "eof")

        threading.Thread(target=watch_parent, daemon=True).start()
        twin.state().write(state_file)
        try:
            await stop.wait()
        finally:
            await twin.stop()

    asyncio.run(main())
    if why[:1] == ["eof"] and state_file.parent.name.startswith(DEMO_TMP_PREFIX):
        # the demo died without stopping us (kill -9): its temp directory is left to us. The
        # kernel closes a dying process's files before it hands its children to init: wait
        # for that, so a demo that is alive (it only closed the pipe) keeps its directory
        deadline = time.monotonic() + 2.0
        while os.getppid() == parent and time.monotonic() < deadline:
            time.sleep(0.02)
        if os.getppid() != parent:
            import shutil

            shutil.rmtree(state_file.parent, ignore_errors=True)


def run(args: argparse.Namespace) -> int:
    from nornir_evpn.commands.twin import refuse_native_windows

    refuse_native_windows()
    from nornir_evpn.commands import configure as configure_cmd
    from nornir_evpn.commands import failover as failover_cmd
    from nornir_evpn.commands import verify as verify_cmd
    console = console_for(args.json)
    steps: list[DemoStep] = []
    report: FailoverReport | None = None
    started = time.monotonic()

    def step(name: str, func: Any, argv: list[str]) -> int:
        print_step_header(console, name, "python -m nornir_evpn " + " ".join(argv))
        t = time.monotonic()
        with _stdout_to_stderr(args.json):
            rc = int(func(_command(argv)))
        if rc == EXIT_INTERRUPTED:  # the step swallowed our Ctrl-C: stop the demo too
            raise KeyboardInterrupt
        steps.append(DemoStep(name, rc == EXIT_OK, time.monotonic() - t, f"exit {rc}"))
        return rc

    try:
        with tempfile.TemporaryDirectory(prefix=DEMO_TMP_PREFIX) as tmp:
            state_file = Path(tmp) / "twin.json"
            t = time.monotonic()
            # steps run inside the temp dir: `-v` makes Nornir write ./nornir.log, and the
            # demo must leave the user's directory as it found it
            with twin_process(state_file, args.profile, Path(tmp) / "twin.log") as endpoints, _cwd(Path(tmp)):
                ports = [p for _, p in endpoints.values()]
                steps.append(DemoStep("twin", True, time.monotonic() - t,
                                      f"{len(endpoints)} nodes on 127.0.0.1, profile {args.profile}"))
                print_step_header(console, "twin", f"{len(endpoints)} nodes on 127.0.0.1 (ports {min(ports)}-"
                                  f"{max(ports)}), timing profile {args.profile}")
                common = ["--inventory", str(packaged_inventory()), "--twin", "--twin-state", str(state_file)]
                ok = step("configure", configure_cmd.run, ["configure", *common, "-v"]) == EXIT_OK
                if ok:
                    print_step_header(console, "traffic", "CE pings so every leaf learns the CE MACs; "
                                      "wait for the fabric to converge")
                    t = time.monotonic()
                    with _stdout_to_stderr(args.json):
                        settled, failing = _settle(common, SETTLE_TIMEOUT_S)
                    steps.append(DemoStep("traffic", settled, time.monotonic() - t,
                                          "fabric converged" if settled else "not healthy: " + ", ".join(failing)))
                    ok = step("verify", verify_cmd.run, ["verify", *common]) == EXIT_OK
                if ok:
                    argv = ["failover-test", *common, "--interval", str(args.interval),
                            "--timeout", str(args.timeout),
                            "--state-file", str(Path(tmp) / "failover-state.json")]
                    print_step_header(console, "failover-test", "python -m nornir_evpn " + " ".join(argv))
                    t = time.monotonic()
                    with _stdout_to_stderr(args.json):
                        rc, report = failover_cmd.execute(_command(argv))
                    if rc == EXIT_INTERRUPTED:
                        raise KeyboardInterrupt
                    steps.append(DemoStep("failover-test", rc == EXIT_OK, time.monotonic() - t, f"exit {rc}"))
    except KeyboardInterrupt:
        console.print("demo interrupted: twin stopped")
        if args.json:  # the steps it ran, and no pass
            emit_json({**demo_document(steps, report, False), "interrupted": True})
        return EXIT_INTERRUPTED
    ok = bool(steps) and all(s.ok for s in steps) and report is not None and report.ok
    print_summary(console, steps, report, ok, time.monotonic() - started)
    if args.json:
        emit_json(demo_document(steps, report, ok))
    return EXIT_OK if ok else EXIT_FAILED


if __name__ == "__main__":  # the demo's twin child: ... demo --serve-twin FILE PROFILE [DEMO_PID]
    if len(sys.argv) in (4, 5) and sys.argv[1] == "--serve-twin":
        serve_twin(Path(sys.argv[2]), sys.argv[3], int(sys.argv[4]) if len(sys.argv) == 5 else None)
