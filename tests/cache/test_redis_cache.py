"""RedisCache against a real redis-server: one fetch across processes, a shared view of errors and
cool-downs, the L1 copy, and carrying on from memory while Redis is down."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis

from cache import CacheResult, RedisCache, make_cache
from tests.cache.helpers import CountingFetch, FakeClock, run_threads, wait_until
from tests.support.redis_server import free_port

pytestmark = pytest.mark.redis

REPO = Path(__file__).resolve().parents[2]


def start_worker(url: str, key: str, start_at: float, threads: int, mode: str, lock_ttl: float = 15.0):
    return subprocess.Popen(
        [sys.executable, "-m", "tests.cache.fetch_worker", url, key, repr(start_at), str(threads), mode,
         repr(lock_ttl)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def outcomes_of(worker: subprocess.Popen) -> list[dict]:
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    return json.loads(out)


def fetch_count(url: str, key: str) -> int:
    return int(redis.Redis.from_url(url).get(f"fetches:{key}") or 0)


def test_make_cache_with_url_is_redis(redis_url):
    cache = make_cache(redis_url)
    assert isinstance(cache, RedisCache)
    assert cache.status() | {"keys": 0} == {
        "backend": "redis", "redis_ok": True, "error": None, "keys": 0, "refreshing": [], "errors": {},
        "url": redis_url,
    }  # fmt: skip


def test_two_processes_asking_at_once_fetch_once(redis_url):
    start_at = time.time() + 2.0  # both are running and idle by then
    workers = [start_worker(redis_url, "table", start_at, 5, "ok") for _ in range(2)]

    outcomes = [outcome for worker in workers for outcome in outcomes_of(worker)]

    assert fetch_count(redis_url, "table") == 1
    assert len(outcomes) == 10
    assert all("value" in outcome for outcome in outcomes), outcomes
    assert len({json.dumps(outcome, sort_keys=True) for outcome in outcomes}) == 1, "one value, one as_of"
    fetched_by = outcomes[0]["value"]["fetched_by"]
    assert fetched_by in {worker.pid for worker in workers}


def test_a_failed_fetch_reaches_the_waiters_of_the_other_process_and_is_not_cached(redis_url):
    start_at = time.time() + 2.0
    workers = [start_worker(redis_url, "table", start_at, 3, "fail") for _ in range(2)]

    by_worker = [outcomes_of(worker) for worker in workers]

    assert fetch_count(redis_url, "table") == 1
    errors = sorted({outcome["error"] for outcomes in by_worker for outcome in outcomes})
    assert errors == ["RuntimeError", "SharedFetchError"]
    messages = {outcome["message"] for outcomes in by_worker for outcome in outcomes}
    assert messages == {"upstream down", "RuntimeError: upstream down"}

    cache = make_cache(redis_url)
    assert cache.peek("table") is None
    assert cache.last_error("table") == "RuntimeError: upstream down"
    assert cache.get_or_fetch("table", CountingFetch(value=[1]), ttl=60, max_stale=600).value == [1]
    assert cache.last_error("table") is None


def test_when_the_lock_owner_dies_another_process_takes_over(redis_url):
    owner = start_worker(redis_url, "table", time.time(), 1, "hang", lock_ttl=2.0)
    try:
        wait_until(lambda: fetch_count(redis_url, "table") == 1, timeout=20)
        cache = make_cache(redis_url, lock_ttl=2.0, wait_timeout=30)
        fetch = CountingFetch(value={"fetched_by": "test"})
        answer: list[CacheResult] = []
        waiter = threading.Thread(
            target=lambda: answer.append(cache.get_or_fetch("table", fetch, ttl=60, max_stale=600))
        )
        waiter.start()
        time.sleep(3.0)  # beyond lock_ttl: the live owner keeps its lock, so we keep waiting
        assert fetch.calls == 0 and not answer
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)

    waiter.join(10)
    assert fetch.calls == 1
    assert answer and answer[0].value == {"fetched_by": "test"}


def test_threads_of_two_instances_fetch_once(redis_url):
    caches = [make_cache(redis_url), make_cache(redis_url)]
    fetch = CountingFetch(delay=0.3)

    outcomes = run_threads(
        16, lambda: caches[threading.get_ident() % 2].get_or_fetch("table", fetch, ttl=60, max_stale=600)
    )

    assert fetch.calls == 1
    assert all(isinstance(outcome, CacheResult) and outcome.value == {"call": 1} for outcome in outcomes)


def test_stale_value_is_refreshed_once_across_instances(redis_url):
    clock = FakeClock(time.time())
    first, second = make_cache(redis_url, clock=clock), make_cache(redis_url, clock=clock)
    first.get_or_fetch("table", CountingFetch(value={"v": 1}), ttl=60, max_stale=600)
    clock.now += 61
    refresh = CountingFetch(value={"v": 2}, delay=0.3)

    answers = [cache.get_or_fetch("table", refresh, ttl=60, max_stale=600) for cache in (first, second)]

    assert [(answer.value, answer.stale) for answer in answers] == [({"v": 1}, True), ({"v": 1}, True)]
    wait_until(lambda: first.status()["refreshing"] == [] == second.status()["refreshing"])
    assert refresh.calls == 1
    assert first.peek("table").value == second.peek("table").value == {"v": 2}


def test_warm_reads_do_not_download_the_value_again(redis_url):
    writer, reader = make_cache(redis_url), make_cache(redis_url)
    big = {"rows": ["x" * 100] * 10_000}  # ~1 MB of JSON
    writer.get_or_fetch("table", lambda: big, ttl=60, max_stale=600)
    admin = redis.Redis.from_url(redis_url)
    assert reader.peek("table").value == big  # first read downloads it
    admin.config_resetstat()

    for _ in range(20):
        assert reader.get_or_fetch("table", CountingFetch(), ttl=60, max_stale=600).value == big

    stats = admin.info("commandstats")
    assert "cmdstat_hmget" not in stats, "the value was downloaded again"
    assert stats["cmdstat_hget"]["calls"] == 20  # one version check per read

    writer.invalidate("table")
    assert reader.peek("table") is None, "an invalidation elsewhere must reach the L1 copy"
    writer.get_or_fetch("table", lambda: {"rows": []}, ttl=60, max_stale=600)
    assert reader.get_or_fetch("table", CountingFetch(), ttl=60, max_stale=600).value == {"rows": []}


def test_cooldowns_are_shared_between_instances(redis_url):
    first, second = make_cache(redis_url), make_cache(redis_url)
    now = time.time()
    first.cooldowns.set("token-0", now + 60)
    first.cooldowns.set("token-1", now - 1)  # already over: not a cool-down

    assert second.cooldowns.get("token-0") == pytest.approx(now + 60)
    assert second.cooldowns.get("token-1") == 0.0
    assert second.cooldowns.all() == {"token-0": pytest.approx(now + 60)}
    second.cooldowns.set("token-0", 0)
    assert first.cooldowns.get("token-0") == 0.0
    assert first.cooldowns.all() == {}


def test_redis_killed_mid_test_then_back(redis_server):
    cache = make_cache(redis_server.url, retry_after=0.2)
    cache.get_or_fetch("table", CountingFetch(value={"v": 1}), ttl=60, max_stale=600)
    cache.cooldowns.set("token-0", time.time() + 60)

    redis_server.stop()
    untouched = CountingFetch()
    served = cache.get_or_fetch("table", untouched, ttl=60, max_stale=600)
    assert served.value == {"v": 1} and untouched.calls == 0, "the value in memory keeps being served"
    assert cache.get_or_fetch("sites", CountingFetch(value=["s"]), ttl=60, max_stale=600).value == ["s"]
    assert cache.cooldowns.get("token-0") > time.time()  # what this process knew survives the outage
    status = cache.status()
    assert status["backend"] == "redis" and status["redis_ok"] is False
    assert "Connection" in status["error"]
    assert cache.peek("table").value == {"v": 1}
    cache.invalidate("table")  # must not raise either
    assert cache.last_error("table") is None

    redis_server.start()  # empty: nothing was saved
    wait_until(lambda: cache.status()["redis_ok"] is True)
    assert cache.status()["error"] is None
    cache.get_or_fetch("table", CountingFetch(value={"v": 2}), ttl=60, max_stale=600)
    other = make_cache(redis_server.url)
    untouched = CountingFetch()
    assert other.get_or_fetch("table", untouched, ttl=60, max_stale=600).value == {"v": 2}
    assert untouched.calls == 0, "after recovery values are shared through Redis again"


def test_redis_down_at_start_serves_from_memory_and_masks_the_password():
    url = f"redis://:hunter2-secret@127.0.0.1:{free_port()}/0"  # nothing listens there
    cache = make_cache(url, retry_after=60)

    fetch = CountingFetch(value={"v": 1})
    assert cache.get_or_fetch("table", fetch, ttl=60, max_stale=600).value == {"v": 1}
    assert cache.get_or_fetch("table", fetch, ttl=60, max_stale=600).value == {"v": 1}
    assert fetch.calls == 1
    outcomes = run_threads(8, lambda: cache.get_or_fetch("sites", fetch, ttl=60, max_stale=600))
    assert fetch.calls == 2, "single flight across threads holds without Redis"
    assert all(isinstance(outcome, CacheResult) for outcome in outcomes)

    status = cache.status()
    assert status["redis_ok"] is False and status["error"]
    assert "hunter2-secret" not in json.dumps(status)
    assert status["url"].startswith("redis://:***@127.0.0.1:")


def test_redis_error_text_never_shows_the_password(redis_url):
    cache = make_cache(redis_url.replace("redis://", "redis://:hunter2-secret@"))  # server has no password
    cache._link.failed(redis.ConnectionError("cannot reach redis://:hunter2-secret@db:6379 (hunter2-secret)"))
    assert "hunter2-secret" not in cache.status()["error"]
    assert "redis://:***@db:6379" in cache.status()["error"]


def test_a_malformed_url_is_a_configuration_error():
    with pytest.raises(ValueError, match="REDIS_URL"):
        make_cache("http://:pw@example.com")


def test_a_damaged_entry_in_redis_is_refetched_not_raised(redis_url):
    cache = make_cache(redis_url)
    redis.Redis.from_url(redis_url).hset(
        "mcs:entry:table",
        mapping={"ver": "x", "as_of": "1", "ttl": "60", "keep": "inf", "value": "{not json"},
    )
    fetch = CountingFetch(value={"v": 1})
    assert cache.get_or_fetch("table", fetch, ttl=60, max_stale=600).value == {"v": 1}
    assert fetch.calls == 1
    assert make_cache(redis_url).peek("table").value == {"v": 1}
