"""HTTP layer of the simulated cloud: Mist URL paths -> handlers, plus the WSGI app.

Why apart from the state (`org.py`) and the transports: the same `MistApi.handle()` answers the
requests adapter (no network) and the standalone server (WSGI), so both behave identically.
Handlers filter and paginate exactly like the cloud: list endpoints use `limit`/`page` and the
`X-Page-*` headers, search endpoints return `{"results", "limit", "start", "end", "total", "next"}`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from . import payloads
from .insights import gateway_insights
from .queries import BadRequest, bool_param, enum_param, int_param, limit_param, time_window

if TYPE_CHECKING:
    from .org import Gateway, Org, Site
    from .simulator import MistSimulator, Principal

JSON = "application/json"
DEVICE_TYPES = ("ap", "switch", "gateway", "all")
# The description's enum for `distinct`, plus the fields gateway events carry (MIST_API.md).
EVENT_COUNT_DISTINCT = (
    "ap",
    "apfw",
    "model",
    "org_id",
    "site_id",
    "text",
    "timestamp",
    "type",
    "mac",
    "port_id",
    "device_type",
)


@dataclass(slots=True)
class Reply:
    status: int
    body: bytes
    headers: dict = field(default_factory=dict)
    hang: bool = False  # fault injection: the transport makes the client time out


def json_reply(status: int, value) -> Reply:
    return Reply(status, json.dumps(value, ensure_ascii=True).encode())


def raw_reply(text: str, headers: dict | None = None) -> Reply:
    return Reply(200, text.encode(), headers or {})


def error(status: int, detail: str) -> Reply:
    return json_reply(status, {"detail": detail})


class NotFound(Exception):
    pass


class Forbidden(Exception):
    pass


@dataclass(slots=True)
class Call:
    """One authenticated request as the handlers see it."""

    principal: Principal
    path: str
    params: dict
    query: dict
    query_string: str
    now: int


# -- routing -----------------------------------------------------------------------------------

ID = r"[^/]+"
ROUTES: list[tuple[str, re.Pattern]] = [
    (
        op,
        re.compile(
            pattern.replace("{id}", ID)
            .replace("{org}", f"(?P<org_id>{ID})")
            .replace("{site}", f"(?P<site_id>{ID})")
            .replace("{dev}", f"(?P<device_id>{ID})")
            .replace("{item}", f"(?P<item_id>{ID})")
        ),
    )
    for op, pattern in (
        ("getSelf", "/api/v1/self"),
        ("getOrg", "/api/v1/orgs/{org}"),
        ("listOrgSites", "/api/v1/orgs/{org}/sites"),
        ("listOrgDevicesStats", "/api/v1/orgs/{org}/stats/devices"),
        ("searchOrgSwOrGwPorts", "/api/v1/orgs/{org}/stats/ports/search"),
        ("searchOrgPeerPathStats", "/api/v1/orgs/{org}/stats/vpn_peers/search"),
        ("getOrgInventory", "/api/v1/orgs/{org}/inventory"),
        ("listOrgGatewayTemplates", "/api/v1/orgs/{org}/gatewaytemplates"),
        ("getOrgGatewayTemplate", "/api/v1/orgs/{org}/gatewaytemplates/{item}"),
        ("listOrgDeviceProfiles", "/api/v1/orgs/{org}/deviceprofiles"),
        ("getOrgDeviceProfile", "/api/v1/orgs/{org}/deviceprofiles/{item}"),
        ("searchOrgDevices", "/api/v1/orgs/{org}/devices/search"),
        ("searchOrgDeviceEvents", "/api/v1/orgs/{org}/devices/events/search"),
        ("countOrgDeviceEvents", "/api/v1/orgs/{org}/devices/events/count"),
        ("getSiteInfo", "/api/v1/sites/{site}"),
        ("getSiteSetting", "/api/v1/sites/{site}/setting"),
        ("getSiteSettingDerived", "/api/v1/sites/{site}/setting/derived"),
        ("listSiteDevices", "/api/v1/sites/{site}/devices"),
        ("searchSiteDevices", "/api/v1/sites/{site}/devices/search"),
        ("getSiteDevice", "/api/v1/sites/{site}/devices/{dev}"),
        ("getSiteDeviceStats", "/api/v1/sites/{site}/stats/devices/{dev}"),
        ("searchSiteSwOrGwPorts", "/api/v1/sites/{site}/stats/ports/search"),
        ("getSiteInsightMetricsForGateway", "/api/v1/sites/{site}/insights/gateway/{dev}/stats"),
    )
]


def match_route(path: str) -> tuple[str, dict] | None:
    for operation, pattern in ROUTES:
        found = pattern.fullmatch(path)
        if found:
            return operation, found.groupdict()
    return None


# -- pagination --------------------------------------------------------------------------------


def list_page(items: list, query: dict, render: Callable[[object], str]) -> Reply:
    """A JSON array page with X-Page-Total/Limit/Page (mistapi builds `next` from these)."""
    limit = limit_param(query)
    page = int_param(query, "page", 1, 1)
    chunk = items[(page - 1) * limit : page * limit]
    body = "[" + ",".join(render(item) for item in chunk) + "]"
    return raw_reply(
        body, {"X-Page-Total": str(len(items)), "X-Page-Limit": str(limit), "X-Page-Page": str(page)}
    )


def search_page(
    call: Call, items: list, render: Callable[[object], str], window: tuple[int, int] | None = None
) -> Reply:
    """A search answer; `next` is a relative URL carrying `search_after`, absent on the last page.

    With `window` (the (start, end) the items were selected with), `next` pins that window as
    explicit start/end: a "last 7 days" read then pages over the same events while time moves on.
    """
    limit = limit_param(call.query)
    start, end = window or time_window(call.query, call.now)
    offset = int_param(call.query, "search_after", 0, 0)
    chunk = items[offset : offset + limit]
    head = f'"start":{start},"end":{end},"limit":{limit},"total":{len(items)}'
    parts = ['{"results":[', ",".join(render(item) for item in chunk), "],", head]
    if offset + limit < len(items):
        pinned = ("search_after", "duration", "start", "end") if window else ("search_after",)
        kept = [(k, v) for k, v in call.query.items() if k not in pinned]
        if window:
            kept += [("start", str(start)), ("end", str(end))]
        kept.append(("search_after", str(offset + limit)))
        parts.append(',"next":' + json.dumps(f"{call.path}?{urlencode(kept)}"))
    parts.append("}")
    return raw_reply("".join(parts))


# -- the API -----------------------------------------------------------------------------------


class MistApi:
    """Routes one request to its handler; the simulator facade wraps auth, limits and faults."""

    def __init__(self, sim: MistSimulator) -> None:
        self.sim = sim

    # access checks
    def org(self, call: Call) -> Org:
        org = self.sim.org_by_id.get(call.params["org_id"])
        if org is None:
            raise NotFound("Not found")
        if org.id not in call.principal.org_ids:
            raise Forbidden("You do not have permission to perform this action.")
        return org

    def site(self, call: Call) -> tuple[Org, Site]:
        found = self.sim.site_by_id.get(call.params["site_id"])
        if found is None:
            raise NotFound("Not found")
        org, site = found
        if org.id not in call.principal.org_ids:
            raise Forbidden("You do not have permission to perform this action.")
        return org, site

    def site_gateway(self, call: Call) -> tuple[Org, Site, Gateway]:
        org, site = self.site(call)
        gateway = org.gateway_by_id.get(call.params["device_id"])
        if gateway is None or gateway.site is not site:
            raise NotFound("Not found")
        return org, site, gateway

    def handle(self, operation: str, call: Call) -> Reply:
        try:
            return getattr(self, operation)(call)
        except BadRequest as err:
            return error(400, str(err))
        except Forbidden as err:
            return error(403, str(err))
        except (NotFound, LookupError) as err:
            return error(404, str(err) or "Not found")

    # self / org
    def getSelf(self, call: Call) -> Reply:  # noqa: N802 - named after the operationId
        return json_reply(200, self.sim.self_document(call.principal))

    def getOrg(self, call: Call) -> Reply:  # noqa: N802
        return json_reply(200, payloads.org_object(self.org(call)))

    def listOrgSites(self, call: Call) -> Reply:  # noqa: N802
        org = self.org(call)
        return list_page(org.sites, call.query, lambda s: payloads.dumps(payloads.site_object(org, s)))

    def listOrgGatewayTemplates(self, call: Call) -> Reply:  # noqa: N802
        org = self.org(call)
        return list_page(
            org.templates, call.query, lambda t: payloads.dumps(payloads.template_object(org, t))
        )

    def getOrgGatewayTemplate(self, call: Call) -> Reply:  # noqa: N802
        org = self.org(call)
        template = next((t for t in org.templates if t.id == call.params["item_id"]), None)
        if template is None:
            raise NotFound("Not found")
        return json_reply(200, payloads.template_object(org, template))

    def getOrgDeviceProfile(self, call: Call) -> Reply:  # noqa: N802
        org = self.org(call)
        profile = next((p for p in org.profiles if p.id == call.params["item_id"]), None)
        if profile is None:
            raise NotFound("Not found")
        return json_reply(200, payloads.profile_object(org, profile))

    def listOrgDeviceProfiles(self, call: Call) -> Reply:  # noqa: N802
        org = self.org(call)
        kind = enum_param(call.query, "type", ("ap", "switch", "gateway"), None)
        items = org.profiles if kind in (None, "gateway") else []
        return list_page(items, call.query, lambda p: payloads.dumps(payloads.profile_object(org, p)))

    def getOrgInventory(self, call: Call) -> Reply:  # noqa: N802
        org = self.org(call)
        q = call.query
        kind = enum_param(q, "type", ("ap", "switch", "gateway"), None)
        items = org.gateways if kind in (None, "gateway") else []
        items = filter_gateways(items, q, org)
        for key, attr in (("serial", "serial"), ("model", "model")):
            if q.get(key):
                items = [g for g in items if getattr(g, attr) == q[key]]
        return list_page(items, q, lambda g: payloads.dumps(payloads.inventory_object(org, g)))

    # stats
    def listOrgDevicesStats(self, call: Call) -> Reply:  # noqa: N802
        org = self.org(call)
        q = call.query
        kind = enum_param(q, "type", DEVICE_TYPES, "ap")
        time_window(q, call.now)  # validated like the cloud does, though stats are "now"
        items = org.gateways if kind in ("gateway", "all") else []
        items = filter_gateways(items, q, org)
        statuses = q.get("status")
        if statuses and statuses != "all":
            wanted = set(statuses.split(","))
            if not wanted <= {"connected", "disconnected", "all"}:
                raise BadRequest(f"status must be all, connected or disconnected, got {statuses!r}")
            if "all" not in wanted:
                items = [g for g in items if ("connected" if g.connected else "disconnected") in wanted]
        fields = parse_fields(q)
        views = self.sim.views[org.id]
        return list_page(items, q, lambda g: views.stats(g, call.now, fields))

    def getSiteDeviceStats(self, call: Call) -> Reply:  # noqa: N802
        org, _site, gateway = self.site_gateway(call)
        return raw_reply(self.sim.views[org.id].stats(gateway, call.now, parse_fields(call.query)))

    def searchOrgSwOrGwPorts(self, call: Call) -> Reply:  # noqa: N802
        org = self.org(call)
        return self._port_search(call, org, org.gateways)

    def searchSiteSwOrGwPorts(self, call: Call) -> Reply:  # noqa: N802
        org, site = self.site(call)
        return self._port_search(call, org, site.gateways)

    def _port_search(self, call: Call, org: Org, gateways: list) -> Reply:
        q = call.query
        kind = enum_param(q, "device_type", ("ap", "switch", "gateway", "all"), "all")
        up = bool_param(q, "up")
        gateways = filter_gateways(gateways if kind in ("gateway", "all") else [], q, org)
        port_id = q.get("port_id") or None
        rows = [
            (g, i)
            for g in gateways
            for i, p in enumerate(g.ports)
            if (port_id is None or p.port_id == port_id) and (up is None or p.up == up)
        ]
        views = self.sim.views[org.id]
        return search_page(call, rows, lambda row: views.gateway(row[0], call.now).port_search[row[1]])

    def searchOrgPeerPathStats(self, call: Call) -> Reply:  # noqa: N802
        org = self.org(call)
        q = call.query
        kind = enum_param(q, "type", ("ipsec", "svr"), None)
        gateways = filter_gateways(org.gateways, q, org)
        rows = [(g, i) for g in gateways for i, path in enumerate(g.peers) if kind in (None, path.type)]
        views = self.sim.views[org.id]
        return search_page(call, rows, lambda row: views.gateway(row[0], call.now).peer_search[row[1]])

    # sites
    def getSiteInfo(self, call: Call) -> Reply:  # noqa: N802
        org, site = self.site(call)
        return json_reply(200, payloads.site_object(org, site))

    def getSiteSetting(self, call: Call) -> Reply:  # noqa: N802
        org, site = self.site(call)
        return json_reply(200, payloads.site_setting_object(org, site))

    def getSiteSettingDerived(self, call: Call) -> Reply:  # noqa: N802
        """Site settings merged with org-level ones; the simulated orgs have none to add."""
        org, site = self.site(call)
        return json_reply(200, payloads.site_setting_object(org, site))

    def listSiteDevices(self, call: Call) -> Reply:  # noqa: N802
        org, site = self.site(call)
        kind = enum_param(call.query, "type", DEVICE_TYPES, "ap")
        items = site.gateways if kind in ("gateway", "all") else []
        if call.query.get("name"):
            items = [g for g in items if g.name == call.query["name"]]
        return list_page(items, call.query, lambda g: payloads.dumps(payloads.device_object(org, g)))

    def getSiteDevice(self, call: Call) -> Reply:  # noqa: N802
        org, _site, gateway = self.site_gateway(call)
        return json_reply(200, payloads.device_object(org, gateway))

    def searchSiteDevices(self, call: Call) -> Reply:  # noqa: N802
        org, site = self.site(call)
        return self._device_search(call, org, site.gateways)

    def searchOrgDevices(self, call: Call) -> Reply:  # noqa: N802
        org = self.org(call)
        return self._device_search(call, org, org.gateways)

    def _device_search(self, call: Call, org: Org, gateways: list) -> Reply:
        q = call.query
        kind = enum_param(q, "type", ("ap", "switch", "gateway"), "ap")
        stats = bool(bool_param(q, "stats"))
        items = filter_gateways(gateways if kind == "gateway" else [], q, org)
        for key in ("hostname", "model"):
            if q.get(key):
                items = [g for g in items if getattr(g, key) == q[key]]
        views = self.sim.views[org.id]
        return search_page(call, items, lambda g: views.device_search(g, call.now, stats))

    # device events
    def _events(self, call: Call, org: Org, default_device_type: str) -> tuple[list, tuple[int, int]]:
        """Events matching the query's filters and time window (oldest first)."""
        q = call.query
        kinds = set((q.get("device_type") or default_device_type).split(","))
        if not kinds <= set(DEVICE_TYPES):
            raise BadRequest(f"device_type must be among {', '.join(DEVICE_TYPES)}, got {q['device_type']!r}")
        window = time_window(q, call.now)
        if not kinds & {"gateway", "all"}:
            return [], window
        start, end = window
        events = [e for e in org.events.timeline(call.now) if start <= e[0] < end]
        if q.get("type"):
            wanted = {t.strip() for t in q["type"].split(",")}
            events = [e for e in events if e[1] in wanted]
        if q.get("mac"):
            macs = {normalise_mac(m) for m in q["mac"].split(",")}
            events = [e for e in events if e[2].mac in macs]
        if q.get("model"):
            models = set(q["model"].split(","))
            events = [e for e in events if e[2].model in models]
        if q.get("site_id"):
            events = [e for e in events if e[2].site.id == q["site_id"]]
        if q.get("text"):
            needle = q["text"].lower()
            events = [e for e in events if needle in payloads.event_text(e).lower()]
        return events, window

    def searchOrgDeviceEvents(self, call: Call) -> Reply:  # noqa: N802
        org = self.org(call)
        events, window = self._events(call, org, "ap")
        order = call.query.get("sort") or "timestamp"
        if order not in ("timestamp", "-timestamp"):
            raise BadRequest(f"sort must be timestamp or -timestamp, got {order!r}")
        if order == "-timestamp":
            events = events[::-1]
        model = org.events
        return search_page(call, events, lambda e: payloads.dumps(model.document(e)), window)

    def countOrgDeviceEvents(self, call: Call) -> Reply:  # noqa: N802
        org = self.org(call)
        distinct = enum_param(call.query, "distinct", EVENT_COUNT_DISTINCT, "model")
        events, (start, end) = self._events(call, org, "all")
        model = org.events
        counts: dict[str, int] = {}
        for event in events:
            value = model.document(event).get(distinct)
            if value is not None:
                counts[str(value)] = counts.get(str(value), 0) + 1
        limit = limit_param(call.query)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        results = [{distinct: value, "count": n} for value, n in ranked[:limit]]
        body = {"distinct": distinct, "start": start, "end": end, "limit": limit, "results": results}
        body["total"] = len(ranked)
        return json_reply(200, body)

    def getSiteInsightMetricsForGateway(self, call: Call) -> Reply:  # noqa: N802
        org, _site, gateway = self.site_gateway(call)
        body, total, limit, page = gateway_insights(org.traffic, gateway, call.query, call.now)
        reply = json_reply(200, body)
        reply.headers = {"X-Page-Total": str(total), "X-Page-Limit": str(limit), "X-Page-Page": str(page)}
        return reply


