"""PortRow.template_vars_unresolved: only values that came from a config template say "unresolved".

Why: the page styles a value as an unresolved template variable only when the row says so; a site,
gateway or port-stats description that merely looks like ``{{7*7}}`` must look like any other text.
"""

from __future__ import annotations

from tests.unit.test_circuits import gateway_stat, port_named, rows_for, site, wan


def test_unfilled_config_variables_are_listed_by_field():
    config = {
        "ge-0/0/0": wan("{{isp_name}}", "static", ip="{{wan_ip}}/29", gateway="{{wan_gw}}"),
        "ge-0/0/1": wan("ISP-B", vlan_id="{{vlan}}"),
    }
    [row] = rows_for(gateway_stat(), config, sites=[site(variables={"isp_name": "Lumen"})])
    static = port_named(row, "ge-0/0/0")
    assert static["wan_name"] == "Lumen"  # filled: not listed
    assert static["template_vars_unresolved"] == ["gateway", "ip"]
    assert port_named(row, "ge-0/0/1")["template_vars_unresolved"] == ["vlan_id"]


def test_template_like_text_from_names_and_port_stats_is_not_a_variable():
    stat = gateway_stat(name="{{7*7}}")
    stat["ports"] = [{"port_id": "ge-0/0/0", "port_usage": "wan", "up": True, "port_desc": "{{7*7}}"}]
    [row] = rows_for(stat, {"ge-0/0/0": wan("ISP-A")}, sites=[site(name="{{7*7}}")])
    port = port_named(row, "ge-0/0/0")
    assert (row["name"], port["description"]) == ("{{7*7}}", "{{7*7}}")
    assert port["template_vars_unresolved"] == []
