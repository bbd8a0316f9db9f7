"""The one door to the Mist cloud.

This is the only module that imports ``mistapi``. It owns:

* the token pool: every configured API token gets its own mistapi session; a 429 puts that token on a
  cool-down (honouring ``Retry-After``) and the call moves on to the next token at once, so a web
  request never sits in mistapi's own 5/10/20-second 429 sleeps;
* timeouts on every call and bounded retries of transient failures (5xx, timeouts) inside a total
  time budget;
* pagination: list endpoints fetch page 1, then the remaining pages concurrently; search endpoints
  follow their ``next`` cursor;
* distrust of every answer (issue #12): a ``next`` cursor is followed only when it stays on the
  configured host, and the session refuses, as a last line of defence, any request whose final URL
  is not ``https://MIST_HOST`` (the token goes nowhere else); paging is bounded by what we asked
  for, by the first page's total, by an absolute page cap and by an optional ``CallBudget``; a 2xx
  answer that is not JSON of the expected shape raises ``MistBadAnswer`` instead of reading as an
  empty list, and a later page that fails marks the result ``Paged.incomplete`` instead of leaving it
  silently short;
* per-endpoint call accounting (``call_counts()``) for metrics;
* one method per question asked of the cloud (``gateway_stats()``, ``peer_paths()``, ...), each
  returning the plain JSON the API gave (list endpoints as a ``Paged`` list).

Nothing here knows about Flask or about caching; ``dashboard.py`` decides what to ask and when.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import math
import os
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

import mistapi
import requests
import urllib3.util
from mistapi.api.v1.orgs import deviceprofiles as org_deviceprofiles
from mistapi.api.v1.orgs import devices as org_devices
from mistapi.api.v1.orgs import gatewaytemplates as org_gatewaytemplates
from mistapi.api.v1.orgs import inventory as org_inventory
from mistapi.api.v1.orgs import orgs as org_orgs
from mistapi.api.v1.orgs import sites as org_sites
from mistapi.api.v1.orgs import stats as org_stats
from mistapi.api.v1.self import self as self_api
from mistapi.api.v1.sites import devices as site_devices
from mistapi.api.v1.sites import insights as site_insights
from mistapi.api.v1.sites import setting as site_setting_api
from requests.adapters import HTTPAdapter

from circuitstats import validate
from mist_hosts import MIST_HOSTS

log = logging.getLogger(__name__)

PAGE_LIMIT = 1000
STATS_PAGE_WORKERS = 3  # gateway stats pages in flight at once (see gateway_stats)
# Parsed pages not yet transformed, at most (list_all with serial=True): two lets the next page be
# parsed while the shaping waits for the reference data or works on the current one; each one
# more costs 27 MB per 1,000 gateways of stats.
PARSED_PAGES_IN_HAND = 2
# Pages of any other list in flight at once (sites, inventory: ~12 pages each at 10,000 gateways).
# Shaping the stats waits for this reference data, so it should arrive in one round trip after its
# first page: at 12, a cold start at 10,000 gateways had it 0.4 s sooner than at 4. (With 8 and a
# listen backlog of 5, the simulated cloud once dropped connections; its backlog is 128 now.)
PAGE_WORKERS = 12
CONNECTIONS_PER_HOST = 32  # kept-alive connections to the Mist host (see _TimeoutSession)
# Absolute cap on the pages of one paginated question: 50 pages of 1,000 rows is five times the
# largest org the dashboard is built for, and bounds what a lying total header can cost.
MAX_PAGES = 50
# A search's page count is capped at what its first page's total announces, plus this margin
# (a few rows may appear between two pages of a live search).
SEARCH_PAGE_MARGIN = 2
# Environment variables mistapi reads by itself in APISession.__init__; a token found there would be
# validated with a bare requests.get that bypasses our session (and any mounted simulator).
_MISTAPI_ENV_VARS = ("MIST_APITOKEN", "MIST_HOST", "MIST_USER", "MIST_PASSWORD", "MIST_VAULT_PATH")
_ENV_LOCK = threading.Lock()
# Scopes a /self privilege has in Mist; any other value (an object, "text", null) is junk, and a
# /self of junk alone must not read as "this token sees no org".
PRIVILEGE_SCOPES = ("org", "site", "msp", "orggroup", "sitegroup")


class MistError(Exception):
    """Base of every failure this module reports; messages never contain a token."""


class MistConfigError(MistError):
    """No token, or a host mistapi does not accept."""


class MistAuthError(MistError):
    """The cloud refused the token (401) or the token may not see this object (403)."""


class MistNotFound(MistError):
    """The object does not exist (404)."""


class MistBadRequest(MistError):
    """The cloud refused the query (400)."""


class MistUnavailable(MistError):
    """5xx answers or timeouts persisted past the retry budget."""


class MistBadAnswer(MistError):
    """A 2xx answer we cannot use: not JSON (an HTML page, truncated), empty, 204, or the wrong shape.

    Why an error and not an empty list: a captive portal or a cloud incident answering 200 with
    rubbish must never read as "this org has no gateways".
    """


class MistRefusedURL(MistError):
    """A request was refused before it left: its URL was not ``https://MIST_HOST/...``."""


