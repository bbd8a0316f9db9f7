"""Take the README screenshots of the demo dashboard.

    python scripts/screenshot.py            # docs/screenshot.png: the table with one gateway expanded
    python scripts/screenshot.py --chart    # also docs/screenshot-chart.png: the traffic modal

Starts `python app.py --demo` on a free loopback port (simulated org, nothing leaves the machine),
drives Debian's Chromium through Playwright at 1440x900, and stops the app again.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import requests
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.servers import dev_server_command, free_port, running_server  # noqa: E402

VIEWPORT = {"width": 1440, "height": 900}


def pick_gateway(base_url: str) -> dict:
    """A connected gateway with several WAN ports: the most telling row to show expanded."""
    gateways = requests.get(base_url + "/api/gateways", timeout=60).json()["data"]["gateways"]

    def port_count(g):
        return len(g["ports"]) if isinstance(g["ports"], list) else (g["ports"] or 0)

    connected = [g for g in gateways if g["status"] == "connected" and port_count(g) >= 2] or gateways
    return max(connected[:6], key=port_count)  # near the top, so the expanded rows are in view


def take(base_url: str, out_dir: Path, chart: bool) -> list[Path]:
    saved = []
    gateway = pick_gateway(base_url)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.goto(base_url + "/")
        page.wait_for_selector("body[data-loaded='true'] tr.gw-row", timeout=60_000)
        row = page.locator(f'tr.gw-row[data-gateway-id="{gateway["id"]}"]')
        row.scroll_into_view_if_needed()
        row.locator("button.expand-btn").click()
        page.wait_for_selector("table.ports-table")
        page.evaluate("window.scrollTo(0, 0)")
        page.mouse.move(0, 0)  # no hover highlight in the picture
        page.wait_for_timeout(300)  # let the chevron finish its rotation
        target = out_dir / "screenshot.png"
        page.screenshot(path=str(target))
        saved.append(target)

        if chart:
            page.locator("table.ports-table button.traffic-btn[data-direction='rx']").first.click()
            page.wait_for_function("() => document.getElementById('traffic-chart').dataset.points")
            page.wait_for_timeout(300)  # let the canvas settle after layout
            page.mouse.move(0, 0)
            target = out_dir / "screenshot-chart.png"
            page.screenshot(path=str(target))
            saved.append(target)
        browser.close()
    return saved


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--chart", action="store_true", help="also save docs/screenshot-chart.png")
    parser.add_argument("--gateways", type=int, default=40, help="demo org size (default 40)")
    parser.add_argument("--seed", type=int, default=7, help="demo org seed (default 7)")
    parser.add_argument("--out", type=Path, default=REPO / "docs", help="output folder (default docs/)")
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = {"MIST_DEMO": "1", "MIST_DEMO_GATEWAYS": str(args.gateways), "MIST_DEMO_SEED": str(args.seed)}
    log = Path(tempfile.mkdtemp(prefix="mcs-screenshot-")) / "app.log"
    with running_server(dev_server_command(port), env, port, log) as (base_url, _):
        for path in take(base_url, args.out, args.chart):
            print(f"saved {path}")


if __name__ == "__main__":
    main()
