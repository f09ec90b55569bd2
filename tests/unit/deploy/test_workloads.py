"""Every pod an operator deploys from these manifests is probed, sized and locked down the same way."""

from __future__ import annotations

import re

import pytest

from tests.unit.deploy.manifests import (
    OVERLAYS,
    RUN_AS,
    SERVICES,
    Obj,
    containers,
    env_of,
    named,
    of_kind,
    pod_spec,
)

REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def workloads(objects: list[Obj]) -> list[Obj]:
    return of_kind(objects, "Deployment")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_is_ready_on_readyz_alive_on_healthz_and_given_time_to_start(
        overlay: str, overlays: dict[str, list[Obj]]) -> None:
    for workload in workloads(overlays[overlay]):
        for container in containers(workload):
            name = f"{overlay}: {workload['metadata']['name']}"
            assert container["readinessProbe"]["httpGet"]["path"] == "/readyz", name
            assert container["livenessProbe"]["httpGet"]["path"] == "/healthz", name
            startup = container["startupProbe"]
            assert startup["httpGet"]["path"] == "/healthz", name
            budget = startup["failureThreshold"] * startup.get("periodSeconds", 10)
            assert 55 <= budget <= 120, f"{name}: a slow start gets {budget}s before a restart"
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                assert container[probe]["httpGet"]["port"] == "http", name
            assert {"name": "http", "containerPort": 8080, "protocol": "TCP"} in container["ports"], name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_requests_and_limits_cpu_and_memory(overlay: str, overlays: dict[str, list[Obj]]) -> None:
    for workload in workloads(overlays[overlay]):
        for container in containers(workload):
            resources = container["resources"]
            for bound in ("requests", "limits"):
                assert set(resources[bound]) == {"cpu", "memory"}, f"{workload['metadata']['name']} {bound}"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_runs_non_root_read_only_without_capabilities_or_a_token(
        overlay: str, overlays: dict[str, list[Obj]]) -> None:
    for workload in workloads(overlays[overlay]):
        name = workload["metadata"]["name"]
        spec = pod_spec(workload)
        assert spec["securityContext"] == {
            "runAsNonRoot": True, "runAsUser": RUN_AS, "runAsGroup": RUN_AS, "fsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        }, name
        assert spec["automountServiceAccountToken"] is False, name
        assert spec.get("hostNetwork") is not True and spec.get("hostPID") is not True, name
        for container in containers(workload):
            assert container["securityContext"] == {
                "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "privileged": False,
                "capabilities": {"drop": ["ALL"]},
            }, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_tmp_is_the_only_writable_path_and_a_size_limited_empty_dir(
        overlay: str, overlays: dict[str, list[Obj]]) -> None:
    for workload in workloads(overlays[overlay]):
        volumes = {volume["name"]: volume for volume in pod_spec(workload)["volumes"]}
        for container in containers(workload):
            writable = [mount for mount in container["volumeMounts"] if not mount.get("readOnly")]
            assert [mount["mountPath"] for mount in writable] == ["/tmp"], workload["metadata"]["name"]
            assert volumes[writable[0]["name"]]["emptyDir"]["sizeLimit"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_its_own_service_account_without_a_token(
        overlay: str, overlays: dict[str, list[Obj]]) -> None:
    objects = overlays[overlay]
    for workload in workloads(objects):
        account = named(objects, "ServiceAccount", pod_spec(workload)["serviceAccountName"])
        assert account["automountServiceAccountToken"] is False


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_http_service_has_a_disruption_budget_and_an_autoscaler_on_its_own_pods(
        overlay: str, overlays: dict[str, list[Obj]]) -> None:
    objects = overlays[overlay]
    for name in SERVICES:
        workload = named(objects, "Deployment", name)
        pod_labels = workload["spec"]["template"]["metadata"]["labels"]
        budget = named(objects, "PodDisruptionBudget", name)
        assert budget["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
        assert budget["spec"]["maxUnavailable"] == 1
        scaler = named(objects, "HorizontalPodAutoscaler", name)
        assert scaler["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": name}
        assert 1 <= scaler["spec"]["minReplicas"] <= scaler["spec"]["maxReplicas"]
        # The autoscaler owns the count: a fixed replicas field would be reset by every apply.
        assert "replicas" not in workload["spec"], name


def test_production_keeps_at_least_two_pods_of_every_service_and_three_gateways(production: list[Obj]) -> None:
    for name in SERVICES:
        minimum = named(production, "HorizontalPodAutoscaler", name)["spec"]["minReplicas"]
        assert minimum >= (3 if name == "gateway" else 2), name


def test_search_scales_out_only_when_its_index_is_shared(overlays: dict[str, list[Obj]]) -> None:
    assert named(overlays["dev"], "HorizontalPodAutoscaler", "search")["spec"]["maxReplicas"] == 1
    assert named(overlays["production"], "HorizontalPodAutoscaler", "search")["spec"]["maxReplicas"] > 1


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_rollout_adds_a_pod_before_taking_one_away(overlay: str, overlays: dict[str, list[Obj]]) -> None:
    for workload in workloads(overlays[overlay]):
        strategy = workload["spec"]["strategy"]
        assert strategy["type"] == "RollingUpdate"
        assert strategy["rollingUpdate"]["maxUnavailable"] == 0, workload["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_composed_variable_refers_to_one_defined_before_it(
        overlay: str, overlays: dict[str, list[Obj]]) -> None:
    # Kubernetes expands $(VAR) only from variables listed earlier; a later or missing one stays literal text.
    for workload in workloads(overlays[overlay]):
        for container in containers(workload):
            defined: set[str] = set()
            for var in container.get("env", []):
                for reference in REFERENCE.findall(var.get("value", "")):
                    assert reference in defined, f"{workload['metadata']['name']} {var['name']} uses $({reference})"
                defined.add(var["name"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_container_runs_the_portal_command_for_its_own_service(
        overlay: str, overlays: dict[str, list[Obj]]) -> None:
    objects = overlays[overlay]
    for name in SERVICES:
        (container,) = containers(named(objects, "Deployment", name))
        metrics = ["--metrics-port", "9090"] if name == "gateway" else []  # the public door's metrics apart
        assert container["command"] == ["portal", "serve", name, "--host", "0.0.0.0", "--port", "8080", *metrics]
        assert env_of(container), name
