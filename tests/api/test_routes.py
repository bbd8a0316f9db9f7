"""Every JSON route, through mistapi and the simulated Mist cloud, compared with the simulator's truth."""

from __future__ import annotations

import csv
import io
import re

from tests.support.apps import runtime_of, simulator_of


def _json(response, status=200):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["success"] is (status < 400)
    return body


def test_health_answers_and_says_demo(client):
    body = _json(client.get("/health"))
    assert body["data"]["status"] == "ok"
    assert body["data"]["configured"] is True
    assert body["data"]["demo"] is True


def test_organization_is_the_simulated_org(client, demo_app):
    sim = simulator_of(demo_app)
    body = _json(client.get("/api/organization"))
    assert body["data"]["org_id"] == sim.org_id
    assert body["data"]["name"]
    assert body["data"]["demo"] is True
    assert isinstance(body["as_of"], float) and body["stale"] is False


def test_organizations_lists_the_token_org(client, demo_app):
    body = _json(client.get("/api/organizations"))
    assert [o["org_id"] for o in body["data"]] == [simulator_of(demo_app).org_id]


def test_sites_match_the_simulator(client, demo_app):
    body = _json(client.get("/api/sites"))
    truth = simulator_of(demo_app).truth()
    assert len(body["data"]) == truth["sites"]
    names = [s["name"].lower() for s in body["data"]]
    assert names == sorted(names)
    assert all(re.match(r"^[0-9a-f-]{36}$", s["id"]) for s in body["data"])


def test_gateways_cover_the_whole_org(client, demo_app):
    body = _json(client.get("/api/gateways"))
    truth = simulator_of(demo_app).truth()
    gateways = body["data"]["gateways"]
    assert len(gateways) == truth["gateways"]
    summary = body["data"]["summary"]
    assert summary["gateways"] == truth["gateways"]
    assert summary["connected"] == truth["connected"]
    assert summary["wan_ports"] == truth["wan_ports"]
    assert summary["wan_ports_up"] == truth["wan_ports_up"]
    assert sum(len(g["ports"]) for g in gateways) == truth["wan_ports"]
    row = gateways[0]
    for key in ("id", "name", "site_id", "site_name", "model", "status", "ext_ip", "uptime", "mac", "ports"):
        assert key in row
    port_keys = {
        "name", "wan_name", "description", "enabled", "up", "gateway", "ip", "netmask", "vlan_id", "type",
        "override", "peers_up", "peers_total", "rx_bytes", "tx_bytes", "speed",
    }  # fmt: skip
    some_port = next(p for g in gateways for p in g["ports"])
    assert port_keys <= set(some_port)


def test_site_filter_and_search_narrow_the_rows(client):
    everything = _json(client.get("/api/gateways"))["data"]["gateways"]
    site_id = everything[0]["site_id"]
    by_site = _json(client.get(f"/api/gateways?site_id={site_id}"))["data"]["gateways"]
    assert by_site and all(g["site_id"] == site_id for g in by_site)
    assert len(by_site) < len(everything)
    name = everything[-1]["name"]
    found = _json(client.get("/api/gateways", query_string={"q": name.upper()}))["data"]["gateways"]
    assert any(g["id"] == everything[-1]["id"] for g in found)
    assert all(name.lower() in (g["name"] + " " + (g["site_name"] or "")).lower() for g in found)


def test_per_gateway_ports_route_is_gone(client):
    """The table carries every port; the old per-gateway route and its JS fallback were removed."""
    gateway = _json(client.get("/api/gateways"))["data"]["gateways"][0]
    assert client.get(f"/api/gateway/{gateway['id']}/ports").status_code == 404


def test_unknown_gateway_is_404_json_and_bad_id_400(client):
    body = _json(client.get("/api/gateway/00000000-0000-0000-1000-000000000000/vpn_peers"), 404)
    assert "gateway_id" in body["error"]
    body = _json(client.get("/api/gateway/not-an-id/vpn_peers"), 400)
    assert body["parameter"] == "gateway_id"


