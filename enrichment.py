"""Background enrichment: device-level config overrides, fetched per site within an hourly budget.

Device configuration has no org-wide bulk endpoint, so the ``override`` column needs one call per site
(``listSiteDevices``). Those calls never block a page: the table renders with ``override = null`` and
this worker fills the cache in the background, gently (a budget of calls per rolling hour), and
long-lived (configs change rarely). Its progress is visible in ``/api/status``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from mist_connection import MistError, MistRateLimited

log = logging.getLogger(__name__)

CONFIG_TTL = 6 * 3600.0
CONFIG_MAX_STALE = 24 * 3600.0


def site_config_key(org_id: str, site_id: str) -> str:
    return f"devcfg:{org_id}:{site_id}"


class HourlyBudget:
    """At most ``per_hour`` spends in any rolling hour."""

    def __init__(self, per_hour: int, clock=time.time):
        self.per_hour = per_hour
        self._spent: deque[float] = deque()
        self._clock = clock
        self._lock = threading.Lock()

    def _trim(self, now: float) -> None:
        while self._spent and self._spent[0] <= now - 3600:
            self._spent.popleft()

    def try_spend(self) -> bool:
        now = self._clock()
        with self._lock:
            self._trim(now)
            if len(self._spent) >= self.per_hour:
                return False
            self._spent.append(now)
            return True

    def used(self) -> int:
        with self._lock:
            self._trim(self._clock())
            return len(self._spent)

    def seconds_until_free(self) -> float:
        with self._lock:
            self._trim(self._clock())
            if len(self._spent) < self.per_hour or not self._spent:
                return 0.0
            return max(0.0, self._spent[0] + 3600 - self._clock())


class ConfigEnricher:
    """Fetches per-site gateway configs into the cache, one site at a time, within the budget."""

    def __init__(
        self,
        cache,
        fetch_site_configs: Callable[[str], list[dict]],
        budget_per_hour: int,
        start_delay: float = 5.0,
        pause_between_calls: float = 0.05,
    ):
        self._cache = cache
        self._fetch = fetch_site_configs
        self.budget = HourlyBudget(budget_per_hour)
        self._start_delay = start_delay
        self._pause = pause_between_calls
        self._wanted: dict[str, list[str]] = {}  # org_id -> site ids
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.last_error: str | None = None
        self.fetched = 0

    # ----- what the table asks ------------------------------------------------------------------
    def known_configs(self, org_id: str, site_ids: list[str]) -> dict[str, dict]:
        """Device configs by device id for the sites already enriched (no Mist call)."""
        configs: dict[str, dict] = {}
        for site_id in site_ids:
            entry = self._cache.peek(site_config_key(org_id, site_id))
            if entry is not None:
                for device in entry.value or []:
                    if device.get("id"):
                        configs[device["id"]] = device
        return configs

    def request(self, org_id: str, site_ids: list[str]) -> None:
        """Ask for the configs of these sites; starts the worker on first use."""
        if self.budget.per_hour <= 0:
            return
        with self._lock:
            self._wanted[org_id] = list(dict.fromkeys(site_ids))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="config-enricher", daemon=True)
                self._thread.start()
        self._wake.set()

    def status(self) -> dict:
        pending = 0
        total = 0
        with self._lock:
            wanted = {org: list(sites) for org, sites in self._wanted.items()}
        for org_id, sites in wanted.items():
            total += len(sites)
            pending += sum(1 for s in sites if self._cache.peek(site_config_key(org_id, s)) is None)
        return {
            "source": "listSiteDevices (one call per site)",
            "budget_per_hour": self.budget.per_hour,
            "used_last_hour": self.budget.used(),
            "sites_total": total,
            "sites_done": total - pending,
            "sites_pending": pending,
            "running": self._thread is not None and self._thread.is_alive(),
            "last_error": self.last_error,
        }

    # ----- the worker ---------------------------------------------------------------------------
    def _next_site(self) -> tuple[str, str] | None:
        with self._lock:
            wanted = {org: list(sites) for org, sites in self._wanted.items()}
        for org_id, sites in wanted.items():
            for site_id in sites:
                if self._cache.peek(site_config_key(org_id, site_id)) is None:
                    return org_id, site_id
        return None

    def _run(self) -> None:
        time.sleep(self._start_delay)
        while True:
            job = self._next_site()
            if job is None:
                self._wake.clear()
                self._wake.wait(timeout=60)
                continue
            if not self.budget.try_spend():
                time.sleep(min(60.0, max(1.0, self.budget.seconds_until_free())))
                continue
            org_id, site_id = job
            try:
                self._cache.get_or_fetch(
                    site_config_key(org_id, site_id),
                    lambda s=site_id: self._fetch(s),
                    CONFIG_TTL,
                    CONFIG_MAX_STALE,
                )
                self.fetched += 1
                self.last_error = None
            except MistRateLimited as exc:
                self.last_error = str(exc)
                time.sleep(max(1.0, min(300.0, exc.until - time.time())))
            except MistError as exc:
                self.last_error = str(exc)
                time.sleep(5.0)
            except Exception as exc:  # a bug here must not kill the worker silently
                log.exception("config enrichment failed")
                self.last_error = f"{type(exc).__name__}"
                time.sleep(5.0)
            time.sleep(self._pause)
