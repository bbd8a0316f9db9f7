"""/metrics from hand-built snapshots: names, labels, units, unknown values, escaping, caching.

Values are read back with prometheus_client's own parser, so a test checks what Prometheus would
store, not a substring of the text.
"""

from __future__ import annotations

import gzip
import math
import os
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from circuitstats import metrics as metrics_module
from circuitstats.metrics import CollectionMetrics, MetricsExposition, SnapshotCollector
from circuitstats.snapshot import Snapshot
from tests.metrics.conftest import RENDER_WAIT, OneOrgStore, StatusStub
from tests.support.rows import gateway_row, port_row

GW_ID = "0b7c1d2e-0000-4000-8000-000000000001"


def port(name="ge-0/0/0", **fields) -> dict:
    return port_row(
        {
            "name": name,
            "wan_name": "INET",
            "enabled": True,
            "up": True,
            "type": "DHCP",
            "peers_up": 2,
            "peers_total": 3,
            "rx_bytes": 1_000,
            "tx_bytes": 2_000,
            "speed": 1000,
            "rx_bps": 8_000_000,
            "tx_bps": 16_000,
            "last_flapped": 1_700_000_000,
        },
        **fields,
    )


def gateway(ports, **fields) -> dict:
    return gateway_row(
        {
            "id": GW_ID,
            "name": "br1-gw1",
            "site_id": "s1",
            "site_name": "Branch 1",
            "model": "SRX320",
            "status": "connected",
            "uptime": 3600,
            "mac": "001122334455",
            "ports": ports,
        },
        **fields,
    )


def snapshot(gateways, **fields) -> Snapshot:
    values = {
        "version": 1,
        "org_id": "org-1",
        "org_name": "Acme",
        "as_of": 1_700_000_100.0,
        "gateways": gateways,
        "index": {g["id"]: g for g in gateways if g["id"]},
        "peers": {},
        "summary": {},
    }
    values.update(fields)
    return Snapshot(**values)


def parse(text: bytes | str) -> dict[str, list]:
    """name -> [(labels, value)] of every sample, as Prometheus' text parser reads them."""
    text = text.decode() if isinstance(text, bytes) else text
    out: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((sample.labels, sample.value))
    return out


def only(samples: dict, name: str, **labels) -> float:
    found = [v for lab, v in samples.get(name, []) if all(lab.get(k) == val for k, val in labels.items())]
    assert len(found) == 1, f"{name} {labels}: {found}"
    return found[0]


def scrape(store, status=None, **kwargs) -> dict:
    return parse(MetricsExposition(store, status, **{"wait_seconds": RENDER_WAIT, **kwargs}).body())


def test_every_listed_metric_with_its_labels_and_base_units():
    samples = scrape(OneOrgStore(snapshot([gateway([port()])])))
    labels = {
        "org": "Acme",
        "site": "Branch 1",
        "gateway": "br1-gw1",
        "gateway_id": GW_ID,
        "port": "ge-0/0/0",
        "wan_name": "INET",
    }
    gw_labels = {k: labels[k] for k in ("org", "site", "gateway", "gateway_id")}
    assert samples["mist_gateway_connected"] == [(gw_labels, 1.0)]
    assert samples["mist_gateway_uptime_seconds"] == [(gw_labels, 3600.0)]
    assert samples["mist_wan_port_up"] == [(labels, 1.0)]
    assert samples["mist_wan_port_enabled"] == [(labels, 1.0)]
    assert samples["mist_wan_port_speed_bytes_per_second"] == [(labels, 125_000_000.0)]  # 1000 Mbps
    assert samples["mist_wan_port_rx_bytes_total"] == [(labels, 1000.0)]
    assert samples["mist_wan_port_tx_bytes_total"] == [(labels, 2000.0)]
    assert samples["mist_wan_port_rx_bytes_per_second"] == [(labels, 1_000_000.0)]  # 8 Mbit/s
    assert samples["mist_wan_port_tx_bytes_per_second"] == [(labels, 2000.0)]
    assert samples["mist_wan_port_last_flap_timestamp_seconds"] == [(labels, 1_700_000_000.0)]
    assert only(samples, "mist_wan_port_peer_paths", state="up") == 2.0
    assert only(samples, "mist_wan_port_peer_paths", state="down") == 1.0
    assert samples["mistcircuitstats_snapshot_timestamp_seconds"] == [({"org": "Acme"}, 1_700_000_100.0)]
    assert samples["mistcircuitstats_snapshot_incomplete"] == [({"org": "Acme"}, 0.0)]


