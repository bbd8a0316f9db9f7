"""Unit tests for circuits.py: raw Mist payloads (hand-built in the API's shape) -> rows."""

from __future__ import annotations

import json

import pytest

from circuits import (
    attribute_peer_path,
    build_gateway_rows,
    canonical_interface,
    effective_port_config,
    filter_rows,
    natural_key,
    normalise_netmask,
    path_counts_for_port,
    peer_path_rows,
    resolve_vars,
    summarize,
)

# Mist ids are UUIDs; shaping drops rows whose id is not one (issue #12).
SITE_ID = "5e000000-0000-4000-8000-000000000001"
SITE_2 = "5e000000-0000-4000-8000-000000000002"
TEMPLATE_ID = "7e000000-0000-4000-8000-000000000001"
PROFILE_ID = "9f000000-0000-4000-8000-00000000a0b1"
GW_ID = "00000000-0000-4000-8000-5c5b35000001"
HUB_1 = "00000000-0000-4000-8000-5c5b350000a1"
HUB_2 = "00000000-0000-4000-8000-5c5b350000a2"

# ---------------------------------------------------------------------------------------------
# Payload builders in the Mist shape
# ---------------------------------------------------------------------------------------------


def site(site_id=SITE_ID, name="Branch Alpha", template_id=TEMPLATE_ID, variables=None):
    """A site as listOrgSites answers it (vars only when the caller merged site settings)."""
    row = {"id": site_id, "name": name, "gatewaytemplate_id": template_id, "timezone": "UTC"}
    if variables is not None:
        row["vars"] = variables
    return row


def template(port_config, template_id=TEMPLATE_ID):
    """A gateway template as listOrgGatewayTemplates answers it."""
    return {"id": template_id, "name": "Branch template", "type": "standalone", "port_config": port_config}


def profile(port_config, profile_id=PROFILE_ID):
    """A gateway device profile (hub) as listOrgDeviceProfiles answers it."""
    return {"id": profile_id, "name": "Hub profile", "type": "gateway", "port_config": port_config}


def wan(name, ip_type="dhcp", **extra):
    """One port_config entry of usage wan."""
    entry = {"usage": "wan", "name": name, "ip_config": {"type": ip_type}}
    ip_config = {k: extra.pop(k) for k in ("ip", "netmask", "gateway") if k in extra}
    entry["ip_config"].update(ip_config)
    entry.update(extra)
    return entry


def gateway_stat(device_id=GW_ID, name="gw-alpha", site_id=SITE_ID, **extra):
    """A gateway row of listOrgDevicesStats(type=gateway, fields=*)."""
    row = {
        "id": device_id,
        "mac": "5c5b35000001",
        "name": name,
        "hostname": name,
        "type": "gateway",
        "model": "SRX320",
        "status": "connected",
        "uptime": 86400,
        "ext_ip": "198.51.100.7",
        "site_id": site_id,
        "if_stat": {},
        "ports": [],
        "vpn_peers": [],
    }
    row.update(extra)
    return row


def rows_for(stat, port_config=None, device_configs=None, sites=None, templates=None, **kw):
    """build_gateway_rows for one gateway with a template holding ``port_config``."""
    return build_gateway_rows(
        [stat],
        sites if sites is not None else [site()],
        templates if templates is not None else [template(port_config or {})],
        kw.get("device_profiles", []),
        kw.get("inventory", []),
        device_configs,
    )


def port_named(row, name):
    """The PortRow called ``name``."""
    matches = [port for port in row["ports"] if port["name"] == name]
    assert len(matches) == 1, [port["name"] for port in row["ports"]]
    return matches[0]


# ---------------------------------------------------------------------------------------------
# Config merge
# ---------------------------------------------------------------------------------------------


def test_device_config_overrides_template_per_interface():
    config = {"ge-0/0/0": wan("ISP-A"), "ge-0/0/1": wan("ISP-B"), "ge-0/0/2": {"usage": "lan"}}
    device = {"port_config": {"ge-0/0/1": wan("ISP-B static", "static", ip="192.0.2.2", netmask="/30")}}
    [row] = rows_for(gateway_stat(), config, device_configs={GW_ID: device})

    assert [p["name"] for p in row["ports"]] == ["ge-0/0/0", "ge-0/0/1"]
    assert port_named(row, "ge-0/0/0")["wan_name"] == "ISP-A"
    assert port_named(row, "ge-0/0/0")["override"] is False
    overridden = port_named(row, "ge-0/0/1")
    assert overridden["wan_name"] == "ISP-B static"
    assert overridden["type"] == "Static"
    assert overridden["ip"] == "192.0.2.2"
    assert overridden["override"] is True


