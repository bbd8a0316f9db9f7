"""Background enrichment: per-site device configs (override column) and site variables.

Neither has an org-wide bulk endpoint: device configs come from ``listSiteDevices`` and site
variables from the site settings (``getSiteSetting``), one call each per site. They never block a
collection: rows are built with what is known (overrides None, template values "resolving"), and
this worker fills the gaps in the background within an hourly call budget. A site is read again
when its ``modified_time`` changes or after ``REFRESH_AFTER``; a site whose answer is malformed or
fails is skipped and retried later while the others go on. Only the collector's holder runs it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from mist_connection import CallBudget, MistError, MistRateLimited

log = logging.getLogger(__name__)

REFRESH_AFTER = 6 * 3600.0
RETRY_FAILED_AFTER = 300.0
# Calls one site's read may spend (two questions with their retries): a lying page total or a
# failing cloud cannot turn one site into dozens of calls.
SITE_CALL_BUDGET = 8
# How often an enricher whose process lost the collector lease looks whether it holds it again.
STANDBY_RECHECK_SECONDS = 2.0


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

    def try_spend(self, calls: int = 1) -> bool:
        """Spend ``calls`` at once, or nothing when they do not all fit."""
        now = self._clock()
        with self._lock:
            self._trim(now)
            if len(self._spent) + calls > self.per_hour:
                return False
            self._spent.extend([now] * calls)
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


class _Site:
    """What is known of one site: its configs and variables, and when and from which version."""

    __slots__ = ("configs", "vars", "read_at", "modified_time", "failed_until", "error")

    def __init__(self) -> None:
        self.configs: dict[str, dict] | None = None  # device id -> {"id", "port_config"}
        self.vars: dict | None = None
        self.read_at = 0.0
        self.modified_time = None
        self.failed_until = 0.0
        self.error: str | None = None


def _valid_configs(answer) -> dict[str, dict]:
    """Device configs by id, keeping only what the rows read; raises on a bad shape."""
    if not isinstance(answer, list):
        raise ValueError(f"listSiteDevices answered a {type(answer).__name__}, not a list")
    missing = getattr(answer, "incomplete", None)
    if missing:  # part of a site's configs is not a read of the site: retry it later
        raise ValueError(f"listSiteDevices incomplete: {missing.get('why')}")
    configs = {}
    for device in answer:
        if isinstance(device, dict) and isinstance(device.get("id"), str):
            configs[device["id"]] = {
                "id": device["id"],
                "port_config": device.get("port_config")
                if isinstance(device.get("port_config"), dict)
                else None,
                "deviceprofile_id": device.get("deviceprofile_id")
                if isinstance(device.get("deviceprofile_id"), str)
                else None,
                "vars": device.get("vars") if isinstance(device.get("vars"), dict) else None,
            }
    return configs


def _valid_vars(answer) -> dict:
    if not isinstance(answer, dict):
        raise ValueError(f"getSiteSetting answered a {type(answer).__name__}, not an object")
    variables = answer.get("vars")
    if variables is None:
        return {}
    if not isinstance(variables, dict):
        raise ValueError("site setting 'vars' is not an object")
    return {k: v for k, v in variables.items() if isinstance(k, str) and isinstance(v, str | int | float)}


class SiteEnricher:
    """Reads device configs and site variables per site, within a budget, on its own thread."""

    def __init__(
        self,
        fetch_configs: Callable[..., list],  # (site_id, budget=CallBudget)
        fetch_setting: Callable[..., dict] | None,
        budget_per_hour: int,
        start_delay: float = 5.0,
        pause_between_calls: float = 0.05,
        clock=time.time,
    ):
        self._fetch_configs = fetch_configs
        self._fetch_setting = fetch_setting
        # Whether this process may call Mist now: the collector makes it "holds the lease", so a
        # process that lost the lease stops enriching instead of spending a second budget.
        self.active: Callable[[], bool] = lambda: True
        self.budget = HourlyBudget(budget_per_hour, clock)
        self._start_delay = start_delay
        self._pause = pause_between_calls
        self._clock = clock
        self._wanted: dict[str, dict[str, object]] = {}  # org -> {site_id: modified_time}
        self._sites: dict[tuple[str, str], _Site] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    @property
    def reads_site_settings(self) -> bool:
        """Whether site variables are read at all (an enrichment budget of 0 reads nothing)."""
        return self._fetch_setting is not None and self.budget.per_hour > 0

    # ----- what the collector asks ----------------------------------------------------------------
    def want(self, org_id: str, sites: dict[str, object]) -> None:
        """These sites (id -> modified_time) should be enriched; starts the worker on first use."""
        if self.budget.per_hour <= 0:
            return
        with self._lock:
            self._wanted[org_id] = dict(sites)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="site-enricher", daemon=True)
                self._thread.start()
        self._wake.set()

    def known_configs(self, org_id: str) -> dict[str, dict]:
        """Device configs by device id for every site already read."""
        with self._lock:
            found = {}
            for (org, _site), known in self._sites.items():
                if org == org_id and known.configs:
                    found.update(known.configs)
            return found

    def known_vars(self, org_id: str) -> dict[str, dict]:
        """Site variables by site id for every site whose settings were read."""
        with self._lock:
            return {
                site: k.vars for (org, site), k in self._sites.items() if org == org_id and k.vars is not None
            }

    def status(self, org_id: str | None = None) -> dict:
        with self._lock:
            wanted = [(o, s) for o, sites in self._wanted.items() if org_id in (None, o) for s in sites]
            done = sum(1 for job in wanted if self._is_fresh(job))
            failing = sum(1 for job in wanted if job in self._sites and self._sites[job].error)
        return {
            "source": "listSiteDevices and getSiteSetting (one call each per site)",
            "budget_per_hour": self.budget.per_hour,
            "used_last_hour": self.budget.used(),
            "sites_total": len(wanted),
            "sites_done": done,
            "sites_pending": len(wanted) - done,
            "sites_failing": failing,
            "running": self._thread is not None and self._thread.is_alive(),
            "last_error": self.last_error,
        }

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    # ----- the worker -----------------------------------------------------------------------------
    def _is_fresh(self, job: tuple[str, str]) -> bool:
        known = self._sites.get(job)
        if known is None or known.configs is None or (self._fetch_setting and known.vars is None):
            return False
        modified = self._wanted.get(job[0], {}).get(job[1])
        if modified is not None and modified != known.modified_time:
            return False
        return self._clock() - known.read_at < REFRESH_AFTER

    def _next_job(self) -> tuple[str, str] | None:
        now = self._clock()
        with self._lock:
            for org_id, sites in self._wanted.items():
                for site_id in sites:
                    job = (org_id, site_id)
                    known = self._sites.get(job)
                    if not self._is_fresh(job) and (known is None or known.failed_until <= now):
                        return job
        return None

    def _run(self) -> None:
        if self._stop.wait(self._start_delay):
            return
        while not self._stop.is_set():
            if not self.active():
                self._stop.wait(STANDBY_RECHECK_SECONDS)
                continue
            job = self._next_job()
            if job is None:
                self._wake.clear()
                self._wake.wait(timeout=60)
                continue
            calls = 2 if self._fetch_setting else 1
            if not self.budget.try_spend(calls):
                self._stop.wait(min(60.0, max(1.0, self.budget.seconds_until_free())))
                continue
            self.enrich_site(*job)
            self._stop.wait(self._pause)

    def enrich_site(self, org_id: str, site_id: str) -> None:
        """Read one site's configs and variables; a failure marks only this site for a later retry."""
        modified = self._wanted.get(org_id, {}).get(site_id)
        budget = CallBudget(SITE_CALL_BUDGET, f"enrichment of site {site_id}")
        try:
            configs = _valid_configs(self._fetch_configs(site_id, budget=budget))
            variables = (
                _valid_vars(self._fetch_setting(site_id, budget=budget)) if self._fetch_setting else None
            )
        except MistRateLimited as exc:
            self.last_error = str(exc)
            self._stop.wait(max(1.0, min(300.0, exc.until - time.time())))
            return
        except (MistError, ValueError) as exc:
            self._mark_failed(org_id, site_id, str(exc))
            return
        except Exception as exc:  # a bug here must not kill the worker silently
            log.exception("enrichment of site %s failed", site_id)
            self._mark_failed(org_id, site_id, type(exc).__name__)
            return
        with self._lock:
            known = self._sites.setdefault((org_id, site_id), _Site())
            known.configs, known.vars = configs, variables
            known.read_at, known.modified_time = self._clock(), modified
            known.failed_until, known.error = 0.0, None
        self.last_error = None

    def _mark_failed(self, org_id: str, site_id: str, error: str) -> None:
        log.warning("enrichment of site %s skipped for now: %s", site_id, error)
        self.last_error = f"site {site_id}: {error}"
        with self._lock:
            known = self._sites.setdefault((org_id, site_id), _Site())
            known.failed_until, known.error = self._clock() + RETRY_FAILED_AFTER, error
