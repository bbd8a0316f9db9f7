"""The page itself and the liveness check."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from circuitstats.routes.answers import json_response, runtime

pages = Blueprint("pages", __name__)


@pages.get("/")
def index():
    rt = runtime()
    settings = current_app.config["SETTINGS"]
    return render_template(
        "index.html",
        demo=settings.demo,
        configured=rt is not None and rt.collector is not None,
        setup_error=rt.setup_error if rt else None,
        version=current_app.config["VERSION"],
        refresh_seconds=settings.refresh_seconds,
    )


@pages.get("/health")
def health():
    """200 while the process serves, stale snapshot included: the data's age is in /api/status."""
    rt = runtime()
    configured = rt is not None and rt.collector is not None
    data = {
        "status": "ok",
        "configured": configured,
        "demo": current_app.config["SETTINGS"].demo,
        "version": current_app.config["VERSION"],
    }
    if configured:
        data["collector_running"] = rt.collector.running()
    return json_response({"success": True, "data": data})
