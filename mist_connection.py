"""The one door to the Mist cloud.

This is the only module that imports ``mistapi``. It owns:

* the token pool: every configured API token gets its own mistapi session; a 429 puts that token on a
  cool-down (honouring ``Retry-After``) and the call moves on to the next token at once, so a web
  request never sits in mistapi's own 5/10/20-second 429 sleeps;
* timeouts on every call and bounded retries of transient failures (5xx, timeouts) inside a total
  time budget;
* pagination: list endpoints fetch page 1, then the remaining pages concurrently; search endpoints
  follow their ``next`` cursor;
* one method per question asked of the cloud (``gateway_stats()``, ``peer_paths()``, ...), each
  returning the plain JSON the API gave.

Nothing here knows about Flask or about caching; ``dashboard.py`` decides what to ask and when.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import mistapi
import requests
from mistapi.api.v1.orgs import deviceprofiles as org_deviceprofiles
from mistapi.api.v1.orgs import gatewaytemplates as org_gatewaytemplates
from mistapi.api.v1.orgs import inventory as org_inventory
from mistapi.api.v1.orgs import orgs as org_orgs
from mistapi.api.v1.orgs import sites as org_sites
from mistapi.api.v1.orgs import stats as org_stats
from mistapi.api.v1.self import self as self_api
from mistapi.api.v1.sites import devices as site_devices
from mistapi.api.v1.sites import insights as site_insights

from mist_hosts import MIST_HOSTS

log = logging.getLogger(__name__)

PAGE_LIMIT = 1000
# Environment variables mistapi reads by itself in APISession.__init__; a token found there would be
# validated with a bare requests.get that bypasses our session (and any mounted simulator).
_MISTAPI_ENV_VARS = ("MIST_APITOKEN", "MIST_HOST", "MIST_USER", "MIST_PASSWORD", "MIST_VAULT_PATH")
_ENV_LOCK = threading.Lock()


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
    try:
        seconds = float(value) if value is not None else default
    except ValueError:
        seconds = default
    return min(max(seconds, 1.0), 3600.0)


class _TimeoutSession(requests.Session):
    """A requests session that never waits forever: mistapi passes no timeout of its own."""

    def __init__(self, timeout: tuple[float, float]):
        super().__init__()
        self.default_timeout = timeout

    def request(self, method, url, **kwargs):  # noqa: D401 - requests' signature
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, **kwargs)


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
    timed = _TimeoutSession(timeout)
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
        page_workers: int = 8,
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
        self._page_workers = page_workers

    # ----- accounting -------------------------------------------------------------------------
    @property
    def upstream_calls(self) -> int:
        """Mist calls made by this process so far (every attempt counts: it costs API budget)."""
        return self._calls

    def _count(self, token: str) -> None:
        with self._calls_lock:
            self._calls += 1
        self.pool.record_call(token)

    # ----- the single retry/rotation loop -----------------------------------------------------
    def call(self, fn: Callable, *args, **kwargs):
        """Run one mistapi function with rotation on 429 and retries of transient failures.

        ``fn`` is a mistapi function whose first argument is the session. Returns the APIResponse of
        a 2xx answer; raises a ``MistError`` otherwise.
        """
        deadline = time.monotonic() + self.retry.budget_seconds
        transient_failures = 0
        while True:
            token = self.pool.acquire()
            response = fn(self._sessions[token], *args, **kwargs)
            self._count(token)
            status = response.status_code
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
            transient_failures += 1
            reason = f"HTTP {status}" if status else "no answer (timeout or connection error)"
            pause = self.retry.backoff * (2 ** (transient_failures - 1))
            if transient_failures >= self.retry.attempts or time.monotonic() + pause > deadline:
                raise MistUnavailable(f"the Mist cloud is not answering: {reason}")
            log.info("transient Mist failure (%s), retry %d in %.2f s", reason, transient_failures, pause)
            time.sleep(pause)

    def _get_next(self, session, next_url: str):
        return session.mist_get(next_url)

    def list_all(
        self, fn: Callable, *args, transform: Callable[[list], list] | None = None, **kwargs
    ) -> list:
        """All items of a paginated *list* endpoint: page 1, then the other pages concurrently.

        ``transform`` (optional) turns each page's items into what the caller keeps, as soon as the
        page arrives, so the raw pages of a large org never all sit in memory at once.
        """
        keep = transform or (lambda items: items)
        first = self.call(fn, *args, limit=PAGE_LIMIT, page=1, **kwargs)
        count = len(first.data or [])
        total = _header_int(first.headers, "X-Page-Total")
        limit = _header_int(first.headers, "X-Page-Limit") or PAGE_LIMIT
        items = list(keep(first.data or []))
        del first
        if total is None or total <= count:
            return items

        def page(number: int) -> list:
            return list(keep(self.call(fn, *args, limit=PAGE_LIMIT, page=number, **kwargs).data or []))

        with ThreadPoolExecutor(max_workers=self._page_workers) as pool:
            for part in pool.map(page, range(2, -(-total // limit) + 1)):
                items.extend(part)
        return items

    def search_all(self, fn: Callable, *args, **kwargs) -> list:
        """All results of a *search* endpoint, following its ``next`` cursor."""
        response = self.call(fn, *args, limit=PAGE_LIMIT, **kwargs)
        results = list((response.data or {}).get("results", []))
        while response.next:
            response = self.call(self._get_next, response.next)
            results.extend((response.data or {}).get("results", []))
        return results

    # ----- the questions ----------------------------------------------------------------------
    def whoami(self) -> dict:
        """``/api/v1/self``: which orgs the tokens may see."""
        return self.call(self_api.getSelf).data or {}

    def organizations(self) -> list[dict]:
        """Orgs the token can see, from its privileges (org-scoped entries)."""
        seen: dict[str, dict] = {}
        for privilege in self.whoami().get("privileges", []):
            if privilege.get("scope") == "org" and privilege.get("org_id"):
                seen.setdefault(
                    privilege["org_id"],
                    {
                        "org_id": privilege["org_id"],
                        "name": privilege.get("name"),
                        "role": privilege.get("role"),
                    },
                )
        return sorted(seen.values(), key=lambda o: (o["name"] or "").lower())

    def organization(self, org_id: str) -> dict:
        return self.call(org_orgs.getOrg, org_id).data or {}

    def sites(self, org_id: str) -> list[dict]:
        return self.list_all(org_sites.listOrgSites, org_id)

    def gateway_stats(self, org_id: str, site_id: str | None = None, transform=None) -> list:
        """Every gateway's stats with ``if_stat``, and (``fields=*``) its ports and VPN peer paths.

        ``transform`` shapes each page on arrival (see ``list_all``).
        """
        return self.list_all(
            org_stats.listOrgDevicesStats,
            org_id,
            type="gateway",
            fields="*",
            site_id=site_id,
            transform=transform,
        )

    def gateway_templates(self, org_id: str) -> list[dict]:
        return self.list_all(org_gatewaytemplates.listOrgGatewayTemplates, org_id)

    def device_profiles(self, org_id: str) -> list[dict]:
        return self.list_all(org_deviceprofiles.listOrgDeviceProfiles, org_id, type="gateway")

    def gateway_inventory(self, org_id: str) -> list[dict]:
        return self.list_all(org_inventory.getOrgInventory, org_id, type="gateway")

    def site_gateway_configs(self, site_id: str) -> list[dict]:
        """Device configs (with device-level ``port_config``) of one site's gateways."""
        return self.list_all(site_devices.listSiteDevices, site_id, type="gateway")

    def peer_paths(self, org_id: str, mac: str | None = None, site_id: str | None = None) -> list[dict]:
        return self.search_all(org_stats.searchOrgPeerPathStats, org_id, mac=mac, site_id=site_id)

    def port_insights(
        self, site_id: str, device_id: str, port_id: str, start: int, end: int, interval: int
    ) -> dict:
        """Time series of one WAN port (traffic and link quality) from the gateway Insights endpoint."""
        return (
            self.call(
                site_insights.getSiteInsightMetricsForGateway,
                site_id,
                device_id,
                "rx_bps,tx_bps,latency,jitter,loss",
                port_id=port_id,
                start=str(start),
                end=str(end),
                interval=str(interval),
                limit=PAGE_LIMIT,
            ).data
            or {}
        )

    def parallel(self, **jobs: Callable[[], Any]) -> dict[str, Any]:
        """Run independent questions at the same time; results by name, first error re-raised."""
        with ThreadPoolExecutor(max_workers=max(1, len(jobs))) as pool:
            futures = {name: pool.submit(job) for name, job in jobs.items()}
            return {name: future.result() for name, future in futures.items()}


def _header_int(headers, name: str) -> int | None:
    try:
        return int((headers or {}).get(name))
    except (TypeError, ValueError):
        return None
