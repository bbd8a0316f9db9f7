"""Rate limits seen from the page: the table stays, a banner says until when; no data yet is an error state.

The app is served in-process (``live_app``) so the test can spend the simulated cloud's token budgets
while the browser is on the page.
"""

from __future__ import annotations

import re
import time

import pytest
import requests
from playwright.sync_api import expect

from tests.browser.pages import gateway_rows, wait_for_table

pytestmark = pytest.mark.browser

# What Chromium logs for every 503 answer; only the test that provokes 503s tolerates it.
HTTP_503 = "Failed to load resource: the server responded with a status of 503 (SERVICE UNAVAILABLE)"
# "data as of" carries date, time and zone (issue #13): 2026-11-23 10:15:00 UTC+01:00
CLOCK = r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC[+-]\d{2}:\d{2}"
BANNER_RE = re.compile(rf"rate limited until (\d{{2}}):(\d{{2}}), showing data as of ({CLOCK})")


def record_api_answers(page) -> list[tuple[str, int, str]]:
    """(url, status, content type) of every /api/ answer the page receives."""
    answers: list[tuple[str, int, str]] = []
    page.on(
        "response",
        lambda r: (
            answers.append((r.url, r.status, r.headers.get("content-type", ""))) if "/api/" in r.url else None
        ),
    )
    return answers


def assert_json_only(answers) -> None:
    """Failures came back as the JSON envelope, never as an HTML error page."""
    assert answers, "the page made no API request"
    html = [a for a in answers if not a[2].startswith(("application/json", "text/csv"))]
    assert html == [], f"non-JSON API answers: {html}"


def local_hour_minute(page, epoch: float) -> tuple[int, int]:
    """Hour and minute of ``epoch`` in the browser's time zone (the one the page formats with)."""
    script = "t => { const d = new Date(t * 1000); return [d.getHours(), d.getMinutes()]; }"
    return tuple(page.evaluate(script, epoch))


def test_rate_limited_refresh_keeps_rows_and_says_until_when(live_app, live_page):
    live = live_app({"demo": True, "demo_gateways": 40, "cache_ttl_seconds": 1})
    sim = live.simulator
    tokens = live.dashboard.settings.tokens
    assert len(tokens) == 2
    page, _ = live_page(live.url)
    answers = record_api_answers(page)
    wait_for_table(page, live.url)
    total = sim.truth()["gateways"]
    assert gateway_rows(page).count() == total == 40
    as_of = page.locator("#as-of")
    expect(as_of).to_be_visible()
    expect(as_of).to_have_text(re.compile(rf"^data as of {CLOCK}$"))
    shown_as_of = as_of.text_content()

    for token in tokens:
        sim.exhaust_token(token, retry_after=120)
    # The collector's next run (every second here) meets the 429s and re-publishes the rows stale.
    deadline = time.monotonic() + 20
    while not requests.get(live.url + "/api/gateways", timeout=30).json()["stale"]:
        assert time.monotonic() < deadline, "the collector never met the rate limit"
        time.sleep(0.2)

    with page.expect_response(lambda r: "/api/gateways" in r.url) as answer:
        page.click("#refresh-btn")
    body = answer.value.json()
    assert answer.value.status == 200 and body["success"] is True and body["stale"] is True

    # The stale table stays, and says it is being refreshed.
    stale_note = page.locator("#stale-note")
    expect(stale_note).to_be_visible()
    expect(stale_note).to_have_text("refreshing…")
    banner = page.locator("#rate-banner")
    expect(banner).to_be_visible(timeout=30_000)  # once the background refresh met the 429s
    match = BANNER_RE.search(banner.text_content() or "")
    assert match, banner.text_content()

    until = live.dashboard.conn.pool.rate_limited_until()
    assert until is not None and 60 < until - time.time() <= 125, until - time.time()
    assert (int(match[1]), int(match[2])) == local_hour_minute(page, until)
    # "showing data as of" is the time of the data on screen: the one fetched before the limit.
    # (The collector runs every second here, so the last good data may be newer than the first view.)
    assert as_of.text_content() == f"data as of {match[3]}"
    assert shown_as_of <= as_of.text_content()
    assert body["as_of"] <= time.time() - 1, "the stale answer carries the time of the last good data"
    expect(as_of).to_be_visible()
    expect(stale_note).to_be_visible()
    assert gateway_rows(page).count() == total
    expect(page.locator("#table-wrap")).to_be_visible()
    assert page.title() == "MistCircuitStats"
    assert_json_only(answers)


def test_rate_limited_before_any_data_shows_an_error_state(live_app, live_page):
    # The collector starts only once every token is spent, so it never gets data first.
    live = live_app({"demo": True, "demo_gateways": 40, "extra": {"collector_autostart": False}})
    for token in live.dashboard.settings.tokens:
        live.simulator.exhaust_token(token, retry_after=120)
    live.runtime.collector.start()
    page, problems = live_page(live.url)
    problems.allow_console_error(HTTP_503)  # the API answers 503 on purpose here
    answers = record_api_answers(page)
    page.goto(live.url + "/")

    empty = page.locator("#empty")
    expect(empty).to_be_visible(timeout=30_000)
    expect(empty).to_contain_text("could not be loaded")
    expect(empty).to_contain_text(re.compile(r"rate-limited until \d{2}:\d{2}"))
    toast = page.locator("#toasts .toast[role='alert']").first
    expect(toast).to_be_visible()
    expect(toast).to_contain_text("rate-limited")
    banner = page.locator("#rate-banner")
    expect(banner).to_be_visible(timeout=15_000)
    expect(banner).to_contain_text(re.compile(r"rate limited until \d{2}:\d{2}, showing no data yet"))
    expect(page.locator("#loading")).to_be_hidden()
    assert gateway_rows(page).count() == 0
    assert page.title() == "MistCircuitStats"

    assert problems.allowed_seen, "expected the API to answer 503 while rate limited"
    # The org's data cannot be had (503); the list of organizations and the status may still answer.
    data_route = re.compile(r"/api/(organization|gateways)\b")  # not /api/organizations, /api/status
    data_answers = {status for url, status, _ in answers if data_route.search(url)}
    assert data_answers == {503}, answers
    assert_json_only(answers)
