"""What is wrong right now: the NOC's triage list, computed from one snapshot's rows.

Why: a dashboard of 10,000 gateways answers "what exists"; at 3 a.m. the question is "which
circuits are broken or degraded, since when, and which keep flapping". This module turns the rows,
the VPN peer paths and the port history of one collection into a short list of problems, most
severe first. Pure and fast (one pass over the rows, no Mist calls): the collector calls
:func:`compute_problems` once per collection and the routes only read the result.

Rules (thresholds in :class:`Thresholds`, from the ``PROBLEM_*`` environment variables; every
comparison is "at or above" the threshold, so a value equal to it is a problem):

==================== ======================================================= ===================
kind                 when                                                    severity
==================== ======================================================= ===================
gateway_disconnected gateway status is ``disconnected``; since ``last_seen``  critical
port_down            WAN port not disabled and down; since its last flap     major (critical when
                                                                             no WAN port of the
                                                                             gateway is up)
peer_paths_down      port up, some / all of its VPN peer paths down          minor / major (all)
flapping             ``flaps_24h`` >= ``flaps_24h`` threshold (history)      minor
congested            port up, rx or tx bits/s >= utilisation % of its speed  minor
path_degraded        port up, a path that is up has loss, latency or jitter  minor
                     >= its threshold (one problem per port, worst values)
==================== ======================================================= ===================

A disconnected gateway reports only ``gateway_disconnected``: its ports and paths are the cloud's
last copy, not current, so deriving port problems from them would list stale noise. A port that is
down does not also report its paths down, nor congestion: the port being down says it all.

Order (see :func:`sort_key`): severity (critical, major, minor), then kind in the table's order,
then the oldest ``since`` first (a longer outage before a newer one; ``first_seen`` when ``since``
is unknown, unknown last), then site, gateway and port names, naturally.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from circuits import attribute_peer_path, natural_key

__all__ = [
    "KINDS",
    "SEVERITIES",
    "Thresholds",
    "compute_problems",
    "problem_counts",
    "sort_key",
]

KINDS = (
    "gateway_disconnected",
    "port_down",
    "peer_paths_down",
    "flapping",
    "congested",
    "path_degraded",
)
SEVERITIES = ("critical", "major", "minor")
_KIND_RANK = {kind: rank for rank, kind in enumerate(KINDS)}
_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}


@dataclass(frozen=True)
class Thresholds:
    """Limits of the rules; the defaults are those documented in the README."""

    utilisation_percent: float = 80.0
    flaps_24h: int = 3
    loss_percent: float = 2.0
    latency_ms: float = 150.0
    jitter_ms: float = 30.0

    @classmethod
    def from_settings(cls, settings: Any) -> Thresholds:
        """From config.Settings (already validated there; a missing field keeps the default)."""
        defaults = cls()
        return cls(
            utilisation_percent=getattr(
                settings, "problem_utilisation_percent", defaults.utilisation_percent
            ),
            flaps_24h=getattr(settings, "problem_flaps_24h", defaults.flaps_24h),
            loss_percent=getattr(settings, "problem_loss_percent", defaults.loss_percent),
            latency_ms=getattr(settings, "problem_latency_ms", defaults.latency_ms),
            jitter_ms=getattr(settings, "problem_jitter_ms", defaults.jitter_ms),
        )

    def as_dict(self) -> dict[str, float | int]:
        """For ``Snapshot.thresholds``, so the page can show the limits it applies."""
        return asdict(self)


_NUMERIC = (int, float)


def _number(value: Any) -> float | None:
    """A usable measurement, else None. An exact type test, because it runs for every port and
    path of a 10,000-gateway org and because bool (an int subclass) is not a measurement."""
    if type(value) not in _NUMERIC:
        return None
    return value if value == value else None  # NaN is not a measurement


def _fmt(value: float) -> str:
    """Short human number: 85, 85.5, 0.25."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _problem(
    kind: str,
    severity: str,
    row: Mapping[str, Any],
    port: str | None,
    since: Any,
    detail: str,
    value: float | int | None = None,
    threshold: float | int | None = None,
) -> dict:
    """One problem item; ``value``/``threshold`` carry the measured number and its limit."""
    since = _number(since)
    return {
        "kind": kind,
        "severity": severity,
        "gateway_id": row.get("id"),
        "gateway": row.get("name"),
        "site_id": row.get("site_id"),
        "site": row.get("site_name"),
        "port": port,
        "since": since if since else None,
        "detail": detail,
        "value": value,
        "threshold": threshold,
    }


