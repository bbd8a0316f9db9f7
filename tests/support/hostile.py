"""The whole app against a hostile Mist cloud: the simulator behind a ``MutatingTransport``.

Used by the app-level fuzz (tests/fuzz/test_app_fuzz.py) and the named distrust tests
(tests/api/test_distrust_upstream.py). ``HostileCloud`` builds a real app (no demo mode: the
connection is the production one, the simulator is reached only through the transport, so every
URL the app sends is recorded), lets a test swap the mutations between collections, move the
collector's clock (reference data due again, retries due), and read every JSON route with a strict
parser.
"""

from __future__ import annotations

import json
import random
import time
from typing import Any
from urllib.parse import urlsplit

from requests import PreparedRequest, Response

from app import create_app
from mist_connection import RetryPolicy
from mist_simulator import MistSimulator
from mist_simulator.api import match_route
from tests.fuzz.mutations import MutatingTransport, Mutation
from tests.support.apps import runtime_of

HOST = "api.mist.com"
TOKENS = ("hostile-token-alpha-0001", "hostile-token-bravo-0002")
GATEWAYS = 12
# Operations read per site by the enricher (not part of the table's call budget).
ENRICH_OPERATIONS = ("listSiteDevices", "getSiteSetting")


def _not_a_number(text: str) -> Any:
    raise ValueError(f"non-standard JSON constant {text}")


def strict_json(data: bytes) -> Any:
    """``json.loads`` refusing NaN, Infinity and -Infinity, as a browser's JSON.parse does."""
    return json.loads(data, parse_constant=_not_a_number)


class ScriptedTransport(MutatingTransport):
    """A ``MutatingTransport`` that also runs exact rewrites: ``{operation: fn(response, query)}``.

    Random mutation kinds are right for a fuzz; a named test needs one precise answer (page 2 of
    gateway stats failing, two stats rows sharing an id, an Insights value of 1e400), so ``scripts``
    rewrite the finished ``requests.Response`` of an operation (``fn`` may replace ``_content``,
    ``status_code`` or headers in place). ``query`` is the request's query string.
    """

    def __init__(self, sim, mutations=(), seed: int = 0, host: str = HOST):
        super().__init__(sim, mutations, seed=seed, host=host)
        self.scripts: dict[str, Any] = {}

    def send(self, request: PreparedRequest, **kwargs) -> Response:
        response = super().send(request, **kwargs)
        parts = urlsplit(request.url or "")
        route = match_route(parts.path)
        script = self.scripts.get(route[0] if route else "unknown")
        if script is not None and 200 <= response.status_code < 300:
            script(response, parts.query)
            response.headers["Content-Length"] = str(len(response._content or b""))
        return response

    def reset_counts(self) -> None:
        """Forget the URLs and per-operation counts (occurrence numbers start again at 1)."""
        with self._lock:
            self.urls, self.foreign_urls, self.by_operation = [], [], {}


def set_body(response: Response, value: Any, raw: str | None = None) -> None:
    """Replace a response's body with ``value`` as JSON (NaN/Infinity allowed) or with ``raw``."""
    response._content = (raw if raw is not None else json.dumps(value, allow_nan=True)).encode()


class HostileCloud:
    """One app, its simulated org and the transport between them; see the module docstring."""

    def __init__(self, seed: int = 11, gateways: int = GATEWAYS, org_id: str | None = None, **settings):
        self.sim = MistSimulator(
            gateways=gateways, seed=seed, tokens=TOKENS, rate_limit=10**9, empty_site_fraction=0.0
        )
        self.transport = ScriptedTransport(self.sim, seed=seed)
        self.base_scripts: dict[str, Any] = {}  # rewrites kept across ``mutate`` (a variant of the cloud)
        config = {
            "tokens": TOKENS,
            "host": HOST,
            "org_id": org_id,
            "enrich_start_delay": 3600.0,
            "extra": {"session_hook": self.transport.mount, "collector_autostart": False},
        }
        config.update(settings)
        self.app = create_app(config)
        self.app.testing = True
        self.client = self.app.test_client()
        self.runtime = runtime_of(self.app)
        assert self.runtime.collector is not None, self.runtime.setup_error
        self.collector = self.runtime.collector
        self.conn = self.runtime.conn
        # Same attempts as production, no sleeping between them: a 5xx case costs calls, not time.
        self.conn.retry = RetryPolicy(attempts=RetryPolicy.attempts, backoff=0.0)
        # No enrichment thread: ``enrich`` runs it synchronously. Stopped also means that a
        # rate-limited site does not pause the test for the enrichment worker's back-off.
        self.collector.enricher.stop()
        self.offset = 0.0
        self.collector.clock = lambda: time.time() + self.offset

    # ----- what the cloud answers -----------------------------------------------------------------
    def mutate(self, mutations: list[Mutation] | tuple = (), seed: int = 0, **scripts) -> None:
        """Answer with these mutations (and exact ``scripts`` by operation) from now on."""
        self.transport.mutations = list(mutations)
        self.transport.scripts = {**self.base_scripts, **scripts}
        self.transport.rng = random.Random(seed)
        self.transport.reset_counts()

    def heal(self) -> None:
        self.mutate()

    # ----- time -----------------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Move the collector's clock: reference data and retries fall due as they would."""
        self.offset += seconds

    def refresh_everything(self) -> None:
        """Make the next collection ask for everything again (TTL expiry, back-off over), and
        forget token cool-downs and remembered chart answers: each fuzz case meets the cloud fresh."""
        collector = self.collector
        collector.orgs_ref.next_try = 0.0
        for state in list(collector._states.values()):
            state.name.next_try = 0.0
            state.next_run = 0.0
            for ref in state.refs.values():
                ref.next_try = 0.0
        self.conn.pool._store = type(self.conn.pool._store)()
        from circuitstats.details import Details

        self.runtime.details = Details(self.conn)

    # ----- the app --------------------------------------------------------------------------------
    def collect(self):
        """One collection of every wanted org, as the collector thread runs it."""
        return self.collector.collect_once()

    @property
    def org_id(self) -> str:
        return self.sim.org_id

    def snapshot(self):
        return self.runtime.store.current(self.org_id)

    def state(self):
        return self.collector._state(self.org_id)

    def enrich(self, site_ids) -> None:
        """What the enrichment thread does for these sites, synchronously."""
        for site_id in site_ids:
            self.collector.enricher.enrich_site(self.org_id, site_id)

    def get(self, url: str):
        """GET ``url``; returns (status, strict-parsed JSON or None, response)."""
        response = self.client.get(url)
        body = None
        if response.mimetype == "application/json" and response.status_code != 304:
            body = strict_json(response.get_data())
        return response.status_code, body, response

    def gateways(self) -> tuple[int, dict | None]:
        status, body, _ = self.get("/api/gateways")
        return status, body

    def close(self) -> None:
        self.collector.stop(timeout=1.0)
