"""Options shared by the Nornir commands and the one way to build a Nornir object from them."""

from __future__ import annotations

import argparse
import logging
import math
import sys
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from nornir import InitNornir
from nornir.core import Nornir
from nornir.core.filter import F
from nornir.core.plugins.inventory import InventoryPluginRegister

from nornir_evpn import run_context
from nornir_evpn.errors import InventoryError, TwinNotRunningError, UserInputError
from nornir_evpn.host_keys import unchecked_hosts, unchecked_note
from nornir_evpn.intent import FabricIntent
from nornir_evpn.inventory import _extended_groups, fabric_from_docs, load_inventory_docs, password
from nornir_evpn.inventory_plugin import DocsInventory
from nornir_evpn.outputs import ensure_writable
from nornir_evpn.run_log import log_format, log_start, own_the_log_file
from nornir_evpn.runner import InterruptSafeRunner
from nornir_evpn.ssh_keys import leave_out_rsa_keys

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CHANGED = 3  # configure --exit-code: a host changed or would change (nothing failed)
EXIT_INTERRUPTED = 130
MAX_WORKERS = 512  # default workers: one per host up to this


def default_inventory_dir() -> Path:
    """`./inventory` when it holds an inventory, else the packaged evpn-mh01 one."""
    local = Path("inventory")
    if (local / "hosts.yaml").is_file():
        return local
    return Path(str(resources.files("nornir_evpn.lab")))


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text}")
    return value


def positive_float(text: str) -> float:
    value = non_negative_float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def add_nornir_options(parser: argparse.ArgumentParser) -> None:
    g = parser.add_argument_group("target and output")
    g.add_argument("--inventory", type=Path, default=None, metavar="DIR",
                   help="Nornir SimpleInventory directory (default ./inventory, else the packaged evpn-mh01)")
    g.add_argument("--twin", action="store_true",
                   help="target the running digital twin (python -m nornir_evpn twin up) instead of the lab")
    g.add_argument("--twin-state", type=Path, default=None, metavar="FILE",
                   help="twin state file (default ./.nornir_evpn/twin.json or $NORNIR_EVPN_TWIN_STATE)")
    g.add_argument("--hosts", default=None, metavar="A,B", help="only these hosts")
    g.add_argument("--role", choices=["leaf", "spine"], default=None, help="only hosts of this role")
    g.add_argument("--workers", type=positive_int, default=None, metavar="N",
                   help=f"parallel workers (default: one per host, at most {MAX_WORKERS})")
    g.add_argument("--json", action="store_true", help="one JSON document on stdout, human output on stderr")
    g.add_argument("--junit", type=Path, default=None, metavar="FILE", help="write a JUnit XML report")
    g.add_argument("-v", "--verbose", action="count", default=0,
                   help="more detail: Nornir's log (-v INFO, -vv DEBUG) appended to --log-file; "
                        "configure also prints every host's diff")
    g.add_argument("--log-file", type=Path, default=None, metavar="FILE",
                   help="append Nornir's log to FILE (INFO, -vv DEBUG; with -v alone: ./nornir.log)")


@dataclass
class Target:
    """What a command runs against: the Nornir object (filtered) and the fabric intent."""

    nr: Nornir
    fabric: FabricIntent
    docs: dict[str, dict[str, Any]]
    inventory_dir: Path
    twin: bool
    twin_state: Path | None = None  # resolved, when the run is on the twin

    def describe(self) -> dict[str, Any]:
        """Which fabric a report is about (`"target"` in --json): an operator of two pods
        could not tell their documents apart."""
        return self.describe_of(self.fabric, self.inventory_dir, self.twin_state)

    @staticmethod
    def describe_of(fabric: FabricIntent, inventory_dir: Path, twin_state: Path | None) -> dict[str, Any]:
        return {"lab": fabric.name, "inventory": str(inventory_dir.resolve()),
                "twin_state": None if twin_state is None else str(twin_state)}


InventoryPluginRegister.register("NornirEvpnDocs", DocsInventory)


