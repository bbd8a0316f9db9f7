"""A mutating Mist transport: the simulated cloud, answering the way a bad day on the network would.

Reusable harness for fuzz tests at any level (connection, shaping, the whole app). Use it like::

    sim = MistSimulator(gateways=12, seed=3, rate_limit=10**9)
    transport = MutatingTransport(sim, [Mutation("listOrgDevicesStats", "html_200")], seed=1)
    conn = MistConnection(sim.org_tokens(), session_hook=transport.mount)   # or the app's hook
    ... run the code under test ...
    assert transport.foreign_urls == []          # the token never went to another host
    transport.calls                              # requests that reached the (simulated) cloud

What it does, and why each part is there:

* ``mount(session)`` mounts the transport on the ``https://`` and ``http://`` prefixes of a
  ``requests.Session``: every request the session sends, to any host, reaches it. So a request that
  escaped to ``evil.example`` is *recorded* in ``foreign_urls`` (and answered with a connection
  error) instead of going unnoticed, which is what the host-safety assertions rely on.
* Requests for ``https://{host}/...`` are answered by ``MistSimulator.dispatch`` (the real simulated
  cloud, no network), then the answer of each call matching a ``Mutation`` is rewritten by its kind:
  a body that is HTML, empty, 204, truncated, of the wrong JSON type, with huge or non-finite
  numbers, ids that are objects, names that are not strings, values nested 900 levels deep,
  duplicated rows, hostile or looping
  ``next`` cursors, lying ``X-Page-*`` headers, a failing second page, or an HTTP error status.
* Mutations are deterministic for a given ``seed`` (one ``random.Random`` per transport), so a
  failing case replays exactly from its seed.

``KINDS`` lists every mutation kind; ``random_mutations(rng, operations)`` draws a few for one case.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from requests import PreparedRequest, Response
from requests.adapters import BaseAdapter
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.structures import CaseInsensitiveDict

from mist_simulator.api import match_route

__all__ = [
    "HOSTILE_CURSORS",
    "KINDS",
    "Answer",
    "Mutation",
    "MutatingTransport",
    "random_mutations",
]

# ``next`` values that, joined to the host as text, would send the request (and the token) elsewhere,
# plus values of the wrong type.
HOSTILE_CURSORS: tuple[Any, ...] = (
    "@evil.example/api/v1/steal",
    ".evil.example/api/v1/steal",
    ":8443@evil.example/api/v1/steal",
    "https://evil.example/api/v1/steal",
    "//evil.example/api/v1/steal",
    "https://api.mist.com@evil.example/api/v1/steal",
    "https://api.mist.com.evil.example/api/v1/steal",
    "https://api.mist.com:8443/api/v1/steal",
    "http://api.mist.com/api/v1/steal",
    "\\\\evil.example/api/v1/steal",
    "/api/v1/x\\@evil.example/",
    " /api/v1/steal",
    "api/v1/steal",
    42,
    {"href": "/api/v1/steal"},
    ["/api/v1/steal"],
    True,
)

# Values of the wrong type (or shape) substituted into fields.
JUNK_VALUES: tuple[Any, ...] = (
    {"$oid": "5f1e"},
    [1, 2],
    "text",
    "",
    12345,
    -1,
    0.5,
    None,
    True,
    "../../etc/passwd",
    "@evil.example/",
    "<script>alert(1)</script>",
    "x" * 5000,
)

_ID_KEYS = ("id", "site_id", "org_id", "mac", "deviceprofile_id", "gatewaytemplate_id", "device_id")
_NAME_KEYS = ("name", "hostname", "port_id", "vpn_name", "peer_router_name", "wan_name", "model", "status")
_HUGE_MARKER = "__HUGE_1E400__"


@dataclass
class Answer:
    """One HTTP answer being mutated: status, headers (plain dict) and body bytes."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def set_json(self, value: Any) -> None:
        text = json.dumps(value, allow_nan=True)
        self.body = text.replace(f'"{_HUGE_MARKER}"', "1e400").encode()


