"""Per-port time series (gateway insights) and their agreement with the port counters.

Project assumption (not in the official OpenAPI file): the gateway insights endpoint also serves
the WAN-probe metrics `latency`, `jitter` (ms) and `loss` (%) per port, next to `rx_bps`/`tx_bps`.
"""

from __future__ import annotations

import pytest

from mist_simulator.traffic import DAILY, HOUR, TrafficModel, Wave
from tests.simulator.conftest import NOW, Client, make_sim


@pytest.fixture(scope="module")
def traffic_sim():
    return make_sim(gateways=80, seed=21, extra_orgs=0)


def insights(client, gateway, **query):
    response = client.get(f"/api/v1/sites/{gateway.site.id}/insights/gateway/{gateway.id}/stats", **query)
    assert response.status_code == 200, response.text
    return response


def test_port_counters_are_the_sum_of_the_last_7_days_of_hourly_samples(traffic_sim):
    client = Client(traffic_sim)
    end = NOW // HOUR * HOUR
    checked = 0
    for gateway in traffic_sim.org().gateways[:25]:
        stats = client.get(
            f"/api/v1/sites/{gateway.site.id}/stats/devices/{gateway.id}", fields="ports"
        ).json()
        counters = {p["port_id"]: (p["rx_bytes"], p["tx_bytes"]) for p in stats["ports"]}
        for port in gateway.wan_ports:
            series = insights(
                client,
                gateway,
                metrics="rx_bps,tx_bps",
                port_id=port.port_id,
                start=end - 168 * HOUR,
                end=end,
                interval=3600,
                limit=1000,
            ).json()
            assert len(series["rt"]) == 168
            rx = sum(v or 0 for v in series["rx_bps"]) * 450
            tx = sum(v or 0 for v in series["tx_bps"]) * 450
            assert counters[port.port_id][0] == pytest.approx(rx, rel=1e-6, abs=450 * 168)
            assert counters[port.port_id][1] == pytest.approx(tx, rel=1e-6, abs=450 * 168)
            checked += 1
    assert checked > 40


def test_counters_account_for_outages_and_saturation():
    """The prefix-sum shortcut must equal a plain hour-by-hour sum, events included."""
    model = TrafficModel(seed=3)
    waves = [
        Wave(
            phase_rx=i * 97,
            phase_tx=i * 131,
            event_phase=i * 13,
            tz_hours=i % 24 - 11,
            rx_base=2e7,
            tx_base=5e6,
            speed_bps=100_000_000,
            latency_base=10,
            jitter_base=1,
        )
        for i in range(200)
    ]
    end_hour = NOW // HOUR
    kinds = set()
    for wave in waves:
        for direction in ("rx", "tx"):
            hours = range(end_hour - 168, end_hour)
            plain = sum(model.hourly_bps(wave, direction, h) or 0 for h in hours) * 450
            assert model.window_bytes(wave, direction, end_hour) == pytest.approx(plain, rel=1e-9)
        kinds |= {model.event_at(wave, h) for h in range(end_hour - 168, end_hour)}
    assert {"outage", "saturation"} <= kinds


