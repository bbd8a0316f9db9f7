"""Gateway insights (per-port traffic and WAN-quality series) for the simulated cloud.

The path `/api/v1/sites/{site_id}/insights/gateway/{device_id}/stats` is newer than the official
OpenAPI file; its answer follows the other insights answers:
`{"start", "end", "interval", "rt": [...], "<metric>": [...]}` with one value per interval and null
where no sample exists. Samples: 5-minute ones for the last 48 hours, hourly ones for 14 days, both
complete slots only (a slot still running has no sample yet). Buckets are aligned on multiples
of the interval and there are ceil((end - start) / interval) of them, the last one holding `end`.
`limit`/`page` page over the intervals and the X-Page-* headers carry the total, the same as the
list endpoints (this project's assumption).
"""

from __future__ import annotations

from .org import Gateway, Port
from .queries import BadRequest, int_param, span_seconds, time_window
from .traffic import FIVE_MIN, HOUR, TrafficModel

METRICS = ("rx_bps", "tx_bps", "latency", "jitter", "loss")
FINE_RETENTION = 48 * HOUR
HOURLY_RETENTION = 14 * 86_400
MAX_INTERVALS = 20_000


def parse_interval(raw: str | None, span: int) -> int:
    if not raw:
        return 600 if span <= 86_400 else HOUR
    seconds = span_seconds(raw, "interval")
    if seconds % FIVE_MIN:
        raise BadRequest("interval must be a multiple of 300 seconds")
    return seconds


def select_ports(gateway: Gateway, port_id: str | None) -> list[Port]:
    if port_id is None:
        return gateway.wan_ports
    return [p for p in gateway.ports if port_id in (p.port_id, p.interface)]


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def bucket_samples(bucket: int, interval: int, now: int) -> tuple[str, list[int]]:
    """Which samples fall in [bucket, bucket + interval): ("hour", hour indexes) or ("slot", slots)."""
    if interval % HOUR == 0:
        hours = range(bucket // HOUR, (bucket + interval) // HOUR)
        return "hour", [h for h in hours if h * HOUR >= now - HOURLY_RETENTION and (h + 1) * HOUR <= now]
    slots = range(bucket // FIVE_MIN, (bucket + interval) // FIVE_MIN)
    return "slot", [s for s in slots if s * FIVE_MIN >= now - FINE_RETENTION and (s + 1) * FIVE_MIN <= now]


def port_bucket(traffic: TrafficModel, port: Port, kind: str, samples: list[int], metrics: tuple) -> dict:
    """Mean of each metric over the samples of one bucket, for one port (None without samples)."""
    wave = port.wave
    out: dict[str, float | None] = {}
    for direction in ("rx", "tx"):
        name = f"{direction}_bps"
        if name in metrics:
            if kind == "hour":
                values = [traffic.hourly_bps(wave, direction, h) for h in samples]
            else:
                values = [traffic.five_minute_bps(wave, direction, s) for s in samples]
            out[name] = _mean([v for v in values if v is not None])
    if any(m in metrics for m in ("latency", "jitter", "loss")):
        if kind == "hour":
            quality = [traffic.quality(wave, h) for h in samples]
        else:
            quality = [traffic.quality(wave, s // 12, s) for s in samples]
        quality = [q for q in quality if q is not None]
        for name in ("latency", "jitter", "loss"):
            if name in metrics:
                out[name] = _mean([q[name] for q in quality])
    return out


def combine(per_port: list[dict], name: str) -> float | None:
    values = [p[name] for p in per_port if p.get(name) is not None]
    if not values:
        return None
    if name.endswith("_bps"):
        return round(sum(values))
    return round(sum(values) / len(values), 2)


def gateway_insights(
    traffic: TrafficModel, gateway: Gateway, query: dict, now: int
) -> tuple[dict, int, int, int]:
    """The answer body plus (total intervals, limit, page) for the X-Page-* headers."""
    raw_metrics = query.get("metrics")
    if not raw_metrics:
        raise BadRequest("metrics is required")
    metrics = tuple(m.strip() for m in raw_metrics.split(",") if m.strip())
    unknown = [m for m in metrics if m not in METRICS]
    if unknown or not metrics:
        raise BadRequest(f"unknown metrics: {', '.join(unknown) or raw_metrics!r}")
    start, end = time_window(query, now)
    interval = parse_interval(query.get("interval"), end - start)
    total = -(-(end - start) // interval)  # ceil(span / interval) points
    last_edge = -(-end // interval) * interval  # buckets align on interval boundaries, the last holds `end`
    first = last_edge - total * interval
    if total > MAX_INTERVALS:
        raise BadRequest("too many intervals: use a larger interval or a shorter range")
    limit = int_param(query, "limit", 100, 1, 1000)
    page = int_param(query, "page", 1, 1)
    ports = select_ports(gateway, query.get("port_id") or None)
    if query.get("port_id") and not ports:
        raise LookupError(f"port {query['port_id']} not found on this gateway")
    offset = (page - 1) * limit
    buckets = [first + i * interval for i in range(offset, min(total, offset + limit))]
    body: dict = {"start": first, "end": end, "interval": interval, "rt": buckets}
    series: dict[str, list] = {m: [] for m in metrics}
    for bucket in buckets:
        kind, samples = bucket_samples(bucket, interval, now)
        per_port = [port_bucket(traffic, p, kind, samples, metrics) for p in ports] if samples else []
        for m in metrics:
            series[m].append(combine(per_port, m))
    body.update(series)
    return body, total, limit, page
