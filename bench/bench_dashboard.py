"""Benchmark of the dashboard against the simulated Mist cloud, side by side for several org sizes.

For each org size it starts the app under gunicorn (one worker, many threads, so the app's own
count of Mist calls is the whole server's) with a simulated latency per Mist call, in two modes:
``demo`` (the simulated cloud inside the app's process, as MIST_DEMO=1 runs it) and ``remote`` (the
simulated cloud as a separate ``python -m mist_simulator`` server reached over loopback HTTP, so the
app's memory is the dashboard's alone; see bench/remote_simulator_app.py). In ``remote`` mode the
simulated cloud and the app are pinned to different CPUs (taskset, when there are two): the
simulator's work is the real cloud's, done on its own servers (the per-call latency stands for
it), so it must not take the app's core; for the same reason it renders each 5-minute slot's
stats ahead of time. It measures:

* cold start: the first collection's Mist calls; its duration until the rows are shaped (the
  collector's own figure, ``collection_seconds``) and until the first snapshot is published with
  its serialized body (the collector's phases); and the wall time from a healthy server to the
  first ``/api/gateways`` answer;
* warm ``/api/gateways``: p50/p95 latency over sequential requests;
* 50 concurrent users for 20 s on a fresh server, each behaving like a browser (keeps the ETag and
  sends ``If-None-Match``, accepts gzip): requests/s, p50/p95/p99, errors, and the Mist calls they
  cost compared with one collection (the collector is the only caller, so they are equal);
* 1,000 requests for gateway ids the snapshot does not hold: their Mist calls (0 expected);
* peak RSS of the server;
* the page in Chromium on a fresh server: time until gateway rows are visible.

Prints a table and writes JSON (default bench/results/dashboard.json).
Usage: python bench/bench_dashboard.py [--sizes 100,1000,10000] [--latency-ms 100] [--users 50]
       [--seconds 20] [--modes demo,remote]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.support.servers import free_port, gunicorn_command, process_tree_rss_kb, running_server  # noqa: E402

ROW_SELECTOR = "tr.gw-row[data-gateway-id]"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def server_env(size: int, latency_ms: float) -> dict[str, str]:
    return {
        "MIST_DEMO": "1",
        "MIST_DEMO_GATEWAYS": str(size),
        "MIST_DEMO_LATENCY_MS": str(latency_ms),
        "MIST_DEMO_RATE_LIMIT": "1000000",
        "ENRICH_BUDGET": "0",  # background config calls would blur the per-load call counts
        "LOG_LEVEL": "WARNING",
    }


BENCH_TOKENS = "bench-token-alpha-0001,bench-token-bravo-0002"


def on_core(core: int) -> list[str]:
    """``taskset`` prefix pinning a process to one CPU (none when taskset or the core is missing)."""
    if shutil.which("taskset") and core < (os.cpu_count() or 1):
        return ["taskset", "-c", str(core)]
    return []


@contextmanager
def dashboard_server(mode: str, size: int, latency_ms: float, workdir: Path, name: str, threads: int = 64):
    """gunicorn serving the dashboard; yields (base URL, app pid).

    ``demo``: the simulated cloud inside the app's process (what MIST_DEMO=1 users run).
    ``remote``: the simulated cloud as a separate ``python -m mist_simulator`` server reached over
    loopback HTTP, so the app process's memory and CPU are the dashboard's alone.
    """
    port = free_port()
    log = workdir / f"{name}-{mode}-{size}.log"
    if mode == "demo":
        with running_server(gunicorn_command(port, 1, threads), server_env(size, latency_ms), port, log) as (
            base,
            process,
        ):
            yield base, process.pid
        return
    with simulator_server(size, latency_ms, workdir / f"{name}-simulator-{size}.log") as simulator_url:
        env = {
            "MIST_APITOKEN": BENCH_TOKENS,
            "BENCH_SIMULATOR_URL": simulator_url,
            "ENRICH_BUDGET": "0",
            "LOG_LEVEL": "WARNING",
        }
        command = on_core(0) + gunicorn_command(
            port, 1, threads, application="bench.remote_simulator_app:app"
        )
        with running_server(command, env, port, log) as (base, process):
            yield base, process.pid


@contextmanager
def simulator_server(size: int, latency_ms: float, log_path: Path):
    port = free_port()
    command = on_core(1) + [
        sys.executable, "-m", "mist_simulator", "--port", str(port), "--gateways", str(size), "--seed", "7",
        "--tokens", BENCH_TOKENS, "--latency-ms", str(latency_ms), "--rate-limit", "1000000",
    ]  # fmt: skip
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    if requests.get(url + "/__simulator__/calls", timeout=2).status_code == 200:
                        break
                except requests.RequestException:
                    time.sleep(0.2)
            else:
                raise RuntimeError("the simulator server did not start")
            yield url
        finally:
            process.terminate()
            process.wait(timeout=15)


class MemorySampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak_kb, self.running = pid, 0, True

    def run(self) -> None:
        while self.running:
            self.peak_kb = max(self.peak_kb, process_tree_rss_kb(self.pid))
            time.sleep(0.1)


def collector_status(base: str) -> dict:
    return requests.get(base + "/api/status", timeout=30).json()["data"]["collector"]


def upstream_calls(base: str) -> int:
    return collector_status(base)["this_process"]["upstream_calls"]


def request_path_calls(base: str) -> int:
    """Calls of the only endpoint a web request may use (Insights, for a chart); the collector's
    calls (it may still be reading the event history after a cold start) are not counted."""
    rows = collector_status(base)["upstream_calls_by_endpoint"]
    return sum(r["calls"] for r in rows if r["endpoint"] == "getSiteInsightMetricsForGateway")


def unknown_id_calls(base: str, requests_count: int = 1000) -> int:
    """Mist calls spent by requests for ids that are not in the snapshot (all must be 404)."""
    before = request_path_calls(base)
    session = requests.Session()
    for i in range(requests_count):
        gid = f"00000000-0000-4000-8000-{i:012d}"
        path = f"/api/gateway/{gid}/port/ge-0/0/0/traffic" if i % 2 else f"/api/gateway/{gid}/vpn_peers"
        assert session.get(base + path, timeout=30).status_code == 404
    return request_path_calls(base) - before


def first_published_seconds(base: str, wait: float = 120.0) -> float | None:
    """Seconds from the start of the first collection until its first snapshot was published,
    serialized body and gzip included (the collector's phases, known once that collection ends:
    on a cold start it goes on reading the week of events after publishing the table)."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        for org in collector_status(base)["orgs"].values():
            phases = org.get("last_collection_phases") or {}
            if "first_published" in phases:
                names = list(phases)
                return round(sum(phases[n] for n in names[: names.index("first_published") + 1]), 3)
        time.sleep(0.5)
    return None


