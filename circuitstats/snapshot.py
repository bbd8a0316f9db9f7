"""Immutable, versioned snapshots of an org's WAN circuits, and the stores that keep them.

Why: web requests must never wait on Mist nor see a half-built table. The collector builds one
``Snapshot`` per collection (rows, id index, summary, problems, history, what is incomplete, and the
serialized JSON body with its gzip bytes and ETag) and publishes it atomically; readers take the
current pointer. At most the current and the previous version are kept anywhere: in memory the store
holds only the current one (a reader still holding the previous keeps it alive until it answers); in
Redis one versioned key per snapshot plus a pointer, and versions older than the previous are deleted.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import json
import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import circuits
from circuitstats.codec import dumps
from circuitstats.redis_link import RedisLink

log = logging.getLogger(__name__)

# The per-port event figures ``Snapshot.shown`` merges into the port rows, in port_history's order.
HISTORY_FIELDS = ("flaps_24h", "flaps_7d", "availability_7d")

# Level 3 gzips the 10,000-gateway table (11 MB) in 72 ms to 2.1 MB; level 5 took 118 ms for
# 1.9 MB, on the path of every snapshot (the first one's included); level 9 costs 3x level 5.
GZIP_LEVEL = 3

@dataclass(frozen=True)
class Snapshot:
    """One collection of one org, never modified after it is published.

    ``gateways`` are GatewayRow dicts (circuits.py) sorted for display, enrichment merged into their
    ``ports``; ``index`` maps gateway id -> that same row; ``peers`` maps gateway id -> its VPN peer
    path dicts. ``incomplete`` lists what is missing:
    ``{"source": "gateway_stats", "got": 1000, "total": 1500, "why": "page 2 failed: ..."}``.
    ``history`` maps ``"<gateway_id>|<port name>"`` -> per-port event history (flaps_24h, flaps_7d,
    availability_7d, down_intervals). ``stale`` is True when this version re-publishes older rows
    because a collection failed; ``stale_reason`` then says why.
    """

    version: int
    org_id: str
    org_name: str | None
    as_of: float  # epoch seconds when the rows were collected
    gateways: list[dict]
    index: dict[str, dict]
    peers: dict[str, bytes]  # compact JSON per gateway (``build_snapshot`` also takes lists of dicts)
    summary: dict
    sites: list[dict] = field(default_factory=list)
    incomplete: list[dict] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    problem_counts: dict[str, int] = field(default_factory=dict)
    problems_pending: bool = False  # a cold start's first version: problems follow in seconds
    history: dict[str, dict] = field(default_factory=dict)
    # Gateway id -> per-port (flaps_24h, flaps_7d, availability_7d), aligned with the row's ports;
    # merged into the rows only as they are shown (see ``shown``). Empty before any history, and
    # for a version loaded from Redis, whose rows come from the body with the figures in them.
    port_history: dict[str, tuple] = field(default_factory=dict)
    thresholds: dict[str, Any] = field(default_factory=dict)
    enrichment: dict[str, Any] = field(default_factory=dict)
    stale: bool = False
    stale_reason: str | None = None
    collection_seconds: float | None = None
    # The /api/gateways answer for the whole org, kept gzipped only (browsers accept gzip; the rare
    # client that does not gets it decompressed per request), which saves ~13 MB per version at 10k.
    body_gzip: bytes = b""
    etag: str = ""
    problems_body_gzip: bytes = b""  # the /api/problems answer, gzipped

    def shown(self, rows: Iterable[dict]) -> Iterator[dict]:
        """The rows as the page, the API, the CSV and the metrics show them: each port with its
        flap counts and availability from ``port_history`` (merged into short-lived copies)."""
        figures = self.port_history
        for row in rows:
            per_port = figures.get(row["id"]) if figures else None
            if per_port is None:
                yield row
                continue
            ports = [
                {**port, "flaps_24h": day, "flaps_7d": week, "availability_7d": availability}
                for port, (day, week, availability) in zip(row["ports"], per_port, strict=True)
            ]
            yield {**row, "ports": ports}

    def data(self, gateways: list[dict]) -> dict:
        """The ``data`` part of a /api/gateways answer for these rows (all of them, or a filter).

        The whole org's rows are a one-pass iterator (written row by row into the gzip stream, so
        their merged copies never exist together); a filter's are a list."""
        filtered = gateways is not self.gateways
        shown = self.shown(gateways)
        return {
            "gateways": list(shown) if filtered else shown,
            "summary": self.summary,
            "filtered_summary": circuits.summarize(gateways) if filtered else self.summary,
            "incomplete": self.incomplete,
            "enrichment": self.enrichment,
        }

    def envelope(self) -> dict:
        """The fields every answer built from this snapshot carries besides ``data``."""
        return {
            "success": True,
            "as_of": self.as_of,
            "stale": self.stale,
            "stale_reason": self.stale_reason,
            "version": self.version,
            "org_id": self.org_id,
            "collection_seconds": self.collection_seconds,
        }

    def problems_data(self) -> dict:
        return {
            "problems": self.problems,
            "counts": self.problem_counts,
            "total": len(self.problems),
            "thresholds": self.thresholds,
            "pending": self.problems_pending,
        }

    @property
    def body(self) -> bytes:
        return gzip.decompress(self.body_gzip)

    @property
    def problems_body(self) -> bytes:
        return gzip.decompress(self.problems_body_gzip)

    def peer_paths(self, gateway_id: str) -> list[dict]:
        """One gateway's VPN peer paths (kept as compact JSON per gateway: 4x smaller than dicts)."""
        return PeerPathsByGateway(self.peers).get(gateway_id, [])


