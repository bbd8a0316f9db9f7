"""Problem rules at and around their thresholds, their order, counts and thresholds settings."""

from __future__ import annotations

import pytest

from circuits import build_gateway_rows, split_interface
from circuitstats.problems import KINDS, Thresholds, compute_problems, problem_counts, sort_key
from config import ConfigError, settings_from_env
from tests.support.rows import gateway_row, port_row

NOW = 1_764_400_000.0
LIMITS = Thresholds()
GW_UUID = "00000000-0000-4000-8000-0000000000a1"  # rows are built only for valid (UUID) ids
SITE_UUID = "00000000-0000-4000-8000-0000000000b1"


def port(name: str = "ge-0/0/0", **values) -> dict:
    """A healthy PortRow (up, enabled, 100 Mbps, idle, 2 of 2 paths up) with the given values."""
    return port_row(
        {
            "name": name,
            "wan_name": "wan",
            "enabled": True,
            "up": True,
            "type": "DHCP",
            "peers_up": 2,
            "peers_total": 2,
            "rx_bytes": 0,
            "tx_bytes": 0,
            "speed": 100,
            "rx_bps": 1_000_000,
            "tx_bps": 1_000_000,
            "last_flapped": NOW - 30 * 86400,
        },
        **values,
    )


def gateway(ports: list[dict] | None = None, **values) -> dict:
    """A connected GatewayRow with the given ports (one healthy port by default)."""
    return gateway_row(
        {
            "id": "gw-1",
            "name": "branch-1",
            "site_id": "site-1",
            "site_name": "Site One",
            "model": "SRX320",
            "status": "connected",
            "uptime": 1000,
            "last_seen": NOW,
            "mac": "001122aabbcc",
            "ports": [port()] if ports is None else ports,
        },
        **values,
    )


def path(port_id: str = "ge-0/0/0", **values) -> dict:
    """A healthy VPN peer path (Snapshot.peers item) with the given values."""
    item = {"port_id": port_id, "vpn_name": "vpn", "peer_router_name": "hub-1", "up": True}
    item.update({"latency": 20, "loss": 0, "jitter": 2})
    item.update(values)
    return item


def problems(rows, peers=None, history=None, limits=LIMITS) -> list[dict]:
    return compute_problems(rows, peers or {}, history or {}, limits, NOW)


def kinds(rows, peers=None, history=None, limits=LIMITS) -> list[str]:
    return [p["kind"] for p in problems(rows, peers, history, limits)]


def test_a_healthy_gateway_has_no_problems():
    assert problems([gateway()], {"gw-1": [path(), path()]}, {"gw-1|ge-0/0/0": {"flaps_24h": 0}}) == []


# ---------------------------------------------------------------------------------------------
# gateway_disconnected
# ---------------------------------------------------------------------------------------------


def test_disconnected_gateway_is_critical_since_last_seen_and_hides_its_stale_port_problems():
    row = gateway([port(up=False)], status="disconnected", last_seen=NOW - 7200)
    [problem] = problems([row], {"gw-1": [path(up=False)]}, {"gw-1|ge-0/0/0": {"flaps_24h": 9}})
    assert problem == {
        "kind": "gateway_disconnected",
        "severity": "critical",
        "gateway_id": "gw-1",
        "gateway": "branch-1",
        "site_id": "site-1",
        "site": "Site One",
        "port": None,
        "since": NOW - 7200,
        "detail": "disconnected from the Mist cloud",
        "value": None,
        "threshold": None,
        "first_seen": NOW,
    }


@pytest.mark.parametrize("status", ["connected", None, "restarting"])
def test_only_the_disconnected_status_is_a_disconnection(status):
    assert "gateway_disconnected" not in kinds([gateway(status=status)])


def test_unknown_last_seen_gives_unknown_since():
    [problem] = problems([gateway(status="disconnected", last_seen=None)])
    assert problem["since"] is None


