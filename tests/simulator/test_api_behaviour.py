"""Routing, filters, pagination, errors and the realism of the generated org."""

from __future__ import annotations

from mist_simulator import MIST_HOSTS
from mist_simulator.names import ADVERSARIAL
from tests.simulator.conftest import Client, make_sim


def test_every_mist_host_is_served(sim):
    assert len(MIST_HOSTS) == 16
    for host in MIST_HOSTS:
        response = Client(sim, host=host).get("/api/v1/self")
        assert response.status_code == 200, host


def test_answers_are_real_json_responses(client, sim):
    response = client.get(f"/api/v1/orgs/{sim.org_id}")
    assert response.headers["Content-Type"] == "application/json"
    assert response.encoding == "utf-8"
    assert response.url == f"https://api.mist.com/api/v1/orgs/{sim.org_id}"
    assert response.request.headers["Authorization"] == "Token tok-a"
    assert response.json()["id"] == sim.org_id


def test_unknown_paths_and_ids_are_404_and_bad_values_400(client, sim):
    org = sim.org_id
    assert client.get("/api/v1/nothing/here").status_code == 404
    assert client.get("/api/v1/orgs/00000000-0000-4000-8000-000000000000").json() == {"detail": "Not found"}
    assert client.get("/api/v1/sites/unknown-site").status_code == 404
    site = sim.org().gateways[0].site
    assert client.get(f"/api/v1/sites/{site.id}/devices/unknown").status_code == 404
    for query in (
        {"limit": "abc"},
        {"limit": "0"},
        {"page": "-1"},
        {"type": "router"},
        {"status": "maybe"},
        {"duration": "soon"},
        {"start": "20", "end": "10"},
    ):
        response = client.get(f"/api/v1/orgs/{org}/stats/devices", **query)
        assert response.status_code == 400, query
        assert "detail" in response.json()
    assert client.get(f"/api/v1/orgs/{org}/stats/ports/search", device_type="fridge").status_code == 400
    assert client.get(f"/api/v1/orgs/{org}/stats/ports/search", search_after="x").status_code == 400


def test_list_pagination_headers(client, sim):
    response = client.get(f"/api/v1/orgs/{sim.org_id}/stats/devices", type="gateway", limit=25, page=3)
    assert response.headers["X-Page-Total"] == "60"
    assert response.headers["X-Page-Limit"] == "25" and response.headers["X-Page-Page"] == "3"
    assert len(response.json()) == 10
    assert (
        client.get(f"/api/v1/orgs/{sim.org_id}/stats/devices", type="gateway", limit=5000).headers[
            "X-Page-Limit"
        ]
        == "1000"
    )
    default = client.get(f"/api/v1/orgs/{sim.org_id}/sites")
    assert default.headers["X-Page-Limit"] == "100"


def test_search_pagination_next_is_relative_and_absent_on_the_last_page(client, sim):
    path = f"/api/v1/orgs/{sim.org_id}/stats/ports/search"
    seen, body = [], client.get(path, device_type="gateway", limit=50).json()
    while True:
        seen += body["results"]
        assert body["limit"] == 50 and body["start"] < body["end"]
        if "next" not in body:
            break
        assert body["next"].startswith(path + "?") and "search_after=" in body["next"]
        body = client.session.get(client.base + body["next"]).json()
    assert len(seen) == body["total"] == sum(len(g.ports) for g in sim.org().gateways)


def test_device_stats_fields(client, sim):
    path = f"/api/v1/orgs/{sim.org_id}/stats/devices"
    plain = client.get(path, type="gateway").json()[0]
    assert "if_stat" in plain and "ports" not in plain and "vpn_peers" not in plain
    only_ports = client.get(path, type="gateway", fields="ports").json()[0]
    assert "ports" in only_ports and "vpn_peers" not in only_ports
    everything = client.get(path, type="gateway", fields="*").json()
    assert all("ports" in g and "vpn_peers" in g and "if_stat" in g for g in everything)
    assert client.get(path).json() == []  # the cloud's default type is "ap"


