"""Both overlays render, validate against the Kubernetes schemas and land in the portal's namespace."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.unit.deploy.manifests import NAMESPACE, OVERLAYS, SERVICES, Obj, containers, kubernetes_validate, of_kind

# The Kubernetes version the schemas are checked against: the oldest minor a production cluster may run.
KUBERNETES_VERSION = "1.31.0"
# Custom resources have no schema in kubernetes-validate (tools/); test_custom_resources.py checks them instead.
CUSTOM_KINDS = {
    "RabbitmqCluster", "Vhost", "Policy", "Exchange", "Queue", "Binding", "User", "Permission", "TopicPermission",
    "Cluster", "Database", "ScheduledBackup", "ObjectStore",
    "OpenSearchCluster", "OpensearchRole", "OpensearchUser", "OpensearchUserRoleBinding",
    "ScaledObject", "TriggerAuthentication", "ServiceMonitor", "PodMonitor", "PrometheusRule",
}
CLUSTER_SCOPED = {"Namespace"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_renders_with_kubectl_kustomize(overlay: str, overlays: dict[str, list[Obj]]) -> None:
    objects = overlays[overlay]
    kinds = Counter(obj["kind"] for obj in objects)
    assert kinds["Deployment"] >= len(SERVICES)
    assert kinds["Namespace"] == 1


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_built_in_object_validates_against_the_kubernetes_schemas(
        overlay: str, overlays: dict[str, list[Obj]], tmp_path: Path) -> None:
    built_in = [obj for obj in overlays[overlay] if obj["kind"] not in CUSTOM_KINDS]
    assert kubernetes_validate(built_in, tmp_path, KUBERNETES_VERSION) == ""


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_lives_in_the_portal_namespace(overlay: str, overlays: dict[str, list[Obj]]) -> None:
    for obj in overlays[overlay]:
        if obj["kind"] in CLUSTER_SCOPED:
            continue
        assert obj["metadata"].get("namespace") == NAMESPACE, f"{overlay}: {obj['kind']}/{obj['metadata']['name']}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_two_objects_of_a_kind_share_a_name(overlay: str, overlays: dict[str, list[Obj]]) -> None:
    keys = Counter((obj["apiVersion"], obj["kind"], obj["metadata"]["name"]) for obj in overlays[overlay])
    assert [key for key, count in keys.items() if count > 1] == []


def test_production_runs_the_image_ci_built_pinned_by_digest(production: list[Obj]) -> None:
    for workload in of_kind(production, "Deployment"):
        for container in containers(workload):
            image = container["image"]
            assert "@sha256:" in image, f"{workload['metadata']['name']} runs {image}, not a digest"
            assert image.startswith("registry.portal.gov.om/gov-portal@"), image


def test_dev_runs_the_locally_built_image(dev: list[Obj]) -> None:
    for workload in of_kind(dev, "Deployment"):
        for container in containers(workload):
            assert container["image"] == "gov-portal:dev"
