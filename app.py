"""MistCircuitStats web app: the factory and its blueprints, nothing else.

``create_app(config)`` builds the runtime (collector, snapshot store, details service) from the
environment, registers the blueprints of ``circuitstats.routes`` and ``/metrics``, and starts the
collector. The module attribute ``app`` (built on first access) is what ``gunicorn app:app``
serves; ``python app.py [--demo] [--port N]`` runs the dev server.
"""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import threading

from dotenv import load_dotenv
from flask import Flask, Response, request

from circuitstats.metrics import CollectionMetrics, metrics_blueprint
from circuitstats.routes.details import details
from circuitstats.routes.errors import register_errors
from circuitstats.routes.pages import pages
from circuitstats.routes.table import table
from circuitstats.runtime import Runtime, build_runtime, limit_malloc_arenas
from config import ConfigError, Settings, settings_from_env
from mist_connection import MistConfigError

__version__ = "1.1.0"
log = logging.getLogger("mistcircuitstats")

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


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


def _runtime(settings: Settings, setup_error: str | None) -> Runtime:
    if setup_error is not None or not settings.configured:
        return Runtime(settings, setup_error=setup_error)
    try:
        return build_runtime(settings)
    except (MistConfigError, ValueError) as exc:  # bad host, malformed REDIS_URL (password masked)
        return Runtime(settings, setup_error=str(exc))


class _DefaultSnapshot:
    """What /metrics reads: the runtime's default org snapshot."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def current(self):
        return self.runtime.default_snapshot()


def create_app(config: dict | None = None) -> Flask:
    """Build the app from the environment, with ``config`` overriding Settings fields (tests)."""
    load_dotenv(override=False)
    limit_malloc_arenas()
    app = Flask(__name__)
    setup_error = None
    try:
        settings = settings_from_env().with_overrides(config)
    except ConfigError as exc:
        settings, setup_error = Settings().with_overrides(config), str(exc)
    _configure_logging(settings.log_level, settings.tokens)
    runtime = _runtime(settings, setup_error)
    if runtime.setup_error:
        log.error("configuration error: %s", runtime.setup_error)
    app.config["SETTINGS"] = runtime.settings
    app.config["VERSION"] = __version__
    app.extensions["runtime"] = runtime
    app.extensions["snapshots"] = runtime.store
    app.extensions["collector"] = runtime.collector
    for blueprint in (pages, table, details):
        app.register_blueprint(blueprint)
    collection_metrics = CollectionMetrics()
    metrics = metrics_blueprint(_DefaultSnapshot(runtime), runtime.collector, collection_metrics)
    app.register_blueprint(metrics)
    register_errors(app)
    app.after_request(_security_headers)
    if runtime.collector is not None:
        runtime.collector.observers.append(collection_metrics.observe_collection)
        runtime.collector.observers.append(metrics.exposition.refresh)
        # Every worker exports the collecting process's histogram (shared through the status).
        runtime.collector.status_extras["collection_histogram"] = collection_metrics.state
        if runtime.settings.extra.get("collector_autostart", True):
            runtime.collector.start()
            atexit.register(runtime.collector.stop)
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


_served_app: Flask | None = None
_served_app_lock = threading.Lock()


def __getattr__(name: str) -> Flask:
    """``app.app``, what ``gunicorn app:app`` serves, built on first access.

    Built lazily rather than at import so that importing ``create_app`` (tests, the benchmark's
    app module) does not build a second app from the environment, with a collector of its own
    spending Mist calls in the same process.
    """
    global _served_app
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _served_app_lock:
        if _served_app is None:
            _served_app = create_app()
        return _served_app


if __name__ == "__main__":
    main()
