"""Scrapes never reach Mist: 100 scrapes of /metrics cost 0 calls to the (simulated) Mist cloud.

Once with the real app (``create_app`` in demo mode), once with the bare blueprint over a live
connection; the demo app's scrape also passes ``promtool check metrics``.

The status source is a real ``MistConnection`` wired to the simulator, shaped like the collector's
``status()`` (token pool state, calls by endpoint), so every value /metrics reads at scrape time
comes from the objects that would call Mist if anything asked them to.
"""

from __future__ import annotations

import gzip
import subprocess

from prometheus_client.parser import text_string_to_metric_families

from mist_connection import MistConnection
from mist_simulator import MistSimulator
from tests.metrics.conftest import OneOrgStore
from tests.support.apps import simulator_of, snapshot_of

TOKENS = ["metrics-token-a", "metrics-token-b"]


class ConnectionStatus:
    """The part of the collector's ``status()`` that /metrics reads, taken from a live connection."""

    def __init__(self, conn: MistConnection) -> None:
        self.conn = conn

    def status(self) -> dict:
        return {
            "tokens": self.conn.pool.status(),
            "upstream_calls_by_endpoint": [
                {"endpoint": endpoint, "status": status, "calls": n}
                for (endpoint, status), n in sorted(self.conn.call_counts().items())
            ],
        }


def test_one_hundred_scrapes_make_no_mist_call(metrics_app, demo40):
    sim = MistSimulator(gateways=5, seed=3, tokens=TOKENS)
    conn = MistConnection(TOKENS, session_hook=sim.mount)
    conn.sites(sim.org_id)  # one real call, so the calls counter has something to report
    sim.exhaust_token(TOKENS[0], retry_after=600)
    conn.sites(sim.org_id)  # may meet the 429 and put a token on cool-down
    calls_before = sim.calls()["total"]
    assert calls_before >= 1

    app, _ = metrics_app(OneOrgStore(demo40), ConnectionStatus(conn))
    client = app.test_client()
    bodies = [client.get("/metrics", headers={"Accept-Encoding": "identity"}) for _ in range(100)]

    assert all(b.status_code == 200 for b in bodies)
    assert sim.calls()["total"] == calls_before, "a scrape called the Mist API"
    families = {f.name: f for f in text_string_to_metric_families(bodies[-1].data.decode())}
    reported = sum(s.value for s in families["mistcircuitstats_upstream_calls"].samples)
    assert reported == calls_before  # what /metrics says was spent is what the cloud counted
    tokens = {s.labels["token"] for s in families["mistcircuitstats_token_cooldown_seconds"].samples}
    assert len(tokens) == 2 and not any(t in TOKENS for t in tokens)  # masked, never the secret


def test_one_hundred_scrapes_of_the_demo_app_make_no_mist_call(demo_app):
    """The app as wired by create_app: /metrics reads the collector's snapshot and status only."""
    sim = simulator_of(demo_app)
    calls_before = sim.calls()["total"]
    assert calls_before >= 1  # the fixture's one collection
    client = demo_app.test_client()
    demo_app.blueprints["metrics"].exposition.prepare()  # the render child done, however loaded CI is
    answers = [client.get("/metrics", headers={"Accept-Encoding": "gzip"}) for _ in range(100)]
    assert all(a.status_code == 200 and a.headers["Content-Encoding"] == "gzip" for a in answers)
    assert sim.calls()["total"] == calls_before, "a scrape called the Mist API"
    text = gzip.decompress(answers[-1].data).decode()
    families = {f.name: f for f in text_string_to_metric_families(text)}
    snapshot = snapshot_of(demo_app)
    ports = sum(len(g["ports"]) for g in snapshot.gateways)
    assert len(families["mist_wan_port_up"].samples) == ports
    assert sum(s.value for s in families["mistcircuitstats_upstream_calls"].samples) == calls_before
    count = next(
        s
        for s in families["mistcircuitstats_collection_duration_seconds"].samples
        if s.name.endswith("_count")
    )
    assert count.value == 1  # the collector observed its one collection


def test_promtool_check_metrics_on_the_demo_app(demo_app, promtool):
    demo_app.blueprints["metrics"].exposition.prepare()
    body = demo_app.test_client().get("/metrics").data
    result = subprocess.run(
        [promtool, "check", "metrics"], input=body, capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 0 and not result.stdout.strip(), (
        result.stdout.decode() + result.stderr.decode()
    )
