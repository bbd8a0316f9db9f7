"""The one gateway search (circuitstats.search): fields, normalisation, length limit."""

from __future__ import annotations

import pytest

import circuits
from circuitstats import search

ROWS = [
    {
        "site_id": "s1",
        "name": "Paris-GW1",
        "site_name": "Store 00001 Paris",
        "ext_ip": "198.51.100.7",
        "mac": "aabbcc000001",
    },
    {
        "site_id": "s2",
        "name": "\u202eevil\u202c-gw",
        "site_name": "ΟΔΟΣ Athens",
        "ext_ip": None,
        "mac": "aabbcc000002",
    },
    {"site_id": "s2", "name": None, "site_name": "{{7*7}}", "ext_ip": "203.0.113.9", "mac": None},
]


def names(rows):
    return [row["site_name"] for row in rows]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("paris", ["Store 00001 Paris"]),
        ("ＰＡＲＩＳ", ["Store 00001 Paris"]),  # full-width letters fold to plain ones (NFKC)
        ("  store   00001  ", ["Store 00001 Paris"]),  # whitespace runs collapse
        ("evil-gw", ["ΟΔΟΣ Athens"]),  # the bidi override inside the name is invisible to search
        ("οδος", ["ΟΔΟΣ Athens"]),  # final sigma folds to the plain one
        ("203.0.113", ["{{7*7}}"]),  # external IP is searched
        ("aa:bb:cc:00:00:02", ["ΟΔΟΣ Athens"]),  # MAC with separators finds the compact MAC
        ("{{7*7}}", ["{{7*7}}"]),
        ("", ["Store 00001 Paris", "ΟΔΟΣ Athens", "{{7*7}}"]),
        ("\u200b", ["Store 00001 Paris", "ΟΔΟΣ Athens", "{{7*7}}"]),  # only invisible text: no filter
    ],
)
def test_search_fields_and_normalisation(query, expected):
    assert names(search.filter_rows(ROWS, None, query)) == expected


def test_site_and_query_combine():
    assert names(search.filter_rows(ROWS, "s2", "athens")) == ["ΟΔΟΣ Athens"]
    assert names(search.filter_rows(ROWS, "s1", "athens")) == []


def test_circuits_filter_rows_is_the_same_search():
    for query in ("paris", "aa:bb:cc:00:00:02", "οδος", ""):
        assert circuits.filter_rows(ROWS, None, query) == search.filter_rows(ROWS, None, query)


def test_length_limit_counts_characters_and_says_so():
    at_limit = "😀" * search.MAX_LENGTH  # astral characters count once each, as in search.js
    assert search.parse_query(f"  {at_limit}  ") == at_limit
    with pytest.raises(ValueError, match=f"limited to {search.MAX_LENGTH} characters"):
        search.parse_query("x" * (search.MAX_LENGTH + 1))
    with pytest.raises(ValueError):
        circuits.filter_rows(ROWS, None, "x" * (search.MAX_LENGTH + 1))


def test_blank_queries_are_none():
    assert search.parse_query(None) is None
    assert search.parse_query(" \t\u3000 ") is None
