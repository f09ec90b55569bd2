"""Every custom resource validates against its pinned operator's own CRD schema, strictly: a field the CRD does
not define is an error, as it would be on a cluster with field validation Strict (kubectl's default since 1.27)."""

from __future__ import annotations

import copy
from datetime import date
from functools import cache
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from tests.unit.deploy.manifests import K8S, OVERLAYS, Obj, kustomize, parse

CRDS = K8S / "crds"
BUILT_IN_GROUPS = {"v1", "apps/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1", "batch/v1"}


def strict(schema: Any) -> Any:
    """The CRD's OpenAPI schema as JSON Schema where every object rejects fields it does not name."""
    if isinstance(schema, list):
        return [strict(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result = {key: strict(value) for key, value in schema.items()
              if key not in ("properties",) or not isinstance(value, dict)}
    if isinstance(schema.get("properties"), dict):
        result["properties"] = {name: strict(sub) for name, sub in schema["properties"].items()}
    if schema.get("nullable"):
        result.pop("nullable")
        if "type" in result:
            result["type"] = [result["type"], "null"]
    if (schema.get("type") == "object" and "properties" in schema and "additionalProperties" not in schema
            and not schema.get("x-kubernetes-preserve-unknown-fields")):
        result["additionalProperties"] = False
    return result


@cache
def schemas() -> dict[tuple[str, str], tuple[str, Draft7Validator]]:
    sources = yaml.safe_load((CRDS / "SOURCES.yaml").read_text(encoding="utf-8"))
    found: dict[tuple[str, str], tuple[str, Draft7Validator]] = {}
    for operator in sources["operators"]:
        for name in operator["crds"]:
            crd = yaml.safe_load((CRDS / operator["folder"] / name).read_text(encoding="utf-8"))
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if not version.get("served", True):
                    continue
                schema = strict(copy.deepcopy(version["schema"]["openAPIV3Schema"]))
                schema["properties"]["metadata"] = {"type": "object"}  # the API server's own, not the CRD's
                found[(f"{group}/{version['name']}", kind)] = (
                    f"{operator['name']} {operator['version']}", Draft7Validator(schema))
    return found


def as_json(value: Any) -> Any:
    """What kubectl sends: it reads YAML with go-yaml into untyped values, which keeps timestamps as strings."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    return str(value) if isinstance(value, date) else value


def complaints(obj: Obj) -> list[str]:
    obj = as_json(obj)
    key = (obj["apiVersion"], obj["kind"])
    if key not in schemas():
        return [f"{key}: no pinned operator defines this kind"]
    _, validator = schemas()[key]
    return [f"{obj['kind']}/{obj['metadata']['name']}: {'.'.join(map(str, error.absolute_path)) or '(top)'}: "
            f"{error.message}" for error in validator.iter_errors(obj)]


def test_every_vendored_crd_names_its_operator_version_commit_and_licence() -> None:
    sources = yaml.safe_load((CRDS / "SOURCES.yaml").read_text(encoding="utf-8"))
    readme = (K8S / "README.md").read_text(encoding="utf-8")
    for operator in sources["operators"]:
        folder = CRDS / operator["folder"]
        assert (folder / operator["licence_file"]).read_text(encoding="utf-8").strip(), operator["name"]
        assert len(operator["commit"]) == 40 and operator["tag"] == f"v{operator['version']}"
        assert sorted(p.name for p in folder.glob("*.yaml")) == sorted(operator["crds"])
        assert operator["version"] in readme, f"README.md does not pin {operator['name']} {operator['version']}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_custom_resource_validates_strictly_against_its_operators_crd(
        overlay: str, overlays: dict[str, list[Obj]]) -> None:
    problems = [problem for obj in overlays[overlay] if obj["apiVersion"] not in BUILT_IN_GROUPS
                for problem in complaints(obj)]
    assert problems == []


def test_the_restore_overlay_validates_against_its_operators_crds() -> None:
    restore = parse(kustomize(K8S / "restore"))
    problems = [problem for obj in restore if obj["apiVersion"] not in BUILT_IN_GROUPS for problem in complaints(obj)]
    assert problems == []


def test_a_field_the_crd_does_not_define_is_reported(production: list[Obj]) -> None:
    queue = copy.deepcopy(next(obj for obj in production if obj["kind"] == "Queue"))
    queue["spec"]["arguments"]["x-anything"] = 1  # arguments are free-form in the CRD: allowed
    queue["spec"]["quorum"] = True
    cluster = copy.deepcopy(next(obj for obj in production if obj["kind"] == "RabbitmqCluster"))
    cluster["spec"]["tls"]["secret"] = "portal-broker-tls"
    scaled = copy.deepcopy(next(obj for obj in production if obj["kind"] == "ScaledObject"))
    scaled["spec"]["minReplicaCount"] = "0"
    found = complaints(queue) + complaints(cluster) + complaints(scaled)
    assert len(found) == 3, found
    assert "'quorum' was unexpected" in found[0] and "'secret' was unexpected" in found[1]
