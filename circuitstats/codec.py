"""JSON out for the heavy jobs: orjson where it writes what the standard library would.

Why: every snapshot encodes the whole table (32,000 rows at 10,000 gateways) and, page by page, the
VPN peer paths of every gateway; on one Python core that was a tenth of a cold start. orjson
encodes several times faster (``bench/bench_codec.py``), and side by side in ``bench_dashboard``
the first snapshot at 10,000 gateways was published 0.48 s sooner on average (2.26 s against 2.74 s
over three interleaved runs). It must not change what we send:

* orjson refuses what ``json`` may encode differently (an integer beyond 64 bits, a lone
  surrogate, a non-string key): those values are encoded by ``json``, as before.
* It writes NaN and Infinity as ``null``, which is what ``validate.json_safe`` makes of them;
  ``json`` here refuses them (``allow_nan=False``): strict JSON comes out either way.
* Text is written as UTF-8 instead of ``\\u`` escapes: the same JSON for any reader.

Parsing stays with ``json`` (inside requests, where mistapi parses every answer): orjson parsed a
stats page faster on its own, but inside a cold collection it cost more CPU per page than ``json``
(75 to 110 ms against about 50 ms) and raised the peak RSS by about 25 MB, so the collection got
slower, not faster. It also reads integers beyond 64 bits as floats.

Without orjson installed, ``json`` encodes everything.
"""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - the requirements install it
    _orjson = None

__all__ = ["dumps"]

# Strict, compact JSON: NaN or Infinity would be invalid JSON for browsers, so they raise here.
_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def dumps(value: Any) -> bytes:
    """``value`` as strict, compact JSON bytes (``json``'s ValueError for a NaN or Infinity that
    only it had to encode)."""
    if _orjson is not None:
        try:
            return _orjson.dumps(value)
        except TypeError:  # beyond 64 bits, a lone surrogate, a non-string key: json decides
            pass
    return _ENCODER.encode(value).encode()
