import sys

from nornir_evpn.signals import ALL_SIGNALS, not_ignored, terminate_on_signals

# what only an install maps into the package (pyproject's package-dir): from a checkout
# installed without -e, `python -m nornir_evpn` run inside it imports the checkout's
# nornir_evpn/ (the current directory comes first), which has none of them
MAPPED = ("nornir_evpn.tasks", "nornir_evpn.templates", "nornir_evpn.lab")

# a CI job cancelled while the CLI imports (0.3 s) must still get its --json/--junit answer:
# SIGTERM/SIGHUP raise as Ctrl-C does from the first line on
terminate_on_signals()
try:
    from nornir_evpn.cli import main

    code = main()
except KeyboardInterrupt as exc:  # a signal while the CLI itself is still importing
    import signal

    for sig in not_ignored(ALL_SIGNALS):
        signal.signal(sig, signal.SIG_IGN)  # the answer below imports the CLI again (0.2 s)
    try:
        from nornir_evpn.cli import report_interrupted_start

        report_interrupted_start(sys.argv[1:], getattr(exc, "signame", "SIGINT"))
    except Exception:
        sys.stderr.write("nornir-evpn: interrupted\n")
    code = 130
except ModuleNotFoundError as exc:
    if not (exc.name or "").startswith(MAPPED):
        raise
    sys.stderr.write(
        f"nornir-evpn: error: no module {exc.name}: this is the checkout's nornir_evpn/, which only an "
        "editable install maps (`pip install -e .` here), or run from another directory\n")
    code = 2
raise SystemExit(code)