# ---------------------------------------------------------------------------------------------
# port_down
# ---------------------------------------------------------------------------------------------


def test_down_port_is_major_since_its_last_flap_when_another_port_is_up():
    rows = [gateway([port("ge-0/0/0", up=False, last_flapped=NOW - 600), port("ge-0/0/1")])]
    [problem] = problems(rows)
    assert (problem["kind"], problem["severity"], problem["port"]) == ("port_down", "major", "ge-0/0/0")
    assert problem["since"] == NOW - 600


def test_every_wan_port_down_is_critical():
    rows = [gateway([port("ge-0/0/0", up=False), port("ge-0/0/1", up=False)])]
    assert {(p["kind"], p["severity"]) for p in problems(rows)} == {("port_down", "critical")}


def test_port_down_since_falls_back_to_the_history():
    rows = [gateway([port(up=False, last_flapped=None), port("ge-0/0/1")])]
    [problem] = problems(rows, history={"gw-1|ge-0/0/0": {"since": NOW - 60, "flaps_24h": 1}})
    assert problem["since"] == NOW - 60


@pytest.mark.parametrize(
    "values, expected",
    [
        ({"up": False, "enabled": False}, []),  # administratively disabled: expected to be down
        ({"up": None}, []),  # unknown state is not a problem
        ({"up": False, "enabled": None}, ["port_down"]),  # unknown admin state: report it
    ],
)
def test_port_down_needs_a_known_down_state_on_a_port_not_disabled(values, expected):
    rows = [gateway([port(**values), port("ge-0/0/1")])]
    assert kinds(rows) == expected


def test_a_down_port_does_not_also_report_its_paths_or_congestion():
    rows = [gateway([port(up=False, peers_up=0, rx_bps=99_000_000), port("ge-0/0/1")])]
    assert kinds(rows, {"gw-1": [path(loss=50)]}) == ["port_down"]


# ---------------------------------------------------------------------------------------------
# peer_paths_down
# ---------------------------------------------------------------------------------------------


def test_some_paths_down_is_minor_and_all_down_is_major():
    rows = [gateway([port("ge-0/0/0", peers_up=1, peers_total=3), port("ge-0/0/1", peers_up=0)])]
    found = {p["port"]: p for p in problems(rows)}
    assert (found["ge-0/0/0"]["severity"], found["ge-0/0/0"]["detail"]) == ("minor", "2 of 3 VPN paths down")
    assert (found["ge-0/0/1"]["severity"], found["ge-0/0/1"]["detail"]) == (
        "major",
        "all 2 VPN paths down",
    )
    assert found["ge-0/0/1"]["value"] == 2


@pytest.mark.parametrize("peers_up, peers_total", [(2, 2), (0, 0), (None, None), (None, 2)])
def test_no_path_problem_when_all_up_none_or_unknown(peers_up, peers_total):
    assert kinds([gateway([port(peers_up=peers_up, peers_total=peers_total)])]) == []


# ---------------------------------------------------------------------------------------------
# flapping
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("flaps, expected", [(2, []), (3, ["flapping"]), (4, ["flapping"]), (None, [])])
def test_flapping_at_and_around_the_threshold(flaps, expected):
    history = {"gw-1|ge-0/0/0": {"flaps_24h": flaps, "first_change_24h": NOW - 5000}}
    assert kinds([gateway()], history=history) == expected


def test_flapping_reports_count_threshold_and_when_it_began():
    history = {"gw-1|ge-0/0/0": {"flaps_24h": 5, "first_change_24h": NOW - 5000}}
    [problem] = problems([gateway()], history=history, limits=Thresholds(flaps_24h=5))
    assert (problem["value"], problem["threshold"], problem["since"]) == (5, 5, NOW - 5000)
    assert problem["severity"] == "minor" and problem["detail"] == "5 up/down changes in 24 h"


