"""Org device events (searchOrgDeviceEvents / countOrgDeviceEvents) and their agreement with port stats.

Why these matter: a dashboard counting flaps or showing "down since" from events is only tested
if the simulated events tell the same story as the port statistics, page like the cloud (a `next`
path under /api/v1/ that keeps the window), and are the same for the same seed.
"""

from __future__ import annotations

from collections import Counter

import pytest

from mist_simulator.events import EVENT_TYPES
from tests.simulator.conftest import NOW, Client, make_sim

WEEK = 7 * 86_400


def events_path(sim) -> str:
    return f"/api/v1/orgs/{sim.org_id}/devices/events/search"


def read_all(client: Client, path: str, **query) -> tuple[list[dict], list[str]]:
    """Every page, following `next`; also returns the cursors seen."""
    answer = client.get(path, **query).json()
    results, cursors = list(answer["results"]), []
    while answer.get("next"):
        cursors.append(answer["next"])
        answer = client.session.get(client.base + answer["next"], timeout=5).json()
        results.extend(answer["results"])
    return results, cursors


def latest_port_events(events: list[dict]) -> dict:
    latest = {}
    for event in events:
        if event["type"] in ("GW_PORT_DOWN", "GW_PORT_UP"):
            key = (event["mac"], event["port_id"])
            if key not in latest or event["timestamp"] >= latest[key]["timestamp"]:
                latest[key] = event
    return latest


@pytest.mark.parametrize("offset", [0, 1234, 86_399])
def test_port_stats_agree_with_the_latest_port_event(offset):
    """`up` and `last_flapped` of every port (WAN and LAN) match its latest GW_PORT_DOWN/UP event;
    a port down now has GW_PORT_DOWN as its latest; a port without events flapped before the week."""
    sim = make_sim(now=NOW + offset, extra_orgs=0)
    client = Client(sim)
    events, _ = read_all(client, events_path(sim), device_type="gateway", duration="7d", limit=1000)
    latest = latest_port_events(events)
    ports = client.get(
        f"/api/v1/orgs/{sim.org_id}/stats/ports/search", device_type="gateway", limit=1000
    ).json()
    with_events = 0
    for port in ports["results"]:
        event = latest.get((port["mac"], port["port_id"]))
        if port["disabled"]:
            assert event is None
        elif event is None:
            assert port["up"] and port["last_flapped"] < sim.now() - WEEK
        else:
            with_events += 1
            assert event["type"] == ("GW_PORT_UP" if port["up"] else "GW_PORT_DOWN"), port
            assert port["last_flapped"] == event["timestamp"]
    assert with_events >= 10
    assert with_events < len(ports["results"]) // 2, "most ports have no link event in the week"
    assert any(p["port_usage"] == "lan" and not p["up"] for p in ports["results"] if not p["disabled"])


def test_a_few_ports_flap_often_and_most_never(sim):
    flaps = sim.port_flaps()
    org = sim.org()
    wan = [(g.mac, p.port_id) for g in org.gateways for p in g.wan_ports]
    often = {key for key, n in flaps.items() if n >= 10}  # flappy: 3+ a day; occasional: 3 at most
    flappy = {(g.mac, p.port_id) for g in org.gateways for p in g.wan_ports if p.flaps_per_day}
    assert often == flappy and 2 <= len(flappy) <= len(wan) // 10
    assert sum(1 for key in wan if flaps[key] == 0) > len(wan) * 0.7
    assert sim.truth()["flapping_ports"] == len(flappy)


def test_the_search_answers_the_ground_truth_flap_counts(sim, client):
    events, _ = read_all(
        client, events_path(sim), device_type="gateway", type="GW_PORT_DOWN", duration="7d", limit=100
    )
    assert Counter((e["mac"], e["port_id"]) for e in events) == sim.port_flaps()
    assert {e["type"] for e in events} == {"GW_PORT_DOWN"}


def test_paging_follows_safe_cursors_over_a_pinned_window(sim, client):
    everything, cursors = read_all(client, events_path(sim), device_type="gateway", duration="7d", limit=37)
    assert len(cursors) >= 3
    assert all(
        c.startswith("/api/v1/orgs/") and "search_after=" in c and "duration" not in c for c in cursors
    )
    assert len(
        {(e["timestamp"], e["type"], e["mac"], e.get("port_id"), e.get("vpn_name")) for e in everything}
    ) == len(everything)
    truth = [e for e in sim.device_events() if e["timestamp"] >= sim.now() - WEEK]
    assert everything == truth
    timestamps = [e["timestamp"] for e in everything]
    assert timestamps == sorted(timestamps)


