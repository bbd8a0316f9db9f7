"""One list of environment variables: README's configuration table, .env.example, and the app's code."""

from __future__ import annotations

import re

from tests.packaging.helpers import (
    LIBRARY_ENV,
    REPO,
    app_env_names,
    app_source_files,
    canonical_env_names,
    config_env_table,
    env_example_names,
    env_names_in_source,
    readme_config_rows,
    readme_env_names,
    require_app_source,
)

# The variables the product was specified with; the list may grow, never silently shrink.
SPECIFIED = {
    "MIST_APITOKEN", "MIST_ORG_ID", "MIST_HOST", "PORT", "LOG_LEVEL", "HTTPS_PROXY", "REDIS_URL",
    "MIST_DEMO", "MIST_DEMO_GATEWAYS", "MIST_DEMO_SEED", "MIST_DEMO_LATENCY_MS", "MIST_DEMO_RATE_LIMIT",
    "MIST_DEMO_FAULT_RATE", "MIST_DEMO_ADVERSARIAL", "REFRESH_SECONDS", "CACHE_TTL_SECONDS",
    "MIST_TIMEOUT_SECONDS", "ENRICH_BUDGET",
}  # fmt: skip


def test_scanner_sees_every_way_of_reading_a_variable():
    source = """
import os
from os import environ, getenv
a = os.environ["ALPHA"]
b = os.environ.get('BRAVO', "x")
c = os.getenv("CHARLIE")
d = environ.get( "DELTA" )
e = _env_int("ECHO_SECONDS", 20)
f = env_flag("FOXTROT")
g = os.environ.setdefault("GOLF", "1")
h = load_dotenv(".env")
i = settings.get("NOT_AN_ENV")
"""
    assert env_names_in_source(source) == {
        "ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO_SECONDS", "FOXTROT", "GOLF",
    }  # fmt: skip


def test_readme_table_rows_have_name_default_and_meaning():
    rows = readme_config_rows()
    assert rows, "README's configuration table is empty"
    for row in rows:
        assert len(row) == 3 and all(row), f"configuration row needs name, default and meaning: {row}"


def test_readme_and_env_example_list_the_same_variables_once():
    readme, example = readme_env_names(), env_example_names()
    assert len(readme) == len(set(readme)), f"duplicate rows in README: {sorted(readme)}"
    assert len(example) == len(set(example)), f"duplicate names in .env.example: {sorted(example)}"
    assert set(readme) == set(example), (
        f"only in README: {sorted(set(readme) - set(example))}; "
        f"only in .env.example: {sorted(set(example) - set(readme))}"
    )


def test_specified_variables_are_documented():
    missing = SPECIFIED - canonical_env_names()
    assert not missing, f"variables missing from README's configuration table: {sorted(missing)}"


def test_env_example_is_usable_as_a_docker_env_file():
    # docker/podman --env-file take values literally: quotes and trailing comments would become
    # part of the value, and spaces around '=' break the name.
    for number, line in enumerate((REPO / ".env.example").read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep and name == name.strip() and name.isupper(), f".env.example:{number}: {line!r}"
        assert not value.startswith(("'", '"')) and " #" not in value, f".env.example:{number}: {line!r}"


def test_every_variable_the_app_reads_is_documented():
    require_app_source()
    read = app_env_names()
    assert read, f"found no environment variable read in {[p.name for p in app_source_files()]}"
    undocumented = read - canonical_env_names()
    assert not undocumented, (
        f"the app reads {sorted(undocumented)}: add them to README's configuration table and .env.example"
    )


def test_every_documented_variable_is_read_by_the_app():
    require_app_source()
    read = app_env_names() | set(LIBRARY_ENV)
    unread = set(env_example_names()) - read
    assert not unread, f".env.example documents variables no code reads: {sorted(unread)}"


def _readme_defaults() -> dict[str, str]:
    return {row[0].strip("`"): row[1] for row in readme_config_rows()}


def test_defaults_agree_between_config_readme_and_env_example():
    require_app_source()
    table = config_env_table()
    if not table:
        return  # no ENV_VARS table in config.py: nothing to compare against
    readme = _readme_defaults()
    example = dict(re.findall(r"^#?[ \t]*([A-Z][A-Z0-9_]+)=(.*)$", (REPO / ".env.example").read_text(), re.M))
    for name, default in table.items():
        if default:
            assert f"`{default}`" in readme.get(name, ""), f"README default of {name} should be `{default}`"
            assert example.get(name) == default, f".env.example should show {name}={default}"
        else:
            assert "`" not in readme.get(name, ""), f"README gives {name} a default; config.py has none"
            assert example.get(name, "") == "", (
                f".env.example gives {name} a value; config.py default is empty"
            )
