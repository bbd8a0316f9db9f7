"""`MistSimulator`: the simulated Mist cloud as one object (orgs, tokens, limits, faults, accounting).

Why a facade: the dashboard's tests and demo mode need one thing to build and mount. It owns the
cross-cutting behaviour every call goes through, in the order the cloud applies it: accounting,
latency, authentication (401), the per-token rolling-hour rate limit (429 + Retry-After), injected
faults (500/503/hang), then routing (404) and the handler (400/403/404/200). All of it is
thread-safe: the dashboard calls from several threads at once.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass

from .api import Call, MistApi, Reply, error, make_wsgi_app, match_route
from .names import ORG_NAMES, USER_NAMES
from .org import Org, build_org
from .payloads import OrgViews
from .queries import BadRequest, parse_query
from .traffic import FIVE_MIN

RATE_WINDOW = 3600.0


@dataclass(frozen=True, slots=True)
class Principal:
    token: str
    kind: str  # "org" | "user"
    org_ids: tuple[str, ...]
    role: str


class RateLimiter:
    """Calls per token over a rolling hour (real monotonic time, whatever the simulated clock)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._calls: dict[str, deque] = {}
        self._lock = threading.Lock()

    def acquire(self, token: str) -> int | None:
        """Spend one call; None if allowed, else the seconds until the window frees one."""
        now = time.monotonic()
        with self._lock:
            calls = self._calls.setdefault(token, deque())
            while calls and calls[0] <= now - RATE_WINDOW:
                calls.popleft()
            if len(calls) >= self.limit:
                return max(1, math.ceil(calls[0] + RATE_WINDOW - now))
            calls.append(now)
            return None

    def exhaust(self, token: str, retry_after: float | None = None) -> None:
        """Spend the whole budget now; with ``retry_after`` the window frees again after that many seconds."""
        now = time.monotonic()
        spent_at = now if retry_after is None else now - RATE_WINDOW + retry_after
        with self._lock:
            self._calls[token] = deque([spent_at] * self.limit)


class Accounting:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.total = 0
            self.by_operation: Counter = Counter()
            self.by_token: Counter = Counter()

    def count(self, operation: str, token: str) -> None:
        with self._lock:
            self.total += 1
            self.by_operation[operation] += 1
            self.by_token[token] += 1

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "total": self.total,
                "by_operation": dict(self.by_operation),
                "by_token": dict(self.by_token),
            }


