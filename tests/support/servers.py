"""Start the app as a real server process (dev server or gunicorn) on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(base_url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with code {process.returncode}")
        try:
            if requests.get(base_url + "/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server at {base_url} did not answer /health within {timeout} s")


@contextmanager
def running_server(command: list[str], env: dict[str, str], port: int, log_path: Path):
    """Run ``command`` from the repo root; yields the base URL; output goes to ``log_path``."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("MIST_")}
    full_env.update(env)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(  # noqa: S603
            command, cwd=REPO, env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            wait_for_health(base_url, process)
            yield base_url, process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def dev_server_command(port: int) -> list[str]:
    return [sys.executable, "app.py", "--demo", "--port", str(port)]


def gunicorn_command(
    port: int, workers: int = 1, threads: int = 8, application: str = "app:app"
) -> list[str]:
    """gunicorn as the image runs it (its gunicorn.conf.py included), on a loopback port."""
    return [
        sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers), "--threads", str(threads), "--timeout", "120", application,
    ]  # fmt: skip


def process_tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and its children (gunicorn master + workers), in KiB."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total
