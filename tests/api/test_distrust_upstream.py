"""Distrust of the upstream through the whole app: one named test per bullet of issue #12.

Each test runs the real app (collector, triage, enrichment, snapshot, routes) against the simulated
cloud behind a mutating transport (tests/support/hostile.py) and checks what a user or an operator
would see: the status and body of the routes, the snapshot's ``incomplete``, the calls that reached
the cloud, and every URL the app sent.
"""

from __future__ import annotations

import json
import logging

import pytest

import mist_connection
from circuitstats.collector import FIRST_RETRY, IDENTITY_TTL, REFERENCE_TTL, TABLE_CALL_BUDGET
from circuitstats.enrichment import REFRESH_AFTER, RETRY_FAILED_AFTER
from circuitstats.triage import EVENTS_CALLS_PER_COLLECTION
from tests.fuzz.mutations import HOSTILE_CURSORS, Mutation
from tests.support.hostile import GATEWAYS, HOST, HostileCloud, set_body

JSON_ROUTES = (
    "/api/gateways",
    "/api/gateways?q=a",
    "/api/problems",
    "/api/sites",
    "/api/organization",
    "/api/organizations",
    "/api/status",
    "/health",
)


@pytest.fixture
def cloud():
    made = HostileCloud()
    yield made
    made.close()


