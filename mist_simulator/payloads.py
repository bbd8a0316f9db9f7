"""JSON shapes of the org model, as the Mist API returns them (the moto "responses" half).

Why a module of its own: `api.py` only routes, filters and paginates; the shapes (field names, which
fields are embedded where) live here, next to the per-gateway cache that keeps a page of 1,000
device stats with `fields=*` cheap. Live values (counters, rates, uptime) are computed at the start of
the current 5-minute slot, so a cached fragment stays valid for that slot and answers inside one slot
are byte-identical.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass

from . import events
from .org import Gateway, Org, PeerPath, Port, modified
from .traffic import FIVE_MIN, HOUR

RX_PACKET_BYTES = 700
TX_PACKET_BYTES = 420


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


@dataclass(slots=True)
class GatewayJson:
    """Serialized fragments of one gateway for one 5-minute slot."""

    slot: int
    stats_base: str  # stats object without its closing brace (ports/vpn_peers get appended)
    ports: list[str]  # embedded port objects (no org/site/mac/model)
    port_search: list[str]  # port search results
    peers: list[str]
    peer_search: list[str]
    port_ids: list[str]
    up: list[bool]
    if_stat: str  # the if_stat map alone (device search with stats=true)


# -- live port values --------------------------------------------------------------------------


def port_live(org: Org, port: Port, slot: int) -> dict:
    """Counters, rates and WAN quality of one port at the start of 5-minute slot `slot`."""
    traffic, wave = org.traffic, port.wave
    hour = slot * FIVE_MIN // HOUR
    rx_bytes = traffic.window_bytes(wave, "rx", hour)
    tx_bytes = traffic.window_bytes(wave, "tx", hour)
    last = slot - 1
    rx_bps = traffic.five_minute_bps(wave, "rx", last) if port.up else None
    tx_bps = traffic.five_minute_bps(wave, "tx", last) if port.up else None
    quality = traffic.quality(wave, last // 12, last) if port.up else None
    return {
        "rx_bytes": rx_bytes,
        "tx_bytes": tx_bytes,
        "rx_pkts": rx_bytes // RX_PACKET_BYTES,
        "tx_pkts": tx_bytes // TX_PACKET_BYTES,
        "rx_bps": round(rx_bps or 0),
        "tx_bps": round(tx_bps or 0),
        "latency": quality["latency"] if quality else 0,
        "jitter": quality["jitter"] if quality else 0,
        "loss": quality["loss"] if quality else 0,
    }


def port_object(port: Port, live: dict) -> dict:
    """A gateway port as embedded in device stats (`fields=ports`)."""
    out = {
        "port_id": port.port_id,
        "port_mac": port.port_mac,
        "neighbor_mac": port.neighbor_mac,
        "port_usage": port.usage,
        "port_desc": port.config.get("description", ""),
        "type": "gateway",
        "up": port.up,
        "active": port.up,
        "disabled": port.disabled,
        "speed": port.speed_mbps,
        "full_duplex": True,
        "rx_bytes": live["rx_bytes"],
        "tx_bytes": live["tx_bytes"],
        "rx_pkts": live["rx_pkts"],
        "tx_pkts": live["tx_pkts"],
        "rx_bps": live["rx_bps"],
        "tx_bps": live["tx_bps"],
        "rx_errors": port.rx_errors,
        "tx_errors": port.tx_errors,
        "jitter": live["jitter"],
        "latency": live["latency"],
        "loss": live["loss"],
        "last_flapped": live["last_flapped"],
    }
    if port.lte:
        out.update(port.lte)
    return out


def if_stat_entry(port: Port, live: dict) -> dict:
    out = {
        "port_id": port.port_id,
        "port_usage": port.usage,
        "up": port.up,
        "rx_bytes": live["rx_bytes"],
        "tx_bytes": live["tx_bytes"],
        "rx_pkts": live["rx_pkts"],
        "tx_pkts": live["tx_pkts"],
        "vlan": port.vlan or 0,
        "ips": [port.ip] if port.ip and port.up else [],
        "address_mode": port.address_mode,
    }
    if port.usage == "wan":
        out["wan_name"] = port.wan_name
        out["wan_type"] = port.wan_type
        out["nat_addresses"] = []
    else:
        out["network_name"] = "corp"
    return out


def if_stat_key(port: Port) -> str:
    return port.interface if "." in port.interface else f"{port.interface}.0"


def peer_object(gateway: Gateway, path: PeerPath, now: int) -> dict:
    return {
        "port_id": path.port.interface,
        "router_name": gateway.name,
        "peer_router_name": path.hub.name,
        "peer_port_id": path.hub_port.interface,
        "peer_mac": path.hub.mac,
        "peer_site_id": path.hub.site.id,
        "vpn_name": path.vpn_name,
        "type": path.type,
        "up": path.up,
        "is_active": path.is_active,
        "latency": path.latency,
        "jitter": path.jitter,
        "loss": path.loss,
        "mos": path.mos,
        "uptime": path.uptime,
        "mtu": path.mtu,
        "hop_count": path.hop_count,
        "last_seen": now,
    }


# -- whole objects -----------------------------------------------------------------------------


def stats_base(org: Org, gateway: Gateway, now: int, if_stat: dict) -> dict:
    out = {
        "id": gateway.id,
        "mac": gateway.mac,
        "name": gateway.name,
        "hostname": gateway.hostname,
        "model": gateway.model,
        "serial": gateway.serial,
        "type": "gateway",
        "status": "connected" if gateway.connected else "disconnected",
        "uptime": now - gateway.boot_epoch if gateway.connected else 0,
        "last_seen": now if gateway.connected else gateway.dead_hour * HOUR,
        "ext_ip": gateway.ext_ip,
        "ip": gateway.ip,
        "version": gateway.version,
        "site_id": gateway.site.id,
        "org_id": org.id,
        "map_id": None,
        "created_time": gateway.created_time,
        "modified_time": modified(gateway.created_time),
        "config_status": "synced" if gateway.connected else "disconnected",
        "is_ha": gateway.is_ha,
        "deviceprofile_id": gateway.deviceprofile_id,
        "cpu_stat": {
            "idle": 80.0 - len(gateway.ports),
            "system": 9.0,
            "user": 11.0 + len(gateway.ports),
            "interrupt": 0.0,
            "load_avg": [0.4, 0.5, 0.6],
        },
        "memory_stat": {"usage": 41.0 + len(gateway.ports)},
    }
    if gateway.family == "ssr":
        out["router_name"] = gateway.hostname
    if gateway.is_ha:
        out["node_name"] = "node0"
        out["cluster_config"] = {
            "status": "Green",
            "operational": "active-backup",
            "primary_node_health": "healthy",
            "secondary_node_health": "healthy",
            "configuration": "clustered",
        }
    out["if_stat"] = if_stat
    return out


def site_object(org: Org, site) -> dict:
    return {
        "id": site.id,
        "org_id": org.id,
        "name": site.name,
        "timezone": site.timezone,
        "country_code": site.country_code,
        "address": site.address,
        "latlng": {"lat": site.lat, "lng": site.lng},
        "tzoffset": site.tz_hours * 60,
        "gatewaytemplate_id": site.gatewaytemplate_id,
        "alarmtemplate_id": None,
        "aptemplate_id": None,
        "networktemplate_id": None,
        "rftemplate_id": None,
        "secpolicy_id": None,
        "sitetemplate_id": None,
        "sitegroup_ids": [],
        "notes": "",
        "created_time": site.created_time,
        "modified_time": site.modified_time,
    }


def event_text(event) -> str:
    """The `text` of a planned event tuple (see events.py)."""
    return events.event_text(event[1], event[3], event[4])


def site_setting_object(org: Org, site) -> dict:
    """getSiteSetting: where Mist keeps site variables (`vars`); a site object has none."""
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"mist-sim:site-setting:{site.id}")),
        "site_id": site.id,
        "org_id": org.id,
        "for_site": True,
        "vars": dict(site.vars),
        "gateway_updown_threshold": None,
        "vpn_path_updown_threshold": None,
        "created_time": site.created_time,
        "modified_time": site.modified_time,
    }


def org_object(org: Org) -> dict:
    return {
        "id": org.id,
        "name": org.name,
        "created_time": org.created_time,
        "modified_time": modified(org.created_time),
        "allow_mist": False,
        "session_expiry": 1440,
        "orggroup_ids": [],
        "alarmtemplate_id": None,
    }


def template_object(org: Org, template) -> dict:
    return {
        "id": template.id,
        "org_id": org.id,
        "name": template.name,
        "type": "spoke",
        "port_config": template.port_config,
        "dns_servers": ["8.8.8.8", "1.1.1.1"],
        "ntp_servers": [],
        "created_time": template.created_time,
        "modified_time": modified(template.created_time),
    }


def profile_object(org: Org, profile) -> dict:
    return {
        "id": profile.id,
        "org_id": org.id,
        "name": profile.name,
        "type": "gateway",
        "port_config": profile.port_config,
        "created_time": profile.created_time,
        "modified_time": modified(profile.created_time),
    }


def device_object(org: Org, gateway: Gateway) -> dict:
    """The device configuration (listSiteDevices / getSiteDevice)."""
    out = {
        "id": gateway.id,
        "name": gateway.name,
        "site_id": gateway.site.id,
        "org_id": org.id,
        "mac": gateway.mac,
        "serial": gateway.serial,
        "model": gateway.model,
        "type": "gateway",
        "notes": "",
        "created_time": gateway.created_time,
        "modified_time": modified(gateway.created_time),
    }
    if gateway.deviceprofile_id:
        out["deviceprofile_id"] = gateway.deviceprofile_id
    if gateway.vars:
        out["vars"] = gateway.vars
    if gateway.device_port_config:
        out["port_config"] = gateway.device_port_config
    return out


def inventory_object(org: Org, gateway: Gateway) -> dict:
    return {
        "id": gateway.id,
        "mac": gateway.mac,
        "serial": gateway.serial,
        "model": gateway.model,
        "sku": f"{gateway.model}-SYS-JB",
        "type": "gateway",
        "name": gateway.name,
        "hostname": gateway.hostname,
        "site_id": gateway.site.id,
        "org_id": org.id,
        "connected": gateway.connected,
        "adopted": False,
        "deviceprofile_id": gateway.deviceprofile_id,
        "hw_rev": "A",
        "magic": "",
        "jsi": False,
        "created_time": gateway.created_time,
        "modified_time": modified(gateway.created_time),
    }


def device_search_object(org: Org, gateway: Gateway, now: int) -> dict:
    out = {
        "mac": gateway.mac,
        "hostname": [gateway.hostname],
        "last_hostname": gateway.hostname,
        "model": gateway.model,
        "site_id": gateway.site.id,
        "org_id": org.id,
        "type": "gateway",
        "version": gateway.version,
        "ip": gateway.ip,
        "managed": True,
        "clustered": gateway.is_ha,
        "num_members": 2 if gateway.is_ha else 1,
        "last_config_status": "success",
        "uptime": now - gateway.boot_epoch if gateway.connected else 0,
        "timestamp": now,
    }
    if gateway.ext_ip:
        out["ext_ip"] = gateway.ext_ip
    if gateway.is_ha:
        out["node0_mac"] = gateway.mac
        out["node1_mac"] = gateway.node1_mac
    return out


# -- cache -------------------------------------------------------------------------------------


class OrgViews:
    """Per-gateway JSON fragments of one org, for one 5-minute slot (and, once prepared, the next).

    Fragments are built on first use, or all at once ahead of time by ``prepare``: a cold build
    costs about 0.15 s of CPU per 1,000 gateways, which a real cloud never makes a client wait for,
    so the standalone server prepares each slot before it begins (see ``MistSimulator.keep_warm``).
    """

    def __init__(self, org: Org) -> None:
        self.org = org
        self._slots: dict[int, dict[str, GatewayJson]] = {}
        self._lock = threading.Lock()

    def gateway(self, gateway: Gateway, now: int) -> GatewayJson:
        slot = now // FIVE_MIN
        views = self._slots.get(slot)
        cached = views.get(gateway.id) if views is not None else None
        if cached is not None:
            return cached
        built = self._build(gateway, slot)
        with self._lock:
            self._keep(slot, current=slot)[gateway.id] = built
        return built

    def prepare(self, slot: int, now: int) -> None:
        """Build every gateway's fragments of ``slot`` (the current one or a later one) at once."""
        built = {gateway.id: self._build(gateway, slot) for gateway in self.org.gateways}
        with self._lock:
            self._keep(slot, current=now // FIVE_MIN).update(built)

    def _keep(self, slot: int, current: int) -> dict[str, GatewayJson]:
        """The fragments of ``slot``, after forgetting the slots before ``current`` (lock held)."""
        for old in [s for s in self._slots if s < current]:
            del self._slots[old]
        return self._slots.setdefault(slot, {})

    def _build(self, gateway: Gateway, slot: int) -> GatewayJson:
        org, now = self.org, slot * FIVE_MIN
        # Search results are the embedded objects plus org/site/mac(/model): spliced, not re-serialized.
        port_head = dumps(
            {"org_id": org.id, "site_id": gateway.site.id, "mac": gateway.mac, "model": gateway.model}
        )
        peer_head = dumps({"org_id": org.id, "site_id": gateway.site.id, "mac": gateway.mac})
        if_stat, ports, port_ids, up = {}, [], [], []
        for port in gateway.ports:
            live = port_live(org, port, slot)
            live["last_flapped"] = org.events.last_flapped(gateway, port, now)
            if_stat[if_stat_key(port)] = if_stat_entry(port, live)
            ports.append(dumps(port_object(port, live)))
            port_ids.append(port.port_id)
            up.append(port.up)
        peers = [dumps(peer_object(gateway, path, now)) for path in gateway.peers]
        port_search = [port_head[:-1] + "," + p[1:] for p in ports]
        peer_search = [peer_head[:-1] + "," + p[1:] for p in peers]
        base = dumps(stats_base(org, gateway, now, if_stat))
        return GatewayJson(
            slot, base[:-1], ports, port_search, peers, peer_search, port_ids, up, dumps(if_stat)
        )

    def device_search(self, gateway: Gateway, now: int, stats: bool) -> str:
        """A device search result; with `stats=true` it carries the interface statistics (`if_stat`)."""
        body = dumps(device_search_object(self.org, gateway, now))
        if not stats:
            return body
        return body[:-1] + ',"if_stat":' + self.gateway(gateway, now).if_stat + "}"

    def stats(self, gateway: Gateway, now: int, fields: set[str]) -> str:
        """Device stats JSON; `fields` may hold "ports", "vpn_peers" or "*"."""
        cached = self.gateway(gateway, now)
        parts = [cached.stats_base]
        if "*" in fields or "ports" in fields:
            parts.append(',"ports":[' + ",".join(cached.ports) + "]")
        if "*" in fields or "vpn_peers" in fields:
            parts.append(',"vpn_peers":[' + ",".join(cached.peers) + "]")
        parts.append("}")
        return "".join(parts)
