from nornir_evpn.entry import main

raise SystemExit(main())
