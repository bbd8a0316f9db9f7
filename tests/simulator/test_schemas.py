"""Every endpoint's answer, for a normal and an adversarial org, matches the official schemas."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from tests.simulator.conftest import Client
from tests.simulator.schemas import errors

# The gateway insights path is missing from the official OpenAPI file (it is newer); its answer is
# validated against the shape MIST_API.md describes instead.
INSIGHTS_SCHEMA = {
    "type": "object",
    "required": ["start", "end", "interval", "rt"],
    "properties": {
        "start": {"type": "integer"},
        "end": {"type": "integer"},
        "interval": {"type": "integer", "multipleOf": 300},
        "rt": {"type": "array", "items": {"type": "integer"}},
    },
    "additionalProperties": {"type": "array", "items": {"type": ["number", "null"]}},
}


def endpoints(sim):
    """(official path template, concrete path, query) for every simulated GET endpoint."""
    org = sim.org()
    gateway = next(g for g in org.gateways if g.role == "branch" and g.connected)
    site = gateway.site
    o, s, d = org.id, site.id, gateway.id
    return [
        ("/api/v1/self", "/api/v1/self", {}),
        ("/api/v1/orgs/{org_id}", f"/api/v1/orgs/{o}", {}),
        ("/api/v1/orgs/{org_id}/sites", f"/api/v1/orgs/{o}/sites", {"limit": 1000}),
        (
            "/api/v1/orgs/{org_id}/stats/devices",
            f"/api/v1/orgs/{o}/stats/devices",
            {"type": "gateway", "fields": "*", "limit": 1000},
        ),
        ("/api/v1/orgs/{org_id}/stats/devices", f"/api/v1/orgs/{o}/stats/devices", {"type": "gateway"}),
        (
            "/api/v1/orgs/{org_id}/stats/ports/search",
            f"/api/v1/orgs/{o}/stats/ports/search",
            {"device_type": "gateway", "limit": 1000},
        ),
        (
            "/api/v1/orgs/{org_id}/stats/vpn_peers/search",
            f"/api/v1/orgs/{o}/stats/vpn_peers/search",
            {"limit": 1000},
        ),
        (
            "/api/v1/orgs/{org_id}/inventory",
            f"/api/v1/orgs/{o}/inventory",
            {"type": "gateway", "limit": 1000},
        ),
        ("/api/v1/orgs/{org_id}/gatewaytemplates", f"/api/v1/orgs/{o}/gatewaytemplates", {}),
        ("/api/v1/orgs/{org_id}/deviceprofiles", f"/api/v1/orgs/{o}/deviceprofiles", {"type": "gateway"}),
        ("/api/v1/sites/{site_id}", f"/api/v1/sites/{s}", {}),
        ("/api/v1/sites/{site_id}/devices", f"/api/v1/sites/{s}/devices", {"type": "gateway"}),
        ("/api/v1/sites/{site_id}/devices/{device_id}", f"/api/v1/sites/{s}/devices/{d}", {}),
        (
            "/api/v1/sites/{site_id}/stats/devices/{device_id}",
            f"/api/v1/sites/{s}/stats/devices/{d}",
            {"fields": "*"},
        ),
        (
            "/api/v1/sites/{site_id}/stats/ports/search",
            f"/api/v1/sites/{s}/stats/ports/search",
            {"device_type": "gateway"},
        ),
        ("/api/v1/sites/{site_id}/devices/search", f"/api/v1/sites/{s}/devices/search", {"type": "gateway"}),
    ]


@pytest.mark.parametrize("flavour", ["normal", "adversarial"])
def test_every_endpoint_matches_the_official_schema(flavour, sim, adversarial_sim):
    simulator = sim if flavour == "normal" else adversarial_sim
    client = Client(simulator)
    checked = 0
    for template, path, query in endpoints(simulator):
        response = client.get(path, **query)
        assert response.status_code == 200, (path, response.text)
        document = response.json()
        assert document, f"{path} answered an empty document"
        assert errors(template, document) == [], template
        checked += 1
    assert checked == 16


def test_hub_config_and_device_overrides_match_the_schemas(sim):
    """Hubs (deviceprofile_id) and gateways with device-level port_config are schema-valid too."""
    client = Client(sim)
    org = sim.org()
    hub = next(g for g in org.gateways if g.role == "hub")
    overridden = next(g for g in org.gateways if g.device_port_config)
    for gateway in (hub, overridden):
        path = f"/api/v1/sites/{gateway.site.id}/devices/{gateway.id}"
        document = client.get(path).json()
        assert errors("/api/v1/sites/{site_id}/devices/{device_id}", document) == []
    assert client.get(f"/api/v1/sites/{hub.site.id}/devices/{hub.id}").json()["deviceprofile_id"]
    assert "port_config" in client.get(f"/api/v1/sites/{overridden.site.id}/devices/{overridden.id}").json()


def test_user_token_self_matches_the_schema(sim):
    document = Client(sim, token="user-tok").get("/api/v1/self").json()
    assert errors("/api/v1/self", document) == []
    assert document["email"]


@pytest.mark.parametrize("flavour", ["normal", "adversarial"])
def test_gateway_insights_match_the_documented_shape(flavour, sim, adversarial_sim):
    simulator = sim if flavour == "normal" else adversarial_sim
    org = simulator.org()
    gateway = next(g for g in org.gateways if g.role == "branch" and g.connected)
    port = gateway.wan_ports[0]
    response = Client(simulator).get(
        f"/api/v1/sites/{gateway.site.id}/insights/gateway/{gateway.id}/stats",
        metrics="rx_bps,tx_bps,latency,jitter,loss",
        port_id=port.port_id,
        duration="1d",
        interval="1800",
    )
    assert response.status_code == 200
    body = response.json()
    assert list(Draft202012Validator(INSIGHTS_SCHEMA).iter_errors(body)) == []
    assert len(body["rt"]) == 48 and all(len(body[m]) == 48 for m in ("rx_bps", "latency", "loss"))


def test_the_schema_check_does_catch_a_wrong_answer():
    """Guard against a validator that accepts anything: a wrong type must be reported."""
    assert errors("/api/v1/orgs/{org_id}/sites", [{"name": 5}]) != []
    assert errors("/api/v1/orgs/{org_id}/stats/ports/search", {"results": []}) != []
