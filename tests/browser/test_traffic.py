"""The traffic modal of a WAN port (issue #4): chart, time windows, statistics, CSV download."""

from __future__ import annotations

import csv
import io

import pytest

from tests.browser.pages import expand_gateway, show_gateway

pytestmark = pytest.mark.browser

# INTERFACES.md: window -> number of samples.
POINTS = {"1h": 12, "6h": 36, "24h": 48, "7d": 168}

CHART_POINTS = "() => Chart.getChart(document.getElementById('traffic-chart')).data.datasets[0].data.length"
CANVAS_DRAWN = """() => {
  const c = document.getElementById('traffic-chart');
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < px.length; i += 4) if (px[i] !== 0) return true;
  return false;
}"""


@pytest.fixture(scope="module")
def wan_port(api):
    """(gateway, port) of the first gateway with a WAN port."""
    for gateway in api("/api/gateways")["gateways"]:
        ports = gateway["ports"]  # the table's rows carry their PortRows
        if ports:
            return gateway, ports[0]
    pytest.fail("the demo org has no WAN port")


def open_traffic(page, gateway, port, direction="rx"):
    show_gateway(page, gateway["name"])
    table = expand_gateway(page, gateway["id"])
    row = table.locator("tbody tr").filter(has=page.locator("td.port-name", has_text=port["name"])).first
    row.locator(f"button.traffic-btn[data-direction='{direction}']").click()
    page.wait_for_selector("#traffic-modal[open]")


def wait_for_window(page, duration):
    page.wait_for_function(
        "d => { const c = document.getElementById('traffic-chart');"
        " return c.dataset.duration === d && c.dataset.points; }",
        arg=duration,
    )


def test_rx_click_draws_a_chart_and_windows_change_the_points(loaded_page, wan_port):
    gateway, port = wan_port
    open_traffic(loaded_page, gateway, port)
    wait_for_window(loaded_page, "24h")
    assert loaded_page.evaluate(CHART_POINTS) == POINTS["24h"]
    assert loaded_page.evaluate(CANVAS_DRAWN)
    pressed = loaded_page.locator("#traffic-modal button[data-duration='24h']").get_attribute("aria-pressed")
    assert pressed == "true"
    # The 95th percentile lines are datasets with a legend entry, dashed.
    datasets = loaded_page.evaluate(
        "() => Chart.getChart(document.getElementById('traffic-chart')).data.datasets"
        ".map(d => ({label: d.label, dash: d.borderDash || null}))"
    )
    p95 = [d for d in datasets if "95th" in d["label"]]
    assert len(p95) == 2 and all(d["dash"] for d in p95)
    span_gaps = "() => Chart.getChart(document.getElementById('traffic-chart')).options.spanGaps"
    assert loaded_page.evaluate(span_gaps) is False

    for duration in ("1h", "6h", "7d", "24h"):
        loaded_page.click(f"#traffic-modal button[data-duration='{duration}']")
        wait_for_window(loaded_page, duration)
        assert loaded_page.evaluate(CHART_POINTS) == POINTS[duration], duration

    # Stats table: RX and TX rows with average, peak, p95, utilisation.
    stats = loaded_page.locator("#traffic-stats tr")
    assert stats.count() == 2
    assert stats.first.locator("td").count() == 4
    # Second chart: latency, jitter, loss on the same window.
    quality = loaded_page.evaluate(
        "() => Chart.getChart(document.getElementById('quality-chart')).data.datasets.map(d => d.data.length)"
    )
    assert quality == [POINTS["24h"]] * 3

    # Escape closes the modal and gives focus back to the RX button.
    loaded_page.keyboard.press("Escape")
    loaded_page.wait_for_selector("#traffic-modal:not([open])", state="attached")
    assert loaded_page.evaluate("() => document.activeElement.dataset.direction") == "rx"


def test_traffic_csv_downloads_the_window(loaded_page, wan_port):
    gateway, port = wan_port
    open_traffic(loaded_page, gateway, port, direction="tx")
    loaded_page.click("#traffic-modal button[data-duration='6h']")
    wait_for_window(loaded_page, "6h")
    href = loaded_page.locator("#traffic-csv").get_attribute("href")
    assert "duration=6h" in href and f"site_id={gateway['site_id']}" in href
    with loaded_page.expect_download() as download_info:
        loaded_page.click("#traffic-csv")
    text = open(download_info.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) >= 2
    data_rows = [r for r in rows[1:] if r]
    assert len(data_rows) == POINTS["6h"]
    # The close button works too.
    loaded_page.click("#traffic-modal [data-close]")
    loaded_page.wait_for_selector("#traffic-modal:not([open])", state="attached")
