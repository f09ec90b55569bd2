"""The manifests mean what production needs (semantics.py), on both overlays and the restore overlay, and each
check bites: a copy of the rendered objects broken in one way is reported for that way."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest

from tests.unit.deploy import semantics
from tests.unit.deploy.manifests import K8S, OVERLAYS, Obj, kustomize, parse

Check = Callable[[list[Obj]], list[str]]


@pytest.mark.parametrize("check", semantics.CHECKS, ids=lambda check: check.__name__)
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_rendered_overlay_has_no_problem_the_check_knows(
        overlay: str, check: Check, overlays: dict[str, list[Obj]]) -> None:
    assert check(overlays[overlay]) == []


def test_production_backs_up_continuously_and_the_restore_overlay_recovers_from_it(production: list[Obj]) -> None:
    assert semantics.backup_problems(production) == []
    assert semantics.recovery_problems(parse(kustomize(K8S / "restore"))) == []


def find(objects: list[Obj], kind: str, name: str | None = None) -> Obj:
    return next(o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name))


def container(objects: list[Obj], deployment: str) -> Obj:
    found: Obj = find(objects, "Deployment", deployment)["spec"]["template"]["spec"]["containers"][0]
    return found


def wrong_queue(objects: list[Obj]) -> None:
    find(objects, "ScaledObject")["spec"]["triggers"][0]["metadata"]["queueName"] = "requests.from.nosuch"


def secret_no_operator_makes(objects: list[Obj]) -> None:
    find(objects, "TriggerAuthentication")["spec"]["secretTargetRef"][0]["name"] = "keda-broker"


def allow_all_ingress(objects: list[Obj]) -> None:
    objects.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": {"name": "allow-all"},
                    "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "requests"}},
                             "policyTypes": ["Ingress"], "ingress": [{}]}})


def missing_metrics_port(objects: list[Obj]) -> None:
    container(objects, "gateway")["ports"] = [p for p in container(objects, "gateway")["ports"]
                                              if p["name"] != "metrics"]


def pdb_without_disruption(objects: list[Obj]) -> None:
    find(objects, "PodDisruptionBudget", "catalog")["spec"]["maxUnavailable"] = 0


def plaintext_secret(objects: list[Obj]) -> None:
    container(objects, "catalog")["env"].append({"name": "BROKER_PASSWORD", "value": "hunter2hunter2"})


def tls_without_connection_uri(objects: list[Obj]) -> None:
    find(objects, "RabbitmqCluster")["metadata"]["annotations"].pop("rabbitmq.com/operator-connection-uri")


def scrape_the_service_port_tls_hides(objects: list[Obj]) -> None:
    objects.append({"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor",
                    "metadata": {"name": "portal-broker-service"},
                    "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "portal-broker"}},
                             "endpoints": [{"port": "prometheus"}]}})


def opensearch_job_by_a_label_nobody_sets(objects: list[Obj]) -> None:
    find(objects, "NetworkPolicy", "opensearch-jobs")["spec"]["podSelector"] = {
        "matchExpressions": [{"key": "opster.io/opensearch-job", "operator": "Exists"}]}


def cnpg_operator_without_5432(objects: list[Obj]) -> None:
    rule = next(r for r in find(objects, "NetworkPolicy", "database")["spec"]["ingress"]
                if any("namespaceSelector" in peer for peer in r["from"]))
    rule["ports"] = [{"protocol": "TCP", "port": 8000}]


def no_scheduled_backup(objects: list[Obj]) -> None:
    objects.remove(find(objects, "ScheduledBackup"))


def egress_anywhere(objects: list[Obj]) -> None:
    find(objects, "NetworkPolicy", "egress-identity-provider")["spec"]["egress"][0]["to"] = [
        {"ipBlock": {"cidr": "0.0.0.0/0"}}]


def migrating_at_start(objects: list[Obj]) -> None:
    env = container(objects, "search")["env"]
    env[:] = [var for var in env if var["name"] != "SEARCH_MIGRATE_ON_START"]


def opensearch_nodes_on_one_host(objects: list[Obj]) -> None:
    find(objects, "OpenSearchCluster")["spec"]["nodePools"][0].pop("affinity")


def pod_security_warn_only(objects: list[Obj]) -> None:
    find(objects, "Namespace")["metadata"]["labels"].pop("pod-security.kubernetes.io/enforce")


def privilege_escalation(objects: list[Obj]) -> None:
    container(objects, "requests")["securityContext"]["allowPrivilegeEscalation"] = True


def root_user(objects: list[Obj]) -> None:
    spec = find(objects, "Deployment", "notifications")["spec"]["template"]["spec"]
    spec["securityContext"].pop("runAsUser")


def metrics_on_the_public_port(objects: list[Obj]) -> None:
    command = container(objects, "gateway")["command"]
    del command[command.index("--metrics-port"):]


MUTATIONS: list[tuple[Callable[[list[Obj]], None], Check, str]] = [
    (wrong_queue, semantics.keda_problems, "requests.from.nosuch is not in the generated topology"),
    (secret_no_operator_makes, semantics.keda_problems, "keda-broker/username is no Secret an operator creates"),
    (allow_all_ingress, semantics.flow_problems, "allowed but not needed: ns:ingress-nginx -> requests:8080"),
    (missing_metrics_port, semantics.unresolved_selectors, "port metrics is not on pod gateway"),
    (pdb_without_disruption, semantics.disruption_problems, "PodDisruptionBudget/catalog: allows no disruption"),
    (plaintext_secret, semantics.plaintext_secret_problems, "BROKER_PASSWORD is set in plain text"),
    (tls_without_connection_uri, semantics.flow_problems, "needed but blocked: ns:rabbitmq-system -> "
                                                          "portal-broker-server:15671"),
    (scrape_the_service_port_tls_hides, semantics.unresolved_selectors, "port prometheus is not on Service"),
    (opensearch_job_by_a_label_nobody_sets, semantics.unresolved_selectors, "opensearch-jobs: its podSelector "
                                                                            "selects no pod"),
    (cnpg_operator_without_5432, semantics.flow_problems, "needed but blocked: ns:cnpg-system -> "
                                                          "portal-db-primary:5432"),
    (no_scheduled_backup, semantics.backup_problems, "no ScheduledBackup takes base backups"),
    (egress_anywhere, semantics.egress_problems, "egress to every address (0.0.0.0/0)"),
    (migrating_at_start, semantics.migration_problems, "Deployment/search: migrates at start"),
    (opensearch_nodes_on_one_host, semantics.spread_problems, "node pool nodes has no anti-affinity per host"),
    (pod_security_warn_only, semantics.operator_pod_security_problems, "restricted Pod Security is not enforced"),
    (privilege_escalation, semantics.container_security_problems, "requests: allowPrivilegeEscalation is not false"),
    (root_user, semantics.container_security_problems, "notifications: no non-zero runAsUser"),
    (metrics_on_the_public_port, semantics.public_metrics_problems, "so /metrics is public"),
]


@pytest.mark.parametrize(("mutate", "check", "expected"), MUTATIONS, ids=[m[0].__name__ for m in MUTATIONS])
def test_each_check_reports_the_break_it_exists_for(mutate: Callable[[list[Obj]], None], check: Check,
                                                    expected: str, production: list[Obj]) -> None:
    broken = copy.deepcopy(production)
    mutate(broken)
    found = check(broken)
    assert any(expected in problem for problem in found), found


def test_a_restore_that_would_archive_over_its_own_source_is_reported() -> None:
    restore = parse(kustomize(K8S / "restore"))
    cluster = find(restore, "Cluster")
    cluster["spec"]["plugins"][0]["parameters"]["serverName"] = "portal-db"
    assert semantics.recovery_problems(restore) == [
        "the restored cluster would archive over the history it was restored from"]
