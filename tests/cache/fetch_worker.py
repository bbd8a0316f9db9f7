"""A separate process asking the shared cache for one key, for the cross-process tests.

Usage: python -m tests.cache.fetch_worker URL KEY START_AT THREADS MODE [LOCK_TTL]
Waits until the epoch START_AT (so several workers ask at the same moment), asks from THREADS threads,
prints one JSON list of outcomes. Every call of the fetch increments the Redis counter "fetches:KEY",
which is how the test counts fetches across processes. MODE: ok | fail | hang.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time

import redis

from cache import make_cache


def main() -> None:
    url, key, start_at, threads, mode = sys.argv[1:6]
    lock_ttl = float(sys.argv[6]) if len(sys.argv) > 6 else 15.0
    counter = redis.Redis.from_url(url)
    cache = make_cache(url, lock_ttl=lock_ttl, wait_timeout=30)

    def fetch():
        counter.incr(f"fetches:{key}")
        if mode == "hang":
            time.sleep(600)
        time.sleep(0.5)  # long enough for every other caller to arrive while this fetch runs
        if mode == "fail":
            raise RuntimeError("upstream down")
        return {"fetched_by": os.getpid()}

    outcomes = []

    def ask():
        try:
            result = cache.get_or_fetch(key, fetch, ttl=60, max_stale=600)
            outcomes.append({"value": result.value, "as_of": result.as_of})
        except Exception as exc:
            outcomes.append({"error": type(exc).__name__, "message": str(exc)})

    time.sleep(max(0.0, float(start_at) - time.time()))
    workers = [threading.Thread(target=ask) for _ in range(int(threads))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    print(json.dumps(outcomes))


if __name__ == "__main__":
    main()
