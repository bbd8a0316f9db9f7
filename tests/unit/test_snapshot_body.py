"""The snapshot's gzipped JSON bodies: valid and complete whatever the number of rows."""

from __future__ import annotations

import gzip
import hashlib
import json

import pytest

from circuitstats import codec
from circuitstats.snapshot import gzip_json


@pytest.mark.parametrize("count", [0, 1, 255, 256, 257, 512, 1000])
def test_body_is_valid_json_with_every_row_at_batch_boundaries(count):
    """Rows are encoded 256 at a time: 256 or 512 rows once left a dangling comma (invalid JSON)."""
    rows = [{"id": f"gw-{i}", "ports": [{"name": f"ge-0/0/{i % 4}", "up": i % 3 == 0}]} for i in range(count)]
    zipped, digest = gzip_json(
        {"success": True}, {"gateways": rows, "summary": {"gateways": count}}, "gateways"
    )
    plain = gzip.decompress(zipped)
    answer = json.loads(plain)
    assert answer["data"]["gateways"] == rows
    assert answer["data"]["summary"] == {"gateways": count} and answer["success"] is True
    assert digest == hashlib.blake2b(plain, digest_size=8).hexdigest()


def test_rows_may_come_as_a_one_pass_iterator():
    rows = [{"id": i} for i in range(300)]
    zipped, _ = gzip_json({"success": True}, {"gateways": iter(rows)}, "gateways")
    assert json.loads(gzip.decompress(zipped)) == {"success": True, "data": {"gateways": rows}}


def _strict(text: bytes):
    """json.loads that refuses NaN and Infinity, as browsers do."""

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_non_finite_numbers_become_null_never_invalid_json():
    """orjson writes NaN as null (what validate.json_safe makes of it): the body stays strict JSON."""
    zipped, _ = gzip_json({"success": True}, {"gateways": [{"rx_bps": float("nan")}]}, "gateways")
    assert _strict(gzip.decompress(zipped))["data"]["gateways"] == [{"rx_bps": None}]


def test_without_orjson_non_finite_numbers_are_refused_not_written(monkeypatch):
    monkeypatch.setattr(codec, "_orjson", None)
    with pytest.raises(ValueError):
        gzip_json({"success": True}, {"gateways": [{"rx_bps": float("nan")}]}, "gateways")
