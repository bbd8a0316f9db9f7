"""Prometheus metrics of the WAN circuits and of the app itself, served at ``GET /metrics``.

Why this shape: a scrape must never spend the Mist budget, whatever the scrape rate or the number of
Prometheus servers. Every value comes from data already held in memory: the current ``Snapshot``
(gateway and port rows, per-port history), the collector's ``status()`` (token cool-downs, upstream
calls by endpoint) and a ``CollectionMetrics`` histogram the collector feeds. Families are built by
prometheus_client custom collectors (``collect()`` reads state, yields metric families), the pattern
of the official exporters; the library writes the text format and escapes label values.

Units: Prometheus names use base units, so Mist's link speed in Mbps and its rates in bits per
second are exported in bytes per second (Mbps * 125,000; bps / 8). Counters are Mist's byte counters
as reported (they may restart, e.g. after a reboot; ``rate()`` handles resets).

Timestamps: no sample carries an explicit timestamp; Prometheus stamps each with the scrape time.
Explicit timestamps (the collection time) would make every series vanish from instant queries
once a collection is more than 5 minutes old (Prometheus' lookback), exactly when an operator needs
the last known state, and would defeat staleness handling. The age of the data is exported instead
as ``mistcircuitstats_snapshot_timestamp_seconds`` (epoch of the collection), which the
``MistCircuitStatsSnapshotOld`` alert watches.

Cost: rendering 10,000 gateways takes seconds, so the snapshot's families are rendered (and gzipped)
once per snapshot version, in a forked child process, and reused until the collector publishes the
next one; only the few app families (snapshot age, cool-downs, calls, durations) are rendered per
scrape (see ``MetricsExposition``).
"""

from __future__ import annotations

import gzip
import logging
import math
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from flask import Blueprint, Response, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry
from prometheus_client.utils import floatToGoString

from .forked import run_forked
from .snapshot import Snapshot

log = logging.getLogger(__name__)

__all__ = [
    "AppStatusCollector",
    "CollectionMetrics",
    "MetricsExposition",
    "SnapshotCollector",
    "current_snapshots",
    "metrics_blueprint",
    "snapshot_families",
]

GATEWAY_LABELS = ("org", "site", "gateway", "gateway_id")
PORT_LABELS = (*GATEWAY_LABELS, "port", "wan_name")
MBPS_TO_BYTES = 1_000_000 / 8
BITS_PER_BYTE = 8

# Collections take seconds (small org) to a few minutes (10,000 gateways on a slow link).
COLLECTION_BUCKETS = (0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, math.inf)


class SnapshotSource(Protocol):
    """The app's snapshot store: ``current(org_id)`` plus ``wanted_orgs()``, or a plain ``current()``."""

    def current(self, *org_id: str) -> Snapshot | None: ...


class StatusSource(Protocol):
    def status(self) -> dict: ...


def current_snapshots(source: SnapshotSource) -> list[Snapshot]:
    """The current snapshot of every org the store holds (the store's ``wanted_orgs()``).

    A store without ``wanted_orgs`` (tests, one fixed org) is asked ``current()`` once.
    """
    wanted = getattr(source, "wanted_orgs", None)
    if callable(wanted):
        found = [source.current(org_id) for org_id in wanted()]
    else:
        found = [source.current()]
    return sorted((s for s in found if s is not None), key=lambda s: s.org_id)


# ---------------------------------------------------------------------------------------------
# Values: the rows hold None for "unknown", which must become "no sample", never 0.
# ---------------------------------------------------------------------------------------------


