"""Every failure becomes a JSON answer with a clear message; none becomes a bare 500."""

from __future__ import annotations

import logging
import time

from flask import Flask, request
from werkzeug.exceptions import HTTPException

from circuitstats.collector import NotReady, OrgChoiceRequired, UnknownOrg
from circuitstats.details import UnknownGateway, UnknownPort
from circuitstats.routes.answers import fail
from circuitstats.routes.params import BadParameter
from circuitstats.routes.table import NotConfigured
from mist_connection import MistAuthError, MistError, MistNotFound, MistRateLimited, MistUnavailable

log = logging.getLogger("mistcircuitstats")


def register_errors(app: Flask) -> None:
    @app.errorhandler(BadParameter)
    def bad_parameter(exc):
        return fail(400, str(exc), parameter=exc.name)

    @app.errorhandler(NotConfigured)
    def not_configured(exc):
        return fail(503, str(exc))

    @app.errorhandler(NotReady)
    def not_ready(exc):
        response = fail(exc.status, str(exc), collecting=exc.progress, **exc.extra)
        until = exc.extra.get("rate_limited_until")
        response.headers["Retry-After"] = str(max(1, int(until - time.time()))) if until else "2"
        return response

    @app.errorhandler(OrgChoiceRequired)
    def org_choice(exc):
        return fail(409, str(exc), orgs=exc.orgs)

    @app.errorhandler(UnknownOrg)
    def unknown_org(exc):
        return fail(404, str(exc), parameter="org_id")

    @app.errorhandler(UnknownGateway)
    def unknown_gateway(exc):
        return fail(404, str(exc), parameter="gateway_id")

    @app.errorhandler(UnknownPort)
    def unknown_port(exc):
        return fail(404, str(exc), parameter="port_id")

    @app.errorhandler(MistRateLimited)
    def rate_limited(exc):
        response = fail(503, str(exc), rate_limited_until=exc.until)
        response.headers["Retry-After"] = str(max(1, int(exc.until - time.time())))
        return response

    @app.errorhandler(MistAuthError)
    def auth_error(exc):
        return fail(502, f"{exc}: check MIST_APITOKEN and its org privileges")

    @app.errorhandler(MistNotFound)
    def not_found_upstream(exc):
        return fail(404, str(exc))

    @app.errorhandler(MistUnavailable)
    def unavailable(exc):
        return fail(503, str(exc))

    @app.errorhandler(MistError)
    def mist_error(exc):
        return fail(502, str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc):
        if request.path == "/" or request.path.startswith("/static/"):
            return exc
        return fail(exc.code or 500, f"{exc.name}: {request.method} {request.path}")

    @app.errorhandler(Exception)
    def unexpected(exc):
        log.exception("unexpected error on %s", request.path)
        return fail(500, "internal error: see the server log")
