"""WAN port history from Mist device events: flap counts, availability and down intervals.

Why: port stats only say what a port is *now* (and when it last changed); a NOC also asks "how
often has it gone down this week, and for how long". Mist keeps that as org-wide device events
(``GW_PORT_DOWN`` / ``GW_PORT_UP``), readable in bulk with ``searchOrgDeviceEvents``. This module
keeps those events between collections so each collection only reads what is new:

    history = PortHistory()                      # or PortHistory.from_json(text kept in Redis)
    start, end = history.next_window(now)        # 7 days the first time, then since the last read
    history.ingest(conn.device_events(org_id, start, end, PORT_EVENT_TYPES), start, end)
    history.prune(now)                           # bounded: older than 7 days goes
    per_port = history.for_rows(rows, now)       # "<gateway_id>|<port name>" -> summary dict
    store(history.to_json())                     # survives a restart without re-reading a week

Pure and I/O free: the collector does the reading and storing. If a read fails, do not call
``ingest``: the next window then still starts where the last good read ended. Reads that stop
part-way (call budget spent) are ingested for what they cover, which stays one unbroken span:

* the first read (a whole week) goes newest first (``sort=-timestamp``): ingest what came with
  ``start=oldest_event_time(events)``. The last day, which decides what is flapping now, is then
  known after the first collection; ``backfill_window`` gives the older part still to read (newest
  first again) in the next collections, until the week is covered;
* later reads go oldest first (``sort=timestamp``): ingest with ``end=newest_event_time(events)``,
  the next read continues from there.

Until the span covers the last 24 h (the week) and reaches to within an hour of now, the figures
over them are None: unknown, not zero. Not thread-safe: one collector owns it.

Definitions (also what the page and the CSV show):

* A **change** (a flap) is one state transition of a port, either direction: up->down counts one,
  down->up counts one, so a bounce (down then up) is two. An event that repeats the state the port
  already had (two ``GW_PORT_DOWN`` in a row) is not a change. The first event seen for a port is a
  change (a ``GW_PORT_DOWN`` means the port was up just before). A change the events missed but
  the port stats show (the row's ``up`` differs from the last event, and its ``last_flapped`` is
  after that event) counts too, at ``last_flapped``; so does a port down now with no event at all
  whose ``last_flapped`` is in the window. A port *up* now with no event at all is taken as up
  all along: its ``last_flapped`` (often a reboot) does not say when it went down.
* ``flaps_24h`` / ``flaps_7d``: changes with a timestamp in ``(now - 24 h, now]`` / ``(now - 7 d,
  now]``; ``None`` until the reads cover that day (that week): unknown is not zero.
* The **observed window** is ``[max(first read start, now - 7 d), now]``. The state at its start is
  the last event before it (pruning keeps one per port for this), else the opposite of the first
  change in it, else the current state from the port row.
* ``availability_7d``: percent of the observed window the port was up (0..100, 3 decimals);
  ``None`` when neither events nor the port row tell the state, or while the week is not read yet.
* ``down_intervals``: ``[[start, end], ...]`` of the observed window, ``end`` None while still down.
* ``since``: when the current state began (last change, or the row's ``last_flapped``); None unknown.

Events are keyed ``"<mac>|<port_id>"`` (MAC lower-case without separators, ``ge-0/0/0.0`` as
``ge-0/0/0``). A port row ``ge-0/0/1.100`` takes the events of ``ge-0/0/1.100`` and of its
physical port ``ge-0/0/1`` (a link going down takes every VLAN on it along).
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from typing import Any

from circuits import canonical_interface, split_interface

__all__ = [
    "DAY",
    "PORT_EVENT_TYPES",
    "WEEK",
    "PortHistory",
    "compact_events",
    "event_key",
    "newest_event_time",
    "oldest_event_time",
    "port_summary",
]

DAY = 86400.0
WEEK = 7 * DAY
PORT_EVENT_TYPES = ("GW_PORT_DOWN", "GW_PORT_UP")
_STATE_OF_TYPE = {"GW_PORT_DOWN": False, "GW_PORT_UP": True}
FORMAT_VERSION = 1

# Events are indexed by Mist some seconds after they happen; re-reading a little before the last
# read's end catches the late ones, and the duplicates this brings are dropped on ingest.
DEFAULT_OVERLAP_SECONDS = 300.0
# A port changing state every 10 minutes for a week makes ~1,000 events; past that it is flapping
# by any threshold, so older events are dropped (its 7-day figures become lower bounds).
DEFAULT_MAX_EVENTS_PER_PORT = 1000

# A read that starts this close after a moment still counts as covering it (int-second windows).
_COVER_SLACK = 1.0
# Figures stay known while the last read ended at most this long ago (a failed read or two keeps
# them; reads that still catch up on hours of events do not).
READ_FRESH_WITHIN = 3600.0

_MAC_NOISE = re.compile(r"[\s:.\-]")
_MS_EPOCH = 1e11  # an epoch this large is in milliseconds (year 5138 in seconds)


def _mac(value: Any) -> str | None:
    """MAC as Mist stores it (lower-case hex, no separators), so every source keys the same way."""
    if not isinstance(value, str):
        return None
    mac = _MAC_NOISE.sub("", value).lower()
    return mac or None


def _epoch(value: Any) -> float | None:
    """Event timestamp in epoch seconds (milliseconds converted), None when unusable."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not -(2**64) < value < 2**64:
        return None  # a 400-digit int would raise OverflowError in float()
    value = float(value)
    if not math.isfinite(value) or value <= 0:
        return None
    return value / 1000.0 if value > _MS_EPOCH else value


