"""gunicorn settings the image relies on: worker count and a clean collector shutdown.

Workers come from WEB_CONCURRENCY (gunicorn's own variable), default 1. Without REDIS_URL each worker
would run its own collector and pay every Mist call once per worker, so more than one worker without
Redis is refused with a clear message instead. On SIGTERM each worker stops its collector, which
releases the Redis lease so another process takes over at once instead of after the lease's TTL.
"""

import logging
import os

workers = int(os.environ.get("WEB_CONCURRENCY", "1") or "1")
if workers > 1 and not os.environ.get("REDIS_URL"):
    logging.getLogger("gunicorn.error").warning(
        "WEB_CONCURRENCY=%d without REDIS_URL: every worker would collect on its own and spend the "
        "Mist API budget %d times; running 1 worker (set REDIS_URL to share one collector)",
        workers,
        workers,
    )
    workers = 1


def worker_exit(server, worker):
    """Stop the collector of the exiting worker and release its lease (graceful shutdown)."""
    app = getattr(worker, "wsgi", None)
    runtime = getattr(app, "extensions", {}).get("runtime") if app is not None else None
    if runtime is not None and runtime.collector is not None:
        runtime.collector.stop()