def test_override_is_none_until_device_config_fetched():
    config = {"ge-0/0/0": wan("ISP-A")}
    [not_fetched] = rows_for(gateway_stat(), config, device_configs=None)
    [other_device_fetched] = rows_for(gateway_stat(), config, device_configs={"gw-other": {}})
    assert not_fetched["ports"][0]["override"] is None
    assert other_device_fetched["ports"][0]["override"] is None


def test_identical_device_entry_is_not_an_override():
    config = {"ge-0/0/0": wan("ISP-A")}
    [row] = rows_for(
        gateway_stat(), config, device_configs={GW_ID: {"port_config": {"ge-0/0/0": wan("ISP-A")}}}
    )
    assert row["ports"][0]["override"] is False


def test_device_can_add_a_wan_port_the_template_lacks():
    [row] = rows_for(
        gateway_stat(),
        {"ge-0/0/0": wan("ISP-A")},
        device_configs={GW_ID: {"port_config": {"ge-0/0/4": wan("LTE")}}},
    )
    assert port_named(row, "ge-0/0/4")["override"] is True
    assert port_named(row, "ge-0/0/0")["override"] is False


def test_hub_uses_device_profile_from_inventory_not_site_template():
    stat = gateway_stat(device_id=HUB_1, name="hub")
    inventory = [{"id": HUB_1, "mac": stat["mac"], "type": "gateway", "deviceprofile_id": PROFILE_ID}]
    [row] = build_gateway_rows(
        [stat],
        [site()],
        [template({"ge-0/0/0": wan("Branch ISP")})],
        [profile({"ge-0/0/3": wan("DC Transit", "static", ip="203.0.113.1", netmask="/31")})],
        inventory,
        None,
    )
    assert [p["name"] for p in row["ports"]] == ["ge-0/0/3"]
    assert row["ports"][0]["wan_name"] == "DC Transit"
    assert row["missing"] == []


def test_hub_profile_id_from_device_config_and_inventory_matched_by_mac():
    stat = gateway_stat(device_id=HUB_2)
    by_mac = [{"mac": stat["mac"], "deviceprofile_id": PROFILE_ID}]
    hub_profile = profile({"xe-0/0/0": wan("Transit")})
    [row] = build_gateway_rows([stat], [site()], [], [hub_profile], by_mac, None)
    assert [p["name"] for p in row["ports"]] == ["xe-0/0/0"]

    device = {"deviceprofile_id": PROFILE_ID, "port_config": {}}
    [row] = build_gateway_rows([stat], [site()], [], [hub_profile], [], {HUB_2: device})
    assert [p["name"] for p in row["ports"]] == ["xe-0/0/0"]
    assert row["ports"][0]["override"] is False


def test_unknown_template_and_profile_are_reported_missing():
    [row] = rows_for(gateway_stat(), templates=[])
    assert "template" in row["missing"]
    inventory = [{"id": GW_ID, "deviceprofile_id": "nope"}]
    [row] = rows_for(gateway_stat(), {}, inventory=inventory)
    assert "device_profile" in row["missing"]


def test_site_vars_are_resolved_and_unknown_placeholders_kept():
    config = {
        "ge-0/0/0": wan(
            "{{isp_name}}", "static", ip="{{wan_ip}}", netmask="{{wan_mask}}", gateway="{{wan_gw}}"
        ),
        "ge-0/0/1": wan("ISP-{{missing_var}}"),
    }
    variables = {
        "isp_name": "Lumen",
        "wan_ip": "192.0.2.10",
        "wan_mask": "255.255.255.248",
        "wan_gw": "192.0.2.9",
    }
    [row] = rows_for(gateway_stat(), config, sites=[site(variables=variables)])
    static = port_named(row, "ge-0/0/0")
    assert (static["wan_name"], static["ip"], static["netmask"], static["gateway"]) == (
        "Lumen",
        "192.0.2.10",
        "/29",
        "192.0.2.9",
    )
    assert port_named(row, "ge-0/0/1")["wan_name"] == "ISP-{{missing_var}}"