def parse_fields(query: dict) -> set[str]:
    raw = query.get("fields") or ""
    return {f.strip() for f in raw.split(",") if f.strip()}


def normalise_mac(raw: str) -> str:
    return raw.lower().replace(":", "").replace("-", "").replace(".", "")


def filter_gateways(gateways: list, query: dict, org: Org) -> list:
    """The `site_id` and `mac` filters shared by most endpoints."""
    if query.get("site_id"):
        gateways = [g for g in gateways if g.site.id == query["site_id"]]
    if query.get("mac"):
        mac = normalise_mac(query["mac"])
        gateways = [g for g in gateways if g.mac == mac]
    return gateways


# -- WSGI --------------------------------------------------------------------------------------

REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def make_wsgi_app(sim: MistSimulator, hang_seconds: float = 30.0) -> Callable:
    """WSGI callable: the simulated API plus `GET /__simulator__/calls` (no auth)."""
    import time

    def app(environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path == "/__simulator__/calls":
            reply = json_reply(200, sim.calls())
        else:
            headers = {"Authorization": environ.get("HTTP_AUTHORIZATION", "")}
            reply = sim.dispatch(
                environ.get("REQUEST_METHOD", "GET"), path, environ.get("QUERY_STRING", ""), headers
            )
            if reply.hang:
                time.sleep(hang_seconds)
                reply = error(504, "Gateway timeout")
        status = f"{reply.status} {REASONS.get(reply.status, 'Unknown')}"
        headers = [("Content-Type", JSON), ("Content-Length", str(len(reply.body)))]
        headers += [(k, v) for k, v in reply.headers.items()]
        start_response(status, headers)
        return [reply.body]

    return app
