"""CSV exports: the circuit inventory (one line per WAN port) and one port's traffic window.

Names, descriptions and addresses in these files come from the network (anyone with config
rights in Mist can set them), and the file is meant to be opened in a spreadsheet. So every such
text cell goes through :func:`neutralise_cell`, and the csv module does all quoting; numbers we
computed ourselves stay numbers so the spreadsheet can still sum and sort them.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "CIRCUIT_COLUMNS",
    "TRAFFIC_COLUMNS",
    "circuit_csv",
    "neutralise_cell",
    "timestamped_filename",
    "traffic_csv",
]

CIRCUIT_COLUMNS = (
    "Site Name",
    "Router Hostname",
    "Model",
    "Status",
    "External IP",
    "Uptime",
    "Port Name",
    "WAN Name",
    "Description",
    "Enablement",
    "Physical Status",
    "Gateway IP",
    "WAN IP",
    "VLAN",
    "CIDR",
    "Config Type",
    "Override",
    "Peer Paths (up/total)",
    "RX Data (Bytes)",
    "TX Data (Bytes)",
)

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

# OWASP "CSV injection": a cell starting with one of these is run as a formula by Excel,
# LibreOffice and Google Sheets; tab and carriage return can smuggle one past naive checks.
_FORMULA_PREFIXES = ("=", "+", "-", "@")
_CONTROL_PREFIXES = ("\t", "\r")


def neutralise_cell(value: Any) -> str:
    """A cell's text, with network strings made inert for spreadsheets.

    Strings starting with ``= + - @`` (also after leading whitespace) or with a tab or carriage
    return get a leading single quote, which spreadsheets treat as "this is text". Numbers are not
    strings from the network but values we wrote, so ``-5`` stays a negative number. None is an
    empty cell.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(value)
    text = str(value)
    if text.startswith(_CONTROL_PREFIXES) or text.lstrip().startswith(_FORMULA_PREFIXES):
        return "'" + text
    return text


def _number(value: int | float) -> str:
    """A number as text: integral floats without ``.0`` (byte counts), NaN/inf as empty."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return ""
        if value.is_integer():
            return str(int(value))
    return str(value)


def _write(header: Iterable[str], rows: Iterable[Iterable[Any]]) -> str:
    """CSV text (RFC 4180 quoting, CRLF line ends) with every cell passed through neutralise_cell."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
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


def _gateway_cells(gateway: Mapping[str, Any]) -> list[Any]:
    """The six gateway columns."""
    return [
        gateway.get("site_name"),
        gateway.get("name"),
        gateway.get("model"),
        gateway.get("status"),
        gateway.get("ext_ip"),
        _uptime(gateway.get("uptime")),
    ]


def _port_cells(port: Mapping[str, Any]) -> list[Any]:
    """The fourteen port columns."""
    return [
        port.get("name"),
        port.get("wan_name"),
        port.get("description"),
        _yes_no(port.get("enabled"), "Enabled", "Disabled"),
        _yes_no(port.get("up"), "Up", "Down"),
        port.get("gateway"),
        port.get("ip"),
        port.get("vlan_id"),
        port.get("netmask"),
        port.get("type"),
        _yes_no(port.get("override"), "Yes", "No"),
        _peer_paths(port),
        port.get("rx_bytes"),
        port.get("tx_bytes"),
    ]


def circuit_rows(gateways: Iterable[Mapping[str, Any]]) -> list[list[Any]]:
    """Table lines for the circuit CSV: one per WAN port; a gateway without WAN ports gets one
    line with empty port columns, so no gateway silently disappears from the inventory."""
    lines = []
    blank_port = [None] * (len(CIRCUIT_COLUMNS) - 6)
    for gateway in gateways:
        cells = _gateway_cells(gateway)
        ports = gateway.get("ports") or []
        lines.extend(cells + _port_cells(port) for port in ports)
        if not ports:
            lines.append(cells + blank_port)
    return lines


def circuit_csv(gateways: Iterable[Mapping[str, Any]]) -> str:
    """The circuit inventory CSV (CIRCUIT_COLUMNS) for GatewayRows, in the order given."""
    return _write(CIRCUIT_COLUMNS, circuit_rows(gateways))


# ---------------------------------------------------------------------------------------------
# Traffic window
# ---------------------------------------------------------------------------------------------


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
    return _write(TRAFFIC_COLUMNS, lines)


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
