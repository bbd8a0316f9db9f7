"""JSON and CSV answers: the envelope every route shares, and downloads."""

from __future__ import annotations

import gzip
import time

from flask import Response, current_app, request

import csv_export
from circuitstats import validate
from circuitstats.snapshot import Snapshot, dumps


def runtime():
    """The app's runtime (collector, store, details); None when the app is not configured."""
    return current_app.extensions.get("runtime")


def json_response(body: dict, status: int = 200) -> Response:
    """Strict JSON (no NaN/Infinity: invalid for browsers) with the given status."""
    try:
        payload = dumps(body)
    except ValueError:  # a non-finite number slipped through shaping: never send invalid JSON
        payload = dumps(validate.json_safe(body))
    return Response(payload, status=status, mimetype="application/json")


def from_snapshot(snapshot: Snapshot, data, **extra) -> Response:
    """An answer built from the snapshot: ``data`` plus its freshness (as_of, stale and why)."""
    return json_response({**snapshot.envelope(), **extra, "data": data})


def fail(status: int, message: str, **extra) -> Response:
    return json_response({"success": False, "error": message, **extra}, status)


def accepts_gzip() -> bool:
    for part in request.headers.get("Accept-Encoding", "").split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*") and params.replace(" ", "") not in ("q=0", "q=0.0"):
            return True
    return False


def prebuilt(body_gzip: bytes, etag: str) -> Response:
    """A pre-serialized answer: 304 on a matching ETag, pre-compressed gzip when accepted."""
    headers = {"ETag": etag, "Vary": "Accept-Encoding", "Cache-Control": "no-cache"}
    if etag and etag in request.headers.get("If-None-Match", ""):
        return Response(status=304, headers=headers)
    if accepts_gzip():
        headers["Content-Encoding"] = "gzip"
        return Response(body_gzip, mimetype="application/json", headers=headers)
    return Response(gzip.decompress(body_gzip), mimetype="application/json", headers=headers)


def snapshot_body(snapshot: Snapshot) -> Response:
    """The whole-org table answer of this snapshot."""
    return prebuilt(snapshot.body_gzip, snapshot.etag)


def problems_body(snapshot: Snapshot) -> Response:
    """The problems answer of this snapshot (its ETag is the snapshot's, marked as the problems')."""
    return prebuilt(snapshot.problems_body_gzip, snapshot.etag[:-1] + '-problems"')


def csv_download(text: str, prefix: str) -> Response:
    filename = csv_export.timestamped_filename(prefix, time.time())
    return Response(
        text.encode("utf-8", "replace"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
