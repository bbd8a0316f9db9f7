"""Several app processes sharing Redis: one collector between them, one view of the API budget."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import redis
import requests

from app import create_app
from circuitstats.lease import RedisLease
from circuitstats.redis_link import RedisLink
from tests.support.apps import collect, runtime_of, simulator_of
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
    return requests.get(base + "/api/status", timeout=30).json()["data"]["collector"]


def test_lease_has_one_holder_and_passes_on_within_its_ttl(redis_server):
    first = RedisLease(RedisLink(redis_server.url), ttl=1.0)
    second = RedisLease(RedisLink(redis_server.url), ttl=1.0)
    assert first.acquire_or_renew() is True
    assert second.acquire_or_renew() is False
    assert first.acquire_or_renew() is True, "the holder renews"
    assert second.holder() == first.me
    started = time.monotonic()
    while not second.acquire_or_renew():  # the holder stops renewing, as if it died
        assert time.monotonic() - started < 1.5, "takeover within one TTL"
        time.sleep(0.05)
    assert second.holder() == second.me
    first.release()  # a late release by the old holder must not free the new holder's lease
    assert second.holder() == second.me
    second.release()
    assert first.holder() is None


def test_a_standby_knows_when_the_lease_runs_out(redis_server):
    holder = RedisLease(RedisLink(redis_server.url), ttl=2.0)
    standby = RedisLease(RedisLink(redis_server.url), ttl=2.0)
    assert standby.expires_in() == 0, "nobody holds it: take it now"
    assert holder.acquire_or_renew() is True
    assert 1.8 < standby.expires_in() <= 2.0
    holder.release()
    assert standby.expires_in() == 0
    assert holder.renew() is False and holder.holder() is None, "renewing never takes a released lease"
    unreachable = RedisLease(RedisLink("redis://127.0.0.1:1/0"), ttl=2.0)
    assert unreachable.expires_in() is None, "Redis cannot tell: the standby keeps its tick"


def test_a_collection_longer_than_the_lease_keeps_it(redis_server):
    """The loop renews between collections; a collection that outlasts the TTL renews it too, so no
    second process starts collecting alongside (a slow cloud here: 1 s per Mist call)."""
    app = create_app(
        {"demo": True, "demo_gateways": 30, "demo_latency_ms": 1000, "redis_url": redis_server.url,
         "collector_lease_seconds": 1.0, "enrich_budget": 0, "extra": {"collector_autostart": False}}
    )  # fmt: skip
    rival = RedisLease(RedisLink(redis_server.url), ttl=1.0)
    collecting = threading.Thread(target=collect, args=(app,))
    started = time.monotonic()
    collecting.start()
    mine = runtime_of(app).collector.lease.me
    while rival.holder() != mine:  # the collection takes the lease as it begins
        assert time.monotonic() - started < 0.9, "the collector took the lease"
        time.sleep(0.005)
    rival_held = []
    while collecting.is_alive():
        if rival.acquire_or_renew():
            rival_held.append(round(time.monotonic() - started, 2))
            break
        time.sleep(0.05)
    collecting.join()
    took = time.monotonic() - started
    assert took > 2.5, f"the collection must outlast the 1 s lease to show anything, took {took:.1f} s"
    assert rival_held == [], f"another process took the lease {rival_held} s into the collection"
    assert rival.holder() == mine
    assert runtime_of(app).collector.is_holder


@pytest.mark.slow
def test_two_processes_one_collector_and_takeover_without_a_blank_page(redis_server, tmp_path):
    env = {
        "MIST_DEMO": "1",
        "MIST_DEMO_GATEWAYS": "300",
        "MIST_DEMO_SEED": "5",
        "MIST_DEMO_LATENCY_MS": "20",
        "ENRICH_BUDGET": "0",
        "REDIS_URL": redis_server.url,
        "COLLECTOR_LEASE_SECONDS": "3",
        "CACHE_TTL_SECONDS": "600",
    }
    port_a, port_b = free_port(), free_port()
    with (
        running_server(dev_server_command(port_a), env, port_a, tmp_path / "a.log") as (base_a, proc_a),
        running_server(dev_server_command(port_b), env, port_b, tmp_path / "b.log") as (base_b, proc_b),
    ):
        answers = {}

        def ask(name: str, base: str) -> None:
            answers[name] = requests.get(base + "/api/gateways", timeout=120).json()

        servers = (("a", base_a), ("b", base_b))
        threads = [threading.Thread(target=ask, args=(f"{n}{i}", b)) for n, b in servers for i in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert all(a["success"] for a in answers.values()), [a for a in answers.values() if not a["success"]][
            :1
        ]
        assert len({a["version"] for a in answers.values()}) == 1, "every answer is the same snapshot"
        status_a, status_b = _status(base_a), _status(base_b)
        assert status_a["holder"] == status_b["holder"]
        calls = {
            "a": status_a["this_process"]["upstream_calls"],
            "b": status_b["this_process"]["upstream_calls"],
        }
        assert 0 in calls.values(), calls
        holder, survivor = ("a", "b") if calls["a"] else ("b", "a")
        procs, bases = {"a": proc_a, "b": proc_b}, {"a": base_a, "b": base_b}

        # Kill the holder just after it renewed its lease (the lease then lives longest), without a
        # chance to release it; the survivor keeps answering.
        lease_key = redis.Redis.from_url(redis_server.url)
        deadline = time.monotonic() + 5
        while lease_key.pttl("mcs:collector:lease") < 2800 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(procs[holder].pid, signal.SIGKILL)
        started, blank = time.monotonic(), []
        while time.monotonic() - started < 12:
            body = requests.get(bases[survivor] + "/api/gateways", timeout=30).json()
            if not body.get("success") or len(body["data"]["gateways"]) != 300:
                blank.append(body)
            status = _status(bases[survivor])
            if status["is_holder"]:
                break
            time.sleep(0.2)
        took_over = time.monotonic() - started
        assert status["is_holder"], "the survivor took the lease"
        # The standby wakes as the lease runs out (at most 3 s after the kill, the holder renewing
        # every second), + 0.05 s margin; this loop looks every 0.2 s, and a loaded CI machine
        # answers slower. (tests/unit/test_standby_pause.py pins the wake-up itself.)
        assert took_over < 3 + 0.75, f"takeover within one lease TTL, took {took_over:.2f} s"
        assert blank == [], "the page never went blank"

    # One cold collection of a 300-gateway org costs what both processes spent together.
    single = create_app({"demo": True, "demo_gateways": 300, "demo_seed": 5, "enrich_budget": 0,
                         "extra": {"collector_autostart": False}})  # fmt: skip
    collect(single)
    assert calls[holder] == simulator_of(single).calls()["total"], calls


def test_token_cooldowns_are_shared_through_redis(redis_server):
    tokens = ("token-alpha-111111", "token-bravo-222222")
    settings = {
        "demo": True,
        "demo_gateways": 20,
        "tokens": tokens,
        "redis_url": redis_server.url,
        "enrich_budget": 0,
        "extra": {"collector_autostart": False},
    }
    first, second = create_app(settings), create_app(settings)
    simulator_of(first).exhaust_token(tokens[0])
    collect(first)
    assert first.test_client().get("/api/gateways").status_code == 200
    # The second app never met the 429 itself, yet it skips the cooling token.
    pool = runtime_of(second).conn.pool
    assert {pool.acquire() for _ in range(4)} == {tokens[1]}


def test_snapshots_travel_through_redis_and_only_two_versions_are_kept(redis_server):
    settings = {
        "demo": True,
        "demo_gateways": 30,
        "redis_url": redis_server.url,
        "enrich_budget": 0,
        "extra": {"collector_autostart": False},
    }
    writer, reader = create_app(settings), create_app(settings)
    org_id = simulator_of(writer).org_id
    for _ in range(5):
        collect(writer)
    store = runtime_of(writer).store
    assert store.versions_kept(org_id) == 2, "current and previous only"
    # The reader process never collected: it serves the writer's snapshot byte for byte.
    sim_reader = simulator_of(reader)
    mine = writer.test_client().get("/api/gateways")
    theirs = reader.test_client().get("/api/gateways")
    assert theirs.status_code == 200 and theirs.data == mine.data
    assert theirs.headers["ETag"] == mine.headers["ETag"]
    assert sim_reader.calls()["total"] == 0


def test_redis_down_keeps_serving_from_memory_and_says_so(redis_server):
    app = create_app(
        {"demo": True, "demo_gateways": 20, "redis_url": redis_server.url, "enrich_budget": 0,
         "extra": {"collector_autostart": False}}
    )  # fmt: skip
    collect(app)
    client = app.test_client()
    assert client.get("/api/gateways").status_code == 200
    redis_server.stop()
    collect(app)
    response = client.get("/api/gateways")
    assert response.status_code == 200
    assert len(response.get_json()["data"]["gateways"]) == 20
    store = client.get("/api/status").get_json()["data"]["collector"]["store"]
    assert store["kind"] == "redis" and store["reachable"] is False and store["error"]


@pytest.mark.slow
def test_sigterm_stops_the_collector_and_releases_its_lease(redis_server, tmp_path):
    """Graceful shutdown: gunicorn's workers stop their collector, which deletes its lease at once
    (another process need not wait for the lease to expire)."""
    import redis

    from tests.support.servers import gunicorn_command

    port = free_port()
    env = {
        "MIST_DEMO": "1",
        "MIST_DEMO_GATEWAYS": "50",
        "ENRICH_BUDGET": "0",
        "REDIS_URL": redis_server.url,
        "COLLECTOR_LEASE_SECONDS": "60",
        "WEB_CONCURRENCY": "2",
    }
    client = redis.Redis.from_url(redis_server.url)
    with running_server(gunicorn_command(port, workers=2), env, port, tmp_path / "g.log") as (base, proc):
        assert requests.get(base + "/api/gateways", timeout=60).status_code == 200
        holder = client.get("mcs:collector:lease")
        assert holder, "one worker holds the lease"
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=40)
    assert client.get("mcs:collector:lease") is None, "released on SIGTERM, long before its 60 s TTL"
    assert client.pttl("mcs:collector:lease") == -2
