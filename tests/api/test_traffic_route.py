"""The per-port traffic route: windows, intervals, statistics, caching, CSV and bad input."""

from __future__ import annotations

import csv
import io
import math

import pytest

from tests.support.apps import simulator_of

EXPECTED = {"1h": (300, 12), "6h": (600, 36), "24h": (1800, 48), "7d": (3600, 168)}


@pytest.fixture
def port(client):
    gateways = client.get("/api/gateways").get_json()["data"]["gateways"]
    gateway, port = next((g, p) for g in gateways for p in g["ports"] if p["speed"] and "." in p["name"])
    return gateway, port


def _url(gateway, port, suffix="traffic"):
    return f"/api/gateway/{gateway['id']}/port/{port['name']}/{suffix}"


def _nearest_rank_p95(values):
    present = sorted(v for v in values if v is not None)
    return present[math.ceil(0.95 * len(present)) - 1]


@pytest.mark.parametrize("window", list(EXPECTED))
def test_each_window_has_its_interval_points_and_statistics(client, port, window):
    gateway, wan_port = port
    response = client.get(
        _url(gateway, wan_port), query_string={"site_id": gateway["site_id"], "duration": window}
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()["data"]
    interval, points = EXPECTED[window]
    assert data["interval"] == interval
    assert len(data["timestamps"]) == points
    assert len(data["rx_bps"]) == len(data["tx_bps"]) == points
    assert all(b - a == interval for a, b in zip(data["timestamps"], data["timestamps"][1:], strict=False))
    for direction in ("rx", "tx"):
        values = data[f"{direction}_bps"]
        present = [v for v in values if v is not None]
        stats = data["stats"][direction]
        assert stats["peak"] == max(present)
        assert stats["avg"] == pytest.approx(sum(present) / len(present))
        assert stats["p95"] == _nearest_rank_p95(values)
        speed_bps = wan_port["speed"] * 1_000_000
        assert stats["utilisation_pct"] == pytest.approx(stats["avg"] / speed_bps * 100)


def test_switching_back_to_a_viewed_window_costs_no_call(client, demo_app, port):
    gateway, wan_port = port
    sim = simulator_of(demo_app)
    calls = lambda: sim.calls()["by_operation"].get("getSiteInsightMetricsForGateway", 0)  # noqa: E731
    for window in ("24h", "1h", "24h", "1h"):
        assert client.get(_url(gateway, wan_port), query_string={"duration": window}).status_code == 200
    assert calls() == 2


def test_traffic_csv_downloads_and_parses(client, port):
    gateway, wan_port = port
    response = client.get(_url(gateway, wan_port, "traffic.csv"), query_string={"duration": "6h"})
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 1 + 36
    assert len({len(r) for r in rows}) == 1


@pytest.mark.parametrize(
    "path, query, parameter",
    [
        ("/api/gateway/{gid}/port/ge-0/0/0/traffic", {"duration": "2h"}, "duration"),
        ("/api/gateway/{gid}/port/ge-0/0/0/traffic", {"duration": "<script>"}, "duration"),
        ("/api/gateway/{gid}/port/ge-0;rm/traffic", {"duration": "1h"}, "port_id"),
        ("/api/gateway/{gid}/port/ge-0/0/0.100.7/traffic", {"duration": "1h"}, "port_id"),
        ("/api/gateway/nope/port/ge-0/0/0/traffic", {"duration": "1h"}, "gateway_id"),
        ("/api/gateway/{gid}/port/ge-0/0/0/traffic", {"duration": "1h", "site_id": "x"}, "site_id"),
    ],
)
def test_bad_windows_and_port_ids_are_400_json(client, port, path, query, parameter):
    gateway, _ = port
    response = client.get(path.format(gid=gateway["id"]), query_string=query)
    assert response.status_code == 400
    body = response.get_json()
    assert body["success"] is False and body["parameter"] == parameter


def test_port_of_an_unknown_gateway_without_site_is_404(client):
    response = client.get("/api/gateway/00000000-0000-0000-1000-000000000001/port/ge-0/0/0/traffic")
    assert response.status_code == 404
    assert response.get_json()["success"] is False


def test_unknown_ids_cost_no_mist_call(client, demo_app, port):
    """1,000 requests for ids, ports, sites or MACs that the snapshot does not hold: 404, 0 calls."""
    import uuid

    gateway, wan_port = port
    sim = simulator_of(demo_app)
    before = sim.calls()["total"]
    other_site = str(uuid.UUID(int=7))
    statuses = []
    for i in range(250):
        unknown = str(uuid.UUID(int=i + 1000))
        statuses.append(client.get(f"/api/gateway/{unknown}/port/ge-0/0/0/traffic").status_code)
        statuses.append(
            client.get(f"/api/gateway/{unknown}/vpn_peers", query_string={"mac": "0011223344ff"}).status_code
        )
        statuses.append(client.get(_url(gateway, {"name": f"ge-9/9/{i % 100}"})).status_code)
        statuses.append(client.get(_url(gateway, wan_port), query_string={"site_id": other_site}).status_code)
    assert statuses == [404] * 1000
    assert sim.calls()["total"] == before
