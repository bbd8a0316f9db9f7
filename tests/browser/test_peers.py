"""The peer-path modal of a WAN port (issue #4)."""

from __future__ import annotations

import pytest

from tests.browser.pages import expand_gateway, show_gateway

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def port_with_peers(api):
    """(gateway, port) where some peer paths exist, preferring one with a path down."""
    found = []
    for gateway in api("/api/gateways")["gateways"]:
        for port in gateway["ports"]:  # the table's rows carry their PortRows
            if port["peers_total"]:
                found.append((gateway, port))
    if not found:
        pytest.fail("the demo org has no port with peer paths")
    # Prefer a port with paths both up and down, so sorting by status is visible.
    found.sort(key=lambda gp: not (0 < gp[1]["peers_up"] < gp[1]["peers_total"]))
    return found[0]


def test_peer_modal_lists_every_path_of_the_port(loaded_page, port_with_peers):
    gateway, port = port_with_peers
    show_gateway(loaded_page, gateway["name"])
    table = expand_gateway(loaded_page, gateway["id"])
    name_cell = loaded_page.locator("td.port-name", has_text=port["name"])
    row = table.locator("tbody tr").filter(has=name_cell).first
    button = row.locator("td.peers-cell button")
    assert button.text_content() == f"{port['peers_up']}/{port['peers_total']}"
    some_down = port["peers_up"] < port["peers_total"]
    assert ("is-bad" in button.get_attribute("class")) == some_down

    button.click()
    loaded_page.wait_for_selector("#peers-modal[open] tr.peer-row")
    rows = loaded_page.locator("#peers-body tr.peer-row")
    assert rows.count() == port["peers_total"]
    assert loaded_page.locator("#peers-table thead th").count() == 12
    up = loaded_page.locator("#peers-body .pill-ok").count()
    assert up == port["peers_up"]

    # Sorting by a column header: status ascending puts the down paths first.
    header = loaded_page.locator("#peers-table thead button[data-sort='up']")
    header.click()
    assert loaded_page.locator("#peers-table thead th").first.get_attribute("aria-sort") == "ascending"
    first_status = rows.first.locator("td").first.text_content()
    assert first_status.startswith("down" if some_down else "up")
    header.click()
    assert loaded_page.locator("#peers-table thead th").first.get_attribute("aria-sort") == "descending"
    assert rows.first.locator("td").first.text_content().startswith("up" if port["peers_up"] else "down")

    loaded_page.keyboard.press("Escape")
    loaded_page.wait_for_selector("#peers-modal:not([open])", state="attached")