def test_filters(client, sim):
    org = sim.org()
    gateway = next(g for g in org.gateways if g.connected and g.peers)
    path = f"/api/v1/orgs/{org.id}/stats/devices"
    by_mac = client.get(path, type="gateway", mac=gateway.mac.upper()).json()
    assert [g["id"] for g in by_mac] == [gateway.id]
    by_site = client.get(path, type="gateway", site_id=gateway.site.id).json()
    assert {g["site_id"] for g in by_site} == {gateway.site.id}
    disconnected = client.get(path, type="gateway", status="disconnected").json()
    assert len(disconnected) == sum(not g.connected for g in org.gateways) > 0
    ports = client.get(
        f"/api/v1/orgs/{org.id}/stats/ports/search", mac=gateway.mac, port_id="ge-0/0/0"
    ).json()
    assert [(p["mac"], p["port_id"]) for p in ports["results"]] == [(gateway.mac, "ge-0/0/0")]
    peers = client.get(f"/api/v1/orgs/{org.id}/stats/vpn_peers/search", mac=gateway.mac).json()
    assert peers["total"] == len(gateway.peers) and {p["mac"] for p in peers["results"]} == {gateway.mac}
    site_devices = client.get(f"/api/v1/sites/{gateway.site.id}/devices", type="gateway").json()
    assert gateway.id in [d["id"] for d in site_devices]
    assert client.get(f"/api/v1/sites/{gateway.site.id}/devices").json() == []


def test_truth_matches_what_the_api_says(client, sim):
    stats = client.get(f"/api/v1/orgs/{sim.org_id}/stats/devices", type="gateway", limit=1000).json()
    wan = [e for g in stats for e in g["if_stat"].values() if e["port_usage"] == "wan"]
    truth = sim.truth()
    assert truth["gateways"] == len(stats)
    assert truth["connected"] == sum(g["status"] == "connected" for g in stats)
    assert truth["wan_ports"] == len(wan) and truth["wan_ports_up"] == sum(e["up"] for e in wan)
    sites = client.get(f"/api/v1/orgs/{sim.org_id}/sites", limit=1000).json()
    assert truth["sites"] == len(sites)


def test_the_org_is_realistic():
    org = make_sim(gateways=600, seed=5, extra_orgs=0).org()
    models = {g.model for g in org.gateways}
    assert {"SRX300", "SRX320", "SSR130"} <= models and models & {"SRX1500", "SRX4100", "SSR1200"}
    hubs = [g for g in org.gateways if g.role == "hub"]
    assert 2 <= len(hubs) <= 6 and all(h.deviceprofile_id for h in hubs)
    branches = [g for g in org.gateways if g.role == "branch"]
    assert all(g.site.gatewaytemplate_id for g in branches)
    assert any(g.is_ha for g in org.gateways) and any(not g.connected for g in org.gateways)
    counts = {len(g.wan_ports) for g in org.gateways}
    assert {1, 2, 3, 4} <= counts
    ports = [p for g in org.gateways for p in g.wan_ports]
    assert any(p.vlan for p in ports) and any(p.wan_type == "lte" for p in ports)
    assert {p.address_mode for p in ports} == {"Static", "DHCP"}
    assert any(p.disabled for p in ports) and any(p.override for p in ports)
    assert any(not p.up and not p.disabled for g in org.gateways if g.connected for p in g.wan_ports)
    paths = [path for g in org.gateways for path in g.peers]
    assert any(not p.up for p in paths) and any(p.up for p in paths)
    assert len(org.sites) > len({g.site.id for g in org.gateways})  # some sites have no gateway
    assert len({s.timezone for s in org.sites}) > 10


def test_adversarial_names_reach_every_text_field(adversarial_sim):
    client = Client(adversarial_sim)
    org = adversarial_sim.org_id
    texts = []
    texts += [s["name"] for s in client.get(f"/api/v1/orgs/{org}/sites", limit=1000).json()]
    stats = client.get(f"/api/v1/orgs/{org}/stats/devices", type="gateway", fields="*", limit=1000).json()
    texts += [g["name"] for g in stats]
    texts += [p["port_desc"] for g in stats for p in g["ports"]]
    texts += [e["wan_name"] for g in stats for e in g["if_stat"].values() if "wan_name" in e]
    texts += [p["vpn_name"] for g in stats for p in g["vpn_peers"]]
    blob = "\n".join(texts)
    for payload in ADVERSARIAL:
        assert payload in blob, payload[:40]
    assert any(len(t) > 300 for t in texts)
    for key in ("name", "port_desc"):
        assert any(t.startswith(("=", "+", "-", "@")) for t in texts), key