def test_resolve_vars_handles_keys_lists_and_non_strings():
    resolved = resolve_vars(
        {"{{port}}": {"vlan_id": "{{vlan}}", "list": ["{{vlan}}", 3]}}, {"port": "ge-0/0/5", "vlan": 42}
    )
    assert resolved == {"ge-0/0/5": {"vlan_id": "42", "list": ["42", 3]}}
    assert resolve_vars("{{x}}", {"x": {"nested": 1}}) == "{{x}}"


def test_effective_port_config_expands_ranges_before_overriding():
    merged = effective_port_config({"ge-0/0/0-2": {"usage": "lan"}}, {"ge-0/0/1": {"usage": "wan"}})
    assert merged == {
        "ge-0/0/0": {"usage": "lan"},
        "ge-0/0/1": {"usage": "wan"},
        "ge-0/0/2": {"usage": "lan"},
    }


# ---------------------------------------------------------------------------------------------
# Addressing
# ---------------------------------------------------------------------------------------------


def test_runtime_dhcp_address_from_if_stat_wins_over_config():
    stat = gateway_stat(
        if_stat={
            "ge-0/0/0.0": {
                "port_id": "ge-0/0/0",
                "port_usage": "wan",
                "wan_name": "ISP-A",
                "address_mode": "DHCP",
                "ips": ["fe80::1/64", "203.0.113.10/29"],
                "up": True,
                "vlan": 0,
            }
        }
    )
    [row] = rows_for(stat, {"ge-0/0/0": wan("ISP-A")})
    port = row["ports"][0]
    assert (port["ip"], port["netmask"], port["type"]) == ("203.0.113.10", "/29", "DHCP")
    assert port["gateway"] is None  # DHCP and the runtime gave no gateway
    assert port["up"] is True


def test_dhcp_without_runtime_address_is_unknown_not_config_junk():
    config = {"ge-0/0/0": wan("ISP-A", "dhcp", ip="10.9.9.9", gateway="10.9.9.1")}
    [row] = rows_for(gateway_stat(), config)
    port = row["ports"][0]
    assert (port["ip"], port["netmask"], port["gateway"]) == (None, None, None)


@pytest.mark.parametrize(
    ("mask", "expected"),
    [
        ("/29", "/29"),
        ("29", "/29"),
        (29, "/29"),
        ("255.255.255.248", "/29"),
        (" 255.255.255.0 ", "/24"),
        ("255.0.255.0", "255.0.255.0"),  # non-contiguous: shown as configured, not invented
        ("{{mask}}", "{{mask}}"),
        ("", None),
        (None, None),
    ],
)
def test_netmask_normalised_to_cidr(mask, expected):
    assert normalise_netmask(mask) == expected


def test_static_config_address_and_dotted_netmask():
    config = {
        "ge-0/0/1": wan("MPLS", "static", ip="192.0.2.2", netmask="255.255.255.252", gateway="192.0.2.1")
    }
    [row] = rows_for(gateway_stat(), config)
    port = row["ports"][0]
    assert (port["ip"], port["netmask"], port["gateway"], port["type"]) == (
        "192.0.2.2",
        "/30",
        "192.0.2.1",
        "Static",
    )


def test_static_ip_given_in_cidr_notation():
    [row] = rows_for(gateway_stat(), {"ge-0/0/1": wan("MPLS", "static", ip="192.0.2.2/30")})
    assert (row["ports"][0]["ip"], row["ports"][0]["netmask"]) == ("192.0.2.2", "/30")


def test_vlan_from_config_if_stat_or_suffix():
    stat = gateway_stat(
        if_stat={
            "ge-0/0/2.0": {"port_id": "ge-0/0/2", "port_usage": "wan", "vlan": 300, "wan_name": "ISP-C"},
        }
    )
    config = {"ge-0/0/0": wan("A", vlan_id="100"), "ge-0/0/1.200": wan("B")}
    [row] = rows_for(stat, config)
    assert port_named(row, "ge-0/0/0")["vlan_id"] == 100
    assert port_named(row, "ge-0/0/1.200")["vlan_id"] == 200
    # unit 0 carrying VLAN 300 is named like the config would name it: the port, with vlan_id 300
    runtime_only = port_named(row, "ge-0/0/2")
    assert runtime_only["vlan_id"] == 300
    assert runtime_only["wan_name"] == "ISP-C"