class MistBudgetExhausted(MistError):
    """The collection's ``CallBudget`` is spent; no further call is made for it."""


class MistRateLimited(MistError):
    """Every token is cooling down after a 429."""

    def __init__(self, until: float):
        self.until = until
        super().__init__(
            f"all API tokens are rate-limited until {time.strftime('%H:%M', time.localtime(until))}"
        )


class CooldownStore(Protocol):
    """Where token cool-downs live: in memory, or in Redis so that every worker shares them."""

    def get(self, token_id: str) -> float: ...

    def set(self, token_id: str, until: float) -> None: ...


class MemoryCooldowns:
    """Cool-downs of one process."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def get(self, token_id: str) -> float:
        with self._lock:
            return self._until.get(token_id, 0.0)

    def set(self, token_id: str, until: float) -> None:
        with self._lock:
            self._until[token_id] = until


def mask_token(token: str) -> str:
    """A token as operators may see it: enough to tell tokens apart, too little to use one."""
    if len(token) < 12:
        return "…" + token[-2:] if len(token) > 4 else "****"
    return f"{token[:4]}…{token[-4:]}"


def token_id(token: str) -> str:
    """A stable, non-reversible id for keys in shared stores (Redis must never hold a token)."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


class TokenPool:
    """Round-robin over tokens, skipping the ones cooling down after a 429."""

    DEFAULT_COOLDOWN = 60.0

    def __init__(self, tokens: list[str], store: CooldownStore | None = None, clock=time.time):
        if not tokens:
            raise MistConfigError("no Mist API token configured (set MIST_APITOKEN)")
        self.tokens = list(dict.fromkeys(tokens))
        self._store = store or MemoryCooldowns()
        self._clock = clock
        self._next = 0
        self._lock = threading.Lock()
        self._calls = {t: 0 for t in self.tokens}

    def acquire(self) -> str:
        """The next token that is not cooling down; ``MistRateLimited`` when there is none."""
        now = self._clock()
        with self._lock:
            start = self._next
            for offset in range(len(self.tokens)):
                token = self.tokens[(start + offset) % len(self.tokens)]
                if self._store.get(token_id(token)) <= now:
                    self._next = (start + offset + 1) % len(self.tokens)
                    return token
        raise MistRateLimited(self.rate_limited_until() or now + self.DEFAULT_COOLDOWN)

    def cool_down(self, token: str, retry_after: str | None) -> float:
        """Put ``token`` aside until the cloud says it may call again."""
        seconds = _parse_retry_after(retry_after, self.DEFAULT_COOLDOWN)
        until = self._clock() + seconds
        self._store.set(token_id(token), until)
        log.warning("token %s rate-limited for %.0f s", mask_token(token), seconds)
        return until

    def record_call(self, token: str) -> None:
        with self._lock:
            self._calls[token] += 1

    def rate_limited_until(self) -> float | None:
        """When the first token frees up, if every token is cooling down now; else None."""
        now = self._clock()
        untils = [self._store.get(token_id(t)) for t in self.tokens]
        if all(u > now for u in untils):
            return min(untils)
        return None

    def status(self) -> list[dict]:
        now = self._clock()
        rows = []
        for token in self.tokens:
            until = self._store.get(token_id(token))
            rows.append(
                {
                    "token": mask_token(token),
                    "calls": self._calls[token],
                    "cooling_until": until if until > now else None,
                }
            )
        return rows


def _parse_retry_after(value: str | None, default: float) -> float:
    """Seconds to wait from a ``Retry-After`` header, within 1 s .. 1 h.

    ``nan`` parses as a float and survives min/max: a token would then cool down forever (nothing
    compares greater than nan), so a non-finite value reads as absent.
    """
    try:
        seconds = float(value) if value is not None else default
    except (TypeError, ValueError):
        seconds = default
    if not math.isfinite(seconds):
        seconds = default
    return min(max(seconds, 1.0), 3600.0)


# ----- paging results and budgets -------------------------------------------------------------


class Paged(list):
    """The rows of a paginated question, and what is missing from them.

    ``incomplete`` is None when every announced row arrived; otherwise a dict
    ``{"source": <operation>, "got": <rows received>, "total": <rows announced or None>,
    "why": "page 2 of 2 failed: HTTP 503"}`` that a snapshot can show as it is. A list subclass so
    that callers that only want the rows need no change.
    """

    def __init__(self, items=(), incomplete: dict | None = None):
        super().__init__(items)
        self.incomplete = incomplete


