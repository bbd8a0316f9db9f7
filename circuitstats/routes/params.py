"""Request parameters, validated before anything else runs: a bad one is a 400 naming it."""

from __future__ import annotations

import re

from flask import request

import traffic

UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
MAC_RE = re.compile(r"[0-9a-f]{12}")
# Interface names as Junos/SSR write them: ge-0/0/0, ge-0/0/0.100, xe-1/0/3, lte0, cl-1/0/0, wan0 ...
PORT_RE = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,15}(/[0-9]{1,3}){0,3}(\.[0-9]{1,4})?")


class BadParameter(Exception):
    """A request parameter failed validation; the message names it."""

    def __init__(self, name: str, why: str):
        self.name = name
        super().__init__(f"invalid parameter '{name}': {why}")


def uuid_param(name: str, required: bool = False) -> str | None:
    value = request.args.get(name) or None
    if value is None:
        if required:
            raise BadParameter(name, "is required")
        return None
    return check_uuid(name, value)


def check_uuid(name: str, value: str) -> str:
    if not UUID_RE.fullmatch(value):
        raise BadParameter(name, "must be a Mist id (uuid)")
    return value.lower()


def check_port(value: str) -> str:
    if not PORT_RE.fullmatch(value):
        raise BadParameter("port_id", "must be an interface name such as ge-0/0/0 or ge-0/0/0.100")
    return value


def port_param() -> str | None:
    value = request.args.get("port_id")
    return check_port(value) if value else None


def mac_param() -> str | None:
    raw = request.args.get("mac")
    if not raw:
        return None
    mac = re.sub(r"[:.-]", "", raw).lower()
    if not MAC_RE.fullmatch(mac):
        raise BadParameter("mac", "must be a MAC address (12 hex digits)")
    return mac


def query_param() -> str | None:
    """The search, as the page, the URL and the export share it (circuitstats.search)."""
    from circuitstats import search

    try:
        return search.parse_query(request.args.get("q"))
    except ValueError as exc:
        raise BadParameter("q", str(exc)) from None


def window_param() -> str:
    window = request.args.get("duration", "24h")
    if window not in traffic.WINDOWS:
        raise BadParameter("duration", "must be one of " + ", ".join(traffic.WINDOWS))
    return window
