"""Token rotation on 429, the all-tokens-limited state, org auto-detection and the Mist call budget."""

from __future__ import annotations

import time

import pytest

from app import create_app
from mist_simulator import MistSimulator
from tests.support.apps import collect, runtime_of, simulator_of

TOKENS = ("token-alpha-111111", "token-bravo-222222")


def test_token_a_at_its_limit_token_b_serves_without_sleeping(make_demo_app):
    app = make_demo_app(tokens=TOKENS, extra={"collect": False})
    sim = simulator_of(app)
    sim.exhaust_token(TOKENS[0])
    started = time.monotonic()
    collect(app)
    response = app.test_client().get("/api/gateways")
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert elapsed < 5, "a 429 must rotate to the next token, never sleep"
    by_token = sim.calls()["by_token"]
    assert by_token.get(TOKENS[1], 0) >= 5
    status = app.test_client().get("/api/status").get_json()["data"]["collector"]
    cooling = [t for t in status["tokens"] if t["cooling_until"]]
    assert len(cooling) == 1 and cooling[0]["token"].startswith(TOKENS[0][:4])
    assert status["rate_limited_until"] is None


def test_all_tokens_limited_and_nothing_cached_is_a_clear_503(make_demo_app):
    app = make_demo_app(tokens=TOKENS, extra={"collect": False})
    sim = simulator_of(app)
    for token in TOKENS:
        sim.exhaust_token(token)
    collect(app)
    response = app.test_client().get("/api/gateways")
    assert response.status_code == 503
    body = response.get_json()
    assert body["success"] is False
    assert "rate-limited until" in body["error"]
    assert body["rate_limited_until"] > time.time()
    assert int(response.headers["Retry-After"]) >= 1
    status = app.test_client().get("/api/status").get_json()["data"]["collector"]
    assert status["rate_limited_until"] > time.time()


def test_all_tokens_limited_with_data_serves_it_stale(make_demo_app):
    app = make_demo_app(tokens=TOKENS, cache_ttl_seconds=1)
    client = app.test_client()
    first = client.get("/api/gateways").get_json()
    assert first["stale"] is False
    sim = simulator_of(app)
    for token in TOKENS:
        sim.exhaust_token(token)
    collect(app)
    second = client.get("/api/gateways")
    assert second.status_code == 200
    body = second.get_json()
    assert body["stale"] is True
    assert "rate-limited" in body["stale_reason"]
    assert body["as_of"] == first["as_of"]
    assert len(body["data"]["gateways"]) == len(first["data"]["gateways"])


def _app_against(sim: MistSimulator, token: str, **overrides):
    settings = {"tokens": (token,), "extra": {"session_hook": sim.mount}, "enrich_start_delay": 3600.0}
    settings.update(overrides)
    app = create_app(settings)
    app.testing = True
    return app


def test_org_is_detected_from_self_when_unset():
    sim = MistSimulator(gateways=12, seed=3, tokens=("org-token-1234567",))
    client = _app_against(sim, "org-token-1234567").test_client()
    body = client.get("/api/organization").get_json()
    assert body["success"] is True
    assert body["data"]["org_id"] == sim.org_id
    assert sim.calls()["by_operation"].get("getSelf") == 1
    assert len(client.get("/api/gateways").get_json()["data"]["gateways"]) == 12


def test_user_token_seeing_several_orgs_asks_to_choose():
    sim = MistSimulator(
        gateways=8, seed=4, tokens=("org-token-1234567",), extra_orgs=2, user_tokens=("user-token-765432",)
    )
    client = _app_against(sim, "user-token-765432").test_client()
    response = client.get("/api/organization")
    assert response.status_code == 409
    orgs = response.get_json()["orgs"]
    assert {o["org_id"] for o in orgs} == set(sim.org_ids)
    chosen = sim.org_ids[1]
    body = client.get(f"/api/organization?org_id={chosen}").get_json()
    assert body["success"] is True and body["data"]["org_id"] == chosen
    listed = client.get("/api/organizations").get_json()["data"]
    assert len(listed) == len(sim.org_ids)
    other = "11111111-2222-3333-4444-555555555555"
    assert client.get(f"/api/gateways?org_id={other}").status_code == 404


def test_rejected_token_is_a_clear_502_without_the_token():
    sim = MistSimulator(gateways=5, seed=5, tokens=("org-token-1234567",))
    client = _app_against(sim, "wrong-token-99999999", org_id=sim.org_id).test_client()
    response = client.get("/api/gateways")
    assert response.status_code == 502
    text = response.get_data(as_text=True)
    assert "refused the API token" in text
    assert "wrong-token-99999999" not in text


def test_not_configured_explains_and_health_answers(tmp_path):
    app = create_app({})
    client = app.test_client()
    assert client.get("/health").get_json()["data"]["configured"] is False
    page = client.get("/").get_data(as_text=True)
    assert "MIST_APITOKEN" in page and "Traceback" not in page
    body = client.get("/api/gateways").get_json()
    assert body["success"] is False and "MIST_APITOKEN" in body["error"]


