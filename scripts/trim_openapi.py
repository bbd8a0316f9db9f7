#!/usr/bin/env python3
"""Regenerate mist_simulator/openapi/mist.openapi.json from the full official Mist description.

Why trimmed: the official file is 2.6 MB and 719 paths; the simulator and the dashboard use about
twenty GET paths. Keeping only those operations and every component they reach through `$ref`
(followed transitively) gives a copy small enough to commit and review, and the schema tests read
it from the repository, so they run from any checkout.

Usage: python scripts/trim_openapi.py /path/to/full/mist.openapi.json [output]
The output defaults to mist_simulator/openapi/mist.openapi.json beside this repository's root.
Only GET operations are kept; `examples` maps are dropped (they are documentation only and would
triple the size), inline `example` values stay.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = ROOT / "mist_simulator" / "openapi" / "mist.openapi.json"

# Every GET path the simulator serves or the dashboard calls (the gateway insights path is newer
# than the description and absent from it).
PATHS = (
    "/api/v1/self",
    "/api/v1/orgs/{org_id}",
    "/api/v1/orgs/{org_id}/sites",
    "/api/v1/orgs/{org_id}/stats/devices",
    "/api/v1/orgs/{org_id}/stats/ports/search",
    "/api/v1/orgs/{org_id}/stats/vpn_peers/search",
    "/api/v1/orgs/{org_id}/inventory",
    "/api/v1/orgs/{org_id}/gatewaytemplates",
    "/api/v1/orgs/{org_id}/gatewaytemplates/{gatewaytemplate_id}",
    "/api/v1/orgs/{org_id}/deviceprofiles",
    "/api/v1/orgs/{org_id}/deviceprofiles/{deviceprofile_id}",
    "/api/v1/orgs/{org_id}/devices/search",
    "/api/v1/orgs/{org_id}/devices/events/search",
    "/api/v1/orgs/{org_id}/devices/events/count",
    "/api/v1/sites/{site_id}",
    "/api/v1/sites/{site_id}/setting",
    "/api/v1/sites/{site_id}/setting/derived",
    "/api/v1/sites/{site_id}/devices",
    "/api/v1/sites/{site_id}/devices/search",
    "/api/v1/sites/{site_id}/devices/{device_id}",
    "/api/v1/sites/{site_id}/stats/devices/{device_id}",
    "/api/v1/sites/{site_id}/stats/ports/search",
)


def without_examples(node):
    """A copy of `node` without `examples` maps (inline `example` values are kept)."""
    if isinstance(node, list):
        return [without_examples(item) for item in node]
    if isinstance(node, dict):
        return {k: without_examples(v) for k, v in node.items() if k != "examples"}
    return node


def refs(node):
    """Every local `$ref` target inside `node`, as (section, name) pairs."""
    if isinstance(node, list):
        for item in node:
            yield from refs(item)
    elif isinstance(node, dict):
        target = node.get("$ref")
        if isinstance(target, str) and target.startswith("#/components/"):
            _, _, section, name = target.split("/", 3)
            yield section, name
        for value in node.values():
            yield from refs(value)


def trim(full: dict) -> dict:
    missing = [p for p in PATHS if p not in full["paths"] or "get" not in full["paths"][p]]
    if missing:
        raise SystemExit(f"paths missing from the description: {missing}")
    paths = {}
    for path in PATHS:
        item = full["paths"][path]
        paths[path] = {k: v for k, v in item.items() if k in ("get", "parameters")}
    paths = without_examples(paths)
    components: dict[str, dict] = {}
    pending = list(refs(paths))
    while pending:
        section, name = pending.pop()
        if name in components.get(section, {}):
            continue
        value = without_examples(full["components"][section][name])
        components.setdefault(section, {})[name] = value
        pending.extend(refs(value))
    if "securitySchemes" in full.get("components", {}):
        components["securitySchemes"] = full["components"]["securitySchemes"]
    out = {
        "openapi": full["openapi"],
        "info": full["info"],
        "servers": full.get("servers", []),
        "security": full.get("security", []),
        "paths": paths,
        "components": {section: dict(sorted(items.items())) for section, items in sorted(components.items())},
    }
    out["info"] = {
        **full["info"],
        "x-trimmed": f"{len(PATHS)} GET paths of {len(full['paths'])}, see scripts/trim_openapi.py",
    }
    return out


def render(document: dict) -> str:
    """JSON with one line per path and per component: diffs of a regeneration stay per schema."""

    def compact(value) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def block(mapping: dict, indent: str) -> str:
        lines = [f"{indent} {compact(k)}:{compact(v)}" for k, v in mapping.items()]
        return "{\n" + ",\n".join(lines) + "\n" + indent + "}"

    parts = []
    for key, value in document.items():
        if key == "paths":
            text = block(value, "")
        elif key == "components":
            text = "{\n" + ",\n".join(f" {compact(k)}:{block(v, ' ')}" for k, v in value.items()) + "\n}"
        else:
            text = compact(value)
        parts.append(f"{compact(key)}:{text}")
    rendered = "{\n" + ",\n".join(parts) + "\n}\n"
    assert json.loads(rendered) == document
    return rendered


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    full = json.loads(Path(argv[1]).read_text())
    output = Path(argv[2]) if len(argv) == 3 else DEFAULT_OUTPUT
    trimmed = trim(full)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render(trimmed))
    print(
        f"{output}: {output.stat().st_size:,} bytes, {len(trimmed['paths'])} paths, "
        f"{len(trimmed['components'].get('schemas', {}))} schemas (version {full['info']['version']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
