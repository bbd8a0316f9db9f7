"""The collector: the one owner of the Mist budget for the table.

One thread per deployment (embedded: the web process's only collector; with Redis: the holder of a
lease) pages gateway stats, keeps the reference data (orgs, org name, sites, templates, profiles,
inventory) with last-good values and back-off, drives background enrichment, and publishes one
immutable ``Snapshot`` per collection. Web requests only read snapshots. A failed collection
re-publishes the previous rows marked stale with the real cause, so the page never goes blank.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import circuits
from circuitstats import snapshot as snapshots
from circuitstats import validate
from circuitstats.enrichment import SiteEnricher
from circuitstats.snapshot import MemorySnapshotStore, Snapshot
from mist_connection import CallBudget, MistConnection, MistError, MistRateLimited, MistUnavailable

log = logging.getLogger(__name__)

# Only these fields of the reference data are used (rows, /api/sites, the peer-path modal);
# keeping just them makes a 10,000-gateway org's reference data several times smaller.
KEEP_FIELDS = {
    "sites": ("id", "name", "address", "timezone", "gatewaytemplate_id", "modified_time"),
    "inventory": ("id", "mac", "site_id", "deviceprofile_id", "model", "type"),
    "peers": (
        "port_id", "vpn_name", "peer_router_name", "peer_port_id", "up", "is_active", "type",
        "latency", "loss", "jitter", "mos", "uptime", "mtu", "hop_count",
    ),
}  # fmt: skip

REFERENCE_TTL = 15 * 60.0  # sites, templates, profiles, inventory
IDENTITY_TTL = 60 * 60.0  # /self and the org name
FIRST_RETRY = 30.0  # a bad reference answer is retried within a minute, then with growing pauses
MAX_RETRY = 15 * 60.0
MAX_WANTED_ORGS = 5  # orgs picked in the UI that the collector keeps collecting
# A standby tries the lease this long after it should have run out: Redis expires keys on time,
# and a standby that wakes a little late still takes over well within the TTL's tick.
STANDBY_MARGIN_SECONDS = 0.05
# Calls one collection of the table may spend (a 10,000-gateway org needs about 20; 100,000 about 120):
# a cloud or proxy that lies about totals or cursors cannot make it spend the tokens' hour.
TABLE_CALL_BUDGET = 200


class OrgChoiceRequired(Exception):
    """The tokens see several orgs and none was chosen."""

    def __init__(self, orgs: list[dict]):
        self.orgs = orgs
        super().__init__("the API token can see several organizations: choose one (org_id)")


class UnknownOrg(Exception):
    """An org_id the tokens cannot see."""


class NotReady(Exception):
    """No snapshot of this org exists yet (first collection running, or failing).

    ``status`` is 503 while collecting or when the cloud is unavailable or rate-limiting us, 502 when
    the cloud refused us or answered something unreadable; ``extra`` goes into the JSON answer.
    """

    def __init__(self, message: str, progress: dict | None = None, status: int = 503, **extra):
        self.progress = progress or {}
        self.status = status
        self.extra = extra
        super().__init__(message)


def keep_fields(items: Any, kind: str) -> list[dict]:
    fields = KEEP_FIELDS[kind]
    return [{k: item[k] for k in fields if k in item} for item in items or [] if isinstance(item, dict)]


@dataclass
class Reference:
    """One piece of reference data: the last good value, when it was read, and when to try again."""

    value: Any = None
    as_of: float | None = None
    error: str | None = None
    next_try: float = 0.0
    failures: int = 0

    def refresh(self, fetch: Callable[[], Any], ttl: float, now: float) -> None:
        """Fetch when due; on failure keep the last good value and back off (30 s, 60 s ... 15 min)."""
        if now < self.next_try:
            return
        try:
            value = fetch()
        except MistError as exc:
            self.failures += 1
            self.error = str(exc)
            self.next_try = now + min(MAX_RETRY, FIRST_RETRY * 2 ** (self.failures - 1))
            kept = "the last good answer kept" if self.value is not None else "nothing read yet"
            log.warning("reference data: %s, retry in %.0f s: %s", kept, self.next_try - now, exc)
            return
        self.value, self.as_of, self.error, self.failures = value, now, None, 0
        self.next_try = now + ttl


def describe_error(exc: BaseException) -> str:
    """The real cause of a failed collection, token-free (MistError messages never hold one)."""
    if isinstance(exc, MistError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


class OrgState:
    """What the collector keeps between collections of one org."""

    def __init__(self, org_id: str):
        self.org_id = org_id
        self.name = Reference()
        self.refs = {kind: Reference() for kind in ("sites", "templates", "profiles", "inventory")}
        self.last_success: float | None = None
        self.last_error: str | None = None
        self.last_attempt: float | None = None
        self.error_status = 503  # HTTP status a request sees while no snapshot exists and this fails
        self.rate_limited_until: float | None = None
        self.next_run = 0.0
        self.progress: dict = {}
        self.phases: dict[str, float] = {}
        self.phase_seconds: dict[str, float] = {}  # where the last collection's time went
        self.first_done = threading.Event()


class Collector:
    """Collects every wanted org on a schedule and publishes snapshots; see the module docstring."""

    def __init__(
        self,
        conn: MistConnection,
        store: MemorySnapshotStore,
        lease,
        settings,
        enricher: SiteEnricher | None = None,
        clock: Callable[[], float] = time.time,
        hooks: dict[str, Callable] | None = None,
    ):
        self.conn = conn
        self.store = store
        self.lease = lease
        self.settings = settings
        self.interval = float(settings.cache_ttl_seconds)
        self.enricher = enricher
        if enricher is not None:
            enricher.active = lambda: self.is_holder
        self.clock = clock
        self.hooks = hooks or {}  # extra per-snapshot computations (problems, history), by name
        self.orgs_ref = Reference()
        self._orgs_tried = threading.Event()  # set once /self was asked (answered or not)
        self._states: dict[str, OrgState] = {}
        self._lock = threading.Lock()
        self._collect_lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.is_holder = False
        self.collections = 0
        self.durations: list[float] = []
        self.observers: list[Callable[[float], None]] = []  # e.g. the Prometheus histogram
        self.status_extras: dict[str, Callable[[], Any]] = {}  # more fields of the shared status

    # ----- lifecycle ------------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="collector", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop collecting and release the lease, so another process takes over at once (SIGTERM)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        if self.enricher is not None:
            self.enricher.stop()
        if self.is_holder:
            self.lease.release()
            self.is_holder = False

    def _tick(self) -> float:
        """The loop's beat: a third of the lease TTL (the holder renews each tick), 0.2 to 2 s."""
        return max(0.2, min(2.0, (self.lease.ttl or 6.0) / 3, self.interval))

    def _run(self) -> None:
        tick = self._tick()
        while not self._stop.is_set():
            try:
                self.is_holder = self.lease.acquire_or_renew()
                if self.is_holder:
                    self._collect_due()
                    self._publish_status()
            except Exception:  # a bug here must not end collection for good
                log.exception("collector loop failed")
            self._wake.wait(self._pause(tick))
            self._wake.clear()

    def _pause(self, tick: float) -> float:
        """How long the loop sleeps: a tick for the holder (it renews each tick, a third of the TTL);
        a standby wakes as the holder's lease runs out instead, so when the holder dies it takes
        over within one TTL of the last renewal rather than up to a tick later."""
        if self.is_holder:
            return tick
        left = self.lease.expires_in()
        return tick if left is None else min(tick, left + STANDBY_MARGIN_SECONDS)

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        self._wake.set()

    # ----- which orgs -----------------------------------------------------------------------------
    def organizations(self) -> list[dict] | None:
        """Orgs the tokens see (from /self, last good value), shared through the store."""
        if self.orgs_ref.value is not None:
            return self.orgs_ref.value
        return self.store.get_meta("orgs")

    def _refresh_orgs(self, now: float) -> None:
        self.orgs_ref.refresh(self.conn.organizations, IDENTITY_TTL, now)
        if self.orgs_ref.value is not None:
            self.store.put_meta("orgs", self.orgs_ref.value)
        self._orgs_tried.set()

    def known_orgs(self, wait: float = 20.0) -> list[dict] | None:
        """The orgs, waiting (up to ``wait`` s) for the first /self answer when none is known yet."""
        orgs = self.organizations()
        if orgs is None and self.running():
            self.wake()
            self._orgs_tried.wait(wait)
            orgs = self.organizations()
        return orgs

    def wanted_orgs(self) -> list[str]:
        wanted = [self.settings.org_id] if self.settings.org_id else []
        orgs = self.organizations() or []
        if not self.settings.org_id and len(orgs) == 1:
            wanted.append(orgs[0]["org_id"])
        visible = {o["org_id"] for o in orgs}
        picked = [o for o in self.store.wanted_orgs() if o in visible or o == self.settings.org_id]
        return list(dict.fromkeys(wanted + picked))[:MAX_WANTED_ORGS]

    def resolve_org(self, requested: str | None) -> str:
        """The org a request is about: the requested one (if visible), MIST_ORG_ID or the only one."""
        if requested is None and self.settings.org_id:
            return self.settings.org_id
        if requested is not None and requested == self.settings.org_id:
            return requested
        orgs = self.known_orgs()
        if requested is not None:
            if requested == self.settings.org_id:
                return requested
            if orgs is None:
                raise NotReady("the list of organizations is not read yet: retry in a moment")
            if requested in {o["org_id"] for o in orgs}:
                if requested not in self.wanted_orgs():
                    self.store.add_wanted_org(requested)
                    self.wake()
                return requested
            raise UnknownOrg("org_id is not an organization these API tokens can see")
        if orgs is None:
            raise NotReady(
                "the list of organizations is not read yet: " + (self.orgs_ref.error or "retry in a moment")
            )
        if len(orgs) == 1:
            return orgs[0]["org_id"]
        if not orgs:
            raise UnknownOrg("the API tokens see no organization (an org-level token is needed)")
        raise OrgChoiceRequired(orgs)

    def _state(self, org_id: str) -> OrgState:
        with self._lock:
            if org_id not in self._states:
                self._states[org_id] = OrgState(org_id)
            return self._states[org_id]

    # ----- collecting -----------------------------------------------------------------------------
    def _collect_due(self) -> None:
        with self._lease_kept():
            self._refresh_orgs(self.clock())
            for org_id in self.wanted_orgs():
                if self._stop.is_set() or not self.is_holder:
                    return
                state = self._state(org_id)
                if self.clock() >= state.next_run:
                    self.collect(org_id)

    @contextmanager
    def _lease_kept(self) -> Iterator[None]:
        """Renew the lease every tick while the holder reads Mist, from a thread of its own.

        The loop renews between rounds only, and one round may outlast the TTL (a slow
        cloud, 429 pauses, a very large org): an expired lease would let a second process start
        collecting alongside. If the lease is lost anyway (Redis failed over), this collection
        still finishes and publishes; the loop then stops collecting.
        """
        if not self.lease.ttl or not self.is_holder:
            yield
            return
        done = threading.Event()

        def keep() -> None:
            while not done.wait(self._tick()):
                if self.lease.renew() is False:
                    log.warning("the collector lease was lost during a collection")
                    self.is_holder = False
                    return

        keeper = threading.Thread(target=keep, name="lease-keeper", daemon=True)
        keeper.start()
        try:
            yield
        finally:
            done.set()
            keeper.join()

    def collect_once(self) -> list[Snapshot | None]:
        """Collect every wanted org now (tests, benchmarks), holder or not; returns what was published."""
        self.is_holder = self.lease.acquire_or_renew()
        with self._lease_kept():
            self._refresh_orgs(self.clock())
            return [self.collect(org_id) for org_id in self.wanted_orgs()]

    def collect(self, org_id: str) -> Snapshot | None:
        """One collection of one org -> one published snapshot (fresh, or the previous one stale).

        Python's cyclic garbage collector is paused while the collection runs: it allocates
        hundreds of thousands of objects (rows, parsed pages), and every threshold crossing would
        otherwise scan the whole heap (both snapshots included) again, which tripled the time to
        shape a page in profiles. The rows hold no reference cycles; the collector resumes after.
        """
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return self._collect(org_id)
        finally:
            if was_enabled:
                gc.enable()

    def _collect(self, org_id: str) -> Snapshot | None:
        state = self._state(org_id)
        with self._collect_lock:
            started = self.clock()
            begun = time.monotonic()
            state.last_attempt = started
            state.next_run = started + self.interval
            try:
                snapshot = self._build(state, started)
            except Exception as exc:
                return self._failed(state, exc)
            finally:
                state.progress = {}
            serialize_from = time.monotonic()
            snapshot = snapshots.build_snapshot(
                version=self.store.next_version(org_id),
                collection_seconds=round(serialize_from - begun, 3),
                **snapshot,
            )
            seconds = time.monotonic() - begun
            state.phases["serialized"] = time.monotonic()
            state.phase_seconds = phase_durations(begun, state.phases)
            self.store.publish(snapshot)
            state.last_success, state.last_error = started, None
            state.first_done.set()
            self.collections += 1
            self.durations = (self.durations + [seconds])[-50:]
            for observe in self.observers:
                observe(seconds)
            release_freed_memory()
            return snapshot

    def _failed(self, state: OrgState, exc: Exception) -> Snapshot | None:
        reason = describe_error(exc)
        if not isinstance(exc, MistError):
            log.exception("collection of %s failed", state.org_id)
        else:
            log.warning("collection of %s failed: %s", state.org_id, reason)
        if isinstance(exc, MistRateLimited):
            state.next_run = exc.until + 0.5  # the first moment a token is usable again
            state.rate_limited_until = exc.until
        else:
            state.next_run = min(state.next_run, self.clock() + FIRST_RETRY)
            state.rate_limited_until = None
        state.error_status = 503 if isinstance(exc, MistRateLimited | MistUnavailable) else 502
        state.last_error = reason
        state.first_done.set()
        previous = self.store.current(state.org_id)
        if previous is None:
            return None
        stale = snapshots.as_stale(previous, self.store.next_version(state.org_id), reason)
        self.store.publish(stale)
        return stale

    def _build(self, state: OrgState, now: float) -> dict:
        """Fetch and shape one org's table. Gateway stats are essential; reference data degrades."""
        org_id, conn = state.org_id, self.conn
        incomplete: list[dict] = []
        budget = CallBudget(TABLE_CALL_BUDGET, name="the gateway table")
        report = circuits.ShapeReport()
        state.progress = {"phase": "gateway stats", "pages_done": 0, "started": now}
        fetchers = {
            "sites": lambda: keep_fields(conn.sites(org_id, budget=budget), "sites"),
            "templates": lambda: conn.gateway_templates(org_id, budget=budget),
            "profiles": lambda: conn.device_profiles(org_id, budget=budget),
            "inventory": lambda: keep_fields(conn.gateway_inventory(org_id, budget=budget), "inventory"),
        }
        # The org name and the reference data are read while the stats pages arrive. The pages are
        # shaped one at a time as they arrive (see MistConnection.gateway_stats), so fetching never
        # waits for shaping and the raw pages of a large org are freed one by one.
        with ThreadPoolExecutor(len(fetchers) + 2) as readers:  # + the org name and the events
            # Device events are read alongside the stats, except on a cold start: the first week
            # (up to 30 pages) would compete with the table for the CPU, and the table comes first.
            warm = self.store.current(org_id) is not None
            for hook in self.hooks.values():
                if warm and hasattr(hook, "prefetch"):
                    hook.prefetch(org_id, now, readers)
            pending = [readers.submit(self._refresh_org_name, state, now)]
            pending += [
                readers.submit(state.refs[kind].refresh, fetch, REFERENCE_TTL, now)
                for kind, fetch in fetchers.items()
            ]
            context: dict[str, Any] = {}

            def reference_context() -> dict:
                """Reference data for shaping, once every reader is done (one page is shaped at a time)."""
                if not context:
                    for future in pending:
                        future.result()
                    context.update(self._reference_context(state, incomplete))
                return context

            def shape_page(stats: list[dict]) -> list[tuple[list, dict]]:
                ref = reference_context()
                # Unsorted: the rows of every page are sorted together below.
                rows = circuits.build_gateway_rows(
                    stats, [], [], [], [], ref["configs"], report, references=ref["index"], sort=False
                )
                state.progress["pages_done"] = state.progress.get("pages_done", 0) + 1
                return [(rows, gateway_peers(stats))]  # one item per page: list_all extends with it

            parts = conn.gateway_stats(org_id, transform=shape_page, budget=budget)
            phases = {"stats_fetched": time.monotonic()}
            refs = reference_context()  # an org without gateways still has sites
            phases["shaped"] = time.monotonic()
        incomplete += [entry for entry in (getattr(parts, "incomplete", None), report.incomplete()) if entry]
        rows: list[dict] = [row for page_rows, _ in parts for row in page_rows]
        shorter = shorter_than_before(self.store.current(org_id), len(rows), incomplete)
        if shorter:
            incomplete.append(shorter)
        peers: dict[str, bytes] = {}
        for _, page_peers in parts:
            for gateway_id, paths in page_peers.items():
                peers.setdefault(gateway_id, paths)
        circuits.sort_gateway_rows(rows)
        self._mark_vars_pending(org_id, rows)
        if self.enricher is not None:
            with_gateways = {r["site_id"] for r in rows if r["site_id"]}
            # Site ids are validated: one that is an object (unhashable) must not fail the collection.
            modified = {
                site_id: s.get("modified_time")
                for s in refs["raw_sites"]
                if (site_id := validate.uuid(s.get("id"))) in with_gateways
            }
            self.enricher.want(org_id, modified)
        fields: dict[str, Any] = {
            "org_id": org_id,
            "org_name": state.name.value,
            "as_of": now,
            "gateways": rows,
            "peers": peers,
            "summary": circuits.summarize(rows),
            "sites": refs["site_rows"],
            "incomplete": incomplete,
            "enrichment": self.enricher.status(org_id) if self.enricher else {},
        }
        if self.hooks and self.store.current(org_id) is None:
            self._publish_first(fields, started=now)
            phases["first_published"] = time.monotonic()
        for name, hook in self.hooks.items():
            fields.update(hook(org_id, fields, now) or {})
            phases[name] = time.monotonic()
        state.phases = phases
        return fields

    def _publish_first(self, fields: dict, started: float) -> None:
        """On a cold start, publish the table as soon as its rows exist; problems and history
        (a week of events to read first) follow in the next version a few seconds later."""
        waiting = {"source": "device_events", "got": None, "total": None, "why": "reading the event history"}
        # The rows are shared with the version that follows: the hooks never change them (history
        # goes beside them, in ``port_history``), so no second copy of the table is held meanwhile.
        first = dict(fields, incomplete=[*fields["incomplete"], waiting], problems_pending=True)
        first.pop("index", None)
        first = snapshots.build_snapshot(
            version=self.store.next_version(fields["org_id"]),
            collection_seconds=round(self.clock() - started, 3),
            **first,
        )
        self.store.publish(first)
        self._state(fields["org_id"]).first_done.set()
        # The parsed pages are gone: hand their memory back before the history is built on top
        # (17 MB at 10,000 gateways, which the final version's peak then does not stack on).
        release_freed_memory()

    def _mark_vars_pending(self, org_id: str, rows: list[dict]) -> None:
        """``vars_pending`` on each row: its site's variables are not read yet, so an unresolved
        template value is "resolving", not a missing variable."""
        reading = self.enricher is not None and self.enricher.reads_site_settings
        known = self.enricher.known_vars(org_id) if reading else {}
        for row in rows:
            row["vars_pending"] = bool(reading and row["site_id"] and row["site_id"] not in known)

    def _refresh_org_name(self, state: OrgState, now: float) -> None:
        """The org's name: /self already gives it for orgs the token sees, else one getOrg call."""
        listed = next((o for o in self.organizations() or [] if o["org_id"] == state.org_id), None)
        if listed is not None and isinstance(listed.get("name"), str):
            state.name.value, state.name.as_of, state.name.error = listed["name"], now, None
            return
        state.name.refresh(
            lambda: validate.text(validate.as_dict(self.conn.organization(state.org_id)).get("name")),
            IDENTITY_TTL,
            now,
        )

    def _reference_context(self, state: OrgState, incomplete: list[dict]) -> dict:
        """The reference data shaping needs, noting in ``incomplete`` what is missing or kept."""
        refs: dict[str, Any] = {}
        for kind, ref in state.refs.items():
            if ref.value is None:
                incomplete.append(
                    {"source": kind, "got": None, "total": None, "why": ref.error or "not read"}
                )
            elif ref.error:
                why = f"kept from earlier: {ref.error}"
                incomplete.append({"source": kind, "got": len(ref.value), "total": None, "why": why})
            refs[kind] = ref.value or []
        refs["raw_sites"] = refs["sites"]
        # /api/sites rows, shaped here while the first stats page is still on its way rather than
        # after the last one (12,000 sites: 50 ms more before the first snapshot otherwise).
        refs["site_rows"] = circuits.site_rows(refs["raw_sites"])
        refs["sites"] = self._sites_with_vars(state.org_id, refs["sites"])
        refs["configs"] = self.enricher.known_configs(state.org_id) if self.enricher else {}
        refs["index"] = circuits.References.build(
            refs["sites"], refs["templates"], refs["profiles"], refs["inventory"]
        )
        return refs

    def _sites_with_vars(self, org_id: str, sites: list[dict]) -> list[dict]:
        """Sites with the variables read from their site settings (not part of the site object)."""
        if self.enricher is None:
            return sites
        variables = self.enricher.known_vars(org_id)
        return [
            {**site, "vars": variables[site_id]}
            if (site_id := validate.uuid(site.get("id"))) in variables
            else site
            for site in sites
        ]

    # ----- status ---------------------------------------------------------------------------------
    def progress(self, org_id: str) -> dict:
        state = self._states.get(org_id)
        return dict(state.progress) if state else {}

    def wait_first(self, org_id: str, timeout: float) -> None:
        """Wait until the first collection of this org ended (success or failure), at most ``timeout``."""
        self._state(org_id).first_done.wait(timeout)

    def not_ready(self, org_id: str) -> NotReady:
        """Why a request finds no snapshot of this org: still collecting, or the real cause."""
        state = self._states.get(org_id)
        progress = self.progress(org_id)
        if state is not None and state.last_error:
            extra = {"rate_limited_until": state.rate_limited_until} if state.rate_limited_until else {}
            return NotReady(
                f"no data from the Mist cloud yet: {state.last_error}", progress, state.error_status, **extra
            )
        shared = ((self.store.get_meta("collector_status") or {}).get("orgs") or {}).get(org_id) or {}
        if shared.get("last_error"):
            return NotReady(
                f"no data from the Mist cloud yet: {shared['last_error']}", shared.get("progress")
            )
        return NotReady("collecting the organization's gateways for the first time: retry shortly", progress)

    def local_status(self) -> dict:
        now = self.clock()
        calls_by_endpoint = getattr(self.conn, "call_counts", None)
        return {
            "holder": self.lease.holder(),
            "me": self.lease.me,
            "is_holder": self.is_holder,
            "lease_ttl_seconds": self.lease.ttl or None,
            "interval_seconds": self.interval,
            "collections": self.collections,
            "collection_durations": [round(d, 3) for d in self.durations[-10:]],
            "orgs_error": self.orgs_ref.error,
            "orgs": {
                org_id: {
                    "last_success": s.last_success,
                    "last_attempt": s.last_attempt,
                    "last_error": s.last_error,
                    "next_run": s.next_run if s.next_run > now else now,
                    "progress": dict(s.progress),
                    "reference_errors": {k: r.error for k, r in s.refs.items() if r.error},
                    "last_collection_phases": s.phase_seconds,
                }
                for org_id, s in list(self._states.items())
            },
            "upstream_calls": self.conn.upstream_calls,
            "upstream_calls_by_endpoint": [
                {"endpoint": endpoint, "status": status, "calls": n}
                for (endpoint, status), n in sorted(
                    (calls_by_endpoint() if calls_by_endpoint else {}).items()
                )
            ],
            "tokens": self.conn.pool.status(),
            "rate_limited_until": self.conn.pool.rate_limited_until(),
            "enrichment": self.enricher.status() if self.enricher else None,
            "as_of": now,
            **{name: produce() for name, produce in self.status_extras.items()},
        }

    def _publish_status(self) -> None:
        self.store.put_meta("collector_status", self.local_status())

    def status(self) -> dict:
        """The collector as operators need to see it: the holder's view when another process holds."""
        if self.is_holder:
            status = self.local_status()
        else:
            status = self.store.get_meta("collector_status") or self.local_status()
            status = {**status, "me": self.lease.me, "is_holder": False, "holder": self.lease.holder()}
        status["store"] = self.store.status()
        status["this_process"] = {"id": self.lease.me, "upstream_calls": self.conn.upstream_calls}
        return status


