"""Immutable, versioned snapshots of an org's WAN circuits, and where they are kept.

Why: web requests must never wait on Mist nor see a half-built table. The collector builds one
``Snapshot`` per collection (rows, id index, summary, problems, history, what is incomplete, and the
serialized JSON body with its gzip bytes and ETag) and publishes it atomically; readers take the
current pointer. At most the current and the previous version are kept anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Snapshot:
    """One collection of one org, never modified after it is published.

    ``gateways`` are GatewayRow dicts (circuits.py) sorted for display, enrichment merged into their
    ``ports``; ``index`` maps gateway id -> that same row; ``peers`` maps gateway id -> its VPN peer
    path dicts (the fields of dashboard.KEEP_FIELDS["peers"]). ``incomplete`` lists what is missing:
    ``{"source": "gateway_stats", "got": 1000, "total": 1500, "why": "page 2 failed: ..."}``.
    ``history`` maps ``"<gateway_id>|<port name>"`` -> per-port event history (flaps_24h, flaps_7d,
    availability_7d, down_intervals). ``stale`` is True when this version re-publishes older rows
    because a collection failed; ``stale_reason`` then says why.
    """

    version: int
    org_id: str
    org_name: str | None
    as_of: float  # epoch seconds when the rows were collected
    gateways: list[dict]
    index: dict[str, dict]
    peers: dict[str, list[dict]]
    summary: dict
    sites: list[dict] = field(default_factory=list)
    incomplete: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    history: dict[str, dict] = field(default_factory=dict)
    thresholds: dict[str, Any] = field(default_factory=dict)
    enrichment: dict[str, Any] = field(default_factory=dict)
    stale: bool = False
    stale_reason: str | None = None
    collection_seconds: float | None = None
    body: bytes = b""  # the /api/gateways JSON answer for the whole org
    body_gzip: bytes = b""
    etag: str = ""