def _number(value: Any) -> float | None:
    """A finite number as float, else None; bool is refused because True is not a measurement."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _flag(value: Any) -> float | None:
    """1.0 / 0.0 for a real boolean, None otherwise (a missing ``up`` is not "down")."""
    return float(value) if isinstance(value, bool) else None


def _label(value: Any) -> str:
    """Label value as text; unknown is "" (Prometheus treats an empty label as absent)."""
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def _scaled(value: Any, factor: float) -> float | None:
    number = _number(value)
    return None if number is None else number * factor


def _availability_ratio(history: dict) -> float | None:
    """7-day availability as a 0..1 ratio.

    The triage history publishes ``availability_7d`` in percent (issue #15: "availability %");
    ``availability_ratio_7d`` is taken as is when a producer already gives a ratio.
    """
    ratio = _number(history.get("availability_ratio_7d"))
    if ratio is None:
        percent = _number(history.get("availability_7d"))
        ratio = None if percent is None else percent / 100
    return ratio if ratio is not None and 0 <= ratio <= 1 else None


def _gauge(name: str, doc: str, labels: Iterable[str], unit: str = "") -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, labels=list(labels), unit=unit)


def _circuit_families() -> dict[str, Metric]:
    """The empty WAN circuit families, by sample name (counters' samples end in ``_total``)."""
    families = [
        _gauge(
            "mist_gateway_connected",
            "1 when Mist reports the gateway connected, 0 otherwise.",
            GATEWAY_LABELS,
        ),
        _gauge("mist_gateway_uptime_seconds", "Gateway uptime as Mist reports it.", GATEWAY_LABELS),
        _gauge("mist_wan_port_up", "1 when the WAN port's link is up, 0 when down.", PORT_LABELS),
        _gauge("mist_wan_port_enabled", "1 when the WAN port is enabled in its configuration.", PORT_LABELS),
        _gauge(
            "mist_wan_port_speed_bytes_per_second",
            "Negotiated link speed (Mist's Mbps converted to bytes per second).",
            PORT_LABELS,
        ),
        CounterMetricFamily(
            "mist_wan_port_rx_bytes", "Bytes received, Mist's counter as reported.", labels=list(PORT_LABELS)
        ),
        CounterMetricFamily(
            "mist_wan_port_tx_bytes", "Bytes sent, Mist's counter as reported.", labels=list(PORT_LABELS)
        ),
        _gauge(
            "mist_wan_port_rx_bytes_per_second",
            "Current receive rate as Mist reports it (its bits per second divided by 8).",
            PORT_LABELS,
        ),
        _gauge(
            "mist_wan_port_tx_bytes_per_second",
            "Current send rate as Mist reports it (its bits per second divided by 8).",
            PORT_LABELS,
        ),
        _gauge(
            "mist_wan_port_last_flap_timestamp_seconds",
            "Epoch seconds of the port's last link state change.",
            PORT_LABELS,
        ),
        _gauge(
            "mist_wan_port_peer_paths",
            "VPN peer paths carried over the port, by state (up or down).",
            (*PORT_LABELS, "state"),
        ),
        _gauge(
            "mist_wan_port_flaps_24h", "Link up/down changes of the port in the last 24 hours.", PORT_LABELS
        ),
        _gauge(
            "mist_wan_port_availability_ratio_7d",
            "Share of the last 7 days the port was up (0 to 1).",
            PORT_LABELS,
        ),
    ]
    return {family.name + ("_total" if family.type == "counter" else ""): family for family in families}


class _CircuitSamples:
    """Fills the circuit families, one label set per gateway and per port shared by its samples.

    Why not ``add_metric``: it builds a new label dict per sample, and with ~290,000 samples at
    10,000 gateways that was a third of the render. ``Metric.add_sample`` takes the dict as given,
    so the ~10 samples of a port share one (the library only reads it, and escapes its values).
    Two rows with the same identity (a gateway without id twice, a port listed twice) would make the
    exposition invalid (duplicate series): the first one wins.
    """

    def __init__(self) -> None:
        self.families = _circuit_families()
        self._seen: set[tuple[str, ...]] = set()  # gateway (4 labels) and port (6 labels) identities

    def add(self, name: str, labels: dict[str, str], value: float | None) -> None:
        if value is not None:
            self.families[name].add_sample(name, labels, value)

    def labels(self, names: tuple[str, ...], identity: tuple[str, ...]) -> dict[str, str] | None:
        """The label dict of a gateway or port seen for the first time, else None."""
        if identity in self._seen:
            return None
        self._seen.add(identity)
        return dict(zip(names, identity, strict=True))


def snapshot_families(*snapshots: Snapshot) -> list[Metric]:
    """Every WAN circuit metric family of these snapshots (pure: the same snapshots give the same text).

    One family per name whatever the number of orgs (a second TYPE line would be invalid); the
    ``org`` label tells the orgs apart.
    """
    out = _CircuitSamples()
    for snapshot in snapshots:
        _add_snapshot(out, snapshot)
    return list(out.families.values())


def _add_snapshot(out: _CircuitSamples, snapshot: Snapshot) -> None:
    org = _label(snapshot.org_name or snapshot.org_id)
    history = snapshot.history or {}
    for row in snapshot.shown(snapshot.gateways):
        gateway_id = _label(row.get("id"))
        gw = (org, _label(row.get("site_name")), _label(row.get("name")), gateway_id)
        labels = out.labels(GATEWAY_LABELS, gw)
        if labels is not None:
            status = row.get("status")
            out.add(
                "mist_gateway_connected", labels, None if status is None else float(status == "connected")
            )
            out.add("mist_gateway_uptime_seconds", labels, _number(row.get("uptime")))
        for port in row.get("ports") or []:
            name = _label(port.get("name"))
            labels = out.labels(PORT_LABELS, (*gw, name, _label(port.get("wan_name"))))
            if labels is not None:
                _add_port(out, labels, port, history.get(f"{gateway_id}|{name}"))


def _add_port(out: _CircuitSamples, labels: dict[str, str], port: dict, history: Any) -> None:
    out.add("mist_wan_port_up", labels, _flag(port.get("up")))
    out.add("mist_wan_port_enabled", labels, _flag(port.get("enabled")))
    out.add("mist_wan_port_speed_bytes_per_second", labels, _scaled(port.get("speed"), MBPS_TO_BYTES))
    out.add("mist_wan_port_rx_bytes_total", labels, _number(port.get("rx_bytes")))
    out.add("mist_wan_port_tx_bytes_total", labels, _number(port.get("tx_bytes")))
    out.add("mist_wan_port_rx_bytes_per_second", labels, _scaled(port.get("rx_bps"), 1 / BITS_PER_BYTE))
    out.add("mist_wan_port_tx_bytes_per_second", labels, _scaled(port.get("tx_bps"), 1 / BITS_PER_BYTE))
    out.add("mist_wan_port_last_flap_timestamp_seconds", labels, _number(port.get("last_flapped")))
    up, total = _number(port.get("peers_up")), _number(port.get("peers_total"))
    if up is not None and total is not None and 0 <= up <= total:
        out.add("mist_wan_port_peer_paths", {**labels, "state": "up"}, up)
        out.add("mist_wan_port_peer_paths", {**labels, "state": "down"}, total - up)
    # The rows carry each port's flap counts and availability; the snapshot's history holds only
    # the ports that had events (down intervals), so it is the fallback.
    counts = history or port
    if isinstance(counts, dict):
        out.add("mist_wan_port_flaps_24h", labels, _number(counts.get("flaps_24h")))
        out.add("mist_wan_port_availability_ratio_7d", labels, _availability_ratio(counts))


def snapshot_state_families(snapshots: Iterable[Snapshot]) -> list[Metric]:
    """Age and completeness of the snapshot being exported (cheap: rendered on every scrape)."""
    timestamp = _gauge(
        "mistcircuitstats_snapshot_timestamp_seconds",
        "Epoch seconds when the exported snapshot's rows were collected (absent before the first).",
        ("org",),
    )
    incomplete = _gauge(
        "mistcircuitstats_snapshot_incomplete",
        "1 when the exported snapshot misses data (a source or a page failed), else 0.",
        ("org",),
    )
    stale = _gauge(
        "mistcircuitstats_snapshot_stale",
        "1 when the last collection failed and older rows are re-published, else 0.",
        ("org",),
    )
    for snapshot in snapshots:
        org = [_label(snapshot.org_name or snapshot.org_id)]
        timestamp.add_metric(org, float(snapshot.as_of))
        incomplete.add_metric(org, float(bool(snapshot.incomplete)))
        stale.add_metric(org, float(bool(snapshot.stale)))
    return [timestamp, incomplete, stale]


class SnapshotCollector(Collector):
    """prometheus_client custom collector: the WAN circuit families of the current snapshot.

    Register it in any ``CollectorRegistry``; each ``collect()`` reads the store's current snapshots
    and nothing else. (The blueprint below does not go through it on every scrape: it renders the same
    families once per snapshot version, see ``MetricsExposition``.)
    """

    def __init__(self, snapshots: SnapshotSource) -> None:
        self.snapshots = snapshots

    def describe(self) -> list[Metric]:
        return []  # no collect() at registration time: there may be no snapshot yet

    def collect(self) -> Iterator[Metric]:
        yield from snapshot_families(*current_snapshots(self.snapshots))


# ---------------------------------------------------------------------------------------------
# The app's own metrics
# ---------------------------------------------------------------------------------------------


class CollectionMetrics:
    """Histogram of collection durations; the collector calls ``observe_collection(seconds)``.

    Kept here rather than as a prometheus_client ``Histogram`` in the global registry so that each
    app (and each test) has its own, and so the families stay under our custom collectors.
    """

    def __init__(self, buckets: Iterable[float] = COLLECTION_BUCKETS) -> None:
        bounds = sorted(float(b) for b in buckets)
        if not bounds or bounds[-1] != math.inf:
            bounds.append(math.inf)
        self.bounds = tuple(bounds)
        self._counts = [0] * len(self.bounds)
        self._sum = 0.0
        self._lock = threading.Lock()

    def observe_collection(self, seconds: float) -> None:
        value = _number(seconds)
        if value is None or value < 0:
            return
        with self._lock:
            self._sum += value
            for i, bound in enumerate(self.bounds):
                if value <= bound:
                    self._counts[i] += 1
                    break

    def state(self) -> dict:
        """JSON-able state, for the collector's shared status (see ``family_from_state``)."""
        with self._lock:
            return {
                "bounds": [floatToGoString(b) for b in self.bounds],
                "counts": list(self._counts),
                "sum": self._sum,
            }

    def family(self) -> HistogramMetricFamily:
        return family_from_state(self.state())


def family_from_state(state: dict) -> HistogramMetricFamily:
    """The histogram family of a ``CollectionMetrics.state()`` (per-bucket, not cumulative, counts)."""
    cumulative, buckets = 0, []
    for bound, count in zip(state["bounds"], state["counts"], strict=True):
        cumulative += count
        buckets.append((bound, cumulative))
    return HistogramMetricFamily(
        "mistcircuitstats_collection_duration_seconds",
        "Wall time of one collection of the org from Mist (all pages and reference data).",
        buckets=buckets,
        sum_value=state["sum"],
    )


def _shared_histogram(status: dict) -> dict | None:
    """``status["collection_histogram"]`` when it is a well-formed ``CollectionMetrics.state()``."""
    state = status.get("collection_histogram")
    if not isinstance(state, dict):
        return None
    bounds, counts, total = state.get("bounds"), state.get("counts"), _number(state.get("sum"))
    if (
        not isinstance(bounds, list)
        or not isinstance(counts, list)
        or len(bounds) != len(counts)
        or not bounds
        or bounds[-1] != "+Inf"
        or not all(isinstance(b, str) for b in bounds)
        or not all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts)
        or total is None
    ):
        return None
    return {"bounds": bounds, "counts": counts, "sum": total}


class SnapshotVersionObserver:
    """Feeds ``CollectionMetrics`` from ``Snapshot.collection_seconds`` when no collector does.

    Used when the app passes no ``CollectionMetrics`` of its own: each new snapshot version seen at
    a scrape is observed once. Collections finished between two scrapes are missed, so the
    collector calling ``observe_collection`` itself (one of its ``observers``) is preferred.
    """

    def __init__(self, metrics: CollectionMetrics) -> None:
        self.metrics = metrics
        self._last: dict[str, int] = {}
        self._lock = threading.Lock()

    def saw(self, snapshots: Iterable[Snapshot]) -> None:
        for snapshot in snapshots:
            if snapshot.collection_seconds is None or snapshot.stale:
                continue
            with self._lock:
                if self._last.get(snapshot.org_id) == snapshot.version:
                    continue
                self._last[snapshot.org_id] = snapshot.version
            self.metrics.observe_collection(snapshot.collection_seconds)


def _status_list(status: dict, *keys: str) -> list[dict]:
    for key in keys:
        value = status.get(key)
        if isinstance(value, list):
            return [item for item in value if isinstance(item, dict)]
    return []


class AppStatusCollector(Collector):
    """prometheus_client custom collector: the app's own state, read on every scrape.

    Reads ``collector.status()`` (an in-memory dict, no Mist call):
    ``tokens`` (or ``cooldowns``): ``[{"token": masked, "cooling_until": epoch | None}]``,
    ``upstream_calls_by_endpoint``: ``[{"endpoint", "status", "calls"}]`` and, when present,
    ``collection_histogram``: the collecting process's ``CollectionMetrics.state()``, preferred over
    this process's own histogram so that every worker reports the same one.
    """

    def __init__(
        self,
        snapshots: SnapshotSource,
        collector: StatusSource | None,
        collection_metrics: CollectionMetrics,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.snapshots = snapshots
        self.collector = collector
        self.collection_metrics = collection_metrics
        self.clock = clock

    def describe(self) -> list[Metric]:
        return []

    def collect(self) -> Iterator[Metric]:
        yield from self.families(current_snapshots(self.snapshots))

    def families(self, snapshots: list[Snapshot]) -> Iterator[Metric]:
        """The app families, with the age and completeness of ``snapshots`` (the ones being served)."""
        yield from snapshot_state_families(snapshots)
        status = self._status()
        # With several workers only the lease holder collects: its histogram, shared through the
        # collector's status, is the same whichever worker answers the scrape.
        shared = _shared_histogram(status)
        yield family_from_state(shared) if shared is not None else self.collection_metrics.family()
        calls = CounterMetricFamily(
            "mistcircuitstats_upstream_calls",
            "Calls made to the Mist API since start, by endpoint and HTTP status (or error kind).",
            labels=["endpoint", "status"],
        )
        seen: set[tuple[str, str]] = set()
        for item in _status_list(status, "upstream_calls_by_endpoint"):
            labels = (_label(item.get("endpoint")), _label(item.get("status")))
            value = _number(item.get("calls"))
            if value is not None and labels not in seen:
                seen.add(labels)
                calls.add_metric(list(labels), value)
        yield calls
        cooldown = _gauge(
            "mistcircuitstats_token_cooldown_seconds",
            "Seconds until the token may be used again after a 429 (0 when usable).",
            ("token",),
        )
        now, tokens = self.clock(), set()
        for item in _status_list(status, "tokens", "cooldowns", "token_cooldowns"):
            token = _label(item.get("token"))
            if token in tokens:
                continue
            tokens.add(token)
            until = _number(item.get("cooling_until"))
            cooldown.add_metric([token], max(0.0, until - now) if until is not None else 0.0)
        yield cooldown

    def _status(self) -> dict:
        if self.collector is None:
            return {}
        try:
            status = self.collector.status()
        except Exception:  # a broken status must not take the circuit metrics down with it
            log.exception("collector status unavailable for /metrics")
            return {}
        return status if isinstance(status, dict) else {}


# ---------------------------------------------------------------------------------------------
# Exposition: snapshot families rendered once per version, app families per scrape
# ---------------------------------------------------------------------------------------------


class _Families(Collector):
    """Adapter: any families-producing call, rendered through a registry like a live collector."""

    def __init__(self, produce: Callable[[], Iterable[Metric]]) -> None:
        self.produce = produce

    def collect(self) -> Iterator[Metric]:
        yield from self.produce()


def _render(produce: Callable[[], Iterable[Metric]]) -> bytes:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Families(produce))
    return generate_latest(registry)


def _render_gzip(snapshots: list[Snapshot]) -> bytes:
    """The circuit families of ``snapshots``: 8 bytes of plain-text size, then the gzipped text.

    Rendered and compressed one family at a time, so the whole text (56 MB at 10,000 gateways)
    never exists at once; the gzip stream is the same as compressing the concatenation.
    """
    compressor = zlib.compressobj(5, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # 16+: gzip framing
    size, parts = 0, []
    for family in snapshot_families(*snapshots):
        plain = _render(lambda family=family: [family])
        size += len(plain)
        parts.append(compressor.compress(plain))
    parts.append(compressor.flush())
    return struct.pack("!Q", size) + b"".join(parts)


@dataclass(frozen=True)
class RenderedSnapshots:
    """The circuit families of one set of snapshot versions as gzipped text exposition."""

    key: tuple
    snapshots: tuple[Snapshot, ...]
    body_gzip: bytes
    size: int  # bytes of the uncompressed text
    seconds: float  # wall time the render took
    child_private_kb: int  # memory of its own the render child used (0 when rendered in this process)


class _RenderJob:
    def __init__(self, key: tuple) -> None:
        self.key = key
        self.done = threading.Event()


def _versions_key(snapshots: Iterable[Snapshot]) -> tuple:
    return tuple((s.org_id, s.version, s.as_of) for s in snapshots)


class MetricsExposition:
    """The /metrics body: the circuit part rendered once per snapshot version + the app part now.

    Rendering every circuit of 10,000 gateways takes seconds of pure Python (the library formats
    each of ~290,000 samples), so it happens once per snapshot version, in a forked child process
    (``circuitstats.forked``): the web process's GIL stays free for requests and the render uses
    the other core. A scrape that finds a new version starts its render and waits at most
    ``wait_seconds`` for it; if the render is still running, the scrape is answered from the
    previous version (with that version's timestamp, so the age stays true), or with the app's own
    metrics only when no version was rendered yet (the first seconds after the first snapshot).
    Once anyone has scraped, ``refresh()`` (called by the collector after each publish) starts the
    next render at once, so a scrape rarely finds a version unrendered; an app nobody scrapes never
    renders.

    Only the gzipped text is kept (Prometheus always asks for gzip); a client that does not accept
    gzip gets it decompressed. Both parts are text exposition with disjoint family names, so their
    concatenation is one valid exposition, and concatenated gzip members are one valid gzip stream
    (RFC 1952) that Prometheus' Go client and every browser decode.
    """

    def __init__(
        self,
        snapshots: SnapshotSource,
        collector: StatusSource | None = None,
        collection_metrics: CollectionMetrics | None = None,
        clock: Callable[[], float] = time.time,
        wait_seconds: float = 0.25,
        fork: bool = True,
    ) -> None:
        self.snapshots = snapshots
        self.observer = None
        if collection_metrics is None:
            collection_metrics = CollectionMetrics()
            self.observer = SnapshotVersionObserver(collection_metrics)
        self.collection_metrics = collection_metrics
        self.app_collector = AppStatusCollector(snapshots, collector, collection_metrics, clock)
        self.wait_seconds = wait_seconds
        self.fork = fork
        self.renders = 0  # how many times the circuit part was rendered (tests check the caching)
        self.scraped = False
        self._rendered: RenderedSnapshots | None = None
        self._job: _RenderJob | None = None
        self._lock = threading.Lock()

    def prepare(self) -> RenderedSnapshots | None:
        """Render the current snapshots now (blocking) unless done already (benchmarks, tests)."""
        current = current_snapshots(self.snapshots)
        return self._rendered_for(current, wait=None) if current else None

    def refresh(self, *_: Any) -> None:
        """Start rendering the current snapshots in the background, if anyone has scraped yet.

        Shaped as a collector observer (it ignores the collection's duration).
        """
        if self.scraped:
            current = current_snapshots(self.snapshots)
            if current:
                self._rendered_for(current, wait=0)

    def _rendered_for(self, snapshots: list[Snapshot], wait: float | None) -> RenderedSnapshots | None:
        key = _versions_key(snapshots)
        with self._lock:
            rendered = self._rendered
            if rendered is not None and rendered.key == key:
                return rendered
            job, start = self._job, False
            if job is None or job.key != key:
                job, start = _RenderJob(key), True
                self._job = job
        if start:
            threading.Thread(target=self._render_job, args=(job, snapshots), daemon=True).start()
        if job.done.wait(wait):
            with self._lock:
                return self._rendered
        return rendered

    def _render_job(self, job: _RenderJob, snapshots: list[Snapshot]) -> None:
        try:
            started = time.perf_counter()
            if self.fork:
                child = run_forked(lambda: _render_gzip(snapshots))
                framed, private_kb = child.data, child.private_kb
            else:
                framed, private_kb = _render_gzip(snapshots), 0
            (size,) = struct.unpack("!Q", framed[:8])
            rendered = RenderedSnapshots(
                job.key, tuple(snapshots), framed[8:], size, time.perf_counter() - started, private_kb
            )
            with self._lock:
                self.renders += 1
                if self._job is job or self._rendered is None:  # a newer job supersedes this one
                    self._rendered = rendered
        except Exception:  # a render bug must not wedge scrapes waiting on this job
            log.exception("rendering the metrics of snapshots %s failed", job.key)
        finally:
            with self._lock:
                if self._job is job:
                    self._job = None
            job.done.set()

    def body_gzip(self) -> bytes:
        """The whole exposition, gzipped."""
        self.scraped = True
        current = current_snapshots(self.snapshots)
        if self.observer is not None:
            self.observer.saw(current)
        rendered = self._rendered_for(current, self.wait_seconds) if current else None
        served = list(rendered.snapshots) if rendered is not None else []
        app_part = gzip.compress(_render(lambda: self.app_collector.families(served)), compresslevel=5)
        return (rendered.body_gzip if rendered is not None else b"") + app_part

    def body(self) -> bytes:
        """The whole exposition as plain text."""
        return gzip.decompress(self.body_gzip())


def _accepts_gzip(header: str) -> bool:
    for part in header.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip() in ("gzip", "*"):
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def metrics_blueprint(
    snapshots: SnapshotSource,
    collector: StatusSource | None = None,
    collection_metrics: CollectionMetrics | None = None,
    wait_seconds: float = 0.25,
) -> Blueprint:
    """Blueprint serving ``GET /metrics`` from the store's current snapshots and ``collector.status()``.

    ``snapshots``: the snapshot store (``wanted_orgs()`` + ``current(org_id)``, or ``current()``).
    ``collector``: anything with ``status() -> dict`` (see ``AppStatusCollector``), or None.
    ``collection_metrics``: the ``CollectionMetrics`` the collector observes (append its
    ``observe_collection`` to the collector's observers); without one, durations are taken from each
    new snapshot's ``collection_seconds`` as scrapes see it. The exposition is reachable as
    ``blueprint.exposition``: append its ``refresh`` to the collector's observers so each new
    snapshot is rendered as soon as it is published; ``prepare()`` renders and waits (benchmarks).
    ``wait_seconds``: how long a scrape waits for a render in progress (see ``MetricsExposition``).
    """
    exposition = MetricsExposition(snapshots, collector, collection_metrics, wait_seconds=wait_seconds)
    blueprint = Blueprint("metrics", __name__)

    @blueprint.get("/metrics")
    def metrics() -> Response:
        zipped = exposition.body_gzip()
        if _accepts_gzip(request.headers.get("Accept-Encoding", "")):
            response = Response(zipped, content_type=CONTENT_TYPE_LATEST)
            response.headers["Content-Encoding"] = "gzip"
        else:
            response = Response(gzip.decompress(zipped), content_type=CONTENT_TYPE_LATEST)
        response.headers["Vary"] = "Accept-Encoding"
        response.headers["Cache-Control"] = "no-store"
        return response

    blueprint.exposition = exposition  # the app and the bench reach the renderer through the blueprint
    return blueprint
