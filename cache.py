"""One cache in front of the Mist connection, shared by every request (and by every worker with Redis).

Why it exists: the gateway table of a large org costs many upstream calls and the API budget is counted
per token per hour, so any number of users (or gunicorn workers, or replicas) must cause one fetch, not
one each. What it promises:

* single flight: concurrent callers for the same key wait for one `fetch`: threads of a process through
  an in-process flight; processes through a Redis lock (`SET NX PX` with an owner token, released only by
  its owner, kept alive while a slow fetch runs, left to expire if its owner dies);
* stale-while-revalidate: a value older than `ttl` but younger than `max_stale` is answered at once with
  `stale=True` while one background refresh runs, so nobody waits on a warm cache;
* failures are never cached: with no usable value the fetch's exception reaches the caller and every
  waiter, and the next call tries again; with a stale value the error is remembered (`last_error`,
  `status`) and the stale value keeps being served;
* Redis is an optimisation, never a new way to fail: when it is unreachable the cache answers from
  process memory and tries Redis again after a short back-off.

Values must be JSON-serialisable (they travel through Redis as JSON, so tuples come back as lists and
dict keys as strings) and are shared by every request: treat them as read-only.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

log = logging.getLogger(__name__)

Fetch = Callable[[], Any]

_SWEEP_EVERY = 60.0  # seconds between purges of memory entries past their max_stale


@dataclass(frozen=True)
class CacheResult:
    value: Any
    as_of: float  # epoch seconds when the value was fetched from upstream
    stale: bool  # older than the ttl asked for: a refresh is under way (or failed, see last_error)


class CacheWaitTimeout(TimeoutError):
    """Waited longer than `wait_timeout` for a fetch run by another thread or process."""


class SharedFetchError(RuntimeError):
    """The fetch another process ran on our behalf failed.

    An exception object cannot cross processes, so its type name and message travel through Redis;
    threads of the process that ran the fetch get the original exception instead.
    """

    def __init__(self, key: str, error_type: str, message: str):
        super().__init__(f"{error_type}: {message}")
        self.key = key
        self.error_type = error_type
        self.message = message


@dataclass(frozen=True)
class _Entry:
    value: Any
    as_of: float
    ttl: float  # the ttl it was written with, so peek() can say whether it is stale
    keep_until: float  # as_of + max_stale: past this it is useless and gets dropped
    version: str  # changes on every write; lets the Redis L1 copy know it is current

    def result(self, now: float, ttl: float) -> CacheResult:
        return CacheResult(self.value, self.as_of, now - self.as_of >= ttl)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


class _Flight:
    """One fetch in progress in this process; other threads wanting the same key wait on it."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._result: CacheResult | None = None
        self._error: BaseException | None = None

    def resolve(self, result: CacheResult) -> None:
        self._result = result
        self._done.set()

    def fail(self, error: BaseException) -> None:
        self._error = error
        self._done.set()

    @property
    def error(self) -> BaseException | None:
        return self._error

    def wait(self, key: str, timeout: float) -> CacheResult:
        if not self._done.wait(timeout):
            raise CacheWaitTimeout(f"no value for {key!r} after waiting {timeout:g} s for its fetch")
        if self._error is not None:
            raise self._error  # the very exception the fetch raised, for every waiter
        assert self._result is not None
        return self._result


class MemoryCooldownStore:
    """Per-token "do not call before" epochs (429 Retry-After), in this process.

    Token ids are opaque labels chosen by the caller (e.g. a hash or an index), never the token itself:
    with Redis they are stored in clear.
    """

    def __init__(self, clock: Callable[[], float] = time.time):
        self._clock = clock
        self._guard = threading.Lock()
        self._until: dict[str, float] = {}

    def get(self, token_id: str) -> float:
        """The epoch until which the token rests, or 0.0 if it may be used now."""
        with self._guard:
            until = self._until.get(token_id, 0.0)
        return until if until > self._clock() else 0.0

    def set(self, token_id: str, until: float) -> None:
        """Record the latest answer for this token (a later 429 overrides an earlier one; 0 clears)."""
        with self._guard:
            if until > self._clock():
                self._until[token_id] = float(until)
            else:
                self._until.pop(token_id, None)

    def all(self) -> dict[str, float]:
        """Every token still cooling down: {token_id: until}."""
        now = self._clock()
        with self._guard:
            return {token: until for token, until in self._until.items() if until > now}


