"""What the Problems view (static/js/problems.js, viewstate.js) relies on in /api/problems, for a
seeded demo org: every problem points at a gateway of the same snapshot's table (and at one of its
WAN ports when it names one), so clicking an item can filter, expand and open that port's chart;
the kinds are the six the cards show; the thresholds the cards print are all there and numbers."""

from __future__ import annotations

KINDS = {"gateway_disconnected", "port_down", "peer_paths_down", "flapping", "congested", "path_degraded"}
THRESHOLDS = {"utilisation_percent", "flaps_24h", "loss_percent", "latency_ms", "jitter_ms"}
PORT_KINDS = KINDS - {"gateway_disconnected"}


def test_problems_point_at_gateways_and_ports_of_the_same_snapshot(client):
    problems = client.get("/api/problems").get_json()
    table = client.get("/api/gateways").get_json()
    assert problems["version"] == table["version"], "both answers come from one snapshot"
    data = problems["data"]
    gateways = {g["id"]: g for g in table["data"]["gateways"]}
    assert data["problems"], "the seeded org has problems"
    assert set(data["counts"]) <= KINDS and {p["kind"] for p in data["problems"]} <= KINDS
    assert set(data["thresholds"]) == THRESHOLDS
    assert all(isinstance(v, int | float) and v > 0 for v in data["thresholds"].values())
    for problem in data["problems"]:
        gateway = gateways[problem["gateway_id"]]
        assert (problem["gateway"], problem["site_id"], problem["site"]) == (
            gateway["name"],
            gateway["site_id"],
            gateway["site_name"],
        )
        assert problem["severity"] in {"critical", "major", "minor"}
        assert problem["since"] is None or isinstance(problem["since"], int | float)
        if problem["kind"] in PORT_KINDS:
            assert problem["port"] in {p["name"] for p in gateway["ports"]}, problem
        else:
            assert problem["port"] is None


def test_flapping_ports_carry_the_counts_the_rows_show(client):
    data = client.get("/api/problems").get_json()["data"]
    threshold = data["thresholds"]["flaps_24h"]
    gateways = {g["id"]: g for g in client.get("/api/gateways").get_json()["data"]["gateways"]}
    flapping = {(p["gateway_id"], p["port"]) for p in data["problems"] if p["kind"] == "flapping"}
    rows = {
        (g["id"], port["name"])
        for g in gateways.values()
        for port in g["ports"]
        if port["flaps_24h"] is not None and port["flaps_24h"] >= threshold
    }
    assert flapping == rows and flapping, "the Flaps 24h column and the flapping card agree"
