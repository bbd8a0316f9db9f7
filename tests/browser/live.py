"""The app served in-process, so a test can steer the simulated cloud while the browser uses the page.

``create_app(config)`` builds the app; werkzeug's threaded server runs it on a free loopback port in
a daemon thread. The test keeps the Flask app object, hence the Dashboard and its MistSimulator
(``app.extensions["runtime"].conn.simulator`` in demo mode, or the one passed in ``session_hook``).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass

from flask import Flask
from werkzeug.serving import WSGIRequestHandler, make_server

from app import create_app


@dataclass
class LiveApp:
    url: str
    app: Flask
    simulator: object | None = None

    @property
    def runtime(self):
        """The app's Runtime (settings, conn, collector, store)."""
        return self.app.extensions["runtime"]

    @property
    def dashboard(self):
        """Older name of :attr:`runtime` (tests read ``.settings`` and ``.conn`` through it)."""
        return self.runtime


class QuietHandler(WSGIRequestHandler):
    """No access log line per request: the page makes dozens and they would bury a failure's output."""

    def log_request(self, code="-", size="-") -> None:
        pass


@contextmanager
def serving(config: dict, simulator=None):
    """``create_app(config)`` on ``http://127.0.0.1:<free port>``; yields a LiveApp."""
    app = create_app(config)
    runtime = app.extensions["runtime"]
    if simulator is None and runtime.conn is not None:
        simulator = getattr(runtime.conn, "simulator", None)
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name=f"live-app-{server.server_port}", daemon=True)
    thread.start()
    try:
        yield LiveApp(f"http://127.0.0.1:{server.server_port}", app, simulator)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        # The collector thread would otherwise keep collecting (and competing for the CPU) for
        # the rest of the session, slowing every later test.
        if runtime.collector is not None:
            runtime.collector.stop()
