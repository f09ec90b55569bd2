"""What an operator reading deploy/k8s/base can rely on, file by file (moved from tests/unit/test_k8s_manifests.py)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.unit.deploy.manifests import BASE, DB_SERVICES, K8S, NAMESPACE, REPO, RUN_AS, SERVICES, docs_of

# What each service reads from a Secret (variable: (Secret, key)).
SECRET_REFS: dict[str, dict[str, tuple[str, str]]] = {
    # The gateway signs identities and calls the services over HTTP; its database holds signed-out sessions.
    "gateway": {
        "GATEWAY_IDENTITY_PRIVATE_KEY": ("portal-identity", "private.pem"),
        "DB_USERNAME": ("gateway-db", "username"),
        "DB_PASSWORD": ("gateway-db", "password"),
        "BROKER_USERNAME": ("portal-gateway-user-credentials", "username"),
        "BROKER_PASSWORD": ("portal-gateway-user-credentials", "password"),
    },
    **{
        name: {
            "DB_USERNAME": (f"{name}-db", "username"),
            "DB_PASSWORD": (f"{name}-db", "password"),
            "BROKER_USERNAME": (f"portal-{name}-user-credentials", "username"),
            "BROKER_PASSWORD": (f"portal-{name}-user-credentials", "password"),
            f"{name.upper()}_IDENTITY_PUBLIC_KEY": ("portal-identity", "public.pem"),
        }
        for name in DB_SERVICES
    },
}
SECRET_REFS["notifications"] |= {
    "NOTIFICATIONS_SMTP_USERNAME": ("notifications-smtp", "username"),
    "NOTIFICATIONS_SMTP_PASSWORD": ("notifications-smtp", "password"),
    "NOTIFICATIONS_SMS_API_TOKEN": ("notifications-sms", "token"),
}

# What each service reads from ConfigMap portal-config (variable: key).
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
        "BROKER_ADDRESS": "amqp_address",
        "DB_HOST": "database_host",
    },
    "catalog": {"CATALOG_LOG_LEVEL": "log_level", "CATALOG_PUBLIC_URL": "public_url"},
    "search": {"SEARCH_LOG_LEVEL": "log_level"},
    "requests": {"REQUESTS_LOG_LEVEL": "log_level", "REQUESTS_CATALOG_URL": "catalog_url"},
    "notifications": {
        "NOTIFICATIONS_LOG_LEVEL": "log_level",
        "NOTIFICATIONS_PUBLIC_URL": "public_url",
        "NOTIFICATIONS_CATALOG_URL": "catalog_url",
        "NOTIFICATIONS_SMTP_HOST": "smtp_host",
        "NOTIFICATIONS_SMTP_PORT": "smtp_port",
        "NOTIFICATIONS_SMTP_STARTTLS": "smtp_starttls",
        "NOTIFICATIONS_SMS_PROVIDER": "sms_provider",
        "NOTIFICATIONS_SMS_API_URL": "sms_api_url",
        "NOTIFICATIONS_SMS_SENDER": "sms_sender",
    },
}
for _name in DB_SERVICES:
    CONFIG_REFS[_name] |= {"DB_HOST": "database_host", "BROKER_ADDRESS": "amqp_address"}

# Values written in the manifest: the URLs composed from the variables above, and plain settings.
VALUES: dict[str, dict[str, str]] = {
    "gateway": {"GATEWAY_AMQP_URL": "amqp://$(BROKER_USERNAME):$(BROKER_PASSWORD)@$(BROKER_ADDRESS)",
                "GATEWAY_DATABASE_URL": "postgresql+asyncpg://$(DB_USERNAME):$(DB_PASSWORD)@$(DB_HOST)/gateway",
                "GATEWAY_MIGRATE_ON_START": "false"},
    **{
        name: {
            f"{name.upper()}_DATABASE_URL": f"postgresql+asyncpg://$(DB_USERNAME):$(DB_PASSWORD)@$(DB_HOST)/{name}",
            f"{name.upper()}_AMQP_URL": "amqp://$(BROKER_USERNAME):$(BROKER_PASSWORD)@$(BROKER_ADDRESS)",
            f"{name.upper()}_MIGRATE_ON_START": "false",
        }
        for name in DB_SERVICES
    },
}
VALUES["search"] |= {"SEARCH_ENGINE": "embedded", "SEARCH_INDEX_DIR": "/tmp/search-index"}


def _service_docs(name: str) -> list[dict[str, Any]]:
    return docs_of(BASE / f"{name}.yaml")


def _by_kind(name: str, kind: str) -> dict[str, Any]:
    matches = [doc for doc in _service_docs(name) if doc["kind"] == kind]
    assert len(matches) == 1, f"{name}.yaml should hold exactly one {kind}, found {len(matches)}"
    return matches[0]


def _container(name: str) -> dict[str, Any]:
    (container,) = _by_kind(name, "Deployment")["spec"]["template"]["spec"]["containers"]
    result: dict[str, Any] = container
    return result


def _env(name: str) -> dict[str, dict[str, Any]]:
    return {var["name"]: var for var in _container(name).get("env", [])}


def _kustomization() -> dict[str, Any]:
    (kustomization,) = docs_of(BASE / "kustomization.yaml")
    return kustomization


def _portal_config() -> dict[str, str]:
    generators = [g for g in _kustomization().get("configMapGenerator", []) if g["name"] == "portal-config"]
    assert len(generators) == 1, "kustomization.yaml should generate ConfigMap portal-config once"
    return dict(literal.split("=", 1) for literal in generators[0]["literals"])


def test_every_service_file_holds_its_account_deployment_service_budget_and_autoscaler() -> None:
    for name in SERVICES:
        docs = _service_docs(name)
        assert [doc["kind"] for doc in docs] == [
            "ServiceAccount", "Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler"], name
        assert {doc["metadata"]["name"] for doc in docs} == {name}


def test_the_base_applies_every_file_it_holds_in_the_portal_namespace() -> None:
    kustomization = _kustomization()
    assert kustomization["namespace"] == NAMESPACE
    resources = kustomization["resources"]
    for resource in resources:
        assert (BASE / resource).is_file(), f"kustomization lists {resource}, which does not exist"
    assert sorted(resources) == sorted(path.name for path in BASE.glob("*.yaml") if path.name != "kustomization.yaml")
    (namespace,) = docs_of(BASE / "namespace.yaml")
    assert (namespace["kind"], namespace["metadata"]["name"]) == ("Namespace", NAMESPACE)


def test_every_deployment_runs_the_one_gov_portal_image_tagged_latest_in_base() -> None:
    assert _kustomization()["images"] == [{"name": "gov-portal", "newTag": "latest"}]
    for name in SERVICES:
        assert _container(name)["image"] == "gov-portal", name


def test_every_service_targets_the_named_http_port_of_its_own_pods() -> None:
    for name in SERVICES:
        service = _by_kind(name, "Service")
        (port,) = service["spec"]["ports"]
        assert (port["port"], port["targetPort"]) == (80, "http"), name
        assert service["spec"]["selector"] == {"app.kubernetes.io/name": name}


def test_every_object_carries_the_standard_labels_and_selectors_match_the_pods() -> None:
    for name in SERVICES:
        expected = {"app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "gov-portal",
                    "app.kubernetes.io/component": name}
        for doc in _service_docs(name):
            assert doc["metadata"]["labels"] == expected, f"{name} {doc['kind']}"
        deployment = _by_kind(name, "Deployment")
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert pod_labels == expected
        for selector in (deployment["spec"]["selector"]["matchLabels"], _by_kind(name, "Service")["spec"]["selector"],
                         _by_kind(name, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"]):
            assert selector.items() <= pod_labels.items(), f"{name} selector does not match its pods"


def test_the_gateway_keeps_two_pods_in_base_and_the_others_one() -> None:
    for name in SERVICES:
        assert _by_kind(name, "HorizontalPodAutoscaler")["spec"]["minReplicas"] == (2 if name == "gateway" else 1)


def test_prometheus_is_told_to_scrape_metrics_on_the_http_port_and_the_gateways_on_its_own() -> None:
    for name in SERVICES:
        annotations = _by_kind(name, "Deployment")["spec"]["template"]["metadata"]["annotations"]
        port = "9090" if name == "gateway" else "8080"
        assert annotations == {"prometheus.io/scrape": "true", "prometheus.io/port": port,
                               "prometheus.io/path": "/metrics"}, name


def test_base_sizes_are_small_with_room_for_the_gateway_and_the_requests_learning_child() -> None:
    for name in SERVICES:
        resources = _container(name)["resources"]
        assert resources["requests"] == {"cpu": "100m", "memory": "128Mi"}, name
        # The requests pod also holds retraining's child process (about 485 MB at 1,000,000 requests).
        memory = "1Gi" if name == "requests" else "512Mi"
        assert resources["limits"] == {"cpu": "1" if name == "gateway" else "500m", "memory": memory}, name


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_gets_exactly_the_environment_it_is_documented_to_read(name: str) -> None:
    env = _env(name)
    assert set(env) == set(SECRET_REFS[name]) | set(CONFIG_REFS[name]) | set(VALUES[name])
    for var, (secret, key) in SECRET_REFS[name].items():
        assert env[var]["valueFrom"] == {"secretKeyRef": {"name": secret, "key": key}}, var
    for var, key in CONFIG_REFS[name].items():
        assert env[var]["valueFrom"] == {"configMapKeyRef": {"name": "portal-config", "key": key}}, var
    for var, value in VALUES[name].items():
        assert env[var] == {"name": var, "value": value}, var


def test_no_credential_is_written_in_a_base_manifest() -> None:
    docs = [doc for path in sorted(BASE.glob("*.yaml")) for doc in docs_of(path)]
    assert "Secret" not in [doc["kind"] for doc in docs]
    assert not _kustomization().get("secretGenerator")
    secretish = re.compile(r"PASSWORD|USERNAME|TOKEN|_KEY$")
    for name in SERVICES:
        for var, entry in _env(name).items():
            if secretish.search(var):
                assert "secretKeyRef" in entry["valueFrom"], f"{name} {var} must come from a Secret"
            if "value" in entry:
                assert "@" not in entry["value"] or "$(" in entry["value"].split("@")[0], f"{name} {var}"
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


def test_portal_config_points_at_the_in_cluster_services_and_engines() -> None:
    config = _portal_config()
    generator = next(g for g in _kustomization()["configMapGenerator"] if g["name"] == "portal-config")
    assert generator["options"]["disableNameSuffixHash"] is True
    for name in ("gateway", "catalog", "search", "requests", "notifications"):
        assert config[f"{name}_url"] == f"http://{name}"
    assert config["database_host"] == "portal-db-rw:5432"
    assert config["amqp_address"] == "portal-broker:5672/portal"
    assert config["log_level"] == "info"
    for key in ("oidc_issuer", "oidc_jwks_url"):
        assert config[key].startswith("https://"), key
    assert config["oidc_audience"]


def test_readme_names_every_secret_and_key_the_services_read() -> None:
    readme = (K8S / "README.md").read_text(encoding="utf-8")
    assert "kubectl apply -k deploy/k8s/overlays/production" in readme
    for refs in SECRET_REFS.values():
        for secret, key in refs.values():
            assert f"`{secret}`" in readme, secret
            assert f"`{key}`" in readme, key


def test_the_image_runs_as_the_same_non_root_user_the_pods_require() -> None:
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    users = re.findall(r"^USER\s+(\S+)", dockerfile, flags=re.MULTILINE)
    assert users and users[-1].split(":")[0] == str(RUN_AS)
    assert "uv sync --frozen --no-dev" in dockerfile
    assert re.search(r"^ENV\s+PATH=/app/\.venv/bin:", dockerfile, flags=re.MULTILINE)
