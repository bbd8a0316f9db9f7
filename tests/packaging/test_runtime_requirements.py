"""The container installs requirements.txt only: every import of the app must be covered by it."""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata

from tests.packaging.helpers import REPO, require_app_source


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _runtime_closure() -> set[str]:
    """Distributions requirements.txt brings in: the listed ones and, recursively, what they require."""
    wanted = [
        re.split(r"[<>=~!\[ ;]", line.strip(), maxsplit=1)[0]
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith(("#", "-"))
    ]
    seen: set[str] = set()
    while wanted:
        name = _normal(wanted.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        wanted += [re.split(r"[<>=~!\[ ;(]", r, maxsplit=1)[0] for r in requires if "extra ==" not in r]
    return seen


def _third_party_imports() -> dict[str, str]:
    """Top-level third-party modules imported by the app and the simulator -> a file importing each."""
    packages = ("mist_simulator", "circuitstats")
    files = [*REPO.glob("*.py"), *(f for package in packages for f in (REPO / package).rglob("*.py"))]
    local = {p.stem for p in REPO.glob("*.py")} | set(packages)
    found: dict[str, str] = {}
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in local:
                    found.setdefault(top, path.name)
    return found


def test_every_runtime_import_is_installed_by_requirements_txt():
    require_app_source()
    closure = _runtime_closure()
    providers = metadata.packages_distributions()
    missing = {
        module: where
        for module, where in _third_party_imports().items()
        if not {_normal(d) for d in providers.get(module, [module])} & closure
    }
    assert not missing, f"imported but not installed in the image (add to requirements.txt): {missing}"
