"""Property-based fuzz of every route: at least 1,000 generated requests, never a 5xx, always JSON.

Requests mix valid ids taken from the demo org with hostile text (markup, traversal, unicode,
control characters) in path segments and query parameters.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ROUTE_TEMPLATES = [
    "/api/organization",
    "/api/organizations",
    "/api/sites",
    "/api/gateways",
    "/api/status",
    "/api/export.csv",
    "/api/gateway/{gateway}/ports",
    "/api/gateway/{gateway}/vpn_peers",
    "/api/gateway/{gateway}/port/{port}/traffic",
    "/api/gateway/{gateway}/port/{port}/traffic.csv",
    "/api/{junk}",
    "/health",
]
QUERY_NAMES = ["org_id", "site_id", "q", "mac", "port_id", "duration", "page", "limit"]
HOSTILE = st.sampled_from(
    [
        "<script>alert(1)</script>",
        "../../etc/passwd",
        "%00",
        "' OR 1=1 --",
        "=cmd|' /C calc'!A0",
        "\u202e\u0000",
        "ge-0/0/0.100",
    ]
)


@pytest.fixture(scope="module")
def fuzz_target():
    from app import create_app

    app = create_app(
        {
            "demo": True,
            "demo_gateways": 25,
            "demo_seed": 9,
            "demo_rate_limit": 10**6,
            "enrich_start_delay": 3600.0,
        }
    )
    client = app.test_client()
    gateways = client.get("/api/gateways").get_json()["data"]["gateways"]
    known = {
        "gateway": [g["id"] for g in gateways[:5]],
        "site": [g["site_id"] for g in gateways[:5]],
        "port": [p["name"] for g in gateways[:5] for p in g["ports"]],
        "mac": [g["mac"] for g in gateways[:5]],
    }
    return client, known


def _value(known_key):
    text = st.text(max_size=40)
    return st.one_of(
        text, HOSTILE, st.sampled_from(["1h", "6h", "24h", "7d", "", "x" * 300]), st.just(known_key)
    )


@st.composite
def requests_(draw, known):
    template = draw(st.sampled_from(ROUTE_TEMPLATES))
    gateway = draw(
        st.one_of(st.sampled_from(known["gateway"]), st.uuids().map(str), st.text(min_size=1, max_size=30))
    )
    port = draw(st.one_of(st.sampled_from(known["port"]), st.text(min_size=1, max_size=30), HOSTILE))
    junk = draw(st.text(min_size=1, max_size=20))
    path = template.format(
        gateway=quote(gateway, safe=""), port=quote(port, safe="/"), junk=quote(junk, safe="")
    )
    names = draw(st.lists(st.sampled_from(QUERY_NAMES), max_size=4, unique=True))
    query = {}
    for name in names:
        pool = {"site_id": known["site"], "mac": known["mac"], "port_id": known["port"]}.get(name, ["1h"])
        query[name] = draw(st.one_of(_value(pool[0]), st.sampled_from(pool)))
    method = draw(st.sampled_from(["GET"] * 8 + ["POST", "DELETE"]))
    return method, path, query


COUNTER = {"requests": 0}


def test_fuzz_one_thousand_requests_no_5xx(fuzz_target):
    client, known = fuzz_target

    @settings(max_examples=1100, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(requests_(known))
    def one_request(request):
        method, path, query = request
        response = client.open(path, method=method, query_string=query)
        COUNTER["requests"] += 1
        assert response.status_code < 500, (method, path, query, response.get_data(as_text=True)[:300])
        if path.startswith("/api/") and not path.endswith(".csv") or response.status_code >= 400:
            body = response.get_json(silent=True)
            assert body is not None and "success" in body, (path, response.status_code)
            if response.status_code >= 400:
                assert body["success"] is False and body["error"]

    one_request()
    assert COUNTER["requests"] >= 1000