class CallBudget:
    """How many Mist calls one collection may spend; shared by the threads that fetch its pages.

    Every attempt counts (a retry costs the token's hourly allowance as much as a first try).
    ``spend()`` raises ``MistBudgetExhausted`` once ``limit`` calls were made: a first page then
    fails, a later page marks its result incomplete. Thread-safe.
    """

    def __init__(self, limit: int, name: str = "collection"):
        if limit < 0:
            raise ValueError("a call budget cannot be negative")
        self.limit = limit
        self.name = name
        self._used = 0
        self._lock = threading.Lock()

    def spend(self) -> None:
        """Take one call from the budget, or raise ``MistBudgetExhausted``."""
        with self._lock:
            if self._used >= self.limit:
                raise MistBudgetExhausted(f"call budget of {self.name} spent ({self.limit} calls)")
            self._used += 1

    @property
    def used(self) -> int:
        return self._used

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self._used)

    @property
    def exhausted(self) -> bool:
        return self._used >= self.limit


# ----- where a token may go ---------------------------------------------------------------------

_CURSOR_MAX = 8192
_CURSOR_FORBIDDEN = re.compile(r"[^\x21-\x7e]|\\")  # anything but visible ASCII, or a backslash


class UnsafeURL(requests.exceptions.InvalidURL):
    """Raised inside the session for a URL that would not go to ``https://MIST_HOST``."""


def is_mist_url(url: Any, host: str) -> bool:
    """Whether ``url`` goes to ``https://{host}`` (port 443, no userinfo), by two parsers.

    Both the standard library's and urllib3's parsers (the one requests sends with) must agree,
    so that a URL one of them reads differently (``\\``, ``@`` tricks) is refused.
    """
    if not isinstance(url, str) or _CURSOR_FORBIDDEN.search(url):
        return False
    try:
        std = urlsplit(url)
        std_port = std.port
        lib = urllib3.util.parse_url(url)
    except ValueError:
        return False
    return (
        std.scheme == "https"
        and lib.scheme == "https"
        and std.username is None
        and std.password is None
        and "@" not in std.netloc
        and lib.auth is None
        and std.hostname == host
        and (lib.host or "").lower() == host
        and std_port in (None, 443)
        and lib.port in (None, 443)
    )


def safe_cursor(cursor: Any, host: str) -> str | None:
    """The path (with query) a ``next`` cursor asks for, when it stays on ``host``; else None.

    Accepted: a path starting with ``/api/v1/``, or an absolute URL on exactly
    ``https://{host}`` whose path starts with ``/api/v1/``. mistapi appends the path to
    ``https://{host}`` as text, so anything else (``@evil.example/...``, ``.evil.example/...``,
    ``:8443@evil.example/...``) could send the token elsewhere.
    """
    if not isinstance(cursor, str) or len(cursor) > _CURSOR_MAX or _CURSOR_FORBIDDEN.search(cursor):
        return None
    if cursor.startswith("/api/v1/"):
        path = cursor
    elif is_mist_url(cursor, host):
        parts = urlsplit(cursor)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not path.startswith("/api/v1/"):
            return None
    else:
        return None
    return path if is_mist_url(f"https://{host}{path}", host) else None


class _ParsePermit:
    """A downloaded page's right to be parsed (``list_all(serial=True)``): taken once, when its
    answer is about to be parsed, given back when its transform is done. Without slots, a no-op."""

    def __init__(self, slots: threading.Semaphore | None):
        self.slots, self.held = slots, False

    def take(self) -> None:
        if self.slots is not None and not self.held:
            self.slots.acquire()
            self.held = True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.slots.release()


_PARSE_PERMIT = threading.local()  # the permit of the page this thread is fetching, if any


class _GatedResponse(requests.Response):
    """A response whose JSON is parsed only once this thread's page has its turn (mistapi parses
    every answer as it wraps it); error answers are parsed at once, since they are retried."""

    def json(self, **kwargs):
        permit = getattr(_PARSE_PERMIT, "current", None)
        if permit is not None and 200 <= self.status_code < 300:
            permit.take()
        return super().json(**kwargs)


class _TimeoutSession(requests.Session):
    """The requests session under every mistapi session: timeouts, host check, failure cause.

    * mistapi passes no timeout of its own, so a default one is added;
    * every request, redirects included, is checked against ``https://{host}`` just before it is
      sent, whatever mistapi built: the last line of defence that keeps the token on MIST_HOST;
    * mistapi swallows transport exceptions (``status_code`` None), so the last one is kept per
      thread for the connection to report its real cause (TLS, proxy, refused, timeout).
    """

    def __init__(self, timeout: tuple[float, float], host: str):
        super().__init__()
        # A cold start has up to ~30 requests in flight (stats, sites, inventory pages, events):
        # requests' default pool of 10 connections would open and drop the rest each time.
        self.mount("https://", HTTPAdapter(pool_connections=4, pool_maxsize=CONNECTIONS_PER_HOST))
        self.default_timeout = timeout
        self.allowed_host = host
        self._failure = threading.local()

    def request(self, method, url, **kwargs):  # noqa: D401 - requests' signature
        self._failure.error = None
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        try:
            if not is_mist_url(url, self.allowed_host):
                raise UnsafeURL(f"refused to send a request to {_describe_url(url)}")
            return super().request(method, url, **kwargs)
        except Exception as exc:
            self._failure.error = exc
            raise

    def send(self, request, **kwargs):
        if not is_mist_url(request.url, self.allowed_host):
            raise UnsafeURL(f"refused to send a request to {_describe_url(request.url)}")
        response = super().send(request, **kwargs)
        if type(response) is requests.Response:
            response.__class__ = _GatedResponse  # same object, one method more: see _GatedResponse
        return response

    def last_failure(self) -> BaseException | None:
        """The exception of this thread's latest request, None when it got an answer."""
        return getattr(self._failure, "error", None)


