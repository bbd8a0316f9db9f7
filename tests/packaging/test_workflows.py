"""GitHub workflows: schema-valid, zizmor-clean, pinned, least privilege, and doing their job."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from tests.packaging.helpers import REPO, find_tool, load_yaml

WORKFLOWS = sorted((REPO / ".github" / "workflows").glob("*.yml"))


def _on(workflow: dict) -> dict:
    # YAML 1.1 reads the bare key `on` as True.
    return workflow.get("on", workflow.get(True))


def _steps(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def test_both_workflows_exist():
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "docker.yml"}


def test_workflows_validate_against_the_github_schema():
    result = subprocess.run(
        [find_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS)],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing_of_high_severity():
    result = subprocess.run(
        [find_tool("zizmor"), "--offline", "--format", "json", ".github/workflows"],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.stdout.strip().startswith("["), f"zizmor failed: {result.stderr[-2000:]}"
    findings = json.loads(result.stdout)
    high = [f for f in findings if f["determinations"]["severity"].lower() == "high"]
    assert not high, "\n".join(f"{f['ident']}: {f['desc']}" for f in high)


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_to_full_commit_shas(path):
    for step in _steps(load_yaml(path)):
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_checkout_keeps_no_credentials(path):
    for step in _steps(load_yaml(path)):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step.get("with", {}).get("persist-credentials") is False


def test_ci_runs_the_test_script_on_push_and_pull_request():
    workflow = load_yaml(REPO / ".github/workflows/ci.yml")
    assert {"push", "pull_request"} <= set(_on(workflow))
    assert workflow["permissions"] == {"contents": "read"}
    (job,) = workflow["jobs"].values()
    assert "python:3.11" in str(job.get("container", "")) or any(
        step.get("with", {}).get("python-version") == "3.11" for step in job["steps"]
    ), "CI must test on Python 3.11"
    assert any(step.get("run", "").strip() == "./scripts/test.sh" for step in job["steps"])


def test_docker_workflow_builds_both_arches_and_pushes_only_outside_pull_requests():
    workflow = load_yaml(REPO / ".github/workflows/docker.yml")
    on = _on(workflow)
    assert "v*" in on["push"]["tags"] and "main" in on["push"]["branches"] and "pull_request" in on
    assert not workflow.get("permissions"), "workflow-wide permissions must stay empty"
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "packages": "write"}
    uses = {step.get("uses", "").split("@")[0]: step for step in job["steps"]}
    for action in ("docker/setup-qemu-action", "docker/setup-buildx-action", "docker/login-action",
                   "docker/metadata-action", "docker/build-push-action"):  # fmt: skip
        assert action in uses, f"missing {action}"
    build = uses["docker/build-push-action"]["with"]
    assert set(build["platforms"].split(",")) == {"linux/amd64", "linux/arm64"}
    assert build["push"] == "${{ github.event_name != 'pull_request' }}"
    assert uses["docker/login-action"]["if"] == "github.event_name != 'pull_request'"
