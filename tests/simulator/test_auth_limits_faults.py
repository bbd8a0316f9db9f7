"""Authentication, per-token rate limits, fault and latency injection, call accounting."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.simulator.conftest import OTHER, TOKEN, Client, make_sim


def test_missing_or_unknown_token_is_401(sim):
    assert Client(sim, token=None).get("/api/v1/self").status_code == 401
    response = Client(sim, token="nope").get(f"/api/v1/orgs/{sim.org_id}")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token."}


def test_token_of_another_org_is_403(sim):
    other_org = sim.org_ids[1]
    foreign = Client(sim, token=sim.org_tokens(other_org)[0])
    assert foreign.get(f"/api/v1/orgs/{other_org}").status_code == 200
    assert foreign.get(f"/api/v1/orgs/{sim.org_id}").status_code == 403
    assert foreign.get(f"/api/v1/orgs/{sim.org_id}/stats/devices", type="gateway").status_code == 403
    site = sim.org().sites[0]
    assert foreign.get(f"/api/v1/sites/{site.id}").status_code == 403


def test_user_token_sees_every_org(sim):
    user = Client(sim, token="user-tok")
    me = user.get("/api/v1/self").json()
    assert me["email"] and me["first_name"] and me["last_name"]
    assert [p["org_id"] for p in me["privileges"] if p["scope"] == "org"] == sim.org_ids
    for org_id in sim.org_ids:
        assert user.get(f"/api/v1/orgs/{org_id}").status_code == 200


def test_rate_limit_is_per_token_with_retry_after():
    sim = make_sim(gateways=5, rate_limit=5, extra_orgs=0)
    a, b = Client(sim, token=TOKEN), Client(sim, token=OTHER)
    assert [a.get("/api/v1/self").status_code for _ in range(5)] == [200] * 5
    limited = a.get("/api/v1/self")
    assert limited.status_code == 429
    assert 3500 <= int(limited.headers["Retry-After"]) <= 3600
    assert b.get("/api/v1/self").status_code == 200
    assert sim.calls()["by_token"] == {TOKEN: 6, OTHER: 1}


def test_exhaust_token_makes_the_next_call_429(sim):
    fresh = make_sim(gateways=5, extra_orgs=0)
    fresh.exhaust_token(TOKEN)
    response = Client(fresh).get("/api/v1/self")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert Client(fresh, token=OTHER).get("/api/v1/self").status_code == 200


def test_faults_answer_500_503_or_time_out_after_the_read_timeout():
    sim = make_sim(gateways=5, extra_orgs=0, fault_rate=1.0)
    session = requests.Session()
    sim.mount(session)
    outcomes = []
    started = time.monotonic()
    for _ in range(30):
        try:
            response = session.get(
                "https://api.mist.com/api/v1/self",
                headers={"Authorization": f"Token {TOKEN}"},
                timeout=(1, 0.05),
            )
            outcomes.append(response.status_code)
        except requests.exceptions.ReadTimeout:
            outcomes.append("timeout")
    assert set(outcomes) == {500, 503, "timeout"}
    assert time.monotonic() - started >= 0.05 * outcomes.count("timeout")
    sim.set_faults(0.0)
    assert session.get("https://api.mist.com/api/v1/self", headers={"Authorization": f"Token {TOKEN}"}).ok


def test_fault_choice_is_seeded():
    def run():
        sim = make_sim(gateways=5, extra_orgs=0, fault_rate=0.5)
        client = Client(sim)
        out = []
        for _ in range(20):
            try:
                out.append(client.session.get(client.base + "/api/v1/self", timeout=(1, 0.01)).status_code)
            except requests.exceptions.ReadTimeout:
                out.append("timeout")
        return out

    first = run()
    assert first == run() and len(set(first)) > 1


def test_latency_injection_sleeps():
    sim = make_sim(gateways=5, extra_orgs=0, latency_ms=60, jitter_ms=20)
    client = Client(sim)
    started = time.monotonic()
    client.get("/api/v1/self")
    assert time.monotonic() - started >= 0.06
    sim.set_latency(0)
    started = time.monotonic()
    client.get("/api/v1/self")
    assert time.monotonic() - started < 0.06


def test_accounting_is_thread_safe_and_per_operation(sim):
    fresh = make_sim(gateways=10, extra_orgs=0)
    client = Client(fresh)
    org = fresh.org_id

    def worker():
        for _ in range(25):
            client.get(f"/api/v1/orgs/{org}/sites")
            client.get(f"/api/v1/orgs/{org}/stats/devices", type="gateway", fields="*")

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.get("/api/v1/nope")
    calls = fresh.calls()
    assert calls["total"] == 401
    assert calls["by_operation"] == {"listOrgSites": 200, "listOrgDevicesStats": 200, "unknown": 1}
    assert calls["by_token"] == {TOKEN: 401}
    fresh.reset_calls()
    assert fresh.calls() == {"total": 0, "by_operation": {}, "by_token": {}}


@pytest.mark.parametrize("method", ["POST", "DELETE"])
def test_only_get_is_served(sim, method):
    client = Client(sim)
    response = client.session.request(method, client.base + "/api/v1/self")
    assert response.status_code == 405
