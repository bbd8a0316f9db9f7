"""Helpers of the packaging tests: paths, tool lookup, and the configuration variable lists.

The variables the app reads are found two ways: the ``ENV_VARS`` table of config.py (name ->
(default, meaning)), read with ``ast`` so nothing is imported, and a regex scan of every top-level
module for direct reads (os.environ[...], os.environ.get, os.getenv, env helpers). README's
configuration table and .env.example must list exactly those names.
"""

from __future__ import annotations

import ast
import re
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Variables honoured by a library rather than read by the app's own code.
LIBRARY_ENV = {
    "HTTPS_PROXY": "requests reads it for every outgoing call",
}

# os.environ["X"], os.environ.get("X"), environ.setdefault("X"), os.getenv("X"), and helpers whose
# name contains "env" called with the name first (_env_int("PORT", 5000), env_flag("MIST_DEMO")).
_ENV_READ = re.compile(
    r"""(?:\benviron\s*\[\s*|\benviron\s*\.\s*(?:get|setdefault|pop)\s*\(\s*|\b\w*env\w*\s*\(\s*)"""
    r"""(?:r|b)?["']([A-Z][A-Z0-9_]{1,})["']""",
    re.IGNORECASE,
)
# Module-level names of variables whose value is the env name (PORT_VAR = "PORT") are not followed.


def env_names_in_source(text: str) -> set[str]:
    """Environment variable names a piece of Python source reads (literal names only)."""
    return {m.group(1) for m in _ENV_READ.finditer(text) if m.group(1).isupper()}


def app_source_files() -> list[Path]:
    """The app's own top-level modules (app.py, config.py, mist_connection.py, cache.py, ...)."""
    return sorted(p for p in REPO.glob("*.py") if p.is_file())


def config_env_table() -> dict[str, str]:
    """config.ENV_VARS as {name: default}, parsed from the source; {} while config.py is absent."""
    path = REPO / "config.py"
    if not path.exists():
        return {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        target = getattr(node, "target", None) or (getattr(node, "targets", None) or [None])[0]
        if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(target, ast.Name):
            if target.id == "ENV_VARS" and node.value is not None:
                table = ast.literal_eval(node.value)
                return {name: value[0] for name, value in table.items()}
    return {}


def app_env_names() -> set[str]:
    names = set(config_env_table())
    for path in app_source_files():
        names |= env_names_in_source(path.read_text(encoding="utf-8"))
    return names


def env_example_names() -> list[str]:
    """Names in .env.example, set (NAME=value) or shown commented out (# NAME=default)."""
    text = (REPO / ".env.example").read_text(encoding="utf-8")
    return re.findall(r"^#?[ \t]*([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE)


def readme_config_rows() -> list[list[str]]:
    """Rows of the table in README's "## Configuration" section, as lists of cell texts."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Configuration\s*$(.*?)(?=^## )", text, flags=re.MULTILINE | re.DOTALL)
    assert match, 'README.md has no "## Configuration" section'
    rows = []
    for line in match.group(1).splitlines():
        line = line.strip()
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows[1:]  # drop the header row


def readme_env_names() -> list[str]:
    names = []
    for row in readme_config_rows():
        match = re.fullmatch(r"`([A-Z][A-Z0-9_]+)`", row[0])
        assert match, f"first cell of a configuration row is not a `NAME`: {row}"
        names.append(match.group(1))
    return names


def canonical_env_names() -> set[str]:
    return set(readme_env_names())


def find_tool(name: str) -> str:
    """A console script of the dev requirements: next to this Python first, then on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: run ./scripts/test.sh (it installs requirements-dev.txt)")
    return found


def require_app_source() -> None:
    assert (REPO / "app.py").exists(), "app.py is missing from the repository"


def dockerfile_instructions(path: Path | None = None) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs of a Dockerfile: comments dropped, continuations joined."""
    lines = (path or REPO / "Dockerfile").read_text(encoding="utf-8").splitlines()
    instructions, current = [], ""
    for line in lines:
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue  # comment lines inside a continued instruction
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        keyword, _, rest = current.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
        current = ""
    return instructions


def dockerfile_cmd() -> list[str]:
    """The Dockerfile's last CMD, which must be in exec (JSON array) form."""
    import json

    cmds = [args for keyword, args in dockerfile_instructions() if keyword == "CMD"]
    assert cmds, "Dockerfile has no CMD"
    cmd = json.loads(cmds[-1])
    assert isinstance(cmd, list) and all(isinstance(a, str) for a in cmd), "CMD must be a JSON array"
    return cmd


def gunicorn_bind_port(cmd: list[str]) -> int:
    bind = (
        cmd[cmd.index("--bind") + 1] if "--bind" in cmd else next(a for a in cmd if a.startswith("--bind="))
    )
    return int(bind.rsplit(":", 1)[1].removeprefix("--bind="))


def load_yaml(path: Path):
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))
