"""The dashboard in a process of its own, talking HTTP to a standalone simulated cloud (benchmark only).

In demo mode the simulator lives inside the app's process, so the app's memory and CPU figures
include the simulator's. Served as ``gunicorn bench.remote_simulator_app:app`` with
``BENCH_SIMULATOR_URL=http://127.0.0.1:8123`` (a ``python -m mist_simulator`` server), the dashboard
calls ``https://api.mist.com/...`` as in production and a forwarding adapter sends each call to the
simulator over loopback HTTP: the process then holds only what the dashboard itself needs.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter

from app import create_app
from mist_hosts import MIST_HOSTS


class ForwardingAdapter(HTTPAdapter):
    """Sends a request for any Mist host to the simulator's base URL, path and query unchanged."""

    def __init__(self, target: str):
        super().__init__(pool_connections=4, pool_maxsize=32)
        self.target = target.rstrip("/")

    def send(self, request, **kwargs):
        parts = urlsplit(request.url)
        request.url = self.target + parts.path + (f"?{parts.query}" if parts.query else "")
        return super().send(request, **kwargs)


def mount_forwarder(session) -> None:
    adapter = ForwardingAdapter(os.environ["BENCH_SIMULATOR_URL"])
    for host in MIST_HOSTS:
        session.mount(f"https://{host}/", adapter)


app = create_app({"extra": {"session_hook": mount_forwarder}})
