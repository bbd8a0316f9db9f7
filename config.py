"""Settings of the dashboard, read in one place from the environment (and a ``.env`` file).

Every variable the app reads is listed in ``ENV_VARS`` with its default and meaning; the README's
configuration table and ``.env.example`` are checked against it by a test. A bad value is a
``ConfigError`` naming the variable, raised at start-up rather than in the middle of a request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

# name -> (default, meaning)
ENV_VARS: dict[str, tuple[str, str]] = {
    "MIST_APITOKEN": ("", "One or more Mist API tokens, comma-separated; rotated on 429"),
    "MIST_ORG_ID": ("", "Org to show; auto-detected from /api/v1/self when empty"),
    "MIST_HOST": ("api.mist.com", "Mist API host of your cloud region"),
    "PORT": ("5000", "Port of the dev server (python app.py)"),
    "LOG_LEVEL": ("INFO", "Log level: DEBUG, INFO, WARNING, ERROR"),
    "HTTPS_PROXY": ("", "Proxy for calls to the Mist cloud"),
    "REDIS_URL": ("", "Shared cache, single-flight lock and token cool-downs for several workers"),
    "MIST_DEMO": ("0", "1 = serve the built-in simulated org instead of a real cloud"),
    "MIST_DEMO_GATEWAYS": ("40", "Demo: number of gateways in the simulated org"),
    "MIST_DEMO_SEED": ("7", "Demo: seed of the simulated org"),
    "MIST_DEMO_LATENCY_MS": ("0", "Demo: simulated latency per Mist call (ms)"),
    "MIST_DEMO_RATE_LIMIT": ("5000", "Demo: calls per token per hour before 429"),
    "MIST_DEMO_FAULT_RATE": ("0", "Demo: fraction of Mist calls that fail (0..1)"),
    "MIST_DEMO_ADVERSARIAL": ("0", "Demo: 1 = names full of HTML, quotes and formulas"),
    "REFRESH_SECONDS": ("60", "Page auto-refresh interval (s)"),
    "CACHE_TTL_SECONDS": ("60", "How long live stats are fresh before a background refresh (s)"),
    "MIST_TIMEOUT_SECONDS": ("20", "Read timeout of one Mist call (s)"),
    "ENRICH_BUDGET": ("500", "Per-site device-config calls allowed per hour (override column)"),
    "WEB_CONCURRENCY": (
        "1",
        "Container: gunicorn workers; more than 1 only with REDIS_URL (one shared collector)",
    ),
    "COLLECTOR_LEASE_SECONDS": (
        "15",
        "With REDIS_URL: lease of the one collector; another takes over within it",
    ),
    "PROBLEM_UTILISATION_PERCENT": ("80", "Problem 'congested': rx or tx at or above this % of port speed"),
    "PROBLEM_FLAPS_24H": ("3", "Problem 'flapping': at least this many port up/down changes in 24 h"),
    "PROBLEM_LOSS_PERCENT": ("2", "Problem 'path_degraded': VPN peer path loss at or above this %"),
    "PROBLEM_LATENCY_MS": ("150", "Problem 'path_degraded': VPN peer path latency at or above this (ms)"),
    "PROBLEM_JITTER_MS": ("30", "Problem 'path_degraded': VPN peer path jitter at or above this (ms)"),
}

DEMO_TOKENS = ("demo-token-alpha-0001", "demo-token-bravo-0002")


class ConfigError(ValueError):
    """A setting has a value the app cannot use; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    tokens: tuple[str, ...] = ()
    org_id: str | None = None
    host: str = "api.mist.com"
    port: int = 5000
    log_level: str = "INFO"
    https_proxy: str | None = None
    redis_url: str | None = None
    demo: bool = False
    demo_gateways: int = 40
    demo_seed: int = 7
    demo_latency_ms: float = 0.0
    demo_rate_limit: int = 5000
    demo_fault_rate: float = 0.0
    demo_adversarial: bool = False
    refresh_seconds: int = 60
    cache_ttl_seconds: int = 60
    timeout_seconds: float = 20.0
    enrich_budget: int = 500
    collector_lease_seconds: float = 15.0
    # Problem thresholds (circuitstats/problems.py Thresholds.from_settings reads these)
    problem_utilisation_percent: float = 80.0
    problem_flaps_24h: int = 3
    problem_loss_percent: float = 2.0
    problem_latency_ms: float = 150.0
    problem_jitter_ms: float = 30.0
    # Not from the environment: knobs for tests and the benchmark.
    enrich_start_delay: float = 5.0
    extra: dict = field(default_factory=dict)

    @property
    def configured(self) -> bool:
        return self.demo or bool(self.tokens)

    def with_overrides(self, overrides: Mapping | None) -> Settings:
        return replace(self, **dict(overrides or {}))


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("", "0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1 or 0, not {raw!r}")


