"""Redis as an optional shared memory for several workers: one client, its health, masked URLs.

Why: with ``REDIS_URL`` the workers and replicas share one collector lease, the snapshots and the
token cool-downs. Redis is an optimisation, never a new way to fail: after an error it is left alone
for a short back-off and callers fall back to what they hold in process memory.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from mist_connection import MemoryCooldowns

log = logging.getLogger(__name__)

_MASK = "***"
_URL_PASSWORD = re.compile(r"(//[^:/@\s]*:)[^@/\s]+@")


def mask_url(url: str) -> str:
    """The URL with any password replaced by ***, for logs and status."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    netloc = f"{parts.username or ''}:{_MASK}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class RedisLink:
    """The Redis client plus its health: after a failure Redis is left alone for ``retry_after`` s;
    the first caller after that pings it and, if it answers, Redis is back."""

    def __init__(self, url: str, retry_after: float = 5.0, socket_timeout: float = 2.0):
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.url = mask_url(url)
        self._password = urlsplit(url).password
        self.errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)
        self._retry_after = retry_after
        try:
            # One immediate retry covers a pooled connection that died with a restarted server; the
            # default (many retries with back-off) would stall every request while Redis is down.
            self.client = redis.Redis.from_url(
                url,
                socket_timeout=socket_timeout,
                socket_connect_timeout=socket_timeout,
                retry=Retry(NoBackoff(), 1),
            )
        except ValueError as exc:
            raise ValueError(f"bad REDIS_URL {self.url}: {self.mask(str(exc))}") from None
        self._guard = threading.Lock()
        self.ok = False
        self.error: str | None = "not connected yet"
        self._retry_at = 0.0
        self.usable()  # ping now, so status is truthful from the start

    def mask(self, text: str) -> str:
        if self._password:
            text = text.replace(self._password, _MASK)
        return _URL_PASSWORD.sub(rf"\1{_MASK}@", text)

    def usable(self) -> Any:
        """The client if Redis is believed up (probing it once the back-off has passed), else None."""
        if self.ok:
            return self.client
        with self._guard:
            if self.ok:
                return self.client
            if time.monotonic() < self._retry_at:
                return None
            self._retry_at = time.monotonic() + self._retry_after  # one prober at a time
        try:
            self.client.ping()
        except self.errors as exc:
            self.failed(exc)
            return None
        with self._guard:
            self.ok, self.error = True, None
        log.info("Redis at %s is reachable", self.url)
        return self.client

    def failed(self, exc: BaseException) -> None:
        error = self.mask(describe(exc))
        with self._guard:
            was_ok = self.ok
            self.ok, self.error = False, error
            self._retry_at = time.monotonic() + self._retry_after
        if was_ok:
            log.warning("Redis at %s failed, using process memory for now: %s", self.url, error)

    def run(self, action: Callable[[Any], Any], default: Any = None) -> Any:
        """``action(client)`` when Redis is usable; ``default`` when it is not or the call fails."""
        client = self.usable()
        if client is None:
            return default
        try:
            return action(client)
        except self.errors as exc:
            self.failed(exc)
            return default

    def status(self) -> dict:
        return {"url": self.url, "reachable": self.ok, "error": self.error}


class RedisCooldowns(MemoryCooldowns):
    """Token cool-downs in one Redis hash, so every worker skips a token another saw rate limited.

    Every write also lands in memory, which answers while Redis is unreachable. Keys are token ids
    (hashes), never tokens.
    """

    def __init__(self, link: RedisLink, hash_key: str = "mcs:cooldowns"):
        super().__init__()
        self._link = link
        self._key = hash_key

    def get(self, token_id: str) -> float:
        raw = self._link.run(lambda c: c.hget(self._key, token_id), default=False)
        if raw is False:
            return super().get(token_id)
        return float(raw) if raw is not None else 0.0

    def set(self, token_id: str, until: float) -> None:
        super().set(token_id, until)
        self._link.run(lambda c: c.hset(self._key, token_id, repr(float(until))))
