"""CSV exports: the circuit inventory (one line per WAN port) and one port's traffic window.

Names, descriptions and addresses in these files come from the network (anyone with config rights
in Mist can set them), and the file is meant to be opened in a spreadsheet, in any locale. So both
exports go through one writer, :func:`write_csv`, which

* starts with a UTF-8 byte order mark, so Excel on Windows reads UTF-8 names instead of mojibake;
* quotes every cell, so a ``,`` ``;`` or tab inside a value never splits it for a reader using
  that delimiter;
* cleans every text cell (:func:`clean_text`): unpaired surrogates become U+FFFD (they cannot be
  encoded and used to turn the download into an HTTP 500), line ends become ``\n``, and the other
  C0/C1 control characters (NUL, ESC, ...) are removed, tab and newline excepted;
* neutralises formulas (:func:`neutralise_cell`), see there.

Numbers we computed ourselves stay numbers so a spreadsheet can still sum and sort them.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "CIRCUIT_COLUMNS",
    "ORIGINAL_COLUMNS",
    "OUR_COLUMNS",
    "TRAFFIC_COLUMNS",
    "circuit_csv",
    "circuit_rows",
    "clean_text",
    "neutralise_cell",
    "timestamped_filename",
    "traffic_csv",
    "write_csv",
]

BOM = "\ufeff"

# OWASP "CSV injection": a cell whose text starts with one of these is run as a formula by Excel,
# LibreOffice or Google Sheets (the full-width forms by Excel in East Asian locales).
_FORMULA_STARTS = frozenset("=+-@\uff1d\uff0b\uff0d\uff20")
# Characters a spreadsheet may treat as a cell boundary when the file is opened with another
# delimiter than ours (``;`` in most European locales, tab when pasted) or when its quote-tracking
# gets out of step: text right after one of them can become the start of a cell.
_BOUNDARIES = frozenset(",;\t\n")
# C0 and C1 controls and DEL, except tab and newline (kept: they are part of descriptions).
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str) -> str:
    """Text that any UTF-8 encoder accepts and that holds no control characters but tab and newline."""
    repaired = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return _CONTROLS.sub("", repaired.replace("\r\n", "\n").replace("\r", "\n"))


def _skippable(ch: str) -> bool:
    """Characters a spreadsheet looks past when deciding whether a cell is a formula: whitespace,
    invisible format characters (bidi marks, zero-width space) and the quote character."""
    return ch.isspace() or ch == '"' or unicodedata.category(ch) in ("Cf", "Zs")


def _formula_after(text: str, start: int) -> bool:
    """Whether ``text`` from ``start`` on, past skippable characters, begins like a formula."""
    index = start
    while index < len(text) and _skippable(text[index]):
        index += 1
    return index < len(text) and text[index] in _FORMULA_STARTS


def _neutralise_text(text: str) -> str:
    """``text`` with a ``'`` put wherever a cell could start with a formula.

    Spreadsheets treat a cell starting with ``'`` as text. It goes before the whole value when the
    value starts (past whitespace, invisible and control characters) with ``= + - @``, or with a
    tab. It also goes right after every ``,`` ``;`` tab or newline that such a formula follows: a
    reader splitting on that character would otherwise start a cell there (``ok;=2+5;`` opened
    with ``;`` as separator). That changes the text a little; it cannot run.
    """
    pieces = []
    for index, ch in enumerate(text):
        pieces.append(ch)
        if ch in _BOUNDARIES and _formula_after(text, index + 1):
            pieces.append("'")
    out = "".join(pieces)
    if text.startswith("\t") or _formula_after(text, 0):
        out = "'" + out
    return out


def neutralise_cell(value: Any) -> str:
    """A cell's text: network strings cleaned (:func:`clean_text`) and made inert for spreadsheets.

    Numbers are not strings from the network but values we wrote, so ``-5`` stays a negative
    number. None is an empty cell; booleans are ``true``/``false``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    return _neutralise_text(clean_text(str(value)))


def _number(value: int | float) -> str:
    """A number as text: integral floats without ``.0`` (byte counts), NaN/inf as empty."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value)


def write_csv(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """The one CSV writer of both exports: BOM, every cell quoted, CRLF line ends (RFC 4180), every
    cell through :func:`neutralise_cell`."""
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([neutralise_cell(cell) for cell in row] for row in rows)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Circuit inventory
# ---------------------------------------------------------------------------------------------


def _yes_no(value: bool | None, yes: str, no: str) -> str | None:
    """A tri-state flag as words; unknown stays an empty cell."""
    if value is None:
        return None
    return yes if value else no


def _peer_paths(port: Mapping[str, Any]) -> str | None:
    """``up/total`` (``3/4``), or empty when peer paths were not known."""
    if port.get("peers_total") is None:
        return None
    return f"{port.get('peers_up') or 0}/{port['peers_total']}"


def _uptime(value: Any) -> int | None:
    """Uptime in whole seconds (numeric, so the column sorts)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return int(value)


Cell = Callable[[Mapping[str, Any], Mapping[str, Any]], Any]