def test_if_stat_on_unit_zero_with_vlan_matches_config_port_with_that_vlan():
    stat = gateway_stat(
        if_stat={
            "ge-0/0/0.0": {
                "port_id": "ge-0/0/0",
                "port_usage": "wan",
                "vlan": 100,
                "ips": ["198.51.100.2/30"],
            }
        }
    )
    [row] = rows_for(stat, {"ge-0/0/0": wan("A", vlan_id=100)})
    assert [p["name"] for p in row["ports"]] == ["ge-0/0/0"]
    assert row["ports"][0]["ip"] == "198.51.100.2"


def test_runtime_only_wan_without_config_and_config_lan_wins():
    stat = gateway_stat(
        if_stat={
            "ge-0/0/5.0": {
                "port_id": "ge-0/0/5",
                "port_usage": "wan",
                "address_mode": "Static",
                "ips": ["192.0.2.50/24"],
            },
            "ge-0/0/6.0": {"port_id": "ge-0/0/6", "port_usage": "wan"},
        }
    )
    [row] = rows_for(stat, {"ge-0/0/6": {"usage": "lan"}})
    assert [p["name"] for p in row["ports"]] == ["ge-0/0/5"]
    port = row["ports"][0]
    assert (port["type"], port["ip"], port["netmask"], port["enabled"]) == (
        "Static",
        "192.0.2.50",
        "/24",
        None,
    )


# ---------------------------------------------------------------------------------------------
# Port stats and unknown values
# ---------------------------------------------------------------------------------------------


def test_port_stats_supply_up_speed_and_bytes():
    stat = gateway_stat(
        ports=[
            {
                "port_id": "ge-0/0/0",
                "up": False,
                "speed": 1000,
                "rx_bytes": 0,
                "tx_bytes": 12345,
                "port_usage": "wan",
            },
        ]
    )
    [row] = rows_for(stat, {"ge-0/0/0": wan("ISP-A", disabled=True)})
    port = row["ports"][0]
    assert port["up"] is False
    assert port["speed"] == 1000
    assert port["rx_bytes"] == 0  # a reported zero is a real zero
    assert port["tx_bytes"] == 12345
    assert port["enabled"] is False


def test_missing_values_stay_none_never_zero():
    stat = gateway_stat(uptime=None, ext_ip="", model=None)
    del stat["ports"], stat["vpn_peers"], stat["if_stat"]
    [row] = rows_for(stat, {"ge-0/0/0": wan("ISP-A")})
    assert (row["uptime"], row["ext_ip"], row["model"]) == (None, None, None)
    port = row["ports"][0]
    for field in (
        "up",
        "rx_bytes",
        "tx_bytes",
        "speed",
        "peers_up",
        "peers_total",
        "ip",
        "netmask",
        "vlan_id",
    ):
        assert port[field] is None, field
    assert row["missing"] == ["if_stat", "ports", "vpn_peers"]


def test_speed_zero_reads_as_unknown():
    stat = gateway_stat(ports=[{"port_id": "ge-0/0/0", "up": False, "speed": 0}])
    [row] = rows_for(stat, {"ge-0/0/0": wan("ISP-A")})
    assert row["ports"][0]["speed"] is None


def test_subinterface_takes_physical_stats_only_when_it_is_the_ports_only_circuit():
    parent = {"port_id": "ge-0/0/0", "up": True, "speed": 1000, "rx_bytes": 500, "tx_bytes": 600}
    [single] = rows_for(gateway_stat(ports=[parent]), {"ge-0/0/0.100": wan("A")})
    assert (single["ports"][0]["rx_bytes"], single["ports"][0]["speed"], single["ports"][0]["up"]) == (
        500,
        1000,
        True,
    )

    [shared] = rows_for(gateway_stat(ports=[parent]), {"ge-0/0/0.100": wan("A"), "ge-0/0/0.200": wan("B")})
    for port in shared["ports"]:
        assert port["rx_bytes"] is None  # the parent counts both VLANs: not attributable
        assert port["speed"] == 1000


