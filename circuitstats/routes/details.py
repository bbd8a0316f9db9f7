"""Per-gateway details: peer paths (from the snapshot) and traffic charts (one Insights call per view).

Only ids present in the current snapshot are served; anything else is a 404 that costs no Mist call.
"""

from __future__ import annotations

import re

from flask import Blueprint

import csv_export
from circuitstats.routes.answers import csv_download, from_snapshot
from circuitstats.routes.params import check_port, check_uuid, mac_param, port_param, uuid_param, window_param
from circuitstats.routes.table import current_snapshot, need_runtime

details = Blueprint("details", __name__)


@details.get("/api/gateway/<gateway_id>/vpn_peers")
def gateway_peers(gateway_id):
    gateway_id = check_uuid("gateway_id", gateway_id)
    port_id, site_id, mac = port_param(), uuid_param("site_id"), mac_param()
    snapshot = current_snapshot()
    paths = need_runtime().details.peer_paths(snapshot, gateway_id, port_id, site_id, mac)
    return from_snapshot(snapshot, paths)


def _traffic(gateway_id: str, port_id: str):
    gateway_id, port_id = check_uuid("gateway_id", gateway_id), check_port(port_id)
    window, site_id = window_param(), uuid_param("site_id")
    snapshot = current_snapshot()
    series, as_of = need_runtime().details.traffic(snapshot, gateway_id, port_id, site_id, window)
    return snapshot, series, as_of, window, f"{gateway_id}|{port_id}"


@details.get("/api/gateway/<gateway_id>/port/<path:port_id>/traffic")
def port_traffic(gateway_id, port_id):
    """The chart's series, with the port's down intervals (from device events) inside its window."""
    snapshot, series, as_of, _, port_key = _traffic(gateway_id, port_id)
    history = snapshot.history.get(port_key) or {}
    start = series["timestamps"][0] if series.get("timestamps") else None
    series = {**series, "down_intervals": down_intervals_since(history.get("down_intervals"), start)}
    return from_snapshot(snapshot, series, as_of=as_of, stale=False, stale_reason=None)


def down_intervals_since(intervals, start) -> list[list]:
    """``[[down, up or None], ...]`` that overlap the chart's window, clipped to its start."""
    if not intervals or start is None:
        return []
    return [[max(down, start), up] for down, up in intervals if up is None or up > start]


@details.get("/api/gateway/<gateway_id>/port/<path:port_id>/traffic.csv")
def port_traffic_csv(gateway_id, port_id):
    _, series, _, window, _ = _traffic(gateway_id, port_id)
    safe_port = re.sub(r"[^A-Za-z0-9]+", "-", port_id)
    return csv_download(csv_export.traffic_csv(series), f"mist_traffic_{safe_port}_{window}")