def test_a_flapping_port_that_is_down_reports_both():
    rows = [gateway([port(up=False), port("ge-0/0/1")])]
    history = {"gw-1|ge-0/0/0": {"flaps_24h": 3}}
    assert kinds(rows, history=history) == ["port_down", "flapping"]


# ---------------------------------------------------------------------------------------------
# congested
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rx_bps, tx_bps, expected",
    [
        (79_999_999, 0, []),
        (80_000_000, 0, ["congested"]),  # exactly 80 % of 100 Mbps
        (0, 80_000_001, ["congested"]),
        (None, None, []),
    ],
)
def test_congestion_at_and_around_80_percent_of_speed(rx_bps, tx_bps, expected):
    assert kinds([gateway([port(rx_bps=rx_bps, tx_bps=tx_bps, speed=100)])]) == expected


def test_congestion_names_the_busiest_direction_and_uses_mbps_speed():
    [problem] = problems([gateway([port(rx_bps=850_000_000, tx_bps=900_000_000, speed=1000)])])
    assert problem["detail"] == "tx at 90 % of 1000 Mbps"
    assert (problem["value"], problem["threshold"]) == (90.0, 80.0)


@pytest.mark.parametrize("speed", [None, 0])
def test_no_congestion_without_a_known_speed(speed):
    assert kinds([gateway([port(rx_bps=10**9, speed=speed)])]) == []


def test_congestion_threshold_is_configurable():
    row = gateway([port(rx_bps=50_000_000, speed=100)])
    assert kinds([row], limits=Thresholds(utilisation_percent=50)) == ["congested"]
    assert kinds([row], limits=Thresholds(utilisation_percent=51)) == []


# ---------------------------------------------------------------------------------------------
# path_degraded
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "metric, below, at",
    [("loss", 1.99, 2), ("latency", 149.9, 150), ("jitter", 29.9, 30)],
)
def test_each_path_metric_at_and_just_below_its_threshold(metric, below, at):
    assert kinds([gateway()], {"gw-1": [path(**{metric: below})]}) == []
    assert kinds([gateway()], {"gw-1": [path(**{metric: at})]}) == ["path_degraded"]


def test_degraded_paths_of_one_port_make_one_problem_with_the_worst_values():
    paths = [path(loss=5, latency=200), path(loss=3), path(), path("ge-0/0/1", loss=50)]
    rows = [gateway([port("ge-0/0/0"), port("ge-0/0/1")])]
    found = {p["port"]: p for p in problems(rows, {"gw-1": paths})}
    assert found["ge-0/0/0"]["value"] == 2
    assert found["ge-0/0/0"]["detail"] == "2 of 3 VPN paths over a limit; worst loss 5 %, latency 200 ms"
    assert found["ge-0/0/1"]["detail"] == "1 of 1 VPN paths over a limit; worst loss 50 %"


def test_down_paths_do_not_count_as_degraded():
    assert kinds([gateway()], {"gw-1": [path(up=False, loss=100, latency=0)]}) == []


def test_paths_count_for_the_row_they_run_on_like_the_peer_counts():
    # a path reported on the physical port counts for its only sub-interface row
    rows = [gateway([port("ge-0/0/1.100", vlan_id=100)])]
    [problem] = problems(rows, {"gw-1": [path("ge-0/0/1", latency=400)]})
    assert problem["port"] == "ge-0/0/1.100"


def test_paths_of_an_unknown_gateway_or_with_junk_values_are_ignored():
    rows = [gateway()]
    assert kinds(rows, {"other": [path(loss=99)]}) == []
    assert kinds(rows, {"gw-1": [path(loss="99", latency=None, jitter=float("nan")), "junk"]}) == []


# ---------------------------------------------------------------------------------------------
# Order and counts
# ---------------------------------------------------------------------------------------------


