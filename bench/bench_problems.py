"""Benchmark of the problems and port-history core on a large simulated org.

    python bench/bench_problems.py [--gateways 10000] [--seed 7] [--repeat 5]

Builds the gateway rows of the simulated org exactly as the collector does (org-wide stats pages
through circuits.build_gateway_rows), reads a week of port events through the simulated search
endpoint and what the refreshes after it cost (search calls per collection, one a minute), then
times what the collector runs on every collection: ingesting the events,
``PortHistory.for_rows`` (Snapshot.history), ``compute_problems`` and ``problem_counts``, plus the
JSON round trip that keeps the history in Redis. Prints a table and writes
bench/results/problems.json. Times are CPU milliseconds of this process (steady on a busy machine,
and these steps are single-threaded, so CPU time is the time they take on an idle one), best and
median of ``--repeat`` runs, plus the best wall-clock time.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from circuits import build_gateway_rows  # noqa: E402
from circuitstats.history import PORT_EVENT_TYPES, PortHistory  # noqa: E402
from circuitstats.problems import Thresholds, compute_problems, problem_counts  # noqa: E402
from mist_simulator import MistSimulator  # noqa: E402

TOKEN = "bench-token"
HOST = "https://api.mist.com"


def list_all(session: requests.Session, path: str, **params) -> tuple[list, int]:
    """Every item of a paged list endpoint, and the calls it took."""
    items, page = [], 1
    while True:
        response = session.get(HOST + path, params={**params, "limit": 1000, "page": page})
        response.raise_for_status()
        chunk = response.json()
        items.extend(chunk)
        if len(items) >= int(response.headers.get("X-Page-Total", len(items))) or not chunk:
            return items, page
        page += 1


def search_all(session: requests.Session, path: str, **params) -> tuple[list, int]:
    """Every result of a search endpoint (following ``next``), and the calls it took."""
    response = session.get(HOST + path, params={**params, "limit": 1000})
    calls = 1
    response.raise_for_status()
    body = response.json()
    results = list(body["results"])
    while body.get("next"):
        response = session.get(HOST + body["next"])
        calls += 1
        response.raise_for_status()
        body = response.json()
        results.extend(body["results"])
    return results, calls


def search_port_events(session: requests.Session, org: str, start: float, end: float) -> tuple[list, int]:
    """The org's gateway port up/down events in [start, end], as the collector asks for them."""
    return search_all(
        session,
        org + "/devices/events/search",
        device_type="gateway",
        type=",".join(PORT_EVENT_TYPES),
        start=int(start),
        end=int(end),
    )


def refresh_calls(sim, session, org: str, events: list, start: float, end: float, refreshes: int, interval: float):
    """Search calls and events read by each of ``refreshes`` collections ``interval`` seconds apart,
    once the week is read: what the collector spends on events in the steady state (issue #15: at
    most 5 calls)."""
    history = PortHistory()
    history.ingest(events, start, end)
    calls, read = [], []
    for step in range(1, refreshes + 1):
        now = end + step * interval
        sim._fixed_now = now  # the simulated cloud's clock moves on by one refresh
        window_start, window_end = history.next_window(now)
        fresh, used = search_port_events(session, org, window_start, window_end)
        history.ingest(fresh, window_start, window_end)
        calls.append(used)
        read.append(len(fresh))
    sim._fixed_now = None
    return calls, read


WALL: dict[str, float] = {}


