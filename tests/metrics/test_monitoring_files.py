"""monitoring/: promtool on the scrape, config and rules; alert unit tests that can fail; Grafana files.

The alert unit tests (monitoring/tests/alerts_test.yml) are themselves checked: each alert made
never-firing, or made to fire without waiting, must make them fail, so every alert has a case that
fires and a case that stays silent.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from circuitstats.metrics import MetricsExposition
from tests.metrics.conftest import RENDER_WAIT, OneOrgStore, StatusStub

REPO = Path(__file__).resolve().parents[2]
MONITORING = REPO / "monitoring"
ALERTS = MONITORING / "alerts.yml"
ALERT_TESTS = MONITORING / "tests" / "alerts_test.yml"
DASHBOARD = MONITORING / "grafana" / "dashboards" / "mistcircuitstats.json"
PROVISIONING = MONITORING / "grafana" / "provisioning"


def run(*args, stdin: bytes | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run(args, input=stdin, capture_output=True, cwd=cwd, timeout=120, check=False)


def alert_rules() -> list[dict]:
    groups = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


# ---- promtool ----------------------------------------------------------------------------------


def test_promtool_check_metrics_passes_on_a_scrape_of_the_demo_org(promtool, demo40):
    status = StatusStub(
        tokens=[{"token": "abcd…wxyz", "cooling_until": None}],
        calls=[{"endpoint": "listOrgDevicesStats", "status": "200", "calls": 3}],
    )
    body = MetricsExposition(OneOrgStore(demo40), status, wait_seconds=RENDER_WAIT).body()
    assert b"mist_wan_port_peer_paths{" in body and b"mist_wan_port_flaps_24h{" in body
    result = run(promtool, "check", "metrics", stdin=body)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    assert not result.stdout.strip() and not result.stderr.strip(), "promtool lint findings"


def test_promtool_check_metrics_is_not_a_rubber_stamp(promtool):
    """The same check rejects what a hand-written exporter gets wrong, so passing above means something."""
    bad = b'# TYPE mist_port_rx counter\nmist_port_rx{port="a"} 1\n'  # counter without _total
    assert run(promtool, "check", "metrics", stdin=bad).returncode != 0


def test_promtool_check_config_and_rules(promtool):
    config = run(promtool, "check", "config", str(MONITORING / "prometheus.yml"))
    assert config.returncode == 0, config.stdout.decode() + config.stderr.decode()
    rules = run(promtool, "check", "rules", str(ALERTS))
    assert rules.returncode == 0, rules.stdout.decode() + rules.stderr.decode()
    assert b"SUCCESS: 8 rules found" in rules.stdout


def test_the_issue_s_alerts_are_all_there():
    names = {rule["alert"] for rule in alert_rules()}
    assert {
        "MistWanPortDown",
        "MistWanPortAllPeerPathsDown",
        "MistWanPortUtilisationHigh",
        "MistGatewayDisconnected",
        "MistCircuitStatsSnapshotOld",
        "MistCircuitStatsTokenCoolingDown",
    } <= names
    by_name = {rule["alert"]: rule for rule in alert_rules()}
    assert by_name["MistWanPortDown"]["for"] == "5m"
    assert by_name["MistWanPortUtilisationHigh"]["for"] == "15m"
    assert "> 600" in by_name["MistCircuitStatsSnapshotOld"]["expr"]


def test_promtool_test_rules_passes(promtool):
    result = run(promtool, "test", "rules", str(ALERT_TESTS))
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()


def test_every_alert_has_unit_tests(promtool):
    tested = {
        case["alertname"]
        for test in yaml.safe_load(ALERT_TESTS.read_text(encoding="utf-8"))["tests"]
        for case in test.get("alert_rule_test", [])
    }
    assert tested == {rule["alert"] for rule in alert_rules()}


def _mutated_rules_fail(promtool: str, tmp_path: Path, alert: str, mutate) -> bool:
    """Run the unit tests against alerts.yml with one alert changed; True when they fail."""
    document = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))
    for group in document["groups"]:
        for rule in group["rules"]:
            if rule.get("alert") == alert:
                mutate(rule)
    (tmp_path / "tests").mkdir(exist_ok=True)
    (tmp_path / "alerts.yml").write_text(yaml.safe_dump(document), encoding="utf-8")
    shutil.copy(ALERT_TESTS, tmp_path / "tests" / "alerts_test.yml")
    result = run(promtool, "test", "rules", "tests/alerts_test.yml", cwd=tmp_path)
    return result.returncode != 0


@pytest.mark.parametrize("alert", [rule["alert"] for rule in alert_rules()])
def test_unit_tests_catch_an_alert_that_never_fires(promtool, tmp_path, alert):
    assert _mutated_rules_fail(promtool, tmp_path, alert, lambda rule: rule.update(expr="vector(1) < 0"))


@pytest.mark.parametrize("alert", [rule["alert"] for rule in alert_rules() if "for" in rule])
def test_unit_tests_catch_an_alert_that_fires_too_early(promtool, tmp_path, alert):
    assert _mutated_rules_fail(promtool, tmp_path, alert, lambda rule: rule.pop("for"))


def test_unit_tests_catch_an_alert_that_fires_for_everything(promtool, tmp_path):
    """Dropping the exclusions (disabled ports, disconnected gateways) must be noticed."""
    assert _mutated_rules_fail(
        promtool, tmp_path, "MistWanPortDown", lambda rule: rule.update(expr="mist_wan_port_up == 0")
    )
    assert _mutated_rules_fail(
        promtool,
        tmp_path,
        "MistWanPortAllPeerPathsDown",
        lambda rule: rule.update(expr='mist_wan_port_peer_paths{state="up"} == 0'),
    )


# ---- Grafana -----------------------------------------------------------------------------------


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text(encoding="utf-8"))


def test_committed_dashboard_is_what_the_generator_writes():
    result = run(sys.executable, str(MONITORING / "grafana" / "generate_dashboard.py"), "--check")
    assert result.returncode == 0, result.stderr.decode()


def test_dashboard_panels_queries_and_pickers():
    model = dashboard()
    panels = model["panels"]
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids))
    titles = {p["title"] for p in panels}
    for wanted in (
        "Top utilised circuits",
        "Ports down",
        "Ports with peer paths down",
        "Most flapping circuits (24 h)",
        "Receive and send rate",
        "Gateways",
    ):
        assert wanted in titles
    for panel in panels:
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] != "row":
            assert panel["targets"], panel["title"]
            assert all(t["datasource"]["uid"] == "prometheus" and t["expr"] for t in panel["targets"])
    variables = {v["name"]: v for v in model["templating"]["list"]}
    assert {"gateway", "port"} <= set(variables)
    assert "$gateway" in variables["port"]["definition"]  # the port list follows the chosen gateway
    detail = next(p for p in panels if p["title"] == "Receive and send rate")
    assert detail["fieldConfig"]["defaults"]["unit"] == "bps"
    assert all('gateway=~"$gateway"' in t["expr"] and "* 8" in t["expr"] for t in detail["targets"])


def load(path: Path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_provisioning_points_at_the_dashboard_and_the_datasource_the_panels_use():
    (source,) = load(PROVISIONING / "datasources" / "prometheus.yml")["datasources"]
    assert source["uid"] == "prometheus" and source["type"] == "prometheus"
    (provider,) = load(PROVISIONING / "dashboards" / "mistcircuitstats.yml")["providers"]
    compose = load(REPO / "docker-compose.yml")
    grafana, prometheus = compose["services"]["grafana"], compose["services"]["prometheus"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in grafana["volumes"]}
    assert mounts[provider["options"]["path"]] == "./monitoring/grafana/dashboards"
    assert mounts["/etc/grafana/provisioning"] == "./monitoring/grafana/provisioning"
    assert grafana["image"].startswith("grafana/grafana:")
    assert prometheus["image"].startswith("prom/prometheus:")
    assert grafana["profiles"] == prometheus["profiles"] == ["monitoring"]
    scrape = load(MONITORING / "prometheus.yml")["scrape_configs"][0]
    assert scrape["static_configs"][0]["targets"] == ["mistcircuitstats:5000"]  # the app's service name
    assert "mistcircuitstats" in compose["services"]
    prometheus_mounts = {m.split(":")[1]: m.split(":")[0] for m in prometheus["volumes"]}
    assert prometheus_mounts["/etc/prometheus/alerts.yml"] == "./monitoring/alerts.yml"
