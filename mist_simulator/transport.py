"""A `requests` transport adapter serving the simulated cloud without any network.

Why an adapter: mistapi keeps a `requests.Session` (`apisession._session`); mounting this adapter on
it for every Mist host lets mistapi run unmodified against the simulator, the way moto plugs into
botocore. Answers are real `requests.Response` objects holding JSON bytes.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from requests import PreparedRequest, Response
from requests.adapters import BaseAdapter
from requests.exceptions import ReadTimeout
from requests.structures import CaseInsensitiveDict

from .api import JSON, REASONS

if TYPE_CHECKING:
    from .simulator import MistSimulator


def read_timeout(timeout) -> float | None:
    """The read part of requests' `timeout` (a number or a (connect, read) tuple)."""
    if isinstance(timeout, tuple):
        return timeout[1]
    return timeout


class SimulatorAdapter(BaseAdapter):
    def __init__(self, sim: MistSimulator) -> None:
        super().__init__()
        self.sim = sim

    def send(
        self, request: PreparedRequest, stream=False, timeout=None, verify=True, cert=None, proxies=None
    ) -> Response:
        started = time.monotonic()
        parts = urlsplit(request.url)
        reply = self.sim.dispatch(request.method or "GET", parts.path, parts.query, dict(request.headers))
        if reply.hang:
            limit = read_timeout(timeout)
            cap = self.sim.hang_cap_seconds
            time.sleep(min(limit, cap) if limit is not None else cap)
            raise ReadTimeout(f"simulated: {parts.netloc} did not answer in time", request=request)
        response = Response()
        response.status_code = reply.status
        response.reason = REASONS.get(reply.status, "Unknown")
        headers = CaseInsensitiveDict({"Content-Type": JSON, "Content-Length": str(len(reply.body))})
        headers.update(reply.headers)
        response.headers = headers
        response._content = reply.body
        response._content_consumed = True
        response.encoding = "utf-8"
        response.url = request.url
        response.request = request
        response.connection = self
        response.elapsed = timedelta(seconds=time.monotonic() - started)
        return response

    def close(self) -> None:
        """Nothing to release: no sockets."""
