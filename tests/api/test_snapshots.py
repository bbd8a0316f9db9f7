"""Immutable snapshots: ETag/304, gzip, versions, memory bound, readers during collections, status."""

from __future__ import annotations

import csv
import gc
import gzip
import io
import json
import threading
import weakref

from circuitstats.snapshot import PeerPathsByGateway, Snapshot
from tests.support.apps import collect, runtime_of, simulator_of, snapshot_of


def test_etag_304_and_gzip_of_the_prebuilt_table(client, demo_app):
    first = client.get("/api/gateways", headers={"Accept-Encoding": "gzip"})
    assert first.status_code == 200 and first.headers["Content-Encoding"] == "gzip"
    etag = first.headers["ETag"]
    again = client.get("/api/gateways", headers={"If-None-Match": etag, "Accept-Encoding": "gzip"})
    assert again.status_code == 304 and again.data == b""
    plain = client.get("/api/gateways")
    assert "Content-Encoding" not in plain.headers
    assert json.loads(gzip.decompress(first.data)) == plain.get_json()
    collect(demo_app)
    after = client.get("/api/gateways", headers={"If-None-Match": etag})
    assert after.status_code == 200, "a new collection is a new version with a new ETag"
    assert after.headers["ETag"] != etag
    assert after.get_json()["version"] > plain.get_json()["version"]


def test_only_two_snapshot_versions_stay_alive(make_demo_app):
    app = make_demo_app(extra={"collect": False})
    seen: list[weakref.ref] = []
    for _ in range(6):
        for snapshot in collect(app):
            seen.append(weakref.ref(snapshot))
    gc.collect()
    alive = [ref() for ref in seen if ref() is not None]
    assert 1 <= len(alive) <= 2, f"{len(alive)} snapshots alive"
    assert snapshot_of(app) in alive


def test_readers_never_see_a_half_built_table(make_demo_app):
    app = make_demo_app(demo_gateways=120)
    client = app.test_client()
    stop = threading.Event()
    problems: list[str] = []
    versions: list[int] = []

    def read() -> None:
        reader = app.test_client()
        while not stop.is_set():
            body = reader.get("/api/gateways").get_json()
            versions.append(body["version"])
            rows = body["data"]["gateways"]
            if len(rows) != 120 or body["data"]["summary"]["gateways"] != 120:
                problems.append(f"{len(rows)} rows in version {body['version']}")

    threads = [threading.Thread(target=read) for _ in range(3)]
    for thread in threads:
        thread.start()
    for _ in range(4):
        collect(app)
    stop.set()
    for thread in threads:
        thread.join()
    assert problems == []
    assert len(set(versions)) >= 2, "the readers saw collections happen"
    assert client.get("/api/gateways").get_json()["version"] >= max(versions)


