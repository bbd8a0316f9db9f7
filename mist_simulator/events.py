"""Gateway device events of a simulated org: what `searchOrgDeviceEvents` and its count answer.

Why a model of its own: the events must agree with the port statistics (a port that is down now
has GW_PORT_DOWN as its latest up/down event, and `last_flapped` is the time of that latest event)
while costing almost nothing to build for 10,000 gateways. So:

- Rare events (a port that went down, an occasional flap, ARP/DHCP trouble, VPN path changes,
  gateway disconnects) are planned once, at build time, from a random stream of their own
  (`events:<seed>`): the org's other values do not move when this model changes. They all lie in
  the week before the org's anchor (midnight UTC of the day the simulator was built).
- A few ports flap often (5 to 30 times a day). Their flaps are a pure function of (seed, gateway,
  port, UTC day) and are generated only when asked, day by day. Each flap (GW_PORT_DOWN then
  GW_PORT_UP a few seconds later) starts and ends inside one 5-minute slot, so at every slot
  boundary, the moment the port statistics describe, such a port is up.
- The cloud shows the events before the start of the current 5-minute slot (the same moment
  the statistics describe), so one timeline is built and cached per slot.

Event types used (the names Mist's device-event definitions give them): GW_PORT_DOWN, GW_PORT_UP,
GW_VPN_PATH_DOWN, GW_VPN_PATH_UP, GW_ARP_UNRESOLVED, GW_ARP_RESOLVED, GW_DHCP_UNRESOLVED,
GW_DHCP_RESOLVED, GW_DISCONNECTED, GW_CONNECTED.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .org import Gateway, Org, Port

DAY = 86_400
WEEK = 7 * DAY
SLOT = 300
PORT_TYPES = ("GW_PORT_DOWN", "GW_PORT_UP")
EVENT_TYPES = (
    "GW_PORT_DOWN",
    "GW_PORT_UP",
    "GW_VPN_PATH_DOWN",
    "GW_VPN_PATH_UP",
    "GW_ARP_UNRESOLVED",
    "GW_ARP_RESOLVED",
    "GW_DHCP_UNRESOLVED",
    "GW_DHCP_RESOLVED",
    "GW_DISCONNECTED",
    "GW_CONNECTED",
)
# Share of WAN ports (up, on connected gateways) with an occasional flap in the week, and the
# one port in FLAPPY_ONE_IN that flaps often (at least MIN_FLAPPY per org).
OCCASIONAL_FLAP = 0.08
FLAPPY_ONE_IN = 80
MIN_FLAPPY = 2

# One event: (timestamp, type, gateway, port_id or None, vpn_name or None)
Event = tuple


@lru_cache(maxsize=65_536)
def flap_times(key: str, per_day: int, day: int) -> tuple[tuple[int, int], ...]:
    """(down, up) epochs of a frequently flapping port on UTC day `day`, each inside one slot."""
    rng = random.Random(f"{key}:{day}")
    count = max(1, per_day + rng.randint(-2, 2))
    slots = sorted(rng.sample(range(DAY // SLOT), count))
    pairs = []
    for slot in slots:
        offset = rng.randrange(5, 200)
        down = day * DAY + slot * SLOT + offset
        pairs.append((down, down + rng.randrange(3, min(90, SLOT - offset - 1))))
    return tuple(pairs)


def port_text(kind: str, port_id: str) -> str:
    return f"Interface {port_id} {kind}"


class EventModel:
    """The events of one org; see the module docstring."""

    def __init__(self, org: Org, planned: list[Event], flappy: list[tuple[Gateway, Port]]) -> None:
        self.org = org
        self.planned = planned
        self.flappy = flappy
        self.week_start = org.anchor_hour * 3600 - WEEK
        self._timeline: tuple[int, list[Event]] | None = None
        self._lock = threading.Lock()

    # -- planning ------------------------------------------------------------------------------

    @classmethod
    def plan(cls, org: Org) -> EventModel:
        rng = random.Random(f"events:{org.seed}")
        anchor = org.anchor_hour * 3600
        week_start = anchor - WEEK
        planned: list[Event] = []
        add = planned.append
        quiet: list[tuple[Gateway, Port]] = []

        def some_time(earliest: int = week_start, latest: int = anchor - 3600) -> int:
            return rng.randrange(earliest, latest)

        for gateway in org.gateways:
            dead = gateway.dead_hour * 3600 if gateway.dead_hour is not None else None
            for port in gateway.ports:
                # A moment before the week: what `last_flapped` says when nothing happened since.
                port.last_flapped = week_start - rng.randrange(DAY, 60 * DAY)
                if port.disabled:  # administratively down: no link events
                    continue
                pid = port.port_id
                if dead is not None:  # the links went down, then the cloud lost the gateway
                    down = dead - rng.randrange(1, 60)
                    add((down, "GW_PORT_DOWN", gateway, pid, None))
                    port.last_flapped = down
                    continue
                if not port.up:
                    down = port.wave.dead_from_hour * 3600 - rng.randrange(1, 600)
                    add((down, "GW_PORT_DOWN", gateway, pid, None))
                    if port.usage == "wan" and port.address_mode == "DHCP":
                        add((down + rng.randrange(30, 120), "GW_DHCP_UNRESOLVED", gateway, pid, None))
                    port.last_flapped = down
                    continue
                if port.usage != "wan":  # LAN ports that are up stay quiet
                    continue
                roll = rng.random()
                if roll < OCCASIONAL_FLAP:
                    back_up = week_start
                    for down in sorted(some_time() for _ in range(rng.randint(1, 3))):
                        if down <= back_up:  # keep down/up strictly alternating
                            continue
                        back_up = down + rng.randrange(20, 1800)
                        add((down, "GW_PORT_DOWN", gateway, pid, None))
                        add((back_up, "GW_PORT_UP", gateway, pid, None))
                    port.last_flapped = back_up
                else:
                    quiet.append((gateway, port))
                trouble = rng.random()
                if trouble < 0.04:
                    kind = "ARP" if port.address_mode == "Static" else "DHCP"
                    start = some_time()
                    add((start, f"GW_{kind}_UNRESOLVED", gateway, pid, None))
                    add((start + rng.randrange(60, 900), f"GW_{kind}_RESOLVED", gateway, pid, None))
            for path in gateway.peers:
                if not path.up:
                    if path.port.up:
                        at = some_time(anchor - 3 * DAY)
                    else:
                        at = path.port.last_flapped + rng.randrange(5, 60)
                    add((at, "GW_VPN_PATH_DOWN", gateway, path.port.interface, path.vpn_name))
                elif path.uptime < WEEK - 3600:
                    up_at = anchor - path.uptime
                    add(
                        (
                            up_at - rng.randrange(30, 900),
                            "GW_VPN_PATH_DOWN",
                            gateway,
                            path.port.interface,
                            path.vpn_name,
                        )
                    )
                    add((up_at, "GW_VPN_PATH_UP", gateway, path.port.interface, path.vpn_name))
            if dead is not None:
                add((dead + rng.randrange(30, 300), "GW_DISCONNECTED", gateway, None, None))
            elif rng.random() < 0.05:
                gone = some_time()
                add((gone, "GW_DISCONNECTED", gateway, None, None))
                add((gone + rng.randrange(60, 3600), "GW_CONNECTED", gateway, None, None))
        flappy = rng.sample(quiet, min(len(quiet), max(MIN_FLAPPY, len(quiet) // FLAPPY_ONE_IN)))
        for _gateway, port in flappy:
            port.flaps_per_day = rng.randint(5, 30)
        planned.sort(key=itemgetter(0))
        return cls(org, planned, flappy)

    # -- frequent flaps ------------------------------------------------------------------------

    def _key(self, gateway: Gateway, port: Port) -> str:
        return f"{self.org.seed}:{gateway.mac}:{port.port_id}"

    def _flaps(self, gateway: Gateway, port: Port, until: int) -> list[tuple[int, int]]:
        """Every (down, up) of a frequently flapping port from the week start to `until`."""
        key, out = self._key(gateway, port), []
        for day in range(self.week_start // DAY, until // DAY + 1):
            out.extend(
                p
                for p in flap_times(key, port.flaps_per_day, day)
                if self.week_start <= p[0] and p[1] < until
            )
        return out

    def last_flapped(self, gateway: Gateway, port: Port, view: int) -> int:
        """`last_flapped` of a port as seen at `view` (a slot start): its latest up/down event."""
        if not port.flaps_per_day:
            return port.last_flapped
        key = self._key(gateway, port)
        for day in range(view // DAY, self.week_start // DAY - 1, -1):
            done = [up for _down, up in flap_times(key, port.flaps_per_day, day) if up < view]
            if done:
                return max(done[-1], port.last_flapped)
        return port.last_flapped

    # -- the timeline --------------------------------------------------------------------------

    def timeline(self, now: int) -> list[Event]:
        """All events before the start of `now`'s 5-minute slot, oldest first (cached per slot)."""
        view = now // SLOT * SLOT
        cached = self._timeline
        if cached is not None and cached[0] == view:
            return cached[1]
        events = [e for e in self.planned if e[0] < view]
        for gateway, port in self.flappy:
            for down, up in self._flaps(gateway, port, view):
                events.append((down, "GW_PORT_DOWN", gateway, port.port_id, None))
                events.append((up, "GW_PORT_UP", gateway, port.port_id, None))
        events.sort(key=itemgetter(0))
        with self._lock:
            self._timeline = (view, events)
        return events

    def document(self, event: Event) -> dict:
        """One search result, as Mist shapes a gateway device event."""
        timestamp, kind, gateway, port_id, vpn_name = event
        out = {
            "timestamp": timestamp,
            "type": kind,
            "org_id": self.org.id,
            "site_id": gateway.site.id,
            "mac": gateway.mac,
            "device_type": "gateway",
            "model": gateway.model,
        }
        if port_id is not None:
            out["port_id"] = port_id
        if vpn_name is not None:
            out["vpn_name"] = vpn_name
        out["text"] = event_text(kind, port_id, vpn_name)
        return out

    def port_flaps(self, now: int, start: int | None = None, end: int | None = None) -> Counter:
        """Ground truth: GW_PORT_DOWN events per (mac, port_id) in [start, end) (default: last 7 days)."""
        end = now if end is None else end
        start = end - WEEK if start is None else start
        return Counter(
            (e[2].mac, e[3]) for e in self.timeline(now) if e[1] == "GW_PORT_DOWN" and start <= e[0] < end
        )


def event_text(kind: str, port_id: str | None, vpn_name: str | None) -> str:
    if kind == "GW_PORT_DOWN":
        return port_text("went down", port_id)
    if kind == "GW_PORT_UP":
        return port_text("came up", port_id)
    if kind.startswith("GW_VPN_PATH_"):
        state = "down" if kind.endswith("DOWN") else "up"
        return f"Peer path {vpn_name} over {port_id} is {state}"
    if kind == "GW_ARP_UNRESOLVED":
        return f"ARP for the next hop of {port_id} is unresolved"
    if kind == "GW_ARP_RESOLVED":
        return f"ARP for the next hop of {port_id} is resolved"
    if kind == "GW_DHCP_UNRESOLVED":
        return f"No DHCP lease on {port_id}"
    if kind == "GW_DHCP_RESOLVED":
        return f"DHCP lease obtained on {port_id}"
    if kind == "GW_DISCONNECTED":
        return "Gateway disconnected from the cloud"
    return "Gateway connected to the cloud"
