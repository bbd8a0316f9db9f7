"""Validate simulator answers against the official Mist OpenAPI schemas.

The file is OpenAPI 3.1 but still marks optional nulls with the 3.0 keyword `nullable`; JSON Schema
ignores that keyword, so it is rewritten into `"null"` types before validating with Draft 2020-12.
Every `$ref` is resolved through a `referencing` registry holding the whole document.

Corrections to the official description (each one is a place where it is wrong for gateways):
- `stats_switch_port_port_usage` (the `port_usage` of port stats) lists only "lan"; gateway ports
  report "wan" too (MIST_API.md), so "wan" is added.
- `site_setting_derived` is `allOf: [site_setting, site_setting_derived_accounts]`, and the second
  part is an object whose *every* property must be an OAuth account, so no settings object could
  match (`vars`, `id`, ... are not accounts). The derived settings are validated as site settings.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

# The vendored, trimmed copy inside the repository (mist_simulator/openapi/README.md): the schema
# tests must run from any checkout, so nothing here may read outside the repository.
SPEC_PATH = Path(__file__).resolve().parents[2] / "mist_simulator" / "openapi" / "mist.openapi.json"
URI = "urn:mist-openapi"


def _nullable(node):
    if isinstance(node, list):
        return [_nullable(x) for x in node]
    if not isinstance(node, dict):
        return node
    node = {k: _nullable(v) for k, v in node.items()}
    if node.pop("nullable", False):
        if isinstance(node.get("type"), str) and "$ref" not in node:
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
        else:
            node = {"anyOf": [node, {"type": "null"}]}
    return node


@cache
def spec() -> dict:
    return json.loads(SPEC_PATH.read_text())


@cache
def registry() -> Registry:
    doc = copy.deepcopy(spec())
    schemas = doc["components"]["schemas"]
    schemas["stats_switch_port_port_usage"]["enum"] = ["lan", "wan"]  # see the module docstring
    schemas["site_setting_derived"] = {"$ref": "#/components/schemas/site_setting"}  # likewise
    doc["components"] = _nullable(doc["components"])
    return Registry().with_resource(URI, Resource(contents=doc, specification=DRAFT202012))


def response_schema_ref(path: str) -> str:
    """The `$ref` of the 200 application/json answer of GET `path`, resolved to a schema pointer."""
    answer = spec()["paths"][path]["get"]["responses"]["200"]
    name = answer["$ref"].split("/")[-1]
    schema = spec()["components"]["responses"][name]["content"]["application/json"]["schema"]
    return schema["$ref"]


def validator(path: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": URI + response_schema_ref(path)}, registry=registry())


def errors(path: str, document) -> list[str]:
    """Readable validation errors (empty when `document` matches the official schema)."""
    found = sorted(validator(path).iter_errors(document), key=lambda e: list(e.absolute_path))
    out = []
    for err in found[:10]:
        detail = err.message[:300]
        if err.context:
            detail += " | " + "; ".join(sorted({c.message[:120] for c in err.context}))[:600]
        out.append(f"{list(err.absolute_path)}: {detail}")
    return out