class PeerPathsByGateway(Mapping):
    """Gateway id -> its VPN peer path dicts, decoded from the compact JSON on each lookup.

    For a pass over every gateway (problems): one gateway's paths exist as objects at a time.
    """

    def __init__(self, encoded: Mapping[str, bytes | list]) -> None:
        self.encoded = encoded

    def __getitem__(self, gateway_id: str) -> list[dict]:
        raw = self.encoded[gateway_id]
        return json.loads(raw) if isinstance(raw, bytes | str) else raw

    def __iter__(self) -> Iterator[str]:
        return iter(self.encoded)

    def __len__(self) -> int:
        return len(self.encoded)


def gzip_json(envelope: dict, data: dict, big: str) -> tuple[bytes, str]:
    """``{**envelope, "data": data}`` as gzipped strict JSON, and a digest of the plain JSON.

    Written item by item of ``data[big]`` (the rows) straight into the compressor, so the plain
    body of a 10,000-gateway org (14 MB, and several times that while ``json.dumps`` builds it)
    never exists in memory at once.
    """
    out = io.BytesIO()
    digest = hashlib.blake2b(digest_size=8)
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=GZIP_LEVEL, mtime=0) as zipped:

        def write(chunk: bytes) -> None:
            digest.update(chunk)
            zipped.write(chunk)

        rest = {key: value for key, value in data.items() if key != big}
        write(dumps(envelope)[:-1] + b',"data":{' + dumps(big) + b":[")
        # Encoded 256 items per call (a list, its brackets cut): 30 % less CPU than item by item.
        # The comma goes before a batch, so a count that is a multiple of 256 leaves none dangling.
        separator, batch = b"", []
        for item in data[big]:
            batch.append(item)
            if len(batch) == 256:
                write(separator + dumps(batch)[1:-1])
                separator, batch = b",", []
        if batch:
            write(separator + dumps(batch)[1:-1])
        write(b"]")
        write((b"," + dumps(rest)[1:]) if rest else b"}")
        write(b"}")
    return out.getvalue(), digest.hexdigest()


def serialize(snapshot: Snapshot) -> Snapshot:
    """The snapshot with its whole-org JSON body (gzipped), ETag and compact peer paths filled in."""
    body_gzip, digest = gzip_json(snapshot.envelope(), snapshot.data(snapshot.gateways), "gateways")
    peers = {
        gid: paths if isinstance(paths, bytes) else dumps(paths) for gid, paths in snapshot.peers.items()
    }
    return serialize_problems(
        dataclasses.replace(snapshot, body_gzip=body_gzip, peers=peers, etag=f'"{snapshot.version}-{digest}"')
    )


def serialize_problems(snapshot: Snapshot) -> Snapshot:
    """The snapshot with its /api/problems body (gzipped) filled in: served as is, like the table."""
    zipped, _ = gzip_json(snapshot.envelope(), snapshot.problems_data(), "problems")
    return dataclasses.replace(snapshot, problems_body_gzip=zipped)


