"""circuitstats.codec: orjson writes what the standard library would, or lets it write."""

from __future__ import annotations

import json

import pytest

from circuitstats import codec

VALUES = [
    {"name": "café <b>\u2028", "n": 1, "f": 0.1, "big": 1e16, "none": None, "t": (1, 2), "neg": -0.0},
    {"rx_bytes": 2**64},  # beyond orjson: json encodes it
    {"name": "\ud800 lone"},  # a lone surrogate: json escapes it
    {1: "x"},  # json writes the key as "1"
    [2**63 - 1, -(2**63), 2**64 - 1, -(2**64)],
]


def _same(a, b) -> bool:
    """Equal values of equal types, all the way down (1 == 1.0 would hide an int read as a float)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return a == b


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_encoding_reads_back_as_the_standard_librarys(value):
    expected = json.loads(json.dumps(value))
    assert _same(json.loads(codec.dumps(value)), expected)


def test_orjson_writes_ordinary_values_and_json_the_rest():
    assert codec.dumps({"name": "café", "up": True}) == '{"name":"café","up":true}'.encode()
    assert codec.dumps({"rx_bytes": 2**64 + 1}) == b'{"rx_bytes":18446744073709551617}'
    assert codec.dumps({"name": "\ud800"}) == b'{"name":"\\ud800"}'


def test_non_finite_numbers_are_written_as_null():
    assert json.loads(codec.dumps({"loss": float("nan"), "j": float("inf")})) == {"loss": None, "j": None}


def test_without_orjson_the_standard_library_does_everything(monkeypatch):
    monkeypatch.setattr(codec, "_orjson", None)
    assert codec.dumps({"name": "café"}) == b'{"name":"caf\\u00e9"}'
    with pytest.raises(ValueError):
        codec.dumps({"loss": float("nan")})