def _describe_url(url: Any) -> str:
    """A URL for a log line or message: its scheme and authority only, at most 120 characters."""
    if not isinstance(url, str):
        return repr(type(url).__name__)
    try:
        parts = urlsplit(url)
        shown = f"{parts.scheme}://{parts.netloc}" if parts.netloc else url
    except ValueError:
        shown = url
    return repr(shown[:120])


@dataclass(frozen=True)
class RetryPolicy:
    """Transient failures (5xx, timeouts) are retried with backoff, inside a total budget."""

    attempts: int = 3
    backoff: float = 0.25
    budget_seconds: float = 25.0


def _new_mistapi_session(host: str, token: str, timeout: tuple[float, float], https_proxy: str | None):
    """A mistapi session for one token, built without letting mistapi read tokens from os.environ."""
    mistapi_logger = logging.getLogger("mistapi")
    with _ENV_LOCK:
        saved = {name: os.environ.pop(name) for name in _MISTAPI_ENV_VARS if name in os.environ}
        level = mistapi_logger.level  # APISession resets it; the app decides how chatty mistapi is
        try:
            session = mistapi.APISession(
                host=host,
                console_log_level=50,
                logging_log_level=50,
                show_cli_notif=False,
                https_proxy=https_proxy,
            )
        finally:
            os.environ.update(saved)
            mistapi_logger.setLevel(level)
    if session.get_cloud() != host:
        raise MistConfigError(f"Mist host {host!r} is not a Mist API host")
    timed = _TimeoutSession(timeout, host)
    timed.headers.update(session._session.headers)
    timed.proxies.update(session._session.proxies)
    session._session = timed
    session._MAX_429_RETRIES = 0  # we rotate tokens ourselves, without sleeping inside a request
    session.set_api_token(token, validate=False)
    return session