def phase_durations(begun: float, marks: dict[str, float]) -> dict[str, float]:
    """Seconds spent in each phase of a collection, from the monotonic time each one ended."""
    durations, previous = {}, begun
    for name, ended in marks.items():
        durations[name] = round(ended - previous, 3)
        previous = ended
    return durations


def shorter_than_before(previous: Snapshot | None, got: int, incomplete: list[dict]) -> dict | None:
    """An ``incomplete`` entry when this collection has fewer gateways than the published snapshot
    and nothing about the gateway stats says why yet (#12: a short answer never replaces a fuller
    table silently, even one consistent in itself such as 3 rows with ``X-Page-Total: 3``, or ``[]``
    without a total). Said once: the next collection compares with this one."""
    if previous is None or got >= len(previous.gateways):
        return None
    if any(entry.get("source") == "listOrgDevicesStats" for entry in incomplete):
        return None
    total = len(previous.gateways)
    why = f"{got} of {total} gateways: fewer than the previous collection, the Mist cloud said no more"
    return {"source": "listOrgDevicesStats", "got": got, "total": total, "why": why}


def gateway_peers(stats: list) -> dict[str, bytes]:
    """VPN peer paths of each gateway of one stats page, by validated gateway id, as compact JSON.

    Encoded here, page by page as each is shaped while the next pages download, because the
    snapshot keeps them as JSON anyway: the ~40,000 path dicts of a 10,000-gateway org (about 45 MB
    as objects) then never live until the end of the collection, and encoding them is off the
    first snapshot's critical path. Problems decode them gateway by gateway (``PeerPathsByGateway``).
    """
    peers = {}
    for stat in stats:
        gateway_id = validate.uuid(stat.get("id")) if isinstance(stat, dict) else None
        if gateway_id is not None and gateway_id not in peers:
            # json_safe: a latency of 1e400 or a 400-digit int must not reach problems or strict JSON.
            # One pass per path (keep_fields then json_safe, fused): 40,000 paths at 10,000 gateways.
            fields = KEEP_FIELDS["peers"]
            paths = validate.as_list(stat.get("vpn_peers"))
            peers[gateway_id] = snapshots.dumps(
                [validate.json_safe_fields(p, fields) for p in paths if isinstance(p, dict)]
            )
    return peers


def release_freed_memory() -> None:
    """Hand memory freed after a big table build back to the OS (glibc keeps it otherwise)."""
    import ctypes

    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass
