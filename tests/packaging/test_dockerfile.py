"""The Dockerfile: hadolint-clean, small and safe, and consistent with the app it serves."""

from __future__ import annotations

import json
import re
import subprocess

from tests.packaging.helpers import (
    REPO,
    dockerfile_cmd,
    dockerfile_instructions,
    find_tool,
    gunicorn_bind_port,
)


def _args(keyword: str) -> list[str]:
    return [args for kw, args in dockerfile_instructions() if kw == keyword]


def test_hadolint_reports_nothing_above_info():
    result = subprocess.run(
        [find_tool("hadolint"), "--format", "json", "--no-fail", "Dockerfile"],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.stdout.strip(), f"hadolint printed nothing: {result.stderr}"
    findings = json.loads(result.stdout)
    serious = [f for f in findings if f["level"] in ("error", "warning")]
    assert not serious, "\n".join(f"Dockerfile:{f['line']} {f['code']} {f['message']}" for f in serious)


def test_base_image_is_a_pinned_python_311_slim():
    (base,) = _args("FROM")
    assert re.fullmatch(r"python:3\.11(\.\d+)?-slim-[a-z]+(@sha256:[0-9a-f]{64})?", base), base


def test_runs_as_an_unprivileged_user():
    users = _args("USER")
    assert users, "no USER: the app would run as root"
    assert users[-1].split(":")[0] not in ("root", "0")


def test_dependencies_are_installed_before_the_code_is_copied():
    steps = dockerfile_instructions()
    copy_reqs = next(
        i for i, (kw, a) in enumerate(steps) if kw == "COPY" and a.split()[0] == "requirements.txt"
    )
    pip = next(i for i, (kw, a) in enumerate(steps) if kw == "RUN" and "pip install" in a)
    copy_all = next(i for i, (kw, a) in enumerate(steps) if kw == "COPY" and a.split()[0] == ".")
    assert copy_reqs < pip < copy_all
    assert "--no-cache-dir" in steps[pip][1] and "-r requirements.txt" in steps[pip][1]


def test_environment_and_labels():
    env = " ".join(_args("ENV"))
    assert re.search(r"\bPYTHONUNBUFFERED=1\b", env)
    labels = " ".join(_args("LABEL"))
    for key in ("title", "description", "version", "source", "licenses"):
        assert f"org.opencontainers.image.{key}=" in labels, f"missing OCI label {key}"
    assert 'org.opencontainers.image.licenses="CC-BY-NC-SA-4.0"' in labels


def test_cmd_is_gunicorn_serving_the_app_on_the_exposed_port():
    cmd = dockerfile_cmd()
    assert cmd[0] == "gunicorn" and cmd[-1] == "app:app"
    port = gunicorn_bind_port(cmd)
    assert f"{port}" in " ".join(_args("EXPOSE")).split()
    assert port == 5000
    # A dashboard waits on a remote API: threads and a generous timeout, not the 30 s default.
    assert int(cmd[cmd.index("--timeout") + 1]) >= 60
    assert int(cmd[cmd.index("--threads") + 1]) > 1


def test_healthcheck_asks_health_on_the_served_port_without_curl():
    (check,) = _args("HEALTHCHECK")
    command = json.loads(check[check.index("CMD") + 3 :].strip())
    assert command[0] == "python", "slim images have no curl"
    assert f"127.0.0.1:{gunicorn_bind_port(dockerfile_cmd())}/health" in command[-1]


def _pattern_regex(pattern: str) -> re.Pattern:
    """A .dockerignore pattern as a regex: ** any depth, * and ? within one path segment."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def _dockerignored(name: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; a matched directory takes its content along."""
    parts = name.split("/")
    prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        regex = _pattern_regex(pattern.lstrip("!").strip("/"))
        if any(regex.fullmatch(prefix) for prefix in prefixes):
            ignored = not negate
    return ignored


def test_dockerignore_keeps_secrets_and_clutter_out_and_the_app_in():
    patterns = [
        line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]  # fmt: skip
    for name in (
        ".env",
        ".venv",
        ".git",
        "tests/unit",
        "bench/results",
        "__pycache__",
        "x/__pycache__/a.pyc",
    ):
        assert _dockerignored(name, patterns), f"{name} would be sent into the image"
    needed = [
        "requirements.txt",
        "app.py",
        "templates",
        "static",
        "mist_simulator",
        "circuitstats",
        "LICENSE",
    ]
    needed += [p.name for p in REPO.glob("*.py")]
    for name in needed:
        assert not _dockerignored(name, patterns), f".dockerignore leaves {name} out of the image"