def test_counters_are_typed_counter_and_nothing_carries_a_timestamp():
    body = (
        MetricsExposition(OneOrgStore(snapshot([gateway([port()])])), wait_seconds=RENDER_WAIT)
        .body()
        .decode()
    )
    assert "# TYPE mist_wan_port_rx_bytes_total counter" in body
    assert "# TYPE mistcircuitstats_collection_duration_seconds histogram" in body
    assert "# TYPE mist_wan_port_up gauge" in body
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            assert sample.timestamp is None, sample  # documented: Prometheus stamps at scrape time


def test_unknown_values_give_no_sample_never_zero():
    unknown = port(
        up=None,
        enabled=None,
        speed=None,
        rx_bytes=None,
        tx_bytes=None,
        rx_bps=None,
        tx_bps=None,
        last_flapped=None,
        peers_up=None,
        peers_total=None,
    )
    samples = scrape(OneOrgStore(snapshot([gateway([unknown], status=None, uptime=None)])))
    for name in (
        "mist_gateway_connected",
        "mist_gateway_uptime_seconds",
        "mist_wan_port_up",
        "mist_wan_port_enabled",
        "mist_wan_port_speed_bytes_per_second",
        "mist_wan_port_rx_bytes_total",
        "mist_wan_port_rx_bytes_per_second",
        "mist_wan_port_last_flap_timestamp_seconds",
        "mist_wan_port_peer_paths",
    ):
        assert name not in samples, name


def test_port_rows_without_the_new_fields_still_export_the_rest():
    """Rows from before rx_bps/tx_bps/last_flapped existed (plain PortRow) export what they have."""
    old = port()
    for field in ("rx_bps", "tx_bps", "last_flapped"):
        del old[field]
    samples = scrape(OneOrgStore(snapshot([gateway([old])])))
    assert "mist_wan_port_rx_bytes_per_second" not in samples
    assert only(samples, "mist_wan_port_up") == 1.0


def test_disconnected_gateway_down_port_and_bool_not_taken_for_numbers():
    row = gateway([port(up=False, enabled=False, speed=True, rx_bytes=float("nan"))], status="disconnected")
    samples = scrape(OneOrgStore(snapshot([row])))
    assert only(samples, "mist_gateway_connected") == 0.0
    assert only(samples, "mist_wan_port_up") == 0.0
    assert only(samples, "mist_wan_port_enabled") == 0.0
    assert "mist_wan_port_speed_bytes_per_second" not in samples  # True is not 1 Mbps
    assert "mist_wan_port_rx_bytes_total" not in samples  # NaN is not a count


def test_history_gives_flaps_and_availability_as_a_ratio():
    history = {
        f"{GW_ID}|ge-0/0/0": {"flaps_24h": 4, "flaps_7d": 9, "availability_7d": 99.5},
        f"{GW_ID}|ge-0/0/1": {"flaps_24h": None, "availability_7d": None},
    }
    samples = scrape(OneOrgStore(snapshot([gateway([port(), port("ge-0/0/1")])], history=history)))
    assert only(samples, "mist_wan_port_flaps_24h", port="ge-0/0/0") == 4.0
    assert only(samples, "mist_wan_port_availability_ratio_7d", port="ge-0/0/0") == pytest.approx(0.995)
    assert len(samples["mist_wan_port_flaps_24h"]) == 1  # None history: no sample


def test_label_values_with_quotes_backslashes_newlines_and_unicode_round_trip():
    hostile = 'br"1\\gw\n<script>é'
    row = gateway([port(name="ge-0/0/0.100", wan_name='WAN "a", b')], name=hostile, site_name="Zürich\\Süd")
    samples = scrape(OneOrgStore(snapshot([row], org_name='Org "X"\n')))
    labels, value = samples["mist_wan_port_up"][0]
    assert labels["gateway"] == hostile
    assert labels["site"] == "Zürich\\Süd"
    assert labels["wan_name"] == 'WAN "a", b'
    assert labels["org"] == 'Org "X"\n'
    assert value == 1.0