@dataclass(frozen=True)
class Mutation:
    """Rewrite the answers of ``operation`` (an OpenAPI operationId) by ``kind`` (see ``KINDS``).

    ``occurrence`` limits it to the n-th call of that operation (1 = the first); None = every call.
    ``value`` fixes what a kind would otherwise draw at random (a cursor, a total).
    Kinds that are about later pages (``page_2_fails``, cursor kinds) handle occurrences themselves.
    """

    operation: str
    kind: str
    occurrence: int | None = None
    value: Any = None  # for kinds that take one: the cursor of hostile_next, the total of lying_total


# ----- the kinds ----------------------------------------------------------------------------------

Rewrite = Callable[..., None]  # (answer, rng, n-th call of the operation, Mutation.value)


def _body(body: bytes, status: int = 200, content_type: str = "application/json") -> Rewrite:
    def rewrite(answer: Answer, rng: random.Random, n: int, value: Any = None) -> None:
        answer.status, answer.body = status, body
        answer.headers["Content-Type"] = content_type

    return rewrite


def _status(status: int, **headers: str) -> Rewrite:
    def rewrite(answer: Answer, rng: random.Random, n: int, value: Any = None) -> None:
        answer.status = status
        answer.body = json.dumps({"detail": f"simulated {status}"}).encode()
        answer.headers.update(headers)

    return rewrite


def _truncated(answer: Answer, rng: random.Random, n: int, value: Any = None) -> None:
    if len(answer.body) > 1:
        answer.body = answer.body[: rng.randrange(1, len(answer.body))]


def _walk(value: Any, visit: Callable[[str | None, Any], Any], key: str | None = None) -> Any:
    """Rebuild a JSON value bottom-up, letting ``visit(key, value)`` replace any node."""
    if isinstance(value, dict):
        value = {k: _walk(v, visit, k) for k, v in value.items()}
    elif isinstance(value, list):
        value = [_walk(v, visit, key) for v in value]
    return visit(key, value)


def _json_rewrite(change: Callable[[Any, random.Random], Any]) -> Rewrite:
    """A rewrite of the parsed body; bodies that are not JSON (error pages) are left alone."""

    def rewrite(answer: Answer, rng: random.Random, n: int, value: Any = None) -> None:
        try:
            data = answer.json()
        except ValueError:
            return
        answer.set_json(change(data, rng))

    return rewrite


def _huge_numbers(data: Any, rng: random.Random) -> Any:
    choices = (float("inf"), float("-inf"), float("nan"), 10**400, -(10**400), _HUGE_MARKER, 2**70)

    def visit(key, value):
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        return rng.choice(choices) if is_number and rng.random() < 0.6 else value

    return _walk(data, visit)


def _wrong_types(data: Any, rng: random.Random) -> Any:
    def visit(key, value):
        return rng.choice(JUNK_VALUES) if key is not None and rng.random() < 0.25 else value

    return _walk(data, visit)


def _ids_as_objects(data: Any, rng: random.Random) -> Any:
    def visit(key, value):
        return {"id": value} if key in _ID_KEYS and rng.random() < 0.7 else value

    return _walk(data, visit)


def _names_not_strings(data: Any, rng: random.Random) -> Any:
    def visit(key, value):
        if key in _NAME_KEYS and rng.random() < 0.7:
            return rng.choice((123, ["x"], {"x": 1}, True, 1.5, None))
        return value

    return _walk(data, visit)


def _deep_nesting(data: Any, rng: random.Random) -> Any:
    """Bury some values 900 levels deep: json parses it, a recursive walk could overflow the stack."""

    def bury(value: Any) -> Any:
        for _ in range(900):
            value = {"v": value} if rng.random() < 0.5 else [value]
        return value

    def visit(key, value):
        return bury(value) if key is not None and rng.random() < 0.05 else value

    return _walk(data, visit)


