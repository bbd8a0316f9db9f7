"""The collector loop's pause: a standby wakes as the holder's lease runs out, not a tick later."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from circuitstats.collector import STANDBY_MARGIN_SECONDS, Collector


class _Lease:
    def __init__(self, left):
        self.left = left

    def expires_in(self):
        return self.left


def _pause(is_holder: bool, left, tick: float = 1.0) -> float:
    return Collector._pause(SimpleNamespace(is_holder=is_holder, lease=_Lease(left)), tick)


def test_the_holder_sleeps_a_tick_between_renewals():
    assert _pause(True, 0.3) == 1.0


@pytest.mark.parametrize("left", [0.0, 0.3, 0.9])
def test_a_standby_wakes_as_the_lease_runs_out(left):
    assert _pause(False, left) == pytest.approx(left + STANDBY_MARGIN_SECONDS)


def test_a_standby_never_sleeps_longer_than_a_tick_or_guesses_without_redis():
    assert _pause(False, 14.0) == 1.0
    assert _pause(False, None) == 1.0
