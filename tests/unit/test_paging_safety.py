"""Issue #12 at the connection layer: hostile cursors, lying pages, unusable answers, budgets, causes.

Every test runs mistapi unmodified against the simulated cloud through ``MutatingTransport``
(tests/fuzz/mutations.py), which records every URL the session tries to send, to any host.
"""

from __future__ import annotations

import threading

import pytest
import requests
from requests.adapters import BaseAdapter

import mist_connection
from mist_connection import (
    STATS_PAGE_WORKERS,
    CallBudget,
    MistBadAnswer,
    MistBudgetExhausted,
    MistConnection,
    MistRefusedURL,
    MistUnavailable,
    Paged,
    RetryPolicy,
    UnsafeURL,
    is_mist_url,
    safe_cursor,
)
from mist_simulator import MistSimulator
from tests.fuzz.mutations import HOSTILE_CURSORS, MutatingTransport, Mutation

HOST = "api.mist.com"
STATS = "listOrgDevicesStats"
PEERS = "searchOrgPeerPathStats"


@pytest.fixture(scope="module")
def sim():
    return MistSimulator(gateways=12, seed=3, rate_limit=10**9, now=1_750_000_000)


def connect(sim, *mutations, seed=0, **options):
    """A connection to the simulated cloud whose answers go through ``mutations``."""
    transport = MutatingTransport(sim, mutations, seed=seed)
    options.setdefault("retry", RetryPolicy(attempts=2, backoff=0.0))
    conn = MistConnection(list(sim.org_tokens()), session_hook=transport.mount, **options)
    return conn, transport


def assert_stayed_on_mist_host(transport):
    assert transport.foreign_urls == []
    assert transport.urls, "the test made no request at all"
    assert all(url.startswith(f"https://{HOST}/api/v1/") for url in transport.urls)


# ----- 1. cursor and host safety -------------------------------------------------------------------


def test_the_recording_transport_would_see_a_request_to_another_host():
    """Sanity check of the assertion below: an unguarded session does reach the transport."""
    transport = MutatingTransport(None)
    session = requests.Session()
    transport.mount(session)
    with pytest.raises(requests.ConnectionError):
        session.get("https://api.mist.com@evil.example/api/v1/steal")
    assert transport.foreign_urls == ["https://api.mist.com@evil.example/api/v1/steal"]


@pytest.mark.parametrize("cursor", HOSTILE_CURSORS, ids=repr)
def test_hostile_next_cursor_never_reaches_another_host(sim, cursor):
    conn, transport = connect(sim, Mutation(PEERS, "hostile_next", value=cursor))
    paths = conn.peer_paths(sim.org_id)
    assert isinstance(paths, Paged) and paths
    assert paths.incomplete["source"] == PEERS
    assert "cursor refused" in paths.incomplete["why"]
    assert_stayed_on_mist_host(transport)
    assert transport.by_operation == {PEERS: 1}


@pytest.mark.parametrize(
    "url",
    [
        "https://api.mist.com@evil.example/api/v1/x",
        "https://api.mist.com.evil.example/api/v1/x",
        "https://api.mist.com:8443@evil.example/api/v1/x",
        "https://api.mist.com:8443/api/v1/x",
        "http://api.mist.com/api/v1/x",
        "https://user:pw@api.mist.com/api/v1/x",
        "https://evil.example\\@api.mist.com/api/v1/x",
        "https://api.mist.com\\@evil.example/api/v1/x",
    ],
)
def test_session_refuses_any_final_url_off_the_mist_host(sim, url):
    """The last line of defence: whatever URL mistapi builds, the session refuses to send it."""
    conn, transport = connect(sim)
    session = next(iter(conn._sessions.values()))._session
    with pytest.raises(UnsafeURL):
        session.get(url)
    assert transport.urls == []


def test_a_refused_url_is_an_error_naming_the_refusal_not_a_retry(sim):
    conn, transport = connect(sim)
    with pytest.raises(MistRefusedURL, match="refused"):
        conn.call(lambda session: session.mist_get("@evil.example/api/v1/steal"), operation="probe")
    assert transport.urls == []
    assert conn.upstream_calls == 0 and conn.call_counts() == {}


def test_a_redirect_to_another_host_is_not_followed(sim):
    conn, transport = connect(sim, Mutation("getOrg", "redirect_off_host"))
    with pytest.raises(MistRefusedURL):
        conn.organization(sim.org_id)
    assert_stayed_on_mist_host(transport)


