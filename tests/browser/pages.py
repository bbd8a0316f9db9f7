"""Small helpers so the browser tests read as a description of the page, not of selectors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Locator, Page

from circuitstats.search import normalise as normalise_query

LOAD_TIMEOUT_MS = 60_000
VIEWPORT = {"width": 1440, "height": 900}


class PageProblems:
    """What a page did wrong: console errors, uncaught exceptions, requests to other origins."""

    def __init__(self, origin: str):
        self.origin = origin
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.foreign_requests: list[str] = []
        self.allowed_console_errors: set[str] = set()
        self.allowed_seen: list[str] = []

    def allow_console_error(self, text: str) -> None:
        """Ignore console errors whose text is exactly ``text`` (one the test provokes on purpose)."""
        self.allowed_console_errors.add(text)

    def attach(self, page: Page) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.on("request", self._on_request)

    def _on_console(self, message) -> None:
        if message.type == "error":
            if message.text in self.allowed_console_errors:
                self.allowed_seen.append(message.text)
                return
            self.console_errors.append(f"{message.text} @ {message.location}")

    def _on_request(self, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about"):
            return  # in-page resources, not network requests
        if f"{parts.scheme}://{parts.netloc}" != self.origin:
            self.foreign_requests.append(request.url)

    def assert_clean(self) -> None:
        assert self.console_errors == [], f"console errors: {self.console_errors}"
        assert self.page_errors == [], f"uncaught page errors: {self.page_errors}"
        assert self.foreign_requests == [], f"requests outside {self.origin}: {self.foreign_requests}"


@contextmanager
def open_page(browser: Browser, base_url: str):
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(base_url))
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    page = context.new_page()
    problems = PageProblems(origin)
    problems.attach(page)
    try:
        yield page, problems
    finally:
        context.close()


def wait_for_table(page: Page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.wait_for_selector("body[data-loaded='true'] tr.gw-row", timeout=LOAD_TIMEOUT_MS)


def gateway_rows(page: Page) -> Locator:
    return page.locator("#gw-body > tr.gw-row")


def visible_gateway_names(page: Page) -> list[str]:
    return page.locator("#gw-body > tr.gw-row .gw-name-text").all_text_contents()


def visible_site_names(page: Page) -> list[str]:
    return page.locator("#gw-body > tr.gw-row td.gw-site").all_text_contents()


def card_number(page: Page, name: str) -> int:
    text = page.get_by_test_id(f"card-{name}").text_content() or ""
    return int(text.replace(",", ""))


def gateway_row(page: Page, gateway_id: str) -> Locator:
    return page.locator(f'#gw-body > tr.gw-row[data-gateway-id="{gateway_id}"]')


def expand_gateway(page: Page, gateway_id: str) -> Locator:
    """Click the chevron of one gateway; returns its port table once loaded."""
    gateway_row(page, gateway_id).locator("button.expand-btn").click()
    ports = page.locator(f'#gw-body > tr.ports-row[data-ports-of="{gateway_id}"] table.ports-table')
    ports.wait_for(timeout=LOAD_TIMEOUT_MS)
    return ports


def wait_filtered(page: Page, text: str) -> None:
    """Wait until the table shows the (debounced) filter of ``text``, in its search form."""
    page.wait_for_function(
        "q => document.getElementById('gw-body').dataset.query === q", arg=normalise_query(text)
    )


def search(page: Page, text: str) -> None:
    """Type into the search box and wait until the (debounced) filter has been applied."""
    page.fill("#search", text)
    wait_filtered(page, text)


def type_search(page: Page, text: str) -> Iterator[str]:
    """Type ``text`` into the search box one key at a time; yields what is typed once it is applied."""
    page.click("#search")
    for typed in range(1, len(text) + 1):
        page.keyboard.type(text[typed - 1])
        wait_filtered(page, text[:typed])
        yield text[:typed]


def show_gateway(page: Page, name: str) -> None:
    """Narrow the table to one gateway by typing its name (the table is paginated)."""
    search(page, name)
    page.wait_for_function(
        "name => [...document.querySelectorAll('#gw-body .gw-name-text')].some(e => e.textContent === name)",
        arg=name,
    )