@pytest.fixture
def bugs(caplog):
    """ERROR records (``log.exception``: an exception that is not an upstream error) seen so far."""
    caplog.set_level(logging.WARNING)
    return lambda: [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def every_route(cloud: HostileCloud) -> dict[str, tuple[int, dict | None]]:
    """Every JSON route, the gateway detail routes of the first row shown, the CSV and /metrics:
    none may answer 500, and every JSON body must parse strictly (``cloud.get`` raises otherwise)."""
    urls = list(JSON_ROUTES) + ["/api/export.csv", "/metrics"]
    snapshot = cloud.snapshot()
    row = next((r for r in snapshot.gateways if r["ports"] and r["site_id"]), None) if snapshot else None
    if row is not None:
        port = row["ports"][0]["name"]
        urls += [
            f"/api/gateways?site_id={row['site_id']}",
            f"/api/gateway/{row['id']}/vpn_peers",
            f"/api/gateway/{row['id']}/vpn_peers?port_id={port}",
            f"/api/gateway/{row['id']}/port/{port}/traffic?duration=1h",
        ]
    answers = {}
    for url in urls:
        status, body, response = cloud.get(url)
        assert status != 500 and status < 600, f"{url}: {status} {response.get_data()[:300]!r}"
        if status >= 500:
            assert status in (502, 503) and body["error"], f"{url}: {status} without a cause"
        answers[url] = (status, body)
    return answers


def incomplete_of(body: dict, source: str) -> dict:
    found = [entry for entry in body["data"]["incomplete"] if entry["source"] == source]
    assert found, f"nothing in incomplete about {source}: {body['data']['incomplete']}"
    return found[0]


def settle(cloud: HostileCloud) -> dict:
    """A clean collection: the previous snapshot every later test of distrust starts from."""
    cloud.collect()
    status, body = cloud.gateways()
    assert status == 200 and len(body["data"]["gateways"]) == GATEWAYS and not body["data"]["incomplete"]
    return body


# ----- 1. cursor and host safety --------------------------------------------------------------------


@pytest.mark.parametrize("cursor", [c for c in HOSTILE_CURSORS if isinstance(c, str)])
def test_token_never_sent_to_another_host_through_the_app(cloud, cursor):
    """A hostile ``next`` cursor of the event search is refused, the events read says so, and no
    request of the app (collection, enrichment, charts) left for another host."""
    settle(cloud)
    cloud.advance(60)
    cloud.mutate([Mutation("searchOrgDeviceEvents", "hostile_next", value=cursor)])
    cloud.collect()
    cloud.enrich(site.id for site in cloud.sim.org().sites[:2])
    every_route(cloud)
    assert cloud.transport.foreign_urls == []
    assert all(url.startswith(f"https://{HOST}/api/v1/") for url in cloud.transport.urls)
    status, body = cloud.gateways()
    assert status == 200 and len(body["data"]["gateways"]) == GATEWAYS
    assert "next cursor refused" in incomplete_of(body, "device_events")["why"]


@pytest.mark.parametrize(
    "operation",
    ["getSelf", "listOrgSites", "listOrgDevicesStats", "searchOrgDeviceEvents", "listSiteDevices"],
)
def test_a_redirect_off_host_is_not_followed(cloud, operation):
    cloud.mutate([Mutation(operation, "redirect_off_host")])
    cloud.collect()
    cloud.enrich(site.id for site in cloud.sim.org().sites[:2])
    answers = every_route(cloud)
    assert cloud.transport.foreign_urls == []
    if operation == "listOrgDevicesStats":
        status, body = answers["/api/gateways"]
        assert status == 502 and "refused to send a request to 'https://evil.example'" in body["error"]
    if operation == "listSiteDevices":  # the two sites are skipped, to be retried later
        assert cloud.collector.enricher.status(cloud.org_id)["sites_failing"] == 2


# ----- 2. bounded paging ----------------------------------------------------------------------------


def test_a_tiny_page_limit_costs_bounded_calls(cloud):
    """Every list endpoint answers ``X-Page-Limit: 1`` and a total of 3,000: the app keeps its own
    page size, so a 12-gateway org costs a few calls instead of about 3,000."""
    lists = ("listOrgDevicesStats", "listOrgSites", "listOrgGatewayTemplates", "getOrgInventory")
    cloud.mutate([Mutation(op, "tiny_page_limit") for op in lists])
    cloud.collect()
    calls = cloud.transport.by_operation
    assert all(calls[op] <= 3 for op in lists), calls
    assert sum(calls.values()) <= 20, calls
    status, body = cloud.gateways()
    assert status == 200 and len(body["data"]["gateways"]) == GATEWAYS
    stats = incomplete_of(body, "listOrgDevicesStats")
    assert (stats["got"], stats["total"]) == (GATEWAYS, 3000)
    assert f"{GATEWAYS} of 3000" in stats["why"]


@pytest.mark.parametrize("kind", ["looping_next", "endless_next"])
def test_a_looping_next_cursor_costs_bounded_calls(cloud, kind):
    """A cursor that repeats stops at once; one that never ends stops at the events budget, and no
    token is cooled down for it."""
    settle(cloud)
    cloud.advance(60)
    cloud.mutate([Mutation("searchOrgDeviceEvents", kind)])
    cloud.collect()
    calls = cloud.transport.by_operation
    assert calls["searchOrgDeviceEvents"] <= (2 if kind == "looping_next" else EVENTS_CALLS_PER_COLLECTION)
    assert sum(calls.values()) <= TABLE_CALL_BUDGET + EVENTS_CALLS_PER_COLLECTION
    assert cloud.conn.pool.rate_limited_until() is None
    status, body = cloud.gateways()
    assert status == 200 and len(body["data"]["gateways"]) == GATEWAYS
    events = incomplete_of(body, "device_events")
    assert ("repeated" if kind == "looping_next" else "budget") in events["why"]


# ----- 3. unreadable gateway stats are an error, never an empty table -------------------------------

UNREADABLE = ["html_200", "empty_200", "no_content_204", "truncated", "object"]


@pytest.mark.parametrize("kind", UNREADABLE)
def test_unreadable_gateway_stats_without_a_snapshot_is_an_error_with_its_cause(cloud, kind):
    cloud.mutate([Mutation("listOrgDevicesStats", kind)])
    cloud.collect()
    answers = every_route(cloud)
    status, body = answers["/api/gateways"]
    assert status == 502, body
    assert "listOrgDevicesStats" in body["error"] and body["success"] is False


@pytest.mark.parametrize("kind", UNREADABLE)
def test_unreadable_gateway_stats_serves_the_previous_snapshot_stale_with_its_cause(cloud, kind):
    before = settle(cloud)
    cloud.advance(60)
    cloud.mutate([Mutation("listOrgDevicesStats", kind)])
    cloud.collect()
    every_route(cloud)
    status, body = cloud.gateways()
    assert status == 200 and body["stale"] is True
    assert "listOrgDevicesStats" in body["stale_reason"]
    assert len(body["data"]["gateways"]) == GATEWAYS and body["as_of"] == before["as_of"]


# ----- 3. incomplete, never silently short ----------------------------------------------------------


def test_a_failed_page_2_is_named_in_incomplete(cloud, monkeypatch):
    monkeypatch.setattr(mist_connection, "PAGE_LIMIT", 5)  # 12 gateways: pages of 5, 5 and 2

    def page_2_fails(response, query):
        if "page=2" in query.split("&"):
            response.status_code = 503
            set_body(response, {"detail": "simulated 503"})

    cloud.mutate(listOrgDevicesStats=page_2_fails)
    cloud.collect()
    status, body = cloud.gateways()
    assert status == 200 and body["stale"] is False
    assert len(body["data"]["gateways"]) == 7
    stats = incomplete_of(body, "listOrgDevicesStats")
    assert (stats["got"], stats["total"]) == (7, GATEWAYS)
    assert stats["why"].startswith("page 2 of 3 failed") and "503" in stats["why"]


def test_a_missing_total_is_named_in_incomplete(cloud, monkeypatch):
    monkeypatch.setattr(mist_connection, "PAGE_LIMIT", 5)
    cloud.mutate([Mutation("listOrgDevicesStats", "missing_total")])
    cloud.collect()
    status, body = cloud.gateways()
    assert status == 200
    stats = incomplete_of(body, "listOrgDevicesStats")
    assert stats["got"] == len(body["data"]["gateways"]) == 5 and stats["total"] is None
    assert "X-Page-Total missing" in stats["why"]


def test_fewer_rows_than_announced_is_named_in_incomplete(cloud):
    cloud.mutate([Mutation("listOrgDevicesStats", "lying_total", value="15")])
    cloud.collect()
    status, body = cloud.gateways()
    stats = incomplete_of(body, "listOrgDevicesStats")
    assert (stats["got"], stats["total"]) == (GATEWAYS, 15) and f"{GATEWAYS} of 15" in stats["why"]


@pytest.mark.parametrize("answer", ["three_rows_that_add_up", "empty_list_without_total"])
def test_a_short_answer_never_replaces_a_fuller_snapshot_without_saying_so(cloud, answer):
    """An answer that is consistent in itself (3 rows, ``X-Page-Total: 3``; or ``[]`` and no total)
    after a collection of 12: the table may show what came, but ``incomplete`` says got/total."""
    settle(cloud)
    cloud.advance(60)

    def short(response, query):
        rows = json.loads(response._content)[: 3 if answer == "three_rows_that_add_up" else 0]
        set_body(response, rows)
        if rows:
            response.headers["X-Page-Total"] = str(len(rows))
        else:
            response.headers.pop("X-Page-Total", None)

    cloud.mutate(listOrgDevicesStats=short)
    cloud.collect()
    status, body = cloud.gateways()
    assert status == 200
    shown = len(body["data"]["gateways"])
    assert shown < GATEWAYS
    stats = incomplete_of(body, "listOrgDevicesStats")
    assert (stats["got"], stats["total"]) == (shown, GATEWAYS), stats
    assert f"{shown} of {GATEWAYS}" in stats["why"]


# ----- 4. reference data and identity ---------------------------------------------------------------

BAD_SELF = [
    "html_200",
    "number",
    "no_content_204",
    "http_500",
    "malformed_privileges_no_org",
    "privilege_scope_not_a_string",
    "privilege_scope_unknown",
]


def bad_self(cloud: HostileCloud, kind: str) -> None:
    if kind == "malformed_privileges_no_org":  # every privilege malformed: no org can be read from it

        def privileges(response, query):
            set_body(response, {"privileges": [{"scope": "org", "org_id": {"$oid": "5f1e"}}, 7, None]})

        cloud.mutate(getSelf=privileges)
    elif kind.startswith("privilege_scope_"):

        def scope(response, query):
            data = json.loads(response._content)
            for privilege in data["privileges"]:
                privilege["scope"] = {"v": [privilege["scope"]]} if kind.endswith("string") else "text"
            set_body(response, data)

        cloud.mutate(getSelf=scope)
    else:
        cloud.mutate([Mutation("getSelf", kind)])


@pytest.mark.parametrize("kind", BAD_SELF)
def test_a_bad_self_answer_keeps_the_org_and_is_retried_within_a_minute(cloud, kind):
    settle(cloud)
    cloud.advance(IDENTITY_TTL + 1)  # /self is due again
    bad_self(cloud, kind)
    cloud.collect()
    answers = every_route(cloud)
    status, body = answers["/api/gateways"]
    assert status == 200 and body["org_id"] == cloud.org_id and body["stale"] is False
    assert len(body["data"]["gateways"]) == GATEWAYS
    assert answers["/api/organizations"][1]["data"][0]["org_id"] == cloud.org_id
    assert answers["/api/organization"][0] == 200
    collector = cloud.collector
    assert collector.orgs_ref.error
    assert collector.orgs_ref.next_try - collector.clock() <= 60
    cloud.heal()
    cloud.advance(FIRST_RETRY + 1)
    cloud.collect()
    assert cloud.transport.by_operation.get("getSelf") == 1, "not retried within a minute"
    assert collector.orgs_ref.error is None


@pytest.mark.parametrize("kind", BAD_SELF)
def test_a_bad_first_self_answer_is_not_an_unknown_org(cloud, kind):
    bad_self(cloud, kind)
    cloud.collect()
    answers = every_route(cloud)
    status, body = answers["/api/gateways"]
    assert status in (502, 503) and status != 404, body
    cloud.heal()
    cloud.advance(FIRST_RETRY + 1)
    cloud.collect()
    status, body = cloud.gateways()
    assert status == 200 and len(body["data"]["gateways"]) == GATEWAYS


@pytest.mark.parametrize(
    ("operation", "source"),
    [
        ("listOrgSites", "sites"),
        ("listOrgGatewayTemplates", "templates"),
        ("listOrgDeviceProfiles", "profiles"),
        ("getOrgInventory", "inventory"),
    ],
)
def test_a_bad_reference_answer_is_kept_and_said(cloud, operation, source):
    before = settle(cloud)
    sites_before = cloud.get("/api/sites")[1]["data"]
    cloud.advance(REFERENCE_TTL + 1)  # reference data is due again
    cloud.mutate([Mutation(operation, "html_200")])
    cloud.collect()
    answers = every_route(cloud)
    status, body = answers["/api/gateways"]
    assert status == 200 and body["stale"] is False
    kept = incomplete_of(body, source)
    assert kept["why"].startswith("kept from earlier:") and operation in kept["why"]
    assert answers["/api/sites"][1]["data"] == sites_before
    names = lambda rows: [(r["id"], r["site_name"]) for r in rows]  # noqa: E731
    assert names(body["data"]["gateways"]) == names(before["data"]["gateways"])
    ref = cloud.state().refs[source]
    assert ref.next_try - cloud.collector.clock() <= 60


# ----- 5. typed shaping: no payload shape produces a 5xx --------------------------------------------


def peer_values(value):
    def rewrite(response, query):
        stats = json.loads(response._content)
        for stat in stats:
            for path in stat.get("vpn_peers") or []:
                path["latency"] = path["loss"] = path["jitter"] = value
                path["mos"] = value
        response._content = json.dumps(stats, allow_nan=True).replace('"1e400"', "1e400").encode()

    return rewrite


def insight_values(value):
    def rewrite(response, query):
        data = json.loads(response._content)
        for key, series in list(data.items()):
            if isinstance(series, list) and key != "rt":
                data[key] = [value for _ in series]
        response._content = json.dumps(data, allow_nan=True).replace('"1e400"', "1e400").encode()

    return rewrite


def event_values(response, query):
    """Device events whose type is an object (unhashable) or whose timestamp has 400 digits."""
    data = json.loads(response._content)
    for number, event in enumerate(data.get("results") or []):
        if number % 2:
            event["type"] = {"$oid": "5f1e"}
        else:
            event["timestamp"] = 10**400
    set_body(response, data)


HUGE = ["1e400", 10**400, float("nan"), float("inf"), float("-inf")]
FIVE_HUNDREDS = [
    ("list_answering_a_number", [Mutation("listOrgSites", "number")], {}),
    ("list_answering_an_object", [Mutation("listOrgSites", "object")], {}),
    ("stats_answering_a_number", [Mutation("listOrgDevicesStats", "number")], {}),
    ("gateway_ids_that_are_objects", [Mutation("listOrgDevicesStats", "ids_as_objects")], {}),
    ("site_ids_that_are_objects", [Mutation("listOrgSites", "ids_as_objects")], {}),
    ("inventory_ids_that_are_objects", [Mutation("getOrgInventory", "ids_as_objects")], {}),
    ("site_names_not_strings", [Mutation("listOrgSites", "names_not_strings")], {}),
    ("gateway_names_not_strings", [Mutation("listOrgDevicesStats", "names_not_strings")], {}),
    ("malformed_privileges", [Mutation("getSelf", "malformed_privileges")], {}),
    ("wrong_types_in_stats", [Mutation("listOrgDevicesStats", "wrong_types")], {}),
    ("events_with_huge_numbers", [Mutation("searchOrgDeviceEvents", "huge_numbers")], {}),
    ("events_with_object_types_and_huge_times", [], {"searchOrgDeviceEvents": event_values}),
    *[(f"peer_values_{v!r:.12}", [], {"listOrgDevicesStats": peer_values(v)}) for v in HUGE],
    *[(f"insights_{v!r:.12}", [], {"getSiteInsightMetricsForGateway": insight_values(v)}) for v in HUGE],
]


@pytest.mark.parametrize(("name", "mutations", "scripts"), FIVE_HUNDREDS, ids=[c[0] for c in FIVE_HUNDREDS])
def test_payloads_that_caused_500s_give_no_5xx_and_strict_json(cloud, bugs, name, mutations, scripts):
    for previous in (False, True):  # without a snapshot yet, and over a good one
        if previous:
            cloud.refresh_everything()
            settle(cloud)
            cloud.refresh_everything()
        cloud.mutate(mutations, seed=1, **scripts)
        cloud.collect()
        cloud.enrich(site.id for site in cloud.sim.org().sites[:2])
        every_route(cloud)
        cloud.heal()
    assert bugs() == []


def test_huge_peer_values_reach_the_page_blank_not_as_invalid_json(cloud):
    cloud.mutate(listOrgDevicesStats=peer_values("1e400"))
    cloud.collect()
    status, body = cloud.gateways()
    assert status == 200 and len(body["data"]["gateways"]) == GATEWAYS
    row = next(r for r in body["data"]["gateways"] if cloud.snapshot().peer_paths(r["id"]))
    paths = cloud.get(f"/api/gateway/{row['id']}/vpn_peers")[1]["data"]
    assert paths and all(p["latency"] is None and p["loss"] is None for p in paths)


def test_huge_insights_values_make_a_chart_without_them(cloud):
    cloud.collect()
    row = next(r for r in cloud.snapshot().gateways if r["ports"] and r["site_id"])
    port = row["ports"][0]["name"]
    cloud.mutate(getSiteInsightMetricsForGateway=insight_values(10**400))
    status, body, _ = cloud.get(f"/api/gateway/{row['id']}/port/{port}/traffic?duration=1h")
    assert status == 200 and body["data"]["timestamps"]
    assert all(v is None for v in body["data"]["rx_bps"])


# ----- 6. enrichment --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "answer"),
    [("listSiteDevices", 42), ("listSiteDevices", {"not": "a list"}), ("getSiteSetting", {"vars": [1]})],
)
def test_a_malformed_site_answer_skips_that_site_and_retries_it_later(cloud, operation, answer):
    cloud.collect()
    sites = [site for site in cloud.sim.org().sites if site.gateways][:3]
    bad, good = sites[0], sites[1:]

    def malformed(response, query):
        if f"/sites/{bad.id}/" in response.url:
            set_body(response, answer)

    cloud.mutate(**{operation: malformed})
    cloud.enrich(site.id for site in sites)
    enricher = cloud.collector.enricher
    status = enricher.status(cloud.org_id)
    assert status["sites_failing"] == 1 and status["sites_done"] == len(good)
    configs = enricher.known_configs(cloud.org_id)
    assert {g.id for s in good for g in s.gateways} <= set(configs)
    assert not {g.id for g in bad.gateways} & set(configs)
    cloud.collect()  # rows of the enriched sites have their variables, the bad site's are pending
    pending = {r["site_id"]: r["vars_pending"] for r in cloud.snapshot().gateways}
    assert pending[bad.id] is True and all(pending[s.id] is False for s in good)

    # Retried after RETRY_FAILED_AFTER (minutes), not after REFRESH_AFTER (hours); the others wait.
    assert RETRY_FAILED_AFTER < REFRESH_AFTER / 10
    cloud.heal()
    assert enricher._next_job() is None or enricher._next_job()[1] != bad.id
    real_clock = enricher._clock
    enricher._clock = lambda: real_clock() + RETRY_FAILED_AFTER + 1
    assert enricher._next_job() == (cloud.org_id, bad.id)
    cloud.enrich([bad.id])
    assert enricher.status(cloud.org_id)["sites_failing"] == 0
    assert {g.id for g in bad.gateways} <= set(enricher.known_configs(cloud.org_id))