@pytest.mark.parametrize(
    ("cursor", "path"),
    [
        (
            "/api/v1/orgs/o/stats/vpn_peers/search?search_after=9",
            "/api/v1/orgs/o/stats/vpn_peers/search?search_after=9",
        ),
        ("https://api.mist.com/api/v1/orgs/o/x?a=1", "/api/v1/orgs/o/x?a=1"),
        ("https://api.mist.com:443/api/v1/x", "/api/v1/x"),
        ("https://api.mist.com/other/x", None),
        ("/api/v2/x", None),
        ("/api/v1/x\n", None),
        ("/api/v1/é", None),
        ("/api/v1/" + "a" * 9000, None),
    ],
)
def test_safe_cursor_accepts_only_api_paths_on_the_host(cursor, path):
    assert safe_cursor(cursor, HOST) == path


def test_is_mist_url_requires_https_on_the_exact_host():
    assert is_mist_url("https://api.mist.com/api/v1/self", HOST)
    assert not is_mist_url("https://API.mist.com.evil.example/api/v1/self", HOST)
    assert not is_mist_url("https://api.eu.mist.com/api/v1/self", HOST)
    assert not is_mist_url(None, HOST)
    assert not is_mist_url("https://api.mist.com:99999/", HOST)


# ----- 2. bounded paging -----------------------------------------------------------------------------


def test_tiny_page_limit_header_is_ignored(sim):
    """The page size is what we asked: 3,000 rows announced cost 3 calls, not 3,000."""
    conn, transport = connect(sim, Mutation(STATS, "tiny_page_limit", occurrence=1))
    rows = conn.gateway_stats(sim.org_id)
    assert len(rows) == 12
    assert transport.by_operation[STATS] <= 3
    assert rows.incomplete == {
        "source": STATS,
        "got": 12,
        "total": 3000,
        "why": rows.incomplete["why"],
    }
    assert "short" in rows.incomplete["why"] or "fewer" in rows.incomplete["why"]


def test_a_huge_announced_total_costs_at_most_one_wave_of_pages(sim):
    """A short page 2 proves the total wrong: no second wave of pages is spent on it."""
    conn, transport = connect(sim, Mutation(STATS, "lying_total", 1, "999999999"), page_workers=4)
    rows = conn.gateway_stats(sim.org_id)
    assert transport.by_operation[STATS] == 1 + min(4, STATS_PAGE_WORKERS)  # one wave of stats pages
    assert rows.incomplete["total"] == 999999999 and "came back short" in rows.incomplete["why"]


@pytest.mark.parametrize("total", ["-4", "abc", "1e9", "", "9" * 5000])
def test_a_junk_total_header_reads_as_absent(sim, total):
    conn, transport = connect(sim, Mutation(STATS, "lying_total", 1, total))
    rows = conn.gateway_stats(sim.org_id)
    assert len(rows) == 12 and rows.incomplete is None
    assert transport.by_operation[STATS] == 1


def test_looping_next_cursor_ends_paging(sim):
    conn, transport = connect(sim, Mutation(PEERS, "looping_next"))
    paths = conn.peer_paths(sim.org_id)
    assert transport.by_operation[PEERS] == 2  # the first page, then the cursor once
    assert "repeated" in paths.incomplete["why"]
    assert_stayed_on_mist_host(transport)


def test_endless_new_cursors_stop_at_the_page_cap(sim):
    conn, transport = connect(sim, Mutation(PEERS, "endless_next"), max_pages=4)
    paths = conn.peer_paths(sim.org_id)
    assert transport.by_operation[PEERS] == 4
    assert "page cap" in paths.incomplete["why"]


