"""No name can break the page (issue #13): hostile text in a real browser.

The adversarial demo org holds HTML, formulas, unclosed right-to-left overrides, ``;``/tab/NUL/ESC,
template-like site names and 10,000-character names; the tests below also give one gateway a
10,000-character model and one a 3,000-character external IP. They measure what a user would see:
the table stays within the viewport (plus at most one column of sideways scrolling), no text is
reordered across cells or separators, nothing runs, the search is the server's, and axe-core finds
no serious or critical accessibility violation.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
import requests

from circuitstats import search
from tests.browser.pages import LOAD_TIMEOUT_MS, expand_gateway, gateway_rows, wait_filtered, wait_for_table

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
HUGE_MODEL = "SRX-" + "9" * 9_996
HUGE_EXT_IP = ("198.51.100.1, " * 300)[:3_000]
SCRIPTS_ON_PAGE = 2  # Chart.js and main.js: anything more was injected

# Visual order check: within `selector`, each child node (element or non-blank text) must start at
# or right of where the previous one ended, in DOM order (the page is left to right). An unclosed
# right-to-left override in a network string, without isolation, reverses what follows it.
ORDER_PROBLEMS = """(selector) => {
  const problems = [];
  const box = (node) => {
    if (node.nodeType === Node.TEXT_NODE) {
      if (!node.textContent.trim()) return null;
      const range = document.createRange();
      range.selectNodeContents(node);
      return range.getBoundingClientRect();
    }
    return node.getBoundingClientRect();
  };
  for (const parent of document.querySelectorAll(selector)) {
    let previous = null;
    for (const child of parent.childNodes) {
      const rect = box(child);
      if (!rect || rect.width === 0) continue;
      if (previous && rect.left < previous.right - 1 && Math.abs(rect.top - previous.top) < 4) {
        const text = (child.textContent || '').slice(0, 30);
        problems.push(`${selector}: "${text}" drawn left of its predecessor`);
      }
      previous = rect;
    }
  }
  return problems;
}"""

TABLE_GEOMETRY = """() => {
  const wrap = document.getElementById('table-wrap');
  const table = document.getElementById('gw-table');
  const width = (th) => th.getBoundingClientRect().width;
  const widest = Math.max(...[...table.querySelectorAll('thead th')].map(width));
  const ports = [...document.querySelectorAll('.ports-scroll')].map((box) => ({
    overflow: box.scrollWidth - box.clientWidth,
    widest: Math.max(...[...box.querySelectorAll('thead th')].map(width)),
  }));
  return {
    viewport: window.innerWidth,
    page: document.documentElement.scrollWidth,
    overflow: table.scrollWidth - wrap.clientWidth,
    widest,
    ports,
  };
}"""

INJECTED = """() => ({
  scripts: document.querySelectorAll('script').length,
  handlers: [...document.querySelectorAll('*')]
    .filter((e) => [...e.attributes].some((a) => a.name.toLowerCase().startsWith('on'))).length,
  xss: window.__xss,
})"""


@pytest.fixture
def hostile(live_app):
    """The adversarial demo org served in-process, refreshing every 5 s, with one gateway given a
    10,000-character model and another a 3,000-character external IP (what the issue measured)."""
    live = live_app(
        {
            "demo": True,
            "demo_gateways": 40,
            "demo_adversarial": True,
            "enrich_budget": 0,
            "refresh_seconds": 5,
            "cache_ttl_seconds": 1,
            # The simulator keeps what it has served once; edit it before the first collection.
            "extra": {"collector_autostart": False},
        }
    )
    gateways = live.simulator.org().gateways
    gateways[0].model = HUGE_MODEL
    connected = [g for g in gateways if g.ext_ip]
    connected[-1].ext_ip = HUGE_EXT_IP
    live.runtime.collector.start()
    rows = rows_of(live)
    assert any(r["model"] == HUGE_MODEL for r in rows) and any(r["ext_ip"] == HUGE_EXT_IP for r in rows)
    return live


# The first clipped table cell whose text starts with the argument: its text, tooltip and width.
CLIPPED_CELL = """
prefix => {
  const cell = [...document.querySelectorAll('#gw-body td .clip')]
    .find(el => el.textContent.startsWith(prefix));
  return cell && {text: cell.textContent, title: cell.getAttribute('title'),
                  width: cell.getBoundingClientRect().width};
}
"""


def rows_of(live, **params):
    body = requests.get(live.url + "/api/gateways", params=params, timeout=60).json()
    assert body["success"] is True, body
    return body["data"]["gateways"]


def watch_dialogs(page) -> list[str]:
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    return dialogs


def test_hostile_names_keep_the_table_narrow_in_order_and_inert(hostile, live_page):
    page, _ = live_page(hostile.url)
    dialogs = watch_dialogs(page)
    wait_for_table(page, hostile.url)
    rows = rows_of(hostile)
    # Every gateway on one page (40 < 100) with its ports open: all hostile text is on screen.
    for gateway in rows[:40]:
        if gateway["ports"]:
            expand_gateway(page, gateway["id"])

    geometry = page.evaluate(TABLE_GEOMETRY)
    assert geometry["page"] <= geometry["viewport"], "the page itself must never scroll sideways"
    assert geometry["overflow"] <= geometry["widest"], geometry
    for ports in geometry["ports"]:
        assert ports["overflow"] <= ports["widest"], ports

    # Clipped, not cut: the whole value is in the text (for assistive technology) and the tooltip.
    # Read in one script run: the table re-renders on each 5 s refresh, and a locator's separate
    # text and geometry reads could straddle one.
    model = page.evaluate(CLIPPED_CELL, "SRX-9999")
    assert model["text"] == HUGE_MODEL and model["title"] == HUGE_MODEL and 0 < model["width"] < 400
    ext_ip = page.evaluate(CLIPPED_CELL, "198.51.100.1, 198.51.100.1")
    assert ext_ip["text"] == HUGE_EXT_IP and 0 < ext_ip["width"] < 400

    # No text order changes: cells left to right in DOM order, and inside cells our own words
    # (badges) stay after the network string they follow.
    assert page.evaluate(ORDER_PROBLEMS, "#gw-body tr.gw-row") == []
    assert page.evaluate(ORDER_PROBLEMS, "#gw-body tr.port-row") == []
    assert page.evaluate(ORDER_PROBLEMS, "#gw-body td.gw-name") == []

    # The traffic modal of a port whose title or subtitle holds an unclosed right-to-left override.
    def unclosed_rtl(text):
        return bool(text) and "\u202e" in text and "\u202c" not in text

    def followed_by_more(g, p):
        """An unclosed override with more text after it in the title or subtitle: what it would reverse."""
        return (
            unclosed_rtl(p["wan_name"])  # title: "Traffic — <port> (<wan name>)"
            or (unclosed_rtl(g["name"]) and bool(g["site_name"]))  # subtitle: name · site · description
            or (unclosed_rtl(g["site_name"]) and bool(p["description"]))
        )

    gateway, port = next((g, p) for g in rows for p in g["ports"] if followed_by_more(g, p))
    row = page.locator(f'tr.ports-row[data-ports-of="{gateway["id"]}"]')
    index = gateway["ports"].index(port)
    row.locator(f'button.traffic-btn[data-port-index="{index}"]').first.click()
    page.wait_for_selector("#traffic-modal[open]")
    wan = f" ({port['wan_name']})" if port["wan_name"] else ""
    assert page.locator("#traffic-title").get_attribute("title") == f"Traffic — {port['name']}{wan}"
    parts = [t for t in (gateway["name"], gateway["site_name"], port["description"]) if t]
    assert page.locator("#traffic-sub").get_attribute("title") == " · ".join(parts)
    assert page.evaluate(ORDER_PROBLEMS, "#traffic-title") == []
    assert page.evaluate(ORDER_PROBLEMS, "#traffic-sub") == []
    dialog_box = page.evaluate(
        "() => { const d = document.getElementById('traffic-modal');"
        " return {scroll: d.scrollWidth, client: d.clientWidth}; }"
    )
    assert dialog_box["scroll"] <= dialog_box["client"], dialog_box
    sub = page.locator("#traffic-sub")
    assert sub.bounding_box()["height"] < 40, "the subtitle is one clipped line"
    page.keyboard.press("Escape")

    state = page.evaluate(INJECTED)
    assert dialogs == []
    assert state == {"scripts": SCRIPTS_ON_PAGE, "handlers": 0, "xss": None}


def test_only_template_values_look_like_unresolved_variables(hostile, live_page):
    page, _ = live_page(hostile.url)
    wait_for_table(page, hostile.url)
    rows = rows_of(hostile)
    template_named = [g for g in rows if g["site_name"] in ("{{7*7}}", "{{WAN_GE_0_0_0_IP}}")]
    assert template_named, "the adversarial org has sites named like template variables"
    flagged = next(g for g in rows if any(p["template_vars_unresolved"] for p in g["ports"]))
    for gateway in {g["id"]: g for g in [*template_named, flagged]}.values():
        page.fill("#search", gateway["mac"])
        wait_filtered(page, gateway["mac"])
        site_cell = page.locator(f'tr.gw-row[data-gateway-id="{gateway["id"]}"] td.gw-site bdi')
        assert site_cell.text_content() == gateway["site_name"]
        assert "unresolved" not in (site_cell.get_attribute("class") or "")
        table = expand_gateway(page, gateway["id"])
        expected = sum(len(p["template_vars_unresolved"]) for p in gateway["ports"])
        assert table.locator(".unresolved").count() == expected


def test_page_search_is_the_server_search(hostile, live_page):
    page, _ = live_page(hostile.url)
    wait_for_table(page, hostile.url)
    rows = rows_of(hostile)
    samples = [
        "ＳＴＯＲＥ",
        "  store\t 000 ",
        "\u202egnp",
        "ΟΔΟΣ",
        "οδος",
        "İstanbul",
        "{{7*7}}",
        "198.51.100",
        rows[3]["mac"][:6],
        ":".join(rows[5]["mac"][i : i + 2] for i in range(0, 12, 2)),
        "ok;=2+5;",
        "\u200b",
        "x" * search.MAX_LENGTH,
        "😀" * search.MAX_LENGTH,
        "y" * (search.MAX_LENGTH + 1),
    ]
    in_browser = page.evaluate(
        """async ([samples, rows]) => {
          const s = await import('/static/js/search.js');
          return {
            max: s.MAX_LENGTH,
            message: s.TOO_LONG_MESSAGE,
            normalised: samples.map((q) => s.normalise(q)),
            parsed: samples.map((q) => s.parseQuery(q)),
            matches: samples.map((q) => {
              const needle = s.normalise(q);
              return rows.filter((r) => !needle || s.matchesKey(s.searchKey(r), needle)).map((r) => r.id);
            }),
          };
        }""",
        [samples, rows],
    )
    assert in_browser["max"] == search.MAX_LENGTH
    assert in_browser["message"] == search.TOO_LONG_MESSAGE
    assert in_browser["normalised"] == [search.normalise(q) for q in samples]
    for sample, parsed in zip(samples, in_browser["parsed"], strict=True):
        try:
            expected = {"query": search.parse_query(sample), "error": None}
        except ValueError as exc:
            expected = {"query": None, "error": str(exc)}
        assert parsed == expected, sample[:40]
    for sample, ids in zip(samples[:-1], in_browser["matches"][:-1], strict=True):
        needle = search.normalise(sample)
        assert ids == [r["id"] for r in rows if not needle or search.matches(r, needle)], sample
        # ... and the URL / export filter of the server selects the same gateways.
        assert [r["id"] for r in rows_of(hostile, q=sample)] == ids, sample

    # The search box: same rows on screen as the server's answer for the same text.
    query = "198.51.100"
    page.fill("#search", query)
    wait_filtered(page, query)
    shown = {row.get_attribute("data-gateway-id") for row in gateway_rows(page).all()}
    assert shown == {r["id"] for r in rows_of(hostile, q=query)}
    assert f"q={query}" in page.locator("#export-csv").get_attribute("href")


def test_too_long_search_says_why_and_export_is_not_a_broken_link(hostile, live_page):
    page, _ = live_page(hostile.url)
    wait_for_table(page, hostile.url)
    help_text = page.locator("#search-help").text_content()
    assert f"Up to {search.MAX_LENGTH} characters" in help_text
    before = gateway_rows(page).count()

    page.fill("#search", "z" * (search.MAX_LENGTH + 1))
    error = page.locator("#search-error")
    error.wait_for(state="visible")
    assert search.TOO_LONG_MESSAGE in error.text_content()
    assert page.locator("#search").get_attribute("aria-invalid") == "true"
    export = page.locator("#export-csv")
    assert export.get_attribute("aria-disabled") == "true" and export.get_attribute("href") is None
    assert gateway_rows(page).count() == before, "a refused search leaves the table as it was"

    answer = requests.get(
        hostile.url + "/api/export.csv", params={"q": "z" * (search.MAX_LENGTH + 1)}, timeout=60
    )
    assert answer.status_code == 400 and search.TOO_LONG_MESSAGE in answer.json()["error"]

    page.fill("#search", "z" * search.MAX_LENGTH)  # at the limit: accepted (matches nothing)
    error.wait_for(state="hidden")
    assert export.get_attribute("aria-disabled") is None and "q=zzz" in export.get_attribute("href")


def test_refresh_keeps_focus_and_scroll_and_announces_once(hostile, live_page):
    page, problems = live_page(hostile.url)
    # Record every text the live region receives, from the first moment of the page.
    page.add_init_script(
        """document.addEventListener('DOMContentLoaded', () => {
          window.__announced = [];
          const region = document.getElementById('announcer');
          new MutationObserver(() => {
            if (region.textContent) window.__announced.push(region.textContent);
          }).observe(region, { childList: true, characterData: true, subtree: true });
        });"""
    )
    wait_for_table(page, hostile.url)
    page.wait_for_function("() => window.__announced.length >= 1")
    assert re.match(r"^Gateways loaded: 40 gateways, data as of ", page.evaluate("window.__announced[0]"))
    as_of = page.locator("#as-of")
    assert re.fullmatch(
        r"data as of \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC[+-]\d{2}:\d{2}", as_of.text_content()
    )
    assert as_of.get_attribute("aria-live") is None
    org_name = page.locator("#org-name").text_content()
    assert org_name and page.get_by_role("button", name=re.compile(re.escape(org_name))).count() == 1

    # Keyboard focus on a traffic button of an expanded gateway far down, page scrolled to it.
    rows = rows_of(hostile)
    target = [g for g in rows if g["ports"]][25]
    expand_gateway(page, target["id"])
    button = page.locator(f'tr.ports-row[data-ports-of="{target["id"]}"] button.traffic-btn').first
    button.focus()
    focused = page.evaluate("() => ({...document.activeElement.dataset})")
    scroll_y = page.evaluate("window.scrollY")
    assert scroll_y > 0
    refreshes = 0
    deadline = time.monotonic() + 30
    while refreshes < 2 and time.monotonic() < deadline:  # two automatic refreshes (every 5 s)
        with page.expect_response(lambda r: "/api/gateways" in r.url, timeout=15_000):
            pass
        refreshes += 1
    page.wait_for_timeout(300)
    assert refreshes == 2
    assert page.evaluate("() => ({...document.activeElement.dataset})") == focused
    assert page.evaluate("window.scrollY") == scroll_y
    assert page.evaluate("window.__announced.length") == 1, "a refresh that succeeds again says nothing"

    # An outage is announced once, however many refreshes fail; the recovery once more.
    outage = "Failed to load resource: the server responded with a status of 503 (Service Unavailable)"
    problems.allow_console_error(outage)
    page.route(
        "**/api/gateways*",
        lambda route: route.fulfill(
            status=503, content_type="application/json", body='{"success": false, "error": "test outage"}'
        ),
    )
    page.wait_for_function("() => window.__announced.length >= 2", timeout=15_000)
    page.wait_for_timeout(6_000)  # at least one more failing refresh
    assert page.evaluate("window.__announced.slice(1)") == ["Gateways could not be loaded: test outage"]
    page.unroute("**/api/gateways*")
    page.wait_for_function("() => window.__announced.length >= 3", timeout=15_000)
    assert page.evaluate("window.__announced[2]").startswith("Gateways loaded again: 40 gateways")
    page.wait_for_timeout(LOAD_TIMEOUT_MS // 10)
    assert page.evaluate("window.__announced.length") == 3


def axe_serious(page, base_url: str, context: str = "document") -> list[str]:
    """Serious and critical axe-core violations, as readable lines. axe is loaded from the vendored
    file through the page's own origin (the strict CSP allows only 'self'); the page never loads it."""
    if not page.evaluate("() => Boolean(window.axe)"):
        page.add_script_tag(url=base_url + "/static/vendor/axe.min.js")
    results = page.evaluate(
        f"async () => (await axe.run({context}, {{ resultTypes: ['violations'] }})).violations"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes'][:3]]}"
        for v in results
        if v["impact"] in ("serious", "critical")
    ]


