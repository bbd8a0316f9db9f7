"""Stats prepared ahead of a 5-minute slot are the bytes a lazy build gives, and cost no CPU later."""

from __future__ import annotations

from mist_simulator.traffic import FIVE_MIN
from tests.simulator.conftest import NOW, Client, make_sim

STATS_QUERY = {"type": "gateway", "fields": "*", "limit": 1000}


def stats_page(sim) -> bytes:
    response = Client(sim).get(f"/api/v1/orgs/{sim.org_id}/stats/devices", **STATS_QUERY)
    assert response.status_code == 200
    return response.content


def test_prepared_slot_answers_the_same_bytes_as_a_lazy_build():
    lazy, prepared = make_sim(gateways=80), make_sim(gateways=80)
    views = prepared.views[prepared.org_id]
    views.prepare(NOW // FIVE_MIN, NOW)
    assert len(views._slots[NOW // FIVE_MIN]) == 80
    assert stats_page(prepared) == stats_page(lazy)


def test_preparing_the_next_slot_keeps_the_current_one():
    sim = make_sim(gateways=20)
    views = sim.views[sim.org_id]
    current = NOW // FIVE_MIN
    views.prepare(current, NOW)
    views.prepare(current + 1, NOW)
    assert set(views._slots) == {current, current + 1}
    gateway = sim.org().gateways[0]
    assert views.gateway(gateway, NOW) is views._slots[current][gateway.id]
    # Once the next slot has begun, preparing the one after it forgets the oldest.
    views.prepare(current + 2, (current + 1) * FIVE_MIN)
    assert set(views._slots) == {current + 1, current + 2}


def test_keep_warm_builds_the_current_slot_before_any_request(monkeypatch):
    sim, lazy = make_sim(gateways=300), make_sim(gateways=300)
    sim.keep_warm(lead_seconds=60)
    views = sim.views[sim.org_id]
    assert len(views._slots[NOW // FIVE_MIN]) == 300

    def no_build(*_args):
        raise AssertionError("a request built a gateway's stats: the slot was not prepared")

    monkeypatch.setattr(views, "_build", no_build)
    assert stats_page(sim) == stats_page(lazy)
