"""The collector shapes stats pages one at a time; pages beyond the next one wait as bytes.

Why: a parsed page of 1,000 gateways is about 27 MB. When the cloud answers faster than pages are
shaped, parsed pages queued for shaping used to pile up (+100 MB at 10,000 gateways). Downloads
still overlap; a page is parsed only when fewer than PARSED_PAGES_IN_HAND pages are in hand.
"""

from __future__ import annotations

import threading
import time

import circuits
import mist_connection
from tests.support.apps import collect, simulator_of, snapshot_of


def test_stats_pages_are_parsed_only_when_shaping_is_free(make_demo_app, monkeypatch):
    monkeypatch.setattr(mist_connection, "PAGE_LIMIT", 50)  # 600 gateways: 12 stats pages
    app = make_demo_app(demo_gateways=600, extra={"collect": False})
    sim = simulator_of(app)
    counts = {"parsed": 0, "shaped": 0}
    in_hand: list[int] = []  # parsed stats pages not yet shaped, each time one starts shaping
    asked_ahead: list[int] = []  # stats pages asked for and not yet shaped
    concurrent, busy = [], threading.Lock()
    parse = mist_connection._GatedResponse.json

    def counting_parse(response, **kwargs):
        data = parse(response, **kwargs)
        if "/stats/devices" in response.url:
            counts["parsed"] += 1
        return data

    shaping = circuits.build_gateway_rows

    def slow_shaping(stats, *args, **kwargs):
        if not busy.acquire(blocking=False):
            concurrent.append(threading.current_thread().name)
            busy.acquire()
        try:
            in_hand.append(counts["parsed"] - counts["shaped"])
            asked_ahead.append(sim.calls()["by_operation"].get("listOrgDevicesStats", 0) - counts["shaped"])
            time.sleep(0.05)  # slower than the cloud answers
            counts["shaped"] += 1
            return shaping(stats, *args, **kwargs)
        finally:
            busy.release()

    monkeypatch.setattr(mist_connection._GatedResponse, "json", counting_parse)
    monkeypatch.setattr(circuits, "build_gateway_rows", slow_shaping)
    collect(app)
    assert counts == {"parsed": 12, "shaped": 12} and len(snapshot_of(app).gateways) == 600
    assert concurrent == [], "two pages were shaped at the same time"
    limit = mist_connection.PARSED_PAGES_IN_HAND
    assert max(in_hand) <= limit, f"{max(in_hand)} parsed pages in hand (at most {limit})"
    window = mist_connection.STATS_PAGE_WORKERS
    assert max(asked_ahead) > 1, "downloads no longer overlap the shaping"
    assert max(asked_ahead) <= window + 1, f"{max(asked_ahead)} pages asked ahead (window {window})"