def test_vpn_peers_of_a_port_match_its_counts(client):
    gateways = _json(client.get("/api/gateways"))["data"]["gateways"]
    gateway, port = next((g, p) for g in gateways for p in g["ports"] if p["peers_total"])
    body = _json(
        client.get(
            f"/api/gateway/{gateway['id']}/vpn_peers",
            query_string={"site_id": gateway["site_id"], "mac": gateway["mac"], "port_id": port["name"]},
        )
    )
    paths = body["data"]
    assert len(paths) == port["peers_total"]
    assert sum(1 for p in paths if p["up"]) == port["peers_up"]
    for key in ("vpn_name", "peer_router_name", "peer_port_id", "latency", "loss", "jitter", "mos", "mtu"):
        assert key in paths[0]


def test_vpn_peers_cost_no_mist_call_once_the_table_is_loaded(client, demo_app):
    gateways = _json(client.get("/api/gateways"))["data"]["gateways"]
    sim = simulator_of(demo_app)
    before = sim.calls()["total"]
    for gateway in gateways[:10]:
        _json(client.get(f"/api/gateway/{gateway['id']}/vpn_peers"))
    assert sim.calls()["total"] == before


def test_export_csv_has_the_twenty_columns_and_a_row_per_wan_port(client):
    gateways = _json(client.get("/api/gateways"))["data"]["gateways"]
    response = client.get("/api/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert re.search(r'filename="mist_circuits_\d{8}_\d{6}\.csv"', disposition)
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows[0]) >= 20
    assert rows[0][0] == "Site Name" and rows[0][19] == "TX Data (Bytes)"
    assert len(rows) - 1 == sum(max(1, len(g["ports"])) for g in gateways)
    peers_column = rows[0].index("Peer Paths")
    with_peers = [r for r in rows[1:] if r[peers_column] not in ("", "0/0")]
    assert with_peers, "peer paths must be in the export for every gateway"


def test_export_csv_honours_the_site_filter(client):
    gateways = _json(client.get("/api/gateways"))["data"]["gateways"]
    site_id = gateways[0]["site_id"]
    site_gateways = [g for g in gateways if g["site_id"] == site_id]
    rows = list(
        csv.reader(io.StringIO(client.get(f"/api/export.csv?site_id={site_id}").data.decode("utf-8-sig")))
    )
    assert len(rows) - 1 == sum(max(1, len(g["ports"])) for g in site_gateways)
    assert {r[0] for r in rows[1:]} == {site_gateways[0]["site_name"]}


def test_status_counts_upstream_calls_and_masks_tokens(client, demo_app):
    _json(client.get("/api/gateways"))
    sim = simulator_of(demo_app)
    body = _json(client.get("/api/status"))
    data = body["data"]["collector"]
    assert data["upstream_calls"] == sim.calls()["total"] > 0
    tokens = runtime_of(demo_app).conn.pool.tokens
    text = client.get("/api/status").get_data(as_text=True)
    for token in tokens:
        assert token not in text
    assert sum(t["calls"] for t in data["tokens"]) == data["upstream_calls"]
    assert data["rate_limited_until"] is None
    assert "budget_per_hour" in data["enrichment"]


def test_unknown_api_path_is_404_json_and_wrong_method_405_json(client):
    body = _json(client.get("/api/nope"), 404)
    assert "/api/nope" in body["error"]
    body = _json(client.post("/api/gateways"), 405)
    assert "POST" in body["error"]


def test_bad_parameters_name_the_parameter(client):
    assert _json(client.get("/api/gateways?site_id=zzz"), 400)["parameter"] == "site_id"
    assert _json(client.get("/api/gateways?org_id=zzz"), 400)["parameter"] == "org_id"
    assert _json(client.get("/api/gateways", query_string={"q": "x" * 500}), 400)["parameter"] == "q"
    gid = "00000000-0000-0000-1000-000000000000"
    assert _json(client.get(f"/api/gateway/{gid}/vpn_peers?mac=xyz"), 400)["parameter"] == "mac"


def test_table_answer_is_gzipped_for_browsers_and_identical_when_unchanged(make_demo_app):
    import gzip
    import json

    client = make_demo_app(demo_gateways=120).test_client()
    plain = client.get("/api/gateways")
    zipped = client.get("/api/gateways", headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert len(zipped.data) < len(plain.data) / 3
    assert json.loads(gzip.decompress(zipped.data)) == plain.get_json()
    assert client.get("/api/gateways").data == plain.data
    filtered = client.get("/api/gateways?q=zzzz-no-such-gateway").get_json()
    assert filtered["data"]["gateways"] == []
    assert filtered["data"]["summary"] == plain.get_json()["data"]["summary"]
