"""MemoryCache: freshness, stale-while-revalidate, single flight across threads, errors never cached."""

from __future__ import annotations

import time

import pytest

from cache import CacheResult, MemoryCache, MemoryCooldownStore, make_cache, mask_url
from tests.cache.helpers import CountingFetch, FakeClock, run_threads, wait_until


def test_make_cache_without_url_is_memory():
    cache = make_cache(None)
    assert isinstance(cache, MemoryCache)
    assert cache.status()["backend"] == "memory"
    assert cache.status()["redis_ok"] is False


def test_fresh_value_is_served_without_fetching_again():
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    fetch = CountingFetch()

    first = cache.get_or_fetch("table", fetch, ttl=60, max_stale=600)
    clock.now += 59
    second = cache.get_or_fetch("table", fetch, ttl=60, max_stale=600)

    assert fetch.calls == 1
    assert first == CacheResult({"call": 1}, clock.now - 59, False)
    assert second == first


def test_stale_value_is_served_at_once_while_one_background_refresh_runs():
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    fetch = CountingFetch()
    cache.get_or_fetch("table", fetch, ttl=60, max_stale=600)
    first_as_of = clock.now
    clock.now += 61
    fetch.release.clear()  # the refresh will hang until we say so

    answers = [cache.get_or_fetch("table", fetch, ttl=60, max_stale=600) for _ in range(5)]

    assert all(answer == CacheResult({"call": 1}, first_as_of, True) for answer in answers)
    wait_until(lambda: fetch.calls == 2)
    assert cache.status()["refreshing"] == ["table"]
    time.sleep(0.05)
    assert fetch.calls == 2, "only one background refresh may run"

    fetch.release.set()
    wait_until(lambda: cache.status()["refreshing"] == [])
    refreshed = cache.get_or_fetch("table", fetch, ttl=60, max_stale=600)
    assert refreshed == CacheResult({"call": 2}, clock.now, False)
    assert fetch.calls == 2


def test_twenty_concurrent_callers_cause_one_fetch():
    cache = MemoryCache()
    fetch = CountingFetch(delay=0.2)

    outcomes = run_threads(20, lambda: cache.get_or_fetch("table", fetch, ttl=60, max_stale=600))

    assert fetch.calls == 1
    assert all(isinstance(outcome, CacheResult) for outcome in outcomes), outcomes
    assert {outcome.as_of for outcome in outcomes} == {outcomes[0].as_of}
    assert all(outcome.value == {"call": 1} and not outcome.stale for outcome in outcomes)


def test_fetch_error_reaches_every_waiter_and_is_not_cached():
    cache = MemoryCache()
    boom = ConnectionError("Mist unavailable")
    failing = CountingFetch(error=boom, delay=0.2)

    outcomes = run_threads(10, lambda: cache.get_or_fetch("table", failing, ttl=60, max_stale=600))

    assert failing.calls == 1
    assert all(outcome is boom for outcome in outcomes), outcomes  # the same exception object
    assert cache.peek("table") is None
    assert cache.last_error("table") == "ConnectionError: Mist unavailable"

    working = CountingFetch(value={"rows": []})
    assert cache.get_or_fetch("table", working, ttl=60, max_stale=600).value == {"rows": []}
    assert working.calls == 1, "a later call must retry, not replay the error"
    assert cache.last_error("table") is None


def test_value_older_than_max_stale_is_fetched_while_the_caller_waits():
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    fetch = CountingFetch()
    cache.get_or_fetch("table", fetch, ttl=60, max_stale=600)
    clock.now += 600

    result = cache.get_or_fetch("table", fetch, ttl=60, max_stale=600)

    assert fetch.calls == 2
    assert result == CacheResult({"call": 2}, clock.now, False)