def test_most_severe_first_then_kind_then_oldest_then_names():
    rows = [
        gateway([port(rx_bps=90_000_000)], id="gw-c", name="c"),
        gateway([port(peers_up=1)], id="gw-p", name="p"),
        gateway([port(up=False, last_flapped=NOW - 60), port("ge-0/0/1")], id="gw-new", name="new"),
        gateway([port(up=False, last_flapped=NOW - 6000), port("ge-0/0/1")], id="gw-old", name="old"),
        gateway(status="disconnected", id="gw-d", name="d", last_seen=None),
        gateway([port(peers_up=0)], id="gw-all", name="all"),
        gateway([port(up=False, last_flapped=None), port("ge-0/0/1")], id="gw-unk", name="unk"),
        gateway([port(up=False, last_flapped=NOW - 6000), port("ge-0/0/1")], id="gw-old2", name="old2"),
    ]
    order = [(p["gateway"], p["kind"]) for p in problems(rows)]
    assert order == [
        ("d", "gateway_disconnected"),
        ("old", "port_down"),
        ("old2", "port_down"),
        ("new", "port_down"),
        ("unk", "port_down"),
        ("all", "peer_paths_down"),
        ("p", "peer_paths_down"),
        ("c", "congested"),
    ]


def test_sort_key_ranks_unknown_kinds_and_severities_last():
    known = {"kind": "path_degraded", "severity": "minor", "since": None}
    odd = {"kind": "mystery", "severity": "whatever", "since": None}
    assert sort_key(known) < sort_key(odd)


def test_counts_name_every_kind_even_at_zero():
    rows = [gateway([port(up=False), port("ge-0/0/1", peers_up=1), port("ge-0/0/2", peers_up=0)])]
    counts = problem_counts(problems(rows))
    assert list(counts) == list(KINDS)
    assert counts["port_down"] == 1 and counts["peer_paths_down"] == 2 and counts["congested"] == 0


# ---------------------------------------------------------------------------------------------
# Thresholds from the environment
# ---------------------------------------------------------------------------------------------


def test_thresholds_default_to_the_documented_values():
    assert Thresholds.from_settings(settings_from_env({})) == Thresholds(80, 3, 2, 150, 30)
    assert Thresholds().as_dict() == {
        "utilisation_percent": 80.0,
        "flaps_24h": 3,
        "loss_percent": 2.0,
        "latency_ms": 150.0,
        "jitter_ms": 30.0,
    }


def test_thresholds_come_from_problem_environment_variables():
    settings = settings_from_env(
        {
            "PROBLEM_UTILISATION_PERCENT": "90",
            "PROBLEM_FLAPS_24H": "5",
            "PROBLEM_LOSS_PERCENT": "0.5",
            "PROBLEM_LATENCY_MS": "250",
            "PROBLEM_JITTER_MS": "40.5",
        }
    )
    assert Thresholds.from_settings(settings) == Thresholds(90, 5, 0.5, 250, 40.5)


@pytest.mark.parametrize(
    "name, value",
    [
        ("PROBLEM_UTILISATION_PERCENT", "0"),
        ("PROBLEM_UTILISATION_PERCENT", "101"),
        ("PROBLEM_UTILISATION_PERCENT", "lots"),
        ("PROBLEM_FLAPS_24H", "2.5"),
        ("PROBLEM_FLAPS_24H", "0"),
        ("PROBLEM_LOSS_PERCENT", "0"),
        ("PROBLEM_LOSS_PERCENT", "nan"),
        ("PROBLEM_LATENCY_MS", "-5"),
        ("PROBLEM_JITTER_MS", "inf"),
    ],
)
def test_bad_threshold_values_name_the_variable(name, value):
    with pytest.raises(ConfigError) as raised:
        settings_from_env({name: value})
    assert name in str(raised.value)


# ---------------------------------------------------------------------------------------------
# The row fields the rules read, as circuits.py fills them from Mist's stats
# ---------------------------------------------------------------------------------------------


