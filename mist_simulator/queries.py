"""Query-string parsing with the Mist API's rules: bad values become a 400 answer.

Why: every endpoint shares `limit`/`page`/`search_after` and `start`/`end`/`duration` semantics;
keeping them in one place makes the simulator strict in the same way everywhere.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

MAX_LIMIT = 1000
DEFAULT_LIMIT = 100
DEFAULT_DURATION = 86_400
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}
_SPAN = re.compile(r"(\d+)([smhdw])")


class BadRequest(Exception):
    """A query value the real API would refuse with 400."""


def parse_query(query_string: str) -> dict[str, str]:
    """Last value wins, like the Mist API's framework."""
    try:
        return dict(parse_qsl(query_string, keep_blank_values=True, strict_parsing=False))
    except ValueError as err:  # pragma: no cover - parse_qsl is lenient
        raise BadRequest(f"malformed query string: {err}") from err


def int_param(query: dict, name: str, default: int, minimum: int = 1, maximum: int | None = None) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise BadRequest(f"{name} must be >= {minimum}")
    return min(value, maximum) if maximum is not None else value


def limit_param(query: dict) -> int:
    return int_param(query, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)


def enum_param(query: dict, name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if raw not in allowed:
        raise BadRequest(f"{name} must be one of {', '.join(allowed)}, got {raw!r}")
    return raw


def bool_param(query: dict, name: str) -> bool | None:
    raw = query.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise BadRequest(f"{name} must be true or false, got {raw!r}")


def span_seconds(raw: str, name: str) -> int:
    """'10m', '1h', '7d', '2w' or a number of seconds."""
    if raw.isdigit():
        seconds = int(raw)
    else:
        match = _SPAN.fullmatch(raw)
        if not match:
            raise BadRequest(f"{name} must look like 10m, 1h, 7d or 2w, got {raw!r}")
        seconds = int(match.group(1)) * UNITS[match.group(2)]
    if seconds <= 0:
        raise BadRequest(f"{name} must be positive")
    return seconds


def time_value(raw: str, name: str, now: int) -> int:
    """An epoch in seconds (or milliseconds), 'now', or a relative '-1d' / '-2h'."""
    if raw == "now":
        return now
    if raw.startswith("-"):
        return now - span_seconds(raw[1:], name)
    try:
        value = float(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an epoch, 'now' or like -1d, got {raw!r}") from None
    if value > 1e11:  # milliseconds
        value /= 1000
    return int(value)


def time_window(query: dict, now: int, default_duration: int = DEFAULT_DURATION) -> tuple[int, int]:
    """(start, end) from start/end/duration as the Mist API combines them."""
    duration = span_seconds(query["duration"], "duration") if query.get("duration") else default_duration
    start = time_value(query["start"], "start", now) if query.get("start") else None
    end = time_value(query["end"], "end", now) if query.get("end") else None
    if start is None and end is None:
        end = now
        start = end - duration
    elif start is None:
        start = end - duration
    elif end is None:
        end = min(now, start + duration) if start < now else start + duration
    if start >= end:
        raise BadRequest("start must be before end")
    return start, end