def test_value_older_than_max_stale_is_not_served_when_the_refetch_fails():
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    cache.get_or_fetch("table", CountingFetch(), ttl=60, max_stale=600)
    clock.now += 601

    with pytest.raises(ConnectionError):
        cache.get_or_fetch("table", CountingFetch(error=ConnectionError("down")), ttl=60, max_stale=600)
    assert cache.peek("table") is None


def test_failed_background_refresh_keeps_the_stale_value_and_remembers_the_error():
    clock = FakeClock()
    cache = MemoryCache(clock=clock, refresh_backoff=30)
    cache.get_or_fetch("table", CountingFetch(value={"v": 1}), ttl=60, max_stale=600)
    clock.now += 61
    failing = CountingFetch(error=TimeoutError("Mist timed out"))

    stale = cache.get_or_fetch("table", failing, ttl=60, max_stale=600)
    wait_until(lambda: cache.last_error("table") is not None)

    assert stale.value == {"v": 1} and stale.stale
    assert cache.last_error("table") == "TimeoutError: Mist timed out"
    assert cache.status()["errors"]["table"]["error"] == "TimeoutError: Mist timed out"
    again = cache.get_or_fetch("table", failing, ttl=60, max_stale=600)
    assert again.value == {"v": 1} and again.stale
    time.sleep(0.05)
    assert failing.calls == 1, "within refresh_backoff a failing upstream is not asked again"

    clock.now += 31
    working = CountingFetch(value={"v": 2})
    cache.get_or_fetch("table", working, ttl=60, max_stale=600)
    wait_until(lambda: cache.last_error("table") is None)
    assert working.calls == 1
    assert cache.peek("table").value == {"v": 2}


def test_peek_invalidate_and_refresh_in_background():
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    assert cache.peek("sites") is None
    cache.get_or_fetch("sites", CountingFetch(value=["a"]), ttl=60, max_stale=600)
    clock.now += 61
    assert cache.peek("sites") == CacheResult(["a"], clock.now - 61, True)

    refresh = CountingFetch(value=["a", "b"])
    assert cache.refresh_in_background("sites", refresh, ttl=60) is True
    wait_until(lambda: refresh.calls == 1 and cache.peek("sites").value == ["a", "b"])
    assert cache.peek("sites").stale is False

    cache.invalidate("sites")
    assert cache.peek("sites") is None
    refetch = CountingFetch(value=["c"])
    assert cache.get_or_fetch("sites", refetch, ttl=60, max_stale=600).value == ["c"]
    assert refetch.calls == 1


def test_entries_past_max_stale_are_dropped():
    clock = FakeClock()
    cache = MemoryCache(clock=clock)
    for gateway in range(10):
        cache.get_or_fetch(f"ports:{gateway}", CountingFetch(), ttl=10, max_stale=100)
    clock.now += 100
    cache.get_or_fetch("other", CountingFetch(), ttl=10, max_stale=100)  # triggers the periodic sweep
    assert cache.status()["keys"] == 1


def test_max_stale_shorter_than_ttl_is_refused():
    with pytest.raises(ValueError):
        MemoryCache().get_or_fetch("k", CountingFetch(), ttl=60, max_stale=10)


def test_memory_cooldowns():
    clock = FakeClock()
    store = MemoryCooldownStore(clock)
    assert store.get("token-1") == 0.0
    store.set("token-1", clock.now + 30)
    store.set("token-2", clock.now + 5)
    assert store.get("token-1") == clock.now + 30
    assert store.all() == {"token-1": clock.now + 30, "token-2": clock.now + 5}
    clock.now += 10
    assert store.get("token-2") == 0.0
    assert store.all() == {"token-1": clock.now + 20}
    store.set("token-1", 0)
    assert store.all() == {}


def test_mask_url_hides_the_password_only():
    assert mask_url("redis://:s3cret@redis:6379/0") == "redis://:***@redis:6379/0"
    assert mask_url("rediss://app:p%40ss@cache.example:6380/1") == "rediss://app:***@cache.example:6380/1"
    assert mask_url("redis://redis:6379/0") == "redis://redis:6379/0"
