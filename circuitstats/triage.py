"""What is broken, since when, how often: event history and problems, computed once per snapshot.

The collector calls ``Triage`` after shaping the rows of a collection. It reads the org's gateway
port events since the last read (the first time: the last 7 days, spread over several collections
when a week does not fit the per-collection call budget), keeps them in ``PortHistory`` (saved in
the snapshot store, so with Redis a restart does not read the week again), merges flap counts and
availability per port beside the rows, and computes the problem list. No web request ever triggers it.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future

from circuitstats.history import (
    PORT_EVENT_TYPES,
    PortHistory,
    compact_events,
    newest_event_time,
    oldest_event_time,
)
from circuitstats.problems import Thresholds, compute_problems, problem_counts
from circuitstats.snapshot import HISTORY_FIELDS, PeerPathsByGateway
from mist_connection import CallBudget, MistError

log = logging.getLogger(__name__)

EVENTS_CALLS_PER_COLLECTION = 30  # a first week larger than this resumes in the next collection


class Triage:
    """Per-org event history plus problems; a collector hook returning snapshot fields."""

    def __init__(self, conn, store, settings, calls_per_collection: int = EVENTS_CALLS_PER_COLLECTION):
        self.conn = conn
        self.store = store
        self.thresholds = Thresholds.from_settings(settings)
        self.calls_per_collection = calls_per_collection
        self._histories: dict[str, PortHistory] = {}
        self._reads: dict[str, Future] = {}  # event reads started by prefetch(), by org

    def history(self, org_id: str) -> PortHistory:
        """The org's history: in memory, else as saved in the store, else empty (read a week)."""
        if org_id not in self._histories:
            saved = self.store.get_meta(f"history:{org_id}")
            history = None
            if saved:
                try:
                    history = PortHistory.from_json(saved)
                except ValueError as exc:
                    log.warning("saved event history of %s unusable, reading the week again: %s", org_id, exc)
            self._histories[org_id] = history or PortHistory()
        return self._histories[org_id]

    def read_events(self, org_id: str, now: float) -> dict | None:
        """Read the events since the last read, then older ones a first read could not reach, within
        one budget; an ``incomplete`` entry while the week is not all read or a read fell short.

        The first read takes the week newest first, so the last day (what is flapping now) is known
        after one collection even when the week takes several (63 calls at 10,000 simulated
        gateways against 30 per collection); later collections read what is new, oldest first, then
        spend the calls left going further back.
        """
        history = self.history(org_id)
        budget = CallBudget(self.calls_per_collection, name="device events")
        first = history.read_until is None
        failed = missing = None
        try:
            start, end = history.next_window(now)
            missing = self._read(org_id, history, start, end, budget, newest_first=first)
            older = history.backfill_window(now)
            if not missing and older and not budget.exhausted:
                missing = self._read(org_id, history, *older, budget, newest_first=True)
        except MistError as exc:
            failed = {"source": "device_events", "got": None, "total": None, "why": f"not read: {exc}"}
        history.prune(now)
        self.store.put_meta(f"history:{org_id}", history.to_json())
        if failed:
            return failed
        if history.covered_since is not None and not history.covers(now - history.retention):
            left = f"the week's events read back to {_clock(history.covered_since)}, older ones next collection"
        elif missing:
            left = f"events read up to {_clock(history.read_until)}, the rest next collection"
        else:
            return None
        entry = missing or {"got": None, "total": None}
        why = f"{missing['why']}; {left}" if missing and missing.get("why") else left
        return {**entry, "source": "device_events", "why": why}

    def _read(self, org_id: str, history: PortHistory, start, end, budget, newest_first: bool) -> dict | None:
        """One search of [start, end], ingested for the span it covered; its ``incomplete`` entry."""
        events = self.conn.device_events(
            org_id, start, end, PORT_EVENT_TYPES, budget=budget, transform=compact_events,
            newest_first=newest_first,
        )  # fmt: skip
        missing = getattr(events, "incomplete", None)
        if not missing:
            history.ingest(events, start, end)
        elif newest_first and (oldest := oldest_event_time(events)) is not None:
            history.ingest(events, oldest, end)  # everything newer than the oldest event came
        elif not newest_first and (newest := newest_event_time(events)) is not None:
            history.ingest(events, start, newest)  # everything older than the newest event came
        return missing

    def prefetch(self, org_id: str, now: float, pool) -> None:
        """Start reading the events now, on ``pool``, while the collector fetches the stats pages."""
        self._reads[org_id] = pool.submit(self.read_events, org_id, now)

    def __call__(self, org_id: str, fields: dict, now: float) -> dict:
        incomplete = list(fields["incomplete"])
        read = self._reads.pop(org_id, None)
        missing = read.result() if read is not None else self.read_events(org_id, now)
        if missing:
            incomplete.append(missing)
        history = self.history(org_id).for_rows(fields["gateways"], now)
        peers = PeerPathsByGateway(fields["peers"])
        before = self.store.current(org_id)
        problems = compute_problems(
            fields["gateways"], peers, history, self.thresholds, now, before.problems if before else ()
        )
        return {
            "history": {key: entry for key, entry in history.items() if eventful(entry)},
            "port_history": port_figures(fields["gateways"], history),
            "problems": problems,
            "problem_counts": problem_counts(problems),
            "thresholds": self.thresholds.as_dict(),
            "incomplete": incomplete,
        }


def eventful(entry: dict) -> bool:
    """Whether a port's history says more than its row does (flaps, availability): the snapshot keeps
    only those, about one port in five, for the charts' down intervals."""
    return bool(entry.get("down_intervals") or entry.get("flaps_7d"))


def port_figures(rows: list[dict], history: dict[str, dict]) -> dict[str, tuple]:
    """Gateway id -> each port's ``HISTORY_FIELDS`` values, in the order of the row's ports.

    Kept beside the rows instead of merged into them (``Snapshot.shown`` merges them for the page,
    the API and the CSV): the rows stay unchanged, so a cold start's first version and the one
    with history share them instead of holding two copies. Identical tuples are shared: most ports
    read ``(0, 0, 100.0)``.
    """
    shared: dict[tuple, tuple] = {}
    figures: dict[str, tuple] = {}
    for row in rows:
        per_port = []
        for port in row["ports"]:
            known = history.get(f"{row['id']}|{port['name']}") or {}
            values = tuple(known.get(name) for name in HISTORY_FIELDS)
            per_port.append(shared.setdefault(values, values))
        figures[row["id"]] = tuple(per_port)
    return figures


def _clock(epoch: float | None) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch)) if epoch else "nothing"
