"""Turn raw Mist payloads into the dashboard's gateway and WAN-port rows.

Everything here is pure: plain dicts and lists in (exactly as the Mist API answers them), plain
JSON-serialisable dicts out (the row shapes of docs/INTERFACES.md section 4). No I/O, no Flask,
no mistapi, so the rules that decide what a user sees can be tested without any server.

Rules worth knowing before reading the code:

* A value we do not know is ``None``, never ``0`` or ``""``: a blank cell says "unknown", a zero
  would claim a measurement.
* A gateway's effective ``port_config`` is its base configuration (the device profile for a hub,
  otherwise the gateway template of its site) overlaid per interface by the device's own
  ``port_config``. Mist replaces a whole interface entry when a device defines it, so we do too.
* Interfaces are matched across sources by *logical* identity: the physical port plus the VLAN
  (``ge-0/0/0`` with ``vlan_id`` 100 and ``ge-0/0/0.100`` are the same circuit; ``ge-0/0/0.0`` is
  the untagged ``ge-0/0/0``), because config, ``if_stat`` and port stats each name them differently.
* Peer paths count toward the row they run on; see :func:`attribute_peer_path` for the
  sub-interface rule.
"""

from __future__ import annotations

import dataclasses
import functools
import ipaddress
import re
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict

from circuitstats import validate

__all__ = [
    "GatewayRow",
    "PeerPathRow",
    "PortRow",
    "ShapeReport",
    "SiteRow",
    "Summary",
    "attribute_peer_path",
    "build_gateway_row",
    "build_gateway_rows",
    "build_port_rows",
    "canonical_interface",
    "dedupe_gateway_stats",
    "effective_port_config",
    "filter_rows",
    "natural_key",
    "normalise_netmask",
    "path_counts_for_port",
    "peer_path_rows",
    "resolve_vars",
    "site_rows",
    "sort_gateway_rows",
    "split_interface",
    "summarize",
]


class PortRow(TypedDict):
    """One WAN interface of a gateway (INTERFACES.md section 4)."""

    name: str
    wan_name: str | None
    description: str | None
    enabled: bool | None
    up: bool | None
    gateway: str | None
    ip: str | None
    netmask: str | None
    vlan_id: int | str | None
    type: str | None
    override: bool | None
    peers_up: int | None
    peers_total: int | None
    rx_bytes: int | None
    tx_bytes: int | None
    speed: int | float | None
    rx_bps: int | float | None  # current rates in bits/s, as Mist's port stats give them
    tx_bps: int | float | None
    last_flapped: int | float | None  # epoch s of the last link change (port stats)
    # Fields whose value holds a {{variable}} of the template/device config that no variable filled:
    # the page styles exactly these as unresolved; a name that merely looks like one stays plain.
    template_vars_unresolved: list[str]


class GatewayRow(TypedDict):
    """One gateway with its WAN ports (INTERFACES.md section 4)."""

    id: str | None
    name: str | None
    site_id: str | None
    site_name: str | None
    model: str | None
    status: str | None
    ext_ip: str | None
    uptime: int | float | None
    last_seen: int | float | None  # epoch s the cloud last heard from it
    mac: str | None
    ports: list[PortRow]
    missing: list[str]


class PeerPathRow(TypedDict):
    """One VPN peer path (INTERFACES.md section 4)."""

    port_id: str | None
    vpn_name: str | None
    peer_router_name: str | None
    peer_port_id: str | None
    up: bool | None
    is_active: bool | None
    type: str | None
    latency: int | float | None
    loss: int | float | None
    jitter: int | float | None
    mos: int | float | None
    uptime: int | float | None
    mtu: int | float | None
    hop_count: int | float | None


class Summary(TypedDict):
    """Counts shown above the gateway table."""

    gateways: int
    connected: int
    wan_ports: int
    wan_ports_up: int


class SiteRow(TypedDict):
    """One site as ``/api/sites`` lists it (INTERFACES.md section 4)."""

    id: str
    name: str | None
    address: str | None
    timezone: str | None


# ---------------------------------------------------------------------------------------------
# Small value helpers: the network hands us anything, rows hold only clean values or None.
# They are circuitstats.validate's checks, the one edge-validation layer (issue #12), bound to
# short names rather than wrapped: shaping 10,000 gateways runs them about a million times, and a
# wrapper doubled the cost of each call.
# ---------------------------------------------------------------------------------------------

# A non-empty string, else None, so that "" from the API never reaches a cell as a value.
_text = validate.text
# A finite int/float of sane magnitude, else None; bool is excluded (True is not a byte count). The
# magnitude bound keeps ``1e400`` (read as inf) and 400-digit integers out of the rows, where they
# would break strict JSON or overflow the first float arithmetic.
_number = validate.number
# A real boolean, else None: a missing ``up`` must not read as "down".
_flag = validate.flag
# The value when it is a dict, else an empty dict, so lookups never raise on odd payloads.
_dict = validate.as_dict


def _small_int(text: str, digits: int = 9) -> int | None:
    """An ASCII digit string of at most ``digits`` digits as int, else None.

    ``str.isdigit`` accepts characters ``int`` refuses (superscripts) and ``int`` refuses strings of
    more than 4,300 digits: both would raise on a hostile answer.
    """
    text = text.strip()
    if text.isascii() and text.isdigit() and len(text) <= digits:
        return int(text)
    return None


_NATURAL_CHUNK = re.compile(r"([0-9]+)")