def quiet_library_logs() -> None:
    """Failed tasks are reported as one line each: keep nornir's and scrapli's tracebacks
    off stderr (with no handler configured, logging's last resort would print them)."""
    for name in ("nornir", "scrapli", "asyncssh", "paramiko"):
        logger = logging.getLogger(name)
        if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
            logger.addHandler(logging.NullHandler())


def stop_logging_when_it_cannot_write() -> None:
    """The --log-file handler (nornir's) on a full disk printed logging's "--- Logging error
    ---" traceback for every record: 7,620 lines of stderr for one `verify -vv`. The first
    failed write now says so in one line and the handler is removed (the run goes on)."""
    logger = logging.getLogger("nornir")
    lock = threading.Lock()
    for handler in list(logger.handlers):
        if not isinstance(handler, logging.FileHandler):
            continue

        def handle_error(record: logging.LogRecord, handler: logging.FileHandler = handler) -> None:
            exc = sys.exc_info()[1]
            with lock:
                if handler not in logger.handlers:
                    return
                logger.removeHandler(handler)
            run_context.note(f"--log-file {handler.baseFilename}: cannot write: "
                           f"{getattr(exc, 'strerror', None) or exc}; logging stopped")

        handler.handleError = handle_error  # type: ignore[method-assign]


def apply_twin_endpoints(docs: dict[str, dict[str, Any]], state_file: Path | None) -> dict[str, Any]:
    """Point every host at the twin's endpoint for its node; keep everything else."""
    from nornir_evpn.twin.keys import twin_known_hosts
    from nornir_evpn.twin.state import other_version_note, read_twin_state, state_path

    state = read_twin_state(state_file)
    note = other_version_note(state)
    if note is not None:
        run_context.note(note)
    endpoints = state.endpoints
    inv_lab = ((docs.get("defaults") or {}).get("data") or {}).get("lab")
    if inv_lab and state.lab and inv_lab != state.lab:
        raise TwinNotRunningError(
            f"the running twin ({state_path(state_file)}) serves lab {state.lab!r}, this inventory is lab "
            f"{inv_lab!r}; pass the --twin-state of that lab's twin, or start one with its topology"
        )
    for name, host in (docs.get("hosts") or {}).items():
        if name not in endpoints:
            raise TwinNotRunningError(
                f"host {name!r} is not served by the running twin (lab {state.lab!r}); "
                "start the twin with this inventory's topology"
            )
        host["hostname"], host["port"] = endpoints[name][0], int(endpoints[name][1])
        if state.username:  # the twin's one user, also for CEs (the ce group says root)
            host["username"] = state.username
    docs.setdefault("defaults", {})["username"] = state.username or docs["defaults"].get("username")
    # the twin's own host key, checked whatever the inventory says of keys (its settings are
    # for the lab's devices): what answers on a twin port without it gets no password
    groups = docs.get("groups") or {}
    files: dict[bool, str] = {}  # OpenSSH's (every [address]:port) or scrapli's own (the address)
    for host in (docs.get("hosts") or {}).values():
        options = _scrapli_options(host, groups, docs["defaults"])
        openssh = (options.get("extras") or {}).get("transport") == "system"
        if openssh not in files:
            files[openssh] = str(twin_known_hosts(state_file, scrapli=not openssh))
        known_hosts = files[openssh]
        extras = {**(options.get("extras") or {}), "auth_strict_key": True, "ssh_known_hosts_file": known_hosts}
        if openssh and any(c in known_hosts for c in " \t%"):
            # OpenSSH splits UserKnownHostsFile at blanks and expands %: quoted, given as
            # open_cmd (scrapli checks ssh_known_hosts_file is a file, then passes it bare)
            topts = dict(extras.get("transport_options") or {})
            user = topts.get("open_cmd") or []
            topts["open_cmd"] = ["-o", f'UserKnownHostsFile="{known_hosts.replace("%", "%%")}"',
                                 *([user] if isinstance(user, str) else user)]
            extras.update(ssh_known_hosts_file=False, transport_options=topts)
        options["extras"] = extras
        host.setdefault("connection_options", {})["scrapli"] = options
    # the twin takes its own password (NORNIR_EVPN_PASSWORD, else the lab default), never
    # the one a lab inventory sets for the real devices
    for spec in [*(docs.get("hosts") or {}).values(), *(docs.get("groups") or {}).values(), docs["defaults"]]:
        if isinstance(spec, dict):
            spec.pop("password", None)
    return docs


