"""Fixtures of the real-browser tests: the demo app as a real server, Debian's Chromium via Playwright.

The browser must start: a missing or broken Chromium is a test failure, never a skip, because a
dashboard whose page was never loaded in a browser has not been tested.
Each page records console errors, uncaught exceptions and requests leaving the app's origin, and
fails the test at teardown if any happened (the page must run clean under the strict CSP and talk
only to its own server).
"""

from __future__ import annotations

import sys
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from config import ENV_VARS
from tests.browser.live import LiveApp, serving
from tests.browser.pages import open_page, wait_for_table
from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.support.servers import free_port, running_server

# No background config enrichment: the table a test reads stays the table the page shows.
DEMO_ENV = {"MIST_DEMO": "1", "MIST_DEMO_GATEWAYS": "40", "MIST_DEMO_SEED": "7", "ENRICH_BUDGET": "0"}


@contextmanager
def demo_server(tmp_dir: Path, name: str, **env: str):
    """The real app (`python app.py --demo --port N`) in a subprocess; yields its base URL."""
    port = free_port()
    command = [sys.executable, "app.py", "--demo", "--port", str(port)]
    log = tmp_dir / f"{name}.log"
    try:
        with running_server(command, {**DEMO_ENV, **env}, port, log) as (base_url, _process):
            yield base_url
    except RuntimeError as exc:  # did not come up: show why
        output = log.read_text(errors="replace")[-4000:] if log.exists() else ""
        raise RuntimeError(f"{exc}\n--- server output ---\n{output}") from exc


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    """Demo org: 40 gateways, seed 7."""
    with demo_server(tmp_path_factory.mktemp("app"), "demo") as url:
        yield url


@pytest.fixture(scope="session")
def adversarial_url(tmp_path_factory):
    """Demo org whose names and descriptions are full of HTML, quotes and formulas."""
    with demo_server(tmp_path_factory.mktemp("adv"), "adversarial", MIST_DEMO_ADVERSARIAL="1") as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Browser:
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except PlaywrightError as exc:
            # Deliberately pytest.fail, not skip: without a browser nothing here is tested.
            pytest.fail(f"Chromium at {CHROMIUM} could not be started: {exc}", pytrace=False)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh page (own context: empty localStorage) on the demo app; must stay error-free."""
    with open_page(browser, app_url) as (pg, problems):
        yield pg
        problems.assert_clean()


@pytest.fixture
def adversarial_page(browser, adversarial_url):
    with open_page(browser, adversarial_url) as (pg, problems):
        yield pg
        problems.assert_clean()


@pytest.fixture(scope="session")
def api(app_url):
    """GET a JSON route of the demo app and return its `data` (the test's own view of the truth)."""

    def get(path: str, **params):
        response = requests.get(app_url + path, params=params, timeout=60)
        response.raise_for_status()
        body = response.json()
        assert body["success"] is True, body
        return body["data"]

    return get


@pytest.fixture
def loaded_page(page, app_url):
    """The demo page with its gateway table loaded."""
    wait_for_table(page, app_url)
    return page


@pytest.fixture
def live_app(monkeypatch):
    """Factory: ``live_app(config)`` serves ``create_app(config)`` in this process and returns a LiveApp
    (url, app, dashboard, simulator), so the test can steer the simulated cloud while the page runs.
    The environment's own settings are cleared so only ``config`` counts; servers stop at teardown."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    with ExitStack() as stack:

        def start(config: dict, simulator=None) -> LiveApp:
            return stack.enter_context(serving(config, simulator))

        yield start


@pytest.fixture
def live_page(browser, live_app):
    """Factory: ``live_page(url)`` -> (page, problems), a fresh context each; every page must stay clean
    (console errors, uncaught exceptions, foreign requests) unless the test allowed an exact message."""
    opened = []
    with ExitStack() as stack:

        def open_one(url: str):
            pg, problems = stack.enter_context(open_page(browser, url))
            opened.append(problems)
            return pg, problems

        yield open_one
        for problems in opened:
            problems.assert_clean()