def test_every_event_carries_the_fields_a_dashboard_reads(sim):
    events = sim.device_events()
    assert {e["type"] for e in events} <= set(EVENT_TYPES)
    assert {"GW_PORT_DOWN", "GW_PORT_UP", "GW_VPN_PATH_DOWN", "GW_VPN_PATH_UP", "GW_DISCONNECTED"} <= {
        e["type"] for e in events
    }
    macs = {g.mac: g for g in sim.org().gateways}
    for event in events:
        gateway = macs[event["mac"]]
        assert event["org_id"] == sim.org_id and event["site_id"] == gateway.site.id
        assert event["device_type"] == "gateway" and isinstance(event["text"], str) and event["text"]
        assert sim.now() - WEEK - 86_400 <= event["timestamp"] < sim.now()
        if event["type"].startswith("GW_PORT_"):
            assert event["port_id"] in {p.port_id for p in gateway.ports}


def test_disconnected_gateways_have_a_disconnect_event_and_their_ports_went_down(sim):
    events = sim.device_events()
    for gateway in (g for g in sim.org().gateways if not g.connected):
        mine = [e for e in events if e["mac"] == gateway.mac]
        assert mine[-1]["type"] == "GW_DISCONNECTED"
        downs = {e["port_id"] for e in mine if e["type"] == "GW_PORT_DOWN"}
        assert downs == {p.port_id for p in gateway.ports if not p.disabled}


def test_filters_type_mac_window_sort_and_default_device_type(sim, client):
    path = events_path(sim)
    assert client.get(path, duration="7d").json()["total"] == 0  # device_type defaults to ap
    both = client.get(
        path, device_type="gateway", type="GW_DISCONNECTED,GW_CONNECTED", duration="7d", limit=1000
    )
    assert {e["type"] for e in both.json()["results"]} == {"GW_DISCONNECTED", "GW_CONNECTED"}
    mac = next(e["mac"] for e in sim.device_events() if e["type"] == "GW_PORT_DOWN")
    mine = client.get(path, device_type="gateway", mac=mac.upper(), duration="7d", limit=1000).json()
    assert mine["total"] >= 1 and {e["mac"] for e in mine["results"]} == {mac}
    start, end = sim.now() - 2 * 86_400, sim.now() - 86_400
    window = client.get(path, device_type="gateway", start=start, end=end, limit=1000).json()
    assert window["start"] == start and window["end"] == end
    assert all(start <= e["timestamp"] < end for e in window["results"])
    newest = client.get(path, device_type="gateway", duration="7d", sort="-timestamp", limit=5).json()[
        "results"
    ]
    assert [e["timestamp"] for e in newest] == sorted((e["timestamp"] for e in newest), reverse=True)
    assert newest[0]["timestamp"] == sim.device_events()[-1]["timestamp"]
    assert client.get(path, device_type="router").status_code == 400
    assert client.get(path, device_type="gateway", sort="mac").status_code == 400


def test_count_by_type_adds_up_to_the_search_total(sim, client):
    base = f"/api/v1/orgs/{sim.org_id}/devices/events"
    count = client.get(f"{base}/count", distinct="type", duration="7d").json()
    search = client.get(f"{base}/search", device_type="gateway", duration="7d").json()
    assert count["distinct"] == "type" and count["total"] == len(count["results"])
    assert sum(r["count"] for r in count["results"]) == search["total"]
    by_type = Counter(e["type"] for e in sim.device_events() if e["timestamp"] >= sim.now() - WEEK)
    assert {r["type"]: r["count"] for r in count["results"]} == dict(by_type)
    ports = client.get(f"{base}/count", distinct="port_id", type="GW_PORT_DOWN", duration="7d").json()
    assert sum(r["count"] for r in ports["results"]) == by_type["GW_PORT_DOWN"]
    assert client.get(f"{base}/count", distinct="nonsense").status_code == 400


def test_events_are_deterministic_per_seed_and_differ_between_seeds():
    first = make_sim(extra_orgs=0).device_events()
    assert first == make_sim(extra_orgs=0).device_events()
    assert first != make_sim(extra_orgs=0, seed=8).device_events()


def test_event_calls_are_accounted_by_operation_id(sim):
    client = Client(sim)
    sim.reset_calls()
    client.get(events_path(sim), device_type="gateway")
    client.get(f"/api/v1/orgs/{sim.org_id}/devices/events/count", distinct="type")
    assert sim.calls()["by_operation"] == {"searchOrgDeviceEvents": 1, "countOrgDeviceEvents": 1}
