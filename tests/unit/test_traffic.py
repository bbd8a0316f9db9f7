"""Unit tests for traffic.py: nearest-rank percentiles, stats with gaps, TrafficSeries shaping."""

from __future__ import annotations

import math

import pytest

from traffic import WINDOWS, percentile_nearest_rank, series_stats, shape_traffic


def test_windows_match_the_interface_contract():
    assert WINDOWS == {"1h": (3600, 300), "6h": (21600, 600), "24h": (86400, 1800), "7d": (604800, 3600)}
    points = {key: duration // interval for key, (duration, interval) in WINDOWS.items()}
    assert points == {"1h": 12, "6h": 36, "24h": 48, "7d": 168}


def test_p95_of_1_to_100_is_95():
    assert percentile_nearest_rank(list(range(1, 101)), 95) == 95


def test_p95_of_20_values_is_the_19th():
    values = [v * 10 for v in range(20, 0, -1)]  # unsorted on purpose
    assert percentile_nearest_rank(values, 95) == 190  # rank ceil(0.95 * 20) = 19


@pytest.mark.parametrize(
    ("values", "percentile", "expected"),
    [
        ([15, 20, 35, 40, 50], 30, 20),  # rank ceil(1.5) = 2
        ([15, 20, 35, 40, 50], 40, 20),  # rank ceil(2.0) = 2 exactly, no float creep to 3
        ([15, 20, 35, 40, 50], 50, 35),
        ([15, 20, 35, 40, 50], 100, 50),
        ([15, 20, 35, 40, 50], 0, 15),
        ([7], 95, 7),
        (list(range(1, 13)), 95, 12),  # 12 samples (1h window): rank ceil(11.4) = 12
    ],
)
def test_nearest_rank_known_values(values, percentile, expected):
    assert percentile_nearest_rank(values, percentile) == expected


def test_percentile_ignores_nulls_and_empty_is_none():
    assert percentile_nearest_rank([None, 5, None, 1, 3], 95) == 5
    assert percentile_nearest_rank([None, None], 95) is None
    assert percentile_nearest_rank([], 95) is None
    with pytest.raises(ValueError, match="percentile"):
        percentile_nearest_rank([1], 101)


def test_series_stats_ignore_gaps():
    stats = series_stats([100, None, 300, None], 1000)
    assert stats == {"avg": 200, "peak": 300, "p95": 300, "utilisation_pct": 20}


def test_series_stats_utilisation_needs_a_speed():
    assert series_stats([50, 150], None)["utilisation_pct"] is None
    assert series_stats([50, 150], 0)["utilisation_pct"] is None
    assert series_stats([50, 150], 400)["utilisation_pct"] == 25


def test_series_stats_of_no_samples_are_all_none():
    assert series_stats([None, None], 1000) == {
        "avg": None,
        "peak": None,
        "p95": None,
        "utilisation_pct": None,
    }


def test_shape_traffic_full_answer():
    answer = {
        "start": 1000, "end": 4600, "interval": 300,
        "rt": [1000 + i * 300 for i in range(12)],
        "rx_bps": [1_000_000 * (i + 1) for i in range(12)],
        "tx_bps": [None] * 6 + [2_000_000] * 6,
        "latency": [10.5] * 12,
    }  # fmt: skip
    series = shape_traffic(answer, "1h", 100)
    assert series["duration"] == "1h"
    assert series["interval"] == 300
    assert series["timestamps"] == answer["rt"]
    assert series["speed_bps"] == 100_000_000
    assert series["jitter"] == [None] * 12  # metric absent from the answer
    assert series["loss"] == [None] * 12
    assert series["stats"]["rx"] == {
        "avg": 6_500_000,
        "peak": 12_000_000,
        "p95": 12_000_000,
        "utilisation_pct": 6.5,
    }
    assert series["stats"]["tx"]["avg"] == 2_000_000
    assert set(series) == {
        "duration", "interval", "timestamps", "rx_bps", "tx_bps", "latency", "jitter", "loss",
        "speed_bps", "stats",
    }  # fmt: skip


def test_shape_traffic_pads_short_metrics_and_drops_junk():
    answer = {"interval": 3600, "rt": [0, 3600, 7200], "rx_bps": [1, "x"], "tx_bps": [True, math.inf, 3]}
    series = shape_traffic(answer, "7d", None)
    assert series["rx_bps"] == [1, None, None]
    assert series["tx_bps"] == [None, None, 3]
    assert series["speed_bps"] is None
    assert series["stats"]["rx"]["utilisation_pct"] is None


def test_shape_traffic_keeps_metric_aligned_when_a_timestamp_is_unusable():
    answer = {"interval": 300, "rt": [0, None, 600], "rx_bps": [1, 2, 3]}
    series = shape_traffic(answer, "1h", 1)
    assert series["timestamps"] == [0, 600]
    assert series["rx_bps"] == [1, 3]


def test_shape_traffic_rebuilds_timestamps_and_defaults_interval():
    series = shape_traffic({"start": 100, "rx_bps": [1, 2, 3]}, "24h", 10)
    assert series["interval"] == 1800
    assert series["timestamps"] == [100, 1900, 3700]
    empty = shape_traffic({}, "6h", 10)
    assert (empty["timestamps"], empty["rx_bps"], empty["stats"]["rx"]["avg"]) == ([], [], None)


def test_shape_traffic_rejects_unknown_window():
    with pytest.raises(ValueError, match="unknown duration"):
        shape_traffic({}, "30d", 100)