def test_rows_carry_rates_last_flapped_and_last_seen_from_the_stats():
    stat = {
        "id": "00000000-0000-4000-8000-001122aabbcc",  # shaping keeps only UUID ids (issue #12)
        "mac": "001122aabbcc",
        "site_id": "5e000000-0000-4000-8000-000000000001",
        "type": "gateway",
        "status": "disconnected",
        "last_seen": NOW - 300,
        "ports": [
            {"port_id": "ge-0/0/0", "port_usage": "wan", "up": True, "speed": 100, "rx_bps": 81_000_000},
            {"port_id": "ge-0/0/1", "port_usage": "wan", "up": False, "last_flapped": NOW - 50, "tx_bps": 0},
        ],
    }
    [row] = build_gateway_rows([stat], [{"id": stat["site_id"], "name": "S"}], [], [], [], None)
    assert row["last_seen"] == NOW - 300
    ports = {p["name"]: p for p in row["ports"]}
    assert (ports["ge-0/0/0"]["rx_bps"], ports["ge-0/0/0"]["tx_bps"]) == (81_000_000, None)
    assert ports["ge-0/0/0"]["last_flapped"] is None
    assert (ports["ge-0/0/1"]["tx_bps"], ports["ge-0/0/1"]["last_flapped"]) == (0, NOW - 50)
    assert kinds([dict(row, status="connected")]) == ["port_down", "congested"]


def test_a_sole_vlan_circuit_takes_its_physical_ports_rates_and_last_flap():
    stat = {
        "id": "00000000-0000-4000-8000-001122aabbcc",
        "mac": "001122aabbcc",
        "type": "gateway",
        "if_stat": {"ge-0/0/1.100": {"port_id": "ge-0/0/1", "port_usage": "wan", "vlan": 100, "up": True}},
        "ports": [
            {"port_id": "ge-0/0/1", "up": True, "speed": 1000, "rx_bps": 5, "last_flapped": NOW - 9},
        ],
    }
    [row] = build_gateway_rows([stat], [], [], [], [], None)
    [vlan] = row["ports"]
    assert (vlan["name"], vlan["rx_bps"], vlan["last_flapped"]) == ("ge-0/0/1.100", 5, NOW - 9)


# ---------------------------------------------------------------------------------------------
# End to end on a seeded simulated org: its stats and events give known problems
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def simulated():
    """Rows, peer paths, a week of port events and the ground truth of a 60-gateway org."""
    import requests

    from circuitstats.history import PORT_EVENT_TYPES, PortHistory
    from mist_simulator import MistSimulator

    sim = MistSimulator(gateways=60, seed=11, tokens=("unit-token",), rate_limit=10**9)
    session = requests.Session()
    sim.mount(session)
    session.headers["Authorization"] = "Token unit-token"
    base = f"https://api.mist.com/api/v1/orgs/{sim.org_id}"
    stats = session.get(base + "/stats/devices", params={"type": "gateway", "fields": "*", "limit": 1000})
    sites = session.get(base + "/sites", params={"limit": 1000})
    templates = session.get(base + "/gatewaytemplates", params={"limit": 1000})
    rows = build_gateway_rows(stats.json(), sites.json(), templates.json(), [], [], None)
    peers = {g["id"]: g.get("vpn_peers") or [] for g in stats.json()}
    now = float(sim.now())
    history = PortHistory()
    start, end = history.next_window(now)
    query = {"device_type": "gateway", "type": ",".join(PORT_EVENT_TYPES), "limit": 1000}
    answer = session.get(
        base + "/devices/events/search", params={**query, "start": int(start), "end": int(end)}
    )
    assert "next" not in answer.json(), "the test org should need one page of events"
    history.ingest(answer.json()["results"], start, end)
    per_port = history.for_rows(rows, now)
    truth = sim.truth()
    downs = sim.org().events.port_flaps(int(now))
    return rows, peers, per_port, truth, downs, now