def _number(name: str, raw: str, kind, low, high):
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, not {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, not {raw!r}")
    return value


def settings_from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment; raises ConfigError naming the bad variable."""
    env = os.environ if environ is None else environ

    def raw(name: str) -> str:
        return env.get(name, ENV_VARS[name][0]).strip()

    tokens = tuple(t.strip() for t in raw("MIST_APITOKEN").split(",") if t.strip())
    log_level = raw("LOG_LEVEL").upper() or "INFO"
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not {log_level!r}")
    return Settings(
        tokens=tokens,
        org_id=raw("MIST_ORG_ID") or None,
        host=raw("MIST_HOST") or "api.mist.com",
        port=_number("PORT", raw("PORT"), int, 1, 65535),
        log_level=log_level,
        https_proxy=raw("HTTPS_PROXY") or None,
        redis_url=raw("REDIS_URL") or None,
        demo=_flag("MIST_DEMO", raw("MIST_DEMO")),
        demo_gateways=_number("MIST_DEMO_GATEWAYS", raw("MIST_DEMO_GATEWAYS"), int, 1, 10000),
        demo_seed=_number("MIST_DEMO_SEED", raw("MIST_DEMO_SEED"), int, 0, 2**31),
        demo_latency_ms=_number("MIST_DEMO_LATENCY_MS", raw("MIST_DEMO_LATENCY_MS"), float, 0, 60000),
        demo_rate_limit=_number("MIST_DEMO_RATE_LIMIT", raw("MIST_DEMO_RATE_LIMIT"), int, 1, 10**9),
        demo_fault_rate=_number("MIST_DEMO_FAULT_RATE", raw("MIST_DEMO_FAULT_RATE"), float, 0, 1),
        demo_adversarial=_flag("MIST_DEMO_ADVERSARIAL", raw("MIST_DEMO_ADVERSARIAL")),
        refresh_seconds=_number("REFRESH_SECONDS", raw("REFRESH_SECONDS"), int, 5, 86400),
        cache_ttl_seconds=_number("CACHE_TTL_SECONDS", raw("CACHE_TTL_SECONDS"), int, 1, 86400),
        timeout_seconds=_number("MIST_TIMEOUT_SECONDS", raw("MIST_TIMEOUT_SECONDS"), float, 1, 300),
        enrich_budget=_number("ENRICH_BUDGET", raw("ENRICH_BUDGET"), int, 0, 100000),
        collector_lease_seconds=_number(
            "COLLECTOR_LEASE_SECONDS", raw("COLLECTOR_LEASE_SECONDS"), float, 2, 600
        ),
        # lower bounds above zero: a 0 threshold would turn every port or path into a problem
        problem_utilisation_percent=_number(
            "PROBLEM_UTILISATION_PERCENT", raw("PROBLEM_UTILISATION_PERCENT"), float, 1, 100
        ),
        problem_flaps_24h=_number("PROBLEM_FLAPS_24H", raw("PROBLEM_FLAPS_24H"), int, 1, 100000),
        problem_loss_percent=_number("PROBLEM_LOSS_PERCENT", raw("PROBLEM_LOSS_PERCENT"), float, 0.01, 100),
        problem_latency_ms=_number("PROBLEM_LATENCY_MS", raw("PROBLEM_LATENCY_MS"), float, 1, 60000),
        problem_jitter_ms=_number("PROBLEM_JITTER_MS", raw("PROBLEM_JITTER_MS"), float, 1, 60000),
    )
