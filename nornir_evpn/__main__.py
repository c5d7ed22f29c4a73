import sys

try:
    from nornir_evpn.cli import main

    code = main()
except KeyboardInterrupt:  # Ctrl-C while the command modules are still importing
    sys.stderr.write("nornir-evpn: interrupted\n")
    code = 130
raise SystemExit(code)
