"""A real Prometheus scrapes /metrics of the demo org; every dashboard and alert query runs on it.

Why: promtool checks the syntax, but only a running Prometheus shows that the dashboard's PromQL
finds the series /metrics really exposes (names, labels, units, ``rate()`` over counters, the
histogram). Two targets, each scraped for a few seconds:

* ``demo-app``: the real app (``create_app`` in demo mode, one collection from the simulated
  cloud, history from its events), served as it would be in production;
* ``moving``: the metrics blueprint over a demo snapshot, with a feeder publishing a new snapshot
  version every 0.5 s (as collections would, faster) and moving the collector status along (calls
  grow, a token cools down), so rates, the collection histogram and the cool-down alert have
  something to show.

Prometheus runs from its binary on a loopback port with a temporary storage directory, never as
the Debian service.
"""

from __future__ import annotations

import dataclasses
import re
import threading
import time
from contextlib import contextmanager

import pytest
import requests

from app import create_app
from tests.conftest import DEMO_ENV_VARS
from tests.metrics.conftest import OneOrgStore
from tests.metrics.prometheus_server import (
    query,
    running_prometheus,
    serving,
    serving_metrics,
    wait_for_scrapes,
)
from tests.metrics.test_monitoring_files import alert_rules, dashboard
from tests.support.apps import collect, snapshot_of

SCRAPES_WANTED = 8


class MovingStatus:
    """Collector status whose call counters grow and whose first token cools down, like a real run."""

    def __init__(self) -> None:
        self.ticks = 0

    def status(self) -> dict:
        now = time.time()
        return {
            "tokens": [
                {"token": "abcd…wxyz", "cooling_until": now + 300},
                {"token": "efgh…1234", "cooling_until": None},
            ],
            "upstream_calls_by_endpoint": [
                {"endpoint": "listOrgDevicesStats", "status": "200", "calls": 10 + 3 * self.ticks},
                {"endpoint": "searchOrgDeviceEvents", "status": "200", "calls": 2 + self.ticks},
            ],
        }


@pytest.fixture(scope="module", params=["demo-app", "moving"])
def live(request, prometheus_binary, demo40, tmp_path_factory):
    """(prometheus base URL, snapshot served, kind) once Prometheus has scraped a few times."""
    workdir = tmp_path_factory.mktemp("prometheus")
    if request.param == "demo-app":
        with _demo_app() as (app, snapshot), serving(app) as port:
            with running_prometheus(prometheus_binary, port, workdir) as base:
                wait_for_scrapes(base, SCRAPES_WANTED)
                yield base, snapshot, request.param
        return
    store, status = OneOrgStore(demo40), MovingStatus()
    stop = threading.Event()

    def feed() -> None:
        while not stop.wait(0.5):
            current = store.current(demo40.org_id)
            seconds = 1.0 + status.ticks % 3
            store.publish(
                dataclasses.replace(
                    current, version=current.version + 1, as_of=time.time(), collection_seconds=seconds
                )
            )
            status.ticks += 1

    threading.Thread(target=feed, daemon=True).start()
    try:
        with (
            serving_metrics(store, status) as port,
            running_prometheus(prometheus_binary, port, workdir) as base,
        ):
            wait_for_scrapes(base, SCRAPES_WANTED)
            yield base, demo40, request.param
    finally:
        stop.set()


@contextmanager
def _demo_app():
    """The real app in demo mode after one collection, in an environment without MIST_* settings."""
    with pytest.MonkeyPatch.context() as env:
        for name in DEMO_ENV_VARS:
            env.delenv(name, raising=False)
        app = create_app(
            {
                "demo": True,
                "demo_gateways": 40,
                "demo_seed": 7,
                "enrich_start_delay": 3600.0,
                "extra": {"collector_autostart": False},
            }
        )
        collect(app)
        yield app, snapshot_of(app)


def query_range(base: str, expr: str) -> list:
    end = time.time()
    params = {"query": expr, "start": end - 20, "end": end, "step": 1}
    answer = requests.get(f"{base}/api/v1/query_range", params=params, timeout=10).json()
    assert answer["status"] == "success", f"{expr}: {answer}"
    return answer["data"]["result"]


def label_values(base: str, definition: str, variables: dict[str, str]) -> list[str]:
    """Grafana's ``label_values(selector, label)`` through Prometheus' label values API."""
    match = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", definition)
    assert match, definition
    selector = substitute(match.group(1), variables)
    url = f"{base}/api/v1/label/{match.group(2)}/values"
    answer = requests.get(url, params={"match[]": selector}, timeout=10).json()
    assert answer["status"] == "success", answer
    return answer["data"]


