"""Per-request details: VPN peer paths and traffic charts of ids present in the current snapshot.

Why a separate service: these are the only answers a web request may pay Mist for (one Insights call
per chart view), and only for a gateway and port the snapshot knows, so a caller cannot make the
app spend its budget on made-up ids. Peer paths cost nothing: the snapshot holds them. Answers and
errors are kept briefly in bounded memories, so a chart opened by many users costs one call.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

import circuits
import traffic
from circuitstats.snapshot import Snapshot
from mist_connection import MistConnection, MistError, MistNotFound

TRAFFIC_TTL = 120.0  # one chart view is reused this long
ERROR_TTL = 15.0  # a failed chart is not asked again for this long (protects the budget)
MAX_ENTRIES = 256  # answers and errors remembered, each; the oldest go first


class UnknownGateway(LookupError):
    """A gateway id (or its MAC, or site) that is not in the current snapshot: a 404, no Mist call."""


class UnknownPort(LookupError):
    """A port that the gateway of the current snapshot does not have: a 404, no Mist call."""


class BoundedMemory:
    """A small LRU of (expiry, value) pairs: what a request-time answer or error is kept as."""

    def __init__(self, size: int = MAX_ENTRIES):
        self._entries: OrderedDict[tuple, tuple[float, Any]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] <= time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: tuple, value: Any, ttl: float) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


def gateway_of(
    snapshot: Snapshot, gateway_id: str, site_id: str | None = None, mac: str | None = None
) -> dict:
    """The snapshot's row of this gateway; any mismatch of site or MAC is the same 404 as a bad id."""
    row = snapshot.index.get(gateway_id)
    if row is None:
        raise UnknownGateway("gateway_id is not a gateway of this organization's current data")
    if site_id is not None and row.get("site_id") != site_id:
        raise UnknownGateway("site_id does not match the gateway's site")
    if mac is not None and (row.get("mac") or "").lower() != mac:
        raise UnknownGateway("mac does not match the gateway's MAC address")
    return row


def port_of(row: dict, port_id: str) -> dict:
    port = next((p for p in row["ports"] if p["name"] == port_id), None)
    if port is None:
        raise UnknownPort("port_id is not a WAN port of this gateway")
    return port


class Details:
    """Answers for the peer-path modal and the traffic chart."""

    def __init__(self, conn: MistConnection):
        self.conn = conn
        self._answers = BoundedMemory()
        self._errors = BoundedMemory()
        self._flights: dict[tuple, threading.Lock] = {}
        self._flights_lock = threading.Lock()

    def peer_paths(
        self, snapshot: Snapshot, gateway_id: str, port_id: str | None, site_id: str | None, mac: str | None
    ) -> list[dict]:
        """One gateway's VPN peer paths from the snapshot; with ``port_id``, those the table counts."""
        row = gateway_of(snapshot, gateway_id, site_id, mac)
        paths = circuits.peer_path_rows(snapshot.peer_paths(gateway_id), None)
        if port_id:
            port_of(row, port_id)
            paths = [
                p for p in paths if circuits.path_counts_for_port(p.get("port_id"), port_id, row["ports"])
            ]
        return [dict(p) for p in paths]

    def traffic(
        self, snapshot: Snapshot, gateway_id: str, port_id: str, site_id: str | None, window: str
    ) -> tuple[dict, float]:
        """(time series with stats, as_of) of one port: one Insights call per view, shared by users."""
        row = gateway_of(snapshot, gateway_id, site_id)
        port = port_of(row, port_id)
        if not row.get("site_id"):
            raise UnknownGateway("the gateway is not assigned to a site: Mist has no insights for it")
        key = (snapshot.org_id, gateway_id, port_id, window)
        with self._flights_lock:
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:  # users opening the same chart together cost one call
            cached = self._answers.get(key)
            if cached is not None:
                return cached
            error = self._errors.get(key)
            if error is not None:
                raise error
            try:
                value = self._fetch(row, port, window)
            except MistError as exc:
                self._errors.put(key, exc, ERROR_TTL)
                raise
            finally:
                with self._flights_lock:
                    self._flights.pop(key, None)
            self._answers.put(key, value, TRAFFIC_TTL)
            return value

    def _fetch(self, row: dict, port: dict, window: str) -> tuple[dict, float]:
        duration, interval = traffic.WINDOWS[window]
        end = int(time.time()) // interval * interval
        try:
            answer = self.conn.port_insights(
                row["site_id"], row["id"], port["name"], end - duration, end, interval
            )
        except MistNotFound:
            raise UnknownGateway("Mist has no such gateway or port at this site") from None
        series = dict(traffic.shape_traffic(answer, window, port.get("speed")))
        return series, time.time()

    def status(self) -> dict:
        return {"charts_remembered": len(self._answers), "errors_remembered": len(self._errors)}
