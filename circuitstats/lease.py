"""Who may collect: one collector per deployment.

Embedded (no Redis): the only process is the holder. With Redis: a lease key set with ``NX`` and a
TTL; the holder renews it well before it expires, and when the holder dies the key expires and
another process takes it within one TTL. Renewal and release are compare-and-act Lua scripts, so a
process can never extend or delete a lease that another one holds.
"""

from __future__ import annotations

import os
import socket
import uuid

from circuitstats.redis_link import RedisLink

_IF_MINE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call("
_RENEW = _IF_MINE + "'pexpire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = _IF_MINE + "'del', KEYS[1]) end return 0"


def holder_name() -> str:
    """A readable, unique holder id: host, pid and a random suffix (a restarted pid is a new holder)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class LocalLease:
    """The embedded default: this process always holds the lease."""

    ttl = 0.0

    def __init__(self) -> None:
        self.me = holder_name()

    def acquire_or_renew(self) -> bool:
        return True

    def renew(self) -> bool | None:
        return True

    def release(self) -> None:
        pass

    def holder(self) -> str | None:
        return self.me

    def expires_in(self) -> float | None:
        return None


class RedisLease:
    """A lease in Redis: ``SET key me NX PX ttl``, renewed by its holder, released on shutdown."""

    def __init__(self, link: RedisLink, key: str = "mcs:collector:lease", ttl: float = 15.0):
        self.link = link
        self.key = key
        self.ttl = ttl
        self.me = holder_name()
        self.degraded = False  # True while Redis is unreachable and this process collects alone
        self._renew = link.client.register_script(_RENEW)
        self._release = link.client.register_script(_RELEASE)

    def acquire_or_renew(self) -> bool:
        """True while this process holds the lease (taking it when it is free).

        When Redis cannot be reached nobody can hold the lease, so every process collects for
        itself (more Mist calls, but no page goes stale because of a Redis outage).
        """

        def attempt(client) -> bool:
            if self._renew_on(client):
                return True
            return bool(client.set(self.key, self.me, nx=True, px=int(self.ttl * 1000)))

        held = self.link.run(attempt, default=None)
        self.degraded = held is None
        return True if held is None else bool(held)

    def renew(self) -> bool | None:
        """Extend the lease if this process still holds it, never take a free one (the keeper of a
        running collection must not grab a lease released on shutdown); None when Redis is down."""
        renewed = self.link.run(self._renew_on)
        return None if renewed is None else bool(renewed)

    def _renew_on(self, client) -> bool:
        """Extend the lease by a TTL if it is this process's (compare-and-expire); False otherwise."""
        return bool(self._renew(keys=[self.key], args=[self.me, int(self.ttl * 1000)], client=client))

    def release(self) -> None:
        self.link.run(lambda c: self._release(keys=[self.key], args=[self.me], client=c))

    def holder(self) -> str | None:
        raw = self.link.run(lambda c: c.get(self.key))
        return raw.decode() if raw else None

    def expires_in(self) -> float | None:
        """Seconds until the current lease runs out unless renewed (0 when nobody holds it), None
        when Redis cannot tell: a standby waits this long, not a whole tick, to take over."""
        left_ms = self.link.run(lambda c: c.pttl(self.key))
        if not isinstance(left_ms, int) or left_ms == -1:  # unreachable, or a key without a TTL
            return None
        return max(left_ms, 0) / 1000