def substitute(expr: str, variables: dict[str, str]) -> str:
    """Grafana's variable interpolation for the variables this dashboard uses."""
    expr = expr.replace("$__rate_interval", "10s")
    for name, value in sorted(variables.items(), key=lambda item: -len(item[0])):
        expr = expr.replace(f"${name}", value)
    assert "$" not in expr, f"uninterpolated variable in {expr}"
    return expr


def dashboard_targets() -> list[tuple[str, dict]]:
    return [
        (panel["title"], target) for panel in dashboard()["panels"] for target in panel.get("targets", [])
    ]


@pytest.fixture(scope="module")
def variables(live) -> dict[str, str]:
    """Pick values like a user would: the org, one real gateway, all its ports.

    ``gateway_name`` keeps the chosen gateway unescaped for the checks (no panel uses it).
    """
    base = live[0]
    chosen: dict[str, str] = {}
    for variable in dashboard()["templating"]["list"]:
        values = label_values(
            base, variable["definition"], {**chosen, "gateway": chosen.get("gateway", ".*")}
        )
        assert values, f"template variable {variable['name']} has no values"
        chosen[variable["name"]] = grafana_regex_value(values[0]) if variable["name"] != "port" else ".*"
        if variable["name"] == "gateway":
            chosen["gateway_name"] = values[0]
    return chosen


def grafana_regex_value(value: str) -> str:
    """A value as Grafana puts it in a ``=~"$var"`` matcher: regex-escaped, then string-escaped."""
    escaped = re.sub(r"([\\.*+?^${}()|\[\]])", r"\\\1", value)
    return escaped.replace("\\", "\\\\").replace('"', '\\"')


def test_template_variables_offer_the_demo_org_s_gateways_and_ports(live, variables):
    base, snapshot, _ = live
    gateways = label_values(base, "label_values(mist_wan_port_up, gateway)", {})
    assert set(gateways) == {g["name"] for g in snapshot.gateways if g["ports"]}
    ports = label_values(base, 'label_values(mist_wan_port_up{gateway=~"$gateway"}, port)', variables)
    row = next(g for g in snapshot.gateways if g["name"] == variables["gateway_name"])
    assert set(ports) == {p["name"] for p in row["ports"]}


@pytest.mark.parametrize("title,target", dashboard_targets(), ids=lambda v: v if isinstance(v, str) else "")
def test_every_dashboard_query_returns_data(live, variables, title, target):
    base = live[0]
    expr = substitute(target["expr"], variables)
    result = query(base, expr) if target.get("instant") else query_range(base, expr)
    assert result, f"panel {title!r}: no data for {expr}"


def test_bits_per_second_panels_show_mists_own_numbers(live, variables):
    """The dashboard's `* 8` gives back exactly the bps Mist reported for the chosen circuit."""
    base, snapshot, _ = live
    row = next(g for g in snapshot.gateways if g["name"] == variables["gateway_name"])
    port = next(p for p in row["ports"] if p.get("rx_bps") is not None)
    result = query(
        base, f'mist_wan_port_rx_bytes_per_second{{gateway_id="{row["id"]}", port="{port["name"]}"}} * 8'
    )
    assert float(result[0]["value"][1]) == pytest.approx(port["rx_bps"])


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda r: r["alert"])
def test_every_alert_expression_evaluates(live, rule):
    base = live[0]
    query(base, rule["expr"])  # success, whether or not it has results right now


def test_rules_evaluate_without_error_and_the_expected_ones_are_active(live):
    base, _, kind = live
    deadline = time.monotonic() + 20
    while True:
        groups = requests.get(f"{base}/api/v1/rules", timeout=10).json()["data"]["groups"]
        rules = [rule for group in groups for rule in group["rules"]]
        if (
            all(rule.get("lastEvaluation", "").startswith("20") for rule in rules)
            or time.monotonic() > deadline
        ):
            break
        time.sleep(0.5)
    assert len(rules) == len(alert_rules())
    for rule in rules:
        assert rule["health"] == "ok", f"{rule['name']}: {rule.get('lastError')}"
    pending = {rule["name"] for rule in rules if rule["state"] in ("pending", "firing")}
    # The demo org has disconnected gateways and down ports; the moving status has a cooling token.
    assert {"MistGatewayDisconnected", "MistWanPortDown"} <= pending
    assert ("MistCircuitStatsTokenCoolingDown" in pending) == (kind == "moving")
    assert "MistCircuitStatsSnapshotOld" not in pending and "MistCircuitStatsDown" not in pending
