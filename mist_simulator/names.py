"""Word lists for the generated organization, and the adversarial strings.

Why: realistic names and places make the dashboard look like a real deployment, and the
adversarial strings (HTML, CSV-formula text, quotes, newlines, long right-to-left unicode) are what a
careless template or CSV export would mishandle; the simulator puts them where users type text.
"""

from __future__ import annotations

# (city, country code, IANA timezone, UTC offset in hours without DST, lat, lng)
CITIES = (
    ("New York", "US", "America/New_York", -5, 40.7128, -74.0060),
    ("Chicago", "US", "America/Chicago", -6, 41.8781, -87.6298),
    ("Denver", "US", "America/Denver", -7, 39.7392, -104.9903),
    ("San Jose", "US", "America/Los_Angeles", -8, 37.3382, -121.8863),
    ("Seattle", "US", "America/Los_Angeles", -8, 47.6062, -122.3321),
    ("Atlanta", "US", "America/New_York", -5, 33.7490, -84.3880),
    ("Dallas", "US", "America/Chicago", -6, 32.7767, -96.7970),
    ("Toronto", "CA", "America/Toronto", -5, 43.6532, -79.3832),
    ("Mexico City", "MX", "America/Mexico_City", -6, 19.4326, -99.1332),
    ("Sao Paulo", "BR", "America/Sao_Paulo", -3, -23.5505, -46.6333),
    ("London", "GB", "Europe/London", 0, 51.5074, -0.1278),
    ("Paris", "FR", "Europe/Paris", 1, 48.8566, 2.3522),
    ("Amsterdam", "NL", "Europe/Amsterdam", 1, 52.3676, 4.9041),
    ("Frankfurt", "DE", "Europe/Berlin", 1, 50.1109, 8.6821),
    ("Madrid", "ES", "Europe/Madrid", 1, 40.4168, -3.7038),
    ("Milan", "IT", "Europe/Rome", 1, 45.4642, 9.1900),
    ("Stockholm", "SE", "Europe/Stockholm", 1, 59.3293, 18.0686),
    ("Warsaw", "PL", "Europe/Warsaw", 1, 52.2297, 21.0122),
    ("Dubai", "AE", "Asia/Dubai", 4, 25.2048, 55.2708),
    ("Mumbai", "IN", "Asia/Kolkata", 5, 19.0760, 72.8777),
    ("Singapore", "SG", "Asia/Singapore", 8, 1.3521, 103.8198),
    ("Hong Kong", "HK", "Asia/Hong_Kong", 8, 22.3193, 114.1694),
    ("Tokyo", "JP", "Asia/Tokyo", 9, 35.6762, 139.6503),
    ("Seoul", "KR", "Asia/Seoul", 9, 37.5665, 126.9780),
    ("Sydney", "AU", "Australia/Sydney", 10, -33.8688, 151.2093),
    ("Auckland", "NZ", "Pacific/Auckland", 12, -36.8485, 174.7633),
)

STREETS = (
    "Main St",
    "Market St",
    "Oak Ave",
    "Harbor Rd",
    "Station Rd",
    "Park Lane",
    "King St",
    "Industrial Way",
    "Commerce Blvd",
    "Airport Rd",
    "High St",
    "Mill Rd",
)

SITE_KINDS = ("Branch", "Store", "Clinic", "Office", "Warehouse", "Depot")

ORG_NAMES = (
    "Globex Networks",
    "Initech Retail",
    "Umbrella Health",
    "Stark Logistics",
    "Wayne Hospitality",
    "Soylent Foods",
    "Hooli Europe",
    "Acme APAC",
)

USER_NAMES = (("Ada", "Lovelace"), ("Grace", "Hopper"), ("Alan", "Turing"), ("Radia", "Perlman"))

# The long one: emoji, Arabic and Hebrew (right to left), an RTL override, combining marks; > 300 chars.
LONG_UNICODE = (("Ünïcödé 🚀🔥 مرحبا بالعالم שלום עולם \u202eevil\u202c e\u0301\u0301 漢字テスト ") * 6)[:330]

# 10,000 characters without a space to break at: what a table cell or modal title must clip.
HUGE_NAME = ("WIDE-" * 2000)[:10_000]

# Right-to-left overrides and isolates that are never closed: without bidirectional isolation they
# reverse the text of the cells after them on the page.
UNCLOSED_RTL = ("\u202egnp.exe ", "\u2067\u202b\u05e9\u05dc\u05d5\u05dd open isolate ", "\u200f\u061c-RLM")

# Separators and control characters a CSV export must neither pass through nor let split a cell:
# a ; or tab before a formula, NUL, ESC (an ANSI colour sequence), DEL and a C1 control.
SEPARATORS_AND_CONTROLS = "ok;=2+5;\t+TAB\x00NUL\x1b[31mESC\x1b[0m\x7f\x9b;-1"

# Values that look like template variables but come from a name: only real template values may be
# styled as unresolved variables. These replace the whole name (see `adversarial`).
TEMPLATE_LIKE = ("{{7*7}}", "{{WAN_GE_0_0_0_IP}}")

# Lone surrogates ("\ud800"): valid in JSON escapes (the simulator writes ASCII JSON, so they travel
# as \ud800), impossible to encode as UTF-8: the CSV and the page must survive them.
LONE_SURROGATES = "lone \ud800 high and \udfff low surrogate"

ADVERSARIAL = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '"double" and \'single\' quotes, commas, ""escaped""',
    "line one\nline two\r\nline three",
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    LONG_UNICODE,
    "</td><b>bold</b>&amp;&lt;&#x3C;",
    HUGE_NAME,
    *UNCLOSED_RTL,
    SEPARATORS_AND_CONTROLS,
    LONE_SURROGATES,
    *TEMPLATE_LIKE,
)


def adversarial(base: str, index: int) -> str:
    """An adversarial variant of `base` (two out of three get a payload; the payload comes first
    so formula text stays at the start of a CSV cell; a template-like payload is the whole value)."""
    if index % 3 == 2:
        return base
    given = index - (index + 1) // 3  # counts only the values that get a payload: each one in turn
    payload = ADVERSARIAL[given % len(ADVERSARIAL)]
    if payload in TEMPLATE_LIKE:
        return payload
    return f"{payload} {base}"