def test_gateway_without_wan_ports_has_empty_ports():
    [row] = rows_for(gateway_stat(), {"ge-0/0/1": {"usage": "lan"}})
    assert row["ports"] == []
    assert row["missing"] == []


def test_gateway_row_fields_and_name_fallback_to_hostname():
    stat = gateway_stat(name=None, hostname="srx-host")
    [row] = rows_for(stat, {})
    assert row["name"] == "srx-host"
    assert (row["id"], row["site_id"], row["site_name"], row["model"], row["status"]) == (
        GW_ID,
        SITE_ID,
        "Branch Alpha",
        "SRX320",
        "connected",
    )
    assert (row["ext_ip"], row["uptime"], row["mac"]) == ("198.51.100.7", 86400, "5c5b35000001")


def test_rows_are_json_serialisable_with_interface_keys():
    [row] = rows_for(gateway_stat(), {"ge-0/0/0": wan("A")})
    decoded = json.loads(json.dumps(row))
    assert list(decoded) == [
        "id",
        "name",
        "site_id",
        "site_name",
        "model",
        "status",
        "ext_ip",
        "uptime",
        "last_seen",
        "mac",
        "ports",
        "missing",
    ]
    assert list(decoded["ports"][0]) == [
        "name", "wan_name", "description", "enabled", "up", "gateway", "ip", "netmask", "vlan_id",
        "type", "override", "peers_up", "peers_total", "rx_bytes", "tx_bytes", "speed",
        "rx_bps", "tx_bps", "last_flapped", "template_vars_unresolved",
    ]  # fmt: skip


def test_non_gateway_stats_rows_are_skipped():
    rows = build_gateway_rows(
        [gateway_stat(), {"type": "ap", "id": "ap-1", "mac": "x"}], [site()], [], [], [], None
    )
    assert [row["id"] for row in rows] == [GW_ID]


# ---------------------------------------------------------------------------------------------
# Natural sort
# ---------------------------------------------------------------------------------------------


def test_ports_sorted_naturally():
    config = {name: wan(name) for name in ("ge-0/0/10", "ge-0/0/2", "ge-0/0/1.100", "ge-0/0/1", "ge-1/0/0")}
    [row] = rows_for(gateway_stat(), config)
    assert [p["name"] for p in row["ports"]] == [
        "ge-0/0/1",
        "ge-0/0/1.100",
        "ge-0/0/2",
        "ge-0/0/10",
        "ge-1/0/0",
    ]


def test_natural_key_is_case_insensitive_and_none_last():
    names = ["Site 10", None, "site 9", "Site 1"]
    assert sorted(names, key=natural_key) == ["Site 1", "site 9", "Site 10", None]


def test_gateways_sorted_by_site_then_name():
    stats = [
        gateway_stat(HUB_1, "gw-10", site_id=SITE_2),
        gateway_stat(HUB_2, "gw-2", site_id=SITE_2),
        gateway_stat(GW_ID, "gw-z", site_id=SITE_ID),
    ]
    sites = [site(SITE_ID, "Alpha", None), site(SITE_2, "Bravo", None)]
    rows = build_gateway_rows(stats, sites, [], [], [], None)
    assert [row["name"] for row in rows] == ["gw-z", "gw-2", "gw-10"]


# ---------------------------------------------------------------------------------------------
# Peer paths
# ---------------------------------------------------------------------------------------------


def path(port_id, up=True, vpn="Hub-A", peer="hub-1", **extra):
    """One vpn_peers entry as the stats embed it."""
    return {
        "port_id": port_id,
        "vpn_name": vpn,
        "peer_router_name": peer,
        "peer_port_id": "ge-0/0/3",
        "up": up,
        **extra,
    }


def test_peer_counts_per_port():
    peers = [path("ge-0/0/0"), path("ge-0/0/0", up=False, vpn="Hub-B"), path("ge-0/0/1"), path("ge-0/0/9")]
    [row] = rows_for(gateway_stat(vpn_peers=peers), {"ge-0/0/0": wan("A"), "ge-0/0/1": wan("B")})
    assert (port_named(row, "ge-0/0/0")["peers_up"], port_named(row, "ge-0/0/0")["peers_total"]) == (1, 2)
    assert (port_named(row, "ge-0/0/1")["peers_up"], port_named(row, "ge-0/0/1")["peers_total"]) == (1, 1)