def test_simulated_history_agrees_with_the_port_stats_and_the_event_truth(simulated):
    rows, _peers, per_port, _truth, downs, _now = simulated
    by_mac = {row["mac"]: row for row in rows}
    assert downs, "the seeded org should have port events"
    checked = 0
    for (mac, port_id), count in downs.items():
        row = by_mac[mac]
        # the row of that port, or its VLAN circuit: a physical port's events count for it;
        # events of LAN ports have no row and are not shown
        for name in [p["name"] for p in row["ports"] if split_interface(p["name"])[0] == port_id]:
            summary = per_port[f"{row['id']}|{name}"]
            # each GW_PORT_DOWN is one change, each GW_PORT_UP after it another
            assert count <= summary["flaps_7d"] <= 2 * count + 1
            checked += 1
    assert checked >= 5
    for row in rows:
        for port in row["ports"]:
            summary = per_port[f"{row['id']}|{port['name']}"]
            if row["status"] == "connected" and port["up"] is False:
                assert summary["up"] is False and summary["down_intervals"][-1][1] is None
                assert summary["availability_7d"] < 100
            if port["up"] is True and not summary["down_intervals"]:
                assert summary["availability_7d"] == 100.0


def test_simulated_org_gives_the_known_problems(simulated):
    rows, peers, per_port, truth, _downs, now = simulated
    found = compute_problems(rows, peers, per_port, LIMITS, now)
    counts = problem_counts(found)
    assert counts["gateway_disconnected"] == truth["gateways"] - truth["connected"]
    # every often-flapping port of the simulator (5 to 30 flaps a day) is reported as flapping
    assert counts["flapping"] >= truth["flapping_ports"] > 0
    down_ports = sum(
        1
        for row in rows
        if row["status"] == "connected"
        for port in row["ports"]
        if port["up"] is False and port["enabled"] is not False
    )
    assert counts["port_down"] == down_ports
    assert [sort_key(p) for p in found] == sorted(sort_key(p) for p in found)


# ---------------------------------------------------------------------------------------------
# first_seen: how long a problem without a start time has lasted, at least
# ---------------------------------------------------------------------------------------------


def _congested_row(gateway_id: str = "gw-1", name: str = "branch-1"):
    return gateway([port(rx_bps=95_000_000)], id=gateway_id, name=name)


def test_a_new_problem_is_first_seen_now_and_keeps_that_while_it_lasts():
    [first] = problems([_congested_row()])
    assert first["kind"] == "congested" and first["since"] is None and first["first_seen"] == NOW
    later = compute_problems([_congested_row()], {}, {}, LIMITS, NOW + 600, previous=[first])
    assert [p["first_seen"] for p in later] == [NOW]


def test_a_problem_that_went_away_and_came_back_starts_again():
    [first] = problems([_congested_row()])
    healthy = compute_problems([gateway()], {}, {}, LIMITS, NOW + 300, previous=[first])
    assert healthy == []
    again = compute_problems([_congested_row()], {}, {}, LIMITS, NOW + 600, previous=healthy)
    assert [p["first_seen"] for p in again] == [NOW + 600]


def test_first_seen_belongs_to_the_same_kind_and_port_only():
    [first] = problems([_congested_row()])
    other_port = {**first, "port": "ge-0/0/9"}
    other_kind = {**first, "kind": "path_degraded"}
    later = compute_problems([_congested_row()], {}, {}, LIMITS, NOW + 600, previous=[other_port, other_kind])
    assert [p["first_seen"] for p in later] == [NOW + 600]


def test_problems_without_since_are_ordered_by_how_long_they_have_been_seen():
    rows = [_congested_row("gw-a", "alpha"), _congested_row("gw-b", "bravo")]
    earlier = compute_problems(rows[1:], {}, {}, LIMITS, NOW)  # bravo congested first
    ordered = compute_problems(rows, {}, {}, LIMITS, NOW + 600, previous=earlier)
    assert [(p["gateway"], p["first_seen"]) for p in ordered] == [("bravo", NOW), ("alpha", NOW + 600)]
