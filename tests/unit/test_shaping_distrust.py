"""Issue #12 at the shaping layer: hostile field values blank a field or drop a row, never raise.

Every shaped structure here must serialize with ``json.dumps(..., allow_nan=False)``: that is what
the browser's ``JSON.parse`` accepts.
"""

from __future__ import annotations

import json

import circuits
import traffic
from circuits import ShapeReport, build_gateway_rows, dedupe_gateway_stats, natural_key, site_rows

SITE = "5e000000-0000-4000-8000-000000000001"
GW_A = "00000000-0000-4000-8000-00000000000a"
GW_B = "00000000-0000-4000-8000-00000000000b"
HUGE = 10**400


def stat(device_id=GW_A, name="gw", last_seen=1_750_000_000, ports=(), **extra):
    row = {
        "id": device_id,
        "mac": "5c5b35000001",
        "name": name,
        "type": "gateway",
        "status": "connected",
        "site_id": SITE,
        "last_seen": last_seen,
        "if_stat": {},
        "ports": [{"port_id": p, "port_usage": "wan", "up": True} for p in ports],
        "vpn_peers": [],
    }
    row.update(extra)
    return row


def strict(value):
    return json.loads(json.dumps(value, allow_nan=False))


def test_duplicate_gateway_ids_give_one_row_with_its_own_ports_and_are_counted():
    older = stat(name="old", last_seen=1_000, ports=["ge-0/0/0"])
    newer = stat(name="new", last_seen=2_000, ports=["ge-0/0/1"])
    report = ShapeReport()
    rows = build_gateway_rows([older, newer, stat(GW_B)], [], [], [], [], None, report)
    by_id = {row["id"]: row for row in rows}
    assert sorted(by_id) == [GW_A, GW_B] and len(rows) == 2
    assert by_id[GW_A]["name"] == "new"
    assert [p["name"] for p in by_id[GW_A]["ports"]] == ["ge-0/0/1"]  # not mixed with the older row's
    assert report.duplicates == 1
    assert report.incomplete() == {
        "source": "listOrgDevicesStats",
        "got": 2,
        "total": 3,
        "why": "1 duplicate gateway id merged",
    }


def test_a_duplicate_on_a_later_page_is_caught_by_a_shared_report():
    report = ShapeReport()
    page_1 = build_gateway_rows([stat(GW_A)], [], [], [], [], None, report)
    page_2 = build_gateway_rows([stat(GW_A, name="again"), stat(GW_B)], [], [], [], [], None, report)
    assert [r["id"] for r in page_1 + page_2] == [GW_A, GW_B]
    assert (report.received, report.kept, report.duplicates) == (3, 2, 1)


def test_dedupe_without_a_report_is_idempotent():
    stats, duplicates = dedupe_gateway_stats([stat(), stat(), stat(GW_B)])
    assert duplicates == 1
    assert dedupe_gateway_stats(stats) == (stats, 0)


def test_rows_whose_id_is_not_a_uuid_are_dropped_and_counted():
    report = ShapeReport()
    bad = [stat({"id": GW_A}), stat(["x"]), stat(42), stat("gw-1"), stat(None), "not an object", 7]
    rows = build_gateway_rows([*bad, stat(GW_B)], [], [], [], [], None, report)
    assert [row["id"] for row in rows] == [GW_B]
    assert report.dropped == {"gateway rows without a valid id dropped": 5}
    assert report.incomplete()["why"] == "5 gateway rows without a valid id dropped"


def test_reference_rows_with_object_ids_are_ignored_not_fatal():
    sites = [{"id": {"x": 1}, "name": "Object"}, {"id": SITE, "name": "Real"}, "junk", {"id": 5}]
    templates = [{"id": ["t"], "port_config": {}}, None]
    inventory = [{"id": {"a": 1}, "mac": {"b": 2}}]
    [row] = build_gateway_rows([stat(site_id=SITE)], sites, templates, [], inventory, {GW_A: "junk"})
    assert row["site_name"] == "Real" and strict(row)


def test_names_that_are_not_strings_sort_and_shape():
    sites = [{"id": SITE, "name": 5}, {"id": GW_B, "name": "Bravo"}, {"id": GW_A, "name": ["x"]}]
    rows = site_rows(sites, ShapeReport())
    assert [r["name"] for r in rows] == ["Bravo", None, None]
    gateways = build_gateway_rows(
        [stat(GW_A, name={"n": 1}, hostname=7), stat(GW_B, name="b")], sites, [], [], [], None
    )
    assert [g["name"] for g in gateways] == ["b", None]
    assert strict(gateways)