def test_axe_finds_no_serious_or_critical_violation(hostile, live_page):
    assert (REPO / "static/vendor/axe.min.js").read_text()[:20].startswith("/*! axe v4")
    page, _ = live_page(hostile.url)
    wait_for_table(page, hostile.url)
    rows = rows_of(hostile)
    gateway = next(g for g in rows if g["ports"])
    expand_gateway(page, gateway["id"])
    assert axe_serious(page, hostile.url) == []

    page.locator(f'tr.ports-row[data-ports-of="{gateway["id"]}"] button.traffic-btn').first.click()
    page.wait_for_selector("#traffic-modal[open]")
    page.wait_for_function("() => document.getElementById('traffic-chart').dataset.points")
    assert axe_serious(page, hostile.url, "document.getElementById('traffic-modal')") == []
    page.keyboard.press("Escape")

    page.fill("#search", "z" * (search.MAX_LENGTH + 1))
    page.locator("#search-error").wait_for(state="visible")
    assert axe_serious(page, hostile.url) == []


def test_lone_surrogates_in_names_render_and_search(hostile, live_page):
    """Mist's JSON may carry unpaired surrogate escapes (``"\\ud800"``); the simulator cannot send
    them (it writes UTF-8), so this test edits the page's /api/gateways answer on its way in."""
    page, _ = live_page(hostile.url)
    rows = rows_of(hostile)
    target = rows[0]

    def with_surrogates(route):
        body = route.fetch().json()
        for gateway in body["data"]["gateways"]:
            if gateway["id"] == target["id"]:
                gateway["name"] = "lone-surrogate-gw \ud800 end"
                gateway["site_name"] = "\udfff site"
        route.fulfill(status=200, content_type="application/json", body=json.dumps(body))  # \\u escapes

    page.route("**/api/gateways*", with_surrogates)
    wait_for_table(page, hostile.url)
    page.fill("#search", "lone-surrogate-gw")
    wait_filtered(page, "lone-surrogate-gw")
    assert [row.get_attribute("data-gateway-id") for row in gateway_rows(page).all()] == [target["id"]]
    name = page.locator(f'tr.gw-row[data-gateway-id="{target["id"]}"] .gw-name-text')
    assert name.evaluate("e => e.textContent.length") == len("lone-surrogate-gw \ud800 end")
    assert name.evaluate("e => e.textContent.endsWith(' end') && e.title === e.textContent")
