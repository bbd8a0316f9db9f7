"""Fixtures for the cache tests: a shared redis-server for the session, a private one to kill."""

from __future__ import annotations

import pytest

from tests.support.redis_server import RedisServer, RedisServerMissing


def _new_server() -> RedisServer:
    try:
        return RedisServer().start()
    except RedisServerMissing as exc:
        pytest.fail(str(exc), pytrace=False)  # a missing server is a broken environment, not a skip


@pytest.fixture(scope="session")
def _session_redis():
    server = _new_server()
    yield server
    server.cleanup()


@pytest.fixture
def redis_url(_session_redis: RedisServer) -> str:
    """URL of a running redis-server, emptied before each test."""
    client = _session_redis.client()
    client.flushall()
    client.close()
    return _session_redis.url


@pytest.fixture
def redis_server():
    """A redis-server of the test's own, which it may stop() and start() again on the same port."""
    server = _new_server()
    yield server
    server.cleanup()