class MistSimulator:
    """The simulated cloud. See docs/INTERFACES.md section 1."""

    def __init__(
        self,
        gateways: int = 40,
        seed: int = 7,
        tokens=("demo-token-a",),
        latency_ms: float = 0.0,
        jitter_ms: float = 0.0,
        rate_limit: int = 5000,
        fault_rate: float = 0.0,
        adversarial: bool = False,
        extra_orgs: int = 0,
        user_tokens=(),
        *,
        now: float | None = None,
        empty_site_fraction: float = 0.2,
        hang_cap_seconds: float = 3.0,
    ) -> None:
        self.seed = seed
        self._fixed_now = now
        self.hang_cap_seconds = hang_cap_seconds
        anchor_hour = int(self.now() // 86_400) * 24
        main = build_org(
            seed,
            gateways,
            adversarial_names=adversarial,
            anchor_hour=anchor_hour,
            empty_site_fraction=empty_site_fraction,
        )
        extras = [
            build_org(
                seed * 1000 + i + 1,
                3 + 2 * i,
                adversarial_names=adversarial,
                anchor_hour=anchor_hour,
                name=f"{ORG_NAMES[(seed + i + 1) % len(ORG_NAMES)]} {i + 1}",
            )
            for i in range(extra_orgs)
        ]
        self.orgs: list[Org] = [main, *extras]
        self.org_by_id = {o.id: o for o in self.orgs}
        self.site_by_id = {s.id: (o, s) for o in self.orgs for s in o.sites}
        self.views = {o.id: OrgViews(o) for o in self.orgs}
        self._org_tokens: dict[str, tuple[str, ...]] = {main.id: tuple(tokens)}
        self.principals: dict[str, Principal] = {t: Principal(t, "org", (main.id,), "admin") for t in tokens}
        for i, org in enumerate(extras):
            token = f"sim-org{i + 1}-token-{seed}"
            self._org_tokens[org.id] = (token,)
            self.principals[token] = Principal(token, "org", (org.id,), "admin")
        all_ids = tuple(self.org_ids)
        for token in user_tokens:
            self.principals[token] = Principal(token, "user", all_ids, "admin")
        self.rate = RateLimiter(rate_limit)
        self.accounting = Accounting()
        self._rng = random.Random(f"faults:{seed}")
        self._rng_lock = threading.Lock()
        self.fault_rate = fault_rate
        self.latency_ms, self.jitter_ms = latency_ms, jitter_ms
        self.api = MistApi(self)
        self._adapter = None

    # -- clock and identity --------------------------------------------------------------------

    def now(self) -> int:
        return int(self._fixed_now if self._fixed_now is not None else time.time())

    @property
    def org_id(self) -> str:
        return self.orgs[0].id

    @property
    def org_ids(self) -> list[str]:
        return [o.id for o in self.orgs]

    def org(self, org_id: str | None = None) -> Org:
        return self.org_by_id[org_id or self.org_id]

    def org_tokens(self, org_id: str | None = None) -> tuple[str, ...]:
        """Org tokens of an org (extra orgs get one generated token each)."""
        return self._org_tokens[org_id or self.org_id]

    def truth(self, org_id: str | None = None) -> dict:
        return self.org(org_id).truth()

    def port_flaps(self, org_id: str | None = None, start: int | None = None, end: int | None = None):
        """Ground truth for tests: Counter {(gateway mac, port_id): GW_PORT_DOWN events} in [start, end).

        Defaults to the 7 days before now, the window the events search serves. Ports flapping
        often are also marked on the model: `port.flaps_per_day > 0` (see events.py).
        """
        return self.org(org_id).events.port_flaps(self.now(), start, end)

    def device_events(self, org_id: str | None = None) -> list[dict]:
        """Ground truth for tests: every gateway event the cloud shows now, oldest first."""
        model = self.org(org_id).events
        return [model.document(event) for event in model.timeline(self.now())]

    def set_site_vars(self, site_id: str, variables: dict, modified_time: int | None = None) -> None:
        """Replace a site's variables (getSiteSetting `vars`) and bump the site's `modified_time`.

        Why: a dashboard caching site settings refreshes them when `modified_time` changes; tests
        of that need a site that changes under them. The time defaults to the simulated clock.
        """
        _org, site = self.site_by_id[site_id]
        site.vars = dict(variables)
        site.modified_time = self.now() if modified_time is None else modified_time

    def self_document(self, principal: Principal) -> dict:
        """GET /api/v1/self: an org token has no email; a user token lists several orgs."""
        privileges = [
            {"scope": "org", "org_id": oid, "role": principal.role, "name": self.org_by_id[oid].name}
            for oid in principal.org_ids
        ]
        if principal.kind == "org":
            return {"name": f"Org API token {principal.token[:4]}...", "privileges": privileges, "tags": []}
        first, last = USER_NAMES[sum(map(ord, principal.token)) % len(USER_NAMES)]
        main = self.orgs[0]
        privileges.append(
            {
                "scope": "site",
                "site_id": main.sites[0].id,
                "org_id": main.id,
                "role": "read",
                "name": main.sites[0].name,
            }
        )
        return {
            "email": f"{first.lower()}.{last.lower()}@example.com",
            "first_name": first,
            "last_name": last,
            "phone": "",
            "via_sso": False,
            "two_factor_verified": False,
            "session_expiry": 1440,
            "tags": [],
            "privileges": privileges,
        }

    # -- run-time knobs ------------------------------------------------------------------------

    def calls(self) -> dict:
        return self.accounting.snapshot()

    def reset_calls(self) -> None:
        self.accounting.reset()

    def exhaust_token(self, token: str, retry_after: float | None = None) -> None:
        """Spend ``token``'s hourly budget: its next call answers 429 (until ``retry_after`` s pass)."""
        self.rate.exhaust(token, retry_after)

    def set_faults(self, fault_rate: float) -> None:
        self.fault_rate = fault_rate

    def set_latency(self, latency_ms: float, jitter_ms: float = 0.0) -> None:
        self.latency_ms, self.jitter_ms = latency_ms, jitter_ms

    def keep_warm(self, lead_seconds: float = 60.0) -> threading.Thread:
        """Render every gateway's stats of the current 5-minute slot now, then each next slot
        ``lead_seconds`` before it begins, on a daemon thread.

        Why: the standalone server stands for a cloud whose answers take their configured latency,
        whatever came before. Built on first request, the first stats pages of a slot cost the
        simulator ~0.15 s of CPU per 1,000 gateways, serialized on its one core: a benchmarked
        cold start then measured the simulator, not the dashboard.
        """
        current = self.now() // FIVE_MIN
        self._prepare_slot(current)
        prepared = current
        if (current + 1) * FIVE_MIN - self.now() <= lead_seconds:
            prepared = current + 1  # too close to the next slot to prepare it later without delay
            self._prepare_slot(prepared)

        def ahead() -> None:
            nonlocal prepared
            while True:
                following = prepared + 1
                time.sleep(max(0.0, following * FIVE_MIN - lead_seconds - self.now()))
                self._prepare_slot(following)
                prepared = following

        thread = threading.Thread(target=ahead, name="simulator-warm", daemon=True)
        thread.start()
        return thread

    def _prepare_slot(self, slot: int) -> None:
        now = self.now()
        for org in self.orgs:
            self.views[org.id].prepare(slot, now)

    # -- transports ----------------------------------------------------------------------------

    def mount(self, session) -> None:
        """Mount the requests adapter on `session` for every https://<Mist host>/."""
        from mist_hosts import MIST_HOSTS

        from .transport import SimulatorAdapter

        if self._adapter is None:
            self._adapter = SimulatorAdapter(self)
        for host in MIST_HOSTS:
            session.mount(f"https://{host}/", self._adapter)

    @property
    def wsgi_app(self):
        return make_wsgi_app(self)

    # -- one call ------------------------------------------------------------------------------

    def _roll(self) -> tuple[float, str | None]:
        """Seeded delay and fault choice for one call."""
        with self._rng_lock:
            delay = self.latency_ms + (self._rng.uniform(0, self.jitter_ms) if self.jitter_ms else 0.0)
            fault = None
            if self.fault_rate and self._rng.random() < self.fault_rate:
                fault = self._rng.choice(("500", "503", "500", "503", "hang"))
        return delay / 1000.0, fault

    def dispatch(self, method: str, path: str, query_string: str, headers: dict) -> Reply:
        route = match_route(path)
        operation = route[0] if route else "unknown"
        token = parse_token(headers.get("Authorization") or headers.get("authorization") or "")
        self.accounting.count(operation, token or "")
        delay, fault = self._roll()
        if delay > 0:
            time.sleep(delay)
        principal = self.principals.get(token) if token else None
        if principal is None:
            detail = "Invalid token." if token else "Authentication credentials were not provided."
            return error(401, detail)
        retry_after = self.rate.acquire(token)
        if retry_after is not None:
            reply = error(429, "Too many requests")
            reply.headers["Retry-After"] = str(retry_after)
            return reply
        if fault == "hang":
            return Reply(503, b'{"detail":"Service temporarily unavailable"}', hang=True)
        if fault:
            return error(
                int(fault), "Internal server error" if fault == "500" else "Service temporarily unavailable"
            )
        if method.upper() != "GET":
            return error(405, f'Method "{method}" not allowed.')
        if route is None:
            return error(404, "Not found")
        try:
            query = parse_query(query_string)
        except BadRequest as err:
            return error(400, str(err))
        call = Call(principal, path, route[1], query, query_string, self.now())
        return self.api.handle(operation, call)


def parse_token(header: str) -> str | None:
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "token" or not value.strip():
        return None
    return value.strip()
