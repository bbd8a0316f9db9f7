"""Several app processes sharing Redis: one upstream fetch between them, one view of the API budget."""

from __future__ import annotations

import threading

import pytest
import requests

from app import create_app
from tests.support.apps import dashboard_of, simulator_of
from tests.support.redis_server import RedisServer, RedisServerMissing
from tests.support.servers import dev_server_command, free_port, running_server

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_server():
    try:
        server = RedisServer().start()
    except RedisServerMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    yield server
    server.cleanup()


def _status(base: str) -> dict:
    return requests.get(base + "/api/status", timeout=30).json()["data"]


@pytest.mark.slow
def test_two_app_processes_make_one_upstream_fetch_between_them(redis_server, tmp_path):
    env = {
        "MIST_DEMO": "1",
        "MIST_DEMO_GATEWAYS": "300",
        "MIST_DEMO_SEED": "5",
        "MIST_DEMO_LATENCY_MS": "150",  # slow enough that both processes ask while the fetch runs
        "ENRICH_BUDGET": "0",
        "REDIS_URL": redis_server.url,
    }
    port_a, port_b = free_port(), free_port()
    with (
        running_server(dev_server_command(port_a), env, port_a, tmp_path / "a.log") as (base_a, _),
        running_server(dev_server_command(port_b), env, port_b, tmp_path / "b.log") as (base_b, _),
    ):
        assert _status(base_a)["cache"]["backend"] == "redis" and _status(base_a)["cache"]["redis_ok"]
        answers = {}

        def ask(name: str, base: str) -> None:
            answers[name] = requests.get(base + "/api/gateways", timeout=120).json()

        servers = (("a", base_a), ("b", base_b))
        threads = [threading.Thread(target=ask, args=(f"{n}{i}", b)) for n, b in servers for i in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(a["success"] for a in answers.values())
        assert len({a["as_of"] for a in answers.values()}) == 1, "every answer is the same fetch"
        calls_a, calls_b = _status(base_a)["upstream_calls"], _status(base_b)["upstream_calls"]

    # One cold load of a 300-gateway org (see the single-process count below) between both processes.
    single = create_app({"demo": True, "demo_gateways": 300, "demo_seed": 5, "enrich_budget": 0})
    single.test_client().get("/api/gateways")
    one_load = simulator_of(single).calls()["total"]
    assert calls_a + calls_b == one_load, (calls_a, calls_b, one_load)
    assert 0 in (calls_a, calls_b)


def test_token_cooldowns_are_shared_through_redis(redis_server):
    tokens = ("token-alpha-111111", "token-bravo-222222")
    settings = {
        "demo": True,
        "demo_gateways": 20,
        "tokens": tokens,
        "redis_url": redis_server.url,
        "enrich_budget": 0,
    }
    first, second = create_app(settings), create_app(settings)
    simulator_of(first).exhaust_token(tokens[0])
    assert first.test_client().get("/api/gateways").status_code == 200
    # The second app never met the 429 itself, yet it skips the cooling token.
    pool = dashboard_of(second).conn.pool
    assert {pool.acquire() for _ in range(4)} == {tokens[1]}
    cooling = [
        t for t in second.test_client().get("/api/status").get_json()["data"]["tokens"] if t["cooling_until"]
    ]
    assert len(cooling) == 1


def test_redis_down_keeps_serving_from_memory_and_says_so(redis_server):
    app = create_app({"demo": True, "demo_gateways": 20, "redis_url": redis_server.url, "enrich_budget": 0})
    client = app.test_client()
    assert client.get("/api/gateways").status_code == 200
    redis_server.stop()
    dashboard_of(app).cache.invalidate(f"table:{simulator_of(app).org_id}")
    response = client.get("/api/gateways")
    assert response.status_code == 200
    assert len(response.get_json()["data"]["gateways"]) == 20
    cache = client.get("/api/status").get_json()["data"]["cache"]
    assert cache["backend"] == "redis" and cache["redis_ok"] is False and cache["error"]