class MemoryCache:
    """The embedded cache: entries, flights and cool-downs in this process's memory.

    Right for a single process (the Flask dev server, one gunicorn worker with threads). RedisCache
    builds on it and uses the same dictionaries as its local copy and its fallback.
    """

    backend = "memory"

    def __init__(
        self,
        *,
        wait_timeout: float = 120.0,
        refresh_backoff: float = 10.0,
        clock: Callable[[], float] = time.time,
    ):
        """wait_timeout: longest a caller waits for someone else's fetch before CacheWaitTimeout.
        refresh_backoff: after a failed background refresh, stale reads do not start another one for
        this long, so a failing upstream is not hit once per request."""
        self.wait_timeout = wait_timeout
        self.refresh_backoff = refresh_backoff
        self._clock = clock
        self._guard = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._flights: dict[str, _Flight] = {}
        self._errors: dict[str, tuple[str, float]] = {}  # key -> (description, epoch)
        self._next_sweep = clock() + _SWEEP_EVERY
        self.cooldowns = MemoryCooldownStore(clock)

    # ----------------------------------------------------------------- public API

    def get_or_fetch(self, key: str, fetch: Fetch, ttl: float, max_stale: float) -> CacheResult:
        """The value for `key`: cached if younger than `ttl`; stale (and refreshing in the background)
        if younger than `max_stale`; otherwise fetched once for all concurrent callers.

        Raises whatever `fetch` raised (SharedFetchError when it ran in another process), or
        CacheWaitTimeout; never an error of the cache's own storage.
        """
        if max_stale < ttl:
            raise ValueError(f"max_stale ({max_stale}) must not be shorter than ttl ({ttl})")
        entry = self._read(key)
        if entry is not None:
            age = self._clock() - entry.as_of
            if age < ttl:
                return CacheResult(entry.value, entry.as_of, False)
            if age < max_stale:
                self._start_background(key, fetch, ttl, max_stale, force=False)
                return CacheResult(entry.value, entry.as_of, True)
        flight, leading = self._join_flight(key)
        if leading:
            self._fly(key, flight, fetch, ttl, max_stale, force=False)
        return flight.wait(key, self.wait_timeout)

    def peek(self, key: str) -> CacheResult | None:
        """The cached value without fetching (stale judged by the ttl it was written with)."""
        entry = self._read(key)
        return None if entry is None else entry.result(self._clock(), entry.ttl)

    def refresh_in_background(self, key: str, fetch: Fetch, ttl: float, max_stale: float = math.inf) -> bool:
        """Fetch `key` again now in a daemon thread, even if fresh (warm-up, a "refresh" button).

        Returns False when a fetch of this key is already running here, which will do.
        """
        return self._start_background(key, fetch, ttl, max_stale, force=True)

    def invalidate(self, key: str) -> None:
        """Forget the value: the next get_or_fetch fetches (a running fetch still completes)."""
        with self._guard:
            self._entries.pop(key, None)
            self._errors.pop(key, None)

    def last_error(self, key: str) -> str | None:
        """The latest failure of a fetch of `key` ("Type: message"), cleared by the next success."""
        with self._guard:
            error = self._errors.get(key)
        return None if error is None else error[0]

    def status(self) -> dict[str, Any]:
        with self._guard:
            return {
                "backend": self.backend,
                "redis_ok": False,
                "error": None,
                "keys": len(self._entries),
                "refreshing": sorted(self._flights),
                "errors": {key: {"error": text, "at": at} for key, (text, at) in self._errors.items()},
            }

    # ----------------------------------------------------------------- flights

    def _join_flight(self, key: str) -> tuple[_Flight, bool]:
        """The flight for `key`, and whether this caller created it (and so must run it)."""
        with self._guard:
            flight = self._flights.get(key)
            if flight is not None:
                return flight, False
            flight = self._flights[key] = _Flight()
            return flight, True

    def _start_background(self, key: str, fetch: Fetch, ttl: float, max_stale: float, force: bool) -> bool:
        with self._guard:
            if key in self._flights:
                return False
            error = self._errors.get(key)
            if not force and error is not None and self._clock() - error[1] < self.refresh_backoff:
                return False
            flight = self._flights[key] = _Flight()

        def run() -> None:
            self._fly(key, flight, fetch, ttl, max_stale, force)
            if flight.error is not None:
                log.warning("background refresh of %r failed: %s", key, _describe(flight.error))

        threading.Thread(target=run, name=f"cache-refresh {key}", daemon=True).start()
        return True

    def _fly(
        self, key: str, flight: _Flight, fetch: Fetch, ttl: float, max_stale: float, force: bool
    ) -> None:
        """Run the load for a flight and hand its outcome to every waiter, exceptions included."""
        try:
            result = self._load(key, fetch, ttl, max_stale, force)
        except BaseException as exc:  # waiters must hear about KeyboardInterrupt too, not hang
            with self._guard:
                self._errors[key] = (_describe(exc), self._clock())
                del self._flights[key]  # before failing: a call arriving now starts a fresh attempt
            flight.fail(exc)
        else:
            with self._guard:
                self._errors.pop(key, None)
                del self._flights[key]
            flight.resolve(result)

    # ----------------------------------------------------------------- storage (overridden for Redis)

    def _load(self, key: str, fetch: Fetch, ttl: float, max_stale: float, force: bool) -> CacheResult:
        """Fetch and keep the value; runs once per flight."""
        if not force:
            # A flight that finished between our read and our flight may have just stored it.
            entry = self._read(key)
            if entry is not None and self._clock() - entry.as_of < ttl:
                return entry.result(self._clock(), ttl)
        entry = self._new_entry(fetch(), ttl, max_stale)
        self._keep(key, entry)
        return CacheResult(entry.value, entry.as_of, False)

    def _new_entry(self, value: Any, ttl: float, max_stale: float) -> _Entry:
        as_of = self._clock()
        return _Entry(value, as_of, ttl, as_of + max_stale, uuid.uuid4().hex)

    def _read(self, key: str) -> _Entry | None:
        return self._read_local(key)

    def _read_local(self, key: str) -> _Entry | None:
        with self._guard:
            entry = self._entries.get(key)
            if entry is not None and self._clock() >= entry.keep_until:
                del self._entries[key]
                return None
            return entry

    def _keep(self, key: str, entry: _Entry) -> None:
        now = self._clock()
        with self._guard:
            self._entries[key] = entry
            if now >= self._next_sweep:  # keys such as per-gateway ports would otherwise pile up
                self._next_sweep = now + _SWEEP_EVERY
                for old in [k for k, e in self._entries.items() if now >= e.keep_until]:
                    del self._entries[old]


