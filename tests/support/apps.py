"""Helpers to reach inside an app built by the factory."""


def runtime_of(app):
    """The runtime (collector, snapshot store, details, connection) behind an app."""
    return app.extensions["runtime"]


def simulator_of(app):
    """The simulated cloud behind a demo app."""
    return runtime_of(app).conn.simulator


def collect(app):
    """Run one collection of every wanted org now, as the collector thread would; returns snapshots."""
    return runtime_of(app).collector.collect_once()


def snapshot_of(app, org_id=None):
    rt = runtime_of(app)
    return rt.store.current(org_id or rt.collector.wanted_orgs()[0])
