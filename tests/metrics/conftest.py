"""Fixtures of the metrics tests: a snapshot store, a collector status stub, Prometheus' tools.

Prometheus and promtool come from Debian's ``prometheus`` package, which scripts/test.sh installs;
where it cannot be installed the tests that need them skip with one message saying so.
"""

from __future__ import annotations

import dataclasses
import shutil
import threading

import pytest
from flask import Flask

from circuitstats.metrics import CollectionMetrics, metrics_blueprint
from circuitstats.snapshot import Snapshot
from tests.metrics.demo_snapshot import demo_snapshot

PROMETHEUS_MISSING = (
    "Prometheus is not installed (Debian package `prometheus`, which ./scripts/test.sh installs "
    "when run as root): promtool and real-Prometheus tests skipped"
)


class OneOrgStore:
    """The store interface the app gives /metrics: ``wanted_orgs()`` and ``current(org_id)``."""

    def __init__(self, snapshot: Snapshot | None = None) -> None:
        self._snapshots: dict[str, Snapshot] = {}
        self._lock = threading.Lock()
        if snapshot is not None:
            self.publish(snapshot)

    def publish(self, snapshot: Snapshot) -> None:
        with self._lock:
            self._snapshots[snapshot.org_id] = snapshot

    def bump(self, org_id: str | None = None, **changes) -> Snapshot:
        """Publish the next version of an org's snapshot (a new collection), with ``changes``."""
        with self._lock:
            old = self._snapshots[org_id] if org_id else next(iter(self._snapshots.values()))
            new = dataclasses.replace(old, version=old.version + 1, **changes)
            self._snapshots[new.org_id] = new
            return new

    def wanted_orgs(self) -> list[str]:
        return list(self._snapshots)

    def current(self, org_id: str) -> Snapshot | None:
        return self._snapshots.get(org_id)


class StatusStub:
    """``collector.status()`` as the lead's collector gives it, without any Mist connection."""

    def __init__(self, tokens=None, calls=None) -> None:
        self.tokens = tokens if tokens is not None else []
        self.calls = calls if calls is not None else []
        self.reads = 0

    def status(self) -> dict:
        self.reads += 1
        return {"tokens": self.tokens, "upstream_calls_by_endpoint": self.calls}


# How long a test scrape waits for the render child: the app waits 0.25 s, then serves without the
# circuits; a loaded CI machine may need longer to fork and render, and the tests want the circuits.
RENDER_WAIT = 30.0


@pytest.fixture(scope="session")
def demo40() -> Snapshot:
    """The 40-gateway demo org (seed 7), built once for the session; snapshots are immutable."""
    return demo_snapshot(40)


@pytest.fixture
def metrics_app():
    """Build a tiny Flask app serving only the metrics blueprint; returns (app, blueprint)."""

    def build(store, status=None, collection_metrics: CollectionMetrics | None = None):
        app = Flask(__name__)
        blueprint = metrics_blueprint(store, status, collection_metrics, wait_seconds=RENDER_WAIT)
        app.register_blueprint(blueprint)
        app.testing = True
        return app, blueprint

    return build


def _prometheus_tool(name: str) -> str:
    """Path of a binary of Debian's prometheus package; skips with one clear message without it."""
    path = shutil.which(name)
    if path is None:
        pytest.skip(PROMETHEUS_MISSING)
    return path


@pytest.fixture(scope="session")
def promtool() -> str:
    return _prometheus_tool("promtool")


@pytest.fixture(scope="session")
def prometheus_binary() -> str:
    return _prometheus_tool("prometheus")