def test_peer_counts_zero_when_known_empty_and_none_when_unknown():
    [known] = rows_for(gateway_stat(vpn_peers=[]), {"ge-0/0/0": wan("A")})
    assert (known["ports"][0]["peers_up"], known["ports"][0]["peers_total"]) == (0, 0)
    [unknown] = rows_for(gateway_stat(vpn_peers=None), {"ge-0/0/0": wan("A")})
    assert (unknown["ports"][0]["peers_up"], unknown["ports"][0]["peers_total"]) == (None, None)


def test_subinterface_peer_paths():
    peers = [
        path("ge-0/0/0.100"),  # exact sub-interface
        path("ge-0/0/0", up=False),  # physical, no parent row, one sub-interface -> that one
        path("ge-0/0/1"),  # physical with a parent row -> parent, not its sub-interface
        path("ge-0/0/1.200", up=False),  # exact sub-interface of ge-0/0/1
        path("ge-0/0/2"),  # physical with two sub-interface rows -> not guessed
    ]
    config = {
        "ge-0/0/0.100": wan("A"),
        "ge-0/0/1": wan("B"),
        "ge-0/0/1.200": wan("C"),
        "ge-0/0/2.10": wan("D"),
        "ge-0/0/2.20": wan("E"),
    }
    [row] = rows_for(gateway_stat(vpn_peers=peers), config)
    counts = {p["name"]: (p["peers_up"], p["peers_total"]) for p in row["ports"]}
    assert counts == {
        "ge-0/0/0.100": (1, 2),
        "ge-0/0/1": (1, 1),
        "ge-0/0/1.200": (0, 1),
        "ge-0/0/2.10": (0, 0),
        "ge-0/0/2.20": (0, 0),
    }


def test_peer_path_on_vlan_interface_counts_for_port_configured_with_that_vlan():
    ports = [{"name": "ge-0/0/0", "vlan_id": 100}, {"name": "ge-0/0/0.200", "vlan_id": None}]
    assert attribute_peer_path("ge-0/0/0.100", ports) == "ge-0/0/0"
    assert attribute_peer_path("ge-0/0/0.0", ports) == "ge-0/0/0"
    assert attribute_peer_path("ge-0/0/0.300", ports) is None
    assert attribute_peer_path(None, ports) is None


def test_peer_path_rows_normalised_and_sorted_down_first():
    peers = [
        path("ge-0/0/0", up=True, vpn="Zulu", latency=12.5, mos=4.3, hop_count=2),
        path("ge-0/0/0", up=False, vpn="Bravo"),
        path("ge-0/0/0", up=True, vpn="Alpha", type="ipsec", mtu=1400),
        path("ge-0/0/1", up=False, vpn="Alpha"),
        "not-a-dict",
    ]
    rows = peer_path_rows(peers, None)
    assert [(r["up"], r["vpn_name"], r["port_id"]) for r in rows] == [
        (False, "Alpha", "ge-0/0/1"),
        (False, "Bravo", "ge-0/0/0"),
        (True, "Alpha", "ge-0/0/0"),
        (True, "Zulu", "ge-0/0/0"),
    ]
    zulu = rows[-1]
    assert (zulu["latency"], zulu["mos"], zulu["hop_count"], zulu["loss"], zulu["jitter"]) == (
        12.5,
        4.3,
        2,
        None,
        None,
    )
    assert set(zulu) == {
        "port_id", "vpn_name", "peer_router_name", "peer_port_id", "up", "is_active", "type",
        "latency", "loss", "jitter", "mos", "uptime", "mtu", "hop_count",
    }  # fmt: skip


def test_peer_path_rows_filtered_by_port_with_and_without_sibling_rows():
    peers = [path("ge-0/0/0"), path("ge-0/0/0.100", vpn="B"), path("ge-0/0/1", vpn="C")]
    only_sub = [{"name": "ge-0/0/0.100", "vlan_id": 100}]
    assert [r["vpn_name"] for r in peer_path_rows(peers, "ge-0/0/0.100", only_sub)] == ["B", "Hub-A"]
    # without the gateway's rows only the exact interface matches
    assert [r["vpn_name"] for r in peer_path_rows(peers, "ge-0/0/0.100")] == ["B"]
    assert [r["vpn_name"] for r in peer_path_rows(peers, "ge-0/0/1")] == ["C"]


