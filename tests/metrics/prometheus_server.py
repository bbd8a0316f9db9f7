"""Run a real Prometheus and a tiny /metrics server on loopback ports, for tests and the screenshot.

Prometheus runs from Debian's binary with a temporary storage directory and a 1 s scrape interval;
never as the system service. The metrics server is the real blueprint in a bare Flask app.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests
import yaml
from flask import Flask
from werkzeug.serving import make_server

from circuitstats.metrics import metrics_blueprint
from tests.support.servers import free_port

REPO = Path(__file__).resolve().parents[2]
ALERTS = REPO / "monitoring" / "alerts.yml"


@contextmanager
def serving_metrics(store, status) -> Iterator[int]:
    """Serve the metrics blueprint over ``store`` and ``status``; yields the port."""
    app = Flask(__name__)
    app.register_blueprint(metrics_blueprint(store, status))
    with serving(app) as port:
        yield port


@contextmanager
def serving(app) -> Iterator[int]:
    """Serve a WSGI app on a free loopback port in a thread; yields the port."""
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield port
    finally:
        server.shutdown()


@contextmanager
def running_prometheus(binary: str, target_port: int, workdir: Path) -> Iterator[str]:
    """Prometheus scraping 127.0.0.1:``target_port`` every second with monitoring/alerts.yml loaded."""
    shutil.copy(ALERTS, workdir / "alerts.yml")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "rule_files": ["alerts.yml"],
        "scrape_configs": [
            {
                "job_name": "mistcircuitstats",
                "scrape_interval": "1s",
                "scrape_timeout": "1s",
                "static_configs": [{"targets": [f"127.0.0.1:{target_port}"]}],
            }
        ],
    }
    (workdir / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    port = free_port()
    with open(workdir / "prometheus.log", "wb") as log:
        process = subprocess.Popen(  # noqa: S603
            [
                binary,
                f"--config.file={workdir / 'prometheus.yml'}",
                f"--storage.tsdb.path={workdir / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(base, process, workdir)
            yield base
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(base: str, process: subprocess.Popen, workdir: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                "prometheus exited: " + (workdir / "prometheus.log").read_text(errors="replace")
            )
        try:
            if requests.get(f"{base}/-/ready", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError("prometheus was not ready within 60 s")


def query(base: str, expr: str) -> list:
    answer = requests.get(f"{base}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert answer["status"] == "success", f"{expr}: {answer}"
    return answer["data"]["result"]


def wait_for_scrapes(base: str, count: int, timeout: float = 60) -> None:
    """Until Prometheus has scraped the target ``count`` times in the last minute, the last one good."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = query(base, 'count_over_time(up{job="mistcircuitstats"}[1m])')
        if result and float(result[0]["value"][1]) >= count:
            up = query(base, 'up{job="mistcircuitstats"}')
            assert up[0]["value"][1] == "1", "the last scrape of /metrics failed"
            return
        time.sleep(0.5)
    raise RuntimeError(f"prometheus did not scrape /metrics {count} times within {timeout} s")