# --------------------------------------------------------------------------- Redis

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


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    return (redis.RedisError, OSError)


class _RedisLink:
    """The Redis client plus its health: after a failure, Redis is left alone for `retry_after` s and
    callers use memory; the first caller after that pings it and, if it answers, Redis is back."""

    def __init__(self, url: str, retry_after: float, socket_timeout: float):
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.url = mask_url(url)
        self._password = urlsplit(url).password
        self.errors = _redis_errors()
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
        self.usable()  # ping now, so status() is truthful from the start

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
        log.info("Redis at %s is reachable: cache shared across workers", self.url)
        return self.client

    def failed(self, exc: BaseException) -> None:
        error = self.mask(_describe(exc))
        with self._guard:
            was_ok = self.ok
            self.ok, self.error = False, error
            self._retry_at = time.monotonic() + self._retry_after
        if was_ok:
            log.warning("Redis at %s failed, using process memory for now: %s", self.url, error)


class RedisCooldownStore(MemoryCooldownStore):
    """Cool-downs in one Redis hash, so every worker skips a token another worker saw rate limited.

    Every write also lands in memory, which answers while Redis is unreachable.
    """

    def __init__(self, link: _RedisLink, hash_key: str, clock: Callable[[], float] = time.time):
        super().__init__(clock)
        self._link = link
        self._key = hash_key

    def get(self, token_id: str) -> float:
        client = self._link.usable()
        if client is not None:
            try:
                raw = client.hget(self._key, token_id)
            except self._link.errors as exc:
                self._link.failed(exc)
            else:
                until = float(raw) if raw is not None else 0.0
                return until if until > self._clock() else 0.0
        return super().get(token_id)

    def set(self, token_id: str, until: float) -> None:
        super().set(token_id, until)
        client = self._link.usable()
        if client is None:
            return
        try:
            if until > self._clock():
                client.hset(self._key, token_id, repr(float(until)))
            else:
                client.hdel(self._key, token_id)
        except self._link.errors as exc:
            self._link.failed(exc)

    def all(self) -> dict[str, float]:
        client = self._link.usable()
        if client is not None:
            try:
                raw = client.hgetall(self._key)
            except self._link.errors as exc:
                self._link.failed(exc)
            else:
                now = self._clock()
                found = {token.decode(): float(until) for token, until in raw.items()}
                expired = [token for token, until in found.items() if until <= now]
                if expired:
                    self._forget(client, expired)
                return {token: until for token, until in found.items() if until > now}
        return super().all()

    def _forget(self, client: Any, tokens: list[str]) -> None:
        try:
            client.hdel(self._key, *tokens)
        except self._link.errors as exc:
            self._link.failed(exc)