def _scrapli_options(host: dict[str, Any], groups: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """The host's own scrapli connection options with the `extras` and `platform` Nornir
    would resolve for it (host, its groups depth first, defaults): `extras` is taken whole
    from the first level that has any, so a host's own must carry its group's too; the
    platform goes with it, as the inventory plugin adds the SR Linux open/close by it."""
    levels = [host, *(groups.get(g) or {} for g in _extended_groups(list(host.get("groups") or []), groups)),
              defaults]
    found = [((level.get("connection_options") or {}).get("scrapli") or {}) for level in levels]
    options = dict(found[0])
    for key in ("extras", "platform"):
        value = next((f[key] for f in found if f.get(key) is not None), None)
        if value is not None:
            options[key] = value
    return options


def traffic_hint(args: argparse.Namespace) -> str | None:
    """On the twin, the command that sends CE traffic (offered when only MACs are missing)."""
    if not getattr(args, "twin", False):
        return None
    state = getattr(args, "twin_state", None)
    return "python -m nornir_evpn twin traffic" + (f" --twin-state {state}" if state else "")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


def refuse_reports_over_state_files(args: argparse.Namespace) -> None:
    """`--junit`/`--log-file` naming a file the tool steers by, or one another: exit 2, and
    the refusal's own JUnit case is not written there either. `verify --twin --junit
    .nornir_evpn/twin.json` replaced the twin's state with XML ("no digital twin is
    running", then `twin down` refused the file and the twin ran on, orphaned); `--junit F
    --log-file F` appended the log after the XML (not XML any more)."""
    from nornir_evpn import checkpoint_record, failover_state
    from nornir_evpn.twin.state import state_path

    # the twin's too without --twin: a run against the lab with `--junit .nornir_evpn/twin.json`
    # overwrote the state of a twin running beside it all the same (`--twin-state` needs --twin)
    twin = state_path(getattr(args, "twin_state", None))
    protected: list[tuple[Path, str]] = [
        (checkpoint_record.record_path(), "configure's checkpoint record"),
        (failover_state.state_file_path(getattr(args, "state_file", None)), "the failover-test state file"),
        (twin, "the twin's state file"), (Path(f"{twin}.key"), "the twin's host key"),
    ]
    junit, log_file = getattr(args, "junit", None), getattr(args, "log_file", None)
    for flag, path in (("--junit", junit), ("--log-file", log_file)):
        if path is None:
            continue
        for other, what in protected:
            if _same_file(Path(path), other):
                if flag == "--junit":
                    run_context.mark_reported("junit")  # (the refusal's case would go there too)
                raise UserInputError(f"{flag} {path}: is {what}; it would be overwritten (name another file)")
    if junit is not None and log_file is not None and _same_file(Path(junit), Path(log_file)):
        run_context.mark_reported("junit")
        raise UserInputError(f"--junit and --log-file name one file ({junit}): the log would end the XML; "
                             "name two files")


def build_target(
    args: argparse.Namespace, *, include_ce: bool = False, hosts_required: bool = True
) -> Target:
    """Load the inventory, validate it, apply --twin and filters, and init Nornir."""
    if getattr(args, "twin_state", None) is not None and not args.twin:
        # `twin traffic --twin-state X` needs no --twin; `verify --twin-state X` without it went
        # to the lab's addresses (and `configure` would commit there), the option ignored
        raise UserInputError(f"--twin-state {args.twin_state} without --twin: add --twin to target that "
                             "twin (without it the command targets the inventory's devices)")
    refuse_reports_over_state_files(args)
    if getattr(args, "junit", None):
        ensure_writable(args.junit, "--junit")
    from nornir_evpn import internal

    internal.reset()  # each run prints the traceback of a bug it hits (once), whatever ran before
    inv_dir = args.inventory or default_inventory_dir()
    docs = load_inventory_docs(Path(inv_dir))
    fabric = fabric_from_docs(docs, source=str(inv_dir))
    twin_state = None
    if args.twin:
        from nornir_evpn.twin.state import state_path

        twin_state = state_path(getattr(args, "twin_state", None)).resolve()
    # known from here: a run refused (--hosts nope) or interrupted before its report names it
    run_context.set_target(Target.describe_of(fabric, Path(inv_dir), twin_state))
    if args.twin:
        docs = apply_twin_endpoints(docs, getattr(args, "twin_state", None))
    # one worker per inventory host (CEs included, so any selection fits): with fewer
    # workers than hosts the last hosts wait for a whole host's time (128 workers for 130
    # hosts doubled configure's wall time at 128 leaves). Threads start only as needed.
    workers = args.workers or max(1, min(MAX_WORKERS, len(docs.get("hosts") or {})))
    # --log-file alone logs too: it was ignored without -v, and a user who asked for a log
    # found no file after a failed run
    log_file_given = getattr(args, "log_file", None)  # (a Namespace made by hand may lack it)
    logging_cfg: dict[str, Any] = {"enabled": bool(args.verbose or log_file_given)}
    if logging_cfg["enabled"]:
        # checked now: a read-only working directory was a PermissionError traceback
        log_file = ensure_writable(log_file_given or Path("nornir.log"), "--log-file")
        logging_cfg.update({"level": "DEBUG" if args.verbose > 1 else "INFO", "to_console": False,
                            "log_file": str(log_file), "format": log_format()})
    nr = InitNornir(
        runner={"plugin": "nornir_evpn.threaded",
                "options": {"num_workers": workers, "first": [n.name for n in fabric.spines]}},
        inventory={"plugin": "NornirEvpnDocs", "options": {"docs": docs, "password": password(docs)}},
        logging=logging_cfg,
    )
    # after InitNornir: nornir skips its nornir.log handler when the logger has any handler
    quiet_library_logs()
    stop_logging_when_it_cannot_write()
    own_the_log_file()  # UTC times, one line per record, the run's id
    log_start()
    if isinstance(nr.runner, InterruptSafeRunner):
        nr.runner.on_short_of_threads = run_context.note
    for note in leave_out_rsa_keys(nr.inventory.hosts.values()):  # before any login: ssh2 crashes on one
        run_context.note(note)
    if args.inventory is None and Path(inv_dir) != Path("inventory"):
        # a cron job or unit started in $HOME: the packaged lab's intent, not yours, would be
        # configured without a word
        run_context.note(f"no ./inventory/hosts.yaml here: using the packaged evpn-mh01 inventory ({inv_dir}); "
                       "pass --inventory for yours")
    everyone = nr.inventory.hosts
    if not include_ce:
        nr = nr.filter(F(groups__contains="srl"))
    srl = nr.inventory.hosts
    if args.role:
        nr = nr.filter(F(groups__contains=args.role))
    if args.hosts is not None:
        wanted = [h.strip() for h in args.hosts.split(",") if h.strip()]
        if not wanted:
            raise UserInputError(f"--hosts: no host named in {args.hosts!r}")
        for h in wanted:
            if h not in everyone:
                raise UserInputError(f"--hosts: unknown host {h!r} (not in {Path(inv_dir) / 'hosts.yaml'})")
            if h not in srl:
                raise UserInputError(f"--hosts: {h!r} is not an SR Linux host (a CE)")
            if h not in nr.inventory.hosts:
                raise UserInputError(f"--hosts: {h!r} is not a {args.role} (--role {args.role})")
        nr = nr.filter(filter_func=lambda h: h.name in wanted)
    if not args.twin:  # the selected hosts a password may go to unchecked (the twin: loopback)
        lab_data = (docs.get("defaults") or {}).get("data") or {}
        srl_hosts = [h for h in nr.inventory.hosts.values() if "srl" in h.groups]
        if unchecked := unchecked_hosts(srl_hosts, lab_data):
            run_context.note(unchecked_note(unchecked))
    if hosts_required and not nr.inventory.hosts:
        raise InventoryError(f"{inv_dir}: no hosts match the selection")
    return Target(nr=nr, fabric=fabric, docs=docs, inventory_dir=Path(inv_dir), twin=args.twin,
                  twin_state=twin_state)
