"""Security headers on every answer, and API tokens nowhere in what the app writes or answers."""

from __future__ import annotations

import pytest
import requests

from tests.support.servers import dev_server_command, free_port, running_server

ROUTES = [
    "/",
    "/health",
    "/api/status",
    "/api/organization",
    "/api/organizations",
    "/api/sites",
    "/api/gateways",
    "/api/export.csv",
    "/api/nope",
    "/static/nope.js",
]


@pytest.mark.parametrize("path", ROUTES)
def test_every_answer_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "http" not in csp, "no foreign origin may be allowed"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_page_has_no_inline_script(client):
    html = client.get("/").get_data(as_text=True)
    assert "<script>" not in html.replace(" ", "")
    assert "onerror=" not in html and "onclick=" not in html


SECRET_TOKENS = ["s3cret-alpha-TOKEN-0123456789abcdef", "s3cret-bravo-TOKEN-fedcba9876543210"]


@pytest.mark.slow
def test_tokens_never_appear_in_logs_json_html_or_errors(tmp_path):
    """Run the real server with known tokens through faults, bad input and rate limits; grep everything."""
    port = free_port()
    env = {
        "MIST_DEMO": "1",
        "MIST_APITOKEN": ",".join(SECRET_TOKENS),
        "MIST_DEMO_GATEWAYS": "30",
        "MIST_DEMO_RATE_LIMIT": "8",
        "MIST_DEMO_FAULT_RATE": "0.3",
        "LOG_LEVEL": "DEBUG",
        "CACHE_TTL_SECONDS": "1",
    }
    log_path = tmp_path / "server.log"
    seen: list[str] = []
    statuses: set[int] = set()
    with running_server(dev_server_command(port), env, port, log_path) as (base, _):
        session = requests.Session()
        paths = ROUTES + [
            "/api/gateways?site_id=bad",
            "/api/gateway/00000000-0000-0000-1000-000000000000/ports",
            "/api/gateway/nope/port/ge-0/0/0/traffic?duration=9y",
        ]
        for _ in range(6):
            for path in paths:
                response = session.get(base + path, timeout=30)
                statuses.add(response.status_code)
                seen.append(response.text)
                seen.append(str(dict(response.headers)))
        gateways = session.get(base + "/api/gateways", timeout=30).json()
        if gateways.get("success"):
            for gateway in gateways["data"]["gateways"][:15]:
                for port_row in gateway["ports"][:1]:
                    url = f"{base}/api/gateway/{gateway['id']}/port/{port_row['name']}/traffic?duration=1h"
                    seen.append(session.get(url, timeout=30).text)
        seen.append(session.get(base + "/api/status", timeout=30).text)
    seen.append(log_path.read_text(errors="replace"))
    everything = "\n".join(seen)
    assert 429 in statuses or "rate-limited" in everything, "the run must have reached the rate limit"
    assert "DEBUG" in everything, "debug logging was on"
    for token in SECRET_TOKENS:
        assert token not in everything
        assert token[:12] not in everything
