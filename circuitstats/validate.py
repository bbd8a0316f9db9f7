"""The one edge-validation layer: every value read from a Mist answer passes through here.

Why one module: the Mist cloud, a proxy in front of it or a bug anywhere on the way can hand us any
JSON shape. Ids that are objects, names that are numbers, ``1e400`` (which Python parses as
``inf``), ``NaN``, 400-digit integers that overflow as soon as they meet a float. Each check here
turns one raw value into a clean one or ``None``; callers blank the field (or drop the row when the
value is its identity) and count what they dropped. Nothing here raises on odd input, and nothing it
returns can make ``json.dumps(..., allow_nan=False)`` fail.

The checks are deliberately small and strict:

* ``text``: a non-blank ``str`` of bounded length; anything else is unknown.
* ``number``/``integer``: finite, not ``bool``, within a range (default: what a 64-bit counter
  holds), so that arithmetic on them never overflows.
* ``flag``: a real ``bool``.
* ``uuid``/``mac``: ``fullmatch`` on the canonical Mist forms, because these end up in URL paths
  and dictionary keys where ``"../x"`` or ``{"a": 1}`` must never appear.
* ``json_safe``: a deep copy of a pass-through structure with every non-finite or out-of-range number
  replaced by ``None`` and every non-string key dropped.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = [
    "MAX_ABS_NUMBER",
    "MAX_TEXT",
    "as_dict",
    "as_list",
    "epoch",
    "flag",
    "integer",
    "json_safe",
    "json_safe_fields",
    "mac",
    "number",
    "text",
    "uuid",
]

# A 64-bit counter (rx_bytes of a busy link over years) fits; 1e400 or a 400-digit integer does
# not, and anything beyond this is junk that would overflow float arithmetic downstream.
MAX_ABS_NUMBER = 2**64
# Names, descriptions and interface ids are short (the simulator's adversarial mode still sends
# 10,000-character names, which must reach the page whole); a megabyte "name" is junk, not a name.
MAX_TEXT = 20_000
# Epoch seconds we accept as a time: 1970 .. 2100.
MAX_EPOCH = 4_102_444_800

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_MAC = re.compile(r"[0-9a-fA-F]{12}")


def text(value: Any, max_len: int = MAX_TEXT) -> str | None:
    """A non-blank string of at most ``max_len`` characters, else None.

    An empty or blank string is "unknown" rather than a value, so a cell shows a blank instead of a
    string of spaces; an over-long one is dropped rather than cut, because a cut value would look
    real.
    """
    if not isinstance(value, str) or len(value) > max_len or not value.strip():
        return None
    return value


def number(value: Any, lo: float = -MAX_ABS_NUMBER, hi: float = MAX_ABS_NUMBER) -> int | float | None:
    """A finite int or float within ``lo..hi``, else None.

    ``bool`` is refused (True is not a byte count). Large ints are compared as ints, so a 400-digit
    integer is refused without ever being converted to a float (which would raise OverflowError).
    """
    kind = type(value)
    if kind is int:  # what JSON decodes to, checked first: the shaping of a large org calls this ~1M times
        return value if lo <= value <= hi else None
    if kind is float:
        return value if math.isfinite(value) and lo <= value <= hi else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if not lo <= value <= hi:
        return None
    return value


def integer(value: Any, lo: int = -MAX_ABS_NUMBER, hi: int = MAX_ABS_NUMBER) -> int | None:
    """An int within ``lo..hi`` (a float with an integral value counts), else None."""
    checked = number(value, lo, hi)
    if checked is None:
        return None
    if isinstance(checked, float):
        return int(checked) if checked.is_integer() else None
    return checked


def epoch(value: Any) -> int | float | None:
    """Epoch seconds between 1970 and 2100, else None."""
    return number(value, 0, MAX_EPOCH)


def flag(value: Any) -> bool | None:
    """A real boolean, else None: a missing ``up`` must not read as "down"."""
    return value if isinstance(value, bool) else None


def uuid(value: Any) -> str | None:
    """A Mist object id (``xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx``), lower-cased, else None.

    Lower-casing makes ids from different answers compare equal; Mist itself answers lower case.
    """
    if isinstance(value, str) and _UUID.fullmatch(value):
        return value.lower()
    return None


def mac(value: Any) -> str | None:
    """A MAC address as Mist writes it (12 hex digits, no separators), lower-cased, else None."""
    if isinstance(value, str) and _MAC.fullmatch(value):
        return value.lower()
    return None


def as_dict(value: Any) -> dict:
    """The value when it is a dict, else an empty dict, so lookups never raise on odd payloads."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    """The value when it is a list, else an empty list."""
    return value if isinstance(value, list) else []


_MAX_DEPTH = 64


def json_safe(value: Any, _depth: int = 0) -> Any:
    """A copy of a JSON-like structure that strict JSON can always serialize.

    For data passed through rather than shaped field by field: non-finite or out-of-range numbers
    become None, non-string dict keys are dropped, tuples become lists, unknown types become None,
    and nesting deeper than 64 levels is cut (None) so a hostile answer cannot exhaust the stack.
    """
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        return number(value)
    if _depth >= _MAX_DEPTH:
        return None
    if isinstance(value, dict):
        return {k: json_safe(v, _depth + 1) for k, v in value.items() if isinstance(k, str)}
    if isinstance(value, list | tuple):
        return [json_safe(v, _depth + 1) for v in value]
    return None


def json_safe_fields(item: dict, fields: tuple[str, ...]) -> dict:
    """``json_safe`` of the dict of ``item``'s ``fields`` that it has, without building that dict first.

    One pass instead of a copy and a deep copy: the collector calls it for every VPN peer path of
    an org (40,000 at 10,000 gateways). Same result as ``json_safe({k: item[k] for k in fields if
    k in item})``: plain strings, booleans and None pass, numbers go through ``number``, anything
    else through ``json_safe`` one level down.
    """
    safe = {}
    for key in fields:
        if key in item:
            value = item[key]
            kind = type(value)
            if kind is str or kind is bool or value is None:
                safe[key] = value
            elif kind is int or kind is float:
                safe[key] = number(value)
            else:
                safe[key] = json_safe(value, 1)
    return safe
