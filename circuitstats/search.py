"""The one definition of the gateway search, shared by the screen, the URL and the CSV export.

Why one module: the page filters the table in the browser, ``/api/gateways?q=`` and
``/api/export.csv?q=`` filter on the server. When the two disagreed (the server also matched the IP
and MAC, the page did not; the server refused long queries the page accepted) the exported file
held other gateways than the screen showed. ``static/js/search.js`` is the browser's copy of these
rules, line for line; ``tests/browser/test_hostile_text.py`` runs both on the same hostile strings
and requires identical answers, so the two cannot drift apart silently.

The rules:

* Fields searched: gateway name, site name, external IP and MAC (:data:`FIELDS`).
* A match is a substring match after :func:`normalise` on both sides: Unicode NFKC (full-width
  and compatibility forms become their plain letters), invisible format characters removed
  (bidirectional overrides and isolates, zero-width spaces: a name carrying them still matches what
  the user sees), lower case with the final sigma folded to the plain one, whitespace runs
  collapsed to one space, outer whitespace stripped.
* A MAC also matches without separators: ``00:11:22`` and ``001122`` find ``00-11-22-...``.
* Length: at most :data:`MAX_LENGTH` characters (code points, counted after stripping outer
  whitespace, before normalisation). Longer is refused with :data:`TOO_LONG_MESSAGE`, never
  silently cut: a cut query would match rows the user did not ask for.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

__all__ = ["FIELDS", "MAX_LENGTH", "TOO_LONG_MESSAGE", "filter_rows", "matches", "normalise", "parse_query"]

FIELDS = ("name", "site_name", "ext_ip", "mac")
MAX_LENGTH = 200
TOO_LONG_MESSAGE = f"the search is limited to {MAX_LENGTH} characters"

# Spelled out rather than ``\s`` because Python's and JavaScript's ``\s`` differ (U+001C..U+001F,
# U+0085); search.js uses this very class.
_SPACE = "\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_WHITESPACE = re.compile(f"[{_SPACE}]+")
_OUTER_WHITESPACE = re.compile(f"^[{_SPACE}]+|[{_SPACE}]+$")
_MAC_SEPARATORS = re.compile(f"[{_SPACE}:.\\-]")

Row = TypeVar("Row", bound=Mapping[str, Any])


def normalise(text: str) -> str:
    """Search form of a text (see the module docstring); the same function as search.js's."""
    folded = unicodedata.normalize("NFKC", text)
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf")
    lowered = visible.lower().replace("\u03c2", "\u03c3")  # final sigma depends on context: fold it
    return _WHITESPACE.sub(" ", lowered).strip(" ")


def _length(text: str) -> int:
    """Length in code points (what a user would call characters; search.js counts the same way)."""
    return len(text)


def parse_query(raw: str | None) -> str | None:
    """The query as the user typed it, or None when there is nothing to search for.

    Raises ValueError with :data:`TOO_LONG_MESSAGE` beyond :data:`MAX_LENGTH` characters.
    """
    text = _OUTER_WHITESPACE.sub("", raw or "")
    if _length(text) > MAX_LENGTH:
        raise ValueError(TOO_LONG_MESSAGE)
    return text if normalise(text) else None


def _compact_mac(text: str) -> str:
    return _MAC_SEPARATORS.sub("", text)


def matches(row: Mapping[str, Any], needle: str) -> bool:
    """Whether an already normalised, non-empty ``needle`` occurs in one of the searched fields."""
    for field in FIELDS:
        value = row.get(field)
        if isinstance(value, str) and needle in normalise(value):
            return True
    mac = row.get("mac")
    compact = _compact_mac(needle)
    return bool(compact) and isinstance(mac, str) and compact in _compact_mac(normalise(mac))


def filter_rows(rows: Iterable[Row], site_id: str | None = None, query: str | None = None) -> list[Row]:
    """Rows of one site (when given) that match the query (when given), in their order."""
    parsed = parse_query(query)
    needle = normalise(parsed) if parsed else ""
    return [
        row
        for row in rows
        if (not site_id or row.get("site_id") == site_id) and (not needle or matches(row, needle))
    ]
