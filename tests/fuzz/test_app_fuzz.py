"""Seeded mutation fuzz of the whole app: hostile Mist answers in, every route out (#12).

Where tests/fuzz/test_connection_fuzz.py stops at the connection and shaping, this runs the real
app (collector, triage, enrichment, snapshot, routes) against the simulated cloud behind the
``MutatingTransport``. Each case draws one to three mutations (HTML 200, empty, 204, truncated,
wrong types, huge and non-finite numbers, ids that are objects, hostile and looping cursors, lying
page headers, failing later pages, duplicates, HTTP errors, redirects off host) on the endpoints the
app reads, runs one collection, enriches two sites, and requests every JSON route. It asserts:

* no route answers 500: below 500, or 502/503 when the cloud's failure leaves nothing to show (the
  JSON then says the cause); every JSON body parses with a strict parser (no NaN/Infinity);
* no request ever left for a host other than MIST_HOST;
* a collection's calls stay within its budgets: the table's ``TABLE_CALL_BUDGET``, triage's
  ``EVENTS_CALLS_PER_COLLECTION``, and the enrichment calls of the sites enriched;
* /api/gateways never answers a table shorter than the org without saying so (``incomplete``);
  an error answer carries its cause.

Apps are reused for a group of cases (building one is cheap, but a reused one carries the previous
snapshot and the last good reference data into the next case, which is where staleness and
"kept from earlier" happen). Every case makes all reference data due again. 320 cases by default
(about 45 s), ``FUZZ_CASES`` for more, ``FUZZ_SEED`` to move the seeds; a failing case prints its
replay data. Runs of more than ~2,000 cases need ``--timeout 0`` (pytest-timeout is 300 s a test).
"""

from __future__ import annotations

import json
import logging
import os
import random

import pytest

import mist_connection
from circuitstats.collector import TABLE_CALL_BUDGET
from circuitstats.enrichment import SITE_CALL_BUDGET
from circuitstats.triage import EVENTS_CALLS_PER_COLLECTION
from mist_connection import RetryPolicy
from tests.fuzz.mutations import KINDS, Mutation, random_mutations
from tests.support.hostile import ENRICH_OPERATIONS, GATEWAYS, HOST, TOKENS, HostileCloud, set_body

FUZZ_CASES = int(os.environ.get("FUZZ_CASES", "320"))
FUZZ_SEED = int(os.environ.get("FUZZ_SEED", "0"))
GROUP = 4  # cases per app
# Every upstream endpoint the app reads: the collector's, triage's, enrichment's and the charts'.
OPERATIONS = (
    "getSelf",
    "getOrg",
    "listOrgSites",
    "listOrgGatewayTemplates",
    "listOrgDeviceProfiles",
    "getOrgInventory",
    "listOrgDevicesStats",
    "searchOrgDeviceEvents",
    "listSiteDevices",
    "getSiteSetting",
    "getSiteInsightMetricsForGateway",
)
ENRICHED_SITES = 2
# One call can cost every retry attempt, plus one 429 per token before all of them cool down.
CALLS_PER_QUESTION = RetryPolicy.attempts + len(TOKENS)
UNKNOWN_ID = "00000000-1111-2222-3333-444444444444"
ORG_ROUTES = ("/api/gateways", "/api/problems", "/api/sites", "/api/organization", "/api/export.csv")


