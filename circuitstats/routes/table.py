"""The table's routes: everything here is answered from the current snapshot, never from Mist."""

from __future__ import annotations

import time

from flask import Blueprint, g

import csv_export
from circuitstats import search
from circuitstats.collector import NotReady
from circuitstats.routes.answers import (
    csv_download,
    from_snapshot,
    json_response,
    problems_body,
    runtime,
    snapshot_body,
)
from circuitstats.routes.params import query_param, uuid_param
from circuitstats.snapshot import Snapshot

table = Blueprint("table", __name__)

FIRST_SNAPSHOT_WAIT = 20.0  # a first request waits this long for the first collection, then sees progress


class NotConfigured(Exception):
    def __init__(self, setup_error: str | None):
        super().__init__(
            setup_error
            or "not configured: set MIST_APITOKEN (and MIST_HOST for your region) "
            "or run in demo mode (MIST_DEMO=1)"
        )


def need_runtime():
    rt = runtime()
    if rt is None or rt.collector is None:
        raise NotConfigured(rt.setup_error if rt else None)
    return rt


def org() -> str:
    g.org_id = need_runtime().collector.resolve_org(uuid_param("org_id"))
    return g.org_id


def current_snapshot() -> Snapshot:
    """The org's current snapshot, waiting a little for the very first one; NotReady otherwise."""
    rt, org_id = need_runtime(), org()
    snapshot = rt.store.current(org_id)
    if snapshot is None:
        rt.collector.wake()
        rt.collector.wait_first(org_id, FIRST_SNAPSHOT_WAIT)
        snapshot = rt.store.current(org_id)
    if snapshot is None:
        raise rt.collector.not_ready(org_id)
    return snapshot


@table.get("/api/status")
def status():
    rt = need_runtime()
    data = {"collector": rt.collector.status(), "details": rt.details.status(), "demo": rt.settings.demo}
    return json_response({"success": True, "data": data, "as_of": time.time(), "stale": False})


@table.get("/api/organizations")
def organizations():
    orgs = need_runtime().collector.known_orgs()
    if orgs is None:
        raise NotReady("the list of organizations is not read yet: retry shortly")
    return json_response({"success": True, "data": orgs, "as_of": time.time(), "stale": False})


@table.get("/api/organization")
def organization():
    snapshot = current_snapshot()
    data = {"org_id": snapshot.org_id, "name": snapshot.org_name, "demo": need_runtime().settings.demo}
    return from_snapshot(snapshot, data)


@table.get("/api/sites")
def sites():
    snapshot = current_snapshot()
    return from_snapshot(snapshot, snapshot.sites)


@table.get("/api/gateways")
def gateways():
    snapshot = current_snapshot()
    site_id, query = uuid_param("site_id"), query_param()
    if not site_id and not query:
        return snapshot_body(snapshot)
    rows = search.filter_rows(snapshot.gateways, site_id=site_id, query=query)
    return from_snapshot(snapshot, snapshot.data(rows))


@table.get("/api/problems")
def problems():
    """What is wrong now, most severe first, with counts per kind and the thresholds in force."""
    return problems_body(current_snapshot())


@table.get("/api/export.csv")
def export_csv():
    snapshot = current_snapshot()
    rows = search.filter_rows(snapshot.gateways, site_id=uuid_param("site_id"), query=query_param())
    return csv_download(csv_export.circuit_csv(snapshot.shown(rows)), "mist_circuits")
