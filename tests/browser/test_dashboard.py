"""The gateway table page: cards, search, site filter, expandable ports, CSV export."""

from __future__ import annotations

import csv
import io

import pytest

from tests.browser.pages import (
    card_number,
    expand_gateway,
    gateway_rows,
    search,
    show_gateway,
    visible_gateway_names,
    visible_site_names,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def gateways_json(api):
    return api("/api/gateways")


def test_cards_show_the_org_summary(loaded_page, gateways_json):
    summary = gateways_json["summary"]
    assert card_number(loaded_page, "gateways") == summary["gateways"] == len(gateways_json["gateways"])
    assert card_number(loaded_page, "connected") == summary["connected"]
    assert card_number(loaded_page, "wan-ports") == summary["wan_ports"]
    assert card_number(loaded_page, "active-ports") == summary["wan_ports_up"]
    # Every gateway of the (40-gateway) org is listed on the first page, once.
    assert sorted(visible_gateway_names(loaded_page)) == sorted(g["name"] for g in gateways_json["gateways"])
    assert loaded_page.locator("#demo-badge").is_visible()
    assert "data as of" in loaded_page.locator("#as-of").text_content()


def test_search_narrows_rows_to_matching_gateways(loaded_page, gateways_json):
    target = gateways_json["gateways"][5]["name"]
    expected = sorted(
        g["name"] for g in gateways_json["gateways"]
        if target.lower() in g["name"].lower() or target.lower() in (g["site_name"] or "").lower()
    )  # fmt: skip
    assert len(expected) < len(gateways_json["gateways"])
    search(loaded_page, target)
    assert sorted(visible_gateway_names(loaded_page)) == expected
    # The export link follows the search.
    assert "q=" in loaded_page.locator("#export-csv").get_attribute("href")

    search(loaded_page, "no-gateway-is-called-this")
    assert loaded_page.locator("#empty").is_visible()
    assert gateway_rows(loaded_page).count() == 0


def test_site_filter_narrows_rows_to_one_site(loaded_page, gateways_json, api):
    sites = api("/api/sites")
    by_site: dict[str, list[str]] = {}
    for g in gateways_json["gateways"]:
        by_site.setdefault(g["site_id"], []).append(g["name"])
    site = next(s for s in sites if 0 < len(by_site.get(s["id"], [])) < len(gateways_json["gateways"]))
    options = loaded_page.locator("#site-filter option")
    assert options.count() == len(sites) + 1  # "All sites" + one per site
    loaded_page.select_option("#site-filter", site["id"])
    loaded_page.wait_for_function(
        "n => document.querySelectorAll('#gw-body > tr.gw-row').length === n", arg=len(by_site[site["id"]])
    )
    assert sorted(visible_gateway_names(loaded_page)) == sorted(by_site[site["id"]])
    assert set(visible_site_names(loaded_page)) == {site["name"]}
    assert f"site_id={site['id']}" in loaded_page.locator("#export-csv").get_attribute("href")


def test_gateway_expands_to_its_wan_ports(loaded_page, gateways_json, api):
    gateway = next(g for g in gateways_json["gateways"] if g["ports"])
    ports = gateway["ports"]  # what /api/gateways sends is what the page shows
    show_gateway(loaded_page, gateway["name"])
    table = expand_gateway(loaded_page, gateway["id"])
    names = table.locator("tbody tr td.port-name").all_text_contents()
    assert names == [p["name"] for p in ports]
    # All 15 PortRow columns are shown, then flaps 24h / 7d and availability 7d (#15).
    assert table.locator("thead th").count() == 18
    # Unknown values are a dash with a tooltip, never a 0.
    for dash in table.locator(".na").all()[:5]:
        assert dash.text_content() == "—"
        assert dash.get_attribute("title") == "not available"
    # Collapsing removes the port rows again.
    loaded_page.locator(f'tr.gw-row[data-gateway-id="{gateway["id"]}"] button.expand-btn').click()
    assert loaded_page.locator("table.ports-table").count() == 0


def test_unresolved_template_variables_are_shown_muted_with_an_explanation(loaded_page, gateways_json):
    gateway, port = next(
        (g, p)
        for g in gateways_json["gateways"]
        for p in g["ports"]
        if str(p["gateway"] or "").startswith("{{")
    )
    show_gateway(loaded_page, gateway["name"])
    table = expand_gateway(loaded_page, gateway["id"])
    muted = table.locator(".unresolved", has_text=port["gateway"]).first
    assert muted.text_content() == port["gateway"]
    assert "not resolved yet" in muted.get_attribute("title")
    loaded_page.locator(f'tr.gw-row[data-gateway-id="{gateway["id"]}"] button.expand-btn').click()


def test_export_csv_downloads_one_row_per_wan_port(loaded_page, gateways_json):
    with loaded_page.expect_download() as download_info:
        loaded_page.click("#export-csv")
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    text = open(download.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    # The original 20 columns, then ours: flaps 24h / 7d and availability 7d (#15).
    assert header[19] == "TX Data (Bytes)" and header[20:] == ["Flaps 24h", "Flaps 7d", "Availability 7d (%)"]
    assert all(len(row) == 23 for row in body)
    assert len(body) == gateways_json["summary"]["wan_ports"]


def test_refresh_button_reloads_and_keeps_the_table(loaded_page, app_url):
    with loaded_page.expect_response(lambda r: r.url.startswith(app_url + "/api/gateways")):
        loaded_page.click("#refresh-btn")
    loaded_page.wait_for_selector("#refresh-btn:not([disabled])")
    assert gateway_rows(loaded_page).count() > 0