def test_problems_route_is_prebuilt_and_ordered(client, demo_app):
    response = client.get("/api/problems", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["Content-Encoding"] == "gzip"
    body = json.loads(gzip.decompress(response.data))
    data = body["data"]
    assert body["success"] is True and body["version"] == snapshot_of(demo_app).version
    assert data["total"] == len(data["problems"]) == sum(data["counts"].values())
    assert data["thresholds"]["utilisation_percent"] == 80.0 or data["thresholds"]
    order = {"critical": 0, "major": 1, "minor": 2}
    ranks = [order[p["severity"]] for p in data["problems"]]
    assert ranks == sorted(ranks)
    disconnected = {
        g["id"]
        for g in client.get("/api/gateways").get_json()["data"]["gateways"]
        if g["status"] != "connected"
    }
    flagged = {p["gateway_id"] for p in data["problems"] if p["kind"] == "gateway_disconnected"}
    assert flagged == disconnected
    etag = response.headers["ETag"]
    assert client.get("/api/problems", headers={"If-None-Match": etag}).status_code == 304


def test_status_shows_the_collector(client, demo_app):
    status = client.get("/api/status").get_json()["data"]["collector"]
    org = status["orgs"][simulator_of(demo_app).org_id]
    assert status["is_holder"] is True and status["holder"] == status["me"]
    assert org["last_success"] and org["last_error"] is None
    assert org["next_run"] >= org["last_attempt"]
    assert set(org["last_collection_phases"]) >= {"stats_fetched", "shaped", "serialized"}
    assert (
        sum(t["calls"] for t in status["tokens"])
        == status["upstream_calls"]
        == simulator_of(demo_app).calls()["total"]
    )
    by_endpoint = {(e["endpoint"], e["status"]): e["calls"] for e in status["upstream_calls_by_endpoint"]}
    assert by_endpoint[("listOrgDevicesStats", "200")] >= 1


def test_first_start_publishes_the_table_then_the_history(make_demo_app):
    app = make_demo_app(extra={"collect": False})
    published: list[Snapshot] = []
    store = runtime_of(app).store
    original = store.publish
    store.publish = lambda snapshot: (published.append(snapshot), original(snapshot))[-1]
    collect(app)
    assert len(published) == 2
    first, final = published
    assert any(i["source"] == "device_events" for i in first.incomplete)
    assert first.problems == [] and final.problems
    assert first.problems_pending is True and final.problems_pending is False
    assert json.loads(first.problems_body)["data"]["pending"] is True
    # The two versions share the row dicts (no second copy of the table): the history goes beside
    # them, so the published first version is never modified.
    assert first.gateways is final.gateways
    assert all("flaps_24h" not in p for g in first.gateways for p in g["ports"])
    first_ports = [p for g in json.loads(first.body)["data"]["gateways"] for p in g["ports"]]
    assert first_ports and all("flaps_24h" not in p for p in first_ports)
    final_ports = [p for g in json.loads(final.body)["data"]["gateways"] for p in g["ports"]]
    assert len(final_ports) == len(first_ports)
    assert all({"flaps_24h", "flaps_7d", "availability_7d"} <= set(p) for p in final_ports)
    assert any(p["flaps_24h"] for p in final_ports), "the seeded org has flapping ports"


def test_peer_paths_are_kept_as_json_and_decoded_per_gateway(make_demo_app):
    """The collector encodes each gateway's paths once; problems and the route decode them."""
    app = make_demo_app(demo_gateways=20)
    snapshot = snapshot_of(app)
    with_paths = [gid for gid, raw in snapshot.peers.items() if raw != b"[]"]
    assert with_paths and all(isinstance(raw, bytes) for raw in snapshot.peers.values())
    decoded = PeerPathsByGateway(snapshot.peers)
    assert len(decoded) == len(snapshot.peers) and set(decoded) == set(snapshot.peers)
    gid = with_paths[0]
    assert decoded[gid] == json.loads(snapshot.peers[gid]) == snapshot.peer_paths(gid)
    assert decoded.get("no-such-gateway", ()) == ()
    assert PeerPathsByGateway({"g": [{"up": True}]})["g"] == [{"up": True}]  # lists pass through


def test_history_beside_the_rows_reaches_the_filtered_answer_and_the_csv(demo_app, client):
    """Flap counts live in ``port_history``, not in the rows: every way out must merge them."""
    whole = client.get("/api/gateways").get_json()["data"]["gateways"]
    flapping = next(g for g in whole if any(p["flaps_24h"] for p in g["ports"]))
    answer = client.get("/api/gateways", query_string={"q": flapping["name"]}).get_json()
    filtered = answer["data"]["gateways"]
    assert next(g for g in filtered if g["id"] == flapping["id"])["ports"] == flapping["ports"]
    lines = list(csv.DictReader(io.StringIO(client.get("/api/export.csv").get_data(as_text=True))))
    mine = [line for line in lines if line["Router Hostname"] == flapping["name"]]
    assert len(mine) == len(flapping["ports"])
    expected = sorted(str(p["flaps_24h"]) for p in flapping["ports"])
    assert sorted(line["Flaps 24h"] for line in mine) == expected


def test_problems_keep_when_they_were_first_seen_from_one_snapshot_to_the_next(make_demo_app):
    from circuitstats.problems import problem_key

    app = make_demo_app(extra={"collect": False})
    [first] = collect(app)
    [second] = collect(app)
    assert second.as_of > first.as_of
    seen_first = {problem_key(p): p["first_seen"] for p in first.problems}
    assert seen_first and set(seen_first.values()) == {first.as_of}, "all new in the first collection"
    kept = [p for p in second.problems if problem_key(p) in seen_first]
    assert kept and len(kept) == len(second.problems), "the same org a moment later: the same problems"
    assert all(p["first_seen"] == seen_first[problem_key(p)] for p in kept)
    served = app.test_client().get("/api/problems").get_json()["data"]["problems"]
    assert {p["first_seen"] for p in served} == {first.as_of}


def test_a_week_larger_than_one_collections_budget_is_read_newest_first(make_demo_app):
    """The first read goes newest first: the last day is right after one collection, the 7-day
    figures are unknown (None, not 0) until later collections have read back a whole week."""
    import time

    frozen = float(int(time.time()))
    apps = {}
    for budget in (2, 30):  # 2 calls cannot read this org's week (about 7 pages) at once; 30 can
        app = make_demo_app(demo_gateways=1000, extra={"collect": False})
        simulator_of(app)._fixed_now = frozen
        runtime_of(app).collector.clock = lambda: frozen
        runtime_of(app).collector.hooks["triage"].calls_per_collection = budget
        apps[budget] = app

    def events_entry(snapshot):
        return next((i for i in snapshot.incomplete if i["source"] == "device_events"), None)

    [whole] = collect(apps[30])
    assert events_entry(whole) is None
    [first] = collect(apps[2])
    assert "read back to" in events_entry(first)["why"]
    assert first.port_history.keys() == whole.port_history.keys()
    day = [(g, [p[0] for p in ports]) for g, ports in first.port_history.items()]
    assert day == [(g, [p[0] for p in ports]) for g, ports in whole.port_history.items()]
    assert any(any(flaps for flaps, _, _ in ports) for ports in whole.port_history.values())
    assert {(p[1], p[2]) for ports in first.port_history.values() for p in ports} == {(None, None)}
    collections = 1
    latest = first
    while events_entry(latest) is not None:
        [latest] = collect(apps[2])
        collections += 1
        assert collections <= 8, "each collection reads further back"
    assert collections >= 3
    assert latest.port_history == whole.port_history
    assert simulator_of(apps[2]).calls()["by_operation"]["searchOrgDeviceEvents"] <= 2 * collections