def cold_and_warm(mode: str, size: int, latency_ms: float, warm_requests: int, workdir: Path) -> dict:
    with dashboard_server(mode, size, latency_ms, workdir, "cold") as (base, pid):
        sampler = MemorySampler(pid)
        sampler.start()
        started = time.perf_counter()
        response = requests.get(base + "/api/gateways", timeout=300)
        cold_seconds = time.perf_counter() - started
        assert response.status_code == 200, response.text[:300]
        rows = len(response.json()["data"]["gateways"])
        cold_calls = upstream_calls(base)
        first_collection = response.json().get("collection_seconds")  # until the first snapshot
        # Warm answers as a browser receives them: the gzipped body over the wire (the client's
        # own decompression and parsing are not the server's latency), and revalidations (304).
        timings, revalidations = [], []
        session = requests.Session()
        session.headers["Accept-Encoding"] = "gzip"
        for _ in range(warm_requests):
            started = time.perf_counter()
            answer = session.get(base + "/api/gateways", timeout=60, stream=True)
            answer.raise_for_status()
            answer.raw.read(decode_content=False)
            timings.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            again = session.get(base + "/api/gateways", headers={"If-None-Match": answer.headers["ETag"]})
            assert again.status_code == 304, again.status_code
            revalidations.append((time.perf_counter() - started) * 1000)
        problem_timings = []
        for _ in range(warm_requests):
            started = time.perf_counter()
            session.get(base + "/api/problems", timeout=60).raise_for_status()
            problem_timings.append((time.perf_counter() - started) * 1000)
        unknown_calls = unknown_id_calls(base)
        published = first_published_seconds(base)
        sampler.running = False
        sampler.join()
    return {
        "gateways": rows,
        "cold_calls": cold_calls,
        "cold_collection_s": first_collection,
        "cold_published_s": published,
        "cold_seconds": round(cold_seconds, 3),
        "unknown_id_calls": unknown_calls,
        "warm_p50_ms": round(percentile(timings, 50), 1),
        "warm_p95_ms": round(percentile(timings, 95), 1),
        "warm_304_p95_ms": round(percentile(revalidations, 95), 1),
        "problems_p50_ms": round(percentile(problem_timings, 50), 1),
        "problems_p95_ms": round(percentile(problem_timings, 95), 1),
        "payload_bytes": len(response.content),
        "rss_peak_mb_cold_warm": round(sampler.peak_kb / 1024, 1),
    }


