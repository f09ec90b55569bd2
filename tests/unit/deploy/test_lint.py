"""checkov and yamllint pass, every exception says why, and no secret value is ever in the manifests."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from tests.unit.deploy.manifests import K8S, OVERLAYS, REPO, Obj, of_kind, tool, walk

CHECKOV_CONFIG = REPO / ".checkov.yaml"
YAMLLINT_CONFIG = REPO / ".yamllint"
# A value that embeds credentials: scheme://user:password@host, unless both are $(VAR) references.
URL_WITH_CREDENTIALS = re.compile(r"://(?!\$\([A-Z_]+\):\$\([A-Z_]+\)@)[^/\s:@]+:[^/\s@]+@")
SECRETISH_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|PRIVATE|_KEY$|CREDENTIAL", re.IGNORECASE)


@pytest.fixture(scope="module")
def checkov_report(rendered: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """One checkov run over both rendered overlays and the Dockerfile."""
    scan = tmp_path_factory.mktemp("checkov")
    for overlay, text in rendered.items():
        (scan / f"{overlay}.yaml").write_text(text, encoding="utf-8")
    shutil.copy(REPO / "Dockerfile", scan / "Dockerfile")
    done = subprocess.run([tool("checkov"), "--config-file", str(CHECKOV_CONFIG), "-d", str(scan), "-o", "json"],
                          capture_output=True, text=True, check=False, cwd=scan)
    report = json.loads(done.stdout)
    return report if isinstance(report, list) else [report]


def test_checkov_passes_on_every_overlay_and_the_dockerfile(checkov_report: list[dict[str, Any]]) -> None:
    frameworks = {run["check_type"] for run in checkov_report}
    assert frameworks == {"kubernetes", "dockerfile"}
    failures = [f"{f['check_id']} {f['resource']}: {f['check_name']}"
                for run in checkov_report for f in run["results"]["failed_checks"]]
    assert failures == []
    for run in checkov_report:
        assert run["summary"]["parsing_errors"] == 0
        assert run["summary"]["passed"] > 0


def test_every_checkov_exception_is_written_down_with_its_reason(rendered: dict[str, str]) -> None:
    lines = CHECKOV_CONFIG.read_text(encoding="utf-8").splitlines()
    config = yaml.safe_load("\n".join(lines))
    assert config["skip-download"] is True
    assert set(config["framework"]) == {"kubernetes", "dockerfile"}
    for check in config.get("skip-check", []):
        at = next(i for i, line in enumerate(lines) if line.strip() == f"- {check}")
        assert lines[at - 1].strip().startswith("#"), f"{check} is skipped without a comment saying why"
    for text in rendered.values():
        for skip in re.findall(r"checkov\.io/skip\d+: (.*)", text):
            check, _, reason = skip.partition("=")
            assert re.fullmatch(r"CKV2?_[A-Z0-9]+_\d+", check) and len(reason.split()) >= 5, skip
    for skip in re.findall(r"# checkov:skip=(.*)", (REPO / "Dockerfile").read_text(encoding="utf-8")):
        check, _, reason = skip.partition(":")
        assert re.fullmatch(r"CKV2?_[A-Z0-9]+_\d+", check) and len(reason.split()) >= 5, skip


def test_yamllint_passes_on_every_yaml_file_under_deploy() -> None:
    # The vendored CRDs (crds/) are the operators' files, kept byte for byte.
    files = [*sorted(str(p) for p in K8S.rglob("*.yaml") if "crds" not in p.relative_to(K8S).parts),
             str(CHECKOV_CONFIG), str(YAMLLINT_CONFIG)]
    done = subprocess.run([tool("yamllint"), "--strict", "-c", str(YAMLLINT_CONFIG), *files],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_yamllint_exception_is_written_down_with_its_reason() -> None:
    lines = YAMLLINT_CONFIG.read_text(encoding="utf-8").splitlines()
    config = yaml.safe_load("\n".join(lines))
    assert config["extends"] == "default"
    for rule in config["rules"]:
        at = next(i for i, line in enumerate(lines) if line.startswith(f"  {rule}:"))
        assert lines[at - 1].strip().startswith("#"), f"the {rule} exception has no comment saying why"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_secret_value_is_in_the_rendered_output(overlay: str, overlays: dict[str, list[Obj]],
                                                   rendered: dict[str, str]) -> None:
    objects = overlays[overlay]
    assert of_kind(objects, "Secret") == []
    text = rendered[overlay]
    assert "PRIVATE KEY" not in text and "BEGIN CERTIFICATE" not in text
    for value in walk(objects):
        if isinstance(value, str):
            assert not URL_WITH_CREDENTIALS.search(value), f"{overlay}: a URL carries credentials: {value}"
    for obj in objects:
        for node in walk(obj):
            inline = isinstance(node, dict) and "value" in node and isinstance(node.get("name"), str)
            if inline and SECRETISH_NAME.search(node["name"]):
                pytest.fail(f"{overlay}: {obj['kind']}/{obj['metadata']['name']} sets {node['name']} inline")
    (config,) = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "portal-config"]
    for key, value in config["data"].items():
        assert "@" not in value and not SECRETISH_NAME.search(key), f"portal-config {key} looks like a credential"


def test_no_kustomization_generates_a_secret() -> None:
    for path in K8S.rglob("kustomization.yaml"):
        assert "secretGenerator" not in yaml.safe_load(path.read_text(encoding="utf-8")), path


def test_the_checkers_have_their_own_environment_and_make_run_installs_neither_them_nor_the_dev_group() -> None:
    portal_lock = (REPO / "uv.lock").read_text(encoding="utf-8")
    tools_lock = (REPO / "tools" / "uv.lock").read_text(encoding="utf-8")
    for checker in ("checkov", "yamllint", "kubernetes-validate"):
        assert f'name = "{checker}"' not in portal_lock, checker
        assert f'name = "{checker}"' in tools_lock, checker
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    run_sync = re.search(r"^\$\(RUN_STAMP\):.*\n\t(.*)\n", makefile, flags=re.MULTILINE)
    assert run_sync and "uv sync --frozen --no-dev" in run_sync.group(1)
    assert re.search(r"^run: setup-run$", makefile, flags=re.MULTILINE)
    assert re.search(r"^test: .*\btools\b", makefile, flags=re.MULTILINE)
