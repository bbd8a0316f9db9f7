"""Site enrichment spends Mist calls only while this process holds the collector lease."""

from __future__ import annotations

import threading
import time

from circuitstats import enrichment
from circuitstats.enrichment import SiteEnricher


def _enricher(calls: list) -> SiteEnricher:
    def fetch_configs(site_id, budget=None):
        calls.append(site_id)
        return []

    return SiteEnricher(fetch_configs, None, budget_per_hour=100, start_delay=0.0, pause_between_calls=0.0)


def _wait_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


def test_a_process_without_the_lease_does_not_enrich_until_it_holds_it(monkeypatch):
    monkeypatch.setattr(enrichment, "STANDBY_RECHECK_SECONDS", 0.05)
    calls: list = []
    enricher = _enricher(calls)
    holding = threading.Event()
    enricher.active = holding.is_set
    try:
        enricher.want("org", {"site-a": 1, "site-b": 1})
        time.sleep(0.5)  # ten rechecks: enough for both sites had it been holding
        assert calls == []
        holding.set()
        assert _wait_for(lambda: sorted(calls) == ["site-a", "site-b"]), calls
    finally:
        enricher.stop()


def test_the_collector_ties_enrichment_to_its_lease():
    from types import SimpleNamespace

    from circuitstats.collector import Collector

    enricher = _enricher([])
    collector = Collector(None, None, None, SimpleNamespace(cache_ttl_seconds=60), enricher=enricher)
    collector.is_holder = False
    assert enricher.active() is False
    collector.is_holder = True
    assert enricher.active() is True
