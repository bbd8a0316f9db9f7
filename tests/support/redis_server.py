"""A real, throw-away redis-server for tests: free loopback port, no persistence, its own temp dir.

Tests of the shared cache need the real thing (locks, Lua, expiry, a server that can be killed and
restarted), not a fake. A missing redis-server is an error of the test environment, so it fails
loudly instead of skipping.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import redis

START_TIMEOUT = 10.0


class RedisServerMissing(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """One redis-server process; `stop()` kills it and `start()` brings it back on the same port
    (empty, since nothing is saved), which is how tests simulate an outage."""

    def __init__(self, port: int | None = None):
        self.binary = shutil.which("redis-server") or (
            "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
        )
        if self.binary is None:
            raise RedisServerMissing(
                "redis-server not found on PATH: install it (Debian: apt-get install redis-server) "
                "to run the @pytest.mark.redis tests"
            )
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = tempfile.mkdtemp(prefix="mcs-redis-")
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        log_path = Path(self._dir) / "redis.log"
        self._process = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", self._dir,
                "--logfile", str(log_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=1, socket_connect_timeout=1)
        deadline = time.monotonic() + START_TIMEOUT
        try:
            while True:
                if self._process.poll() is not None:
                    log = log_path.read_text() if log_path.exists() else ""
                    raise RuntimeError(f"redis-server exited with {self._process.returncode}: {log[-2000:]}")
                with contextlib.suppress(redis.ConnectionError, redis.TimeoutError):
                    if client.ping():
                        return self
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"redis-server on port {self.port} did not answer PING in {START_TIMEOUT} s"
                    )
                time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        """Kill it (SIGKILL: an outage, not a graceful shutdown)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)
        self._process = None

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self._dir, ignore_errors=True)


@contextlib.contextmanager
def running_redis() -> Iterator[RedisServer]:
    """A started RedisServer (use `.url`), killed and removed at the end of the block."""
    server = RedisServer()
    try:
        yield server.start()
    finally:
        server.cleanup()