def sort_key(problem: Mapping[str, Any]) -> tuple:
    """Most severe first; see the module docstring for the full order."""
    since = problem.get("since")
    if since is None:
        since = problem.get("first_seen")
    return (
        _SEVERITY_RANK.get(problem.get("severity"), len(SEVERITIES)),
        _KIND_RANK.get(problem.get("kind"), len(KINDS)),
        (0, since) if since is not None else (1, 0),
        natural_key(problem.get("site")),
        natural_key(problem.get("gateway")),
        natural_key(problem.get("port")),
    )


def _congestion(port: Mapping[str, Any], limit_percent: float) -> tuple[float, str] | None:
    """(utilisation %, detail) when rx or tx is at or above the limit; speed is Mbps, rates bits/s."""
    speed = _number(port.get("speed"))
    if not speed or speed <= 0:
        return None
    capacity = speed * 1_000_000.0
    worst = None
    for direction in ("rx", "tx"):
        rate = _number(port.get(f"{direction}_bps"))
        if rate is None:
            continue
        percent = 100.0 * rate / capacity
        if percent >= limit_percent and (worst is None or percent > worst[0]):
            worst = (percent, direction)
    if worst is None:
        return None
    percent, direction = worst
    return percent, f"{direction} at {_fmt(percent)} % of {_fmt(speed)} Mbps"


def _degradation(paths: list[Mapping[str, Any]], limits: Thresholds) -> tuple[int, str] | None:
    """(paths over a limit, detail with the worst value of each metric over its limit)."""
    metrics = (
        ("loss", limits.loss_percent, "loss", "%"),
        ("latency", limits.latency_ms, "latency", "ms"),
        ("jitter", limits.jitter_ms, "jitter", "ms"),
    )
    degraded = 0
    worst: dict[str, float] = {}
    for path in paths:
        over = False
        for field, limit, _label, _unit in metrics:
            value = _number(path.get(field))
            if value is not None and value >= limit:
                over = True
                worst[field] = max(worst.get(field, value), value)
        degraded += over
    if not degraded:
        return None
    parts = [f"{label} {_fmt(worst[field])} {unit}" for field, _, label, unit in metrics if field in worst]
    return degraded, f"{degraded} of {len(paths)} VPN paths over a limit; worst " + ", ".join(parts)


def _degraded_paths_by_port(
    paths: Iterable[Mapping[str, Any]], ports: list[Mapping[str, Any]], limits: Thresholds
) -> dict[str, list[Mapping[str, Any]]]:
    """Up paths per port name, only for ports that have at least one path over a limit.

    Attribution (which row a path counts for) is the same as the row's peer counts; it is only
    worked out for gateways that have a degraded path, which keeps 10,000 gateways fast.
    """
    loss, latency, jitter = limits.loss_percent, limits.latency_ms, limits.jitter_ms
    up_paths = [p for p in paths if isinstance(p, dict) and p.get("up") is True]
    over = [p for p in up_paths if _over_any(p, loss, latency, jitter)]
    if not over:
        return {}
    over_ids = {id(p) for p in over}
    by_port: dict[str, list[Mapping[str, Any]]] = {}
    degraded_ports: set[str] = set()
    for path in up_paths:
        owner = attribute_peer_path(path.get("port_id"), ports)
        if owner is not None:
            by_port.setdefault(owner, []).append(path)
            if id(path) in over_ids:
                degraded_ports.add(owner)
    return {name: by_port[name] for name in degraded_ports}


def _over_any(path: Mapping[str, Any], loss: float, latency: float, jitter: float) -> bool:
    """Whether any metric is at or above its limit (a NaN compares False: never over)."""
    get = path.get
    for value, limit in ((get("loss"), loss), (get("latency"), latency), (get("jitter"), jitter)):
        if type(value) in _NUMERIC and value >= limit:
            return True
    return False


