"""Soak: 200 concurrent clients for 60 s against gunicorn in demo mode with faults on (loopback only).

Passes when no answer is a server error (500, or a non-JSON error), every client keeps getting
answers, and the server's memory stays flat between the first and the last part of the run.
"""

from __future__ import annotations

import random
import threading
import time

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from tests.support.servers import free_port, gunicorn_command, process_tree_rss_kb, running_server

CLIENTS = 200
SECONDS = 60


@pytest.mark.slow
def test_soak_200_clients_60_seconds_with_faults(tmp_path):
    port = free_port()
    env = {
        "MIST_DEMO": "1",
        "MIST_DEMO_GATEWAYS": "300",
        "MIST_DEMO_FAULT_RATE": "0.2",
        "MIST_DEMO_LATENCY_MS": "20",
        "MIST_DEMO_RATE_LIMIT": "100000",
        "CACHE_TTL_SECONDS": "5",
        "LOG_LEVEL": "WARNING",
    }
    with running_server(gunicorn_command(port, workers=1, threads=16), env, port, tmp_path / "soak.log") as (
        base,
        process,
    ):
        warm = requests.get(base + "/api/gateways", timeout=60)
        assert warm.status_code == 200
        gateways = warm.json()["data"]["gateways"]
        targets = ["/api/gateways", "/api/status", "/api/sites", "/api/organization"]
        for gateway in gateways[:20]:
            targets.append(f"/api/gateway/{gateway['id']}/vpn_peers")
            if gateway["ports"]:
                targets.append(
                    f"/api/gateway/{gateway['id']}/port/{gateway['ports'][0]['name']}/traffic?duration=1h"
                )

        lock = threading.Lock()
        outcome = {"answers": 0, "server_errors": [], "unavailable": 0, "transport_errors": []}
        stop = time.monotonic() + SECONDS
        rss = []

        def client(seed: int) -> None:
            rng = random.Random(seed)
            session = requests.Session()
            # Like a browser, retry once when a kept-alive connection was closed by the server at the
            # moment we reused it (a race of HTTP keep-alive, not a server error).
            session.mount("http://", HTTPAdapter(max_retries=Retry(total=1, connect=1, read=1, status=0)))
            while time.monotonic() < stop:
                path = rng.choice(targets)
                try:
                    response = session.get(base + path, timeout=30)
                except requests.RequestException as exc:
                    with lock:
                        outcome["transport_errors"].append(type(exc).__name__)
                    continue
                json_ok = response.headers.get("Content-Type", "").startswith("application/json")
                with lock:
                    outcome["answers"] += 1
                    if response.status_code == 503 and json_ok:
                        outcome["unavailable"] += 1
                    elif response.status_code >= 500 or not json_ok:
                        outcome["server_errors"].append((path, response.status_code))

        def sample_memory() -> None:
            while time.monotonic() < stop:
                rss.append(process_tree_rss_kb(process.pid))
                time.sleep(2)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        threads.append(threading.Thread(target=sample_memory))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    print(
        f"soak: {outcome['answers']} answers, {outcome['unavailable']} JSON 503s, rss samples KiB {rss[::5]}"
    )
    assert outcome["server_errors"] == []
    assert outcome["transport_errors"] == []
    assert outcome["answers"] > CLIENTS * 5
    third = max(1, len(rss) // 3)
    early, late = max(rss[:third]), max(rss[-third:])
    assert late <= early * 1.25 + 20_000, f"memory grew from {early} KiB to {late} KiB"