class ErrorLog(logging.Handler):
    """ERROR records of the app's loggers: ``log.exception`` marks a bug (an exception that is not
    a MistError in a collection, the enrichment worker or a route), never a bad answer."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        cause = record.exc_info[1] if record.exc_info else None
        self.records.append(f"{record.name}: {record.getMessage()}: {type(cause).__name__}: {cause}")


def strip_org_names(response, query: str) -> None:
    """A /self whose privileges carry no org names: the org name must then come from getOrg."""
    try:
        data = json.loads(response._content)
    except ValueError:
        return
    if isinstance(data, dict) and isinstance(data.get("privileges"), list):
        for privilege in data["privileges"]:
            if isinstance(privilege, dict):
                privilege.pop("name", None)
        set_body(response, data)


def new_cloud(group: int) -> HostileCloud:
    """Apps vary by group: MIST_ORG_ID configured or found from /self; org names in /self or not."""
    cloud = HostileCloud(seed=11)
    if group % 2:
        cloud.close()
        cloud = HostileCloud(seed=11, org_id=cloud.sim.org_id)
    if group % 4 >= 2:
        cloud.base_scripts["getSelf"] = strip_org_names
    cloud.heal()
    return cloud


def urls(cloud: HostileCloud) -> list[str]:
    """Every JSON route (and /metrics, the CSV) for the gateways and ports the app shows now."""
    snapshot = cloud.snapshot()
    row = next((r for r in snapshot.gateways if r["ports"] and r["site_id"]), None) if snapshot else None
    gateway_id = row["id"] if row else UNKNOWN_ID
    port = row["ports"][0]["name"] if row else "ge-0/0/0"
    site_id = row["site_id"] if row else UNKNOWN_ID
    return [
        "/api/gateways",
        f"/api/gateways?site_id={site_id}",
        "/api/gateways?q=a",
        "/api/problems",
        "/api/sites",
        "/api/organization",
        "/api/organizations",
        "/api/status",
        f"/api/gateway/{gateway_id}/vpn_peers",
        f"/api/gateway/{gateway_id}/vpn_peers?port_id={port}",
        f"/api/gateway/{UNKNOWN_ID}/vpn_peers",
        f"/api/gateway/{gateway_id}/port/{port}/traffic?duration=1h",
        "/api/export.csv",
        "/api/export.csv?q=a",
        "/metrics",
        "/health",
    ]


def run_case(cloud: HostileCloud, case: int, mutations: list[Mutation], bitten: dict, errors) -> None:
    errors.records.clear()
    cloud.refresh_everything()
    cloud.mutate(mutations, seed=case)
    transport = cloud.transport
    cloud.collect()
    collection = dict(transport.by_operation)
    site_ids = [site.id for site in cloud.sim.org().sites if site.gateways][:ENRICHED_SITES]
    cloud.enrich(site_ids)
    answers = {}
    for url in urls(cloud):
        status, body, response = cloud.get(url)  # strict JSON: a NaN or Infinity raises here
        if status >= 500:  # only the upstream's failure, said as such: never an internal error
            assert status in (502, 503), f"{url} answered {status}: {response.get_data()[:300]!r}"
            assert body["success"] is False and body["error"], f"{url} answered {status} without a cause"
        answers[url] = (status, body)
        if url in ORG_ROUTES:  # the org exists: one bad answer must never make the app deny it
            assert status != 404, f"{url} answered 404: {body}"
    assert errors.records == [], "an exception that is not an upstream error"
    assert transport.foreign_urls == [], "a request left for another host"
    assert all(url.startswith(f"https://{HOST}/api/v1/") for url in transport.urls)

    events = collection.pop("searchOrgDeviceEvents", 0)
    assert events <= EVENTS_CALLS_PER_COLLECTION, f"{events} event calls in one collection"
    table = sum(collection.values())
    assert table <= TABLE_CALL_BUDGET, f"{table} table calls in one collection: {collection}"
    enrichment = sum(transport.by_operation.get(op, 0) for op in ENRICH_OPERATIONS)
    assert enrichment <= len(site_ids) * SITE_CALL_BUDGET, f"{enrichment} calls for {len(site_ids)} sites"
    charts = transport.by_operation.get("getSiteInsightMetricsForGateway", 0)
    assert charts <= CALLS_PER_QUESTION, f"{charts} Insights calls for one chart view"

    status, body = answers["/api/gateways"]
    state = cloud.state() if cloud.collector._states else None
    bitten["failed"] += bool(state is None or state.last_error)
    if status != 200:
        assert body["success"] is False and body["error"], body
        bitten["error_answers"] += 1
        return
    data = body["data"]
    shown = len(data["gateways"])
    bitten["incomplete"] += bool(data["incomplete"])
    bitten["stale"] += bool(body["stale"])
    if shown < GATEWAYS:
        bitten["short"] += 1
        assert data["incomplete"], f"{shown} of {GATEWAYS} gateways shown without a word of what is missing"
    ids = [row["id"] for row in data["gateways"]]
    assert len(ids) == len(set(ids)), "two rows for one gateway id"
    if body["stale"]:
        assert body["stale_reason"], "stale without a cause"


def test_seeded_mutations_of_every_endpoint_through_the_whole_app(monkeypatch):
    failures = []
    kinds_seen: set[str] = set()
    operations_seen: set[str] = set()
    bitten = dict.fromkeys(("failed", "error_answers", "incomplete", "stale", "short"), 0)
    cloud = None
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    for number, case in enumerate(range(FUZZ_SEED, FUZZ_SEED + FUZZ_CASES)):
        if number % GROUP == 0:
            if cloud is not None:
                cloud.close()
            cloud = new_cloud(number // GROUP)
        rng = random.Random(case)
        mutations = random_mutations(rng, OPERATIONS)
        page_limit = rng.choice((1000, 1000, 5))
        kinds_seen.update(m.kind for m in mutations)
        operations_seen.update(m.operation for m in mutations)
        monkeypatch.setattr(mist_connection, "PAGE_LIMIT", page_limit)
        try:
            run_case(cloud, case, mutations, bitten, errors)
        except Exception as exc:  # collect, then report every failing case with its replay data
            failures.append(
                f"case {case} (app case {number % GROUP}, group {number // GROUP}) "
                f"page_limit={page_limit} {mutations}: {type(exc).__name__}: {exc}"
            )
    cloud.close()
    logging.getLogger().removeHandler(errors)
    assert not failures, f"{len(failures)} of {FUZZ_CASES} cases failed:\n" + "\n".join(failures[:25])
    # The mutations must bite: a harness whose answers all pass cleanly would prove nothing.
    assert min(bitten.values()) >= FUZZ_CASES // 80, bitten
    print(f"app fuzz, {FUZZ_CASES} cases: {bitten}")
    if FUZZ_CASES >= 300:
        assert kinds_seen == set(KINDS), f"kinds never drawn: {set(KINDS) - kinds_seen}"
        assert operations_seen == set(OPERATIONS)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_endpoint_reached_unmutated_is_whole(operation):
    """Baseline for each endpoint the fuzz mutates: the app really asks it (else mutating it proves
    nothing), and without mutations the table is whole and nothing is incomplete."""
    cloud = new_cloud(2 if operation == "getOrg" else 0)
    try:
        cloud.collect()
        site_ids = [site.id for site in cloud.sim.org().sites if site.gateways][:ENRICHED_SITES]
        cloud.enrich(site_ids)
        for url in urls(cloud):
            status, _, _ = cloud.get(url)
            assert status in (200, 404), url  # 404: the made-up gateway id
        assert cloud.transport.by_operation.get(operation, 0) >= 1, cloud.transport.by_operation
        status, body = cloud.gateways()
        assert status == 200 and len(body["data"]["gateways"]) == GATEWAYS
        assert body["data"]["incomplete"] == [] and body["stale"] is False
    finally:
        cloud.close()
