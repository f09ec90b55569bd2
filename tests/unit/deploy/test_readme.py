"""The ops README covers every procedure the issue names and every Secret the manifests expect."""

from __future__ import annotations

import re

import pytest

from tests.unit.deploy.manifests import K8S, OVERLAYS, Obj, load_generator, walk

README = (K8S / "README.md").read_text(encoding="utf-8")
HEADINGS = {line.lstrip("#").strip() for line in README.splitlines() if line.startswith("#")}
# Secrets the operators make themselves, by pattern.
OPERATOR_MADE = re.compile(r"portal-[a-z]+-user-credentials|portal-search-http-cert")


def referenced_secrets(objects: list[Obj]) -> set[str]:
    names: set[str] = set()
    for obj in objects:
        for node in walk(obj):
            if not isinstance(node, dict):
                continue
            for key in ("secretKeyRef", "secret", "passwordSecret", "importCredentialsSecret",
                        "adminCredentialsSecret", "securityConfigSecret", "passwordFrom"):
                ref = node.get(key)
                if isinstance(ref, dict):
                    names.add(ref.get("name") or ref.get("secretName"))
            if "secretName" in node and isinstance(node["secretName"], str):
                names.add(node["secretName"])
            if "parameter" in node and "name" in node and "key" in node:
                names.add(node["name"])
    return {name for name in names if name}


@pytest.mark.parametrize("heading", [
    "Prerequisites", "Apply", "Verify", "Back up", "Restore", "Or: External Secrets",
    "Scale a ministry", "Onboard a ministry", "Rotate a ministry's credentials", "Replay dead letters",
    "Alerts", "Try it on a real cluster", "Secrets", "Per-ministry workers",
])
def test_the_readme_has_a_section_for(heading: str) -> None:
    assert heading in HEADINGS


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_secret_the_manifests_expect_is_documented_or_made_by_an_operator(
        overlay: str, overlays: dict[str, list[Obj]]) -> None:
    codes = [m.code for m in load_generator().read_ministries()]
    for name in referenced_secrets(overlays[overlay]):
        if OPERATOR_MADE.fullmatch(name):
            assert f"`{name}`" in README, f"{name} is made by an operator; the README should say so"
            continue
        documented = name.replace(codes[0], "<code>") if name.startswith("ministry-") else name
        for code in codes:
            documented = documented.replace(f"ministry-{code}-", "ministry-<code>-")
        assert f"`{documented}`" in README, f"{overlay}: Secret {name} is not documented in deploy/k8s/README.md"


def test_the_readme_says_how_to_replay_dead_letters_through_the_gateway() -> None:
    for command in ("portal dead-letters list", "portal dead-letters show", "portal dead-letters replay",
                    "portal dead-letters discard", "PORTAL_ADMIN_TOKEN", "PORTAL_GATEWAY_URL"):
        assert command in README, command


def test_the_readme_gives_cluster_and_operator_commands_with_versions() -> None:
    for command in ("kind create cluster", "k3d cluster create", "kind load docker-image",
                    "cluster-operator/releases/download/v", "messaging-topology-operator/releases/download/v",
                    "cnpg-1.", "--version 2.8.0", "kedacore/keda --version", "kube-prometheus-stack --version",
                    "kubectl apply -k deploy/k8s/overlays/production", "generate.py onboard-job"):
        assert command in README, command


def test_the_operators_procedures_come_in_the_order_they_are_followed() -> None:
    order = ["Prerequisites", "Secrets", "Apply", "Verify", "Back up", "Restore", "Scale a ministry",
             "Rotate a ministry's credentials"]
    lines = [line.lstrip("#").strip() for line in README.splitlines() if line.startswith("#")]
    assert [lines.index(heading) for heading in order] == sorted(lines.index(heading) for heading in order)
