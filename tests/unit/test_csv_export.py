"""Unit tests for csv_export.py: columns, one line per port, clean text, formula neutralisation."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

import pytest

from circuits import build_gateway_rows
from csv_export import (
    CIRCUIT_COLUMNS,
    TRAFFIC_COLUMNS,
    circuit_csv,
    neutralise_cell,
    timestamped_filename,
    traffic_csv,
)

EXPECTED_COLUMNS = [
    "Site Name", "Router Hostname", "Model", "Status", "External IP", "Uptime", "Port Name",
    "WAN Name", "Description", "Enablement", "Physical Status", "Gateway IP", "WAN IP", "VLAN",
    "CIDR", "Config Type", "Override", "Peer Paths", "RX Data (Bytes)", "TX Data (Bytes)",
]  # fmt: skip
OUR_EXPECTED_COLUMNS = ["Flaps 24h", "Flaps 7d", "Availability 7d (%)"]


def parse(text, delimiter=","):
    """CSV text back into a header and rows, the way any spreadsheet import would read it."""
    assert text.startswith("\ufeff"), "UTF-8 BOM first, for Excel"
    rows = list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=delimiter))
    return rows[0], rows[1:]


PORT_FIELDS = (
    "wan_name", "description", "enabled", "up", "gateway", "ip", "netmask", "vlan_id", "type",
    "override", "peers_up", "peers_total", "rx_bytes", "tx_bytes", "speed",
)  # fmt: skip


def port(name, **fields):
    """A PortRow with every field present (unknowns None) plus the given values."""
    row = dict.fromkeys(PORT_FIELDS)
    row.update(name=name, **fields)
    return row


def gateway(name="gw-1", ports=(), **fields):
    """A GatewayRow with the given ports."""
    row = {
        "id": "id-" + name, "name": name, "site_id": "s1", "site_name": "Alpha", "model": "SRX320",
        "status": "connected", "ext_ip": "198.51.100.7", "uptime": 3600, "mac": "5c5b35000001",
        "ports": list(ports), "missing": [],
    }  # fmt: skip
    row.update(fields)
    return row


def test_circuit_columns_original_twenty_in_order_then_ours():
    assert list(CIRCUIT_COLUMNS[:20]) == EXPECTED_COLUMNS
    assert list(CIRCUIT_COLUMNS[20:]) == OUR_EXPECTED_COLUMNS
    header, rows = parse(circuit_csv([]))
    assert header == EXPECTED_COLUMNS + OUR_EXPECTED_COLUMNS
    assert rows == []


def test_history_columns_carry_the_port_values_and_unknown_stays_empty():
    gw = gateway("gw-h", [
        port("ge-0/0/0", flaps_24h=4, flaps_7d=9, availability_7d=97.5),
        port("ge-0/0/1", flaps_24h=None, flaps_7d=None, availability_7d=None),
    ])  # fmt: skip
    header, rows = parse(circuit_csv([gw]))
    at = {name: header.index(name) for name in OUR_EXPECTED_COLUMNS}
    assert [rows[0][at[n]] for n in OUR_EXPECTED_COLUMNS] == ["4", "9", "97.5"]
    assert [rows[1][at[n]] for n in OUR_EXPECTED_COLUMNS] == ["", "", ""]


def test_one_line_per_wan_port_and_one_for_portless_gateway():
    gateways = [
        gateway("gw-a", [port("ge-0/0/0"), port("ge-0/0/1")]),
        gateway("gw-b", []),
    ]
    _, rows = parse(circuit_csv(gateways))
    assert [(r[1], r[6]) for r in rows] == [("gw-a", "ge-0/0/0"), ("gw-a", "ge-0/0/1"), ("gw-b", "")]
    assert all(len(r) == len(EXPECTED_COLUMNS + OUR_EXPECTED_COLUMNS) for r in rows)
    assert rows[2][6:] == [""] * (14 + len(OUR_EXPECTED_COLUMNS))


def test_port_values_rendered_as_words_and_numbers():
    wan = port(
        "ge-0/0/0.100", wan_name="ISP-A", description="Fibre", enabled=True, up=False, gateway="192.0.2.1",
        ip="192.0.2.2", netmask="/30", vlan_id=100, type="Static", override=True, peers_up=3, peers_total=4,
        rx_bytes=123456789012, tx_bytes=0,
    )  # fmt: skip
    _, [line] = parse(circuit_csv([gateway("gw", [wan])]))
    record = dict(zip(EXPECTED_COLUMNS + OUR_EXPECTED_COLUMNS, line, strict=True))
    assert record == {
        "Site Name": "Alpha", "Router Hostname": "gw", "Model": "SRX320", "Status": "connected",
        "External IP": "198.51.100.7", "Uptime": "3600", "Port Name": "ge-0/0/0.100", "WAN Name": "ISP-A",
        "Description": "Fibre", "Enablement": "Enabled", "Physical Status": "Down", "Gateway IP": "192.0.2.1",
        "WAN IP": "192.0.2.2", "VLAN": "100", "CIDR": "/30", "Config Type": "Static", "Override": "Yes",
        "Peer Paths": "3/4", "RX Data (Bytes)": "123456789012", "TX Data (Bytes)": "0",
        "Flaps 24h": "", "Flaps 7d": "", "Availability 7d (%)": "",
    }  # fmt: skip


def test_unknown_values_are_empty_cells():
    _, [line] = parse(circuit_csv([gateway("gw", [port("ge-0/0/0")], uptime=None, ext_ip=None)]))
    record = dict(zip(EXPECTED_COLUMNS + OUR_EXPECTED_COLUMNS, line, strict=True))
    unknown = ("External IP", "Uptime", "Enablement", "Physical Status", "Override", "Peer Paths")
    for column in (*unknown, "RX Data (Bytes)", "TX Data (Bytes)"):
        assert record[column] == "", column


def test_override_no_and_disabled_and_zero_peers():
    wan = port("ge-0/0/0", enabled=False, up=True, override=False, peers_up=0, peers_total=0)
    _, [line] = parse(circuit_csv([gateway("gw", [wan])]))
    record = dict(zip(EXPECTED_COLUMNS + OUR_EXPECTED_COLUMNS, line, strict=True))
    assert (record["Enablement"], record["Physical Status"], record["Override"]) == ("Disabled", "Up", "No")
    assert record["Peer Paths"] == "0/0"


@pytest.mark.parametrize(
    "value",
    ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", "\tfoo", '  =HYPERLINK("x")', "\u200f\u202e=1",
     "\uff1dSUM(A1)", '"=1"'],
)  # fmt: skip
def test_formula_like_strings_are_neutralised(value):
    assert neutralise_cell(value) == "'" + value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("\x00\x1b=1", "'=1"),  # controls removed first: the formula behind them is still caught
        ("\r\n+1", "'\n'+1"),  # line ends become \n, itself a place where a cell may start
        ("ok;=2+5;", "ok;'=2+5;"),  # a ; reader would start a cell at =2+5
        ("a, -b\t@c\n=d", "a,' -b\t'@c\n'=d"),
    ],
)
def test_formulas_after_controls_and_inside_delimited_text_are_neutralised(value, expected):
    assert neutralise_cell(value) == expected


def test_control_characters_removed_tab_and_newline_kept():
    assert neutralise_cell("a\x00b\x1b[31mc\x7fd\x85e\x9ff\tg\nh") == "ab[31mcdef\tg\nh"


def test_lone_surrogates_become_replacement_characters_and_pairs_join():
    assert neutralise_cell("x\ud800y\udfffz") == "x\ufffdy\ufffdz"
    assert neutralise_cell("\ud83d\ude80") == "\U0001f680"  # a pair split in two code points is rejoined
    text = circuit_csv([gateway("gw\ud800", [])])
    text.encode("utf-8")  # would raise UnicodeEncodeError (the HTTP 500 of issue #13) before the fix


def test_every_cell_is_quoted_and_the_file_starts_with_a_bom():
    text = circuit_csv([gateway("gw", [port("ge-0/0/0", rx_bytes=5)])])
    assert text.startswith('\ufeff"Site Name","Router Hostname",')
    body_line = text.split("\r\n")[1]
    assert body_line.startswith('"Alpha","gw","SRX320","connected","198.51.100.7","3600","ge-0/0/0",')
    assert traffic_csv({"timestamps": [0], "rx_bps": [1]}).startswith('\ufeff"Timestamp (epoch)",')


@pytest.mark.parametrize("value", ["ISP-A", "192.0.2.1", "/29", "a=b", "", "ge-0/0/0"])
def test_ordinary_strings_untouched(value):
    assert neutralise_cell(value) == value


def test_numbers_we_produced_stay_numeric():
    assert neutralise_cell(-5) == "-5"
    assert neutralise_cell(12.5) == "12.5"
    assert neutralise_cell(1000.0) == "1000"
    assert neutralise_cell(None) == ""
    assert neutralise_cell(float("nan")) == ""


def test_hostile_network_strings_round_trip_through_csv_reader():
    hostile = 'Comma, "quoted"\nnew line'
    formula = "=cmd|' /C calc'!A0"
    wan = port("ge-0/0/0", wan_name=hostile, description=formula, rx_bytes=-1)
    gw = gateway('gw "1", <b>bold</b>', [wan], site_name="Zürich — 東京 " * 20)
    _, [line] = parse(circuit_csv([gw]))
    record = dict(zip(EXPECTED_COLUMNS + OUR_EXPECTED_COLUMNS, line, strict=True))
    assert record["WAN Name"] == hostile
    assert record["Description"] == "'" + formula
    assert record["Router Hostname"] == 'gw "1", <b>bold</b>'
    assert record["Site Name"] == "Zürich — 東京 " * 20
    assert record["RX Data (Bytes)"] == "-1"  # our number: not turned into text


def test_csv_from_built_rows_end_to_end():
    gateway_id, site_id = "00000000-0000-4000-8000-5c5b35000001", "5e000000-0000-4000-8000-000000000001"
    stat = {
        "id": gateway_id, "mac": "5c5b35000001", "name": "=evil()", "type": "gateway", "status": "connected",
        "site_id": site_id, "if_stat": {},
        "ports": [{"port_id": "ge-0/0/0", "up": True, "rx_bytes": 10, "tx_bytes": 20}],
        "vpn_peers": [{"port_id": "ge-0/0/0", "up": True}, {"port_id": "ge-0/0/0", "up": False}],
    }  # fmt: skip
    site = {
        "id": site_id,
        "name": "Alpha",
        "gatewaytemplate_id": "7e000000-0000-4000-8000-000000000001",
    }
    tmpl = {
        "id": "7e000000-0000-4000-8000-000000000001",
        "port_config": {"ge-0/0/0": {"usage": "wan", "name": "ISP", "ip_config": {"type": "dhcp"}}},
    }
    rows = build_gateway_rows([stat], [site], [tmpl], [], [], {gateway_id: {}})
    _, [line] = parse(circuit_csv(rows))
    record = dict(zip(EXPECTED_COLUMNS + OUR_EXPECTED_COLUMNS, line, strict=True))
    assert record["Router Hostname"] == "'=evil()"
    assert (record["Peer Paths"], record["RX Data (Bytes)"], record["TX Data (Bytes)"]) == (
        "1/2",
        "10",
        "20",
    )
    assert (record["Config Type"], record["Override"], record["Physical Status"]) == ("DHCP", "No", "Up")


def test_timestamped_filename():
    moment = datetime(2026, 11, 23, 10, 15, 0, tzinfo=UTC)
    assert timestamped_filename("mist_circuits", moment) == "mist_circuits_20261123_101500.csv"
    plus_two = moment.astimezone(timezone(timedelta(hours=2)))
    assert timestamped_filename("mist_circuits", plus_two) == "mist_circuits_20261123_101500.csv"
    assert timestamped_filename("traffic", moment.timestamp()) == "traffic_20261123_101500.csv"
    assert timestamped_filename('a"b/../c\r\nd', moment) == "a_b_.._c_d_20261123_101500.csv"


def test_traffic_csv_columns_iso_times_and_gaps():
    series = {
        "timestamps": [1795428000, 1795428300, 1795428600],
        "rx_bps": [1000.0, None, 3000],
        "tx_bps": [10, 20, None],
        "latency": [12.5, None, None],
        "jitter": [1, 2, 3],
        "loss": [0, None, 0.5],
    }
    header, rows = parse(traffic_csv(series))
    assert header == list(TRAFFIC_COLUMNS)
    assert len(header) == 9
    assert rows[0] == ["1795428000", "2026-11-23T10:00:00Z", "1000", "1000", "10", "10", "12.5", "1", "0"]
    assert rows[1] == ["1795428300", "2026-11-23T10:05:00Z", "", "", "20", "20", "", "2", ""]
    assert rows[2][2:6] == ["3000", "3000", "", ""]


def test_traffic_csv_uses_real_peak_when_series_has_one_and_survives_short_lists():
    series = {"timestamps": [0, 3600], "rx_bps": [100], "rx_peak_bps": [400, 900], "tx_bps": [5, 6]}
    _, rows = parse(traffic_csv(series))
    assert rows[0][:6] == ["0", "1970-01-01T00:00:00Z", "100", "400", "5", "5"]
    assert rows[1][:6] == ["3600", "1970-01-01T01:00:00Z", "", "900", "6", "6"]
    assert rows[1][6:] == ["", "", ""]


# ---------------------------------------------------------------------------------------------
# The whole export of the adversarial demo org, read as a spreadsheet in any locale would
# ---------------------------------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@")


@pytest.fixture(scope="module")
def adversarial_export():
    """/api/export.csv of the adversarial demo org (HTML, formulas, ;/tab/NUL/ESC, RTL overrides,
    10,000-character names), as bytes, from the real app in demo mode."""
    from app import create_app

    app = create_app({"demo": True, "demo_gateways": 40, "demo_seed": 7, "demo_adversarial": True,
                      "enrich_start_delay": 3600.0})  # fmt: skip
    response = app.test_client().get("/api/export.csv")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"].lower().replace(" ", "") == "text/csv;charset=utf-8"
    return response.get_data()


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_adversarial_export_has_no_formula_cell_whatever_the_delimiter(adversarial_export, delimiter):
    text = adversarial_export.decode("utf-8")
    header, rows = parse(text, delimiter)
    cells = [cell for row in rows for cell in row]
    assert len(rows) > 40 and cells
    starting_like_formula = [cell[:60] for cell in cells if cell.startswith(FORMULA_STARTS)]
    assert starting_like_formula == []
    if delimiter == ",":
        assert header[:20] == EXPECTED_COLUMNS


def test_adversarial_export_is_clean_text_with_the_hostile_values_inside(adversarial_export):
    text = adversarial_export.decode("utf-8")  # strict: raises on any invalid byte
    assert not any(ch in text for ch in "\x00\x1b\x7f\x9b")
    header, rows = parse(text)
    assert all(len(row) == len(header) for row in rows)
    cells = [cell for row in rows for cell in row]
    assert any(len(cell) >= 10_000 for cell in cells), "10,000-character names reach the export whole"
    assert any("\u202egnp.exe" in cell for cell in cells)
    assert any(cell.startswith("ok;'=2+5;'\t'+TAB") for cell in cells), "; payload neutralised in place"
