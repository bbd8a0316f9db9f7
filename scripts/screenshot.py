"""Take the README screenshots of the demo dashboard.

    python scripts/screenshot.py          # docs/screenshot.png: cards, Problems view, table with one
                                          # gateway expanded; docs/screenshot-problems.png: Problems view
    python scripts/screenshot.py --chart  # also docs/screenshot-chart.png: 7-day chart of a down port

Starts `python app.py --demo` on a free loopback port (simulated org, nothing leaves the machine),
drives Debian's Chromium through Playwright at 1440 pixels wide, and stops the app again.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

import requests
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.servers import dev_server_command, free_port, running_server  # noqa: E402

VIEWPORT = {"width": 1440, "height": 900}
# The overview is taller than one screen: summary cards, the Problems view, then the table.
OVERVIEW = {"width": 1440, "height": 1500}


def pick_gateway(base_url: str) -> dict:
    """A connected gateway with several WAN ports: the most telling row to show expanded."""
    gateways = requests.get(base_url + "/api/gateways", timeout=60).json()["data"]["gateways"]

    def port_count(g):
        return len(g["ports"]) if isinstance(g["ports"], list) else (g["ports"] or 0)

    connected = [g for g in gateways if g["status"] == "connected" and port_count(g) >= 2] or gateways
    return max(connected[:6], key=port_count)  # near the top, so the expanded rows are in view


def chart_view(base_url: str) -> list[tuple[str, str]]:
    """URL state of the 7-day chart of the first down WAN port (any WAN port if none is down)."""
    problems = requests.get(base_url + "/api/problems", timeout=60).json()["data"]["problems"]
    down = next((p for p in problems if p["kind"] == "port_down"), None)
    if down is not None:
        gateway_id, port = down["gateway_id"], down["port"]
    else:
        gateway = pick_gateway(base_url)
        gateway_id, port = gateway["id"], gateway["ports"][0]["name"]
    return [("gw", gateway_id), ("chart", gateway_id), ("port", port), ("dir", "rx"), ("win", "7d")]


def take(base_url: str, out_dir: Path, chart: bool) -> list[Path]:
    saved = []
    gateway = pick_gateway(base_url)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=OVERVIEW)
        page.goto(base_url + "/")
        page.wait_for_selector("body[data-loaded='true'] tr.gw-row", timeout=60_000)
        page.wait_for_selector("#problems[data-loaded='true']", timeout=60_000)
        page.mouse.move(0, 0)
        target = out_dir / "screenshot-problems.png"
        page.locator("#problems").screenshot(path=str(target))
        saved.append(target)
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
            # A port that went down this week, over 7 days: the chart shades the outage. Opened
            # through a link, as a NOC engineer would share it (the view lives in the URL).
            page.set_viewport_size(VIEWPORT)
            page.goto(base_url + "/?" + urlencode(chart_view(base_url)))
            page.wait_for_function(
                "() => document.getElementById('traffic-chart').dataset.points"
                " && document.getElementById('traffic-chart').dataset.downBoxes !== undefined"
            )
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
