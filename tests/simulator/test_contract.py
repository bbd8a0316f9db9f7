"""Contract: every endpoint the simulator serves answers in the shape the vendored description gives.

Why a walk over the route table: a new endpoint added to the simulator without a schema check
would let the dashboard be tested against shapes the real cloud never sends. The walk fails when
a route has no request here, and follows every `next` cursor so later pages are checked too.
"""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from mist_simulator.api import ROUTES
from tests.simulator.conftest import Client
from tests.simulator.schemas import errors
from tests.simulator.test_schemas import INSIGHTS_SCHEMA


def requests_for(sim) -> list[tuple[str, str, str, dict]]:
    """(operationId, description path, concrete path, query) for every route, some several times."""
    org = sim.org()
    branch = next(g for g in org.gateways if g.role == "branch" and g.connected and g.site.vars)
    hub = next(g for g in org.gateways if g.role == "hub")
    o, s, d = org.id, branch.site.id, branch.id
    events = {"device_type": "gateway", "duration": "7d", "limit": 250}
    return [
        ("getSelf", "/api/v1/self", "/api/v1/self", {}),
        ("getOrg", "/api/v1/orgs/{org_id}", f"/api/v1/orgs/{o}", {}),
        ("listOrgSites", "/api/v1/orgs/{org_id}/sites", f"/api/v1/orgs/{o}/sites", {"limit": 1000}),
        (
            "listOrgDevicesStats",
            "/api/v1/orgs/{org_id}/stats/devices",
            f"/api/v1/orgs/{o}/stats/devices",
            {"type": "gateway", "fields": "*", "limit": 1000},
        ),
        (
            "searchOrgSwOrGwPorts",
            "/api/v1/orgs/{org_id}/stats/ports/search",
            f"/api/v1/orgs/{o}/stats/ports/search",
            {"device_type": "gateway", "limit": 40},
        ),
        (
            "searchOrgPeerPathStats",
            "/api/v1/orgs/{org_id}/stats/vpn_peers/search",
            f"/api/v1/orgs/{o}/stats/vpn_peers/search",
            {"limit": 1000},
        ),
        (
            "getOrgInventory",
            "/api/v1/orgs/{org_id}/inventory",
            f"/api/v1/orgs/{o}/inventory",
            {"type": "gateway"},
        ),
        (
            "listOrgGatewayTemplates",
            "/api/v1/orgs/{org_id}/gatewaytemplates",
            f"/api/v1/orgs/{o}/gatewaytemplates",
            {},
        ),
        (
            "getOrgGatewayTemplate",
            "/api/v1/orgs/{org_id}/gatewaytemplates/{gatewaytemplate_id}",
            f"/api/v1/orgs/{o}/gatewaytemplates/{branch.site.gatewaytemplate_id}",
            {},
        ),
        (
            "listOrgDeviceProfiles",
            "/api/v1/orgs/{org_id}/deviceprofiles",
            f"/api/v1/orgs/{o}/deviceprofiles",
            {"type": "gateway"},
        ),
        (
            "getOrgDeviceProfile",
            "/api/v1/orgs/{org_id}/deviceprofiles/{deviceprofile_id}",
            f"/api/v1/orgs/{o}/deviceprofiles/{hub.deviceprofile_id}",
            {},
        ),
        (
            "searchOrgDevices",
            "/api/v1/orgs/{org_id}/devices/search",
            f"/api/v1/orgs/{o}/devices/search",
            {"type": "gateway", "stats": "true", "limit": 25},
        ),
        (
            "searchOrgDevices",
            "/api/v1/orgs/{org_id}/devices/search",
            f"/api/v1/orgs/{o}/devices/search",
            {"type": "gateway"},
        ),
        (
            "searchOrgDeviceEvents",
            "/api/v1/orgs/{org_id}/devices/events/search",
            f"/api/v1/orgs/{o}/devices/events/search",
            events,
        ),
        (
            "searchOrgDeviceEvents",
            "/api/v1/orgs/{org_id}/devices/events/search",
            f"/api/v1/orgs/{o}/devices/events/search",
            {**events, "type": "GW_PORT_DOWN,GW_PORT_UP", "sort": "-timestamp"},
        ),
        (
            "countOrgDeviceEvents",
            "/api/v1/orgs/{org_id}/devices/events/count",
            f"/api/v1/orgs/{o}/devices/events/count",
            {"distinct": "type", "duration": "7d"},
        ),
        (
            "countOrgDeviceEvents",
            "/api/v1/orgs/{org_id}/devices/events/count",
            f"/api/v1/orgs/{o}/devices/events/count",
            {"distinct": "mac", "duration": "7d"},
        ),
        ("getSiteInfo", "/api/v1/sites/{site_id}", f"/api/v1/sites/{s}", {}),
        ("getSiteSetting", "/api/v1/sites/{site_id}/setting", f"/api/v1/sites/{s}/setting", {}),
        (
            "getSiteSettingDerived",
            "/api/v1/sites/{site_id}/setting/derived",
            f"/api/v1/sites/{s}/setting/derived",
            {},
        ),
        (
            "listSiteDevices",
            "/api/v1/sites/{site_id}/devices",
            f"/api/v1/sites/{s}/devices",
            {"type": "gateway"},
        ),
        (
            "searchSiteDevices",
            "/api/v1/sites/{site_id}/devices/search",
            f"/api/v1/sites/{s}/devices/search",
            {"type": "gateway", "stats": "true"},
        ),
        (
            "getSiteDevice",
            "/api/v1/sites/{site_id}/devices/{device_id}",
            f"/api/v1/sites/{s}/devices/{d}",
            {},
        ),
        (
            "getSiteDeviceStats",
            "/api/v1/sites/{site_id}/stats/devices/{device_id}",
            f"/api/v1/sites/{s}/stats/devices/{d}",
            {"fields": "*"},
        ),
        (
            "searchSiteSwOrGwPorts",
            "/api/v1/sites/{site_id}/stats/ports/search",
            f"/api/v1/sites/{s}/stats/ports/search",
            {"device_type": "gateway"},
        ),
        (
            "getSiteInsightMetricsForGateway",
            "",  # newer than the description: checked against the documented shape
            f"/api/v1/sites/{s}/insights/gateway/{d}/stats",
            {
                "metrics": "rx_bps,tx_bps",
                "port_id": branch.wan_ports[0].port_id,
                "duration": "1d",
                "interval": "3600",
            },
        ),
    ]