# ----- 5. duplicates ----------------------------------------------------------------------------


def test_two_gateways_with_the_same_id_make_one_row_counted_in_incomplete(cloud):
    truth = {g.id: {p.interface for p in g.wan_ports} for g in cloud.sim.org().gateways}

    def same_id(response, query):
        stats = json.loads(response._content)
        stats[1]["id"] = stats[0]["id"]
        set_body(response, stats)

    cloud.mutate(listOrgDevicesStats=same_id)
    cloud.collect()
    status, body = cloud.gateways()
    rows = body["data"]["gateways"]
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)) == GATEWAYS - 1
    stats = incomplete_of(body, "listOrgDevicesStats")
    assert "1 duplicate gateway id merged" in stats["why"]
    assert (stats["got"], stats["total"]) == (GATEWAYS - 1, GATEWAYS)
    # The kept row has the ports of one of the two gateways, never a mix of both.
    for row in rows:
        names = {p["name"] for p in row["ports"]}
        assert any(names <= ports for ports in truth.values()), (row["id"], names)


def test_a_page_of_duplicated_gateways_is_one_row_each(cloud):
    cloud.mutate([Mutation("listOrgDevicesStats", "duplicates")])
    cloud.collect()
    status, body = cloud.gateways()
    ids = [r["id"] for r in body["data"]["gateways"]]
    assert len(ids) == len(set(ids)) == GATEWAYS
    assert "duplicate gateway ids merged" in incomplete_of(body, "listOrgDevicesStats")["why"]
