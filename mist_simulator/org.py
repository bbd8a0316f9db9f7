"""The simulated organization: state only, no HTTP (the moto "backend").

`build_org(seed, gateways, ...)` generates sites, gateway templates, hub device profiles, gateways with
their WAN ports (effective config = template or device profile, then device-level overrides) and VPN
peer paths from branches to hubs. Everything comes from `random.Random` seeded with the seed and
fixed epochs, so the same seed gives the same org. Times that must move with the clock (counters,
live rates, uptime) are computed from the traffic model at request time by `payloads.py`; the only
clock input here is `anchor_hour`, the UTC day (in hours) at which "down since" moments are placed.

Generation is a single pass over plain dataclasses (no JSON yet), so 10,000 gateways build in
about a second; JSON is produced lazily and cached per gateway. Device events (`events.py`) are
planned in a second pass with their own random stream, so adding them changed no other value.

Template placeholders (`{{WAN_GE_0_0_0_IP}}`) are resolved where Mist keeps them: the first
gateway of a site puts its values in the *site settings* `vars` (getSiteSetting); a second gateway
of the same site, needing other values for the same names, gets them as device-level `vars`,
which Mist lets override site variables.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field

from .events import EventModel
from .names import CITIES, ORG_NAMES, SITE_KINDS, STREETS, adversarial
from .traffic import MAX_BASE_FRACTION, TrafficModel, Wave

BASE_EPOCH = 1_609_459_200  # 2021-01-01T00:00:00Z: created/modified times are placed after this
JUNIPER_OUIS = ("4c9614", "d0dd49", "3c8c93", "f4a739", "0c8126", "5c5b35")
SRX_BRANCH_MODELS = ("SRX300", "SRX320", "SRX320", "SRX340", "SRX380")
SSR_BRANCH_MODELS = ("SSR120", "SSR130", "SSR130")
SRX_VERSIONS = ("23.4R2-S3.9", "22.4R3-S2.11", "24.2R1.17")
SSR_VERSIONS = ("6.2.5-5.r2", "6.3.0-107.r1")


# -- model -------------------------------------------------------------------------------------


@dataclass(slots=True)
class Template:
    id: str
    name: str
    family: str  # "srx" | "ssr"
    port_config: dict
    created_time: int


@dataclass(slots=True)
class DeviceProfile:
    id: str
    name: str
    family: str
    port_config: dict
    created_time: int


@dataclass(slots=True)
class Site:
    id: str
    name: str
    city: str
    country_code: str
    timezone: str
    tz_hours: int
    lat: float
    lng: float
    address: str
    gatewaytemplate_id: str | None
    created_time: int
    gateways: list = field(default_factory=list)
    vars: dict = field(default_factory=dict)  # site variables: served by getSiteSetting only
    modified_time: int = 0  # bumped by MistSimulator.set_site_vars


@dataclass(slots=True)
class Port:
    interface: str  # config key, e.g. "ge-0/0/1.100"
    port_id: str  # physical port carrying it, e.g. "ge-0/0/1"
    usage: str  # "wan" | "lan"
    config: dict  # effective port_config entry
    override: bool  # the entry comes from the device's own port_config
    transport: str  # "inet" | "mpls" | "lte" | "lan": which hub port a path goes to
    wan_type: str  # "broadband" | "lte"
    vlan: int | None
    address_mode: str  # "Static" | "DHCP"
    ip: str | None  # "203.0.113.10/29"
    speed_mbps: int
    port_mac: str
    neighbor_mac: str
    disabled: bool
    up: bool
    wave: Wave
    rx_errors: int
    tx_errors: int
    last_flapped: int  # static part; ports flapping often get it from the event model per slot
    lte: dict | None = None
    flaps_per_day: int = 0  # > 0: a port flapping often (events.py generates its flaps lazily)

    @property
    def wan_name(self) -> str | None:
        return self.config.get("name") if self.usage == "wan" else None


@dataclass(slots=True)
class PeerPath:
    port: Port
    hub: Gateway
    hub_port: Port
    vpn_name: str
    type: str  # "ipsec" (SRX) | "svr" (SSR)
    up: bool
    is_active: bool
    latency: float
    jitter: float
    loss: float
    mos: float
    uptime: int
    mtu: int
    hop_count: int


@dataclass(slots=True)
class Gateway:
    id: str
    site: Site
    name: str
    hostname: str
    mac: str
    serial: str
    model: str
    family: str
    role: str  # "hub" | "branch"
    connected: bool
    boot_epoch: int
    dead_hour: int | None  # disconnected since this hour index
    version: str
    ip: str
    ext_ip: str | None
    is_ha: bool
    node1_mac: str | None
    deviceprofile_id: str | None
    device_port_config: dict  # device-level overrides (may be empty)
    vars: dict
    created_time: int
    ports: list = field(default_factory=list)
    peers: list = field(default_factory=list)

    @property
    def wan_ports(self) -> list[Port]:
        return [p for p in self.ports if p.usage == "wan"]


@dataclass(slots=True)
class Org:
    id: str
    name: str
    seed: int
    anchor_hour: int
    traffic: TrafficModel
    sites: list
    gateways: list
    templates: list
    profiles: list
    created_time: int
    site_by_id: dict = field(default_factory=dict)
    gateway_by_id: dict = field(default_factory=dict)
    events: object = None  # events.EventModel, set by build_org

    def index(self) -> None:
        self.site_by_id = {s.id: s for s in self.sites}
        self.gateway_by_id = {g.id: g for g in self.gateways}

    def truth(self) -> dict:
        """Ground truth for tests: counts a correct dashboard must show."""
        wan = [p for g in self.gateways for p in g.wan_ports]
        return {
            "gateways": len(self.gateways),
            "connected": sum(g.connected for g in self.gateways),
            "wan_ports": len(wan),
            "wan_ports_up": sum(p.up for p in wan),
            "sites": len(self.sites),
            "flapping_ports": sum(p.flaps_per_day > 0 for p in wan),
        }


# -- port layouts ------------------------------------------------------------------------------

# (interface, wan name, addressing, vlan) per WAN; the transport is read from the name.
BRANCH_LAYOUTS = (
    ("Branch Single ISP", "srx", 12, (("ge-0/0/0", "INET", "dhcp", None),)),
    (
        "Branch Dual ISP",
        "srx",
        30,
        (("ge-0/0/0", "INET1", "dhcp", None), ("ge-0/0/1", "INET2", "dhcp", None)),
    ),
    (
        "Branch MPLS + Internet",
        "srx",
        20,
        (("ge-0/0/0", "MPLS", "static", None), ("ge-0/0/1.100", "INET", "dhcp", 100)),
    ),
    (
        "Branch Dual + LTE",
        "srx",
        14,
        (
            ("ge-0/0/0", "INET1", "static", None),
            ("ge-0/0/1", "INET2", "dhcp", None),
            ("cl-1/0/0", "LTE", "dhcp", None),
        ),
    ),
    (
        "Branch Quad WAN",
        "srx",
        6,
        (
            ("ge-0/0/0", "MPLS", "static", None),
            ("ge-0/0/1.200", "INET1", "dhcp", 200),
            ("ge-0/0/2", "INET2", "dhcp", None),
            ("cl-1/0/0", "LTE", "dhcp", None),
        ),
    ),
    (
        "SSR Branch Dual",
        "ssr",
        8,
        (("ge-0/0/0", "INET1", "dhcp", None), ("ge-0/0/1", "INET2", "static", None)),
    ),
    ("SSR Branch LTE", "ssr", 5, (("ge-0/0/0", "INET", "dhcp", None), ("lte0", "LTE", "dhcp", None))),
    (
        "SSR Branch Triple",
        "ssr",
        5,
        (
            ("ge-0/0/0", "MPLS", "static", None),
            ("ge-0/0/1.300", "INET", "dhcp", 300),
            ("lte0", "LTE", "dhcp", None),
        ),
    ),
)
HUB_LAYOUTS = (
    (
        "Hub DC SRX",
        "srx",
        (
            ("xe-0/0/0", "INET-A", "static", None),
            ("xe-0/0/1", "MPLS-A", "static", None),
            ("ge-0/0/2", "INET-B", "static", None),
        ),
    ),
    ("Hub DC SSR", "ssr", (("xe-1/0/0", "INET-A", "static", None), ("xe-1/0/1", "MPLS-A", "static", None))),
)
LAN_PORT = {"srx": "ge-0/0/4", "ssr": "ge-0/0/3"}
HUB_LAN_PORT = {"srx": "xe-0/0/3", "ssr": "xe-1/0/2"}
HUB_CITIES = ("DC East", "DC West", "DC Frankfurt", "DC Singapore", "DC London", "DC Tokyo")


def modified(created: int) -> int:
    """A stable modified_time after `created` (within 90 days)."""
    return created + (created % 7_776_000)


def transport_of(wan_name: str) -> str:
    upper = wan_name.upper()
    if "MPLS" in upper:
        return "mpls"
    if "LTE" in upper:
        return "lte"
    return "inet"


def var_name(interface: str, suffix: str) -> str:
    return "WAN_" + interface.replace("/", "_").replace("-", "_").replace(".", "_").upper() + "_" + suffix


# -- generator ---------------------------------------------------------------------------------


class OrgBuilder:
    """One pass of seeded choices; call `build()` once."""

    def __init__(
        self,
        seed: int,
        gateways: int,
        adversarial_names: bool,
        anchor_hour: int,
        name: str | None,
        empty_site_fraction: float,
    ) -> None:
        if not 1 <= gateways <= 10_000:
            raise ValueError("gateways must be between 1 and 10,000")
        self.rng = random.Random(f"org:{seed}")
        self.seed = seed
        self.n_gateways = gateways
        self.adv = adversarial_names
        self.anchor_hour = anchor_hour
        self.name = name
        self.empty_site_fraction = empty_site_fraction
        self.mac_base = self.rng.randrange(0, 2**24 - 32 * (gateways + 1))
        self.oui = self.rng.choice(JUNIPER_OUIS)
        self.text_counter = 0

    # small helpers
    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def text(self, base: str) -> str:
        """User-typed text: adversarial in adversarial mode."""
        if not self.adv:
            return base
        self.text_counter += 1
        return adversarial(base, self.text_counter)

    def epoch(self) -> int:
        return BASE_EPOCH + self.rng.randrange(0, 3 * 365 * 86400)

    def mac(self, index: int, offset: int = 0) -> str:
        return f"{self.oui}{(self.mac_base + index * 32 + offset) % 2**24:06x}"

    def public_ip(self) -> str:
        net = self.rng.choice(("203.0.113", "198.51.100", "192.0.2"))
        return f"{net}.{self.rng.randrange(2, 250)}"

    # config
    def wan_entry(self, interface: str, wan_name: str, mode: str, vlan: int | None, templated: bool) -> dict:
        lte = interface.startswith(("cl-", "lte"))
        entry: dict = {
            "usage": "wan",
            "name": self.text(wan_name),
            "description": self.text(f"{wan_name} circuit"),
            "disabled": False,
            "wan_type": "lte" if lte else "broadband",
        }
        if vlan is not None:
            entry["vlan_id"] = vlan
        if mode == "static":
            entry["ip_config"] = {
                "type": "static",
                "ip": "{{" + var_name(interface, "IP") + "}}" if templated else self.public_ip(),
                "netmask": "/29",
                "gateway": "{{" + var_name(interface, "GW") + "}}" if templated else self.public_ip(),
            }
        else:
            entry["ip_config"] = {"type": "dhcp"}
        if lte:
            entry["lte_apn"] = "internet"
            entry["lte_auth"] = "none"
        return entry

    def port_config(self, wans: tuple, lan_port: str) -> dict:
        config = {iface: self.wan_entry(iface, name, mode, vlan, True) for iface, name, mode, vlan in wans}
        config[lan_port] = {"usage": "lan", "networks": ["corp"], "description": self.text("LAN trunk")}
        return config

    def build_templates(self) -> tuple[list[Template], list[int]]:
        templates, weights = [], []
        for name, family, weight, wans in BRANCH_LAYOUTS:
            templates.append(
                Template(self.uuid(), name, family, self.port_config(wans, LAN_PORT[family]), self.epoch())
            )
            weights.append(weight)
        return templates, weights

    def build_profiles(self) -> list[DeviceProfile]:
        return [
            DeviceProfile(
                self.uuid(), name, family, self.port_config(wans, HUB_LAN_PORT[family]), self.epoch()
            )
            for name, family, wans in HUB_LAYOUTS
        ]

    # sites
    def site(self, index: int, kind: str, template: Template | None) -> Site:
        city, cc, tz, tz_hours, lat, lng = self.rng.choice(CITIES)
        number = self.rng.randrange(1, 9999)
        address = f"{self.rng.randrange(1, 2000)} {self.rng.choice(STREETS)}, {city}, {cc}"
        site = Site(
            id=self.uuid(),
            name=self.text(f"{kind} {index:05d} {city}"),
            city=city,
            country_code=cc,
            timezone=tz,
            tz_hours=tz_hours,
            lat=round(lat + self.rng.uniform(-0.2, 0.2), 5),
            lng=round(lng + self.rng.uniform(-0.2, 0.2), 5),
            address=address if number % 7 else self.text(address),
            gatewaytemplate_id=template.id if template else None,
            created_time=self.epoch(),
        )
        site.modified_time = modified(site.created_time)
        return site

    # gateways
    def gateway(self, index: int, site: Site, role: str, family: str, slot: int) -> Gateway:
        rng = self.rng
        if role == "hub":
            model = (
                "SRX1500"
                if family == "srx" and rng.random() < 0.6
                else ("SRX4100" if family == "srx" else "SSR1200")
            )
        else:
            model = rng.choice(SRX_BRANCH_MODELS if family == "srx" else SSR_BRANCH_MODELS)
        connected = role == "hub" or rng.random() >= 0.06
        is_ha = (rng.random() < 0.5) if role == "hub" else (family == "srx" and rng.random() < 0.06)
        short = site.city.lower().replace(" ", "")[:6]
        hostname = f"{short}-{role[:2]}{index:05d}-gw{slot}"
        anchor_epoch = self.anchor_hour * 3600
        return Gateway(
            id=self.uuid(),
            site=site,
            name=self.text(hostname),
            hostname=hostname,
            mac=self.mac(index),
            serial=("CW" if family == "srx" else "TA") + f"{rng.randrange(10**9, 10**10)}",
            model=model,
            family=family,
            role=role,
            connected=connected,
            boot_epoch=anchor_epoch - rng.randrange(3600, 90 * 86400),
            dead_hour=None if connected else self.anchor_hour - rng.randrange(2, 96),
            version=rng.choice(SRX_VERSIONS if family == "srx" else SSR_VERSIONS),
            ip=f"10.{rng.randrange(0, 255)}.{rng.randrange(0, 255)}.1",
            ext_ip=None,
            is_ha=is_ha,
            node1_mac=self.mac(index, 31) if is_ha else None,
            deviceprofile_id=None,
            device_port_config={},
            vars={},
            created_time=self.epoch(),
        )

    def overrides(self, gateway: Gateway, base: dict) -> dict:
        """Device-level port_config differing from the template for about one gateway in eight."""
        rng = self.rng
        if rng.random() >= 0.12:
            return {}
        wans = [k for k, v in base.items() if v["usage"] == "wan"]
        iface = rng.choice(wans)
        entry = {**base[iface], "ip_config": dict(base[iface]["ip_config"])}
        change = rng.choice(("description", "static", "disabled", "description", "static"))
        if change == "description":
            entry["description"] = self.text(f"Circuit CKT-{rng.randrange(10**5, 10**6)} (site override)")
        elif change == "static":
            entry["ip_config"] = {
                "type": "static",
                "ip": self.public_ip(),
                "netmask": "/29",
                "gateway": self.public_ip(),
            }
        else:
            entry["disabled"] = True
        out = {iface: entry}
        spare = "ge-0/0/3" if gateway.family == "srx" else "ge-0/0/2"
        if len(wans) < 4 and spare not in base and rng.random() < 0.3:
            out[spare] = self.wan_entry(spare, "INET-EXTRA", "dhcp", None, False)
        return out

    def resolve_ip(self, gateway: Gateway, interface: str, entry: dict) -> tuple[str, str | None]:
        ip_config = entry.get("ip_config", {})
        if ip_config.get("type") == "static":
            ip = ip_config.get("ip", "")
            if ip.startswith("{{"):
                ip = self.public_ip()
                ip_var, gw_var = var_name(interface, "IP"), var_name(interface, "GW")
                # Site variables first; a second gateway of the site overrides them on the device.
                holder = gateway.site.vars if ip_var not in gateway.site.vars else gateway.vars
                holder[ip_var] = ip
                holder[gw_var] = self.public_ip()
            return "Static", f"{ip}/29"
        octets = f"{self.rng.randrange(64, 127)}.{self.rng.randrange(0, 255)}.{self.rng.randrange(2, 254)}"
        if interface.startswith(("cl-", "lte")):
            return "DHCP", f"10.{octets}/30"
        return "DHCP", f"100.{octets}/22"

    def speed(self, interface: str, role: str) -> int:
        if interface.startswith("xe-"):
            return 10_000
        if interface.startswith(("cl-", "lte")):
            return 100
        return self.rng.choice((1000, 1000, 1000, 100)) if role == "branch" else 1000

    def wave(
        self, site: Site, speed_mbps: int, transport: str, dead_from: int | None, disabled: bool
    ) -> Wave:
        rng = self.rng
        speed_bps = speed_mbps * 1_000_000
        fraction = rng.uniform(0.005, 0.03) if transport == "lte" else rng.uniform(0.03, MAX_BASE_FRACTION)
        rx = speed_bps * fraction
        latency = {"mpls": (4, 20), "inet": (8, 45), "lte": (35, 90), "lan": (0.2, 1)}[transport]
        jitter = {"mpls": (0.2, 2), "inet": (0.5, 6), "lte": (4, 20), "lan": (0.05, 0.3)}[transport]
        return Wave(
            phase_rx=rng.randrange(0, 1 << 20),
            phase_tx=rng.randrange(0, 1 << 20),
            event_phase=rng.randrange(0, 1 << 20),
            tz_hours=site.tz_hours,
            rx_base=rx,
            tx_base=rx * rng.uniform(0.15, 0.6),
            speed_bps=speed_bps,
            latency_base=rng.uniform(*latency),
            jitter_base=rng.uniform(*jitter),
            dead_from_hour=dead_from,
            disabled=disabled,
        )

    def ports(self, gateway: Gateway, index: int, config: dict) -> list[Port]:
        rng = self.rng
        ports = []
        for slot, (iface, entry) in enumerate(config.items()):
            disabled = bool(entry.get("disabled"))
            down = gateway.connected and not disabled and rng.random() < 0.05
            dead_from = (
                gateway.dead_hour
                if not gateway.connected
                else (self.anchor_hour - rng.randrange(1, 72) if down else None)
            )
            usage = entry["usage"]
            transport = transport_of(entry.get("name", "")) if usage == "wan" else "lan"
            mode, ip = self.resolve_ip(gateway, iface, entry) if usage == "wan" else ("Static", "10.0.0.1/24")
            speed = self.speed(iface, gateway.role)
            lte = iface.startswith(("cl-", "lte"))
            ports.append(
                Port(
                    interface=iface,
                    port_id=iface.split(".")[0],
                    usage=usage,
                    config=entry,
                    override=iface in gateway.device_port_config,
                    transport=transport,
                    wan_type="lte" if lte else "broadband",
                    vlan=entry.get("vlan_id"),
                    address_mode=mode,
                    ip=ip,
                    speed_mbps=speed,
                    port_mac=self.mac(index, slot + 1),
                    neighbor_mac="" if lte else f"0050c2{rng.randrange(0, 2**24):06x}",
                    disabled=disabled,
                    up=gateway.connected and not disabled and not down,
                    wave=self.wave(gateway.site, speed, transport, dead_from, disabled),
                    rx_errors=rng.choice((0, 0, 0, rng.randrange(1, 500))),
                    tx_errors=rng.choice((0, 0, 0, 0, rng.randrange(1, 50))),
                    last_flapped=self.anchor_hour * 3600 - rng.randrange(600, 30 * 86400),
                    lte={
                        "lte_imei": f"35{rng.randrange(10**12, 10**13)}",
                        "lte_iccid": f"8901{rng.randrange(10**15, 10**16)}",
                        "lte_imsi": f"310{rng.randrange(10**11, 10**12)}",
                    }
                    if lte
                    else None,
                )
            )
        up_wan = [p for p in ports if p.usage == "wan" and p.up]
        gateway.ext_ip = self.public_ip() if up_wan else None
        return ports

    def peer_paths(self, branch: Gateway, index: int, hubs: list[Gateway]) -> list[PeerPath]:
        if not hubs or not branch.connected:
            return []
        rng = self.rng
        targets = [hubs[index % len(hubs)]]
        if len(hubs) > 1:
            targets.append(hubs[(index + 1) % len(hubs)])
        paths = []
        for port in branch.wan_ports:
            if port.disabled:
                continue
            for hub in targets:
                wanted = "mpls" if port.transport == "mpls" else "inet"
                hub_port = next((p for p in hub.wan_ports if p.transport == wanted), None)
                if hub_port is None:
                    continue
                up = port.up and rng.random() >= 0.05
                latency = round(port.wave.latency_base + rng.uniform(2, 60), 1)
                jitter = round(port.wave.jitter_base * rng.uniform(0.5, 1.5), 2)
                loss = round(rng.choice((0.0, 0.0, 0.0, rng.uniform(0, 3))), 2)
                mos = round(max(1.0, min(4.5, 4.4 - latency / 200 - jitter / 40 - loss * 0.3)), 2)
                paths.append(
                    PeerPath(
                        port=port,
                        hub=hub,
                        hub_port=hub_port,
                        vpn_name=f"{hub.hostname}-{hub_port.wan_name}",
                        type="ipsec" if branch.family == "srx" else "svr",
                        up=up,
                        is_active=up and port.transport != "lte",
                        latency=latency,
                        jitter=jitter,
                        loss=loss,
                        mos=mos,
                        uptime=rng.randrange(600, 30 * 86400) if up else 0,
                        mtu=1400 if branch.family == "srx" else 1500,
                        hop_count=rng.randrange(1, 14),
                    )
                )
        return paths

    def build(self) -> Org:
        rng = self.rng
        org_id = self.uuid()
        name = self.name or ORG_NAMES[self.seed % len(ORG_NAMES)]
        templates, weights = self.build_templates()
        profiles = self.build_profiles()
        n_hubs = (
            0
            if self.n_gateways < 2
            else 1
            if self.n_gateways < 20
            else 2
            if self.n_gateways < 500
            else min(6, 2 + self.n_gateways // 2500)
        )
        sites: list[Site] = []
        gateways: list[Gateway] = []
        hubs: list[Gateway] = []
        for h in range(n_hubs):
            site = self.site(len(sites) + 1, HUB_CITIES[h % len(HUB_CITIES)], None)
            sites.append(site)
            profile = profiles[0] if h % 3 != 2 else profiles[1]
            hub = self.gateway(len(gateways), site, "hub", profile.family, 1)
            hub.deviceprofile_id = profile.id
            hub.ports = self.ports(hub, len(gateways), dict(profile.port_config))
            site.gateways.append(hub)
            gateways.append(hub)
            hubs.append(hub)
        site, template = None, None
        while len(gateways) < self.n_gateways:
            if site is None or len(site.gateways) >= 2 or rng.random() >= 0.08:
                template = rng.choices(templates, weights)[0]
                site = self.site(len(sites) + 1, rng.choice(SITE_KINDS), template)
                sites.append(site)
            index = len(gateways)
            gateway = self.gateway(index, site, "branch", template.family, len(site.gateways) + 1)
            gateway.device_port_config = self.overrides(gateway, template.port_config)
            effective = {**template.port_config, **gateway.device_port_config}
            gateway.ports = self.ports(gateway, index, effective)
            gateway.peers = self.peer_paths(gateway, index, hubs)
            site.gateways.append(gateway)
            gateways.append(gateway)
        n_empty = int(len(sites) * self.empty_site_fraction / max(1e-9, 1 - self.empty_site_fraction))
        for _ in range(n_empty):
            sites.append(self.site(len(sites) + 1, rng.choice(SITE_KINDS), None))
        org = Org(
            id=org_id,
            name=name,
            seed=self.seed,
            anchor_hour=self.anchor_hour,
            traffic=TrafficModel(self.seed),
            sites=sites,
            gateways=gateways,
            templates=templates,
            profiles=profiles,
            created_time=BASE_EPOCH - 86400 * (self.seed % 300),
        )
        org.index()
        org.events = EventModel.plan(org)
        return org


def build_org(
    seed: int,
    gateways: int,
    *,
    adversarial_names: bool = False,
    anchor_hour: int,
    name: str | None = None,
    empty_site_fraction: float = 0.2,
) -> Org:
    """Generate one organization (deterministic for equal arguments)."""
    return OrgBuilder(seed, gateways, adversarial_names, anchor_hour, name, empty_site_fraction).build()
