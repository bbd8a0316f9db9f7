"""MistCircuitStats web app: routes only.

Each route parses and validates its request, asks ``Dashboard`` one question and shapes the JSON or
CSV answer. ``create_app(config)`` builds the app (tests pass overrides); the module-level ``app`` is
what ``gunicorn app:app`` serves; ``python app.py [--demo] [--port N]`` runs the dev server.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import os
import re
import threading
import time
from collections import OrderedDict

from dotenv import load_dotenv
from flask import Flask, Response, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

import csv_export
import traffic
from cache import CacheWaitTimeout, SharedFetchError, make_cache
from circuitstats import search
from config import DEMO_TOKENS, ConfigError, Settings, settings_from_env
from dashboard import Dashboard, OrgChoiceRequired, UnknownGateway, UnknownOrg
from mist_connection import (
    MistAuthError,
    MistBadRequest,
    MistConfigError,
    MistConnection,
    MistError,
    MistNotFound,
    MistRateLimited,
    MistUnavailable,
)

__version__ = "1.0.0"
log = logging.getLogger("mistcircuitstats")

UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
MAC_RE = re.compile(r"^[0-9a-fA-F]{12}$")
# Interface names as Junos/SSR write them: ge-0/0/0, ge-0/0/0.100, xe-1/0/3, lte0, cl-1/0/0, wan0 ...
PORT_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,15}(/[0-9]{1,3}){0,3}(\.[0-9]{1,4})?$")
MAX_QUERY_LEN = 200

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


class BadParameter(Exception):
    """A request parameter failed validation; the message names it."""

    def __init__(self, name: str, why: str):
        self.name = name
        super().__init__(f"invalid parameter '{name}': {why}")


# ----- parameter validation ------------------------------------------------------------------------
def _param(name: str, pattern: re.Pattern | None = None, why: str = "", required: bool = False) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        if required:
            raise BadParameter(name, "is required")
        return None
    if pattern is not None and not pattern.match(value):
        raise BadParameter(name, why)
    return value


def _uuid_param(name: str, required: bool = False) -> str | None:
    value = _param(name, UUID_RE, "must be a Mist id (uuid)", required)
    return value.lower() if value else None


def _check_path_id(name: str, value: str) -> str:
    if not UUID_RE.match(value):
        raise BadParameter(name, "must be a Mist id (uuid)")
    return value.lower()


def _check_port_id(value: str) -> str:
    if not PORT_RE.match(value):
        raise BadParameter("port_id", "must be an interface name such as ge-0/0/0 or ge-0/0/0.100")
    return value


def _mac_param() -> str | None:
    raw = request.args.get("mac")
    if not raw:
        return None
    mac = re.sub(r"[:.-]", "", raw).lower()
    if not MAC_RE.match(mac):
        raise BadParameter("mac", "must be a MAC address (12 hex digits)")
    return mac


def _query_param() -> str | None:
    # One search definition (circuitstats.search) for the page, this URL parameter and the export.
    try:
        return search.parse_query(request.args.get("q"))
    except ValueError as exc:
        raise BadParameter("q", str(exc)) from exc


def _window_param() -> str:
    window = request.args.get("duration", "24h")
    if window not in traffic.WINDOWS:
        raise BadParameter("duration", "must be one of " + ", ".join(traffic.WINDOWS))
    return window


# ----- answers ---------------------------------------------------------------------------------------
def ok(answer) -> Response:
    return jsonify(success=True, data=answer.value, as_of=answer.as_of, stale=answer.stale)


def fail(status: int, message: str, **extra) -> Response:
    response = jsonify(success=False, error=message, **extra)
    response.status_code = status
    return response


class SerializedAnswers:
    """The big table's JSON, serialized (and gzipped) once per version of the data, not per request.

    A 10,000-gateway answer is about 9 MB of JSON: serializing it for every request would make the
    server CPU-bound at a few requests per second. The key holds everything the body depends on
    (org, filters, ``as_of``, ``stale``, enrichment progress), so a hit is always exact.
    """

    GZIP_FROM_BYTES = 32 * 1024

    def __init__(self, size: int = 16):
        self._entries: OrderedDict[tuple, dict[str, bytes]] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()

    def response(self, key: tuple, build_body) -> Response:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
        if entry is None:
            with self._build_lock:  # 50 users arriving together serialize the table once, not 50 times
                with self._lock:
                    entry = self._entries.get(key)
                if entry is None:
                    entry = {"identity": json.dumps(build_body(), separators=(",", ":")).encode()}
                    with self._lock:
                        self._entries[key] = entry
                        while len(self._entries) > self._size:
                            self._entries.popitem(last=False)
        body, encoding = entry["identity"], None
        if len(body) >= self.GZIP_FROM_BYTES and "gzip" in request.headers.get("Accept-Encoding", ""):
            if "gzip" not in entry:
                with self._build_lock:
                    if "gzip" not in entry:
                        entry["gzip"] = gzip.compress(body, compresslevel=5)
            body, encoding = entry["gzip"], "gzip"
        response = Response(body, mimetype="application/json")
        response.headers["Vary"] = "Accept-Encoding"
        if encoding:
            response.headers["Content-Encoding"] = encoding
        return response


def csv_download(text: str, prefix: str) -> Response:
    filename = csv_export.timestamped_filename(prefix, time.time())
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


# ----- the app -----------------------------------------------------------------------------------------
def build_demo_connection(settings: Settings, cooldowns) -> tuple[MistConnection, Settings]:
    """Demo mode: the simulated Mist cloud mounted in-process, so no request leaves the machine."""
    from mist_simulator import MistSimulator  # demo-only dependency, imported when used

    tokens = settings.tokens or DEMO_TOKENS
    sim = MistSimulator(
        gateways=settings.demo_gateways,
        seed=settings.demo_seed,
        tokens=tokens,
        latency_ms=settings.demo_latency_ms,
        rate_limit=settings.demo_rate_limit,
        fault_rate=settings.demo_fault_rate,
        adversarial=settings.demo_adversarial,
    )
    conn = MistConnection(
        list(tokens),
        host="api.mist.com",
        timeout=(3.05, settings.timeout_seconds),
        cooldown_store=cooldowns,
        session_hook=sim.mount,
    )
    conn.simulator = sim
    return conn, settings.with_overrides({"org_id": sim.org_id, "tokens": tuple(tokens)})


def build_dashboard(settings: Settings) -> Dashboard:
    cache = make_cache(settings.redis_url)
    if settings.demo:
        conn, settings = build_demo_connection(settings, cache.cooldowns)
    else:
        conn = MistConnection(
            list(settings.tokens),
            host=settings.host,
            timeout=(3.05, settings.timeout_seconds),
            cooldown_store=cache.cooldowns,
            https_proxy=settings.https_proxy,
            session_hook=settings.extra.get("session_hook"),  # tests plug a simulator in here
        )
    return Dashboard(conn, cache, settings)


class SecretRedactor(logging.Filter):
    """Last line of defence: a configured token never reaches a log line, whoever logged it."""

    def __init__(self, secrets: tuple[str, ...]):
        super().__init__()
        self.secrets = tuple(s for s in secrets if len(s) >= 6)

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            if any(secret in message for secret in self.secrets):
                for secret in self.secrets:
                    message = message.replace(secret, "<redacted token>")
                record.msg, record.args = message, None
        return True


def _configure_logging(level: str, secrets: tuple[str, ...]) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger()
    root.setLevel(level)
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, SecretRedactor)]:
            handler.removeFilter(old)
        handler.addFilter(SecretRedactor(secrets))
    # mistapi logs every URL at INFO and full tracebacks on errors; ours say what matters, once.
    logging.getLogger("mistapi").setLevel(logging.DEBUG if level == "DEBUG" else logging.CRITICAL)


def create_app(config: dict | None = None) -> Flask:
    """Build the app from the environment, with ``config`` overriding Settings fields (tests)."""
    load_dotenv(override=False)
    app = Flask(__name__)
    app.json.sort_keys = False
    setup_error = None
    dashboard = None
    try:
        settings = settings_from_env().with_overrides(config)
    except ConfigError as exc:
        settings, setup_error = Settings().with_overrides(config), str(exc)
    _configure_logging(settings.log_level, settings.tokens)
    if setup_error is None and settings.configured:
        try:
            dashboard = build_dashboard(settings)
            settings = dashboard.settings
        except (MistConfigError, ValueError) as exc:  # bad host, malformed REDIS_URL (password masked)
            setup_error = str(exc)
    if setup_error:
        log.error("configuration error: %s", setup_error)
    app.config["SETTINGS"] = settings
    app.extensions["dashboard"] = dashboard
    register_routes(app, dashboard, settings, setup_error)
    register_errors(app)
    app.after_request(_security_headers)
    return app


def _security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault(
        "Cache-Control", "no-store" if request.path.startswith("/api/") else "no-cache"
    )
    return response


def register_errors(app: Flask) -> None:
    @app.errorhandler(BadParameter)
    def bad_parameter(exc):
        return fail(400, str(exc), parameter=exc.name)

    @app.errorhandler(OrgChoiceRequired)
    def org_choice(exc):
        return fail(409, str(exc), orgs=exc.orgs)

    @app.errorhandler(UnknownOrg)
    def unknown_org(exc):
        return fail(404, str(exc), parameter="org_id")

    @app.errorhandler(UnknownGateway)
    def unknown_gateway(exc):
        return fail(404, str(exc), parameter="gateway_id")

    @app.errorhandler(MistRateLimited)
    def rate_limited(exc):
        response = fail(503, f"{exc}; no data fetched yet to show meanwhile", rate_limited_until=exc.until)
        response.headers["Retry-After"] = str(max(1, int(exc.until - time.time())))
        return response

    @app.errorhandler(MistAuthError)
    def auth_error(exc):
        return fail(502, f"{exc}: check MIST_APITOKEN and its org privileges")

    @app.errorhandler(MistNotFound)
    def not_found_upstream(exc):
        return fail(404, str(exc))

    @app.errorhandler(MistBadRequest)
    def bad_upstream(exc):
        return fail(502, str(exc))

    @app.errorhandler(MistUnavailable)
    def unavailable(exc):
        return fail(503, str(exc))

    @app.errorhandler(MistError)
    def mist_error(exc):
        return fail(502, str(exc))

    @app.errorhandler(SharedFetchError)
    def shared_fetch_failed(exc):
        # Another worker's fetch failed; its error crossed Redis as text (already token-free).
        status = 503 if exc.error_type in ("MistRateLimited", "MistUnavailable") else 502
        return fail(status, exc.message)

    @app.errorhandler(CacheWaitTimeout)
    def cache_wait_timeout(exc):
        return fail(503, "the Mist cloud is slow: data is still being fetched, try again shortly")

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if request.path == "/" or request.path.startswith("/static/"):
            return exc
        return fail(exc.code or 500, f"{exc.name}: {request.method} {request.path}")

    @app.errorhandler(Exception)
    def unexpected(exc):
        log.exception("unexpected error on %s", request.path)
        return fail(500, "internal error: see the server log")


def register_routes(
    app: Flask, dashboard: Dashboard | None, settings: Settings, setup_error: str | None
) -> None:
    def need_dashboard() -> Dashboard:
        if dashboard is None:
            raise _NotConfigured(setup_error)
        return dashboard

    @app.errorhandler(_NotConfigured)
    def not_configured(exc):
        return fail(503, str(exc))

    def org() -> str:
        g.org_id = need_dashboard().resolve_org(_uuid_param("org_id"))
        return g.org_id

    @app.get("/")
    def index():
        return render_template(
            "index.html",
            demo=settings.demo,
            configured=dashboard is not None,
            setup_error=setup_error,
            version=__version__,
            refresh_seconds=settings.refresh_seconds,
        )

    @app.get("/health")
    def health():
        return jsonify(
            success=True,
            data={
                "status": "ok",
                "configured": dashboard is not None,
                "demo": settings.demo,
                "version": __version__,
            },
        )

    @app.get("/api/status")
    def status():
        data = need_dashboard().status()
        return jsonify(success=True, data=data, as_of=time.time(), stale=False)

    @app.get("/api/organizations")
    def organizations():
        return ok(need_dashboard().organizations())

    @app.get("/api/organization")
    def organization():
        return ok(need_dashboard().organization(org()))

    @app.get("/api/sites")
    def sites():
        return ok(need_dashboard().sites(org()))

    table_answers = SerializedAnswers()

    @app.get("/api/gateways")
    def gateways():
        org_id, site_id, query = org(), _uuid_param("site_id"), _query_param()
        answer = need_dashboard().gateways(org_id, site_id, query)
        progress = answer.value["enrichment"]["sites_done"]
        key = (
            org_id,
            site_id,
            query,
            answer.as_of,
            answer.stale,
            progress,
            tuple(answer.value["incomplete"]),
        )
        return table_answers.response(
            key, lambda: {"success": True, "data": answer.value, "as_of": answer.as_of, "stale": answer.stale}
        )

    @app.get("/api/gateway/<gateway_id>/ports")
    def gateway_ports(gateway_id):
        gateway_id = _check_path_id("gateway_id", gateway_id)
        row, answer = need_dashboard().gateway(org(), gateway_id)
        return jsonify(success=True, data=row["ports"], as_of=answer.as_of, stale=answer.stale)

    @app.get("/api/gateway/<gateway_id>/vpn_peers")
    def gateway_peers(gateway_id):
        gateway_id = _check_path_id("gateway_id", gateway_id)
        _uuid_param("site_id")
        port_id = request.args.get("port_id")
        if port_id:
            _check_port_id(port_id)
        return ok(need_dashboard().peer_paths(org(), gateway_id, port_id, _mac_param()))

    def _traffic(gateway_id: str, port_id: str):
        gateway_id = _check_path_id("gateway_id", gateway_id)
        port_id = _check_port_id(port_id)
        window = _window_param()
        return need_dashboard().traffic(org(), gateway_id, port_id, _uuid_param("site_id"), window), window

    @app.get("/api/gateway/<gateway_id>/port/<path:port_id>/traffic")
    def port_traffic(gateway_id, port_id):
        answer, _ = _traffic(gateway_id, port_id)
        return ok(answer)

    @app.get("/api/gateway/<gateway_id>/port/<path:port_id>/traffic.csv")
    def port_traffic_csv(gateway_id, port_id):
        answer, window = _traffic(gateway_id, port_id)
        safe_port = re.sub(r"[^A-Za-z0-9]+", "-", port_id)
        return csv_download(csv_export.traffic_csv(answer.value), f"mist_traffic_{safe_port}_{window}")

    @app.get("/api/export.csv")
    def export_csv():
        org_id = org()
        answer = need_dashboard().gateways(org_id, _uuid_param("site_id"), _query_param())
        return csv_download(csv_export.circuit_csv(answer.value["gateways"]), "mist_circuits")


class _NotConfigured(Exception):
    def __init__(self, setup_error: str | None):
        super().__init__(
            setup_error
            or "not configured: set MIST_APITOKEN (and MIST_HOST for your region) "
            "or run in demo mode (MIST_DEMO=1)"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="MistCircuitStats dashboard (development server)")
    parser.add_argument("--demo", action="store_true", help="serve the built-in simulated Mist org")
    parser.add_argument("--port", type=int, default=None, help="port (default: PORT or 5000)")
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    args = parser.parse_args(argv)
    if args.demo:
        os.environ["MIST_DEMO"] = "1"
    application = create_app()
    port = args.port or application.config["SETTINGS"].port
    print(
        f"MistCircuitStats on http://{args.host}:{port}/" + (" (demo data)" if args.demo else ""), flush=True
    )
    application.run(host=args.host, port=port, threaded=True, debug=False)


if __name__ != "__main__":
    app = create_app()

if __name__ == "__main__":
    main()