def test_duplicate_rows_do_not_make_duplicate_series():
    rows = [gateway([port(), port()]), gateway([port()])]  # same gateway id twice, same port twice
    samples = scrape(OneOrgStore(snapshot(rows)))
    assert len(samples["mist_wan_port_up"]) == 1
    assert len(samples["mist_gateway_connected"]) == 1


def test_every_org_of_the_store_in_one_family_each():
    store = OneOrgStore(snapshot([gateway([port()])]))
    store.publish(snapshot([gateway([port()], id="other-gw")], org_id="org-2", org_name="Beta"))
    body = MetricsExposition(store, wait_seconds=RENDER_WAIT).body().decode()
    assert body.count("# TYPE mist_wan_port_up gauge") == 1
    samples = parse(body)
    for name in ("mist_wan_port_up", "mistcircuitstats_snapshot_timestamp_seconds"):
        assert {lab["org"] for lab, _ in samples[name]} == {"Acme", "Beta"}


def test_token_cooldowns_and_upstream_calls_from_the_collector_status():
    now = time.time()
    status = StatusStub(
        tokens=[
            {"token": "abcd…wxyz", "calls": 3, "cooling_until": now + 120},
            {"token": "efgh…1234", "calls": 1, "cooling_until": None},
            {"token": "ijkl…5678", "cooling_until": now - 5},  # expired: usable
        ],
        calls=[
            {"endpoint": "listOrgDevicesStats", "status": "200", "calls": 7},
            {"endpoint": "listOrgDevicesStats", "status": "429", "calls": 1},
        ],
    )
    samples = scrape(OneOrgStore(snapshot([gateway([port()])])), status)
    cooling = dict((lab["token"], v) for lab, v in samples["mistcircuitstats_token_cooldown_seconds"])
    assert 115 < cooling["abcd…wxyz"] <= 120
    assert cooling["efgh…1234"] == 0.0 and cooling["ijkl…5678"] == 0.0
    assert only(samples, "mistcircuitstats_upstream_calls_total", status="200") == 7.0
    assert only(samples, "mistcircuitstats_upstream_calls_total", status="429") == 1.0


def test_a_failing_collector_status_leaves_the_circuit_metrics_served():
    class Broken:
        def status(self):
            raise RuntimeError("redis gone")

    samples = scrape(OneOrgStore(snapshot([gateway([port()])])), Broken())
    assert only(samples, "mist_wan_port_up") == 1.0
    assert "mistcircuitstats_token_cooldown_seconds" not in samples


def test_no_snapshot_yet_serves_only_the_app_metrics():
    samples = scrape(OneOrgStore(), StatusStub(tokens=[{"token": "t", "cooling_until": None}]))
    assert not [name for name in samples if name.startswith("mist_")]
    assert "mistcircuitstats_snapshot_timestamp_seconds" not in samples
    assert only(samples, "mistcircuitstats_token_cooldown_seconds") == 0.0


def test_collection_histogram_buckets_are_cumulative():
    histogram = CollectionMetrics(buckets=(1, 10))
    for seconds in (0.5, 3, 3, 50, -1, float("nan")):  # the last two are ignored
        histogram.observe_collection(seconds)
    store = OneOrgStore()
    samples = scrape(store, collection_metrics=histogram)
    buckets = {lab["le"]: v for lab, v in samples["mistcircuitstats_collection_duration_seconds_bucket"]}
    assert buckets == {"1.0": 1.0, "10.0": 3.0, "+Inf": 4.0}
    assert only(samples, "mistcircuitstats_collection_duration_seconds_count") == 4.0
    assert only(samples, "mistcircuitstats_collection_duration_seconds_sum") == 56.5


