"""Operators' resources carry what their CRDs require, and the services are wired to what the operators make."""

from __future__ import annotations

from typing import Any

import pytest

from services.catalog.config import Settings as CatalogSettings
from services.gateway.config import Settings as GatewaySettings
from services.notifications.config import Settings as NotificationsSettings
from services.requests.config import Settings as RequestsSettings
from services.search.config import Settings as SearchSettings
from tests.unit.deploy.manifests import DATABASE_OWNERS, OVERLAYS, SERVICES, Obj, containers, env_of, named, of_kind

# Required fields per kind, as the operators' CRDs mark them (+kubebuilder:validation:Required or no
# omitempty): dotted paths under spec; "a|b" means one of them; "x[]." applies to every item of list x.
REQUIRED: dict[tuple[str, str], tuple[str, ...]] = {
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"): ("replicas",),
    ("rabbitmq.com/v1beta1", "Vhost"): ("name", "rabbitmqClusterReference.name"),
    ("rabbitmq.com/v1beta1", "Policy"): ("name", "pattern", "definition", "rabbitmqClusterReference.name"),
    ("rabbitmq.com/v1beta1", "Exchange"): ("name", "rabbitmqClusterReference.name"),
    ("rabbitmq.com/v1beta1", "Queue"): ("name", "rabbitmqClusterReference.name"),
    ("rabbitmq.com/v1beta1", "Binding"): ("source", "destination", "destinationType", "rabbitmqClusterReference.name"),
    ("rabbitmq.com/v1beta1", "User"): ("rabbitmqClusterReference.name",),
    ("rabbitmq.com/v1beta1", "Permission"): ("vhost", "permissions", "user|userReference.name",
                                             "rabbitmqClusterReference.name"),
    ("rabbitmq.com/v1beta1", "TopicPermission"): ("vhost", "permissions.exchange", "user|userReference.name",
                                                  "rabbitmqClusterReference.name"),
    ("postgresql.cnpg.io/v1", "Cluster"): ("instances", "storage.size"),
    ("postgresql.cnpg.io/v1", "Database"): ("name", "owner", "cluster.name"),
    ("postgresql.cnpg.io/v1", "ScheduledBackup"): ("schedule", "cluster.name"),
    ("barmancloud.cnpg.io/v1", "ObjectStore"): ("configuration.destinationPath",),
    ("opensearch.opster.io/v1", "OpenSearchCluster"): ("general.serviceName", "general.version",
                                                       "nodePools[].component", "nodePools[].replicas",
                                                       "nodePools[].roles"),
    ("opensearch.opster.io/v1", "OpensearchRole"): ("opensearchCluster.name",),
    ("opensearch.opster.io/v1", "OpensearchUser"): ("opensearchCluster.name", "passwordFrom.name",
                                                    "passwordFrom.key"),
    ("opensearch.opster.io/v1", "OpensearchUserRoleBinding"): ("opensearchCluster.name", "users", "roles"),
    ("keda.sh/v1alpha1", "ScaledObject"): ("scaleTargetRef.name", "triggers[].type", "triggers[].metadata"),
    ("keda.sh/v1alpha1", "TriggerAuthentication"): ("secretTargetRef[].parameter", "secretTargetRef[].name",
                                                    "secretTargetRef[].key"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"): ("selector", "endpoints[].port"),
    ("monitoring.coreos.com/v1", "PodMonitor"): ("selector", "podMetricsEndpoints[].port"),
    ("monitoring.coreos.com/v1", "PrometheusRule"): ("groups[].name", "groups[].rules"),
}
BUILT_IN_GROUPS = {"v1", "apps/v1", "policy/v1", "autoscaling/v2", "networking.k8s.io/v1", "batch/v1"}
SETTINGS = {"gateway": GatewaySettings, "catalog": CatalogSettings, "search": SearchSettings,
            "requests": RequestsSettings, "notifications": NotificationsSettings}


def present(value: Any, path: str) -> bool:
    head, _, rest = path.partition(".")
    if head.endswith("[]"):
        items = value.get(head[:-2]) if isinstance(value, dict) else None
        return bool(items) and all(present(item, rest) for item in items)
    if not isinstance(value, dict) or value.get(head) in (None, "", [], {}):
        return False
    return present(value[head], rest) if rest else True


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_custom_resource_is_a_known_operator_kind_with_its_required_fields(
        overlay: str, overlays: dict[str, list[Obj]]) -> None:
    for obj in overlays[overlay]:
        if obj["apiVersion"] in BUILT_IN_GROUPS:
            continue
        key = (obj["apiVersion"], obj["kind"])
        assert key in REQUIRED, f"{overlay}: unexpected custom resource {key}"
        for path in REQUIRED[key]:
            assert any(present(obj["spec"], option) for option in path.split("|")), (
                f"{overlay}: {obj['kind']}/{obj['metadata']['name']} lacks spec.{path}")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_topology_object_lives_in_the_portal_vhost_of_the_portal_broker(
        overlay: str, overlays: dict[str, list[Obj]]) -> None:
    for obj in overlays[overlay]:
        if obj["apiVersion"] != "rabbitmq.com/v1beta1" or obj["kind"] == "RabbitmqCluster":
            continue
        assert obj["spec"]["rabbitmqClusterReference"] == {"name": "portal-broker"}
        if obj["kind"] not in ("User", "Vhost"):
            assert obj["spec"]["vhost"] == "portal", f"{obj['kind']}/{obj['metadata']['name']}"


def test_production_runs_three_nodes_of_every_engine(production: list[Obj]) -> None:
    assert named(production, "RabbitmqCluster", "portal-broker")["spec"]["replicas"] == 3
    assert named(production, "Cluster", "portal-db")["spec"]["instances"] == 3
    (pool,) = named(production, "OpenSearchCluster", "portal-search")["spec"]["nodePools"]
    assert pool["replicas"] == 3


def test_the_ministries_reach_the_broker_over_tls_only(production: list[Obj]) -> None:
    assert named(production, "RabbitmqCluster", "portal-broker")["spec"]["tls"]["secretName"]
    public = named(production, "Service", "portal-broker-public")
    assert [port["port"] for port in public["spec"]["ports"]] == [5671]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_has_its_own_database_owned_by_its_own_role_with_a_referenced_password(
        overlay: str, overlays: dict[str, list[Obj]]) -> None:
    objects = overlays[overlay]
    cluster = named(objects, "Cluster", "portal-db")["spec"]
    roles = {role["name"]: role for role in cluster["managed"]["roles"]}
    databases = {d["spec"]["name"]: d["spec"] for d in of_kind(objects, "Database")}
    assert set(databases) == set(DATABASE_OWNERS)
    for service in DATABASE_OWNERS:
        assert databases[service]["owner"] == service
        assert databases[service]["cluster"] == {"name": "portal-db"}
        assert databases[service]["databaseReclaimPolicy"] == "retain"
        assert roles[service]["login"] is True
        assert roles[service]["passwordSecret"] == {"name": f"{service}-db"}
        assert f"host {service} {service} all scram-sha-256" in cluster["postgresql"]["pg_hba"]
        env = env_of(containers(named(objects, "Deployment", service))[0])
        for key in ("username", "password"):
            assert env[f"DB_{key.upper()}"]["valueFrom"] == {"secretKeyRef": {"name": f"{service}-db", "key": key}}
        assert env[f"{service.upper()}_DATABASE_URL"]["value"].endswith(f"@$(DB_HOST)/{service}")


def test_search_uses_opensearch_in_production_and_its_embedded_index_in_dev(overlays: dict[str, list[Obj]]) -> None:
    production = env_of(containers(named(overlays["production"], "Deployment", "search"))[0])
    assert production["SEARCH_ENGINE"]["value"] == "opensearch"
    assert production["SEARCH_OPENSEARCH_URL"]["value"] == "https://portal-search:9200"
    assert production["SEARCH_OPENSEARCH_CA_CERTS"]["value"] == "/etc/opensearch-ca/ca.crt"
    user = named(overlays["production"], "OpensearchUser", "portal-search")["spec"]["passwordFrom"]
    assert production["SEARCH_OPENSEARCH_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": user["name"], "key": user["key"]}
    dev = env_of(containers(named(overlays["dev"], "Deployment", "search"))[0])
    assert dev["SEARCH_ENGINE"]["value"] == "embedded"
    assert dev["SEARCH_INDEX_DIR"]["value"].startswith("/tmp/")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_prefixed_variable_names_a_setting_the_service_reads(
        overlay: str, overlays: dict[str, list[Obj]]) -> None:
    # A renamed setting would otherwise be ignored silently (extra="ignore").
    workloads = [*[named(overlays[overlay], "Deployment", s) for s in SERVICES],
                 *[d for d in of_kind(overlays[overlay], "Deployment")
                   if d["metadata"]["name"].startswith("requests-worker-")]]
    for workload in workloads:
        name = workload["metadata"]["name"]
        service = "requests" if name.startswith("requests-worker-") else name
        prefix = f"{service.upper()}_"
        fields = set(SETTINGS[service].model_fields)
        for var in env_of(containers(workload)[0]):
            if var.startswith(prefix):
                assert var.removeprefix(prefix).lower() in fields, f"{name}: {var}"
