"""Seeded mutation fuzz of the Mist boundary: connection + shaping, for every endpoint the app reads.

Each case draws one to three mutations (see tests/fuzz/mutations.py: HTML 200, empty, 204,
truncated, wrong types, huge and non-finite numbers, ids that are objects, hostile and looping
cursors, lying page headers, failing later pages, duplicates, HTTP errors, redirects off host) on
random endpoints, runs what one collection asks of the cloud, shapes it, and asserts:

* no request ever left for a host other than MIST_HOST (the transport records every URL);
* the calls that reached the cloud stay within the collection's ``CallBudget``;
* every question either raised a ``MistError`` (anything else fails the case) or gave data that
  shapes into valid rows (UUID ids, one row per id) serializing with ``allow_nan=False``.

300+ cases by default (``FUZZ_CASES`` for more, ``FUZZ_SEED`` to move the seeds); a failing case
prints its seed and mutations, so it replays exactly.
"""

from __future__ import annotations

import json
import os
import random

import pytest

import circuits
import mist_connection
import traffic
from circuitstats import validate
from mist_connection import CallBudget, MistConnection, MistError, RetryPolicy
from mist_simulator import MistSimulator
from tests.fuzz.mutations import MutatingTransport, Mutation, random_mutations

FUZZ_CASES = int(os.environ.get("FUZZ_CASES", "320"))
FUZZ_SEED = int(os.environ.get("FUZZ_SEED", "0"))
BUDGET = 60
HOST = "api.mist.com"
# Every upstream endpoint the collector and the routes read.
OPERATIONS = (
    "getSelf",
    "getOrg",
    "listOrgSites",
    "listOrgGatewayTemplates",
    "listOrgDeviceProfiles",
    "getOrgInventory",
    "listOrgDevicesStats",
    "searchOrgPeerPathStats",
    "getSiteInsightMetricsForGateway",
    "listSiteDevices",
)


@pytest.fixture(scope="module")
def sim():
    return MistSimulator(gateways=12, seed=11, rate_limit=10**9, now=1_750_000_000)


class Collection:
    """What one collection asks of the cloud at this layer, and the shaped result."""

    def __init__(self, conn: MistConnection, sim: MistSimulator, budget: CallBudget):
        self.conn, self.sim, self.budget = conn, sim, budget
        self.errors: dict[str, MistError] = {}
        self.incomplete: list[dict] = []

    def ask(self, name: str, question, default):
        try:
            answer = question()
        except MistError as exc:  # anything else is a bug and fails the case
            self.errors[name] = exc
            return default
        if getattr(answer, "incomplete", None):
            self.incomplete.append(answer.incomplete)
        return answer

    def run(self) -> dict:
        conn, sim, budget = self.conn, self.sim, self.budget
        org_id = sim.org_id
        gateway = sim.org().gateways[0]
        port = gateway.wan_ports[0].interface
        report = circuits.ShapeReport()
        orgs = self.ask("orgs", lambda: conn.organizations(budget=budget), [])
        org = self.ask("org", lambda: conn.organization(org_id, budget=budget), {})
        sites = self.ask("sites", lambda: conn.sites(org_id, budget=budget), [])
        templates = self.ask("templates", lambda: conn.gateway_templates(org_id, budget=budget), [])
        profiles = self.ask("profiles", lambda: conn.device_profiles(org_id, budget=budget), [])
        inventory = self.ask("inventory", lambda: conn.gateway_inventory(org_id, budget=budget), [])
        configs = self.ask("configs", lambda: conn.site_gateway_configs(gateway.site.id, budget=budget), [])
        stats = self.ask("stats", lambda: conn.gateway_stats(org_id, budget=budget), [])
        peers = self.ask("peers", lambda: conn.peer_paths(org_id, budget=budget), [])
        end = sim.now() // 300 * 300
        insights = self.ask(
            "insights",
            lambda: conn.port_insights(
                gateway.site.id, gateway.id, port, end - 3600, end, 300, budget=budget
            ),
            None,
        )
        by_id = {validate.uuid(c.get("id")): c for c in configs if isinstance(c, dict)}
        by_id.pop(None, None)
        rows = circuits.build_gateway_rows(stats, sites, templates, profiles, inventory, by_id, report)
        ports = next((r["ports"] for r in rows if r["id"] == gateway.id), None)
        speed = next((p["speed"] for p in ports or [] if p["name"] == port), None)
        shaped_incomplete = report.incomplete()
        return {
            "orgs": orgs,
            "org_name": validate.text(validate.as_dict(org).get("name")),
            "sites": circuits.site_rows(sites, report),
            "gateways": rows,
            "summary": circuits.summarize(rows),
            "filtered": circuits.filter_rows(rows, query="a"),
            "peers": circuits.peer_path_rows(peers),
            "peers_of_port": circuits.peer_path_rows(peers, port, ports),
            "traffic": traffic.shape_traffic(insights, "1h", speed),
            "incomplete": self.incomplete + ([shaped_incomplete] if shaped_incomplete else []),
            "errors": {name: f"{type(exc).__name__}: {exc}" for name, exc in self.errors.items()},
        }


