"""The image's exact gunicorn command, run here on the simulated org, serves the dashboard."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.packaging.helpers import REPO, dockerfile_cmd, gunicorn_bind_port, require_app_source


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get_json(url: str, timeout: float) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def _command_on(port: int) -> list[str]:
    """The Dockerfile's CMD with the bind moved to a free loopback port and gunicorn from this venv."""
    cmd = dockerfile_cmd()
    container_port = gunicorn_bind_port(cmd)
    cmd = [arg.replace(f"0.0.0.0:{container_port}", f"127.0.0.1:{port}") for arg in cmd]
    beside = Path(sys.executable).parent / cmd[0]
    cmd[0] = str(beside) if beside.exists() else (shutil.which(cmd[0]) or cmd[0])
    if not Path("/dev/shm").is_dir() and "--worker-tmp-dir" in cmd:  # the image always has it
        del cmd[cmd.index("--worker-tmp-dir") : cmd.index("--worker-tmp-dir") + 2]
    return cmd


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM to gunicorn's process group (master and workers), SIGKILL if it lingers."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=40)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


@pytest.mark.slow
def test_image_command_serves_health_and_gateways(tmp_path):
    require_app_source()
    port = _free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("MIST_") and k not in ("PORT", "REDIS_URL")
    }
    env.update(MIST_DEMO="1", PYTHONUNBUFFERED="1")
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(  # noqa: S603 - our own command line
            _command_on(port), cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, health = time.monotonic() + 60, None
        while time.monotonic() < deadline:
            assert server.poll() is None, f"gunicorn exited:\n{log_path.read_text()[-4000:]}"
            try:
                health = _get_json(f"{base}/health", timeout=5)
                break
            except OSError:
                time.sleep(0.3)
        assert health, f"/health never answered:\n{log_path.read_text()[-4000:]}"
        status, body = health
        assert status == 200 and body["success"] is True, body
        assert body["data"]["demo"] is True

        status, body = _get_json(f"{base}/api/gateways", timeout=90)
        assert status == 200 and body["success"] is True, body
        assert body["data"]["gateways"], "the simulated org has gateways; the table came back empty"
        assert body["data"]["summary"]["gateways"] == len(body["data"]["gateways"])
    finally:
        _stop(server)
    assert server.returncode == 0, f"gunicorn did not stop cleanly:\n{log_path.read_text()[-4000:]}"