def _gateway_problems(
    row: Mapping[str, Any],
    paths: Iterable[Mapping[str, Any]],
    history: Mapping[str, Mapping[str, Any]],
    limits: Thresholds,
) -> list[dict]:
    """Every problem of one gateway row."""
    if row.get("status") == "disconnected":
        last_seen = _number(row.get("last_seen"))
        detail = "disconnected from the Mist cloud"
        return [_problem("gateway_disconnected", "critical", row, None, last_seen, detail)]

    found: list[dict] = []
    ports = [p for p in row.get("ports") or () if isinstance(p, dict) and p.get("name")]
    any_up = any(p.get("up") is True for p in ports)
    degraded = _degraded_paths_by_port(paths or (), ports, limits)
    gateway_id = row.get("id")
    for port in ports:
        name = port["name"]
        port_history = history.get(f"{gateway_id}|{name}") or {}
        up = port.get("up")
        if up is False and port.get("enabled") is not False:
            since = _number(port.get("last_flapped")) or _number(port_history.get("since"))
            severity = "major" if any_up else "critical"
            detail = "WAN port down" + ("" if any_up else "; no WAN port of this gateway is up")
            found.append(_problem("port_down", severity, row, name, since, detail))

        flaps = _number(port_history.get("flaps_24h"))
        if flaps is not None and flaps >= limits.flaps_24h:
            detail = f"{int(flaps)} up/down changes in 24 h"
            since = port_history.get("first_change_24h")
            found.append(
                _problem("flapping", "minor", row, name, since, detail, int(flaps), limits.flaps_24h)
            )
        if up is not True:
            continue

        peers_up, peers_total = _number(port.get("peers_up")), _number(port.get("peers_total"))
        if peers_up is not None and peers_total and peers_up < peers_total:
            down = int(peers_total - peers_up)
            every = peers_up == 0
            detail = f"all {down} VPN paths down" if every else f"{down} of {int(peers_total)} VPN paths down"
            found.append(
                _problem("peer_paths_down", "major" if every else "minor", row, name, None, detail, down)
            )

        congestion = _congestion(port, limits.utilisation_percent)
        if congestion is not None:
            percent, detail = congestion
            found.append(
                _problem(
                    "congested",
                    "minor",
                    row,
                    name,
                    None,
                    detail,
                    round(percent, 1),
                    limits.utilisation_percent,
                )
            )

        if name in degraded:
            count, detail = _degradation(degraded[name], limits) or (0, "")
            found.append(_problem("path_degraded", "minor", row, name, None, detail, count))
    return found


def compute_problems(
    rows: Iterable[Mapping[str, Any]],
    peers: Mapping[str, Iterable[Mapping[str, Any]]] | None,
    history: Mapping[str, Mapping[str, Any]] | None,
    thresholds: Thresholds,
    now: float,
    previous: Iterable[Mapping[str, Any]] = (),
) -> list[dict]:
    """Problems of every gateway, most severe first.

    ``rows`` are GatewayRow dicts (circuits.py), ``peers`` maps gateway id -> its VPN peer path
    dicts (``port_id``, ``up``, ``loss``, ``latency``, ``jitter``; Snapshot.peers), ``history`` is
    ``Snapshot.history`` (``"<gateway_id>|<port>"`` -> :mod:`circuitstats.history` summary). ``now``
    is this collection's time: what a problem seen for the first time gets as ``first_seen``.

    Each item: ``{kind, severity, gateway_id, gateway, site_id, site, port, since, detail, value,
    threshold, first_seen}``; ``port`` None for gateway-wide problems, ``since`` epoch seconds or
    None when not known, ``value``/``threshold`` the measured number and its limit where there is
    one. ``first_seen`` is when a collection first saw the problem, carried from ``previous`` (the
    problems of the org's last snapshot) for as long as it lasts, else ``now``.
    """
    peers = peers or {}
    history = history or {}
    found: list[dict] = []
    for row in rows:
        found.extend(_gateway_problems(row, peers.get(row.get("id"), ()), history, thresholds))
    _carry_first_seen(found, previous, now)
    found.sort(key=sort_key)
    return found


def problem_key(problem: Mapping[str, Any]) -> tuple:
    """What makes a problem the same one from one snapshot to the next: its kind and where it is."""
    return problem.get("kind"), problem.get("gateway_id"), problem.get("port")


def _carry_first_seen(found: list[dict], previous: Iterable[Mapping[str, Any]], now: float) -> None:
    """Set each problem's ``first_seen``, keeping the previous snapshot's for a problem still there.

    Why: congestion, degraded paths and down paths carry no start time in the stats or the events
    we read, yet "since when" is the NOC's second question. The first collection that saw the
    problem, continuously since, is a lower bound on how long it has lasted: the page shows it as
    "at least" when ``since`` is unknown. A problem that went away and came back starts again.
    """
    seen: dict[tuple, float] = {}
    for problem in previous:
        first = _number(problem.get("first_seen")) if isinstance(problem, Mapping) else None
        if first:
            seen[problem_key(problem)] = first
    for problem in found:
        problem["first_seen"] = seen.get(problem_key(problem), now)


def problem_counts(problems: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Problems per kind, every kind present (0 when none) so the cards never go missing."""
    counts = dict.fromkeys(KINDS, 0)
    for problem in problems:
        kind = problem.get("kind")
        counts[kind] = counts.get(kind, 0) + 1
    return counts