def run_case(sim, case: int, mutations: list[Mutation], page_limit: int) -> tuple[dict, MutatingTransport]:
    transport = MutatingTransport(sim, mutations, seed=case)
    budget = CallBudget(BUDGET, f"fuzz case {case}")
    conn = MistConnection(
        list(sim.org_tokens()),
        session_hook=transport.mount,
        retry=RetryPolicy(attempts=2, backoff=0.0),
    )
    saved = mist_connection.PAGE_LIMIT
    mist_connection.PAGE_LIMIT = page_limit
    try:
        shaped = Collection(conn, sim, budget).run()
    finally:
        mist_connection.PAGE_LIMIT = saved
    assert transport.calls <= budget.used <= BUDGET
    assert conn.upstream_calls <= budget.used
    return shaped, transport


def check(shaped: dict, transport: MutatingTransport) -> None:
    assert transport.foreign_urls == [], "a request left for another host"
    assert all(url.startswith(f"https://{HOST}/api/v1/") for url in transport.urls)
    json.dumps(shaped, allow_nan=False)
    ids = [row["id"] for row in shaped["gateways"]]
    assert all(validate.uuid(gateway_id) == gateway_id for gateway_id in ids)
    assert len(ids) == len(set(ids)), "two rows for one gateway id"
    for row in shaped["gateways"]:
        assert row["site_id"] is None or validate.uuid(row["site_id"]) == row["site_id"]
        assert row["mac"] is None or validate.mac(row["mac"]) == row["mac"]
    for site in shaped["sites"]:
        assert validate.uuid(site["id"]) == site["id"]
    for org in shaped["orgs"]:
        assert validate.uuid(org["org_id"]) == org["org_id"]
    for entry in shaped["incomplete"]:
        assert set(entry) == {"source", "got", "total", "why"} and entry["why"]
    for message in shaped["errors"].values():
        assert message.split(": ", 1)[1], "an error without a cause"


def test_an_unmutated_collection_is_whole(sim):
    """Baseline: without mutations every question answers and nothing is marked incomplete."""
    shaped, transport = run_case(sim, 0, [], 1000)
    check(shaped, transport)
    assert shaped["errors"] == {} and shaped["incomplete"] == []
    assert len(shaped["gateways"]) == 12 and shaped["traffic"]["timestamps"]


def test_seeded_mutations_never_escape_overspend_or_break_strict_json(sim):
    failures = []
    kinds_seen: set[str] = set()
    bitten = {"errors": 0, "incomplete": 0, "short": 0}
    for case in range(FUZZ_SEED, FUZZ_SEED + FUZZ_CASES):
        rng = random.Random(case)
        mutations = random_mutations(rng, OPERATIONS)
        kinds_seen.update(m.kind for m in mutations)
        page_limit = rng.choice((1000, 5))
        try:
            shaped, transport = run_case(sim, case, mutations, page_limit)
            check(shaped, transport)
            bitten["errors"] += bool(shaped["errors"])
            bitten["incomplete"] += bool(shaped["incomplete"])
            bitten["short"] += len(shaped["gateways"]) < 12
        except Exception as exc:  # collect, then report every failing case with its replay data
            failures.append(f"case {case} page_limit={page_limit} {mutations}: {type(exc).__name__}: {exc}")
    assert not failures, f"{len(failures)} of {FUZZ_CASES} cases failed:\n" + "\n".join(failures[:20])
    # the mutations must bite: a harness whose answers all shape cleanly would prove nothing
    assert min(bitten.values()) >= FUZZ_CASES // 30, bitten
    if FUZZ_CASES >= 300:
        from tests.fuzz.mutations import KINDS

        assert kinds_seen == set(KINDS), f"kinds never drawn: {set(KINDS) - kinds_seen}"


@pytest.mark.parametrize("operation", OPERATIONS)
def test_every_endpoint_answering_rubbish_is_an_error_or_valid_rows(sim, operation):
    """Each endpoint once with each body-level mutation, so no endpoint is left to chance."""
    for kind in (
        "html_200",
        "empty_200",
        "no_content_204",
        "truncated",
        "number",
        "huge_numbers",
        "wrong_types",
    ):
        shaped, transport = run_case(sim, 1, [Mutation(operation, kind)], 1000)
        check(shaped, transport)
