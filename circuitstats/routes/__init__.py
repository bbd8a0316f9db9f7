"""The HTTP layer, one blueprint per concern: pages, the table, per-gateway details, errors.

Routes read the current snapshot and answer; they never call Mist for the table. The runtime (the
collector, the snapshot store, the details service) is found in ``current_app.extensions``.
"""
