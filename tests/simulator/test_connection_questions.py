"""`MistConnection.site_setting` and `device_events` against the simulated cloud.

Why here: these two questions exist for the simulator's new endpoints (site variables live in site
settings; flaps come from org device events); the collector that uses them is tested elsewhere.
"""

from __future__ import annotations

from collections import Counter

from circuitstats.history import compact_events
from mist_connection import MistConnection
from tests.simulator.conftest import TOKEN, make_sim

WEEK = 7 * 86_400


def connect(sim) -> MistConnection:
    return MistConnection([TOKEN], session_hook=sim.mount)


def test_site_setting_returns_the_site_variables():
    sim = make_sim(gateways=30, extra_orgs=0)
    site = next(s for s in sim.org().sites if s.vars)
    setting = connect(sim).site_setting(site.id)
    assert setting["vars"] == site.vars and setting["site_id"] == site.id
    assert sim.calls()["by_operation"] == {"getSiteSetting": 1}


def test_device_events_reads_every_page_of_the_gateway_events():
    """300 gateways give a few thousand events in a week: more than one page of 1,000."""
    sim = make_sim(gateways=300, extra_orgs=0)
    now = sim.now()
    events = connect(sim).device_events(sim.org_id, now - WEEK, now, ["GW_PORT_DOWN", "GW_PORT_UP"])
    truth = [
        e
        for e in sim.device_events()
        if e["type"] in ("GW_PORT_DOWN", "GW_PORT_UP") and e["timestamp"] >= now - WEEK
    ]
    assert len(truth) > 1000
    assert events == truth
    assert not getattr(events, "incomplete", None)
    downs = Counter((e["mac"], e["port_id"]) for e in events if e["type"] == "GW_PORT_DOWN")
    assert downs == sim.port_flaps()
    assert sim.calls()["by_operation"]["searchOrgDeviceEvents"] == -(-len(truth) // 1000)


def test_device_events_compacts_each_page_as_it_arrives_and_keeps_the_count():
    """transform=compact_events: the same events, page by page, with only the fields history reads."""
    sim = make_sim(gateways=300, extra_orgs=0)
    now = sim.now()
    pages: list[int] = []

    def compact(page: list) -> list:
        pages.append(len(page))
        return compact_events(page)

    types = ["GW_PORT_DOWN", "GW_PORT_UP"]
    full = connect(sim).device_events(sim.org_id, now - WEEK, now, types)
    compact_read = connect(sim).device_events(sim.org_id, now - WEEK, now, types, transform=compact)
    assert len(pages) >= 2 and sum(pages) == len(full) == len(compact_read)
    assert not getattr(compact_read, "incomplete", None)
    assert compact_read == [{k: e[k] for k in ("type", "timestamp", "mac", "port_id")} for e in full]
    assert compact_events([{"type": "GW_PORT_UP", "text": "x"}, "junk"]) == [
        {"type": "GW_PORT_UP", "timestamp": None, "mac": None, "port_id": None},
        None,
    ]


def test_device_events_accepts_one_type_as_text():
    sim = make_sim(gateways=30, extra_orgs=0)
    now = sim.now()
    events = connect(sim).device_events(sim.org_id, now - WEEK, now, "GW_DISCONNECTED")
    assert events and {e["type"] for e in events} == {"GW_DISCONNECTED"}
    assert {e["mac"] for e in events} >= {g.mac for g in sim.org().gateways if not g.connected}
