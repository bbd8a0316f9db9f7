"""docker-compose.yml (published image) and docker-compose.dev.yml (local build with reload)."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.packaging.helpers import (
    LIBRARY_ENV,
    REPO,
    canonical_env_names,
    dockerfile_cmd,
    dockerfile_instructions,
    find_tool,
    gunicorn_bind_port,
    load_yaml,
)

COMPOSE_FILES = ["docker-compose.yml", "docker-compose.dev.yml"]
IMAGE = "ghcr.io/mistcircuitstats/mistcircuitstats:latest"


def _app_service(filename: str) -> dict:
    """The service running the dashboard: the one built from here or using our image."""
    services = load_yaml(REPO / filename)["services"]
    ours = [
        s
        for s in services.values()
        if "build" in s or str(s.get("image", "")).startswith(IMAGE.split(":")[0])
    ]
    assert len(ours) == 1, f"{filename}: expected one dashboard service, found {len(ours)}"
    return ours[0]


def _container_ports(service: dict) -> set[int]:
    ports = set()
    for mapping in service.get("ports", []):
        target = mapping["target"] if isinstance(mapping, dict) else str(mapping).split(":")[-1]
        ports.add(int(str(target).split("/")[0]))
    return ports


def _healthcheck_text(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def test_compose_files_validate_against_the_compose_spec():
    result = subprocess.run(
        [find_tool("check-jsonschema"), "--builtin-schema", "vendor.compose-spec", *COMPOSE_FILES],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("filename", COMPOSE_FILES)
def test_port_and_healthcheck_agree_with_the_dockerfile(filename):
    service = _app_service(filename)
    port = gunicorn_bind_port(dockerfile_cmd())
    exposed = {
        int(p.split("/")[0]) for kw, a in dockerfile_instructions() if kw == "EXPOSE" for p in a.split()
    }
    assert _container_ports(service) == {port} and port in exposed
    assert any(str(p) in (f"5000:{port}", f"127.0.0.1:5000:{port}") for p in service["ports"])
    assert f"127.0.0.1:{port}/health" in _healthcheck_text(service)
    (dockerfile_check,) = [a for kw, a in dockerfile_instructions() if kw == "HEALTHCHECK"]
    assert "/health" in dockerfile_check


@pytest.mark.parametrize("filename", COMPOSE_FILES)
def test_every_environment_name_is_one_the_app_reads(filename):
    known = canonical_env_names() | set(LIBRARY_ENV)
    for name, service in load_yaml(REPO / filename)["services"].items():
        env = service.get("environment", {})
        names = env.keys() if isinstance(env, dict) else [item.split("=", 1)[0] for item in env]
        if "redis" in str(service.get("image", "")):
            continue
        unknown = set(names) - known
        assert not unknown, f"{filename} service {name} sets variables the app never reads: {sorted(unknown)}"


def test_production_compose_runs_the_published_image():
    service = _app_service("docker-compose.yml")
    assert service["image"] == IMAGE
    assert "build" not in service
    assert service["env_file"] in (".env", [".env"])
    assert service["restart"] == "unless-stopped"


def test_redis_is_optional():
    services = load_yaml(REPO / "docker-compose.yml")["services"]
    for name, service in services.items():
        if "redis" in str(service.get("image", "")):
            assert service.get("profiles"), f"service {name} must sit behind a profile: Redis is optional"
            assert not _app_service("docker-compose.yml").get("depends_on")


def test_dev_compose_builds_here_mounts_the_code_and_reloads():
    service = _app_service("docker-compose.dev.yml")
    assert service["build"] in (".", {"context": "."})
    workdir = [a for kw, a in dockerfile_instructions() if kw == "WORKDIR"][-1]
    assert f".:{workdir}" in service["volumes"], "the checkout must be mounted over the image's code"
    command = service["command"]
    command = command if isinstance(command, list) else command.split()
    assert command[:4] == ["flask", "--app", "app", "run"] and "--debug" in command
    assert command[command.index("--host") + 1] == "0.0.0.0"
    assert int(command[command.index("--port") + 1]) == gunicorn_bind_port(dockerfile_cmd())
    assert re.fullmatch(r"\$\{MIST_DEMO:-1\}|1", str(service["environment"]["MIST_DEMO"]))
