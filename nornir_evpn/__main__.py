from nornir_evpn.cli import main

raise SystemExit(main())
