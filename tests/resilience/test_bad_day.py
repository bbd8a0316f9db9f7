"""A bad day at the Mist cloud: failing calls, timeouts, missing sources, and recovery."""

from __future__ import annotations

import time

from mist_connection import MistUnavailable
from tests.support.apps import dashboard_of, simulator_of


def test_table_renders_with_a_fifth_of_calls_failing(make_demo_app):
    app = make_demo_app(demo_fault_rate=0.2, demo_gateways=60, demo_seed=21)
    sim = simulator_of(app)
    client = app.test_client()
    for _ in range(3):
        dashboard_of(app).cache.invalidate(f"table:{sim.org_id}")
        response = client.get("/api/gateways")
        assert response.status_code == 200, response.get_data(as_text=True)
        assert len(response.get_json()["data"]["gateways"]) == 60
    by_op = sim.calls()["by_operation"]
    assert sum(by_op.values()) == dashboard_of(app).conn.upstream_calls


def test_a_missing_source_is_marked_not_zeroed(make_demo_app, monkeypatch):
    app = make_demo_app()
    conn = dashboard_of(app).conn

    def broken(org_id):
        raise MistUnavailable("the Mist cloud is not answering: HTTP 503")

    monkeypatch.setattr(conn, "gateway_templates", broken)
    body = app.test_client().get("/api/gateways").get_json()
    assert body["success"] is True
    assert body["data"]["incomplete"] == ["templates"]
    ports = [p for g in body["data"]["gateways"] for p in g["ports"]]
    assert ports, "the table still shows every WAN port"
    assert all(p["rx_bytes"] is None or p["rx_bytes"] >= 0 for p in ports)


def test_transient_failures_are_retried_within_a_budget(make_demo_app):
    app = make_demo_app()
    sim = simulator_of(app)
    sim.set_faults(1.0)
    started = time.monotonic()
    response = app.test_client().get("/api/gateways")
    elapsed = time.monotonic() - started
    assert response.status_code == 503
    body = response.get_json()
    assert body["success"] is False and "not answering" in body["error"]
    conn = dashboard_of(app).conn
    assert elapsed < conn.retry.budget_seconds + 15
    sim.set_faults(0.0)
    assert app.test_client().get("/api/gateways").status_code == 200, "recovery is automatic"


def test_rate_limit_recovery_is_automatic(make_demo_app):
    tokens = ("token-alpha-111111", "token-bravo-222222")
    app = make_demo_app(tokens=tokens)
    sim = simulator_of(app)
    for token in tokens:
        sim.exhaust_token(token, retry_after=1)
    client = app.test_client()
    assert client.get("/api/gateways").status_code == 503
    time.sleep(1.2)  # the cloud's Retry-After has passed: no restart, no operator action
    assert client.get("/api/gateways").status_code == 200
