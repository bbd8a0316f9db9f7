"""What the dashboard knows, and how fresh it is: the layer between the routes and the Mist cloud.

Every question goes through the shared cache (single flight, stale-while-revalidate) before it may
reach ``MistConnection``; the shaping of raw payloads into rows is left to the pure functions of
``circuits`` and ``traffic``. Nothing here knows about Flask.
"""

from __future__ import annotations

import ctypes
import dataclasses
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import circuits
import traffic
from enrichment import ConfigEnricher
from mist_connection import MistConnection, MistError, MistNotFound

log = logging.getLogger(__name__)


def release_freed_memory() -> None:
    """Hand memory freed after a big table build back to the OS (glibc keeps it otherwise)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


# Only these fields of the reference data are used (circuits, /api/sites, the peer-path modal);
# keeping just them makes a 10,000-gateway org's cached reference data several times smaller.
KEEP_FIELDS = {
    "sites": ("id", "name", "address", "timezone", "gatewaytemplate_id", "vars"),
    "inventory": ("id", "mac", "site_id", "deviceprofile_id", "model", "type"),
    "peers": (
        "port_id", "vpn_name", "peer_router_name", "peer_port_id", "up", "is_active", "type",
        "latency", "loss", "jitter", "mos", "uptime", "mtu", "hop_count",
    ),
}  # fmt: skip

# How long each kind of data is fresh, and how long a stale copy may still be shown.
TTL_REFERENCE = 15 * 60.0  # sites, templates, profiles, inventory
TTL_ORG = 60 * 60.0  # org name, /self
TTL_TRAFFIC = 120.0  # one chart view
MAX_STALE_LIVE = 24 * 3600.0  # a NOC would rather see hour-old circuits than nothing


class OrgChoiceRequired(Exception):
    """The tokens see several orgs and none was chosen."""

    def __init__(self, orgs: list[dict]):
        self.orgs = orgs
        super().__init__("the API token can see several organizations: choose one (org_id)")


class UnknownOrg(Exception):
    """An org_id the tokens cannot see."""


class UnknownGateway(Exception):
    """A gateway id that is not in the org."""


@dataclass
class Answer:
    """A value with how fresh it is: every JSON answer says ``as_of`` and ``stale``."""

    value: object
    as_of: float
    stale: bool


def _keep(items, kind: str) -> list[dict]:
    fields = KEEP_FIELDS[kind]
    return [{k: item[k] for k in fields if k in item} for item in items or []]


def _plain(rows):
    """Rows as JSON-ready dicts, whether circuits returns dataclasses or dicts."""
    return [dataclasses.asdict(r) if dataclasses.is_dataclass(r) else dict(r) for r in rows]


class Dashboard:
    """The questions the page asks, each answered from the cache or, once, from the cloud."""

    def __init__(self, connection: MistConnection, cache, settings):
        self.conn = connection
        self.cache = cache
        self.settings = settings
        self.enricher = ConfigEnricher(
            cache,
            connection.site_gateway_configs,
            budget_per_hour=settings.enrich_budget,
            start_delay=settings.enrich_start_delay,
        )

    def _cached(self, key: str, fetch, ttl: float, max_stale: float) -> Answer:
        result = self.cache.get_or_fetch(key, fetch, ttl, max_stale)
        return Answer(result.value, result.as_of, result.stale)

    # ----- organizations ------------------------------------------------------------------------
    def organizations(self) -> Answer:
        return self._cached("self:orgs", self.conn.organizations, TTL_ORG, MAX_STALE_LIVE)

    def resolve_org(self, requested: str | None) -> str:
        """The org to show: the requested one (if visible), MIST_ORG_ID, or the token's only org."""
        if requested is None and self.settings.org_id:
            return self.settings.org_id
        orgs = self.organizations().value
        visible = {o["org_id"] for o in orgs}
        if requested is not None:
            if requested == self.settings.org_id or requested in visible:
                return requested
            raise UnknownOrg("org_id is not an organization these API tokens can see")
        if len(orgs) == 1:
            return orgs[0]["org_id"]
        if not orgs:
            raise UnknownOrg("the API tokens see no organization (an org-level token is needed)")
        raise OrgChoiceRequired(orgs)

    def organization(self, org_id: str) -> Answer:
        def fetch():
            org = self.conn.organization(org_id)
            return {"org_id": org_id, "name": org.get("name"), "demo": self.settings.demo}

        return self._cached(f"org:{org_id}", fetch, TTL_ORG, MAX_STALE_LIVE)

    # ----- reference data -----------------------------------------------------------------------
    def _reference_answer(self, org_id: str, kind: str, fetch) -> Answer:
        def fetch_kept():
            items = fetch(org_id)
            return _keep(items, kind) if kind in KEEP_FIELDS else items

        return self._cached(f"ref:{kind}:{org_id}", fetch_kept, TTL_REFERENCE, MAX_STALE_LIVE)

    def _reference(self, org_id: str, kind: str, fetch) -> list:
        return self._reference_answer(org_id, kind, fetch).value

    def sites(self, org_id: str) -> Answer:
        answer = self._reference_answer(org_id, "sites", self.conn.sites)
        rows = sorted(
            (
                {
                    "id": s.get("id"),
                    "name": s.get("name"),
                    "address": s.get("address"),
                    "timezone": s.get("timezone"),
                }
                for s in answer.value
            ),
            key=lambda s: (s["name"] or "").lower(),
        )
        return Answer(rows, answer.as_of, answer.stale)

    # ----- the table ----------------------------------------------------------------------------
    def table(self, org_id: str) -> Answer:
        """All gateway rows of the org with their WAN ports, summary and peer paths."""
        return self._cached(
            f"table:{org_id}",
            lambda: self._build_table(org_id),
            self.settings.cache_ttl_seconds,
            MAX_STALE_LIVE,
        )

    def _build_table(self, org_id: str) -> dict:
        """Gateway stats are essential; the reference data only enriches, so its failure degrades.

        A reference source that cannot be fetched (after the connection's retries) is named in
        ``incomplete``; the values it would have given stay null instead of turning into zeros.
        """
        conn = self.conn
        incomplete: list[str] = []

        def optional(kind: str, fetch):
            def run():
                try:
                    return self._reference(org_id, kind, fetch)
                except MistError as exc:
                    log.warning("table of %s built without %s: %s", org_id, kind, exc)
                    incomplete.append(kind)
                    return []

            return run

        # Reference data is fetched alongside the stats; each stats page is handed to a single
        # shaping thread as it arrives, so fetching never waits for shaping and the raw pages of a
        # large org are turned into compact rows (and freed) one by one instead of all at once.
        with (
            ThreadPoolExecutor(max_workers=1) as references_pool,
            ThreadPoolExecutor(max_workers=1) as shaper,
        ):
            references = references_pool.submit(
                conn.parallel,
                sites=optional("sites", conn.sites),
                templates=optional("templates", conn.gateway_templates),
                profiles=optional("profiles", conn.device_profiles),
                inventory=optional("inventory", conn.gateway_inventory),
            )

            def shape_page(stats: list[dict]) -> tuple[list, dict]:
                """One page of raw stats -> rows and peer paths."""
                ref = references.result()
                site_ids = {g.get("site_id") for g in stats if g.get("site_id")}
                configs = self.enricher.known_configs(org_id, sorted(site_ids))
                page_rows = circuits.build_gateway_rows(
                    stats, ref["sites"], ref["templates"], ref["profiles"], ref["inventory"], configs
                )
                peers = {g["id"]: _keep(g.get("vpn_peers"), "peers") for g in stats if g.get("id")}
                return page_rows, peers

            shaped = conn.gateway_stats(org_id, transform=lambda page: [shaper.submit(shape_page, page)])
            parts = [future.result() for future in shaped]
        rows: list = []
        peers: dict = {}
        for page_rows, page_peers in parts:
            rows.extend(page_rows)
            peers.update(page_peers)
        circuits.sort_gateway_rows(rows)
        rows = _plain(rows)
        self.enricher.request(org_id, sorted({r["site_id"] for r in rows if r["site_id"]}))
        release_freed_memory()
        return {
            "gateways": rows,
            "summary": circuits.summarize(rows),
            "peers": peers,
            "incomplete": sorted(incomplete),
        }

    def gateways(self, org_id: str, site_id: str | None = None, query: str | None = None) -> Answer:
        answer = self.table(org_id)
        rows = answer.value["gateways"]
        if site_id or query:
            rows = circuits.filter_rows(rows, site_id=site_id, query=query)
        data = {
            "gateways": rows,
            "summary": answer.value["summary"],
            "filtered_summary": circuits.summarize(rows) if (site_id or query) else answer.value["summary"],
            "incomplete": answer.value.get("incomplete", []),
            "enrichment": self.enricher.status(),
        }
        return Answer(data, answer.as_of, answer.stale)

    def gateway(self, org_id: str, gateway_id: str) -> tuple[dict, Answer]:
        answer = self.table(org_id)
        for row in answer.value["gateways"]:
            if row["id"] == gateway_id:
                return row, answer
        raise UnknownGateway("gateway_id is not a gateway of this organization")

    # ----- peer paths ---------------------------------------------------------------------------
    def peer_paths(self, org_id: str, gateway_id: str, port_id: str | None, mac: str | None) -> Answer:
        """One gateway's VPN peer paths, from the bulk table data when it holds the gateway.

        With ``port_id``, the paths are those the table counts for that port (sub-interfaces included),
        so the modal always lists exactly ``peers_total`` paths.
        """
        try:
            row, answer = self.gateway(org_id, gateway_id)
            paths = _plain(circuits.peer_path_rows(answer.value["peers"].get(gateway_id) or [], None))
            ports = row["ports"]
        except UnknownGateway:
            if not mac:
                raise
            fetched = self._cached(
                f"peers:{org_id}:{mac}",
                lambda: _plain(circuits.peer_path_rows(self.conn.peer_paths(org_id, mac=mac), None)),
                self.settings.cache_ttl_seconds,
                MAX_STALE_LIVE,
            )
            paths, ports, answer = fetched.value, None, fetched
        if port_id:
            paths = [p for p in paths if circuits.path_counts_for_port(p.get("port_id"), port_id, ports)]
        return Answer(paths, answer.as_of, answer.stale)

    # ----- traffic ------------------------------------------------------------------------------
    def traffic(self, org_id: str, gateway_id: str, port_id: str, site_id: str | None, window: str) -> Answer:
        """Time series of one port over a window, with avg/peak/p95/utilisation; one Mist call per view."""
        speed = None
        try:
            row, _ = self.gateway(org_id, gateway_id)
            site_id = site_id or row["site_id"]
            speed = next((p.get("speed") for p in row["ports"] if p["name"] == port_id), None)
        except UnknownGateway:
            if not site_id:
                raise
        duration, interval = traffic.WINDOWS[window]

        def fetch():
            end = int(time.time()) // interval * interval
            try:
                answer = self.conn.port_insights(site_id, gateway_id, port_id, end - duration, end, interval)
            except MistNotFound:
                raise UnknownGateway("no such gateway or port at this site") from None
            return _plain([traffic.shape_traffic(answer, window, speed)])[0]

        key = f"traffic:{org_id}:{gateway_id}:{port_id}:{window}"
        return self._cached(key, fetch, TTL_TRAFFIC, TTL_TRAFFIC * 5)

    # ----- status -------------------------------------------------------------------------------
    def status(self) -> dict:
        return {
            "upstream_calls": self.conn.upstream_calls,
            "tokens": self.conn.pool.status(),
            "rate_limited_until": self.conn.pool.rate_limited_until(),
            "cache": self.cache.status(),
            "enrichment": self.enricher.status(),
            "demo": self.settings.demo,
        }