# The original MistCircuitStats export, names and order exactly: scripts written for it read these
# columns by position. Each entry: (header, cell from (GatewayRow, PortRow)). A gateway without WAN
# ports is one line with an empty PortRow ({}), so every port cell must cope with missing keys.
ORIGINAL_COLUMNS: tuple[tuple[str, Cell], ...] = (
    ("Site Name", lambda g, p: g.get("site_name")),
    ("Router Hostname", lambda g, p: g.get("name")),
    ("Model", lambda g, p: g.get("model")),
    ("Status", lambda g, p: g.get("status")),
    ("External IP", lambda g, p: g.get("ext_ip")),
    ("Uptime", lambda g, p: _uptime(g.get("uptime"))),
    ("Port Name", lambda g, p: p.get("name")),
    ("WAN Name", lambda g, p: p.get("wan_name")),
    ("Description", lambda g, p: p.get("description")),
    ("Enablement", lambda g, p: _yes_no(p.get("enabled"), "Enabled", "Disabled")),
    ("Physical Status", lambda g, p: _yes_no(p.get("up"), "Up", "Down")),
    ("Gateway IP", lambda g, p: p.get("gateway")),
    ("WAN IP", lambda g, p: p.get("ip")),
    ("VLAN", lambda g, p: p.get("vlan_id")),
    ("CIDR", lambda g, p: p.get("netmask")),
    ("Config Type", lambda g, p: p.get("type")),
    ("Override", lambda g, p: _yes_no(p.get("override"), "Yes", "No")),
    ("Peer Paths", lambda g, p: _peer_paths(p)),
    ("RX Data (Bytes)", lambda g, p: p.get("rx_bytes")),
    ("TX Data (Bytes)", lambda g, p: p.get("tx_bytes")),
)

# Columns of ours, always after the original twenty. Adding a column is one line here.
OUR_COLUMNS: tuple[tuple[str, Cell], ...] = (
    ("Flaps 24h", lambda g, p: p.get("flaps_24h")),
    ("Flaps 7d", lambda g, p: p.get("flaps_7d")),
    ("Availability 7d (%)", lambda g, p: p.get("availability_7d")),
)

_COLUMNS = ORIGINAL_COLUMNS + OUR_COLUMNS
CIRCUIT_COLUMNS = tuple(header for header, _ in _COLUMNS)


def circuit_rows(gateways: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    """Table lines for the circuit CSV: one per WAN port; a gateway without WAN ports gets one
    line with empty port columns, so no gateway silently disappears from the inventory."""
    lines = []
    for gateway in gateways:
        for port in gateway.get("ports") or [{}]:
            lines.append([cell(gateway, port) for _, cell in _COLUMNS])
    return lines


def circuit_csv(gateways: Iterable[Mapping[str, Any]]) -> str:
    """The circuit inventory CSV (CIRCUIT_COLUMNS) for GatewayRows, in the order given."""
    return write_csv(CIRCUIT_COLUMNS, circuit_rows(gateways))


# ---------------------------------------------------------------------------------------------
# Traffic window
# ---------------------------------------------------------------------------------------------

TRAFFIC_COLUMNS = (
    "Timestamp (epoch)",
    "Timestamp (UTC)",
    "RX avg (bps)",
    "RX peak (bps)",
    "TX avg (bps)",
    "TX peak (bps)",
    "Latency (ms)",
    "Jitter (ms)",
    "Loss (%)",
)


def _iso_utc(epoch: Any) -> str | None:
    """ISO 8601 UTC (``2026-11-23T10:15:00Z``) for an epoch, None for junk."""
    if isinstance(epoch, bool) or not isinstance(epoch, int | float) or not math.isfinite(epoch):
        return None
    try:
        moment = datetime.fromtimestamp(epoch, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return moment.isoformat().replace("+00:00", "Z")


def _column(series: Mapping[str, Any], key: str, length: int) -> list[Any]:
    """One metric padded to ``length`` so a short or missing list gives empty cells, not an error."""
    values = series.get(key)
    values = values if isinstance(values, list) else []
    return (values + [None] * length)[:length]


def traffic_csv(series: Mapping[str, Any]) -> str:
    """One port's TrafficSeries as CSV: one line per sample, empty cells where there is no sample.

    Each Mist sample is the average rate over its interval, and no finer sample exists inside it,
    so for a series with one value per interval the avg and peak columns both hold that value. A
    series that carries a real per-interval maximum (``rx_peak_bps``/``tx_peak_bps``, e.g. hourly
    buckets built from 5-minute samples) puts that in the peak columns instead.
    """
    timestamps = series.get("timestamps") or []
    n = len(timestamps)
    rx, tx = _column(series, "rx_bps", n), _column(series, "tx_bps", n)
    rx_peak = _column(series, "rx_peak_bps", n) if "rx_peak_bps" in series else rx
    tx_peak = _column(series, "tx_peak_bps", n) if "tx_peak_bps" in series else tx
    latency, jitter = _column(series, "latency", n), _column(series, "jitter", n)
    loss = _column(series, "loss", n)
    lines = [
        [t, _iso_utc(t), rx[i], rx_peak[i], tx[i], tx_peak[i], latency[i], jitter[i], loss[i]]
        for i, t in enumerate(timestamps)
    ]
    return write_csv(TRAFFIC_COLUMNS, lines)


# ---------------------------------------------------------------------------------------------
# File names
# ---------------------------------------------------------------------------------------------

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_.-]+")


def timestamped_filename(prefix: str, now: datetime | float | int, extension: str = "csv") -> str:
    """``<prefix>_YYYYMMDD_HHMMSS.csv`` in UTC, e.g. ``mist_circuits_20261123_101500.csv``.

    The prefix is reduced to safe characters because it ends up in a Content-Disposition header,
    and a site or port name in it must not be able to inject quotes or path separators. A naive
    datetime is taken to be UTC already; an epoch number is converted.
    """
    if isinstance(now, datetime):
        moment = now.astimezone(UTC) if now.tzinfo else now
    else:
        moment = datetime.fromtimestamp(now, UTC)
    safe = _UNSAFE_FILENAME.sub("_", prefix).strip("._") or "export"
    return f"{safe}_{moment:%Y%m%d_%H%M%S}.{extension}"
