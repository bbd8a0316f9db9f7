"""Without a token and without demo mode the page explains how to configure instead of a table."""

from __future__ import annotations

import sys

import pytest

from tests.browser.pages import open_page
from tests.support.servers import free_port, running_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def unconfigured_url(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("unconfigured") / "app.log"
    command = [sys.executable, "app.py", "--port", str(port)]
    with running_server(command, {"MIST_DEMO": "0", "MIST_APITOKEN": ""}, port, log) as (url, _process):
        yield url


def test_unconfigured_page_shows_how_to_configure(browser, unconfigured_url):
    with open_page(browser, unconfigured_url) as (page, problems):
        page.goto(unconfigured_url + "/")
        help_panel = page.locator("#config-help")
        help_panel.wait_for()
        text = help_panel.text_content()
        assert "MIST_APITOKEN" in text
        assert "--demo" in text
        assert page.locator("#gw-table").count() == 0
        assert page.locator("#demo-badge").count() == 0
        page.wait_for_timeout(300)  # let main.js run: it must not call the API
        problems.assert_clean()
