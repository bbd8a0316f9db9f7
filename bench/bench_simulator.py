"""Benchmark of the simulated Mist cloud: build time of a 10,000-gateway org and the CPU cost of
serving the dashboard's biggest pages through the requests adapter.

    python bench/bench_simulator.py [--gateways 10000]

Prints a table and writes bench/results/simulator.json. "cold" is the first request of a 5-minute
slot (per-gateway JSON is built), "warm" a repeat inside the same slot (served from the cache).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mist_simulator import MistSimulator  # noqa: E402

TOKEN = "bench-token"


def cpu_of(call) -> tuple[float, object]:
    """(CPU seconds, result) of one call."""
    started = time.process_time()
    result = call()
    return time.process_time() - started, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateways", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    started = time.perf_counter()
    sim = MistSimulator(gateways=args.gateways, seed=args.seed, tokens=(TOKEN,), rate_limit=10**9)
    build_seconds = time.perf_counter() - started
    session = requests.Session()
    sim.mount(session)
    session.headers["Authorization"] = f"Token {TOKEN}"
    base = f"https://api.mist.com/api/v1/orgs/{sim.org_id}"

    def stats_page():
        return session.get(base + "/stats/devices", params={"type": "gateway", "fields": "*", "limit": 1000})

    def port_page():
        return session.get(base + "/stats/ports/search", params={"device_type": "gateway", "limit": 1000})

    def peer_page():
        return session.get(base + "/stats/vpn_peers/search", params={"limit": 1000})

    results = {"gateways": args.gateways, "build_org_seconds": round(build_seconds, 3)}
    for name, call in (
        ("device_stats_fields_all", stats_page),
        ("port_search", port_page),
        ("peer_path_search", peer_page),
    ):
        cold, response = cpu_of(call)
        warm = min(cpu_of(call)[0] for _ in range(5))
        assert response.status_code == 200, response.text
        results[name] = {
            "cpu_ms_cold": round(cold * 1000, 1),
            "cpu_ms_warm": round(warm * 1000, 1),
            "bytes": len(response.content),
        }
    results["truth"] = sim.truth()
    results["python"] = platform.python_version()

    print(f"{'org build (' + str(args.gateways) + ' gateways)':<40} {build_seconds:8.3f} s")
    for name in ("device_stats_fields_all", "port_search", "peer_path_search"):
        row = results[name]
        print(
            f"{name + ' page of 1000':<40} cold {row['cpu_ms_cold']:7.1f} ms CPU   "
            f"warm {row['cpu_ms_warm']:6.1f} ms CPU   {row['bytes'] / 1e6:5.2f} MB"
        )
    out = ROOT / "bench" / "results" / "simulator.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
