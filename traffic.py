"""Per-port traffic time series: time windows, statistics and the TrafficSeries shape.

Pure functions over the answer of the Mist gateway insights endpoint
(``{"start", "end", "interval", "rt": [...], "rx_bps": [...], ...}``). Gaps (null samples) stay
gaps: they are never read as zero traffic, which would drag averages and percentiles down and
draw a fake outage on the chart.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any, TypedDict

from circuitstats import validate

__all__ = [
    "METRICS",
    "WINDOWS",
    "Stat",
    "TrafficSeries",
    "percentile_nearest_rank",
    "series_stats",
    "shape_traffic",
]

# window -> (duration in seconds, sample interval in seconds); the interval keeps every chart
# between 12 and 168 points and is a multiple of the 300 s the insights API requires.
WINDOWS: dict[str, tuple[int, int]] = {
    "1h": (3600, 300),
    "6h": (21600, 600),
    "24h": (86400, 1800),
    "7d": (604800, 3600),
}

# metrics a TrafficSeries carries, in the order the insights API is asked for them
METRICS = ("rx_bps", "tx_bps", "latency", "jitter", "loss")


class Stat(TypedDict):
    """Summary of one direction of traffic over the window."""

    avg: float | None
    peak: float | None
    p95: float | None
    utilisation_pct: float | None


class TrafficSeries(TypedDict):
    """What the traffic route returns (INTERFACES.md section 4)."""

    duration: str
    interval: int
    timestamps: list[int | float]
    rx_bps: list[float | None]
    tx_bps: list[float | None]
    latency: list[float | None]
    jitter: list[float | None]
    loss: list[float | None]
    speed_bps: int | float | None
    stats: dict[str, Stat]


def _sample(value: Any) -> int | float | None:
    """A usable sample (finite number of sane magnitude, not bool) or None: junk becomes a gap.

    The magnitude bound (validate.number) matters: a 400-digit integer is finite, but averaging it
    raises OverflowError, and ``1e400`` arrives as inf; neither may reach the stats or strict JSON.
    """
    return validate.number(value)


def _time(value: Any) -> int | float | None:
    """A sample time in epoch seconds (1970..2100), else None."""
    return validate.epoch(value)


# Longest interval we accept from an answer: a week per sample is already coarser than any window.
_MAX_INTERVAL = 604_800


def _present(values: Any) -> list[int | float]:
    """The non-null samples of a series."""
    return [v for v in (_sample(value) for value in values or []) if v is not None]


def percentile_nearest_rank(values: Any, percentile: float) -> int | float | None:
    """Nearest-rank percentile: the value at rank ceil(p/100 * N) of the sorted non-null samples.

    Nearest-rank always returns a sample that was actually measured (no interpolation), which is
    what "95th percentile" means in bandwidth billing. The rank is computed with exact fractions
    so 95 % of 20 samples is rank 19, not 19.000000000000004 rounded up to 20. None when there
    are no samples.
    """
    if not 0 <= percentile <= 100:
        raise ValueError(f"percentile must be within 0..100, got {percentile}")
    ordered = sorted(_present(values))
    if not ordered:
        return None
    rank = math.ceil(Fraction(str(percentile)) * len(ordered) / 100)
    return ordered[max(rank, 1) - 1]


def series_stats(values: Any, speed_bps: int | float | None) -> Stat:
    """avg, peak and p95 over the non-null samples, and avg as a percentage of the link speed.

    Utilisation is None without a known positive speed: a percentage of an unknown is unknown.
    """
    present = _present(values)
    avg = sum(present) / len(present) if present else None
    speed = _sample(speed_bps)
    utilisation = avg / speed * 100 if avg is not None and speed and speed > 0 else None
    return Stat(
        avg=avg,
        peak=max(present) if present else None,
        p95=percentile_nearest_rank(present, 95),
        utilisation_pct=utilisation,
    )


def _sample_times(answer: dict, interval: int) -> list[tuple[int, int | float]]:
    """(index, time) of every sample: ``rt`` when given, else ``start`` + n * ``interval``.

    Indices are kept so that metrics stay aligned with their time even if an ``rt`` entry is
    unusable and dropped.
    """
    rt = answer.get("rt")
    if isinstance(rt, list):
        return [(i, t) for i, t in enumerate(rt) if _time(t) is not None]
    start = _time(answer.get("start"))
    if start is None:
        return []
    longest = max((len(answer[m]) for m in METRICS if isinstance(answer.get(m), list)), default=0)
    return [(i, start + i * interval) for i in range(longest)]


def _aligned(values: Any, indices: list[int]) -> list[int | float | None]:
    """A metric as exactly one value per timestamp: missing metric or missing tail -> None."""
    values = values if isinstance(values, list) else []
    return [_sample(values[i]) if i < len(values) else None for i in indices]


def shape_traffic(
    insights_answer: dict | None, duration_key: str, speed_mbps: int | float | None
) -> TrafficSeries:
    """TrafficSeries from one insights answer for the window ``duration_key`` (a WINDOWS key).

    ``speed_mbps`` is the port's link speed from port stats (Mbps, as Mist reports it); it is
    converted to bit/s so that utilisation compares like with like.
    """
    if duration_key not in WINDOWS:
        raise ValueError(f"unknown duration {duration_key!r}; expected one of {', '.join(WINDOWS)}")
    answer = insights_answer if isinstance(insights_answer, dict) else {}
    interval = validate.integer(answer.get("interval"), 1, _MAX_INTERVAL) or WINDOWS[duration_key][1]
    times = _sample_times(answer, int(interval))
    indices = [i for i, _ in times]
    metrics = {metric: _aligned(answer.get(metric), indices) for metric in METRICS}
    speed = _sample(speed_mbps)
    speed_bps = speed * 1_000_000 if speed and speed > 0 else None
    return TrafficSeries(
        duration=duration_key,
        interval=int(interval),
        timestamps=[t for _, t in times],
        rx_bps=metrics["rx_bps"],
        tx_bps=metrics["tx_bps"],
        latency=metrics["latency"],
        jitter=metrics["jitter"],
        loss=metrics["loss"],
        speed_bps=speed_bps,
        stats={
            "rx": series_stats(metrics["rx_bps"], speed_bps),
            "tx": series_stats(metrics["tx_bps"], speed_bps),
        },
    )
