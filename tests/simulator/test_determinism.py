"""Same seed -> the same org byte for byte; a different seed -> a different org."""

from __future__ import annotations

from tests.simulator.conftest import Client, make_sim


def snapshot(sim) -> list[bytes]:
    client = Client(sim)
    org = sim.org()
    gateway = next(g for g in org.gateways if g.connected and g.role == "branch")
    paths = [
        ("/api/v1/self", {}),
        (f"/api/v1/orgs/{org.id}", {}),
        (f"/api/v1/orgs/{org.id}/sites", {"limit": 1000}),
        (f"/api/v1/orgs/{org.id}/stats/devices", {"type": "gateway", "fields": "*", "limit": 1000}),
        (f"/api/v1/orgs/{org.id}/stats/ports/search", {"limit": 1000}),
        (f"/api/v1/orgs/{org.id}/stats/vpn_peers/search", {"limit": 1000}),
        (f"/api/v1/orgs/{org.id}/inventory", {"limit": 1000}),
        (f"/api/v1/orgs/{org.id}/gatewaytemplates", {}),
        (f"/api/v1/orgs/{org.id}/deviceprofiles", {}),
        (f"/api/v1/sites/{gateway.site.id}/devices/{gateway.id}", {}),
        (
            f"/api/v1/sites/{gateway.site.id}/insights/gateway/{gateway.id}/stats",
            {"metrics": "rx_bps,tx_bps,latency", "duration": "7d", "interval": "3600", "limit": 1000},
        ),
    ]
    out = []
    for path, query in paths:
        response = client.get(path, **query)
        assert response.status_code == 200, path
        out.append(response.content)
    return out


def test_same_seed_same_bytes():
    first = snapshot(make_sim(gateways=120, seed=42))
    second = snapshot(make_sim(gateways=120, seed=42))
    assert first == second


def test_same_seed_same_bytes_in_adversarial_mode():
    assert snapshot(make_sim(gateways=30, seed=9, adversarial=True)) == snapshot(
        make_sim(gateways=30, seed=9, adversarial=True)
    )


def test_different_seed_different_org():
    first = snapshot(make_sim(gateways=120, seed=42))
    other = snapshot(make_sim(gateways=120, seed=43))
    assert all(a != b for a, b in zip(first[1:], other[1:], strict=True))
