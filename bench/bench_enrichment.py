"""Background enrichment cost: calls per site for device configs and site variables, and how long
the first pass takes at a given budget, against the in-process simulated cloud.

Prints, per org size: sites with gateways, listSiteDevices and getSiteSetting calls, calls per site,
the seconds until every site was read, and the share of template values still unresolved after it
(should be 0: every `{{var}}` of the simulated templates is defined in the site settings).
Usage: python bench/bench_enrichment.py [--sizes 100,1000] [--budget 5000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app import create_app  # noqa: E402


def run(size: int, budget: int) -> dict:
    app = create_app(
        {"demo": True, "demo_gateways": size, "enrich_budget": budget, "enrich_start_delay": 0.0,
         "extra": {"collector_autostart": False}}
    )  # fmt: skip
    runtime = app.extensions["runtime"]
    sim = runtime.conn.simulator
    runtime.collector.collect_once()
    table_calls = sim.calls()["total"]
    started = time.monotonic()
    while True:
        status = runtime.collector.enricher.status()
        if status["sites_total"] and status["sites_pending"] == 0:
            break
        if time.monotonic() - started > 600:
            raise RuntimeError(f"enrichment did not finish: {status}")
        time.sleep(0.05)
    seconds = time.monotonic() - started
    (snapshot,) = runtime.collector.collect_once()
    runtime.collector.stop()
    by_operation = sim.calls()["by_operation"]
    values = [p[k] for g in snapshot.gateways for p in g["ports"] for k in ("ip", "gateway") if p[k]]
    unresolved = sum(1 for v in values if "{{" in str(v))
    sites = status["sites_total"]
    configs, settings = by_operation.get("listSiteDevices", 0), by_operation.get("getSiteSetting", 0)
    return {
        "gateways": size,
        "table_calls": table_calls,
        "sites": sites,
        "listSiteDevices": configs,
        "getSiteSetting": settings,
        "calls_per_site": round((configs + settings) / sites, 2) if sites else None,
        "first_pass_s": round(seconds, 2),
        "unresolved_after": unresolved,
        "vars_pending_after": sum(1 for g in snapshot.gateways if g.get("vars_pending")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000")
    parser.add_argument("--budget", type=int, default=5000)
    args = parser.parse_args()
    print(f"{'gateways':>8} {'table calls':>11} {'sites':>6} {'configs':>8} {'settings':>9} {'per site':>8} "
          f"{'first pass s':>12} {'unresolved':>10} {'pending':>7}")  # fmt: skip
    for size in [int(s) for s in args.sizes.split(",")]:
        r = run(size, args.budget)
        print(f"{r['gateways']:>8} {r['table_calls']:>11} {r['sites']:>6} {r['listSiteDevices']:>8} "
              f"{r['getSiteSetting']:>9} {r['calls_per_site']:>8} {r['first_pass_s']:>12} "
              f"{r['unresolved_after']:>10} {r['vars_pending_after']:>7}")  # fmt: skip


if __name__ == "__main__":
    main()