def _duplicates(answer: Answer, rng: random.Random, n: int, value: Any = None) -> None:
    try:
        data = answer.json()
    except ValueError:
        return
    if isinstance(data, list):
        data = data + data[: max(1, len(data) // 2)]
    elif isinstance(data, dict) and isinstance(data.get("results"), list):
        data["results"] = data["results"] + data["results"]
    answer.set_json(data)


def _malformed_privileges(data: Any, rng: random.Random) -> Any:
    if isinstance(data, dict):
        data["privileges"] = rng.choice(
            (
                "admin",
                7,
                None,
                {"scope": "org"},
                [1, "x", None, {"scope": "org", "org_id": {"a": 1}, "name": 5}],
                [{"scope": "org", "org_id": "not-a-uuid", "role": ["admin"]}, {"scope": ["org"]}],
            )
        )
    return data


def _search_next(cursor_for: Callable[[Answer, random.Random], Any]) -> Rewrite:
    """Put a ``next`` cursor (and a large total) into every search answer."""

    def rewrite(answer: Answer, rng: random.Random, n: int, value: Any = None) -> None:
        try:
            data = answer.json()
        except ValueError:
            return
        if isinstance(data, dict):
            data["next"] = value if value is not None else cursor_for(answer, rng)
            data["total"] = 10**6
            answer.set_json(data)

    return rewrite


def _loop_cursor(answer: Answer, rng: random.Random) -> str:
    return answer.headers.get("X-Test-Path", "/api/v1/self") + "?search_after=1&limit=1000"


def _endless_cursor(answer: Answer, rng: random.Random) -> str:
    """A new, valid cursor on every call: only the page caps end this paging."""
    return answer.headers.get("X-Test-Path", "/api/v1/self") + f"?search_after={rng.randrange(10**12)}"


def _redirect_off_host(answer: Answer, rng: random.Random, n: int, value: Any = None) -> None:
    answer.status, answer.body = 302, b""
    answer.headers["Location"] = "https://evil.example/api/v1/steal"


def _headers(**changes: str | None) -> Rewrite:
    def rewrite(answer: Answer, rng: random.Random, n: int, value: Any = None) -> None:
        for name, value in changes.items():
            header = name.replace("_", "-")
            if value is None:
                answer.headers.pop(header, None)
            else:
                answer.headers[header] = value

    return rewrite


def _lying_total(answer: Answer, rng: random.Random, n: int, value: Any = None) -> None:
    choices = ("2500", "999999999", "-4", "abc", "1e9", "", "9" * 5000)
    answer.headers["X-Page-Total"] = value if value is not None else rng.choice(choices)


def _page_2_fails(answer: Answer, rng: random.Random, n: int, value: Any = None) -> None:
    """Page 1 announces more pages (or a cursor); every later call of the operation answers 503."""
    if n == 1:
        answer.headers["X-Page-Total"] = "2500"
        try:
            data = answer.json()
        except ValueError:
            return
        if isinstance(data, dict):
            data["next"] = _loop_cursor(answer, rng)
            data["total"] = 2500
            answer.set_json(data)
    else:
        _status(503)(answer, rng, n, value)


KINDS: dict[str, Rewrite] = {
    "html_200": _body(
        b"<!DOCTYPE html><html><body>Please log in to the proxy</body></html>", 200, "text/html"
    ),
    "empty_200": _body(b""),
    "no_content_204": _body(b"", 204),
    "truncated": _truncated,
    "object": _body(b"{}"),
    "number": _body(b"42"),
    "string": _body(b'"ok"'),
    "null": _body(b"null"),
    "empty_list": _body(b"[]"),
    "huge_numbers": _json_rewrite(_huge_numbers),
    "wrong_types": _json_rewrite(_wrong_types),
    "ids_as_objects": _json_rewrite(_ids_as_objects),
    "names_not_strings": _json_rewrite(_names_not_strings),
    "malformed_privileges": _json_rewrite(_malformed_privileges),
    "duplicates": _duplicates,
    "deep_nesting": _json_rewrite(_deep_nesting),
    "hostile_next": _search_next(lambda answer, rng: rng.choice(HOSTILE_CURSORS)),
    "looping_next": _search_next(_loop_cursor),
    "endless_next": _search_next(_endless_cursor),
    "redirect_off_host": _redirect_off_host,
    "tiny_page_limit": _headers(X_Page_Limit="1", X_Page_Total="3000"),
    "missing_total": _headers(X_Page_Total=None),
    "lying_total": _lying_total,
    "page_2_fails": _page_2_fails,
    "http_500": _status(500),
    "http_503": _status(503),
    "http_429": _status(429, **{"Retry-After": "soon"}),
    "http_401": _status(401),
    "http_404": _status(404),
}


def random_mutations(rng: random.Random, operations: Iterable[str], most: int = 3) -> list[Mutation]:
    """One to ``most`` mutations of random kinds on random operations, for one fuzz case."""
    operations = list(operations)
    return [
        Mutation(rng.choice(operations), rng.choice(sorted(KINDS)), rng.choice((None, None, 1, 2)))
        for _ in range(rng.randint(1, most))
    ]


# ----- the transport ------------------------------------------------------------------------------


class MutatingTransport(BaseAdapter):
    """A requests transport serving a ``MistSimulator`` through ``mutations``; records every URL."""

    def __init__(self, sim, mutations: Iterable[Mutation] = (), seed: int = 0, host: str = "api.mist.com"):
        super().__init__()
        self.sim = sim
        self.host = host
        self.mutations = list(mutations)
        self.rng = random.Random(seed)
        self.urls: list[str] = []
        self.foreign_urls: list[str] = []
        self.by_operation: dict[str, int] = {}
        self._lock = threading.Lock()

    def mount(self, session) -> None:
        """Catch every request of ``session``, whatever its host or scheme."""
        session.mount("https://", self)
        session.mount("http://", self)

    @property
    def calls(self) -> int:
        """Requests that reached the (simulated) Mist host."""
        return sum(self.by_operation.values())

    def send(
        self, request: PreparedRequest, stream=False, timeout=None, verify=True, cert=None, proxies=None
    ) -> Response:
        url = request.url or ""
        parts = urlsplit(url)
        with self._lock:
            self.urls.append(url)
            if parts.scheme != "https" or parts.netloc != self.host:
                self.foreign_urls.append(url)
                raise RequestsConnectionError(f"test transport: {parts.netloc!r} is not the Mist host")
            route = match_route(parts.path)
            operation = route[0] if route else "unknown"
            n = self.by_operation[operation] = self.by_operation.get(operation, 0) + 1
        reply = self.sim.dispatch(request.method or "GET", parts.path, parts.query, dict(request.headers))
        answer = Answer(reply.status, {"Content-Type": "application/json", **reply.headers}, reply.body)
        answer.headers["X-Test-Path"] = parts.path
        if 200 <= answer.status < 300:
            for mutation in self.mutations:
                if mutation.operation == operation and mutation.occurrence in (None, n):
                    with self._lock:
                        KINDS[mutation.kind](answer, self.rng, n, mutation.value)
        answer.headers.pop("X-Test-Path", None)
        return _response(request, answer)

    def close(self) -> None:
        """No sockets to release."""


def _response(request: PreparedRequest, answer: Answer) -> Response:
    response = Response()
    response.status_code = answer.status
    response.headers = CaseInsensitiveDict(answer.headers)
    response.headers["Content-Length"] = str(len(answer.body))
    response._content = answer.body
    response._content_consumed = True
    response.encoding = "utf-8"
    response.url = request.url
    response.request = request
    response.elapsed = timedelta(0)
    return response
