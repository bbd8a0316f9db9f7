"""The vendored OpenAPI description: inside the repository, complete for what we serve, regenerable.

Why: the schema tests used to read the description from a machine-specific folder outside the
repository, so they failed in any other checkout (a fresh clone, CI). These tests pin the fix.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

from tests.simulator import schemas

REPO = Path(__file__).resolve().parents[2]
VENDORED = REPO / "mist_simulator" / "openapi"


def outside_references() -> re.Pattern:
    """Any way a file could name a folder beside this checkout: its absolute path, or ``../<name>``.

    The folders are found at run time, so the check holds wherever the repository is cloned.
    """
    siblings = [p.name for p in REPO.parent.iterdir() if p.is_dir() and p != REPO]
    forms = [f"{re.escape(str(REPO.parent))}/{re.escape(n)}\\b" for n in siblings]
    forms += [f"\\.\\./{re.escape(n)}\\b" for n in siblings]
    return re.compile("|".join(forms) or "(?!)")


def load_trim_script():
    spec = importlib.util.spec_from_file_location("trim_openapi", REPO / "scripts" / "trim_openapi.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_test_reads_outside_the_repository():
    outside = outside_references()
    offenders = [
        str(path.relative_to(REPO))
        for path in (REPO / "tests").rglob("*")
        if path.is_file()
        and path.suffix in (".py", ".json", ".txt", ".cfg", ".toml", ".sh", "")
        and outside.search(path.read_text(errors="replace"))
    ]
    assert offenders == []


def test_the_schema_module_reads_the_vendored_copy():
    assert schemas.SPEC_PATH.resolve().is_relative_to(REPO)
    assert schemas.SPEC_PATH.resolve() == (VENDORED / "mist.openapi.json").resolve()
    assert schemas.spec()["info"]["version"] == "2509.1.2"


def test_the_licence_and_the_version_travel_with_the_copy():
    licence = (VENDORED / "LICENSE").read_text()
    assert "MIT License" in licence and "Permission is hereby granted" in licence
    assert "2509.1.2" in (VENDORED / "README.md").read_text()


def test_every_path_the_trim_script_keeps_is_in_the_copy_with_its_refs_resolved():
    """A dangling `$ref` would make a schema test crash instead of validating."""
    trim = load_trim_script()
    doc = json.loads((VENDORED / "mist.openapi.json").read_text())
    assert sorted(doc["paths"]) == sorted(trim.PATHS)
    for section, name in trim.refs(doc):
        assert name in doc["components"].get(section, {}), f"dangling $ref {section}/{name}"
    assert all("get" in item for item in doc["paths"].values())


def test_the_copy_stays_small():
    assert (VENDORED / "mist.openapi.json").stat().st_size < 700_000


def test_the_trim_script_follows_refs_transitively_and_drops_other_operations():
    trim = load_trim_script()
    full = {
        "openapi": "3.1.0",
        "info": {"version": "x"},
        "paths": {
            path: {"get": {"responses": {"200": {"$ref": "#/components/responses/R"}}}, "put": {}}
            for path in trim.PATHS
        }
        | {"/api/v1/unused": {"get": {"responses": {"200": {"$ref": "#/components/responses/Unused"}}}}},
        "components": {
            "responses": {
                "R": {
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/a"},
                            "examples": {"x": {"$ref": "#/components/examples/E"}},
                        }
                    }
                },
                "Unused": {"content": {}},
            },
            "schemas": {"a": {"properties": {"b": {"$ref": "#/components/schemas/b"}}}, "b": {}, "c": {}},
            "examples": {"E": {"value": 1}},
        },
    }
    trimmed = trim.trim(full)
    assert "/api/v1/unused" not in trimmed["paths"]
    assert all(set(item) == {"get"} for item in trimmed["paths"].values())
    assert sorted(trimmed["components"]["schemas"]) == ["a", "b"]
    assert sorted(trimmed["components"]["responses"]) == ["R"]
    assert "examples" not in trimmed["components"]
    assert json.loads(trim.render(trimmed)) == trimmed
