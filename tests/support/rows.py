"""Table rows for tests that build snapshots by hand (problems, metrics).

Why one place: a PortRow or GatewayRow (circuits.py) has some twenty fields, and each test module
wants different defaults; the field list lives here once and the modules state only their defaults.
"""

from __future__ import annotations

PORT_FIELDS = (
    "name", "wan_name", "description", "enabled", "up", "gateway", "ip", "netmask", "vlan_id", "type",
    "override", "peers_up", "peers_total", "rx_bytes", "tx_bytes", "speed", "rx_bps", "tx_bps",
    "last_flapped",
)  # fmt: skip
GATEWAY_FIELDS = (
    "id", "name", "site_id", "site_name", "model", "status", "ext_ip", "uptime", "mac", "ports", "missing",
)  # fmt: skip


def port_row(defaults: dict, **values) -> dict:
    """A PortRow with every field: ``values`` over ``defaults`` over None."""
    return {**dict.fromkeys(PORT_FIELDS), **defaults, **values}


def gateway_row(defaults: dict, **values) -> dict:
    """A GatewayRow with every field (``missing`` empty): ``values`` over ``defaults`` over None."""
    return {**dict.fromkeys(GATEWAY_FIELDS), "missing": [], **defaults, **values}
