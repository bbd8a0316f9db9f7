"""JSON codecs side by side on the dashboard's two heavy JSON jobs at 10,000 gateways.

1. Serializing a snapshot's table (rows of every gateway and WAN port) once per collection:
   ``circuitstats/codec.py`` uses orjson for this since it measured faster here and in
   ``bench_dashboard``.
2. Parsing one page of 1,000 gateway stats with ``fields=*`` as the Mist API sends it. orjson is
   faster here, on its own; inside a cold collection it was not (see ``circuitstats/codec.py``),
   so mistapi keeps parsing with the standard library inside ``requests``.

Prints best-of-N wall times for the standard library ``json`` and, when installed, ``orjson``.
Usage: python bench/bench_codec.py [--gateways 10000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import create_app  # noqa: E402


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateways", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    app = create_app(
        {
            "demo": True,
            "demo_gateways": args.gateways,
            "enrich_budget": 0,
            "extra": {"collector_autostart": False},
        }
    )
    runtime = app.extensions["runtime"]
    (snapshot,) = runtime.collector.collect_once()
    data = snapshot.data(snapshot.gateways)
    data["gateways"] = list(data["gateways"])  # shown rows come as a one-pass iterator
    sim = runtime.conn.simulator
    org = sim.org_id
    reply = sim.dispatch(
        "GET",
        f"/api/v1/orgs/{org}/stats/devices",
        "type=gateway&fields=*&limit=1000&page=1",
        {"Authorization": f"Token {runtime.settings.tokens[0]}"},
    )
    page_text = reply.body if isinstance(reply.body, bytes | str) else json.dumps(reply.body)
    rows = [
        (
            "json",
            lambda: json.dumps(data, separators=(",", ":"), allow_nan=False),
            lambda: json.loads(page_text),
        )
    ]
    try:
        import orjson

        rows.append(("orjson", lambda: orjson.dumps(data), lambda: orjson.loads(page_text)))
    except ImportError:
        print("orjson is not installed: pip install orjson to compare")
    size = len(json.dumps(data))
    print(
        f"{args.gateways} gateways: table JSON {size / 1e6:.1f} MB; stats page {len(page_text) / 1e6:.1f} MB"
    )
    print(f"{'codec':>8} {'serialize table':>16} {'parse stats page':>17}")
    results = {}
    for name, dump, load in rows:
        results[name] = (best(dump, args.repeat), best(load, args.repeat))
        print(f"{name:>8} {results[name][0] * 1000:>13.0f} ms {results[name][1] * 1000:>14.0f} ms")
    if len(results) == 2:
        (d1, l1), (d2, l2) = results["json"], results["orjson"]
        print(f"orjson/json: serialize x{d1 / d2:.1f} faster, parse x{l1 / l2:.1f} faster")


if __name__ == "__main__":
    main()
