"""The two commands (scripts/demo.sh, scripts/test.sh), .ci/run, README and LICENSE."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess

import pytest

from tests.packaging.helpers import REPO

SCRIPTS = ["scripts/demo.sh", "scripts/test.sh", ".ci/run"]


def _commands(path: str) -> list[str]:
    """Shell lines of a script that do something: no comments, blank lines, `set` or `cd`."""
    lines = []
    for line in (REPO / path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or re.match(r"(set|cd)\s", line):
            continue
        lines.append(line)
    return lines


@pytest.mark.parametrize("path", SCRIPTS)
def test_scripts_are_strict_executable_bash(path):
    script = REPO / path
    assert os.access(script, os.X_OK), f"{path} is not executable (chmod +x)"
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "set -euo pipefail" in text
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", SCRIPTS)
def test_scripts_pass_shellcheck(path):
    shellcheck = shutil.which("shellcheck")
    if not shellcheck:
        pytest.fail("shellcheck is not installed: ./scripts/test.sh installs it (apt-get install shellcheck)")
    result = subprocess.run([shellcheck, "-x", path], cwd=REPO, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout


def test_ci_run_calls_the_test_script_and_nothing_else():
    (command,) = _commands(".ci/run")
    assert shlex.split(command) in (["./scripts/test.sh"], ["exec", "./scripts/test.sh"])


def test_test_script_installs_what_the_tests_need_then_runs_pytest():
    text = (REPO / "scripts/test.sh").read_text()
    shared = (REPO / "scripts/setup-lib.sh").read_text()
    assert ". scripts/setup-lib.sh" in text
    assert "requirements-dev.txt" in text
    assert "apt-get update" in shared
    assert "chromium" in text and "redis-server" in text and "shellcheck" in text
    assert _commands("scripts/test.sh")[-1] == 'exec "$VENV/bin/python" -m pytest "$@"'


def test_demo_script_runs_the_app_in_demo_mode_passing_arguments_on():
    assert "ensure_requirements requirements.txt" in _commands("scripts/demo.sh")
    assert _commands("scripts/demo.sh")[-1] == 'exec "$VENV/bin/python" app.py --demo "$@"'


@pytest.mark.slow
def test_demo_script_creates_the_venv_once_and_then_starts_at_once(tmp_path):
    """demo.sh in a copy with a stand-in app.py: first run builds .venv, the second installs nothing."""
    (tmp_path / "scripts").mkdir()
    shutil.copy2(REPO / "scripts/demo.sh", tmp_path / "scripts/demo.sh")
    shutil.copy2(REPO / "scripts/setup-lib.sh", tmp_path / "scripts/setup-lib.sh")
    (tmp_path / "requirements.txt").write_text("# nothing to install for this test\n")
    (tmp_path / "app.py").write_text("import sys\nprint('ARGS', sys.argv[1:])\n")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONHOME")}

    def run():
        return subprocess.run(
            ["./scripts/demo.sh", "--port", "5050", "two words"],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240, check=False,
        )  # fmt: skip

    first = run()
    assert first.returncode == 0, first.stderr
    assert "ARGS ['--demo', '--port', '5050', 'two words']" in first.stdout
    assert "pip install" in first.stderr and (tmp_path / ".venv/.stamp-requirements.txt").exists()
    second = run()
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert "pip install" not in second.stderr and "creating" not in second.stderr
    (tmp_path / "requirements.txt").write_text("# changed\n")
    third = run()
    assert "pip install" in third.stderr, "a changed requirements.txt must be installed again"


def _readme() -> str:
    return (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_what_it_is_a_screenshot_and_the_two_commands():
    top = _readme().split("\n## ", 1)[0]
    assert "](docs/screenshot.png)" in top
    blocks = re.findall(r"```sh\n(.*?)```", top, flags=re.DOTALL)
    commands = [line.strip() for block in blocks for line in block.splitlines()]
    assert "./scripts/demo.sh" in commands and "./scripts/test.sh" in commands
    assert top.index("./scripts/demo.sh") < top.index("./scripts/test.sh")


def test_readme_has_the_promised_sections():
    headings = set(re.findall(r"^## (.+)$", _readme(), flags=re.MULTILINE))
    for heading in ("Configuration", "Multiple tokens and rate limits", "Mist hosts per region", "Docker",
                    "Podman", "Required API permissions", "Architecture", "Mist API endpoints used",
                    "Performance", "Traffic charts", "Simulator", "Tests", "Troubleshooting", "Licence",
                    "Third-party assets", "Why each package is there"):  # fmt: skip
        assert heading in headings, f"README lacks ## {heading}"
    assert (
        "<!-- PERF-TABLE -->" in _readme() or "| " in _readme().split("## Performance")[1].split("\n## ")[0]
    )


def test_readme_names_every_runtime_package():
    packages = [
        re.split(r"[<>=~!\[ ;]", line, maxsplit=1)[0]
        for line in (REPO / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "-"))
    ]
    section = _readme().split("## Why each package is there")[1]
    for package in packages:
        assert f"`{package}`" in section, f"README does not say why {package} is needed"


def test_readme_lists_every_host_mistapi_accepts():
    hosts = ["api.mist.com", "api.gc1.mist.com", "api.ac2.mist.com", "api.gc2.mist.com", "api.gc4.mist.com",
             "api.eu.mist.com", "api.gc3.mist.com", "api.ac6.mist.com", "api.gc6.mist.com",
             "api.ac5.mist.com", "api.gc5.mist.com", "api.gc7.mist.com"]  # fmt: skip
    for host in hosts:
        assert f"`{host}`" in _readme()


def test_licence_is_the_full_cc_by_nc_sa_4_text():
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("Creative Commons Attribution-NonCommercial-ShareAlike 4.0 International")
    for number, title in enumerate(
        ["Definitions", "Scope", "License Conditions", "Sui Generis Database Rights",
         "Disclaimer of Warranties and Limitation of Liability", "Term and Termination",
         "Other Terms and Conditions", "Interpretation"], 1
    ):  # fmt: skip
        assert f"Section {number} – {title}." in text
    assert len(text) > 18000
