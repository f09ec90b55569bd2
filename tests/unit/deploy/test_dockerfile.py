"""One image for every process: built in stages from the lockfile, on a pinned base, running as the pods' user."""

from __future__ import annotations

import re

from tests.unit.deploy.manifests import REPO, RUN_AS

DOCKERFILE = (REPO / "Dockerfile").read_text(encoding="utf-8")
INSTRUCTIONS = [line.strip() for line in DOCKERFILE.splitlines() if line.strip() and not line.startswith("#")]


def instructions(keyword: str) -> list[str]:
    return [line.split(None, 1)[1] for line in INSTRUCTIONS if line.upper().startswith(keyword + " ")]


def test_the_image_is_built_in_stages_on_a_base_pinned_to_an_exact_release() -> None:
    bases = instructions("FROM")
    assert len(bases) >= 2, "build and runtime stages"
    (default,) = [line.split("=", 1)[1] for line in instructions("ARG") if line.startswith("BASE_IMAGE=")]
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", default), default
    for base in bases:
        assert base.split()[0] == "${BASE_IMAGE}", base
    assert bases[-1].split()[-1] == "runtime"


def test_dependencies_come_from_the_lockfile_without_the_dev_group() -> None:
    assert "uv sync --frozen --no-dev --no-install-project" in DOCKERFILE
    assert re.search(r"uv sync --frozen --no-dev\s*$", DOCKERFILE, flags=re.MULTILINE)
    assert "COPY pyproject.toml uv.lock ./" in DOCKERFILE
    assert "pip install" not in DOCKERFILE.replace("pip install --no-cache-dir uv==", "")


def test_every_package_of_the_project_is_in_the_image() -> None:
    for package in ("shared", "services", "portal", "ministry_sdk"):
        assert f"COPY {package}/ {package}/" in DOCKERFILE, package


def test_the_image_runs_as_the_non_root_user_the_pods_require() -> None:
    users = instructions("USER")
    assert users and users[-1].split(":")[0] == str(RUN_AS)
    assert re.search(r"useradd[^\n]*--uid 10001", DOCKERFILE)
    assert re.search(r"^ENV\s+PATH=/app/\.venv/bin:", DOCKERFILE, flags=re.MULTILINE)


def test_the_image_runs_any_portal_command_given_as_arguments() -> None:
    assert instructions("ENTRYPOINT") == ['["portal"]']


def test_the_build_context_leaves_out_the_environment_tests_and_secrets() -> None:
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").splitlines()
    for entry in (".git", ".venv", ".run", "tests", "deploy", "*.pem", ".env"):
        assert entry in ignored, entry
