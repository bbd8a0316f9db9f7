"""The view in the URL (issue #15): a link with search, site, status filter, sort, expanded gateway
and an open chart with its window reproduces that view, after a reload too, and the back button
steps back through the changes one at a time. Also: the traffic chart marks the port's down
intervals (static/js/charts.js downIntervalsPlugin)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.browser.pages import LOAD_TIMEOUT_MS, gateway_row, wait_for_table

pytestmark = pytest.mark.browser

VIEW = """() => {
  const body = document.getElementById('gw-body');
  const dialog = document.getElementById('traffic-modal');
  const canvas = document.getElementById('traffic-chart');
  return {
    q: document.getElementById('search').value,
    applied_q: body.dataset.query,
    site: document.getElementById('site-filter').value,
    status: document.getElementById('status-filter').value,
    table_status: body.dataset.status,
    sort: body.dataset.sort,
    expanded: [...body.querySelectorAll('tr.gw-row button.expand-btn[aria-expanded="true"]')]
      .map((b) => b.dataset.gatewayId),
    rows: [...body.querySelectorAll('tr.gw-row')].map((r) => r.dataset.gatewayId),
    chart: dialog.open ? {
      direction: canvas.dataset.direction,
      window: [...dialog.querySelectorAll('button[data-duration]')]
        .filter((b) => b.getAttribute('aria-pressed') === 'true').map((b) => b.dataset.duration)[0],
    } : null,
  };
}"""


def view(page, rows: bool = True) -> dict:
    """The view on screen; ``rows=False`` leaves out the rows shown, which a refresh of the data
    (every minute) may change while the view itself stays the same."""
    shown = page.evaluate(VIEW)
    if not rows:
        del shown["rows"]
    return shown


def wait_for_chart(page, duration: str) -> None:
    page.wait_for_function(
        "d => { const c = document.getElementById('traffic-chart');"
        " return document.getElementById('traffic-modal').open"
        " && c.dataset.duration === d && c.dataset.points; }",
        arg=duration,
        timeout=LOAD_TIMEOUT_MS,
    )


def wait_for_loaded(page) -> None:
    page.wait_for_selector("body[data-loaded='true'] tr.gw-row", timeout=LOAD_TIMEOUT_MS)
    page.wait_for_selector("#problems[data-loaded='true']", timeout=LOAD_TIMEOUT_MS)


@pytest.fixture(scope="module")
def down_port(api):
    """(gateway, port name, down intervals) of a WAN port that went down inside the 7-day window."""
    gateways = {g["id"]: g for g in api("/api/gateways")["gateways"]}
    # Longest down first: a flapping port may be down at one collection and up at the next.
    downs = [p for p in api("/api/problems")["problems"] if p["kind"] == "port_down" and p["since"]]
    for problem in sorted(downs, key=lambda p: p["since"]):
        gateway = gateways[problem["gateway_id"]]
        traffic = api(
            f"/api/gateway/{gateway['id']}/port/{problem['port']}/traffic",
            site_id=gateway["site_id"],
            duration="7d",
        )
        if traffic["down_intervals"]:
            return gateway, problem["port"], traffic
    pytest.fail("no port_down problem of the demo org has a down interval in its 7-day chart")


def test_a_link_reproduces_the_view_after_a_reload_too(page, app_url, down_port):
    gateway, port, _ = down_port
    params = [
        ("q", gateway["name"]),
        ("site", gateway["site_id"]),
        ("filter", "kind:port_down"),
        ("sort", "-flaps_7d"),
        ("gw", gateway["id"]),
        ("chart", gateway["id"]),
        ("port", port),
        ("dir", "tx"),
        ("win", "7d"),
    ]
    url = f"{app_url}/?{urlencode(params)}"
    expected = {
        "q": gateway["name"],
        "applied_q": gateway["name"].lower(),
        "site": gateway["site_id"],
        "status": "kind:port_down",
        "table_status": "kind:port_down",
        "sort": "-flaps_7d",
        "expanded": [gateway["id"]],
        "rows": [gateway["id"]],
        "chart": {"direction": "tx", "window": "7d"},
    }
    for _ in ("link", "reload"):
        if _ == "link":
            page.goto(url)
        else:
            page.reload()
        wait_for_loaded(page)
        wait_for_chart(page, "7d")
        assert view(page) == expected
        assert page.url == url, "opening a link adds nothing to it"
        assert port in page.locator("#traffic-title").text_content()
        aria_sort = page.locator("#gw-table thead th:has(button[data-sort='flaps_7d'])").get_attribute(
            "aria-sort"
        )
        assert aria_sort == "descending"
        assert page.locator(f'tr.ports-row[data-ports-of="{gateway["id"]}"] table.ports-table').count() == 1

    # Closing the chart is a step of its own: back reopens it on the same window.
    page.keyboard.press("Escape")
    # The dialog's close event (which writes the URL) comes a task after `open` turns false.
    page.wait_for_function("() => !location.search.includes('chart=')")
    assert not page.evaluate("document.getElementById('traffic-modal').open") and "gw=" in page.url
    page.go_back()
    wait_for_chart(page, "7d")
    assert view(page) == expected


def test_back_button_steps_back_through_each_change(page, app_url):
    wait_for_table(page, app_url)
    page.wait_for_selector("#problems[data-loaded='true']", timeout=LOAD_TIMEOUT_MS)
    history = [view(page, rows=False)]
    urls = [page.url]

    def step(action, check):
        action()
        page.wait_for_function(check)
        history.append(view(page, rows=False))
        urls.append(page.url)

    step(
        lambda: page.select_option("#status-filter", "problems"),
        "() => location.search.includes('filter=problems')",
    )
    step(
        lambda: page.click("#gw-table thead button.sort[data-sort='name']"),
        "() => location.search.includes('sort=name')",
    )
    # Typing a search: one entry for the whole word, not one per key.
    page.click("#search")
    step(lambda: page.keyboard.type("gw1", delay=60), "() => location.search.includes('q=gw1')")
    first = page.locator("#gw-body > tr.gw-row").first.get_attribute("data-gateway-id")
    step(
        lambda: gateway_row(page, first).locator("button.expand-btn").click(),
        "() => location.search.includes('gw=')",
    )
    page.locator(f'tr.ports-row[data-ports-of="{first}"] table.ports-table').wait_for()
    step(
        lambda: page.locator(
            f'tr.ports-row[data-ports-of="{first}"] button.traffic-btn[data-direction="rx"]'
        ).first.click(),
        "() => location.search.includes('win=24h')",
    )
    wait_for_chart(page, "24h")
    history[-1] = view(page, rows=False)
    step(
        lambda: page.click("#traffic-modal button[data-duration='1h']"),
        "() => location.search.includes('win=1h')",
    )
    wait_for_chart(page, "1h")

    assert len(set(urls)) == len(urls) == 7, urls
    assert history[-1]["chart"] == {"direction": "rx", "window": "1h"}
    # Back, one change at a time, to the plain page.
    for index in range(len(history) - 2, -1, -1):
        page.go_back()
        page.wait_for_function("u => location.href === u", arg=urls[index])
        if history[index]["chart"]:
            wait_for_chart(page, history[index]["chart"]["window"])
        else:
            page.wait_for_function("() => !document.getElementById('traffic-modal').open")
        assert view(page, rows=False) == history[index], index
    plain = view(page, rows=False)
    assert (plain["status"], plain["sort"], plain["q"], plain["expanded"]) == ("all", "", "", [])
    # And forward again to the filtered view.
    page.go_forward()
    page.wait_for_function("u => location.href === u", arg=urls[1])
    assert view(page, rows=False) == history[1]


DOWN_PIXELS = """() => {
  const canvas = document.getElementById('traffic-chart');
  const chart = Chart.getChart(canvas);
  const { x } = chart.scales;
  const area = chart.chartArea;
  const ctx = canvas.getContext('2d');
  const ratio = canvas.width / canvas.getBoundingClientRect().width;
  const reddish = (px, py) => {
    const [r, g, b] = ctx.getImageData(Math.round(px * ratio), Math.round(py * ratio), 1, 1).data;
    return r > g + 20 && r > b + 10;
  };
  return chart.data.downIntervals.map(([down, up]) => {
    const start = Math.max(down * 1000, x.min);
    const stop = Math.min(up === null ? x.max : up * 1000, x.max);
    const middle = x.getPixelForValue((start + stop) / 2);
    return reddish(middle, area.bottom - 2) && reddish(middle, area.top + 3);
  });
}"""


@pytest.fixture(scope="module")
def healthy_port(api):
    """(gateway, port name) of a connected gateway's WAN port with no down interval in 7 days."""
    for gateway in api("/api/gateways")["gateways"]:
        for port in gateway["ports"] if gateway["status"] == "connected" else []:
            if port["up"] and port["flaps_7d"] == 0:
                traffic = api(
                    f"/api/gateway/{gateway['id']}/port/{port['name']}/traffic",
                    site_id=gateway["site_id"],
                    duration="7d",
                )
                if traffic["down_intervals"] == []:
                    return gateway, port["name"]
    pytest.fail("every WAN port of the demo org went down this week")


