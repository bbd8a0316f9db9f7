"""Traffic and WAN-quality time series of the simulated ports.

Why a separate module: the series must be a pure function of (seed, port, timestamp) so that the
insights endpoint, the live `rx_bps`/`tx_bps` of the port stats and the `rx_bytes`/`tx_bytes`
counters (the sum over the last 7 days of hourly bps * 3600 / 8) all agree, at any instant, without
storing anything per sample.

Shape of a port's hourly rate: base * DAILY[local hour] * noise, where the noise comes from one
seeded table shared by all ports (each port reads it at its own phase). Sparse per-day events add
an outage (no samples) or a saturation (download near the port speed). Five-minute samples split
each hour with a pattern whose mean is 1, so hourly samples are the mean of their 5-minute ones.

Counters stay cheap for 10,000 gateways: per daily offset `k`, a prefix sum over the noise table
turns the 168-hour sum into two lookups, then the few event hours in the window are corrected.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

HOUR = 3600
FIVE_MIN = 300
NOISE_PERIOD = 24 * 56  # hours; a multiple of 24 so the daily rhythm and the noise stay aligned
EVENT_PERIOD = 389  # days; prime, so ports at different phases see different event days
WEEK_HOURS = 168
SATURATION = 0.96  # fraction of the port speed during a saturation hour
BYTES_PER_BPS_HOUR = HOUR / 8

# Relative load per local hour: quiet nights, busy 9-12 and 13-17, lunch dip, evening tail.
DAILY = (
    0.12,
    0.10,
    0.09,
    0.09,
    0.10,
    0.14,
    0.25,
    0.45,
    0.75,
    0.95,
    1.00,
    0.98,
    0.85,
    0.92,
    1.00,
    0.97,
    0.90,
    0.70,
    0.50,
    0.38,
    0.30,
    0.24,
    0.18,
    0.14,
)
NOISE_MAX = 1.45
# Highest base rate (fraction of the speed) that can never exceed the port speed, 5-minute
# patterns included (their factors stay below 1.4).
MAX_BASE_FRACTION = 0.6 / NOISE_MAX


@dataclass(slots=True)
class Wave:
    """Per-port parameters of the series (everything else comes from the shared tables)."""

    phase_rx: int
    phase_tx: int
    event_phase: int
    tz_hours: int
    rx_base: float  # bps at DAILY == 1 and noise == 1
    tx_base: float
    speed_bps: int
    latency_base: float  # ms
    jitter_base: float  # ms
    dead_from_hour: int | None = None  # no samples from this hour on (port down / gateway gone)
    disabled: bool = False


@dataclass(frozen=True, slots=True)
class Event:
    kind: str  # "outage" or "saturation"
    start: int  # hour of the UTC day
    length: int


class TrafficModel:
    """Seeded tables plus the functions reading them; immutable once built (thread-safe)."""

    def __init__(self, seed: int) -> None:
        rng = random.Random(f"traffic:{seed}")
        self.noise = [min(NOISE_MAX, max(0.55, rng.gauss(1.0, 0.15))) for _ in range(NOISE_PERIOD)]
        self.prefix = [self._prefix_for(k) for k in range(24)]
        self.events = [self._random_event(rng) for _ in range(EVENT_PERIOD)]
        self.patterns = [self._five_minute_pattern(rng) for _ in range(16)]

    def _prefix_for(self, k: int) -> list[float]:
        """prefix[i] = sum over j < i of DAILY[(j + k) % 24] * noise[j % N], for i up to 2N."""
        out = [0.0] * (2 * NOISE_PERIOD + 1)
        acc = 0.0
        noise = self.noise
        for j in range(2 * NOISE_PERIOD):
            acc += DAILY[(j + k) % 24] * noise[j % NOISE_PERIOD]
            out[j + 1] = acc
        return out

    @staticmethod
    def _random_event(rng: random.Random) -> Event | None:
        roll = rng.random()
        if roll < 0.025:
            return Event("outage", rng.randrange(0, 21), rng.randint(1, 3))
        if roll < 0.065:
            return Event("saturation", rng.randrange(9, 16), rng.randint(1, 3))
        return None

    @staticmethod
    def _five_minute_pattern(rng: random.Random) -> tuple[float, ...]:
        raw = [min(1.35, max(0.65, rng.gauss(1.0, 0.12))) for _ in range(12)]
        mean = sum(raw) / 12
        return tuple(x / mean for x in raw)

    # -- samples -------------------------------------------------------------------------------

    def event_at(self, wave: Wave, hour: int) -> str | None:
        event = self.events[(hour // 24 + wave.event_phase) % EVENT_PERIOD]
        if event and event.start <= hour % 24 < event.start + event.length:
            return event.kind
        return None

    def _normal(self, wave: Wave, direction: str, hour: int) -> float:
        base, phase = (wave.rx_base, wave.phase_rx) if direction == "rx" else (wave.tx_base, wave.phase_tx)
        return base * DAILY[(hour + wave.tz_hours) % 24] * self.noise[(hour + phase) % NOISE_PERIOD]

    def _silent(self, wave: Wave, hour: int) -> bool:
        return wave.disabled or (wave.dead_from_hour is not None and hour >= wave.dead_from_hour)

    def hourly_bps(self, wave: Wave, direction: str, hour: int) -> float | None:
        """Mean rate over hour index `hour` (epoch // 3600); None when there is no traffic sample."""
        if self._silent(wave, hour):
            return None
        kind = self.event_at(wave, hour)
        if kind == "outage":
            return None
        if kind == "saturation" and direction == "rx":
            return SATURATION * wave.speed_bps
        return self._normal(wave, direction, hour)

    def five_minute_bps(self, wave: Wave, direction: str, slot: int) -> float | None:
        """Rate over the 5-minute slot `slot` (epoch // 300)."""
        hour = slot // 12
        value = self.hourly_bps(wave, direction, hour)
        if value is None or self.event_at(wave, hour) == "saturation":
            return value
        pattern = self.patterns[(hour * 7 + wave.phase_rx) % len(self.patterns)]
        return value * pattern[slot % 12]

    def quality(self, wave: Wave, hour: int, slot: int | None = None) -> dict[str, float] | None:
        """WAN-probe latency/jitter (ms) and loss (%) for an hour (or one of its 5-minute slots)."""
        if self._silent(wave, hour) or self.event_at(wave, hour) == "outage":
            return None
        load = DAILY[(hour + wave.tz_hours) % 24]
        wobble = self.noise[(hour + wave.phase_tx * 3) % NOISE_PERIOD]
        if slot is not None:
            wobble *= self.patterns[(hour * 5 + wave.phase_tx) % len(self.patterns)][slot % 12] ** 0.3
        latency = wave.latency_base * (1 + 0.35 * load) * wobble
        jitter = wave.jitter_base * (1 + 0.5 * load) * wobble
        loss = max(0.0, (self.noise[(hour + wave.event_phase) % NOISE_PERIOD] - 1.25) * 2)
        if self.event_at(wave, hour) == "saturation":
            latency, jitter, loss = latency * 3, jitter * 4, loss + 2.5
        return {"latency": round(latency, 2), "jitter": round(jitter, 2), "loss": round(min(loss, 100.0), 2)}

    # -- counters ------------------------------------------------------------------------------

    def window_bytes(self, wave: Wave, direction: str, end_hour: int, hours: int = WEEK_HOURS) -> int:
        """Bytes over the `hours` full hours before `end_hour`: sum of hourly_bps * 3600 / 8."""
        start = end_hour - hours
        end = end_hour if wave.dead_from_hour is None else min(end_hour, wave.dead_from_hour)
        if wave.disabled or end <= start:
            return 0
        base, phase = (wave.rx_base, wave.phase_rx) if direction == "rx" else (wave.tx_base, wave.phase_tx)
        k = (wave.tz_hours - phase) % 24
        first = (start + phase) % NOISE_PERIOD
        prefix = self.prefix[k]
        total = base * (prefix[first + end - start] - prefix[first])
        total += self._event_correction(wave, direction, start, end)
        return max(0, round(total * BYTES_PER_BPS_HOUR))

    def _event_correction(self, wave: Wave, direction: str, start: int, end: int) -> float:
        """What outages and saturations change compared with the plain rhythm * noise sum."""
        delta = 0.0
        for day in range(start // 24, (end - 1) // 24 + 1):
            event = self.events[(day + wave.event_phase) % EVENT_PERIOD]
            if event is None:
                continue
            for hour in range(day * 24 + event.start, day * 24 + event.start + event.length):
                if not start <= hour < end:
                    continue
                if event.kind == "outage":
                    delta -= self._normal(wave, direction, hour)
                elif direction == "rx":
                    delta += SATURATION * wave.speed_bps - self._normal(wave, direction, hour)
        return delta