def timed(call, repeat: int, label: str = "") -> tuple[float, float, object]:
    """(best CPU ms, median CPU ms, last result) of ``repeat`` calls; best wall ms in WALL[label]."""
    cpu, wall, result = [], [], None
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        result = call()
        cpu.append((time.process_time() - started_cpu) * 1000)
        wall.append((time.perf_counter() - started) * 1000)
    WALL[label] = min(wall)
    return min(cpu), statistics.median(cpu), result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gateways", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    sim = MistSimulator(gateways=args.gateways, seed=args.seed, tokens=(TOKEN,), rate_limit=10**9)
    session = requests.Session()
    sim.mount(session)
    session.headers["Authorization"] = f"Token {TOKEN}"
    org = f"/api/v1/orgs/{sim.org_id}"

    started = time.perf_counter()
    stats, _ = list_all(session, org + "/stats/devices", type="gateway", fields="*")
    sites, _ = list_all(session, org + "/sites")
    templates, _ = list_all(session, org + "/gatewaytemplates")
    profiles, _ = list_all(session, org + "/deviceprofiles", type="gateway")
    inventory, _ = list_all(session, org + "/inventory", type="gateway")
    rows = build_gateway_rows(stats, sites, templates, profiles, inventory, None)
    peers = {g["id"]: g.get("vpn_peers") or [] for g in stats if g.get("id")}
    del stats
    rows_seconds = time.perf_counter() - started

    now = float(sim.now())
    history = PortHistory()
    start, end = history.next_window(now)
    events, event_calls = search_port_events(session, org, start, end)

    refresh_interval = 60.0  # CACHE_TTL_SECONDS' default: one collection a minute
    steady_calls, steady_read = refresh_calls(sim, session, org, events, start, end, 15, refresh_interval)

    def first_ingest():
        fresh = PortHistory()
        fresh.ingest(events, start, end)
        return fresh

    ingest_best, ingest_median, history = timed(first_ingest, args.repeat, "ingest")
    per_port_best, per_port_median, per_port = timed(
        lambda: history.for_rows(rows, now), args.repeat, "for_rows"
    )
    limits = Thresholds()
    problems_best, problems_median, problems = timed(
        lambda: compute_problems(rows, peers, per_port, limits, now), args.repeat, "problems"
    )
    counts_best, _, counts = timed(lambda: problem_counts(problems), args.repeat)
    dump_best, _, text = timed(history.to_json, args.repeat)
    load_best, _, _ = timed(lambda: PortHistory.from_json(text), args.repeat)

    ports = sum(len(row["ports"]) for row in rows)
    results = {
        "gateways": len(rows),
        "wan_ports": ports,
        "peer_paths": sum(len(p) for p in peers.values()),
        "rows_build_seconds": round(rows_seconds, 2),
        "port_events_7d": len(events),
        "event_search_calls": event_calls,
        "ports_with_events": len(history.events),
        "steady_refresh_interval_s": refresh_interval,
        "steady_event_calls_per_refresh": steady_calls,
        "steady_events_read_per_refresh": steady_read,
        "wall_ms_best": {key: round(value, 1) for key, value in WALL.items()},
        "cpu_ms": {
            "ingest_week": [round(ingest_best, 1), round(ingest_median, 1)],
            "history_for_rows": [round(per_port_best, 1), round(per_port_median, 1)],
            "compute_problems": [round(problems_best, 1), round(problems_median, 1)],
            "problem_counts": round(counts_best, 2),
            "history_to_json": round(dump_best, 1),
            "history_from_json": round(load_best, 1),
        },
        "history_json_bytes": len(text),
        "problems": len(problems),
        "problem_counts": counts,
        "python": platform.python_version(),
    }

    print(f"org: {len(rows)} gateways, {ports} WAN ports, {results['peer_paths']} peer paths")
    print(f"rows built from stats pages in {rows_seconds:.2f} s (not part of the timings below)")
    print(f"port events in 7 days: {len(events)} in {event_calls} search calls")
    print(
        f"then one collection a minute for {len(steady_calls)} minutes: {steady_calls} search calls each"
        f" (max {max(steady_calls)}), reading {min(steady_read)} to {max(steady_read)} events each"
    )
    print(f"{'step (CPU ms)':<34} {'best':>9} {'median':>9} {'best wall':>10}")
    for label, key, best, median in (
        ("ingest a week of events", "ingest", ingest_best, ingest_median),
        ("history.for_rows (all ports)", "for_rows", per_port_best, per_port_median),
        ("compute_problems", "problems", problems_best, problems_median),
    ):
        print(f"{label:<34} {best:9.1f} {median:9.1f} {WALL[key]:10.1f}")
    print(f"{'problem_counts':<34} {counts_best:9.2f}")
    print(
        f"{'history to_json / from_json':<34} {dump_best:9.1f} / {load_best:.1f}   ({len(text) / 1e3:.0f} kB)"
    )
    print(f"problems: {len(problems)}  {json.dumps(counts)}")
    out = ROOT / "bench" / "results" / "problems.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"written {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
