"""The collector shapes stats pages one at a time and asks for no page while its window is full.

Why: a parsed page of 1,000 gateways is about 27 MB. When the cloud answers faster than pages are
shaped, pages queued for shaping used to pile up (+100 MB at 10,000 gateways); fetching now waits.
"""

from __future__ import annotations

import threading
import time

import circuits
import mist_connection
from tests.support.apps import collect, simulator_of, snapshot_of


def test_stats_pages_are_not_fetched_faster_than_they_are_shaped(make_demo_app, monkeypatch):
    monkeypatch.setattr(mist_connection, "PAGE_LIMIT", 50)  # 600 gateways: 12 stats pages
    app = make_demo_app(demo_gateways=600, extra={"collect": False})
    sim = simulator_of(app)
    shaping = circuits.build_gateway_rows
    ahead: list[int] = []  # pages asked for and not yet shaped, each time one starts shaping
    shaped = 0
    concurrent, busy = [], threading.Lock()

    def slow_shaping(stats, *args, **kwargs):
        nonlocal shaped
        if not busy.acquire(blocking=False):
            concurrent.append(threading.current_thread().name)
            busy.acquire()
        try:
            asked = sim.calls()["by_operation"].get("listOrgDevicesStats", 0)
            ahead.append(asked - shaped)
            time.sleep(0.05)  # slower than the cloud answers
            shaped += 1
            return shaping(stats, *args, **kwargs)
        finally:
            busy.release()

    monkeypatch.setattr(circuits, "build_gateway_rows", slow_shaping)
    collect(app)
    assert shaped == 12 and len(snapshot_of(app).gateways) == 600
    assert concurrent == [], "two pages were shaped at the same time"
    window = mist_connection.STATS_PAGE_WORKERS
    assert max(ahead) <= window, f"up to {max(ahead)} pages waited to be shaped (window {window})"
