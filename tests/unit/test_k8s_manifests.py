"""What an operator reading deploy/k8s/base (and the Dockerfile) should be able to rely on."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "deploy" / "k8s"
BASE = K8S / "base"
SERVICES = ("gateway", "catalog", "search", "requests", "notifications")
DB_SERVICES = ("catalog", "search", "requests", "notifications")
RUN_AS = 10001

SECRET_REFS: dict[str, dict[str, tuple[str, str]]] = {
    "gateway": {
        "GATEWAY_AMQP_URL": ("portal-amqp", "url"),
        "GATEWAY_IDENTITY_PRIVATE_KEY": ("portal-identity", "private.pem"),
        "GATEWAY_IDENTITY_PUBLIC_KEY": ("portal-identity", "public.pem"),
    },
    **{
        name: {
            f"{name.upper()}_DATABASE_URL": (f"{name}-db", "url"),
            f"{name.upper()}_AMQP_URL": ("portal-amqp", "url"),
            f"{name.upper()}_IDENTITY_PUBLIC_KEY": ("portal-identity", "public.pem"),
        }
        for name in DB_SERVICES
    },
}

CONFIG_REFS: dict[str, dict[str, str]] = {
    "gateway": {
        "GATEWAY_CATALOG_URL": "catalog_url",
        "GATEWAY_SEARCH_URL": "search_url",
        "GATEWAY_REQUESTS_URL": "requests_url",
        "GATEWAY_NOTIFICATIONS_URL": "notifications_url",
        "GATEWAY_OIDC_ISSUER": "oidc_issuer",
        "GATEWAY_OIDC_AUDIENCE": "oidc_audience",
        "GATEWAY_OIDC_JWKS_URL": "oidc_jwks_url",
        "GATEWAY_BROKER_PUBLIC_HOST": "broker_public_host",
        "GATEWAY_LOG_LEVEL": "log_level",
    },
    "catalog": {"CATALOG_LOG_LEVEL": "log_level", "CATALOG_PUBLIC_URL": "public_url"},
    "search": {"SEARCH_LOG_LEVEL": "log_level"},
    "requests": {"REQUESTS_LOG_LEVEL": "log_level", "REQUESTS_CATALOG_URL": "catalog_url"},
    "notifications": {"NOTIFICATIONS_LOG_LEVEL": "log_level"},
}


def _docs(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc is not None]


def _service_docs(name: str) -> list[dict[str, Any]]:
    return _docs(BASE / f"{name}.yaml")


def _by_kind(name: str, kind: str) -> dict[str, Any]:
    matches = [doc for doc in _service_docs(name) if doc["kind"] == kind]
    assert len(matches) == 1, f"{name}.yaml should hold exactly one {kind}, found {len(matches)}"
    return matches[0]


def _pod_spec(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = _by_kind(name, "Deployment")["spec"]["template"]["spec"]
    return spec


def _container(name: str) -> dict[str, Any]:
    containers = _pod_spec(name)["containers"]
    assert len(containers) == 1, f"{name} should run one container"
    container: dict[str, Any] = containers[0]
    return container


def _env(name: str) -> dict[str, dict[str, Any]]:
    return {var["name"]: var for var in _container(name).get("env", [])}


def _kustomization() -> dict[str, Any]:
    docs = _docs(BASE / "kustomization.yaml")
    assert len(docs) == 1
    return docs[0]


def _portal_config() -> dict[str, str]:
    generators = [g for g in _kustomization().get("configMapGenerator", []) if g["name"] == "portal-config"]
    assert len(generators) == 1, "kustomization.yaml should generate ConfigMap portal-config once"
    return dict(literal.split("=", 1) for literal in generators[0]["literals"])


def _all_base_docs() -> list[dict[str, Any]]:
    return [doc for path in sorted(BASE.glob("*.yaml")) for doc in _docs(path)]


def test_every_service_has_a_deployment_and_a_service_in_its_own_file() -> None:
    for name in SERVICES:
        docs = _service_docs(name)
        assert [doc["kind"] for doc in docs] == ["ServiceAccount", "Deployment", "Service"], name
        assert {doc["metadata"]["name"] for doc in docs} == {name}


def test_kustomization_lists_every_service_file() -> None:
    kustomization = _kustomization()
    assert kustomization["namespace"] == "gov-portal"
    resources = kustomization["resources"]
    assert "namespace.yaml" in resources
    for name in SERVICES:
        assert f"{name}.yaml" in resources, f"{name}.yaml is not applied by the base"
    for resource in resources:
        assert (BASE / resource).is_file(), f"kustomization lists {resource}, which does not exist"


def test_namespace_is_gov_portal() -> None:
    (namespace,) = _docs(BASE / "namespace.yaml")
    assert namespace["kind"] == "Namespace"
    assert namespace["metadata"]["name"] == "gov-portal"


def test_every_deployment_runs_the_one_gov_portal_image_tagged_latest_in_base() -> None:
    images = _kustomization()["images"]
    assert images == [{"name": "gov-portal", "newTag": "latest"}]
    for name in SERVICES:
        assert _container(name)["image"] == "gov-portal", name


def test_every_container_serves_its_own_service_on_port_8080() -> None:
    for name in SERVICES:
        container = _container(name)
        assert container["command"] == ["portal", "serve", name, "--host", "0.0.0.0", "--port", "8080"]
        assert container["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]


def test_service_targets_the_named_http_port() -> None:
    for name in SERVICES:
        service = _by_kind(name, "Service")
        (port,) = service["spec"]["ports"]
        assert port["port"] == 80, name
        assert port["targetPort"] == "http", name
        assert service["spec"]["selector"] == {"app.kubernetes.io/name": name}


def test_every_resource_carries_the_standard_labels_and_selectors_match_the_pods() -> None:
    for name in SERVICES:
        expected = {
            "app.kubernetes.io/name": name,
            "app.kubernetes.io/part-of": "gov-portal",
            "app.kubernetes.io/component": name,
        }
        for doc in _service_docs(name):
            assert doc["metadata"]["labels"] == expected, f"{name} {doc['kind']}"
        deployment = _by_kind(name, "Deployment")
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert pod_labels == expected
        for selector in (
            deployment["spec"]["selector"]["matchLabels"],
            _by_kind(name, "Service")["spec"]["selector"],
        ):
            assert selector.items() <= pod_labels.items(), f"{name} selector does not match its pods"


def test_gateway_runs_two_replicas_and_no_rollout_takes_a_pod_away_first() -> None:
    for name in SERVICES:
        spec = _by_kind(name, "Deployment")["spec"]
        assert spec["replicas"] == (2 if name == "gateway" else 1), name
        assert spec["strategy"]["type"] == "RollingUpdate"
        assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0, name


def test_every_deployment_probes_readyz_and_healthz() -> None:
    for name in SERVICES:
        container = _container(name)
        probes = {kind: container[kind] for kind in ("startupProbe", "readinessProbe", "livenessProbe")}
        assert probes["readinessProbe"]["httpGet"]["path"] == "/readyz", name
        assert probes["livenessProbe"]["httpGet"]["path"] == "/healthz", name
        assert probes["startupProbe"]["httpGet"]["path"] == "/healthz", name
        for kind, probe in probes.items():
            assert probe["httpGet"]["port"] == "http", f"{name} {kind}"


def test_a_slow_start_gets_about_a_minute_before_the_pod_is_restarted() -> None:
    for name in SERVICES:
        startup = _container(name)["startupProbe"]
        budget = startup["failureThreshold"] * startup.get("periodSeconds", 10)
        assert 55 <= budget <= 120, f"{name} startup budget is {budget}s"


def test_prometheus_is_told_to_scrape_metrics_on_the_http_port() -> None:
    for name in SERVICES:
        annotations = _by_kind(name, "Deployment")["spec"]["template"]["metadata"]["annotations"]
        assert annotations["prometheus.io/scrape"] == "true", name
        assert annotations["prometheus.io/port"] == "8080", name
        assert annotations["prometheus.io/path"] == "/metrics", name


def test_every_container_runs_non_root_with_a_read_only_root_and_no_capabilities() -> None:
    for name in SERVICES:
        pod = _pod_spec(name)
        assert pod["securityContext"] == {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "fsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        }, name
        assert _container(name)["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "privileged": False,
            "capabilities": {"drop": ["ALL"]},
        }, name


def test_tmp_is_the_only_writable_path_and_it_is_an_empty_dir() -> None:
    for name in SERVICES:
        volumes = {volume["name"]: volume for volume in _pod_spec(name)["volumes"]}
        mounts = _container(name)["volumeMounts"]
        assert [mount["mountPath"] for mount in mounts] == ["/tmp"], name
        assert "emptyDir" in volumes[mounts[0]["name"]], name


def test_every_service_has_its_own_service_account_without_an_api_token() -> None:
    for name in SERVICES:
        account = _by_kind(name, "ServiceAccount")
        assert account["automountServiceAccountToken"] is False, name
        pod = _pod_spec(name)
        assert pod["serviceAccountName"] == name
        assert pod["automountServiceAccountToken"] is False, name


def test_every_container_requests_and_limits_cpu_and_memory() -> None:
    for name in SERVICES:
        resources = _container(name)["resources"]
        assert resources["requests"] == {"cpu": "100m", "memory": "128Mi"}, name
        cpu_limit = "1" if name == "gateway" else "500m"
        assert resources["limits"] == {"cpu": cpu_limit, "memory": "512Mi"}, name


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_gets_exactly_the_environment_it_is_documented_to_read(name: str) -> None:
    env = _env(name)
    assert set(env) == set(SECRET_REFS[name]) | set(CONFIG_REFS[name])
    for var, (secret, key) in SECRET_REFS[name].items():
        assert env[var]["valueFrom"] == {"secretKeyRef": {"name": secret, "key": key}}, var
    for var, key in CONFIG_REFS[name].items():
        assert env[var]["valueFrom"] == {"configMapKeyRef": {"name": "portal-config", "key": key}}, var


def test_no_secret_value_is_written_in_the_manifests() -> None:
    kinds = [doc["kind"] for doc in _all_base_docs()]
    assert "Secret" not in kinds
    assert not _kustomization().get("secretGenerator")
    secretish = re.compile(r"_(DATABASE_URL|AMQP_URL)$|_KEY$")
    for name in SERVICES:
        for var, entry in _env(name).items():
            assert "value" not in entry, f"{name} writes {var} inline; it must come from valueFrom"
            if secretish.search(var):
                assert "secretKeyRef" in entry["valueFrom"], f"{name} {var} must come from a Secret"
    for value in _portal_config().values():
        assert "@" not in value and "PRIVATE KEY" not in value, f"portal-config holds a credential: {value}"


def test_every_config_key_a_deployment_reads_is_defined_in_portal_config() -> None:
    config = _portal_config()
    for name in SERVICES:
        for var, entry in _env(name).items():
            ref = entry.get("valueFrom", {}).get("configMapKeyRef")
            if ref is not None:
                assert ref["name"] == "portal-config"
                assert ref["key"] in config, f"{name} {var} reads missing key {ref['key']}"


def test_portal_config_points_at_the_in_cluster_services() -> None:
    config = _portal_config()
    generator = next(g for g in _kustomization()["configMapGenerator"] if g["name"] == "portal-config")
    assert generator["options"]["disableNameSuffixHash"] is True
    for name in ("catalog", "search", "requests", "notifications"):
        assert config[f"{name}_url"] == f"http://{name}"
    assert config["log_level"] == "info"
    for key in ("oidc_issuer", "oidc_jwks_url"):
        assert config[key].startswith("https://"), key
    assert config["oidc_audience"]


def test_readme_names_every_secret_and_key_the_manifests_read() -> None:
    readme = (K8S / "README.md").read_text(encoding="utf-8")
    assert "kubectl apply -k deploy/k8s/base" in readme
    for refs in SECRET_REFS.values():
        for secret, key in refs.values():
            assert f"`{secret}`" in readme, secret
            assert f"`{key}`" in readme, key


def test_image_runs_as_the_same_non_root_user_the_pods_require() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert users, "Dockerfile sets no USER"
    assert users[-1].split(":")[0] == str(RUN_AS)
    assert "uv sync --frozen --no-dev" in dockerfile
    assert re.search(r"^ENV\s+PATH=/app/\.venv/bin:", dockerfile, flags=re.MULTILINE)