def natural_key(value: str | None) -> tuple:
    """Sort key that orders embedded numbers by value: ge-0/0/2 before ge-0/0/10.

    re.split with a capturing group always alternates text, number, text..., so equal positions
    of two keys always hold the same type and tuples compare without TypeError. None sorts last.
    A number is compared as (digit count, digits) without leading zeros: its value order, without
    converting a possibly 5,000-digit chunk to int.
    """
    if value is None:
        return ((1,),)
    parts = _NATURAL_CHUNK.split(value.casefold())
    for i in range(1, len(parts), 2):  # a plain loop: twice as fast as a generator of calls here
        significant = parts[i].lstrip("0")
        parts[i] = (len(significant), significant)
    return ((0,), *parts)


_SHORT_NAME = 64  # interface names are short; a long one (hostile) is keyed but not remembered


@functools.lru_cache(maxsize=1024)
def _short_name_key(name: str) -> tuple:
    return natural_key(name)


def _port_name_key(name: str) -> tuple:
    """``natural_key`` of an interface name, remembered for short names.

    Every gateway sorts its WAN rows, and their names repeat across the org (``ge-0/0/0`` ...):
    the cache turns 30,000 key computations into a few dozen. Only short names are kept, so a
    hostile answer of 20,000-character names cannot fill memory through it.
    """
    return _short_name_key(name) if len(name) <= _SHORT_NAME else natural_key(name)


# ---------------------------------------------------------------------------------------------
# Interface names
# ---------------------------------------------------------------------------------------------

_UNIT = re.compile(r"^(?P<physical>.+)\.(?P<unit>[0-9]{1,9})$")


def split_interface(name: str) -> tuple[str, int | None]:
    """Split ``ge-0/0/0.100`` into (``ge-0/0/0``, 100); no unit suffix gives (name, None)."""
    if "." not in name:  # most names; the pattern needs a dot, and this runs ~300,000 times at 10k
        return name, None
    match = _UNIT.match(name)
    if match is None:
        return name, None
    return match.group("physical"), int(match.group("unit"))


def canonical_interface(name: str) -> str:
    """Drop a ``.0`` unit: Junos unit 0 is the untagged interface the config calls ``ge-0/0/0``."""
    physical, unit = split_interface(name)
    return physical if unit == 0 else name


def _vlan_number(value: Any) -> int | None:
    """A VLAN id as int (1..4094) from an int or a digit string; 0 and junk mean untagged/unknown."""
    if isinstance(value, str):
        value = _small_int(value, 4)
    number = _number(value)
    if number is None or isinstance(number, float) or not 0 < number <= 4094:
        return None
    return number


def _logical_key(name: str, vlan: Any = None) -> tuple[str, int]:
    """Identity of a logical interface: (physical port, VLAN or unit, 0 when untagged).

    The VLAN wins over the unit number because Mist may carry a tagged WAN on unit 0
    (``ge-0/0/0.0`` with vlan 100); otherwise the unit number is the VLAN by convention.
    """
    physical, unit = split_interface(name)
    return physical, _vlan_number(vlan) or unit or 0


_RANGE = re.compile(r"^(?P<prefix>.+/)(?P<first>[0-9]{1,4})-(?P<last>[0-9]{1,4})$")
_MAX_RANGE = 256  # a port range never spans more ports than a gateway has; refuse absurd ones


def _expand_port_key(key: str) -> list[str]:
    """Expand a port_config range key (``ge-0/0/0-3``) into its interfaces; other keys stay whole.

    Comma lists (``ge-0/0/0,ge-1/0/0``) describe one aggregated/redundant interface, so they stay
    one entry rather than becoming several WAN circuits.
    """
    match = _RANGE.match(key)
    if match is None:
        return [key]
    first, last = int(match.group("first")), int(match.group("last"))
    if last < first or last - first >= _MAX_RANGE:
        return [key]
    return [f"{match.group('prefix')}{n}" for n in range(first, last + 1)]


def _expanded_port_config(port_config: Any) -> dict[str, dict]:
    """port_config keyed by single interface names, so template and device keys can be compared."""
    expanded: dict[str, dict] = {}
    for key, entry in _dict(port_config).items():
        if isinstance(key, str) and isinstance(entry, dict):
            for name in _expand_port_key(key.strip()):
                expanded[name] = entry
    return expanded


# ---------------------------------------------------------------------------------------------
# Site variables and configuration merge
# ---------------------------------------------------------------------------------------------

_VARIABLE = re.compile(r"\{\{\s*([^{}\s]+)\s*\}\}")


# Config nests a few levels (port_config -> entry -> ip_config -> value); an answer nested deeper
# is not config, and walking it recursively could exhaust the stack (RecursionError).
_MAX_CONFIG_DEPTH = 32