def test_traffic_chart_marks_the_down_intervals(page, app_url, down_port, healthy_port):
    gateway, port, traffic = down_port
    start, end = traffic["timestamps"][0], traffic["timestamps"][-1]
    intervals = traffic["down_intervals"]
    assert all(down <= end and (up is None or up >= start) for down, up in intervals), "inside the window"
    url = f"{app_url}/?" + urlencode(
        [("gw", gateway["id"]), ("chart", gateway["id"]), ("port", port), ("dir", "rx"), ("win", "7d")]
    )
    page.goto(url)
    wait_for_loaded(page)
    wait_for_chart(page, "7d")
    canvas = page.locator("#traffic-chart")
    assert canvas.get_attribute("data-down-intervals") == str(len(intervals))
    assert canvas.get_attribute("data-down-boxes") == str(len(intervals))
    # The boxes are really drawn: the chart area is red in the middle of each interval, top and bottom.
    assert page.evaluate(DOWN_PIXELS) == [True] * len(intervals)
    labels = page.evaluate(
        "() => Chart.getChart(document.getElementById('traffic-chart')).data.datasets.map(d => d.label)"
    )
    assert "Port down" in labels

    # A port that never went down: no box, no legend entry.
    page.keyboard.press("Escape")
    quiet, quiet_port = healthy_port
    page.goto(
        f"{app_url}/?"
        + urlencode([("chart", quiet["id"]), ("port", quiet_port), ("dir", "rx"), ("win", "7d")])
    )
    wait_for_loaded(page)
    wait_for_chart(page, "7d")
    assert canvas.get_attribute("data-down-boxes") == "0"
    labels = page.evaluate(
        "() => Chart.getChart(document.getElementById('traffic-chart')).data.datasets.map(d => d.label)"
    )
    assert "Port down" not in labels