def concurrent_users(
    mode: str, size: int, latency_ms: float, users: int, seconds: float, workdir: Path
) -> dict:
    with dashboard_server(mode, size, latency_ms, workdir, "users") as (base, pid):
        sampler = MemorySampler(pid)
        sampler.start()
        # The users arrive once the first snapshot exists (the cold start is measured above).
        requests.get(base + "/api/gateways", timeout=300).raise_for_status()
        barrier = threading.Barrier(users)
        lock = threading.Lock()
        latencies: list[float] = []
        errors: list[str] = []
        stop = [0.0]

        def user() -> None:
            session = requests.Session()
            # Like a browser, retry once when the server closed a kept-alive connection just as we
            # reused it (an HTTP keep-alive race); anything else still counts as an error.
            session.mount("http://", HTTPAdapter(max_retries=Retry(total=1, connect=1, read=1, status=0)))
            session.headers["Accept-Encoding"] = "gzip"
            etag = None
            barrier.wait()
            while time.monotonic() < stop[0]:
                started = time.perf_counter()
                try:
                    headers = {"If-None-Match": etag} if etag else {}
                    response = session.get(base + "/api/gateways", headers=headers, timeout=120)
                    status = response.status_code
                    etag = response.headers.get("ETag", etag)
                    error = None if status in (200, 304) else f"HTTP {status}"
                except requests.RequestException as exc:
                    error = type(exc).__name__
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    if error:
                        errors.append(error)

        stop[0] = time.monotonic() + seconds + 1.0
        threads = [threading.Thread(target=user) for _ in range(users)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - began
        calls = upstream_calls(base)
        sampler.running = False
        sampler.join()
    return {
        "users": users,
        "requests": len(latencies),
        "requests_per_s": round(len(latencies) / wall, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "mist_calls": calls,
        "rss_peak_mb": round(sampler.peak_kb / 1024, 1),
    }


def open_dashboard(playwright, base: str, timeout_ms: int) -> tuple[Any, Any, float]:
    """Chromium on the dashboard at ``base``: (browser, page, seconds until gateway rows are visible)."""
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    started = time.perf_counter()
    page.goto(base + "/")
    page.wait_for_selector(ROW_SELECTOR, state="visible", timeout=timeout_ms)
    return browser, page, time.perf_counter() - started


def browser_rows_visible(mode: str, size: int, latency_ms: float, workdir: Path) -> float | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    with dashboard_server(mode, size, latency_ms, workdir, "browser", threads=16) as (base, _):  # fmt: skip
        with sync_playwright() as p:
            browser, _, seconds = open_dashboard(p, base, timeout_ms=120_000)
            browser.close()
    return round(seconds, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--warm-requests", type=int, default=100)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument(
        "--modes",
        default="demo,remote",
        help="demo: simulator inside the app process; remote: simulator as its own server (app memory alone)",
    )
    parser.add_argument("--json", default="bench/results/dashboard.json")
    args = parser.parse_args()
    workdir = Path(args.json).resolve().parent
    workdir.mkdir(parents=True, exist_ok=True)

    results = []
    for mode in args.modes.split(","):
        for size in [int(s) for s in args.sizes.split(",")]:
            row = {"mode": mode, "size": size, "latency_ms": args.latency_ms}
            row.update(cold_and_warm(mode, size, args.latency_ms, args.warm_requests, workdir))
            row["concurrent"] = concurrent_users(
                mode, size, args.latency_ms, args.users, args.seconds, workdir
            )
            row["browser_rows_visible_s"] = (
                None if args.no_browser else browser_rows_visible(mode, size, args.latency_ms, workdir)
            )
            row["rss_peak_mb"] = max(row["rss_peak_mb_cold_warm"], row["concurrent"]["rss_peak_mb"])
            results.append(row)
            print(json.dumps(row), flush=True)

    header = (
        f"{'mode':>6} {'gateways':>8} {'cold calls':>10} {'collect s':>9} {'published s':>11} {'cold s':>7} "
        f"{'warm p50':>9} {'warm p95':>9} "
        f"{'users':>5} {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} {'err':>4} {'calls(50u)':>10} "
        f"{'RSS MB':>7} {'browser s':>9} {'unknown-id calls':>16} {'problems p95':>12} {'304 p95':>7}"
    )
    print("\n" + header)
    for r in results:
        c = r["concurrent"]
        print(
            f"{r['mode']:>6} {r['gateways']:>8} {r['cold_calls']:>10} "
            f"{r['cold_collection_s']:>9} {r['cold_published_s']!s:>11} {r['cold_seconds']:>7} "
            f"{r['warm_p50_ms']:>9} "
            f"{r['warm_p95_ms']:>9} {c['users']:>5} {c['requests_per_s']:>7} "
            f"{c['p50_ms']:>7} {c['p95_ms']:>7} "
            f"{c['p99_ms']:>7} {c['errors']:>4} {c['mist_calls']:>10} "
            f"{r['rss_peak_mb']:>7} "
            f"{r['browser_rows_visible_s'] if r['browser_rows_visible_s'] is not None else '-':>9} "
            f"{r['unknown_id_calls']:>16} {r['problems_p95_ms']:>12} {r['warm_304_p95_ms']:>7}"
        )
    Path(args.json).write_text(json.dumps({"latency_ms": args.latency_ms, "results": results}, indent=2))
    print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
