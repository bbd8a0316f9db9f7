"""MistCircuitStats internals: the collector, its snapshots and what is computed from them.

Data flows Mist cloud -> ``mist_connection`` -> ``collector`` (the only caller of the Mist API for the
table) -> ``snapshot`` store (current and previous version) -> ``app.py`` routes and ``/metrics``.
"""
