"""The standalone server: a subprocess on a free port, spoken to with plain requests."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
import requests

from tests.support.servers import REPO, free_port


@pytest.fixture(scope="module")
def server():
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mist_simulator",
            "--port",
            str(port),
            "--gateways",
            "30",
            "--seed",
            "7",
            "--tokens",
            "tokA,tokB",
            "--rate-limit",
            "50",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        lines = [process.stdout.readline() for _ in range(3)]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.get(base + "/__simulator__/calls", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        yield base, lines
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def test_startup_prints_org_and_tokens(server):
    _base, lines = server
    assert lines[0].startswith("mist_simulator listening on http://127.0.0.1:")
    assert lines[1].startswith("org_id ") and len(lines[1].split()[1]) == 36
    assert lines[2].strip() == "tokens tokA,tokB"


def test_server_answers_the_api_and_counts_calls(server):
    base, lines = server
    org_id = lines[1].split()[1]
    auth = {"Authorization": "Token tokA"}
    me = requests.get(base + "/api/v1/self", headers=auth, timeout=5)
    assert me.status_code == 200 and me.json()["privileges"][0]["org_id"] == org_id
    stats = requests.get(
        base + f"/api/v1/orgs/{org_id}/stats/devices",
        params={"type": "gateway", "fields": "*", "limit": 1000},
        headers=auth,
        timeout=5,
    )
    assert stats.status_code == 200 and len(stats.json()) == 30
    assert stats.headers["X-Page-Total"] == "30" and stats.headers["Content-Type"] == "application/json"
    search = requests.get(
        base + f"/api/v1/orgs/{org_id}/stats/ports/search",
        params={"limit": 5},
        headers={"Authorization": "Token tokB"},
        timeout=5,
    ).json()
    assert search["next"].startswith(f"/api/v1/orgs/{org_id}/stats/ports/search?")
    assert (
        requests.get(base + "/api/v1/self", headers={"Authorization": "Token bad"}, timeout=5).status_code
        == 401
    )
    assert requests.get(base + "/api/v1/nowhere", headers=auth, timeout=5).status_code == 404
    calls = requests.get(base + "/__simulator__/calls", timeout=5).json()
    assert calls["by_operation"]["getSelf"] == 2 and calls["by_operation"]["listOrgDevicesStats"] == 1
    assert calls["by_token"]["tokA"] == 3 and calls["by_token"]["tokB"] == 1
    assert calls["total"] == 5 and calls["by_token"]["bad"] == 1