def build_snapshot(**fields: Any) -> Snapshot:
    """A serialized Snapshot from its fields; ``index`` is derived from ``gateways`` when absent."""
    fields.setdefault("index", {row["id"]: row for row in fields["gateways"] if row.get("id")})
    return serialize(Snapshot(**fields))


def as_stale(snapshot: Snapshot, version: int, reason: str) -> Snapshot:
    """A new version of ``snapshot`` that says it is stale and why (rows unchanged, body rebuilt)."""
    return serialize(dataclasses.replace(snapshot, version=version, stale=True, stale_reason=reason))


# ----- stores --------------------------------------------------------------------------------------
class MemorySnapshotStore:
    """Snapshots of one process (the embedded default: one worker, one collector thread)."""

    def __init__(self) -> None:
        self._current: dict[str, Snapshot] = {}
        self._versions: dict[str, int] = {}
        self._meta: dict[str, Any] = {}
        self._lock = threading.Lock()

    def next_version(self, org_id: str) -> int:
        with self._lock:
            self._versions[org_id] = self._versions.get(org_id, 0) + 1
            return self._versions[org_id]

    def publish(self, snapshot: Snapshot) -> None:
        """Swap the pointer: readers see the old or the new snapshot, never a mix."""
        with self._lock:
            self._current[snapshot.org_id] = snapshot

    def current(self, org_id: str) -> Snapshot | None:
        return self._current.get(org_id)

    def put_meta(self, name: str, value: Any) -> None:
        """Small shared documents: the orgs the tokens see, the collector's status, wanted orgs."""
        self._meta[name] = value

    def get_meta(self, name: str, default: Any = None) -> Any:
        return self._meta.get(name, default)

    def add_wanted_org(self, org_id: str) -> None:
        with self._lock:
            wanted = dict(self._meta.get("wanted_orgs") or {})
            wanted[org_id] = True
            self._meta["wanted_orgs"] = wanted

    def wanted_orgs(self) -> list[str]:
        return list(self._meta.get("wanted_orgs") or {})

    def versions_kept(self, org_id: str) -> int:
        return 1 if org_id in self._current else 0

    def status(self) -> dict:
        return {"kind": "memory"}