@pytest.mark.parametrize("flavour", ["normal", "adversarial"])
def test_every_served_endpoint_validates_on_every_page(flavour, sim, adversarial_sim):
    simulator = sim if flavour == "normal" else adversarial_sim
    client = Client(simulator)
    simulator.reset_calls()
    pages = 0
    for operation, template, path, query in requests_for(simulator):
        response = client.get(path, **query)
        while True:
            assert response.status_code == 200, (operation, response.text[:200])
            document = response.json()
            assert document, f"{operation} answered an empty document"
            if template:
                assert errors(template, document) == [], (operation, query)
            else:
                assert list(Draft202012Validator(INSIGHTS_SCHEMA).iter_errors(document)) == []
            pages += 1
            cursor = document.get("next") if isinstance(document, dict) else None
            if not cursor:
                break
            assert cursor.startswith("/api/v1/")
            response = client.session.get(client.base + cursor, timeout=5)
    counted = simulator.calls()["by_operation"]
    assert counted["searchOrgDeviceEvents"] >= 3, "the event search was paged"
    assert pages == simulator.calls()["total"]


def test_the_walk_covers_every_route(sim):
    walked = {operation for operation, *_ in requests_for(sim)}
    assert walked == {operation for operation, _pattern in ROUTES}


def test_every_route_answers_its_own_operation_id(sim):
    """The operationId in calls() is the one the description gives the path."""
    from tests.simulator.schemas import spec

    described = {path: item["get"]["operationId"] for path, item in spec()["paths"].items() if "get" in item}
    for operation, template, *_ in requests_for(sim):
        if template:
            assert described[template] == operation