def test_without_a_histogram_each_new_snapshot_version_is_observed_once():
    store = OneOrgStore(snapshot([gateway([port()])], collection_seconds=2.0))
    exposition = MetricsExposition(store, wait_seconds=RENDER_WAIT)
    exposition.body()
    exposition.body()
    store.bump(collection_seconds=7.0)
    samples = parse(exposition.body())
    assert only(samples, "mistcircuitstats_collection_duration_seconds_count") == 2.0
    assert only(samples, "mistcircuitstats_collection_duration_seconds_sum") == 9.0


def test_circuit_part_rendered_once_per_snapshot_version():
    store = OneOrgStore(snapshot([gateway([port()])]))
    exposition = MetricsExposition(store, wait_seconds=RENDER_WAIT)
    for _ in range(5):
        exposition.body()
    assert exposition.renders == 1
    store.bump(gateways=[gateway([port(up=False)])])
    assert only(parse(exposition.body()), "mist_wan_port_up") == 0.0
    assert exposition.renders == 2


def test_a_slow_render_serves_the_previous_version_with_its_own_timestamp(monkeypatch, tmp_path):
    """A new snapshot whose render is still running must not stall the scrape past wait_seconds.

    The render runs in a forked child, so it is held back by a file (a threading.Event set in this
    process would never reach the child).
    """
    store = OneOrgStore(snapshot([gateway([port()])], as_of=1000.0))
    exposition = MetricsExposition(store, wait_seconds=0.05)
    exposition.prepare()  # the first version rendered, however long the fork takes here
    release = tmp_path / "release"
    real = metrics_module.snapshot_families

    def slow(*snapshots):
        deadline = time.monotonic() + 10
        while not release.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        return real(*snapshots)

    monkeypatch.setattr(metrics_module, "snapshot_families", slow)
    store.bump(as_of=2000.0, gateways=[gateway([port(up=False)])])
    started = time.perf_counter()
    samples = parse(exposition.body())
    assert time.perf_counter() - started < 2
    assert only(samples, "mist_wan_port_up") == 1.0  # previous version's rows ...
    assert only(samples, "mistcircuitstats_snapshot_timestamp_seconds") == 1000.0  # ... and its age
    release.touch()
    deadline = time.monotonic() + 10
    while exposition.renders < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    samples = parse(exposition.body())
    assert only(samples, "mist_wan_port_up") == 0.0
    assert only(samples, "mistcircuitstats_snapshot_timestamp_seconds") == 2000.0


def test_render_runs_in_a_child_process_and_matches_the_in_process_render(tmp_path, monkeypatch):
    """The forked render gives the same text as rendering here, and really runs in another process."""
    pids = tmp_path / "pids"
    real = metrics_module.snapshot_families

    def recording(*snapshots):
        with open(pids, "a", encoding="ascii") as out:
            out.write(f"{os.getpid()}\n")
        return real(*snapshots)

    monkeypatch.setattr(metrics_module, "snapshot_families", recording)
    rows = [gateway([port(), port(name="ge-0/0/1", up=False)], id="gw-2", name="b")]
    forked = MetricsExposition(OneOrgStore(snapshot(rows)), wait_seconds=RENDER_WAIT).body()
    here = MetricsExposition(OneOrgStore(snapshot(rows)), fork=False).body()
    assert forked == here
    assert b"mist_wan_port_up{" in forked
    recorded = pids.read_text(encoding="ascii").split()
    assert len(recorded) == 2 and recorded[0] != str(os.getpid()) and recorded[1] == str(os.getpid())


def test_a_failing_render_child_leaves_the_app_metrics_and_a_later_render_recovers(monkeypatch):
    store = OneOrgStore(snapshot([gateway([port()])]))
    exposition = MetricsExposition(store, wait_seconds=RENDER_WAIT)
    real = metrics_module.snapshot_families
    monkeypatch.setattr(metrics_module, "snapshot_families", lambda *s: os._exit(3))
    samples = parse(exposition.body())
    assert "mist_wan_port_up" not in samples
    assert "mistcircuitstats_snapshot_timestamp_seconds" not in samples  # no age for circuits not served
    assert "mistcircuitstats_collection_duration_seconds_count" in samples  # the app's own metrics
    monkeypatch.setattr(metrics_module, "snapshot_families", real)
    store.bump()
    assert only(parse(exposition.body()), "mist_wan_port_up") == 1.0


