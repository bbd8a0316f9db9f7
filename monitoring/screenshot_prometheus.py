"""Take the README screenshot of Prometheus' graph page over the demo org's /metrics.

    python monitoring/screenshot_prometheus.py      # writes docs/screenshot-prometheus.png

Serves /metrics of the simulated 40-gateway org on a loopback port, runs Debian's Prometheus binary
(temporary storage, 1 s scrapes, monitoring/alerts.yml loaded) and feeds it a new collection every
second whose simulated clock advances 5 minutes, so a couple of minutes of scrapes show a few hours
of the simulator's traffic. Then Debian's Chromium (through Playwright) photographs the graph page.
Grafana is not packaged for Debian, so its dashboard is not photographed here.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.metrics.conftest import OneOrgStore, StatusStub  # noqa: E402
from tests.metrics.demo_snapshot import demo_snapshot  # noqa: E402
from tests.metrics.prometheus_server import running_prometheus, serving_metrics, wait_for_scrapes  # noqa: E402
from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

VIEWPORT = {"width": 1440, "height": 900}
SIMULATED_STEP = 300  # seconds of simulated clock per published collection
GRAPHS = [
    "sum by (wan_name) (mist_wan_port_rx_bytes_per_second) * 8",
    'sum by (state) (mist_wan_port_peer_paths{state=~"up|down"})',
]


def graph_url(base: str, minutes: int) -> str:
    params = {}
    for i, expr in enumerate(GRAPHS):
        params.update(
            {
                f"g{i}.expr": expr,
                f"g{i}.tab": "0",
                f"g{i}.stacked": "0",
                f"g{i}.show_exemplars": "0",
                f"g{i}.range_input": f"{minutes}m",
            }
        )
    return f"{base}/graph?{urlencode(params)}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--seconds", type=int, default=120, help="how long Prometheus scrapes before the picture"
    )
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "screenshot-prometheus.png")
    args = parser.parse_args()
    binary = shutil.which("prometheus")
    if binary is None:
        sys.exit("prometheus is not installed (apt-get install prometheus)")

    start = time.time() - 86_400  # yesterday's traffic, replayed quickly
    store = OneOrgStore(dataclasses.replace(demo_snapshot(40, now=start), as_of=time.time()))
    status = StatusStub(tokens=[{"token": "abcd…wxyz", "cooling_until": None}])
    stop = threading.Event()

    def feed() -> None:
        step = 0
        while not stop.wait(1.0):
            step += 1
            fresh = demo_snapshot(40, now=start + step * SIMULATED_STEP, version=step + 1)
            store.publish(dataclasses.replace(fresh, as_of=time.time()))

    threading.Thread(target=feed, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp, serving_metrics(store, status) as port:
        with running_prometheus(binary, port, Path(tmp)) as base:
            wait_for_scrapes(base, 3)
            time.sleep(args.seconds)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                page = browser.new_page(viewport=VIEWPORT)
                page.goto(graph_url(base, max(1, args.seconds // 60 + 1)))
                page.wait_for_selector(".graph-legend, .legend", timeout=30_000)
                page.wait_for_timeout(1500)  # let the charts draw
                page.mouse.move(0, 0)
                args.output.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(args.output), full_page=True)
                browser.close()
    stop.set()
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
