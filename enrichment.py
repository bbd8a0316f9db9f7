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
    """Fetches per-site gateway configs within the budget; keeps what it learnt in this process.

    The shared cache makes each site's fetch happen once across workers (a worker that finds the
    site already cached spends no budget); the in-process copy lets the table read every known
    config without one cache round trip per site.
    """

    def __init__(
        self,
        cache,
        fetch_site_configs: Callable[[str], list[dict]],
        budget_per_hour: int,
        start_delay: float = 5.0,
        pause_between_calls: float = 0.05,
        clock=time.time,
    ):
        self._cache = cache
        self._fetch = fetch_site_configs
        self.budget = HourlyBudget(budget_per_hour, clock)
        self._start_delay = start_delay
        self._pause = pause_between_calls
        self._clock = clock
        self._wanted: dict[str, list[str]] = {}  # org_id -> site ids
        self._known: dict[tuple[str, str], tuple[float, list[dict]]] = {}  # (org, site) -> (as_of, devices)
        self._failed_until: dict[tuple[str, str], float] = {}
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.last_error: str | None = None

    # ----- what the table asks ------------------------------------------------------------------
    def known_configs(self, org_id: str, site_ids: list[str]) -> dict[str, dict]:
        """Device configs by device id for the sites already enriched (no Mist call, no cache call)."""
        configs: dict[str, dict] = {}
        with self._lock:
            for site_id in site_ids:
                known = self._known.get((org_id, site_id))
                for device in known[1] if known else []:
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
        with self._lock:
            wanted = [(org, site) for org, sites in self._wanted.items() for site in sites]
            done = sum(1 for job in wanted if self._is_fresh(job))
        return {
            "source": "listSiteDevices (one call per site)",
            "budget_per_hour": self.budget.per_hour,
            "used_last_hour": self.budget.used(),
            "sites_total": len(wanted),
            "sites_done": done,
            "sites_pending": len(wanted) - done,
            "running": self._thread is not None and self._thread.is_alive(),
            "last_error": self.last_error,
        }

    # ----- the worker ---------------------------------------------------------------------------
    def _is_fresh(self, job: tuple[str, str]) -> bool:
        known = self._known.get(job)
        return known is not None and self._clock() - known[0] < CONFIG_TTL

    def _next_job(self) -> tuple[str, str] | None:
        now = self._clock()
        with self._lock:
            for org_id, sites in self._wanted.items():
                for site_id in sites:
                    job = (org_id, site_id)
                    if not self._is_fresh(job) and self._failed_until.get(job, 0) <= now:
                        return job
        return None

    def _remember(self, job: tuple[str, str], as_of: float, devices: list[dict]) -> None:
        with self._lock:
            self._known[job] = (as_of, list(devices or []))
            self._failed_until.pop(job, None)

    def _run(self) -> None:
        time.sleep(self._start_delay)
        while True:
            job = self._next_job()
            if job is None:
                self._wake.clear()
                self._wake.wait(timeout=60)
                continue
            key = site_config_key(*job)
            shared = self._cache.peek(key)
            if shared is not None and not shared.stale:  # another worker paid for it already
                self._remember(job, shared.as_of, shared.value)
                continue
            if not self.budget.try_spend():
                time.sleep(min(60.0, max(1.0, self.budget.seconds_until_free())))
                continue
            self._fetch_one(job, key)
            time.sleep(self._pause)

    def _fetch_one(self, job: tuple[str, str], key: str) -> None:
        try:
            result = self._cache.get_or_fetch(key, lambda: self._fetch(job[1]), CONFIG_TTL, CONFIG_MAX_STALE)
            self._remember(job, result.as_of, result.value)
            self.last_error = None
        except MistRateLimited as exc:
            self.last_error = str(exc)
            time.sleep(max(1.0, min(300.0, exc.until - time.time())))
        except MistError as exc:
            self.last_error = str(exc)
            with self._lock:  # a site that keeps failing must not eat the whole budget
                self._failed_until[job] = self._clock() + 300
        except Exception as exc:  # a bug here must not kill the worker silently
            log.exception("config enrichment failed")
            self.last_error = type(exc).__name__
            with self._lock:
                self._failed_until[job] = self._clock() + 300