def test_canonical_interface_drops_unit_zero_only():
    assert canonical_interface("ge-0/0/0.0") == "ge-0/0/0"
    assert canonical_interface("ge-0/0/0.10") == "ge-0/0/0.10"
    assert canonical_interface("ge-0/0/0") == "ge-0/0/0"


# ---------------------------------------------------------------------------------------------
# Summary and filter
# ---------------------------------------------------------------------------------------------


def _row(name, site_name, status, ups, site_id="s", mac="5c5b35aabbcc", ext_ip="192.0.2.1"):
    ports = [{"name": f"ge-0/0/{i}", "up": up} for i, up in enumerate(ups)]
    return {"id": name, "name": name, "site_id": site_id, "site_name": site_name, "status": status,
            "mac": mac, "ext_ip": ext_ip, "ports": ports}  # fmt: skip


def test_summarize_counts_connected_and_ports_up():
    rows = [
        _row("a", "S1", "connected", [True, False, None]),
        _row("b", "S1", "disconnected", []),
        _row("c", "S2", "connected", [True]),
    ]
    assert summarize(rows) == {"gateways": 3, "connected": 2, "wan_ports": 4, "wan_ports_up": 2}
    assert summarize([]) == {"gateways": 0, "connected": 0, "wan_ports": 0, "wan_ports_up": 0}


def test_filter_by_site_and_case_insensitive_query():
    rows = [
        _row(
            "NYC-Edge-01",
            "New York",
            "connected",
            [],
            site_id="s1",
            mac="5c5b35000001",
            ext_ip="198.51.100.1",
        ),
        _row(
            "lon-edge-01", "London", "connected", [], site_id="s2", mac="5c5b35000002", ext_ip="203.0.113.9"
        ),
    ]
    assert [r["name"] for r in filter_rows(rows, site_id="s2")] == ["lon-edge-01"]
    assert [r["name"] for r in filter_rows(rows, query="EDGE")] == ["NYC-Edge-01", "lon-edge-01"]
    assert [r["name"] for r in filter_rows(rows, query="new york")] == ["NYC-Edge-01"]
    assert [r["name"] for r in filter_rows(rows, query="203.0.113")] == ["lon-edge-01"]
    assert [r["name"] for r in filter_rows(rows, query="5C:5B:35:00:00:02")] == ["lon-edge-01"]
    assert [r["name"] for r in filter_rows(rows, site_id="s1", query="lon")] == []
    assert len(filter_rows(rows, query="   ")) == 2
    assert filter_rows(rows, query="nomatch") == []


def test_live_disabled_flag_beats_template_when_device_override_not_fetched():
    stat = gateway_stat(ports=[{"port_id": "ge-0/0/1", "up": False, "disabled": True}])
    [row] = rows_for(stat, {"ge-0/0/0": wan("A"), "ge-0/0/1": wan("B")})
    assert port_named(row, "ge-0/0/1")["enabled"] is False
    assert port_named(row, "ge-0/0/0")["enabled"] is True  # no live flag: the config says enabled


def test_wan_record_preferred_over_lan_record_sharing_the_physical_port():
    stat = gateway_stat(
        ports=[
            {"port_id": "ge-0/0/1", "port_usage": "wan", "up": True, "speed": 1000, "rx_bytes": 7},
            {"port_id": "ge-0/0/1", "port_usage": "lan", "up": False, "speed": 100, "rx_bytes": 9},
        ]
    )
    [row] = rows_for(stat, {"ge-0/0/1.100": wan("INET", vlan_id=100)})
    port = row["ports"][0]
    assert (port["up"], port["speed"], port["rx_bytes"]) == (True, 1000, 7)


def test_path_counts_for_port_with_and_without_rows():
    rows = [{"name": "ge-0/0/1.100", "vlan_id": 100}]
    assert path_counts_for_port("ge-0/0/1", "ge-0/0/1.100", rows) is True
    assert path_counts_for_port("ge-0/0/1", "ge-0/0/1.100") is False
    assert path_counts_for_port("ge-0/0/1.100", "ge-0/0/1.100") is True
    assert path_counts_for_port(None, "ge-0/0/1.100") is False