def event_key(mac: Any, port_id: Any) -> str | None:
    """``"<mac>|<port_id>"`` for an event's device and port, None when either is missing."""
    mac = _mac(mac)
    if mac is None or not isinstance(port_id, str) or not port_id.strip():
        return None
    return f"{mac}|{canonical_interface(port_id.strip())}"


def _parse_event(event: Any) -> tuple[str, float, bool] | None:
    """(key, timestamp, up) of a port up/down event; None for any other or malformed event."""
    if not isinstance(event, Mapping):
        return None
    kind = event.get("type")
    up = _STATE_OF_TYPE.get(kind) if isinstance(kind, str) else None  # a dict "type" is unhashable
    ts = _epoch(event.get("timestamp"))
    key = event_key(event.get("mac"), event.get("port_id"))
    if up is None or ts is None or key is None:
        return None
    return key, ts, up


_EVENT_FIELDS = ("type", "timestamp", "mac", "port_id")


def compact_events(events: list) -> list:
    """One page of events reduced to the fields ``ingest`` reads, one item per event.

    A week of port events is ~60,000 dicts at 10,000 gateways, each with a text, site and org id
    and more: kept whole until the read ends they weighed tens of MB at the collection's peak.
    """
    return [{k: e.get(k) for k in _EVENT_FIELDS} if isinstance(e, Mapping) else None for e in events]


def _event_times(events: Iterable[Any]) -> list[float]:
    return [parsed[1] for parsed in map(_parse_event, events) if parsed is not None]


def newest_event_time(events: Iterable[Any]) -> float | None:
    """Timestamp (epoch s) of the newest port up/down event, None when there is none: the ``end``
    to ingest an oldest-first read that stopped part-way with."""
    times = _event_times(events)
    return max(times) if times else None


def oldest_event_time(events: Iterable[Any]) -> float | None:
    """Timestamp (epoch s) of the oldest port up/down event, None when there is none: the ``start``
    to ingest a newest-first read that stopped part-way with."""
    times = _event_times(events)
    return min(times) if times else None