def test_refresh_renders_a_new_version_before_the_next_scrape_once_scraped():
    store = OneOrgStore(snapshot([gateway([port()])]))
    exposition = MetricsExposition(store, wait_seconds=RENDER_WAIT)
    exposition.refresh(1.0)
    assert exposition.renders == 0  # nobody scrapes: nothing is rendered
    exposition.body()
    assert exposition.renders == 1
    store.bump(gateways=[gateway([port(up=False)])])
    exposition.refresh(1.0)
    deadline = time.monotonic() + 10
    while exposition.renders < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert exposition.renders == 2  # rendered without a scrape asking for it
    assert only(parse(exposition.body()), "mist_wan_port_up") == 0.0
    assert exposition.renders == 2


def test_registry_collector_reads_the_store_at_collect_time():
    from prometheus_client import CollectorRegistry, generate_latest

    store = OneOrgStore()
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(store))  # registering must not need a snapshot
    assert b"mist_wan_port_up{" not in generate_latest(registry)
    store.publish(snapshot([gateway([port()])]))
    assert only(parse(generate_latest(registry)), "mist_wan_port_up") == 1.0


def test_route_content_type_gzip_and_plain(metrics_app, demo40):
    app, _ = metrics_app(OneOrgStore(demo40), StatusStub())
    client = app.test_client()
    zipped = client.get("/metrics", headers={"Accept-Encoding": "gzip"})
    plain = client.get("/metrics", headers={"Accept-Encoding": "identity"})
    assert zipped.status_code == plain.status_code == 200
    from prometheus_client import CONTENT_TYPE_LATEST

    assert zipped.headers["Content-Type"] == plain.headers["Content-Type"] == CONTENT_TYPE_LATEST
    assert zipped.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain.headers
    assert gzip.decompress(zipped.data) == plain.data  # the two gzip members decode as one stream
    refused = client.get("/metrics", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in refused.headers
    samples = parse(plain.data)
    ports = sum(len(g["ports"]) for g in demo40.gateways)
    assert len(samples["mist_wan_port_rx_bytes_total"]) == ports
    assert len(samples["mist_gateway_connected"]) == len(demo40.gateways)


def test_demo_org_values_match_its_rows(demo40):
    samples = scrape(OneOrgStore(demo40))
    row = next(g for g in demo40.gateways if g["ports"] and g["ports"][0]["rx_bps"])
    first = row["ports"][0]
    labels = {"gateway_id": row["id"], "port": first["name"]}
    assert only(samples, "mist_wan_port_rx_bytes_per_second", **labels) == first["rx_bps"] / 8
    assert only(samples, "mist_wan_port_speed_bytes_per_second", **labels) == first["speed"] * 125_000
    connected = sum(1 for g in demo40.gateways if g["status"] == "connected")
    assert sum(v for _, v in samples["mist_gateway_connected"]) == connected
    assert not any(math.isnan(v) for values in samples.values() for _, v in values)


def test_the_collecting_process_histogram_from_the_status_wins_over_the_local_one():
    """Several workers: the one that collects shares its histogram, so every worker reports it."""
    holder = CollectionMetrics(buckets=(1, 10))
    holder.observe_collection(4)
    holder.observe_collection(20)

    class SharedStatus:
        def __init__(self, state):
            self.state = state

        def status(self):
            return {"collection_histogram": self.state}

    local = CollectionMetrics(buckets=(1, 10))  # this worker never collected
    samples = scrape(OneOrgStore(), SharedStatus(holder.state()), collection_metrics=local)
    assert only(samples, "mistcircuitstats_collection_duration_seconds_count") == 2.0
    assert only(samples, "mistcircuitstats_collection_duration_seconds_bucket", le="10.0") == 1.0
    broken = {"bounds": ["1.0"], "counts": [1], "sum": 1}  # no +Inf bucket: ignored
    local.observe_collection(0.5)
    samples = scrape(OneOrgStore(), SharedStatus(broken), collection_metrics=local)
    assert only(samples, "mistcircuitstats_collection_duration_seconds_count") == 1.0