# Compare-and-act on the lock, atomically: only its owner may release or extend it.
_OWNED = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call("
_RELEASE = _OWNED + "'del', KEYS[1]) end return 0"
_EXTEND = _OWNED + "'pexpire', KEYS[1], ARGV[2]) end return 0"


class RedisCache(MemoryCache):
    """The cache shared by every process using one Redis: entries, the single-flight lock and the
    token cool-downs live there.

    Entries are hashes {ver, as_of, ttl, keep, value(JSON)}. Each process keeps the last entry it saw
    (the L1 copy) and on a read asks Redis only for `ver`; the value is downloaded again only when
    another process wrote a new version, so warm reads of a 10 MB table cost one tiny round trip.
    """

    backend = "redis"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "mcs:",
        lock_ttl: float = 15.0,
        retry_after: float = 5.0,
        socket_timeout: float = 2.0,
        poll_interval: float = 0.2,
        **options: Any,
    ):
        """lock_ttl: how soon a dead owner's lock frees (a live owner keeps extending it).
        retry_after: back-off before trying Redis again after a failure.
        poll_interval: slowest poll of a waiter for another process's result (it starts at 10 ms)."""
        super().__init__(**options)
        self._prefix = prefix
        self._lock_ms = max(1, int(lock_ttl * 1000))
        self._poll_interval = poll_interval
        self._link = _RedisLink(url, retry_after, socket_timeout)
        self._release_script = self._link.client.register_script(_RELEASE)
        self._extend_script = self._link.client.register_script(_EXTEND)
        self.cooldowns = RedisCooldownStore(self._link, f"{prefix}cooldowns", self._clock)

    def _k(self, kind: str, key: str) -> str:
        return f"{self._prefix}{kind}:{key}"

    # ----------------------------------------------------------------- public API

    def invalidate(self, key: str) -> None:
        super().invalidate(key)
        client = self._link.usable()
        if client is not None:
            try:
                client.delete(self._k("entry", key), self._k("error", key))
            except self._link.errors as exc:
                self._link.failed(exc)

    def last_error(self, key: str) -> str | None:
        """The latest failure seen by any process (this process's own while Redis is unreachable)."""
        client = self._link.usable()
        if client is not None:
            try:
                error_type, message = client.hmget(self._k("error", key), ["type", "message"])
            except self._link.errors as exc:
                self._link.failed(exc)
            else:
                if error_type is None:
                    return None
                return f"{error_type.decode()}: {message.decode()}"
        return super().last_error(key)

    def status(self) -> dict[str, Any]:
        self._link.usable()  # lets an idle dashboard notice that Redis came back
        status = super().status()
        status.update(redis_ok=self._link.ok, error=self._link.error, url=self._link.url)
        return status

    # ----------------------------------------------------------------- reads

    def _read(self, key: str) -> _Entry | None:
        client = self._link.usable()
        if client is None:
            return self._read_local(key)
        try:
            return self._read_shared(client, key)
        except self._link.errors as exc:
            self._link.failed(exc)
            return self._read_local(key)

    def _read_shared(self, client: Any, key: str) -> _Entry | None:
        """Redis is the truth when reachable: a key gone there (expired, invalidated) is gone here."""
        entry_key = self._k("entry", key)
        version = client.hget(entry_key, "ver")
        if version is None:
            with self._guard:
                self._entries.pop(key, None)
            return None
        local = self._read_local(key)
        if local is not None and local.version == version.decode():
            return local
        fields = client.hmget(entry_key, ["ver", "as_of", "ttl", "keep", "value"])
        if fields[0] is None:  # deleted between the two calls
            return None
        ver, as_of, ttl, keep, value = fields
        try:
            entry = _Entry(json.loads(value), float(as_of), float(ttl), float(keep), ver.decode())
        except (TypeError, ValueError) as exc:  # not ours or damaged: treat as missing, a fetch overwrites it
            log.warning("ignoring unreadable cache entry %r in Redis: %s", key, _describe(exc))
            return None
        with self._guard:
            self._entries[key] = entry
        return entry

    # ----------------------------------------------------------------- the shared flight

    def _load(self, key: str, fetch: Fetch, ttl: float, max_stale: float, force: bool) -> CacheResult:
        client = self._link.usable()
        if client is not None:
            try:
                done, token = self._claim(client, key, ttl, force)
            except self._link.errors as exc:
                self._link.failed(exc)
            else:
                if done is not None:
                    return done
                return self._fetch_as_owner(client, key, token, fetch, ttl, max_stale)
        # Redis unreachable: fetch for this process alone rather than fail the request.
        return super()._load(key, fetch, ttl, max_stale, force)

    def _claim(self, client: Any, key: str, ttl: float, force: bool) -> tuple[CacheResult | None, str]:
        """Take the key's lock, or wait for its owner's result.

        Returns (result, "") when a result came from elsewhere, or (None, token) when we own the lock
        and must fetch. Raises the owner's failure (SharedFetchError) or CacheWaitTimeout.
        """
        lock_key, entry_key = self._k("lock", key), self._k("entry", key)
        deadline = time.monotonic() + self.wait_timeout
        while True:
            token = uuid.uuid4().hex
            # One atomic step: the version before the claim (a later one is news) and, if the lock is
            # taken, whose it is (so its owner's failure can be told apart from older ones).
            pipe = client.pipeline(transaction=True)
            pipe.hget(entry_key, "ver")
            pipe.set(lock_key, token, nx=True, px=self._lock_ms)
            pipe.get(lock_key)
            seen, claimed, owner = pipe.execute()
            if claimed:
                if not force:
                    entry = self._read_shared(client, key)
                    if entry is not None and self._clock() - entry.as_of < ttl:
                        self._release(client, key, token)  # someone refreshed it just before us
                        return entry.result(self._clock(), ttl), ""
                return None, token
            result = self._follow(client, key, ttl, seen, owner, deadline)
            if result is not None:
                return result, ""
            # The lock went away without a result: its owner died (lock expired); compete again.

    def _follow(
        self, client: Any, key: str, ttl: float, seen: bytes | None, owner: bytes, deadline: float
    ) -> CacheResult | None:
        """Poll until the lock's owner publishes a new version (returned) or its failure (raised);
        None when the lock disappears or changes hands without either."""
        lock_key, entry_key, error_key = self._k("lock", key), self._k("entry", key), self._k("error", key)
        delay = 0.01
        while True:
            time.sleep(delay)
            delay = min(delay * 1.5, self._poll_interval)
            pipe = client.pipeline(transaction=False)
            pipe.hget(entry_key, "ver")
            pipe.get(lock_key)
            pipe.hmget(error_key, ["flight", "type", "message"])
            version, holder, (failed_flight, error_type, message) = pipe.execute()
            if version is not None and version != seen:
                entry = self._read_shared(client, key)
                if entry is not None:
                    return entry.result(self._clock(), ttl)
            if failed_flight == owner:
                raise SharedFetchError(key, error_type.decode(), message.decode())
            if holder != owner:
                return None
            if time.monotonic() >= deadline:
                raise CacheWaitTimeout(
                    f"no value for {key!r} after {self.wait_timeout:g} s of another worker's fetch"
                )

    def _fetch_as_owner(
        self, client: Any, key: str, token: str, fetch: Fetch, ttl: float, max_stale: float
    ) -> CacheResult:
        """Run the fetch while holding the lock; publish the value, or the failure for the waiters."""
        stop = threading.Event()
        keeper = threading.Thread(
            target=self._keep_lock, args=(client, key, token, stop), name=f"cache-lock {key}", daemon=True
        )
        keeper.start()
        try:
            try:
                entry = self._new_entry(fetch(), ttl, max_stale)
                payload = json.dumps(entry.value, separators=(",", ":"))
            except BaseException as exc:
                self._publish_error(client, key, token, exc)
                raise
            self._keep(key, entry)
            self._write_shared(client, key, entry, payload)
            return CacheResult(entry.value, entry.as_of, False)
        finally:
            stop.set()
            self._release(client, key, token)

    def _keep_lock(self, client: Any, key: str, token: str, stop: threading.Event) -> None:
        """Extend the lock while the fetch runs, so lock_ttl can stay short (quick takeover when an
        owner dies) without a slow but alive fetch losing its lock."""
        while not stop.wait(self._lock_ms / 3000):
            try:
                if not self._extend_script(
                    keys=[self._k("lock", key)], args=[token, self._lock_ms], client=client
                ):
                    log.warning("lost the cache lock for %r while fetching it", key)
                    return
            except self._link.errors as exc:
                self._link.failed(exc)
                return

    def _release(self, client: Any, key: str, token: str) -> None:
        """Delete the lock only if it is still ours (it may have expired and been taken over)."""
        try:
            self._release_script(keys=[self._k("lock", key)], args=[token], client=client)
        except self._link.errors as exc:
            self._link.failed(exc)

    def _write_shared(self, client: Any, key: str, entry: _Entry, payload: str) -> None:
        pipe = client.pipeline(transaction=True)  # readers never see a half-written entry
        entry_key = self._k("entry", key)
        pipe.hset(
            entry_key,
            mapping={
                "ver": entry.version,
                "as_of": repr(entry.as_of),
                "ttl": repr(float(entry.ttl)),
                "keep": repr(float(entry.keep_until)),
                "value": payload,
            },
        )
        life = entry.keep_until - self._clock()
        if math.isfinite(life):
            pipe.pexpire(entry_key, max(1, int(life * 1000)))
        else:
            pipe.persist(entry_key)
        pipe.delete(self._k("error", key))
        try:
            pipe.execute()
        except self._link.errors as exc:
            self._link.failed(exc)

    def _publish_error(self, client: Any, key: str, token: str, exc: BaseException) -> None:
        """Tell the other processes waiting on this flight that it failed, and remember it for status."""
        try:
            pipe = client.pipeline(transaction=True)
            pipe.hset(
                self._k("error", key),
                mapping={
                    "flight": token,
                    "type": type(exc).__name__,
                    "message": str(exc)[:1000],
                    "at": repr(self._clock()),
                },
            )
            pipe.expire(self._k("error", key), 86400)
            pipe.execute()
        except self._link.errors as redis_exc:
            self._link.failed(redis_exc)


def make_cache(redis_url: str | None = None, **options: Any) -> MemoryCache:
    """MemoryCache, or RedisCache when a URL is given (from REDIS_URL).

    A malformed URL raises ValueError (a configuration mistake worth stopping for); an unreachable
    Redis does not: the cache works from memory and status() says why.
    """
    if redis_url:
        return RedisCache(redis_url, **options)
    return MemoryCache(**options)
