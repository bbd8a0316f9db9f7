"""A Snapshot of the simulated demo org, built without any HTTP and without the collector.

Why: the metrics tests and bench/bench_metrics.py need realistic rows (the same shapes the
dashboard shows) before and independently of the collector. Raw payloads come straight from the
simulator's JSON views (the same bytes its HTTP layer would answer) and go through the real shaping
code, ``circuits.build_gateway_rows``. Port fields that the shaping may not carry yet (``rx_bps``,
``tx_bps``, ``last_flapped``) are copied from the raw port stats when absent, and a small per-port
history is derived deterministically from the port, so every metric family has samples.
"""

from __future__ import annotations

import json
import time
import zlib

import circuits
from circuitstats.snapshot import Snapshot
from mist_simulator import MistSimulator, payloads


def raw_org(sim: MistSimulator) -> dict:
    """The org's raw Mist payloads: device stats with ports and peers, and the reference lists."""
    org, views, now = sim.org(), sim.views[sim.org_id], sim.now()
    return {
        "stats": [json.loads(views.stats(g, now, {"*"})) for g in org.gateways],
        "sites": [payloads.site_object(org, s) for s in org.sites],
        "templates": [payloads.template_object(org, t) for t in org.templates],
        "profiles": [payloads.profile_object(org, p) for p in org.profiles],
        "inventory": [payloads.inventory_object(org, g) for g in org.gateways],
    }


def _fill_port_fields(rows: list[dict], stats: list[dict]) -> None:
    """Copy rx_bps/tx_bps/last_flapped from raw port stats into rows that lack them."""
    by_gateway = {s["id"]: {p["port_id"]: p for p in s.get("ports", [])} for s in stats}
    for row in rows:
        raw_ports = by_gateway.get(row["id"], {})
        for port in row["ports"]:
            raw = raw_ports.get(circuits.split_interface(port["name"])[0], {})
            up = port.get("up") is True
            for field in ("rx_bps", "tx_bps"):
                port.setdefault(field, raw.get(field) if up else None)
            port.setdefault("last_flapped", raw.get("last_flapped"))


def _history(rows: list[dict]) -> dict[str, dict]:
    """Deterministic per-port history (flaps, availability) in the shape the triage work publishes."""
    history = {}
    for row in rows:
        for port in row["ports"]:
            key = f"{row['id']}|{port['name']}"
            spread = zlib.crc32(key.encode()) % 100
            flaps = 0 if spread < 70 else spread % 7
            history[key] = {
                "flaps_24h": flaps,
                "flaps_7d": flaps * 3,
                "availability_7d": 100.0 if flaps == 0 else round(100 - flaps * 0.7, 2),
            }
    return history


def demo_snapshot(
    gateways: int = 40,
    seed: int = 7,
    *,
    with_history: bool = True,
    version: int = 1,
    now: float | None = None,
) -> Snapshot:
    """A published-looking Snapshot of the simulated org with ``gateways`` gateways.

    ``now`` pins the simulator's clock (its traffic changes every 5 minutes of that clock).
    """
    sim = MistSimulator(gateways=gateways, seed=seed, now=now)
    raw = raw_org(sim)
    rows = circuits.build_gateway_rows(
        raw["stats"], raw["sites"], raw["templates"], raw["profiles"], raw["inventory"]
    )
    _fill_port_fields(rows, raw["stats"])
    peers = {s["id"]: s.get("vpn_peers", []) for s in raw["stats"]}
    org = sim.org()
    return Snapshot(
        version=version,
        org_id=org.id,
        org_name=org.name,
        as_of=time.time() if now is None else now,
        gateways=rows,
        index={row["id"]: row for row in rows},
        peers=peers,
        summary=dict(circuits.summarize(rows)),
        sites=raw["sites"],
        history=_history(rows) if with_history else {},
        collection_seconds=1.5,
    )