class MistConnection:
    """Every question the dashboard asks of the Mist cloud, through one token pool."""

    def __init__(
        self,
        tokens: list[str],
        host: str = "api.mist.com",
        timeout: tuple[float, float] = (3.05, 20.0),
        cooldown_store: CooldownStore | None = None,
        session_hook: Callable[[requests.Session], None] | None = None,
        https_proxy: str | None = None,
        retry: RetryPolicy | None = None,
        page_workers: int = PAGE_WORKERS,
        max_pages: int = MAX_PAGES,
    ):
        if host not in MIST_HOSTS:
            raise MistConfigError(f"MIST_HOST {host!r} is not a Mist API host")
        self.pool = TokenPool(tokens, cooldown_store)
        self.host = host
        self.retry = retry or RetryPolicy()
        self._sessions = {}
        for token in self.pool.tokens:
            session = _new_mistapi_session(host, token, timeout, https_proxy)
            if session_hook:
                session_hook(session._session)
            self._sessions[token] = session
        self._calls = 0
        self._calls_lock = threading.Lock()
        self._call_counts: dict[tuple[str, str], int] = {}
        self._page_workers = page_workers
        self.max_pages = max_pages

    # ----- accounting -------------------------------------------------------------------------
    @property
    def upstream_calls(self) -> int:
        """Mist calls made by this process so far (every attempt counts: it costs API budget)."""
        return self._calls

    def call_counts(self) -> dict[tuple[str, str], int]:
        """Calls made so far by (operation, outcome), for a Prometheus counter.

        The operation is the OpenAPI operationId (``listOrgDevicesStats``; a search's next pages
        count under the search's own name); the outcome is the HTTP status as a string (``"200"``,
        ``"429"``) or ``"error"`` when no answer came (timeout, connection, TLS or proxy failure).
        A request refused before it left (wrong host) is not a call and is not counted.
        """
        with self._calls_lock:
            return dict(self._call_counts)

    def _count(self, token: str, operation: str = "unknown", status: int | None = None) -> None:
        outcome = str(status) if status is not None else "error"
        with self._calls_lock:
            self._calls += 1
            key = (operation, outcome)
            self._call_counts[key] = self._call_counts.get(key, 0) + 1
        self.pool.record_call(token)

    # ----- the single retry/rotation loop -----------------------------------------------------
    def call(
        self,
        fn: Callable,
        *args,
        budget: CallBudget | None = None,
        operation: str | None = None,
        **kwargs,
    ):
        """Run one mistapi function with rotation on 429 and retries of transient failures.

        ``fn`` is a mistapi function whose first argument is the session. Returns the APIResponse of
        a 2xx answer; raises a ``MistError`` otherwise, whose message names the real cause (HTTP
        status, TLS, proxy, refused connection, timeout). ``budget`` is charged once per attempt;
        ``operation`` names the call in ``call_counts()`` (default: the function's name, which
        mistapi takes from the OpenAPI operationId).
        """
        operation = operation or getattr(fn, "__name__", "unknown")
        deadline = time.monotonic() + self.retry.budget_seconds
        transient_failures = 0
        while True:
            token = self.pool.acquire()
            if budget is not None:
                budget.spend()
            session = self._sessions[token]
            response = fn(session, *args, **kwargs)
            status = response.status_code
            failure = session._session.last_failure() if status is None else None
            if isinstance(failure, UnsafeURL):
                log.warning("%s: %s", operation, failure)
                raise MistRefusedURL(f"{operation}: {failure}")
            self._count(token, operation, status)
            if status is not None and 200 <= status < 300:
                return response
            if status == 429:
                self.pool.cool_down(token, (response.headers or {}).get("Retry-After"))
                continue
            if status in (401, 403):
                raise MistAuthError(f"the Mist cloud refused the API token {mask_token(token)} ({status})")
            if status == 404:
                raise MistNotFound("not found in the Mist cloud (404)")
            if status is not None and 400 <= status < 500:
                raise MistBadRequest(f"the Mist cloud refused the query ({status})")
            reason, retryable = _failure_reason(status, failure)
            transient_failures += 1
            pause = self.retry.backoff * (2 ** (transient_failures - 1))
            if (
                not retryable
                or transient_failures >= self.retry.attempts
                or time.monotonic() + pause > deadline
            ):
                raise MistUnavailable(f"the Mist cloud is not answering: {reason}") from failure
            log.info("transient Mist failure (%s), retry %d in %.2f s", reason, transient_failures, pause)
            time.sleep(pause)

    def _get_next(self, session, next_url: str):
        return session.mist_get(next_url)

    def list_all(
        self,
        fn: Callable,
        *args,
        transform: Callable[[list], list] | None = None,
        budget: CallBudget | None = None,
        workers: int | None = None,
        serial: bool = False,
        **kwargs,
    ) -> Paged:
        """All items of a paginated *list* endpoint: page 1, then the other pages concurrently
        (``workers`` at a time, default ``page_workers``).

        ``transform`` (optional) turns each page's items into what the caller keeps, as soon as the
        page arrives, so the raw pages of a large org never all sit in memory at once. With
        ``serial``, transforms run one page at a time, and at most ``PARSED_PAGES_IN_HAND`` pages
        are parsed and not yet transformed: the others wait as downloaded bytes (a parsed page holds
        ~6 times its size in objects: 27 MB per 1,000 gateways of stats).

        The page size is the one asked for (``PAGE_LIMIT``; an ``X-Page-Limit`` header saying
        otherwise is ignored), the page count comes from page 1's ``X-Page-Total`` and is capped at
        ``max_pages``. A first answer that is not a JSON list raises ``MistBadAnswer``; a later page
        that fails, a missing total on a full page, a page cap or fewer rows than announced leave
        the rows received, with ``incomplete`` saying what is missing.
        """
        keep = transform or (lambda items: items)
        operation = getattr(fn, "__name__", "unknown")
        first = self.call(fn, *args, limit=PAGE_LIMIT, page=1, budget=budget, **kwargs)
        data = _decoded(first, operation, list)
        total = _header_int(first.headers, "X-Page-Total")
        got = len(data)
        del first  # its raw text and bytes need not live while the page is transformed
        if total is None:
            items = Paged(keep(data))
            if got >= PAGE_LIMIT:
                items.incomplete = _incomplete(operation, got, None, "X-Page-Total missing on a full page")
            return items
        pages = -(-total // PAGE_LIMIT)
        last = min(pages, self.max_pages)

        turn = threading.Lock() if serial else nullcontext()  # one transform at a time
        parsed = threading.Semaphore(PARSED_PAGES_IN_HAND) if serial else None

        def page(number: int) -> tuple[int, list, str | None]:
            permit = _ParsePermit(parsed)
            _PARSE_PERMIT.current = permit
            try:
                response = self.call(fn, *args, limit=PAGE_LIMIT, page=number, budget=budget, **kwargs)
                rows = _decoded(response, operation, list)
                del response
                with turn:
                    return len(rows), list(keep(rows)), None
            except MistError as exc:
                return 0, [], str(exc)
            finally:
                _PARSE_PERMIT.current = None
                permit.release()

        def ends_paging(number: int, result: tuple[int, list, str | None]) -> bool:
            """A failed page, or a short one before the last: the cloud is failing or the total was wrong."""
            count, _, error = result
            return error is not None or (count < PAGE_LIMIT and number < pages)

        # The other pages are asked for while page 1 is transformed, not after: a transform that
        # waits (the collector's shaping waits for the reference data) would otherwise hold them back.
        with ThreadPoolExecutor(1) as background:
            numbers, width = range(2, last + 1), workers or self._page_workers
            page_one = _ParsePermit(parsed)
            page_one.take()  # page 1 is parsed and in hand
            try:
                with turn:
                    window = background.submit(_fetch_window, page, numbers, width, ends_paging)
                    items = Paged(keep(data))
                    del data
            finally:
                page_one.release()
            results = window.result()
        failures: list[tuple[int, str]] = []
        short_page = None
        for number, (count, part, error) in sorted(results.items()):
            got += count
            items.extend(part)
            if error is not None:
                failures.append((number, error))
            elif count < PAGE_LIMIT and number < pages and short_page is None:
                short_page = number
        if failures:
            number, error = failures[0]
            more = f" (and {len(failures) - 1} more pages)" if len(failures) > 1 else ""
            why = f"page {number} of {last} failed: {error}{more}"
        elif short_page is not None and got < total:
            why = f"page {short_page} of {pages} came back short: {got} of {total} rows"
        elif pages > last:
            why = f"page cap of {last} pages reached ({total} rows announced)"
        elif got < total:
            why = f"fewer rows than announced ({got} of {total})"
        else:
            return items
        items.incomplete = _incomplete(operation, got, total, why)
        log.warning("%s incomplete: %s", operation, why)
        return items

    def search_all(
        self,
        fn: Callable,
        *args,
        budget: CallBudget | None = None,
        transform: Callable[[list], list] | None = None,
        **kwargs,
    ) -> Paged:
        """All results of a *search* endpoint, following its ``next`` cursor while it is safe.

        ``transform`` maps each page's results as it arrives (e.g. to the few fields kept), so
        the parsed pages are not all held until the end; it must keep one item per result, since
        the count is checked against the announced total.

        A cursor is followed only when :func:`safe_cursor` accepts it; the page count is capped at
        the first page's announced total (plus ``SEARCH_PAGE_MARGIN``) and at ``max_pages``; a
        cursor seen before ends paging. A first answer that is not an object with a ``results``
        list raises ``MistBadAnswer``; anything that stops paging early marks ``incomplete``.
        """
        operation = getattr(fn, "__name__", "unknown")
        data = _decoded(self.call(fn, *args, limit=PAGE_LIMIT, budget=budget, **kwargs), operation, dict)
        keep = transform or (lambda page: page)
        results = Paged(keep(_search_results(data, operation)))
        total = _count_field(data.get("total"))
        cap = self.max_pages
        if total is not None:
            cap = min(cap, -(-total // PAGE_LIMIT) + SEARCH_PAGE_MARGIN)
        seen: set[str] = set()
        pages, why = 1, None
        cursor = data.get("next")
        while cursor is not None and cursor != "":
            if total is not None and len(results) >= total:
                break
            path = safe_cursor(cursor, self.host)
            if path is None:
                why = "next cursor refused: it does not stay on the Mist host"
                log.warning("%s: refused next cursor %s", operation, _describe_url(cursor))
                break
            if path in seen:
                why = "the cloud repeated a next cursor"
                break
            if pages >= cap:
                why = f"page cap of {cap} pages reached"
                break
            seen.add(path)
            try:
                response = self.call(self._get_next, path, budget=budget, operation=operation)
                data = _decoded(response, operation, dict)
                results.extend(keep(_search_results(data, operation)))
            except MistError as exc:
                why = f"page {pages + 1} failed: {exc}"
                break
            pages += 1
            cursor = data.get("next")
        if why is None and total is not None and len(results) < total:
            why = f"fewer rows than announced ({len(results)} of {total})"
        if why is not None:
            results.incomplete = _incomplete(operation, len(results), total, why)
            log.warning("%s incomplete: %s", operation, why)
        return results

    # ----- the questions ----------------------------------------------------------------------
    def whoami(self, budget: CallBudget | None = None) -> dict:
        """``/api/v1/self``: which orgs the tokens may see; ``MistBadAnswer`` unless an object."""
        return _decoded(self.call(self_api.getSelf, budget=budget), "getSelf", dict)

    def organizations(self, budget: CallBudget | None = None) -> list[dict]:
        """Orgs the token can see, from its privileges (org-scoped entries), sorted by name.

        Entries that are not objects, or whose ``org_id`` is not a UUID, are skipped; a name or role
        of the wrong type is None. ``privileges`` missing or not a list, or holding no org but
        unreadable entries (not an object, a scope outside ``PRIVILEGE_SCOPES``, an org scope or
        ``org_id`` without a UUID), raises ``MistBadAnswer``: answering "no org" would make the app
        claim the configured org does not exist.
        """
        privileges = self.whoami(budget=budget).get("privileges")
        if not isinstance(privileges, list):
            raise MistBadAnswer("getSelf: the answer has no list of privileges")
        seen: dict[str, dict] = {}
        unreadable = 0
        for entry in privileges:
            privilege = validate.as_dict(entry)
            scope, raw_org = privilege.get("scope"), privilege.get("org_id")
            org_id = validate.uuid(raw_org)
            unreadable += (
                not isinstance(entry, dict)
                or scope not in PRIVILEGE_SCOPES
                or ((scope == "org" or raw_org is not None) and org_id is None)
            )
            if scope == "org" and org_id:
                seen.setdefault(
                    org_id,
                    {
                        "org_id": org_id,
                        "name": validate.text(privilege.get("name")),
                        "role": validate.text(privilege.get("role")),
                    },
                )
        if not seen and unreadable:  # "no org" read from junk would lock the configured org out
            raise MistBadAnswer(f"getSelf: no org in the privileges, {unreadable} of them unreadable")
        return sorted(seen.values(), key=lambda o: ((o["name"] or "").casefold(), o["org_id"]))

    def organization(self, org_id: str, budget: CallBudget | None = None) -> dict:
        """The org object (raw); ``MistBadAnswer`` unless an object. Read its fields via validate."""
        return _decoded(self.call(org_orgs.getOrg, org_id, budget=budget), "getOrg", dict)

    def sites(self, org_id: str, budget: CallBudget | None = None) -> Paged:
        return self.list_all(org_sites.listOrgSites, org_id, budget=budget)

    def gateway_stats(
        self, org_id: str, site_id: str | None = None, transform=None, budget: CallBudget | None = None
    ) -> Paged:
        """Every gateway's stats with ``if_stat``, and (``fields=*``) its ports and VPN peer paths.

        ``transform`` shapes each page on arrival, one page at a time (``list_all``'s ``serial``):
        at most ``PARSED_PAGES_IN_HAND`` parsed pages exist at once, the others wait as bytes.
        Pages are fetched ``STATS_PAGE_WORKERS`` at a time, a new one as soon as one is done.
        """
        return self.list_all(
            org_stats.listOrgDevicesStats,
            org_id,
            type="gateway",
            fields="*",
            site_id=site_id,
            transform=transform,
            budget=budget,
            workers=min(STATS_PAGE_WORKERS, self._page_workers),
            serial=transform is not None,
        )

    def gateway_templates(self, org_id: str, budget: CallBudget | None = None) -> Paged:
        return self.list_all(org_gatewaytemplates.listOrgGatewayTemplates, org_id, budget=budget)

    def device_profiles(self, org_id: str, budget: CallBudget | None = None) -> Paged:
        return self.list_all(org_deviceprofiles.listOrgDeviceProfiles, org_id, type="gateway", budget=budget)

    def gateway_inventory(self, org_id: str, budget: CallBudget | None = None) -> Paged:
        return self.list_all(org_inventory.getOrgInventory, org_id, type="gateway", budget=budget)

    def site_gateway_configs(self, site_id: str, budget: CallBudget | None = None) -> Paged:
        """Device configs (with device-level ``port_config``) of one site's gateways."""
        return self.list_all(site_devices.listSiteDevices, site_id, type="gateway", budget=budget)

    def peer_paths(
        self,
        org_id: str,
        mac: str | None = None,
        site_id: str | None = None,
        budget: CallBudget | None = None,
    ) -> Paged:
        return self.search_all(
            org_stats.searchOrgPeerPathStats, org_id, mac=mac, site_id=site_id, budget=budget
        )

    def site_setting(self, site_id: str, budget: CallBudget | None = None) -> dict:
        """A site's settings (getSiteSetting, raw): Mist keeps site variables here, in ``vars``.

        Site objects carry no ``vars``; there is no org-wide read of settings, so this is one call
        per site (callers cache it by the site's ``modified_time``). ``MistBadAnswer`` unless an object.
        """
        response = self.call(site_setting_api.getSiteSetting, site_id, budget=budget)
        return _decoded(response, "getSiteSetting", dict)

    def device_events(
        self,
        org_id: str,
        start: int | float,
        end: int | float,
        types: str | list[str] | tuple[str, ...],
        budget: CallBudget | None = None,
        transform: Callable[[list], list] | None = None,
        newest_first: bool = False,
    ) -> Paged:
        """Gateway events of the whole org in [start, end] (epoch s), of the given types, all pages.

        One paginated search whatever the org size (searchOrgDeviceEvents with
        ``device_type=gateway``; the cloud's default type is ``ap``). Paging is ``search_all``'s.
        Oldest first by default: a read cut short covers [start, newest seen]; ``newest_first``
        covers [oldest seen, end] instead (the recent events first).
        """
        wanted = types if isinstance(types, str) else ",".join(types)
        return self.search_all(
            org_devices.searchOrgDeviceEvents,
            org_id,
            device_type="gateway",
            type=wanted,
            start=str(int(start)),
            end=str(int(end)),
            sort="-timestamp" if newest_first else "timestamp",
            budget=budget,
            transform=transform,
        )

    def port_insights(
        self,
        site_id: str,
        device_id: str,
        port_id: str,
        start: int,
        end: int,
        interval: int,
        budget: CallBudget | None = None,
    ) -> dict:
        """Time series of one WAN port (traffic and link quality) from the gateway Insights endpoint.

        ``MistBadAnswer`` unless the answer is an object; its values are checked by
        ``traffic.shape_traffic``.
        """
        response = self.call(
            site_insights.getSiteInsightMetricsForGateway,
            site_id,
            device_id,
            "rx_bps,tx_bps,latency,jitter,loss",
            port_id=port_id,
            start=str(start),
            end=str(end),
            interval=str(interval),
            limit=PAGE_LIMIT,
            budget=budget,
        )
        return _decoded(response, "getSiteInsightMetricsForGateway", dict)

    def parallel(self, **jobs: Callable[[], Any]) -> dict[str, Any]:
        """Run independent questions at the same time; results by name, first error re-raised."""
        with ThreadPoolExecutor(max_workers=max(1, len(jobs))) as pool:
            futures = {name: pool.submit(job) for name, job in jobs.items()}
            return {name: future.result() for name, future in futures.items()}


# ----- paging ------------------------------------------------------------------------------------


def _fetch_window(
    fetch: Callable[[int], Any], numbers: range, workers: int, ends: Callable[[int, Any], bool]
) -> dict[int, Any]:
    """``fetch(number)`` for each page number, ``workers`` at a time, as a sliding window.

    A new page is asked for as soon as one arrives, not when a whole wave is done: pages then come
    back one after the other, so each is shaped while the next ones are on their way, instead of a
    wave arriving at once and the cloud idling while the slowest page of the wave is read. Once a
    page ``ends`` paging (failed, or short), no further page is asked for; the pages already in
    flight are kept. Returns {page number: result}.
    """
    results: dict[int, Any] = {}
    pending = iter(numbers)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        running = {pool.submit(fetch, number): number for number in itertools.islice(pending, workers)}
        stopped = False
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                number = running.pop(future)
                results[number] = future.result()
                stopped = stopped or ends(number, results[number])
            if not stopped:
                for number in itertools.islice(pending, len(done)):
                    running[pool.submit(fetch, number)] = number
    return results


# ----- reading answers ---------------------------------------------------------------------------


_KINDS = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}


def _kind(value: Any) -> str:
    """What a JSON value is, in words, for an error message."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return _KINDS.get(type(value), type(value).__name__)


def _decoded(response, operation: str, expected: type) -> Any:
    """The JSON of a 2xx answer when it is of the ``expected`` type (dict or list).

    mistapi keeps ``.data == {}`` when the body is not JSON, so an unusable body is told apart by
    its raw text: empty (or 204), HTML, anything else unparseable (truncated). Each is a
    ``MistBadAnswer`` naming the endpoint and the cause, never an empty list.
    """
    status = response.status_code
    raw = response.raw_data if isinstance(response.raw_data, str) else ""
    if status == 204 or not raw.strip():
        raise MistBadAnswer(f"{operation}: empty answer (HTTP {status})")
    data = response.data
    if isinstance(data, dict) and not data and "".join(raw.split()) != "{}":
        what = "an HTML page" if raw.lstrip()[:1] == "<" else "truncated or invalid JSON"
        raise MistBadAnswer(f"{operation}: the answer is not JSON but {what} (HTTP {status})")
    if not isinstance(data, expected):
        raise MistBadAnswer(f"{operation}: answered {_kind(data)} where {_KINDS[expected]} was expected")
    return data


def _search_results(data: dict, operation: str) -> list:
    """The ``results`` list of a search answer, or ``MistBadAnswer``."""
    results = data.get("results")
    if not isinstance(results, list):
        raise MistBadAnswer(f"{operation}: the search answer has no list of results")
    return results


def _count_field(value: Any) -> int | None:
    """A row count announced by the cloud (header or field), when it is a sane non-negative int."""
    return validate.integer(value, 0, 10**9)


def _incomplete(source: str, got: int, total: int | None, why: str) -> dict:
    return {"source": source, "got": got, "total": total, "why": why}


_USERINFO = re.compile(r"//[^/@\s]*@")


def _failure_reason(status: int | None, failure: BaseException | None) -> tuple[str, bool]:
    """(What went wrong in words, whether retrying may help) for a failed attempt.

    mistapi reports every transport failure as ``status_code`` None; the exception kept by the
    session tells a TLS problem (not retried: it will not fix itself) from a proxy error, a refused
    connection or a timeout.
    """
    if status is not None:
        return f"HTTP {status}", True
    if failure is None:
        return "no answer (timeout or connection error)", True
    detail = _USERINFO.sub("//", str(failure))[:200]
    if isinstance(failure, requests.exceptions.SSLError):
        return f"TLS error: {detail}", False
    if isinstance(failure, requests.exceptions.ProxyError):
        return f"proxy error: {detail}", True
    if isinstance(failure, requests.exceptions.ConnectTimeout):
        return "connection timed out", True
    if isinstance(failure, requests.exceptions.Timeout):
        return "no answer within the read timeout", True
    if isinstance(failure, requests.exceptions.ConnectionError):
        refused = "refused" in detail.lower()
        return ("connection refused" if refused else f"connection failed: {detail}"), True
    return f"{type(failure).__name__}: {detail}", True


def _header_int(headers, name: str) -> int | None:
    """An integer header (``X-Page-Total``) when present and sane; junk reads as absent."""
    try:
        return _count_field(int((headers or {}).get(name)))
    except (TypeError, ValueError):
        return None
