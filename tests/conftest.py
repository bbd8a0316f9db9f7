"""Shared fixtures: apps built by the factory, in demo mode, against the simulated Mist cloud."""

from __future__ import annotations

import pytest

from app import create_app

DEMO_ENV_VARS = (
    "MIST_APITOKEN",
    "MIST_ORG_ID",
    "MIST_HOST",
    "MIST_DEMO",
    "MIST_DEMO_GATEWAYS",
    "MIST_DEMO_SEED",
    "MIST_DEMO_LATENCY_MS",
    "MIST_DEMO_RATE_LIMIT",
    "MIST_DEMO_FAULT_RATE",
    "MIST_DEMO_ADVERSARIAL",
    "REDIS_URL",
    "CACHE_TTL_SECONDS",
    "ENRICH_BUDGET",
)


@pytest.fixture(autouse=True)
def stop_collectors(monkeypatch):
    """Collector threads a test started end with the test, so none keeps calling or logging after."""
    from circuitstats.collector import Collector

    started: list[Collector] = []
    original = Collector.start

    def start(self):
        started.append(self)
        original(self)

    monkeypatch.setattr(Collector, "start", start)
    yield
    for collector in started:
        collector.stop(timeout=5)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No test sees the developer's .env or shell variables; each runs in an empty folder."""
    for name in DEMO_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def make_demo_app():
    """Build a demo-mode app; keyword arguments override Settings fields."""

    def build(**overrides):
        settings = {"demo": True, "demo_gateways": 40, "demo_seed": 7, "enrich_start_delay": 3600.0}
        settings.update(overrides)
        extra = dict(settings.get("extra") or {})
        # No collector thread by default: the test collects once, synchronously, so call counts
        # are exact; ``collect=False`` leaves the app without a snapshot.
        first_collection = extra.pop("collect", True)
        extra.setdefault("collector_autostart", False)
        settings["extra"] = extra
        app = create_app(settings)
        app.testing = True
        runtime = app.extensions["runtime"]
        if first_collection and runtime.collector is not None and not extra["collector_autostart"]:
            runtime.collector.collect_once()
        return app

    return build


@pytest.fixture
def demo_app(make_demo_app):
    return make_demo_app()


@pytest.fixture
def client(demo_app):
    return demo_app.test_client()
