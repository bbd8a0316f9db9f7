"""Helpers to reach inside a demo app built by the factory."""


def simulator_of(app):
    """The simulated cloud behind a demo app."""
    return app.extensions["dashboard"].conn.simulator


def dashboard_of(app):
    return app.extensions["dashboard"]