class PortHistory:
    """Port up/down events of one org over the last 7 days, read incrementally.

    ``events`` maps key -> list of ``(timestamp, up)`` sorted by time, without exact duplicates.
    ``covered_since`` is the start of the first read (nothing is known before it); ``read_until``
    the end of the last read ingested.
    """

    def __init__(
        self,
        *,
        retention: float = WEEK,
        overlap: float = DEFAULT_OVERLAP_SECONDS,
        max_events_per_port: int = DEFAULT_MAX_EVENTS_PER_PORT,
    ) -> None:
        self.retention = retention
        self.overlap = overlap
        self.max_events_per_port = max_events_per_port
        self.covered_since: float | None = None
        self.read_until: float | None = None
        self.events: dict[str, list[tuple[float, bool]]] = {}

    # ----- reading ------------------------------------------------------------------------------
    def next_window(self, now: float) -> tuple[float, float]:
        """(start, end) of the events to read next: the last 7 days at first, then since the last
        read (minus a small overlap for late-indexed events), never further back than 7 days."""
        oldest = now - self.retention
        if self.read_until is None:
            return oldest, now
        return max(oldest, min(self.read_until - self.overlap, now)), now

    def backfill_window(self, now: float) -> tuple[float, float] | None:
        """(start, end) of the older events a first read cut short did not reach (read them newest
        first), None once the reads go back the whole retention."""
        if self.covered_since is None or self.covers(now - self.retention):
            return None
        return now - self.retention, self.covered_since + 1  # + 1 s: same-second events, deduplicated

    def covers(self, since: float) -> bool:
        """Whether the reads ingested so far cover everything from ``since`` on."""
        return self.covered_since is not None and self.covered_since <= since + _COVER_SLACK

    def ingest(self, events: Iterable[Any], start: float, end: float) -> int:
        """Add the events of one complete read of ``[start, end]`` (any order; other event types
        and malformed items are ignored) and record that everything from ``start`` to ``end`` has
        been read. Returns how many events were new (not already known from an overlapping read).

        ``[start, end]`` must touch what was read before (a later read overlaps its end, a backfill
        ends where the reads begin): the span read stays unbroken. Ingest only what a read covered
        completely (see the module docstring for reads cut short).
        """
        if self.covered_since is None or start < self.covered_since:
            self.covered_since = start
        fresh: dict[str, list[tuple[float, bool]]] = {}
        for event in events:
            parsed = _parse_event(event)
            if parsed is not None:
                key, ts, up = parsed
                fresh.setdefault(key, []).append((ts, up))
        added = 0
        for key, items in fresh.items():
            known = self.events.get(key, [])
            merged = sorted(set(known).union(items))
            added += len(merged) - len(known)
            if len(merged) > self.max_events_per_port:
                merged = merged[-self.max_events_per_port :]
            self.events[key] = merged
        self.read_until = end if self.read_until is None else max(self.read_until, end)
        return added

    def prune(self, now: float) -> None:
        """Forget what is older than the retention, keeping per port the last older event: it gives
        the state at the start of the window and, for a port down for longer, since when. A port
        whose only event is such an old ``GW_PORT_UP`` (nothing happened for a week) or an old
        ``GW_PORT_DOWN`` beyond 4 retentions (a gateway long gone) is forgotten altogether."""
        cutoff = now - self.retention
        if self.covered_since is not None:
            self.covered_since = max(self.covered_since, cutoff)
        for key in list(self.events):
            items = self.events[key]
            first_inside = bisect_left(items, (cutoff,))
            if first_inside == len(items):
                ts, up = items[-1]
                if up or ts < now - 4 * self.retention:
                    del self.events[key]
                    continue
            if first_inside > 1:
                self.events[key] = items[first_inside - 1 :]

    # ----- answering ----------------------------------------------------------------------------
    def port_events(self, mac: Any, port_name: str) -> list[tuple[float, bool]]:
        """Events that concern the port row ``port_name`` of the gateway with MAC ``mac``: its own,
        plus its physical port's when it is a sub-interface, in time order."""
        own = self.events.get(event_key(mac, port_name) or "", [])
        physical, unit = split_interface(canonical_interface(port_name))
        if unit is None:
            return own
        parent = self.events.get(event_key(mac, physical) or "", [])
        if not parent:
            return own
        return sorted(set(own).union(parent)) if own else parent

    def summary(
        self,
        mac: Any,
        port_name: str,
        now: float,
        up: bool | None = None,
        last_flapped: float | None = None,
    ) -> dict:
        """The history dict of one port row (see :func:`port_summary`)."""
        summary = port_summary(
            self.port_events(mac, port_name), now, self.covered_since, self.retention, up, last_flapped
        )
        return self._unknown_until_read(summary, *self.known_spans(now))

    def known_spans(self, now: float) -> tuple[bool, bool]:
        """Whether the figures over the last day, and over the last week, are known: the reads go
        back that far and come up to within ``READ_FRESH_WITHIN`` of ``now`` (while a restart after a
        long stop catches up, counts over the gap would read low)."""
        fresh = self.read_until is not None and self.read_until >= now - READ_FRESH_WITHIN
        return fresh and self.covers(now - DAY), fresh and self.covers(now - self.retention)

    @staticmethod
    def _unknown_until_read(summary: dict, day: bool, week: bool) -> dict:
        """The figures over a day (a week) the reads do not cover yet set to None: unknown, not zero."""
        if not day:
            summary["flaps_24h"] = summary["first_change_24h"] = None
        if not week:
            summary["flaps_7d"] = summary["availability_7d"] = None
        return summary

    def for_rows(self, rows: Iterable[Mapping[str, Any]], now: float) -> dict[str, dict]:
        """``"<gateway_id>|<port name>"`` -> history dict for every WAN port of the gateway rows
        (the shape of ``Snapshot.history``); the rows' ``up`` and ``last_flapped`` fill in what the
        events do not say."""
        out: dict[str, dict] = {}
        # most gateways have no event in a week: skip their per-port key lookups altogether
        macs_with_events = {key.partition("|")[0] for key in self.events}
        covered, retention = self.covered_since, self.retention
        day, week = self.known_spans(now)
        for row in rows:
            gateway_id, mac = row.get("id"), row.get("mac")
            if not gateway_id:
                continue
            quiet = _mac(mac) not in macs_with_events
            for port in row.get("ports") or ():
                name = port.get("name")
                if name:
                    events = [] if quiet else self.port_events(mac, name)
                    summary = port_summary(
                        events, now, covered, retention, port.get("up"), port.get("last_flapped")
                    )
                    out[f"{gateway_id}|{name}"] = self._unknown_until_read(summary, day, week)
        return out

    # ----- keeping ------------------------------------------------------------------------------
    def to_dict(self) -> dict:
        """JSON-ready state: ``{"version", "covered_since", "read_until", "events": {key: [[ts,
        0|1], ...]}}`` (0/1 rather than false/true keeps a week of a large org compact)."""
        return {
            "version": FORMAT_VERSION,
            "covered_since": self.covered_since,
            "read_until": self.read_until,
            "events": {key: [[ts, int(up)] for ts, up in items] for key, items in self.events.items()},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: Any, **options: Any) -> PortHistory:
        """Rebuild from :meth:`to_dict`; raises ValueError when the data is not a usable history
        (the caller then starts afresh with a 7-day read). Malformed single events are skipped."""
        if not isinstance(data, Mapping) or data.get("version") != FORMAT_VERSION:
            raise ValueError("not a port history of a known version")
        history = cls(**options)
        covered, until = _epoch(data.get("covered_since")), _epoch(data.get("read_until"))
        if (covered is None) != (until is None) or not isinstance(data.get("events"), Mapping):
            raise ValueError("port history without a consistent read window")
        history.covered_since, history.read_until = covered, until
        for key, items in data["events"].items():
            if not isinstance(key, str) or not isinstance(items, list):
                continue
            clean = {
                (ts, bool(item[1]))
                for item in items
                if isinstance(item, list) and len(item) == 2 and item[1] in (0, 1)
                for ts in [_epoch(item[0])]
                if ts is not None
            }
            if clean:
                history.events[key] = sorted(clean)[-history.max_events_per_port :]
        return history

    @classmethod
    def from_json(cls, text: str | bytes, **options: Any) -> PortHistory:
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"port history is not JSON: {exc}") from None
        return cls.from_dict(data, **options)


