"""mistapi, unmodified, against the simulator mounted on its requests session (no network)."""

from __future__ import annotations

import mistapi
import pytest
from mistapi.api.v1.orgs import stats
from mistapi.api.v1.self import self as self_api
from mistapi.api.v1.sites import insights

from tests.simulator.conftest import NOW, TOKEN, make_sim


@pytest.fixture(scope="module")
def big_sim():
    return make_sim(gateways=2500, seed=3, extra_orgs=0, user_tokens=())


@pytest.fixture
def session(big_sim, monkeypatch):
    monkeypatch.delenv("MIST_APITOKEN", raising=False)
    monkeypatch.delenv("MIST_HOST", raising=False)
    session = mistapi.APISession(host="api.mist.com", console_log_level=50, logging_log_level=50)
    big_sim.mount(session._session)
    session.set_api_token(TOKEN, validate=False)
    big_sim.reset_calls()
    return session


def test_get_self_finds_the_org(session, big_sim):
    response = self_api.getSelf(session)
    assert response.status_code == 200
    orgs = [p["org_id"] for p in response.data["privileges"] if p["scope"] == "org"]
    assert orgs == [big_sim.org_id]
    assert "email" not in response.data


def test_get_all_device_stats_returns_every_gateway_in_three_pages(session, big_sim):
    first = stats.listOrgDevicesStats(session, big_sim.org_id, type="gateway", limit=1000)
    assert first.status_code == 200 and len(first.data) == 1000
    assert first.next and "page=2" in first.next
    rows = mistapi.get_all(session, first)
    assert len(rows) == 2500
    assert len({row["id"] for row in rows}) == 2500
    assert big_sim.calls()["by_operation"] == {"listOrgDevicesStats": 3}


def test_get_all_port_search_follows_next_to_the_exact_total(session, big_sim):
    first = stats.searchOrgSwOrGwPorts(session, big_sim.org_id, device_type="gateway", limit=1000)
    total = first.data["total"]
    assert total == sum(len(g.ports) for g in big_sim.org().gateways) > 2500
    rows = mistapi.get_all(session, first)
    assert len(rows) == total
    assert len({(r["mac"], r["port_id"]) for r in rows}) == total
    assert big_sim.calls()["by_operation"]["searchOrgSwOrGwPorts"] == -(-total // 1000)


def test_get_all_peer_path_search_follows_next_to_the_exact_total(session, big_sim):
    first = stats.searchOrgPeerPathStats(session, big_sim.org_id, limit=1000)
    total = first.data["total"]
    assert total == sum(len(g.peers) for g in big_sim.org().gateways) > 1000
    rows = mistapi.get_all(session, first)
    assert len(rows) == total
    assert {r["type"] for r in rows} <= {"ipsec", "svr"}


def test_gateway_insights_through_mistapi(session, big_sim):
    gateway = next(g for g in big_sim.org().gateways if g.connected and g.role == "branch")
    response = insights.getSiteInsightMetricsForGateway(
        session,
        gateway.site.id,
        gateway.id,
        "rx_bps,tx_bps",
        port_id=gateway.wan_ports[0].port_id,
        start=str(NOW - 3600),
        end=str(NOW),
        interval="300",
    )
    assert response.status_code == 200
    assert len(response.data["rt"]) == 12 and len(response.data["rx_bps"]) == 12


def test_a_bad_token_answers_401_through_mistapi(session, big_sim):
    session.set_api_token("not-a-token", validate=False)
    response = self_api.getSelf(session)
    assert response.status_code == 401
