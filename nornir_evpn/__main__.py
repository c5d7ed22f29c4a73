import sys

# what only an install maps into the package (pyproject's package-dir): from a checkout
# installed without -e, `python -m nornir_evpn` run inside it imports the checkout's
# nornir_evpn/ (the current directory comes first), which has none of them
MAPPED = ("nornir_evpn.tasks", "nornir_evpn.templates", "nornir_evpn.lab")

try:
    from nornir_evpn.cli import main

    code = main()
except KeyboardInterrupt:  # Ctrl-C while the command modules are still importing
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