def _cold_gateway_calls(gateways: int) -> tuple[int, dict]:
    app = create_app(
        {"demo": True, "demo_gateways": gateways, "demo_seed": 11, "enrich_start_delay": 3600.0,
         "extra": {"collector_autostart": False}}
    )  # fmt: skip
    sim = simulator_of(app)
    collect(app)  # one whole collection: the table, then the first events read
    response = app.test_client().get("/api/gateways")
    assert response.status_code == 200
    assert len(response.get_json()["data"]["gateways"]) == gateways
    calls = sim.calls()
    assert runtime_of(app).conn.upstream_calls == calls["total"]
    return calls["total"], calls["by_operation"]


def test_cold_load_of_1000_gateways_costs_at_most_8_calls():
    """The table's calls; the first read of a week of device events is counted on its own."""
    total, by_operation = _cold_gateway_calls(1000)
    events = by_operation.get("searchOrgDeviceEvents", 0)
    assert total - events <= 8, by_operation
    assert 1 <= events <= 30, by_operation
    assert "getSiteDevice" not in by_operation and "listSiteDevices" not in by_operation


@pytest.mark.slow
def test_cold_load_of_10000_gateways_costs_at_most_40_calls():
    total, by_operation = _cold_gateway_calls(10000)
    events = by_operation.get("searchOrgDeviceEvents", 0)
    assert total - events <= 40, by_operation
    assert events <= 30, "a first week larger than 30 pages is read over several collections"
    assert by_operation["listOrgDevicesStats"] == 10


def test_background_enrichment_is_budgeted_and_visible(make_demo_app):
    app = make_demo_app(enrich_start_delay=0.0, enrich_budget=3)
    client = app.test_client()
    client.get("/api/gateways")
    sim = simulator_of(app)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and sim.calls()["by_operation"].get("listSiteDevices", 0) < 1:
        time.sleep(0.05)
    time.sleep(0.5)
    # One site costs two calls (device configs and site settings): a budget of 3 reads one site.
    assert sim.calls()["by_operation"].get("listSiteDevices", 0) == 1
    enrichment = client.get("/api/status").get_json()["data"]["collector"]["enrichment"]
    assert enrichment["budget_per_hour"] == 3
    assert enrichment["used_last_hour"] == 2
    assert enrichment["sites_done"] == 1
    assert enrichment["sites_pending"] == enrichment["sites_total"] - 1 > 0


def test_a_host_that_is_not_a_mist_cloud_is_a_clear_setup_error():
    app = create_app({"tokens": ("org-token-1234567",), "host": "api.example.com"})
    client = app.test_client()
    assert client.get("/health").get_json()["data"]["configured"] is False
    body = client.get("/api/gateways").get_json()
    assert body["success"] is False
    assert "api.example.com" in body["error"] and "not a Mist API host" in body["error"]
    assert "api.example.com" in client.get("/").get_data(as_text=True)


def test_a_bad_environment_value_is_shown_not_crashed(monkeypatch):
    monkeypatch.setenv("MIST_DEMO_FAULT_RATE", "lots")
    app = create_app({})
    body = app.test_client().get("/api/gateways").get_json()
    assert body["success"] is False and "MIST_DEMO_FAULT_RATE" in body["error"]


def test_enrichment_fills_overrides_and_site_variables_once_done(make_demo_app):
    app = make_demo_app(enrich_start_delay=0.0, enrich_budget=1000, demo_seed=3)
    client = app.test_client()
    before = client.get("/api/gateways").get_json()["data"]
    ports_before = [p for g in before["gateways"] for p in g["ports"]]
    assert {p["override"] for p in ports_before} == {None}, "nothing is known before enrichment"
    # Site variables live in the site settings: until they are read, template values stay
    # placeholders and their rows say the variables are still being read.
    waiting = [
        g
        for g in before["gateways"]
        if any(str(p[k] or "").startswith("{{") for p in g["ports"] for k in ("ip", "gateway"))
    ]
    assert waiting and all(g["vars_pending"] for g in waiting)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        enrichment = client.get("/api/status").get_json()["data"]["collector"]["enrichment"]
        if enrichment["sites_total"] and enrichment["sites_pending"] == 0:
            break
        time.sleep(0.1)
    assert enrichment["sites_pending"] == 0
    collect(app)  # the next collection merges what enrichment learnt
    after = client.get("/api/gateways").get_json()["data"]
    ports = [p for g in after["gateways"] for p in g["ports"]]
    assert {p["override"] for p in ports} <= {True, False}
    assert any(p["override"] for p in ports), "the simulated org has device-level overrides"
    assert not any(str(p[k] or "").startswith("{{") for p in ports for k in ("ip", "gateway"))
    assert not any(g["vars_pending"] for g in after["gateways"])
    calls = simulator_of(app).calls()["by_operation"]
    assert calls["getSiteSetting"] == calls["listSiteDevices"] == enrichment["sites_total"]
