"""Benchmark of GET /metrics at 10,000 gateways: scrape time and body size.

Rows are built once from the simulated org (the same shaping code the collector uses, see
tests/metrics/demo_snapshot.py); the scrapes go through the real metrics blueprint with Flask's
test client, so routing, rendering, gzip and the response are all inside the measured time.

It reports:

* render: the time to turn one snapshot into the text exposition and gzip it (done once per
  snapshot version, in a forked child process) and the memory that child used of its own;
* cold scrape: a scrape with no earlier render at all (the first scrape after start), and the
  slowest of the small requests this process answered while that render ran;
* warm scrape (gzip, as Prometheus asks, and plain): p50 / max over repeated scrapes of one version;
* new-version scrape: a scrape right after a new snapshot is published while the previous one is
  rendered (it waits at most ``wait_seconds``, then answers from the previous version);
* body sizes (gzip and plain) and the number of samples.

Usage: python bench/bench_metrics.py [--gateways 10000] [--scrapes 20]
Prints a table and writes bench/results/metrics.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402

from circuitstats.metrics import metrics_blueprint  # noqa: E402
from tests.metrics.conftest import OneOrgStore, StatusStub  # noqa: E402
from tests.metrics.demo_snapshot import demo_snapshot  # noqa: E402


def timed(call) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateways", type=int, default=10_000)
    parser.add_argument("--scrapes", type=int, default=20)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "results" / "metrics.json")
    args = parser.parse_args()

    build_s, snapshot = timed(lambda: demo_snapshot(args.gateways))
    ports = sum(len(g["ports"]) for g in snapshot.gateways)
    store = OneOrgStore(snapshot)
    status = StatusStub(
        tokens=[{"token": "abcd…wxyz", "cooling_until": None}, {"token": "efgh…1234", "cooling_until": None}],
        calls=[{"endpoint": "listOrgDevicesStats", "status": "200", "calls": 10}],
    )
    app = Flask(__name__)
    blueprint = metrics_blueprint(store, status)
    app.register_blueprint(blueprint)
    client = app.test_client()
    gzip_headers = {"Accept-Encoding": "gzip"}

    # The first scrape starts the render (in a forked child) and answers within wait_seconds with
    # the app's own metrics; meanwhile this process stays responsive: time a tiny request.
    cold_s, cold = timed(lambda: client.get("/metrics", headers=gzip_headers))
    during = []
    while blueprint.exposition.renders == 0 and len(during) < 10_000:
        seconds, _ = timed(lambda: client.get("/metrics/nothing-here"))
        during.append(seconds)
        time.sleep(0.01)
    rendered = blueprint.exposition.prepare()  # the render started by the cold scrape, finished
    warm_gzip, warm_plain = [], []
    for _ in range(args.scrapes):
        seconds, zipped = timed(lambda: client.get("/metrics", headers=gzip_headers))
        warm_gzip.append(seconds)
    for _ in range(max(3, args.scrapes // 4)):
        seconds, plain = timed(lambda: client.get("/metrics", headers={"Accept-Encoding": "identity"}))
        warm_plain.append(seconds)
    store.publish(dataclasses.replace(snapshot, version=snapshot.version + 1, as_of=time.time()))
    new_version_s, _ = timed(lambda: client.get("/metrics", headers=gzip_headers))
    samples = sum(1 for line in plain.data.splitlines() if line and not line.startswith(b"#"))

    result = {
        "gateways": len(snapshot.gateways),
        "wan_ports": ports,
        "samples": samples,
        "build_rows_s": round(build_s, 2),
        "render_s": round(rendered.seconds, 3),
        "cold_scrape_s": round(cold_s, 3),
        "render_child_private_mb": round(rendered.child_private_kb / 1024, 1),
        "requests_during_render": len(during),
        "request_during_render_max_ms": round(max(during, default=0) * 1000, 1),
        "warm_scrape_gzip_p50_ms": round(statistics.median(warm_gzip) * 1000, 1),
        "warm_scrape_gzip_max_ms": round(max(warm_gzip) * 1000, 1),
        "warm_scrape_plain_p50_ms": round(statistics.median(warm_plain) * 1000, 1),
        "new_version_scrape_ms": round(new_version_s * 1000, 1),
        "body_gzip_bytes": len(zipped.data),
        "body_plain_bytes": len(plain.data),
        "status": [cold.status_code, zipped.status_code, plain.status_code],
        "python": platform.python_version(),
        "machine": platform.machine(),
    }
    rows = [
        ("gateways / WAN ports / samples", f"{result['gateways']} / {ports} / {samples}"),
        ("render one snapshot (once per version)", f"{result['render_s']} s"),
        ("cold scrape (nothing rendered yet)", f"{result['cold_scrape_s']} s"),
        (
            "other requests while it renders: n / max",
            f"{len(during)} / {result['request_during_render_max_ms']} ms",
        ),
        ("render child's own memory (not shared)", f"{result['render_child_private_mb']} MB"),
        (
            "warm scrape, gzip: p50 / max",
            f"{result['warm_scrape_gzip_p50_ms']} / {result['warm_scrape_gzip_max_ms']} ms",
        ),
        ("warm scrape, plain: p50", f"{result['warm_scrape_plain_p50_ms']} ms"),
        ("scrape just after a new version", f"{result['new_version_scrape_ms']} ms"),
        ("body gzip / plain", f"{len(zipped.data) / 1e6:.1f} MB / {len(plain.data) / 1e6:.1f} MB"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