class RedisSnapshotStore(MemorySnapshotStore):
    """Snapshots shared by every worker and replica through Redis.

    Each snapshot is one hash ``mcs:snap:<org>:<version>`` (meta JSON, gzipped body, gzipped extras)
    plus a pointer ``mcs:snap:<org>:current``. A reader loads a version once per process and then
    answers from memory; only the pointer is read per request. When Redis is unreachable readers keep
    answering from the last version they loaded.
    """

    PREFIX = "mcs:snap"
    OLD_VERSION_TTL = 600  # the previous version outlives the swap long enough for slow readers

    def __init__(self, link: RedisLink):
        super().__init__()
        self.link = link
        self._load_lock = threading.Lock()

    def _key(self, org_id: str, suffix: str) -> str:
        return f"{self.PREFIX}:{org_id}:{suffix}"

    def next_version(self, org_id: str) -> int:
        version = self.link.run(lambda c: c.incr(self._key(org_id, "seq")))
        return int(version) if version is not None else super().next_version(org_id) + 1_000_000_000

    def publish(self, snapshot: Snapshot) -> None:
        super().publish(snapshot)
        extras = {
            "peers": {gid: paths.decode() for gid, paths in snapshot.peers.items()},
            "problems": snapshot.problems,
            "problem_counts": snapshot.problem_counts,
            "history": snapshot.history,
            "sites": snapshot.sites,
        }
        meta = {
            name: getattr(snapshot, name)
            for name in ("version", "org_id", "org_name", "as_of", "summary", "incomplete", "thresholds")
        }
        meta.update(
            enrichment=snapshot.enrichment,
            stale=snapshot.stale,
            stale_reason=snapshot.stale_reason,
            collection_seconds=snapshot.collection_seconds,
            etag=snapshot.etag,
            problems_pending=snapshot.problems_pending,
        )
        key = self._key(snapshot.org_id, str(snapshot.version))
        pointer = self._key(snapshot.org_id, "current")

        def write(client):
            previous = client.get(pointer)
            pipe = client.pipeline(transaction=True)
            pipe.hset(
                key,
                mapping={
                    "meta": dumps(meta),
                    "body_gzip": snapshot.body_gzip,
                    "extras_gzip": gzip.compress(dumps(extras), compresslevel=GZIP_LEVEL),
                },
            )
            pipe.set(pointer, snapshot.version)
            if previous is not None and int(previous) != snapshot.version:
                pipe.expire(self._key(snapshot.org_id, previous.decode()), self.OLD_VERSION_TTL)
            pipe.execute()
            # Anything older than the previous version goes now: two versions at most.
            for old in client.scan_iter(match=self._key(snapshot.org_id, "*"), count=100):
                suffix = old.decode().rsplit(":", 1)[1]
                if (
                    suffix.isdigit()
                    and int(suffix) < snapshot.version
                    and (previous is None or suffix != previous.decode())
                ):
                    client.delete(old)

        self.link.run(write)

    def current(self, org_id: str) -> Snapshot | None:
        local = super().current(org_id)
        pointer = self.link.run(lambda c: c.get(self._key(org_id, "current")), default=False)
        if pointer is False or pointer is None:
            return local  # Redis down (or nothing shared yet): what this process holds
        version = int(pointer)
        if local is not None and local.version == version:
            return local
        with self._load_lock:  # many threads asking together load the version once
            local = super().current(org_id)
            if local is not None and local.version == version:
                return local
            loaded = self._load(org_id, version)
            if loaded is None:
                return local
            MemorySnapshotStore.publish(self, loaded)
            return loaded

    def _load(self, org_id: str, version: int) -> Snapshot | None:
        raw = self.link.run(lambda c: c.hgetall(self._key(org_id, str(version))))
        if not raw or b"meta" not in raw:
            return None
        meta = json.loads(raw[b"meta"])
        body_gzip = raw[b"body_gzip"]
        body = gzip.decompress(body_gzip)
        extras = json.loads(gzip.decompress(raw[b"extras_gzip"]))
        gateways = json.loads(body)["data"]["gateways"]
        return serialize_problems(
            Snapshot(
                version=meta["version"],
                org_id=meta["org_id"],
                org_name=meta["org_name"],
                as_of=meta["as_of"],
                gateways=gateways,
                index={row["id"]: row for row in gateways if row.get("id")},
                peers={gid: paths.encode() for gid, paths in extras["peers"].items()},
                summary=meta["summary"],
                sites=extras["sites"],
                incomplete=meta["incomplete"],
                problems=extras["problems"],
                problem_counts=extras["problem_counts"],
                history=extras["history"],
                thresholds=meta["thresholds"],
                enrichment=meta["enrichment"],
                stale=meta["stale"],
                stale_reason=meta["stale_reason"],
                collection_seconds=meta["collection_seconds"],
                problems_pending=meta.get("problems_pending", False),
                body_gzip=body_gzip,
                etag=meta["etag"],
            )
        )

    def put_meta(self, name: str, value: Any) -> None:
        super().put_meta(name, value)
        self.link.run(lambda c: c.set(f"{self.PREFIX}:meta:{name}", dumps(value)))

    def get_meta(self, name: str, default: Any = None) -> Any:
        raw = self.link.run(lambda c: c.get(f"{self.PREFIX}:meta:{name}"), default=False)
        if raw is False or raw is None:
            return super().get_meta(name, default)
        return json.loads(raw)

    def add_wanted_org(self, org_id: str) -> None:
        super().add_wanted_org(org_id)
        self.link.run(lambda c: c.sadd(f"{self.PREFIX}:wanted_orgs", org_id))

    def wanted_orgs(self) -> list[str]:
        shared = self.link.run(lambda c: c.smembers(f"{self.PREFIX}:wanted_orgs"), default=None)
        local = super().wanted_orgs()
        if not shared:
            return local
        return list(dict.fromkeys(local + sorted(s.decode() for s in shared)))

    def versions_kept(self, org_id: str) -> int:
        keys = self.link.run(lambda c: list(c.scan_iter(match=self._key(org_id, "*"), count=100)), [])
        return sum(1 for k in keys if k.decode().rsplit(":", 1)[1].isdigit())

    def status(self) -> dict:
        return {"kind": "redis", **self.link.status()}


def make_store(link: RedisLink | None) -> MemorySnapshotStore:
    return RedisSnapshotStore(link) if link is not None else MemorySnapshotStore()