def _changes(
    events: list[tuple[float, bool]], start: float, now: float
) -> tuple[bool | None, list[tuple[float, bool]]]:
    """(state at ``start`` as far as events tell, changes in ``(start, now]``)."""
    before = bisect_right(events, (start, True))
    state_at_start = events[before - 1][1] if before else None
    changes: list[tuple[float, bool]] = []
    state = state_at_start
    for ts, up in events[before:]:
        if ts > now:
            break
        if up != state:
            changes.append((ts, up))
            state = up
    return state_at_start, changes


def port_summary(
    events: list[tuple[float, bool]],
    now: float,
    covered_since: float | None,
    retention: float = WEEK,
    up: bool | None = None,
    last_flapped: float | None = None,
) -> dict:
    """History of one port from its sorted ``(timestamp, up)`` events and its current row.

    Returns ``{"flaps_24h", "flaps_7d", "first_change_24h", "availability_7d", "down_intervals",
    "since", "up"}`` as defined in the module docstring; ``first_change_24h`` is the oldest change
    of the last 24 h (when the flapping began, as far as a day tells), ``up`` the state the figures
    end with (the row's when known). ``covered_since`` None (nothing read yet) leaves the event figures None.
    """
    up = up if isinstance(up, bool) else None
    last_flapped = _epoch(last_flapped)
    if last_flapped is not None and last_flapped > now:
        last_flapped = None
    if covered_since is None:
        return {
            "flaps_24h": None,
            "flaps_7d": None,
            "first_change_24h": None,
            "availability_7d": None,
            "down_intervals": [],
            "since": last_flapped if up is not None else None,
            "up": up,
        }
    start = min(max(covered_since, now - retention), now)
    state_at_start, changes = _changes(events, start, now)
    state_now = changes[-1][1] if changes else state_at_start
    if changes:
        since = changes[-1][0]
    else:  # no change this week: the last event before it, or the port stats' last change
        before = bisect_right(events, (start, True))
        known = [ts for ts in (events[before - 1][0] if before else None, last_flapped) if ts is not None]
        since = max(known) if known else None

    if up is not None and up != state_now:
        # The port stats disagree with the events: a change the events have not (yet) shown.
        # Without any event, an up port's last_flapped (a reboot, say) does not tell since when
        # it was down before: taking it as "down all week until then" would invent an outage.
        after = changes[-1][0] if changes else start
        timed = last_flapped is not None and last_flapped > after
        if timed and (state_now is not None or up is False):
            changes.append((last_flapped, up))
            since = last_flapped
        elif state_now is None:
            since = last_flapped  # same state for the whole window, begun at last_flapped (if known)
        else:
            since = None  # it changed at some unknown time after the last event
        state_now = up
    if state_at_start is None:
        state_at_start = (not changes[0][1]) if changes else state_now

    last_day = [ts for ts, _ in changes if ts > now - DAY]
    down_intervals: list[list[float | None]] = []
    availability = None
    if state_at_start is not None:
        up_seconds, state, began = 0.0, state_at_start, start
        down_since = None if state else start
        for ts, new_state in changes:
            if state:
                up_seconds += ts - began
            if new_state is False:
                down_since = ts
            elif down_since is not None:
                down_intervals.append([down_since, ts])
                down_since = None
            state, began = new_state, ts
        if state:
            up_seconds += now - began
        if down_since is not None:
            down_intervals.append([down_since, None])
        observed = now - start
        availability = round(100.0 * up_seconds / observed, 3) if observed > 0 else None
    return {
        "flaps_24h": len(last_day),
        "flaps_7d": len(changes),
        "first_change_24h": last_day[0] if last_day else None,
        "availability_7d": availability,
        "down_intervals": down_intervals,
        "since": since,
        "up": state_now,
    }
