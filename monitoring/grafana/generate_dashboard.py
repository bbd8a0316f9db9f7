"""Generate the Grafana dashboard JSON for MistCircuitStats' Prometheus metrics.

Why a generator instead of hand-editing JSON: the panels share a datasource, a label filter and a
grid, and a test (tests/metrics/test_dashboard.py) must find every PromQL expression to run it
against a real Prometheus. Writing the model from one Python description keeps those consistent;
the generated JSON is committed, and the test fails when it differs from what this script writes.

Usage: python monitoring/grafana/generate_dashboard.py   (rewrites dashboards/mistcircuitstats.json)

Panels show bits per second (Grafana unit ``bps``) although the metrics are in bytes per second, as
Prometheus' base units want: every rate expression is multiplied by 8.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent / "dashboards" / "mistcircuitstats.json"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}  # the provisioned datasource's uid
UID = "mistcircuitstats-wan"

ORG = 'org=~"$org"'
CIRCUIT = 'org=~"$org", gateway=~"$gateway", port=~"$port"'
PORT_LABELS = "org, site, gateway, gateway_id, port, wan_name"
# Enabled WAN ports whose link is down (a port of unknown enabled state counts as enabled).
PORTS_DOWN = f"mist_wan_port_up{{{ORG}}} == 0 unless on (gateway_id, port) mist_wan_port_enabled == 0"


def utilisation(selector: str) -> str:
    """Per port, the higher of receive and send rate as a share of the link speed (0..1)."""
    speed = "mist_wan_port_speed_bytes_per_second"
    ratios = {d: f"mist_wan_port_{d}_bytes_per_second{{{selector}}} / {speed}" for d in ("rx", "tx")}
    parts = [f'label_replace({ratio}, "direction", "{d}", "", "")' for d, ratio in ratios.items()]
    return f"max by ({PORT_LABELS}) ({parts[0]} or {parts[1]})"


def target(expr: str, legend: str = "", *, table: bool = False, ref: str = "A") -> dict:
    out = {"datasource": DATASOURCE, "refId": ref, "expr": expr, "legendFormat": legend or "__auto"}
    if table:
        out.update({"instant": True, "range": False, "format": "table"})
    else:
        out.update({"instant": False, "range": True, "format": "time_series"})
    return out


class Layout:
    """Hands out panel ids and grid positions, left to right, top to bottom, 24 columns wide."""

    def __init__(self) -> None:
        self.next_id, self.x, self.y, self.row_height = 1, 0, 0, 0
        self.panels: list[dict] = []

    def row(self, title: str) -> None:
        self._newline()
        self.panels.append(
            {
                "id": self._id(),
                "type": "row",
                "title": title,
                "collapsed": False,
                "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y},
                "panels": [],
            }
        )
        self.y += 1

    def add(self, panel: dict, w: int, h: int) -> None:
        if self.x + w > 24:
            self._newline()
        panel.update(
            {
                "id": self._id(),
                "datasource": DATASOURCE,
                "gridPos": {"h": h, "w": w, "x": self.x, "y": self.y},
            }
        )
        self.panels.append(panel)
        self.x += w
        self.row_height = max(self.row_height, h)

    def _newline(self) -> None:
        self.y += self.row_height
        self.x, self.row_height = 0, 0

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


def stat(title: str, expr: str, description: str, unit: str = "none", thresholds: list | None = None) -> dict:
    steps = thresholds or [{"color": "green", "value": None}]
    return {
        "type": "stat",
        "title": title,
        "description": description,
        "targets": [target(expr, table=False)],
        "options": {
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
            "colorMode": "value",
        },
        "fieldConfig": {
            "defaults": {"unit": unit, "thresholds": {"mode": "absolute", "steps": steps}},
            "overrides": [],
        },
    }


def table(title: str, expr: str, description: str, unit: str = "none", hide: tuple[str, ...] = ()) -> dict:
    """An instant-query table of ports, value last, internal columns hidden."""
    hidden = {name: True for name in ("Time", "__name__", "job", "instance", "org", *hide)}
    return {
        "type": "table",
        "title": title,
        "description": description,
        "targets": [target(expr, table=True)],
        "transformations": [
            {"id": "organize", "options": {"excludeByName": hidden, "renameByName": {"Value": title}}}
        ],
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"showHeader": True},
    }


def timeseries(
    title: str, targets: list[dict], description: str, unit: str = "none", stack: bool = False
) -> dict:
    return {
        "type": "timeseries",
        "title": title,
        "description": description,
        "targets": targets,
        "fieldConfig": {
            "defaults": {
                "unit": unit,
                "custom": {
                    "drawStyle": "line",
                    "fillOpacity": 10,
                    "stacking": {"mode": "normal" if stack else "none"},
                },
            },
            "overrides": [],
        },
        "options": {
            "legend": {"displayMode": "table", "placement": "bottom", "calcs": ["lastNotNull", "max"]}
        },
    }


def variable(name: str, label: str, query: str, *, multi: bool) -> dict:
    return {
        "name": name,
        "label": label,
        "type": "query",
        "datasource": DATASOURCE,
        "query": {"query": query, "refId": f"{name}-values"},
        "definition": query,
        "refresh": 2,  # on time range change: new gateways appear without reloading the dashboard
        "includeAll": True,
        "allValue": ".*",
        "multi": multi,
        "sort": 7,  # natural ascending: br2 before br10
        "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
        "options": [],
    }


def build() -> dict:
    lay = Layout()
    lay.row("Org overview")
    lay.add(
        stat("Gateways", f"count(mist_gateway_connected{{{ORG}}})", "Gateways Mist reports for the org."),
        4,
        4,
    )
    lay.add(
        stat(
            "Disconnected",
            f"count(mist_gateway_connected{{{ORG}}} == 0) or vector(0)",
            "Gateways Mist reports disconnected.",
            thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}],
        ),
        4,
        4,
    )
    lay.add(stat("WAN ports up", f"sum(mist_wan_port_up{{{ORG}}})", "WAN ports with link up."), 4, 4)
    lay.add(
        stat(
            "WAN ports down",
            f"count({PORTS_DOWN}) or vector(0)",
            "Enabled WAN ports whose link is down.",
            thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 1}],
        ),
        4,
        4,
    )
    lay.add(
        stat(
            "Peer paths down",
            f'sum(mist_wan_port_peer_paths{{{ORG}, state="down"}})',
            "VPN peer paths down, over all WAN ports.",
            thresholds=[{"color": "green", "value": None}, {"color": "orange", "value": 1}],
        ),
        4,
        4,
    )
    lay.add(
        stat(
            "Data age",
            f"time() - max(mistcircuitstats_snapshot_timestamp_seconds{{{ORG}}})",
            "Seconds since MistCircuitStats last collected the org from Mist.",
            unit="s",
            thresholds=[{"color": "green", "value": None}, {"color": "red", "value": 600}],
        ),
        4,
        4,
    )
    lay.add(
        timeseries(
            "Org WAN traffic",
            [
                target(f"sum(mist_wan_port_rx_bytes_per_second{{{ORG}}}) * 8", "received", ref="A"),
                target(f"sum(mist_wan_port_tx_bytes_per_second{{{ORG}}}) * 8", "sent", ref="B"),
            ],
            "Sum of the current rates Mist reports for every WAN port.",
            unit="bps",
        ),
        12,
        8,
    )
    lay.add(
        timeseries(
            "Gateways and ports",
            [
                target(f"sum(mist_gateway_connected{{{ORG}}})", "gateways connected", ref="A"),
                target(f"sum(mist_wan_port_up{{{ORG}}})", "WAN ports up", ref="B"),
                target(
                    f"count({PORTS_DOWN}) or vector(0)",
                    "WAN ports down",
                    ref="C",
                ),
            ],
            "Connected gateways and WAN ports by link state over time.",
        ),
        12,
        8,
    )

    lay.row("Circuits needing attention")
    lay.add(
        table(
            "Top utilised circuits",
            f"topk(10, {utilisation(ORG)})",
            "The 10 WAN ports with the highest receive or send rate relative to their link speed.",
            unit="percentunit",
            hide=("gateway_id",),
        ),
        12,
        9,
    )
    lay.add(
        table(
            "Ports down",
            PORTS_DOWN,
            "Enabled WAN ports whose link is down (a disconnected gateway's ports included).",
            hide=("gateway_id",),
        ),
        12,
        9,
    )
    lay.add(
        table(
            "Ports with peer paths down",
            f'sort_desc(mist_wan_port_peer_paths{{{ORG}, state="down"}} > 0)',
            "VPN peer paths down per WAN port.",
            hide=("gateway_id", "state"),
        ),
        12,
        9,
    )
    lay.add(
        table(
            "Most flapping circuits (24 h)",
            f"topk(10, mist_wan_port_flaps_24h{{{ORG}}} > 0)",
            "Link up/down changes in the last 24 hours, from Mist's device events.",
            hide=("gateway_id",),
        ),
        12,
        9,
    )
    lay.add(
        timeseries(
            "Peer paths by state",
            [target(f"sum by (state) (mist_wan_port_peer_paths{{{ORG}}})", "{{state}}")],
            "VPN peer paths up and down over all WAN ports.",
            stack=True,
        ),
        12,
        8,
    )
    lay.add(
        table(
            "Lowest availability (7 days)",
            f"bottomk(10, mist_wan_port_availability_ratio_7d{{{ORG}}} < 1)",
            "Share of the last 7 days each WAN port was up, lowest first.",
            unit="percentunit",
            hide=("gateway_id",),
        ),
        12,
        8,
    )

    lay.row("Circuit detail (pick gateway and port above)")
    lay.add(
        timeseries(
            "Receive and send rate",
            [
                target(
                    f"mist_wan_port_rx_bytes_per_second{{{CIRCUIT}}} * 8", "{{gateway}} {{port}} rx", ref="A"
                ),
                target(
                    f"mist_wan_port_tx_bytes_per_second{{{CIRCUIT}}} * 8", "{{gateway}} {{port}} tx", ref="B"
                ),
                target(
                    f"mist_wan_port_speed_bytes_per_second{{{CIRCUIT}}} * 8",
                    "{{gateway}} {{port}} speed",
                    ref="C",
                ),
            ],
            "Current rates Mist reports for the chosen circuits, with their link speed.",
            unit="bps",
        ),
        16,
        9,
    )
    lay.add(
        timeseries(
            "Utilisation",
            [target(utilisation(CIRCUIT), "{{gateway}} {{port}}")],
            "Higher of receive and send rate as a share of the link speed.",
            unit="percentunit",
        ),
        8,
        9,
    )
    lay.add(
        timeseries(
            "Traffic from byte counters",
            [
                target(
                    f"rate(mist_wan_port_rx_bytes_total{{{CIRCUIT}}}[$__rate_interval]) * 8",
                    "{{gateway}} {{port}} rx",
                    ref="A",
                ),
                target(
                    f"rate(mist_wan_port_tx_bytes_total{{{CIRCUIT}}}[$__rate_interval]) * 8",
                    "{{gateway}} {{port}} tx",
                    ref="B",
                ),
            ],
            "Average rates over the interval from Mist's byte counters (changes once per collection).",
            unit="bps",
        ),
        12,
        8,
    )
    lay.add(
        timeseries(
            "Link and peer paths",
            [
                target(f"mist_wan_port_up{{{CIRCUIT}}}", "{{gateway}} {{port}} link up", ref="A"),
                target(
                    f'mist_wan_port_peer_paths{{{CIRCUIT}, state="up"}}',
                    "{{gateway}} {{port}} paths up",
                    ref="B",
                ),
            ],
            "Link state (1 up, 0 down) and VPN peer paths up over the chosen circuits.",
        ),
        12,
        8,
    )

    lay.row("MistCircuitStats itself")
    lay.add(
        timeseries(
            "Mist API calls",
            [
                target(
                    "sum by (endpoint, status) "
                    "(rate(mistcircuitstats_upstream_calls_total[$__rate_interval])) * 3600",
                    "{{endpoint}} {{status}}",
                )
            ],
            "Calls per hour to the Mist API by endpoint and status (each token allows 5,000 per hour).",
        ),
        8,
        8,
    )
    lay.add(
        timeseries(
            "Collection duration",
            [
                target(
                    "histogram_quantile(0.9, sum by (le) "
                    "(rate(mistcircuitstats_collection_duration_seconds_bucket[$__rate_interval])))",
                    "p90",
                    ref="A",
                ),
                target(
                    "rate(mistcircuitstats_collection_duration_seconds_sum[$__rate_interval])"
                    " / rate(mistcircuitstats_collection_duration_seconds_count[$__rate_interval])",
                    "mean",
                    ref="B",
                ),
            ],
            "Time one collection of the whole org takes.",
            unit="s",
        ),
        8,
        8,
    )
    lay.add(
        timeseries(
            "Token cool-downs",
            [target("mistcircuitstats_token_cooldown_seconds", "{{token}}")],
            "Seconds until each (masked) token may call Mist again after a 429.",
            unit="s",
        ),
        8,
        8,
    )

    return {
        "uid": UID,
        "title": "MistCircuitStats: WAN circuits",
        "description": "Juniper Mist gateway WAN circuits, from MistCircuitStats' /metrics.",
        "tags": ["mist", "wan", "mistcircuitstats"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": True,
        "graphTooltip": 1,
        "refresh": "1m",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {
            "list": [
                variable("org", "Org", "label_values(mist_gateway_connected, org)", multi=False),
                variable(
                    "gateway", "Gateway", f"label_values(mist_wan_port_up{{{ORG}}}, gateway)", multi=True
                ),
                variable(
                    "port",
                    "Port",
                    f'label_values(mist_wan_port_up{{{ORG}, gateway=~"$gateway"}}, port)',
                    multi=True,
                ),
            ]
        },
        "annotations": {"list": []},
        "links": [],
        "panels": lay.panels,
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if argv[1:] == ["--check"]:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT} is out of date: run python {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