def test_series_show_a_daily_rhythm_outages_and_saturation(traffic_sim):
    model = traffic_sim.org().traffic
    ports = [p for g in traffic_sim.org().gateways for p in g.wan_ports if p.up]
    nulls = saturated = 0
    busy_total = quiet_total = 0.0
    for port in ports:
        wave = port.wave
        for hour in range(NOW // HOUR - 14 * 24, NOW // HOUR):
            value = model.hourly_bps(wave, "rx", hour)
            if value is None:
                nulls += 1
                continue
            if value >= 0.9 * wave.speed_bps:
                saturated += 1
            local = (hour + wave.tz_hours) % 24
            if DAILY[local] >= 0.95:
                busy_total += value
            elif DAILY[local] <= 0.1:
                quiet_total += value
    assert nulls > 0 and saturated > 0
    assert busy_total > 3 * quiet_total


def test_five_minute_samples_for_48_hours_hourly_for_14_days(traffic_sim):
    client = Client(traffic_sim)
    gateway = next(g for g in traffic_sim.org().gateways if g.connected and all(p.up for p in g.wan_ports))
    port = gateway.wan_ports[0].port_id
    recent = insights(client, gateway, metrics="rx_bps", port_id=port, duration="1h", interval=300).json()
    assert len(recent["rt"]) == 12 and sum(v is not None for v in recent["rx_bps"]) >= 10
    three_days_ago = NOW - 3 * 86400
    old_fine = insights(
        client,
        gateway,
        metrics="rx_bps",
        port_id=port,
        start=three_days_ago - 3600,
        end=three_days_ago,
        interval=300,
    ).json()
    assert old_fine["rx_bps"] == [None] * 12
    old_hourly = insights(
        client,
        gateway,
        metrics="rx_bps",
        port_id=port,
        start=three_days_ago - 6 * 3600,
        end=three_days_ago,
        interval=3600,
    ).json()
    assert sum(v is not None for v in old_hourly["rx_bps"]) >= 5
    ancient = insights(
        client,
        gateway,
        metrics="rx_bps",
        port_id=port,
        start=NOW - 20 * 86400,
        end=NOW - 15 * 86400,
        interval=3600,
        limit=1000,
    ).json()
    assert set(ancient["rx_bps"]) == {None}


def test_hourly_sample_is_the_mean_of_its_five_minute_samples(traffic_sim):
    model = traffic_sim.org().traffic
    port = next(p for g in traffic_sim.org().gateways for p in g.wan_ports if p.up)
    hour = NOW // HOUR - 5
    fine = [model.five_minute_bps(port.wave, "rx", hour * 12 + i) for i in range(12)]
    if None in fine:
        assert model.hourly_bps(port.wave, "rx", hour) is None
    else:
        assert sum(fine) / 12 == pytest.approx(model.hourly_bps(port.wave, "rx", hour), rel=1e-9)


def test_limit_page_and_headers(traffic_sim):
    client = Client(traffic_sim)
    gateway = traffic_sim.org().gateways[3]
    query = {"metrics": "rx_bps,latency,jitter,loss", "duration": "7d", "interval": "1h"}
    first = insights(client, gateway, **query)
    second = insights(client, gateway, page=2, **query)
    assert first.headers["X-Page-Total"] == "168" and first.headers["X-Page-Limit"] == "100"
    assert len(first.json()["rt"]) == 100 and len(second.json()["rt"]) == 68
    assert second.json()["rt"][0] == first.json()["rt"][-1] + 3600
    everything = insights(client, gateway, limit=1000, **query).json()
    assert everything["rt"] == first.json()["rt"] + second.json()["rt"]
    quality = [v for v in everything["latency"] if v is not None]
    assert quality and all(v > 0 for v in quality)
    assert all(0 <= v <= 100 for v in everything["loss"] if v is not None)


def test_relative_times_and_bad_queries(traffic_sim):
    client = Client(traffic_sim)
    gateway = traffic_sim.org().gateways[3]
    path = f"/api/v1/sites/{gateway.site.id}/insights/gateway/{gateway.id}/stats"
    body = client.get(path, metrics="tx_bps", start="-6h", end="now", interval="10m").json()
    assert len(body["rt"]) == 36 and body["interval"] == 600
    for bad in (
        {"metrics": "tx_bps", "interval": "301"},
        {"metrics": "cpu"},
        {},
        {"metrics": "rx_bps", "start": "-1h", "end": "-2h"},
        {"metrics": "rx_bps", "limit": "x"},
    ):
        assert client.get(path, **bad).status_code == 400, bad
    assert client.get(path, metrics="rx_bps", port_id="ge-9/9/9").status_code == 404


def test_down_and_disabled_ports_have_no_recent_samples(traffic_sim):
    model = traffic_sim.org().traffic
    org = traffic_sim.org()
    down = [p for g in org.gateways for p in g.wan_ports if not p.up]
    assert down
    for port in down:
        assert model.five_minute_bps(port.wave, "rx", NOW // 300 - 1) is None
