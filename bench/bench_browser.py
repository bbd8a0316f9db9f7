"""The page in Chromium at a large org: time to rows, search keystrokes, the Problems view.

Starts the demo app (the simulated cloud in-process) on a loopback port, opens the page in Debian's
Chromium with Playwright and reads the page's own performance marks:

* rows visible: from navigation until the first table rows are on screen;
* search: filter + render time of each keystroke while a gateway's name is typed (``mcs:filter-render``);
* Problems view: reading /api/problems and drawing the cards and the list (``mcs:problems-fetch`` +
  ``mcs:problems-render``), then pressing the largest kind card (list and table filtered again).

Figures are printed, never asserted (the browser tests check the behaviour).
Usage: python bench/bench_browser.py [--gateways 10000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_dashboard import dashboard_server, open_dashboard  # noqa: E402
from tests.browser.pages import type_search  # noqa: E402
from tests.browser.test_problems_scale import PRESS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateways", type=int, default=10000)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    workdir = REPO / "bench" / "results"
    workdir.mkdir(parents=True, exist_ok=True)
    with dashboard_server("demo", args.gateways, 0.0, workdir, "browser", threads=16) as (base, _):
        with sync_playwright() as p:
            browser, page, rows_visible = open_dashboard(p, base, timeout_ms=300_000)

            gateways = requests.get(base + "/api/gateways", timeout=120).json()["data"]["gateways"]
            query = gateways[len(gateways) // 2]["name"].lower()
            page.evaluate("performance.clearMeasures('mcs:filter-render')")
            for _typed in type_search(page, query):
                pass  # each keystroke's filter + render is measured by the page (mcs:filter-render)
            keys = page.evaluate("performance.getEntriesByName('mcs:filter-render').map(e => e.duration)")
            page.fill("#search", "")

            deadline = time.monotonic() + 300
            while True:  # a cold start publishes the table first; the problems follow
                data = requests.get(base + "/api/problems", timeout=120).json()["data"]
                if data["total"] or time.monotonic() > deadline:
                    break
                time.sleep(1)
            page.evaluate("performance.clearMeasures()")
            page.click("#refresh-btn")
            page.wait_for_function(
                "n => document.getElementById('problems').dataset.total === String(n)", arg=data["total"]
            )
            # The total may have been on screen before the click (small orgs): wait for the render.
            page.wait_for_function("() => performance.getEntriesByName('mcs:problems-render').length > 0")
            fetch = page.evaluate("performance.getEntriesByName('mcs:problems-fetch').map(e => e.duration)")
            render = page.evaluate("performance.getEntriesByName('mcs:problems-render').map(e => e.duration)")
            kind = max(data["counts"], key=data["counts"].get)
            press = page.evaluate(PRESS, kind)
            browser.close()
    print(f"{args.gateways} gateways in Chromium:")
    print(f"  rows visible after navigation: {rows_visible:.2f} s")
    print(f"  search, {len(keys)} keystrokes: max {max(keys):.0f} ms, mean {sum(keys) / len(keys):.0f} ms")
    print(
        f"  Problems view ({data['total']} problems): fetch {fetch[0]:.0f} ms + render {render[0]:.0f} ms; "
        f"press '{kind}' card: {press:.0f} ms"
    )


if __name__ == "__main__":
    main()