def test_sites_with_bad_ids_are_dropped_and_counted():
    report = ShapeReport()
    assert site_rows([{"id": "../x", "name": "a"}, {"id": SITE, "name": "b"}], report) == [
        {"id": SITE, "name": "b", "address": None, "timezone": None}
    ]
    assert report.dropped == {"sites without a valid id dropped": 1}


def test_huge_and_non_finite_numbers_are_blanked():
    hostile = [float("inf"), float("nan"), HUGE, -HUGE, json.loads("1e400"), 2**70]
    for value in hostile:
        port = {"port_id": "ge-0/0/0", "port_usage": "wan", "up": True}
        port.update(
            speed=value, rx_bytes=value, tx_bytes=value, rx_bps=value, tx_bps=value, last_flapped=value
        )
        peer = {"port_id": "ge-0/0/0", "up": True, "latency": value, "loss": value, "mos": value}
        row = stat(uptime=value, last_seen=value, ports=[], vpn_peers=[peer])
        row["ports"] = [port]
        [shaped] = build_gateway_rows([row], [], [], [], [], None)
        assert shaped["uptime"] is None
        [port_row] = shaped["ports"]
        assert (port_row["speed"], port_row["rx_bytes"], port_row["tx_bytes"]) == (None, None, None)
        [path] = circuits.peer_path_rows([peer])
        assert (path["latency"], path["loss"], path["mos"]) == (None, None, None)
        strict([shaped, path])


def test_traffic_series_from_huge_or_non_finite_insights_is_finite():
    answer = {
        "start": 1_750_000_000,
        "end": 1_750_003_600,
        "interval": HUGE,
        "rt": [1_750_000_000, float("nan"), HUGE, 1_750_000_900, "x"],
        "rx_bps": [HUGE, float("inf"), 5, 7, 9],
        "tx_bps": [json.loads("1e400"), -HUGE, 3, None, True],
        "latency": "not a list",
    }
    series = traffic.shape_traffic(answer, "1h", HUGE)
    assert series["interval"] == 300  # the window's own interval replaces a junk one
    assert series["timestamps"] == [1_750_000_000, 1_750_000_900]
    assert series["rx_bps"] == [None, 7] and series["speed_bps"] is None
    strict(series)
    assert traffic.shape_traffic({"rt": [1], "rx_bps": [2**64]}, "1h", 10**19)["stats"]["rx"]["avg"] == 2**64


def test_digit_strings_that_int_refuses_do_not_raise():
    """``"²".isdigit()`` is True but ``int("²")`` raises; so does a 5,000-digit string."""
    config = {
        "ge-0/0/0": {
            "usage": "wan",
            "vlan_id": "²",
            "ip_config": {"type": "static", "ip": "192.0.2.1", "netmask": "²"},
        },
        "ge-0/0/1": {"usage": "wan", "vlan_id": "9" * 5000},
        "ge-0/0/2." + "9" * 5000: {"usage": "wan"},
        "ge-0/0/" + "9" * 5000 + "-" + "9" * 5000: {"usage": "wan"},
    }
    rows = circuits.build_port_rows(stat(), config, None, False)
    assert {row["name"] for row in rows} >= {"ge-0/0/0", "ge-0/0/1"}
    by_name = {row["name"]: row for row in rows}
    assert by_name["ge-0/0/0"]["netmask"] == "²"  # shown as given, not interpreted
    assert circuits.normalise_netmask("/" + "9" * 5000) == "/" + "9" * 5000
    strict(rows)


def test_natural_key_orders_huge_numbers_without_converting_them():
    names = ["gw-" + "9" * 5000, "gw-10", "gw-2", "gw-010", None]
    ordered = sorted(names, key=natural_key)
    assert ordered[:2] == ["gw-2", "gw-10"] and ordered[-2:] == ["gw-" + "9" * 5000, None]
    assert natural_key("gw-010") == natural_key("gw-10")


def test_deeply_nested_config_does_not_exhaust_the_stack():
    """json parses ~900 levels; walking them recursively for variables must not raise."""
    deep = json.loads('{"a":' * 900 + '"{{X}}"' + "}" * 900)
    config = {"ge-0/0/0": {"usage": "wan", "name": "{{X}}", "nested": deep}}
    errors = []

    def shape():  # on a worker thread, where the collector shapes pages (less stack than main)
        try:
            rows = circuits.build_port_rows(stat(), config, config, True, {"X": "ISP"})
            assert [row["wan_name"] for row in rows] == ["ISP"]
        except BaseException as exc:
            errors.append(exc)

    import threading

    worker = threading.Thread(target=shape)
    worker.start()
    worker.join()
    assert errors == []