def test_search_pages_are_capped_by_the_first_total(sim, monkeypatch):
    """total=10**6 in later pages cannot raise the cap the first page's total set."""
    monkeypatch.setattr(mist_connection, "PAGE_LIMIT", 5)
    conn, transport = connect(sim, Mutation(PEERS, "endless_next", occurrence=2))
    first = conn.peer_paths(sim.org_id)
    total = first.incomplete["total"] if first.incomplete else len(first)
    assert transport.by_operation[PEERS] <= -(-total // 5) + mist_connection.SEARCH_PAGE_MARGIN


def test_call_budget_exhausted_marks_the_result_incomplete(sim, monkeypatch):
    monkeypatch.setattr(mist_connection, "PAGE_LIMIT", 5)
    budget = CallBudget(2, "test collection")
    conn, transport = connect(sim, page_workers=1)
    rows = conn.gateway_stats(sim.org_id, budget=budget)
    assert len(rows) == 10 and budget.exhausted
    assert rows.incomplete["got"] == 10 and rows.incomplete["total"] == 12
    assert "budget" in rows.incomplete["why"]
    assert transport.by_operation[STATS] == 2
    with pytest.raises(MistBudgetExhausted):
        conn.sites(sim.org_id, budget=budget)
    assert transport.calls == 2


def test_call_budget_is_exact_under_concurrency():
    budget = CallBudget(500)
    spent = []

    def spend():
        for _ in range(200):
            try:
                budget.spend()
                spent.append(1)
            except MistBudgetExhausted:
                pass

    threads = [threading.Thread(target=spend) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(spent) == 500 and budget.used == 500 and budget.remaining == 0


# ----- 3. incomplete, never silently short ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "cause"),
    [
        ("html_200", "HTML page"),
        ("empty_200", "empty answer"),
        ("no_content_204", "empty answer (HTTP 204)"),
        ("truncated", "truncated or invalid JSON"),
        ("object", "answered an object where a list was expected"),
        ("number", "answered a number where a list was expected"),
        ("string", "answered a string"),
        ("null", "answered null"),
    ],
)
def test_unusable_first_answer_of_a_list_is_an_error_not_an_empty_list(sim, kind, cause):
    conn, _ = connect(sim, Mutation(STATS, kind))
    with pytest.raises(MistBadAnswer) as raised:
        conn.gateway_stats(sim.org_id)
    assert STATS in str(raised.value) and cause in str(raised.value)


@pytest.mark.parametrize("kind", ["number", "empty_list", "object", "html_200", "string"])
def test_unusable_search_answer_is_an_error(sim, kind):
    conn, _ = connect(sim, Mutation(PEERS, kind))
    with pytest.raises(MistBadAnswer, match=PEERS):
        conn.peer_paths(sim.org_id)


def insights_of_first_gateway(conn, sim):
    gateway = sim.org().gateways[0]
    end = sim.now() // 300 * 300
    port = gateway.wan_ports[0].interface
    return conn.port_insights(gateway.site.id, gateway.id, port, end - 3600, end, 300)


@pytest.mark.parametrize(
    ("operation", "question"),
    [
        ("getSelf", lambda conn, sim: conn.whoami()),
        ("getOrg", lambda conn, sim: conn.organization(sim.org_id)),
        (
            "getSiteInsightMetricsForGateway",
            insights_of_first_gateway,
        ),
    ],
)
def test_object_endpoints_answering_a_list_or_number_are_errors(sim, operation, question):
    for kind in ("empty_list", "number"):
        conn, _ = connect(sim, Mutation(operation, kind))
        with pytest.raises(MistBadAnswer, match=operation):
            question(conn, sim)


def test_missing_total_on_a_full_page_is_incomplete(sim, monkeypatch):
    monkeypatch.setattr(mist_connection, "PAGE_LIMIT", 5)
    conn, _ = connect(sim, Mutation(STATS, "missing_total"))
    rows = conn.gateway_stats(sim.org_id)
    assert len(rows) == 5
    assert rows.incomplete == {
        "source": STATS,
        "got": 5,
        "total": None,
        "why": "X-Page-Total missing on a full page",
    }


def test_missing_total_on_a_short_page_is_complete(sim):
    conn, _ = connect(sim, Mutation(STATS, "missing_total"))
    rows = conn.gateway_stats(sim.org_id)
    assert len(rows) == 12 and rows.incomplete is None


def test_failed_page_2_is_named_with_what_was_received(sim, monkeypatch):
    """The banner's "10 of 12 gateways: page 2 of 3 failed: HTTP 503"."""
    monkeypatch.setattr(mist_connection, "PAGE_LIMIT", 5)
    conn, _ = connect(
        sim, Mutation(STATS, "http_503", occurrence=2), page_workers=1, retry=RetryPolicy(attempts=1)
    )
    rows = conn.gateway_stats(sim.org_id)
    assert rows.incomplete["got"] == 5 and rows.incomplete["total"] == 12
    assert rows.incomplete["why"].startswith("page 2 of 3 failed: ")
    assert "HTTP 503" in rows.incomplete["why"]


def test_fewer_rows_than_announced_is_incomplete(sim, monkeypatch):
    monkeypatch.setattr(mist_connection, "PAGE_LIMIT", 5)
    conn, transport = connect(sim, Mutation(STATS, "lying_total", 1, "14"))
    rows = conn.gateway_stats(sim.org_id)
    assert rows.incomplete == {
        "source": STATS,
        "got": 12,
        "total": 14,
        "why": "fewer rows than announced (12 of 14)",
    }
    assert transport.by_operation[STATS] == 3


def test_an_honest_multi_page_list_is_complete(sim, monkeypatch):
    monkeypatch.setattr(mist_connection, "PAGE_LIMIT", 5)
    conn, transport = connect(sim)
    rows = conn.gateway_stats(sim.org_id)
    assert len(rows) == 12 and rows.incomplete is None
    assert len({row["id"] for row in rows}) == 12
    assert transport.by_operation[STATS] == 3


def test_a_failed_later_search_page_is_incomplete(sim):
    conn, transport = connect(sim, Mutation(PEERS, "page_2_fails"))
    paths = conn.peer_paths(sim.org_id)
    assert paths and paths.incomplete["why"].startswith("page 2 failed: ")
    assert paths.incomplete["total"] == 2500


# ----- errors carry their cause, and calls are counted ---------------------------------------------


class Failing(BaseAdapter):
    """A transport that fails every request with one exception."""

    def __init__(self, error: Exception):
        super().__init__()
        self.error = error
        self.sent = 0

    def send(self, request, **kwargs):
        self.sent += 1
        raise self.error

    def close(self):
        """Nothing to release."""


@pytest.mark.parametrize(
    ("error", "cause", "attempts"),
    [
        (
            requests.exceptions.SSLError("certificate verify failed"),
            "TLS error: certificate verify failed",
            1,
        ),
        (requests.exceptions.ProxyError("Cannot connect to proxy"), "proxy error", 2),
        (requests.exceptions.ConnectionError("[Errno 111] Connection refused"), "connection refused", 2),
        (requests.exceptions.ConnectTimeout("connect timeout"), "connection timed out", 2),
        (requests.exceptions.ReadTimeout("read timeout"), "no answer within the read timeout", 2),
    ],
)
def test_transport_failures_say_what_happened(error, cause, attempts):
    adapter = Failing(error)
    conn = MistConnection(
        ["token-abcdefghijkl"],
        session_hook=lambda session: session.mount("https://", adapter),
        retry=RetryPolicy(attempts=2, backoff=0.0),
    )
    with pytest.raises(MistUnavailable) as raised:
        conn.organization("00000000-0000-4000-8000-000000000000")
    assert cause in str(raised.value)
    assert raised.value.__cause__ is error
    assert adapter.sent == attempts
    assert conn.call_counts() == {("getOrg", "error"): attempts}
    assert "token-abcdefghijkl" not in str(raised.value)


def test_call_counts_by_operation_and_status(sim):
    conn, _ = connect(sim, Mutation("getOrg", "http_503"))
    conn.sites(sim.org_id)
    conn.gateway_stats(sim.org_id)
    with pytest.raises(MistUnavailable, match="HTTP 503"):
        conn.organization(sim.org_id)
    assert conn.call_counts() == {
        ("listOrgSites", "200"): 1,
        (STATS, "200"): 1,
        ("getOrg", "503"): 2,
    }
    assert conn.upstream_calls == 4


def test_search_next_pages_count_under_the_search_name(sim, monkeypatch):
    monkeypatch.setattr(mist_connection, "PAGE_LIMIT", 5)
    conn, _ = connect(sim)
    paths = conn.peer_paths(sim.org_id)
    counts = conn.call_counts()
    assert set(counts) == {(PEERS, "200")}
    assert counts[(PEERS, "200")] == -(-len(paths) // 5) and paths.incomplete is None


# ----- organizations() and malformed privileges -----------------------------------------------------

ORG = "9da0b47a-80d1-422c-ac64-f167904f1c5a"


@pytest.mark.parametrize("privileges", ["admin", 7, None, {"scope": "org"}])
def test_privileges_that_are_not_a_list_are_a_bad_answer(sim, monkeypatch, privileges):
    conn, _ = connect(sim)
    monkeypatch.setattr(conn, "whoami", lambda budget=None: {"privileges": privileges})
    with pytest.raises(MistBadAnswer, match="privileges"):
        conn.organizations()


def test_malformed_privilege_entries_are_skipped_and_odd_names_blanked(sim, monkeypatch):
    conn, _ = connect(sim)
    privileges = [
        1,
        "x",
        None,
        {"scope": "org", "org_id": {"a": 1}, "name": "object id"},
        {"scope": "org", "org_id": "not-a-uuid", "name": "bad id"},
        {"scope": ["org"], "org_id": ORG},
        {"scope": "org", "org_id": ORG.upper(), "name": 5, "role": ["admin"]},
        {"scope": "org", "org_id": "00000000-0000-4000-8000-000000000001", "name": "Zeta", "role": "read"},
    ]
    monkeypatch.setattr(conn, "whoami", lambda budget=None: {"privileges": privileges})
    assert conn.organizations() == [
        {"org_id": ORG, "name": None, "role": None},
        {"org_id": "00000000-0000-4000-8000-000000000001", "name": "Zeta", "role": "read"},
    ]


@pytest.mark.parametrize("retry_after", ["nan", "NaN", "inf", "-inf", "1e400", "soon", ""])
def test_a_junk_retry_after_never_cools_a_token_forever(retry_after):
    """``float("nan")`` parses: a cool-down until nan would never end."""
    from mist_connection import TokenPool

    clock = [1_000_000.0]
    pool = TokenPool(["token-abcdefghijkl"], clock=lambda: clock[0])
    until = pool.cool_down("token-abcdefghijkl", retry_after)
    assert 1_000_001.0 <= until <= 1_000_000.0 + 3600.0
    clock[0] = until + 1
    assert pool.acquire() == "token-abcdefghijkl"