def resolve_vars(value: Any, variables: Mapping[str, Any] | None, _depth: int = 0) -> Any:
    """Replace ``{{name}}`` placeholders from ``variables`` in strings, dict keys and lists.

    Unknown names are kept verbatim so a user sees which variable is unresolved instead of an
    empty cell that hides the problem. Nesting deeper than ``_MAX_CONFIG_DEPTH`` is left as is.
    """
    if not variables or _depth > _MAX_CONFIG_DEPTH:
        return value
    if isinstance(value, str):
        return _VARIABLE.sub(lambda m: _substitute(m, variables), value)
    if isinstance(value, dict):
        return {
            resolve_vars(k, variables, _depth + 1): resolve_vars(v, variables, _depth + 1)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [resolve_vars(item, variables, _depth + 1) for item in value]
    return value


def _substitute(match: re.Match, variables: Mapping[str, Any]) -> str:
    """One placeholder's replacement; only scalar values are substituted."""
    replacement = variables.get(match.group(1))
    if isinstance(replacement, str):
        return replacement
    if validate.number(replacement) is not None:
        return str(replacement)
    return match.group(0)


def effective_port_config(base: Any, device: Any) -> dict[str, dict]:
    """Base port_config (template or device profile) overlaid per interface by the device's own.

    A device entry replaces the base entry as a whole, as Mist does when it compiles the config.
    """
    merged = _expanded_port_config(base)
    merged.update(_expanded_port_config(device))
    return merged


def _overridden(name: str, base: dict[str, dict], device: dict[str, dict] | None) -> bool | None:
    """Whether the device config defines ``name`` differently from its base; None if not fetched."""
    if device is None:
        return None
    return name in device and device[name] != base.get(name)


# ---------------------------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------------------------


def normalise_netmask(mask: Any) -> str | None:
    """Netmask as CIDR ``/29`` from ``/29``, ``29`` or ``255.255.255.248``.

    Anything else (an unresolved ``{{var}}``, a non-contiguous mask) is returned as given, because
    rewriting it would hide a configuration problem; absent or empty gives None.
    """
    if isinstance(mask, int) and not isinstance(mask, bool):
        mask = str(mask)
    text = _text(mask)
    if text is None:
        return None
    text = text.strip()
    bits = _small_int(text[1:] if text.startswith("/") else text, 2)
    if bits is not None and bits <= 32:
        return f"/{bits}"
    try:
        return f"/{ipaddress.IPv4Network(f'0.0.0.0/{text}').prefixlen}"
    except ValueError:
        return text


def _split_address(address: str) -> tuple[str, str | None]:
    """``203.0.113.10/29`` -> (``203.0.113.10``, ``/29``); a bare address keeps netmask None."""
    ip, _, bits = address.strip().partition("/")
    return ip, normalise_netmask(bits) if bits else None


def _runtime_address(if_entry: dict) -> tuple[str, str | None] | None:
    """The interface's live address from if_stat ``ips``, preferring IPv4 (what the CIDR column shows)."""
    raw = if_entry.get("ips")
    ips = [ip for ip in raw if _text(ip)] if isinstance(raw, list) else []
    if not ips:
        return None
    ipv4 = [ip for ip in ips if ":" not in ip]
    return _split_address((ipv4 or ips)[0])


_ADDRESS_MODES = {"dhcp": "DHCP", "static": "Static", "pppoe": "PPPoE"}


def _address_mode(value: Any) -> str | None:
    """Config ``type`` / if_stat ``address_mode`` as the label users know (DHCP, Static, PPPoE)."""
    text = _text(value)
    if text is None:
        return None
    return _ADDRESS_MODES.get(text.strip().casefold(), text)


# ---------------------------------------------------------------------------------------------
# One gateway's WAN interfaces, gathered from config, if_stat and port stats
# ---------------------------------------------------------------------------------------------


class _Interface:
    """Working record while the sources of one WAN interface are matched together."""

    __slots__ = ("name", "config", "if_entry", "port", "parent_port", "override")

    def __init__(self, name: str, config: dict | None = None, override: bool | None = None) -> None:
        self.name = name
        self.config = config
        self.if_entry: dict | None = None
        self.port: dict | None = None
        self.parent_port: dict | None = None
        self.override = override

    @property
    def physical(self) -> str:
        return split_interface(self.name)[0]

    @property
    def logical_key(self) -> tuple[str, int]:
        vlan = _dict(self.config).get("vlan_id")
        if vlan is None and self.if_entry is not None:
            vlan = self.if_entry.get("vlan")
        return _logical_key(self.name, vlan)

    @property
    def wan_name(self) -> str | None:
        return _text(_dict(self.config).get("name")) or _text(_dict(self.if_entry).get("wan_name"))


def _if_stat_entries(if_stat: Any) -> list[tuple[str, dict]]:
    """(logical interface name, entry) pairs from if_stat, whether a dict (the API) or a list.

    The dict key is the logical interface (``ge-0/0/0.0``) and ``port_id`` the physical port; when
    the key does not look like an interface of that port we rebuild the name from port_id + vlan.
    """
    if isinstance(if_stat, dict):
        items = [(key, entry) for key, entry in if_stat.items() if isinstance(entry, dict)]
    elif isinstance(if_stat, list):
        items = [(_text(e.get("name")) or "", e) for e in if_stat if isinstance(e, dict)]
    else:
        return []
    entries = []
    for key, entry in items:
        name = _if_stat_name(str(key), entry)
        if name:
            entries.append((canonical_interface(name), entry))
    return entries


def _if_stat_name(key: str, entry: dict) -> str | None:
    """Logical interface name of one if_stat entry (see :func:`_if_stat_entries`)."""
    port_id = _text(entry.get("port_id"))
    if port_id is None or key == port_id or key.startswith(port_id + "."):
        return key or port_id
    vlan = _vlan_number(entry.get("vlan"))
    return f"{port_id}.{vlan}" if vlan else port_id


def _find(
    interfaces: list[_Interface], name: str, vlan: Any = None, wan_name: Any = None
) -> _Interface | None:
    """The interface a runtime record belongs to: same name, else same logical key, else WAN name."""
    for iface in interfaces:
        if iface.name == name:
            return iface
    key = _logical_key(name, vlan)
    for iface in interfaces:
        if iface.logical_key == key:
            return iface
    wan_name = _text(wan_name)
    for iface in interfaces:
        if wan_name is not None and iface.wan_name == wan_name:
            return iface
    return None


def _wan_interfaces(
    merged: dict[str, dict],
    base: dict[str, dict],
    device: dict[str, dict] | None,
    if_stat: Any,
    ports: Any,
) -> list[_Interface]:
    """Every WAN interface of a gateway with its config, if_stat entry and port stats attached.

    Config is authoritative on usage: an interface the config defines as LAN is never shown as WAN
    even if a runtime record claims so. Runtime WAN interfaces the config does not know (config not
    available, or an interface the template does not describe) still get a row.
    """
    interfaces = [
        _Interface(canonical_interface(name), entry, _overridden(name, base, device))
        for name, entry in merged.items()
        if _text(entry.get("usage")) == "wan"
    ]
    non_wan = {canonical_interface(n) for n, e in merged.items() if e.get("usage") not in (None, "wan")}
    unknown_override = None if device is None else False

    for name, entry in _if_stat_entries(if_stat):
        iface = _find(interfaces, name, entry.get("vlan"), entry.get("wan_name"))
        if iface is None and entry.get("port_usage") == "wan" and name not in non_wan:
            iface = _Interface(name, override=unknown_override)
            interfaces.append(iface)
        if iface is not None and iface.if_entry is None:
            iface.if_entry = entry

    for port in ports if isinstance(ports, list) else []:
        _attach_port_stats(interfaces, port, non_wan, unknown_override)
    return interfaces


def _attach_port_stats(
    interfaces: list[_Interface], port: Any, non_wan: set[str], unknown_override: bool | None
) -> None:
    """Attach one port-stats record to the row of the same name, or as parent of its sub-interfaces."""
    port_id = _text(_dict(port).get("port_id"))
    if port_id is None:
        return
    port_id = canonical_interface(port_id)
    exact = next((iface for iface in interfaces if iface.name == port_id), None)
    if exact is not None:
        exact.port = port
        return
    children = [iface for iface in interfaces if iface.physical == port_id]
    for child in children:
        # several records may share a physical port_id (one per logical unit); a WAN one
        # describes the circuit better than the LAN trunk on the same wire
        current = child.parent_port
        if current is None or (port.get("port_usage") == "wan" and current.get("port_usage") != "wan"):
            child.parent_port = port
    if not children and port.get("port_usage") == "wan" and port_id not in non_wan:
        iface = _Interface(port_id, override=unknown_override)
        iface.port = port
        interfaces.append(iface)


# ---------------------------------------------------------------------------------------------
# Peer paths
# ---------------------------------------------------------------------------------------------


def attribute_peer_path(port_id: Any, ports: Iterable[Mapping[str, Any]]) -> str | None:
    """Name of the WAN port row a peer path counts toward, or None when it cannot be told.

    1. The row with the same interface name (``ge-0/0/0.0`` and ``ge-0/0/0`` are the same).
    2. The row with the same logical interface: a path on ``ge-0/0/0.100`` counts for a row
       ``ge-0/0/0`` configured with ``vlan_id`` 100.
    3. A path reported on the physical port (``ge-0/0/0``) when that port has no row of its own
       but exactly one sub-interface row (``ge-0/0/0.100``): the path can only run over that
       circuit. With several sub-interface rows on the port we do not guess; the path stays
       unattributed (counted on no row) rather than counted twice or on the wrong circuit.
    """
    name = _text(port_id)
    if name is None:
        return None
    name = canonical_interface(name.strip())
    rows = [(row["name"], row.get("vlan_id")) for row in ports]
    if any(row_name == name for row_name, _ in rows):
        return name
    key = _logical_key(name)
    same_key = [row_name for row_name, vlan in rows if _logical_key(row_name, vlan) == key]
    if len(same_key) == 1:
        return same_key[0]
    physical, unit = split_interface(name)
    on_port = [row_name for row_name, _ in rows if split_interface(row_name)[0] == physical]
    if not unit and len(on_port) == 1:
        return on_port[0]
    return None


def path_counts_for_port(
    path_port_id: Any, port_id: str, ports: Iterable[Mapping[str, Any]] | None = None
) -> bool:
    """Whether a peer path reported on ``path_port_id`` belongs to the WAN port ``port_id``.

    Give the gateway's PortRows as ``ports`` to apply :func:`attribute_peer_path` (the rule behind
    ``peers_up``/``peers_total``); without them only the same logical interface matches.
    """
    target = canonical_interface(port_id)
    if ports is not None:
        return attribute_peer_path(path_port_id, list(ports)) == target
    return _same_logical(_text(path_port_id), target)


def _count_peers(port_rows: list[PortRow], vpn_peers: Any) -> None:
    """Fill peers_up/peers_total; they stay None when the stats carried no vpn_peers at all."""
    if not isinstance(vpn_peers, list):
        return
    for row in port_rows:
        row["peers_up"], row["peers_total"] = 0, 0
    by_name = {row["name"]: row for row in port_rows}
    owners: dict[str, str | None] = {}  # a gateway's paths run over a few ports: attribute each once
    for path in vpn_peers:
        port_id = _dict(path).get("port_id")
        if not isinstance(port_id, str):  # attribute_peer_path tells nothing but a string
            continue
        if port_id not in owners:
            owners[port_id] = attribute_peer_path(port_id, port_rows)
        owner = owners[port_id]
        if owner is None:
            continue
        by_name[owner]["peers_total"] += 1
        if path.get("up") is True:
            by_name[owner]["peers_up"] += 1


def _peer_path_row(path: dict) -> PeerPathRow:
    """One vpn_peers entry reduced to the PeerPathRow fields, unknowns None."""
    return PeerPathRow(
        port_id=_text(path.get("port_id")),
        vpn_name=_text(path.get("vpn_name")),
        peer_router_name=_text(path.get("peer_router_name")),
        peer_port_id=_text(path.get("peer_port_id")),
        up=_flag(path.get("up")),
        is_active=_flag(path.get("is_active")),
        type=_text(path.get("type")),
        latency=_number(path.get("latency")),
        loss=_number(path.get("loss")),
        jitter=_number(path.get("jitter")),
        mos=_number(path.get("mos")),
        uptime=_number(path.get("uptime")),
        mtu=_number(path.get("mtu")),
        hop_count=_number(path.get("hop_count")),
    )


def _same_logical(port_id: str | None, target: str) -> bool:
    """Whether a path's port is the target interface (``ge-0/0/0.0`` is ``ge-0/0/0``)."""
    if port_id is None:
        return False
    return _logical_key(canonical_interface(port_id.strip())) == _logical_key(target)


_UP_ORDER = {False: 0, None: 1, True: 2}  # down first, then unknown, then up: problems on top


def peer_path_rows(
    vpn_peers: Any, port_id: str | None = None, ports: Iterable[Mapping[str, Any]] | None = None
) -> list[PeerPathRow]:
    """Peer paths as PeerPathRows, down paths first, then by VPN name and peer.

    With ``port_id`` only the paths of that WAN port are kept. Pass the gateway's PortRows as
    ``ports`` so the same attribution as ``peers_up``/``peers_total`` applies (see
    :func:`attribute_peer_path`); without them only paths reported on that very interface match,
    because telling whether a physical-port path belongs to a sub-interface needs the other rows.
    """
    rows = [_peer_path_row(path) for path in vpn_peers or [] if isinstance(path, dict)]
    if port_id is not None:
        target = canonical_interface(port_id)
        known = list(ports) if ports is not None else None
        rows = [row for row in rows if path_counts_for_port(row["port_id"], target, known)]
    rows.sort(
        key=lambda r: (
            _UP_ORDER[r["up"]],
            natural_key(r["vpn_name"]),
            natural_key(r["peer_router_name"]),
            natural_key(r["peer_port_id"]),
        )
    )
    return rows


# ---------------------------------------------------------------------------------------------
# Port rows
# ---------------------------------------------------------------------------------------------


def _first(*values: Any) -> Any:
    """First value that is not None (0 and False are real values and win)."""
    return next((value for value in values if value is not None), None)


def _first_flag(field: str, *sources: dict) -> bool | None:
    """The first source's real boolean ``field`` (a reported False wins), else None.

    A loop rather than ``_first`` over every source: the later sources are rarely needed, and this
    runs for every WAN port of the org.
    """
    for source in sources:
        value = source.get(field)
        if isinstance(value, bool):
            return value
    return None


def _row_vlan(config_vlan: Any, if_entry: dict, unit: int | None) -> int | str | None:
    """A row's VLAN: the config's (a number, else an unresolved ``{{var}}`` shown as-is), then the
    live interface's, then the unit number of the interface name."""
    for vlan in (_vlan_number(config_vlan), _text(config_vlan)):
        if vlan is not None:
            return vlan
    vlan = _vlan_number(if_entry.get("vlan"))
    return vlan if vlan is not None else _vlan_number(unit)


def _port_row(iface: _Interface, sole_on_port: bool) -> PortRow:
    """Build one PortRow from the matched sources of an interface.

    Precedence: live data describes what is, config what should be. Addresses come from if_stat
    (a DHCP lease is only known at run time), then config. Counters come from the port's own stats,
    then if_stat, then the physical parent port, the latter only when this is the port's only WAN
    circuit (the parent counts every VLAN on the wire).
    """
    config = _dict(iface.config)
    ip_config = _dict(config.get("ip_config"))
    if_entry = _dict(iface.if_entry)
    port, parent = _dict(iface.port), _dict(iface.parent_port)
    shared = parent if sole_on_port else {}

    address = _runtime_address(if_entry)
    config_type = _address_mode(ip_config.get("type")) or ("DHCP" if iface.config is not None else None)
    if address is None and config_type != "DHCP":
        ip_text = _text(ip_config.get("ip"))
        address = _split_address(ip_text) if ip_text else None
        if address is not None and address[1] is None:
            address = (address[0], normalise_netmask(ip_config.get("netmask")))
    config_gateway = _text(ip_config.get("gateway")) if config_type != "DHCP" else None
    unit = split_interface(iface.name)[1]

    row = PortRow(
        name=iface.name,
        wan_name=iface.wan_name,
        description=_text(config.get("description")) or _text(port.get("port_desc")),
        enabled=_enabled(iface.config, port, shared),
        up=_first_flag("up", port, if_entry, parent),
        gateway=_text(if_entry.get("gateway")) or config_gateway,
        ip=address[0] if address else None,
        netmask=address[1] if address else None,
        vlan_id=_row_vlan(config.get("vlan_id"), if_entry, unit),
        type=config_type if iface.config is not None else _address_mode(if_entry.get("address_mode")),
        override=iface.override,
        peers_up=None,
        peers_total=None,
        rx_bytes=_counter("rx_bytes", port, if_entry, shared),
        tx_bytes=_counter("tx_bytes", port, if_entry, shared),
        speed=_speed(port) or _speed(parent),
        # rates follow the counters' rule (the parent's only for its sole circuit); a physical
        # link flap takes every VLAN on the wire with it, so the parent's last_flapped applies
        rx_bps=_counter("rx_bps", port, shared),
        tx_bps=_counter("tx_bps", port, shared),
        last_flapped=_number(port.get("last_flapped")) or _number(parent.get("last_flapped")) or None,
        template_vars_unresolved=[],
    )
    row["template_vars_unresolved"] = _unresolved_from_config(row, iface.config)
    return row


# Port fields that may be taken from the (template or device) port config.
_CONFIG_FIELDS = ("wan_name", "description", "gateway", "ip", "netmask", "vlan_id")


def _config_strings(value: Any, _depth: int = 0) -> list[str]:
    """Every string of a config entry, nested ones included (up to ``_MAX_CONFIG_DEPTH`` levels)."""
    if isinstance(value, str):
        return [value]
    if _depth > _MAX_CONFIG_DEPTH:
        return []
    if isinstance(value, dict):
        return [text for item in value.values() for text in _config_strings(item, _depth + 1)]
    if isinstance(value, list):
        return [text for item in value for text in _config_strings(item, _depth + 1)]
    return []


def _unresolved_from_config(row: PortRow, config: Any) -> list[str]:
    """Fields of ``row`` showing a ``{{variable}}`` that came from the config, not from a name.

    A value qualifies when it holds a placeholder and occurs in one of the config's strings (after
    variable resolution, so only placeholders nothing filled are left); a description that came
    from live port stats and merely looks like ``{{7*7}}`` does not.
    """
    fields = [field for field in _CONFIG_FIELDS if _has_placeholder(row.get(field))]
    if not fields:  # most rows: no need to walk the config's strings
        return fields
    sources = _config_strings(config)
    return [field for field in fields if any(row[field] in text for text in sources)]


def _has_placeholder(value: Any) -> bool:
    """Whether ``value`` is a string holding a ``{{name}}`` (the substring test first: it is cheap)."""
    return isinstance(value, str) and "{{" in value and _VARIABLE.search(value) is not None


def _counter(field: str, *sources: dict) -> int | float | None:
    """The first source that reports the counter; a reported 0 is kept, an absent one is None."""
    for source in sources:
        value = _number(source.get(field))
        if value is not None:
            return value
    return None


def _enabled(config: dict | None, port: dict, parent: dict) -> bool | None:
    """Admin state: the live ``disabled`` flag of the port stats (own, else the physical parent's
    when this is the port's only circuit) wins, because a device override we have not fetched yet
    may have disabled a port the template enables; then config ``disabled`` (absent = enabled)."""
    disabled = _first_flag("disabled", port, parent)
    if disabled is not None:
        return not disabled
    if config is not None:
        return config.get("disabled") is not True
    return None


def _speed(port: dict) -> int | float | None:
    """Link speed in Mbps; 0 (what a down link reports) is "unknown", not a speed."""
    speed = _number(port.get("speed"))
    return speed if speed else None


def build_port_rows(
    stat: dict,
    base_port_config: Any,
    device_port_config: Any,
    device_config_known: bool,
    variables: Mapping[str, Any] | None = None,
) -> list[PortRow]:
    """The WAN PortRows of one gateway, naturally sorted by interface name.

    ``base_port_config`` is the template's or device profile's port_config, ``device_port_config``
    the device's own (None when not fetched: then ``device_config_known`` is False and every
    ``override`` is None).
    """
    base = _expanded_port_config(resolve_vars(base_port_config, variables))
    device = (
        _expanded_port_config(resolve_vars(device_port_config, variables)) if device_config_known else None
    )
    merged = {**base, **(device or {})}
    interfaces = _wan_interfaces(merged, base, device, stat.get("if_stat"), stat.get("ports"))
    per_port: dict[str, int] = {}
    for iface in interfaces:
        per_port[iface.physical] = per_port.get(iface.physical, 0) + 1
    rows = [_port_row(iface, per_port[iface.physical] == 1) for iface in interfaces]
    _count_peers(rows, stat.get("vpn_peers"))
    if len(rows) > 1:
        rows.sort(key=lambda row: _port_name_key(row["name"]))
    return rows


# ---------------------------------------------------------------------------------------------
# Gateway rows
# ---------------------------------------------------------------------------------------------


def _index(items: Any, key: str = "id") -> dict[str, dict]:
    """List of dicts indexed by their id (a UUID) or ``mac``, skipping entries without a valid one.

    Keys are the validated (lower-case) forms, so lookups must use ``validate.uuid``/``mac`` too.
    """
    check = validate.mac if key == "mac" else validate.uuid
    indexed: dict[str, dict] = {}
    for item in validate.as_list(items):
        value = check(item.get(key)) if isinstance(item, dict) else None
        if value is not None:
            indexed.setdefault(value, item)
    return indexed


def _is_gateway(stat: Any) -> bool:
    """Gateway stats rows only; the org stats endpoint can answer other device types too."""
    return isinstance(stat, dict) and stat.get("type") in (None, "gateway")


def _config_base(
    stat: dict,
    site: dict,
    inventory_item: dict,
    device_config: dict | None,
    templates: dict[str, dict],
    profiles: dict[str, dict],
) -> tuple[Any, list[str]]:
    """(base port_config, what could not be found): the device profile for a hub, else the template.

    A gateway with a device profile is a hub and Mist ignores the site's gateway template for it.
    """
    profile_id = _first(
        _text(_dict(device_config).get("deviceprofile_id")),
        _text(inventory_item.get("deviceprofile_id")),
        _text(stat.get("deviceprofile_id")),
    )
    if profile_id is not None:
        profile = profiles.get(profile_id)
        return (profile.get("port_config"), []) if profile else (None, ["device_profile"])
    template_id = _text(site.get("gatewaytemplate_id"))
    if template_id is None:
        return None, []
    template = templates.get(template_id)
    return (template.get("port_config"), []) if template else (None, ["template"])


def _missing_stats(stat: dict) -> list[str]:
    """Runtime parts the stats row did not carry (absent, not merely empty)."""
    return [part for part in ("if_stat", "ports", "vpn_peers") if stat.get(part) is None]


def build_gateway_row(
    stat: dict,
    site: dict | None,
    inventory_item: dict | None,
    device_config: dict | None,
    templates: dict[str, dict],
    profiles: dict[str, dict],
) -> GatewayRow:
    """One GatewayRow from a gateway stats row and whatever config is known for it.

    ``device_config`` None means "not fetched yet" (override flags None); an empty dict means
    fetched and defining nothing.
    """
    site = _dict(site)
    base, missing = _config_base(stat, site, _dict(inventory_item), device_config, templates, profiles)
    variables = {**_dict(site.get("vars")), **_dict(_dict(device_config).get("vars"))}
    ports = build_port_rows(
        stat,
        base,
        _dict(device_config).get("port_config"),
        device_config is not None,
        variables,
    )
    site_id = validate.uuid(stat.get("site_id"))
    if site_id is not None and not site:
        missing.append("site")
    return GatewayRow(
        id=validate.uuid(stat.get("id")),
        name=_text(stat.get("name")) or _text(stat.get("hostname")),
        site_id=site_id,
        site_name=_text(site.get("name")),
        model=_text(stat.get("model")),
        status=_text(stat.get("status")),
        ext_ip=_text(stat.get("ext_ip")),
        uptime=_number(stat.get("uptime")),
        last_seen=_number(stat.get("last_seen")) or None,
        mac=validate.mac(stat.get("mac")),
        ports=ports,
        missing=_missing_stats(stat) + missing,
    )


@dataclasses.dataclass(frozen=True)
class References:
    """The reference data indexed once per collection (sites, templates and profiles by id,
    inventory by id and MAC), so that shaping ten pages of stats does not index it ten times."""

    sites_by_id: dict[str, dict]
    template_by_id: dict[str, dict]
    profile_by_id: dict[str, dict]
    inventory_by_id: dict[str, dict]
    inventory_by_mac: dict[str, dict]

    @classmethod
    def build(cls, sites: Any, templates: Any, device_profiles: Any, inventory: Any) -> References:
        return cls(
            _index(sites),
            _index(templates),
            _index(device_profiles),
            _index(inventory),
            _index(inventory, "mac"),
        )


def build_gateway_rows(
    stats: list[dict],
    sites: list[dict],
    templates: list[dict],
    device_profiles: list[dict],
    inventory: list[dict],
    device_configs: Mapping[str, dict] | None = None,
    report: ShapeReport | None = None,
    references: References | None = None,
    sort: bool = True,
) -> list[GatewayRow]:
    """GatewayRows for every gateway in ``stats``, one per gateway id, sorted by site then name.

    ``device_configs`` maps device id -> device config (``getSiteDevice``); a gateway absent from
    it (or the whole argument None) has not been fetched, so its ``override`` flags are None.
    Inventory is matched by device id, else by MAC, and supplies hubs' ``deviceprofile_id``.

    ``references`` (from :meth:`References.build`) replaces the four lists when given.
    ``sort=False`` leaves the rows in the order of ``stats``: for a caller that sorts the rows of all
    pages together anyway (a stable sort of the whole gives the same order either way).

    ``stats`` first go through :func:`dedupe_gateway_stats` with ``report``: rows without a valid
    id are dropped, duplicate ids collapse to one row, and ``report`` (shared across the pages of
    one collection) counts both so the snapshot can say so in ``incomplete``.
    """
    stats, _ = dedupe_gateway_stats(stats, report)
    ref = references or References.build(sites, templates, device_profiles, inventory)
    sites_by_id, template_by_id, profile_by_id = ref.sites_by_id, ref.template_by_id, ref.profile_by_id
    inventory_by_id, inventory_by_mac = ref.inventory_by_id, ref.inventory_by_mac
    configs = device_configs if isinstance(device_configs, Mapping) else {}
    rows = []
    for stat in stats:
        device_id, mac = validate.uuid(stat.get("id")), validate.mac(stat.get("mac"))
        config = configs.get(device_id, configs.get(stat.get("id")))
        rows.append(
            build_gateway_row(
                stat,
                sites_by_id.get(validate.uuid(stat.get("site_id"))),
                inventory_by_id.get(device_id) or (inventory_by_mac.get(mac) if mac else None),
                config if isinstance(config, dict) else None,
                template_by_id,
                profile_by_id,
            )
        )
    return sort_gateway_rows(rows) if sort else rows


@dataclasses.dataclass
class ShapeReport:
    """What shaping left out of one collection, for the snapshot's ``incomplete`` list.

    Share one report across every page of a collection: it remembers the gateway ids already
    shaped, so a duplicate on a later page is caught too (the first row seen wins across pages;
    within a page, the one with the latest ``last_seen``). ``received`` counts gateway rows handed
    in, ``kept`` the rows shaped, ``duplicates`` the rows merged away, ``dropped`` the rows refused
    by reason. Not thread-safe: shape the pages of one collection on one thread.
    """

    received: int = 0
    kept: int = 0
    duplicates: int = 0
    dropped: dict[str, int] = dataclasses.field(default_factory=dict)
    seen_ids: set[str] = dataclasses.field(default_factory=set, repr=False)

    def drop(self, reason: str, count: int = 1) -> None:
        self.dropped[reason] = self.dropped.get(reason, 0) + count

    def incomplete(self, source: str = "listOrgDevicesStats") -> dict | None:
        """``{"source", "got", "total", "why"}`` when rows were merged or dropped, else None."""
        reasons = [f"{n} duplicate gateway id{'s' if n > 1 else ''} merged" for n in [self.duplicates] if n]
        reasons += [f"{n} {reason}" for reason, n in sorted(self.dropped.items())]
        if not reasons:
            return None
        return {"source": source, "got": self.kept, "total": self.received, "why": "; ".join(reasons)}


def dedupe_gateway_stats(stats: Any, report: ShapeReport | None = None) -> tuple[list[dict], int]:
    """(gateway stats rows with one row per valid id, number of duplicates dropped).

    Rows that are not objects or are not gateways are skipped silently (the endpoint may list other
    device types); gateway rows whose ``id`` is not a UUID are dropped and counted in ``report``.
    Two rows with the same id would otherwise mix their ports into one row; the one with the latest
    ``last_seen`` is kept (the first on a tie), and with a shared ``report`` an id already shaped
    from an earlier page is dropped as a duplicate. Calling it again on its own output without a
    report changes nothing.
    """
    report = report if report is not None else ShapeReport()
    chosen: dict[str, dict] = {}
    duplicates = 0
    for stat in validate.as_list(stats):
        if not _is_gateway(stat):
            continue
        report.received += 1
        device_id = validate.uuid(stat.get("id"))
        if device_id is None:
            report.drop("gateway rows without a valid id dropped")
            continue
        if device_id in report.seen_ids:
            duplicates += 1
            continue
        current = chosen.get(device_id)
        if current is not None:
            duplicates += 1
            latest = validate.epoch(current.get("last_seen")) or 0
            if (validate.epoch(stat.get("last_seen")) or 0) <= latest:
                continue
        chosen[device_id] = stat
    report.seen_ids.update(chosen)
    report.duplicates += duplicates
    report.kept += len(chosen)
    return list(chosen.values()), duplicates


def site_rows(sites: Any, report: ShapeReport | None = None) -> list[SiteRow]:
    """Sites as ``/api/sites`` lists them, sorted by name (naturally, unnamed last), then id.

    A site whose id is not a UUID is dropped (counted in ``report``); a name, address or timezone
    of the wrong type is None, so sorting never compares a string with a number.
    """
    rows: list[SiteRow] = []
    for site in validate.as_list(sites):
        site = _dict(site)
        site_id = validate.uuid(site.get("id"))
        if site_id is None:
            if report is not None:
                report.drop("sites without a valid id dropped")
            continue
        rows.append(
            SiteRow(
                id=site_id,
                name=_text(site.get("name")),
                address=_text(site.get("address")),
                timezone=_text(site.get("timezone")),
            )
        )
    rows.sort(key=lambda row: (natural_key(row["name"]), row["id"]))
    return rows


def sort_gateway_rows(rows: list[GatewayRow]) -> list[GatewayRow]:
    """Sort in place (and return) by site name, then gateway name, naturally (br2 before br10).

    A site's key is computed once for all its gateways (10,000 gateways share a few thousand sites).
    """
    site_keys: dict[str | None, tuple] = {}

    def key(row: GatewayRow) -> tuple:
        site = row["site_name"]
        if site not in site_keys:
            site_keys[site] = natural_key(site)
        return site_keys[site], natural_key(row["name"]), row["mac"] or ""

    rows.sort(key=key)
    return rows


# ---------------------------------------------------------------------------------------------
# Summary and filtering
# ---------------------------------------------------------------------------------------------


def summarize(rows: Iterable[GatewayRow]) -> Summary:
    """Counts for the summary cards; a port of unknown state is not counted as up."""
    rows = list(rows)
    return Summary(
        gateways=len(rows),
        connected=sum(1 for row in rows if row["status"] == "connected"),
        wan_ports=sum(len(row["ports"]) for row in rows),
        wan_ports_up=sum(1 for row in rows for port in row["ports"] if port["up"] is True),
    )


def filter_rows(
    rows: Iterable[GatewayRow], site_id: str | None = None, query: str | None = None
) -> list[GatewayRow]:
    """Rows of one site and/or matching the gateway search.

    The search itself (fields, normalisation, maximum length) is defined once in
    ``circuitstats.search`` and shared with the page's own filter, so the screen, the URL and the
    CSV export select the same gateways. Raises ValueError for a query beyond its maximum length.
    """
    # Imported here so this pure module keeps its import list free of the app package.
    from circuitstats.search import filter_rows as search_rows

    return search_rows(rows, site_id, query)
