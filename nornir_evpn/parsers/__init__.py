"""Text parsers for the SR Linux `show` commands verify reads (one module per command).

| command (spelling in `nornir_evpn.platform`)                  | parser                                  |
|---------------------------------------------------------------|-----------------------------------------|
| `show interface <lag>`                                        | `interface.parse_show_interface`        |
| `show lag <lag> lacp-state`                                   | `lacp.parse_lacp_state`                 |
| `show system network-instance ethernet-segments <es> detail`  | `ethernet_segment.parse_ethernet_segment` |
| `show network-instance default protocols bgp neighbor`        | `bgp_neighbors.parse_bgp_neighbors`     |
| `... bgp neighbor <ip> advertised-routes evpn`                | `bgp_advertised.parse_advertised_evpn`  |
| `... bgp routes evpn route-type summary`                      | `evpn_summary.parse_evpn_summary`       |
| `show network-instance <mac-vrf> bridge-table mac-table all`  | `mac_table.parse_mac_table`             |
| `show tunnel-interface vxlan-interface brief`                 | `vxlan.parse_vxlan_brief`               |

Each returns dataclasses and raises `nornir_evpn.errors.ParseError` on output it does not
understand; box tables with wrapped cells are read by `tables.iter_tables`.
"""
