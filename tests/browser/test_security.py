"""Hostile data must stay data: adversarial demo names are shown as text and never run.

The adversarial demo org puts HTML, <script> tags, event-handler attributes, quotes and
spreadsheet formulas into gateway, site, port and peer names. The page must display them literally,
open no dialog (alert/confirm/prompt), never set window.__xss, and add no element or attribute.
"""

from __future__ import annotations

import pytest
import requests

from tests.browser.pages import expand_gateway, gateway_rows, visible_gateway_names, wait_for_table

pytestmark = pytest.mark.browser

INJECTED_MARKUP = """() => ({
  scripts: document.querySelectorAll('script').length,
  images: [...document.images].map(i => i.getAttribute('src')),
  handlers: [...document.querySelectorAll('*')]
    .filter(e => [...e.attributes].some(a => a.name.toLowerCase().startsWith('on'))).length,
  iframes: document.querySelectorAll('iframe, object, embed').length,
  xss: window.__xss,
})"""


def test_adversarial_names_display_literally_and_never_execute(browser, adversarial_page, adversarial_url):
    page = adversarial_page
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    wait_for_table(page, adversarial_url)

    gateways = requests.get(adversarial_url + "/api/gateways", timeout=60).json()["data"]["gateways"]
    scripted = [g["name"] for g in gateways if "<script" in (g["name"] or "").lower()]
    assert scripted, "the adversarial demo org should contain a gateway name with <script>"
    shown = visible_gateway_names(page)
    for name in scripted:
        assert name in shown, f"{name!r} is not displayed literally"

    # Render as much hostile text as possible: every port table, then both modals of a port.
    for row in gateway_rows(page).all()[:15]:
        gateway_id = row.get_attribute("data-gateway-id")
        expand_gateway(page, gateway_id)
    traffic = page.locator("button.traffic-btn").first
    traffic.click()
    page.wait_for_selector("#traffic-modal[open]")
    page.wait_for_function("() => document.getElementById('traffic-chart').dataset.points")
    page.keyboard.press("Escape")
    peers = page.locator("td.peers-cell button").first
    if peers.count():
        peers.click()
        page.wait_for_selector("#peers-modal[open]")
        page.wait_for_function("() => document.getElementById('peers-msg').textContent !== 'Loading…'")
        page.keyboard.press("Escape")
    # Typing markup into the search box is just a search.
    page.fill("#search", "<img src=x onerror=alert(1)>")
    page.wait_for_timeout(400)

    state = page.evaluate(INJECTED_MARKUP)
    assert dialogs == []
    assert state["xss"] is None
    assert state["scripts"] == 2  # Chart.js and main.js, nothing injected
    assert state["handlers"] == 0
    assert state["iframes"] == 0
    assert all(src and src.startswith("/static/") for src in state["images"]), state["images"]
