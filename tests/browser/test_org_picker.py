"""A user token that sees several organisations: the page asks which one, and remembers the answer."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import expect

from mist_simulator import MistSimulator
from tests.browser.pages import LOAD_TIMEOUT_MS, card_number, gateway_rows, visible_gateway_names

pytestmark = pytest.mark.browser

USER_TOKEN = "user-token-765432"
STORAGE_KEY = "mistcircuitstats.org_id"


def wait_for_rows(page) -> None:
    page.wait_for_selector("body[data-loaded='true'] tr.gw-row", timeout=LOAD_TIMEOUT_MS)


def test_org_picker_lists_the_orgs_loads_the_chosen_one_and_remembers_it(live_app, live_page):
    sim = MistSimulator(gateways=10, extra_orgs=2, user_tokens=(USER_TOKEN,))
    live = live_app({"tokens": (USER_TOKEN,), "extra": {"session_hook": sim.mount}}, simulator=sim)
    assert live.dashboard.settings.demo is False
    names = {org_id: sim.org(org_id).name for org_id in sim.org_ids}
    assert len(names) == 3

    page, _ = live_page(live.url)
    page.goto(live.url + "/")
    picker = page.locator("#org-modal")
    expect(picker).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    choices = page.locator("#org-list button.org-choice")
    expect(choices).to_have_count(3)
    assert sorted(page.locator("#org-list .org-choice-name").all_text_contents()) == sorted(names.values())
    assert page.evaluate("document.body.dataset.loaded") is None  # nothing loaded before the choice

    # Not the main org: its gateway count differs from the default's, so a wrong org would show.
    chosen = sim.org_ids[2]
    truth = sim.truth(chosen)["gateways"]
    assert truth != sim.truth()["gateways"]

    def shows_the_chosen_org(action) -> None:
        with page.expect_response(lambda r: "/api/gateways" in r.url) as answer:
            action()
        assert f"org_id={chosen}" in answer.value.url
        wait_for_rows(page)
        expect(picker).to_be_hidden()
        expect(page.locator("#org-name")).to_have_text(names[chosen])
        assert gateway_rows(page).count() == truth
        assert card_number(page, "gateways") == truth

    shows_the_chosen_org(lambda: page.click(f"#org-list button.org-choice[data-org-id='{chosen}']"))
    expected = requests.get(live.url + "/api/gateways", params={"org_id": chosen}, timeout=60).json()["data"]
    assert sorted(visible_gateway_names(page)) == sorted(g["name"] for g in expected["gateways"])
    assert page.evaluate("k => localStorage.getItem(k)", STORAGE_KEY) == chosen

    # The choice survives a reload: no picker, same org, same rows.
    shows_the_chosen_org(page.reload)
    # The badge lets the user switch: it opens the same picker, which may now be dismissed.
    badge = page.locator("#org-badge")
    expect(badge).to_have_class("badge badge-org is-switchable")
    badge.click()
    expect(picker).to_be_visible()
    expect(choices).to_have_count(3)
    page.keyboard.press("Escape")
    expect(picker).to_be_hidden()
    assert page.evaluate("k => localStorage.getItem(k)", STORAGE_KEY) == chosen
