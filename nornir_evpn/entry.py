"""The process's entry point: `python -m nornir_evpn` and the `nornir-evpn` script.

Its one job before the CLI is imported (0.2 s): from the first line on, a Ctrl-C, SIGTERM or
SIGHUP is recorded (`signals.defer_start`) and answered once the imports are in, as a run
interrupted before its report (exit 130, `--json` and `--junit` answered): a CI job cancelled
right after it started must not leave an old passing JUnit file behind.
"""

import sys

from nornir_evpn.signals import defer_start, ignore_all

# what only an install maps into the package (pyproject's package-dir): from a checkout
# installed without -e, `python -m nornir_evpn` run inside it imports the checkout's
# nornir_evpn/ (the current directory comes first), which has none of them
MAPPED = ("nornir_evpn.tasks", "nornir_evpn.templates", "nornir_evpn.lab")


def main() -> int:
    defer_start()
    try:
        from nornir_evpn.cli import main as cli_main

        code = cli_main()
    except KeyboardInterrupt:  # a SIGINT handler of the caller's own (not deferred) fired
        sys.stderr.write("nornir-evpn: interrupted\n")
        return 130
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith(MAPPED):
            raise
        sys.stderr.write(
            f"nornir-evpn: error: no module {exc.name}: this is the checkout's nornir_evpn/, which only an "
            "editable install maps (`pip install -e .` here), or run from another directory\n")
        return 2
    # the report is out: a signal during the interpreter's teardown (which puts Python's own
    # handlers back to the default) would turn its exit code into a death by signal
    ignore_all()
    return code
