"""What each pinned operator creates in our namespace and how it labels it: the pods, ports and Services the
manifests' selectors must find, and the connections the operators open. Each fact names its source at the
pinned version (deploy/k8s/crds/SOURCES.yaml has the commits)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

Obj = dict[str, Any]
Labels = dict[str, str]
JOB_NAME = "batch.kubernetes.io/job-name"


@dataclass(frozen=True)
class Pod:
    name: str
    labels: Labels
    ports: dict[str, int]
    # Ports a process listens on without naming them in the pod spec (e.g. Erlang distribution).
    unnamed: frozenset[int] = frozenset()

    def has_port(self, port: int | str) -> bool:
        return port in self.ports if isinstance(port, str) else port in self.ports.values() or port in self.unnamed


@dataclass(frozen=True)
class Service:
    name: str
    selector: Labels
    ports: dict[str, int]
    labels: Labels = field(default_factory=dict)


def broker_tls(cluster: Obj) -> bool:
    return bool(cluster["spec"].get("tls", {}).get("secretName"))


def rabbitmq(cluster: Obj) -> tuple[list[Pod], list[Service]]:
    """RabbitMQ Cluster Operator 2.14.0.

    Pod labels: internal/metadata/label.go Label(): name=<cluster>, component=rabbitmq, part-of=rabbitmq.
    Container ports: internal/resource/statefulset.go updateContainerPorts(): epmd, amqp, management,
    prometheus always (without disableNonTLSListeners); with TLS also amqps, management-tls, prometheus-tls.
    Service <cluster>: internal/resource/service.go generateServicePortsMap(): amqp, management; with TLS
    amqps, management-tls and prometheus-tls INSTEAD of prometheus ("We expose either 15692 or 15691").
    Erlang distribution listens on 25672 (RabbitMQ networking guide), unnamed in the pod spec.
    """
    name, tls = cluster["metadata"]["name"], broker_tls(cluster)
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/component": "rabbitmq",
              "app.kubernetes.io/part-of": "rabbitmq"}
    ports = {"epmd": 4369, "amqp": 5672, "management": 15672, "prometheus": 15692}
    service_ports = {"amqp": 5672, "management": 15672}
    if tls:
        ports |= {"amqps": 5671, "management-tls": 15671, "prometheus-tls": 15691}
        service_ports |= {"amqps": 5671, "management-tls": 15671, "prometheus-tls": 15691}
    else:
        service_ports |= {"prometheus": 15692}
    pod = Pod(f"{name}-server", labels, ports, frozenset({25672}))
    return [pod], [Service(name, {"app.kubernetes.io/name": name}, service_ports, labels)]


def topology_operator_port(cluster: Obj) -> tuple[int, str | None]:
    """Messaging Topology Operator 1.17.4, rabbitmqclient/cluster_reference.go ParseReference(): the annotation
    rabbitmq.com/operator-connection-uri wins; otherwise TLS on means https to the Service's management-tls port
    (15671), verifying the broker's certificate against the operator's trust store; otherwise http to 15672.

    Returns the port and, when the connection cannot work as configured, why."""
    uri = cluster["metadata"].get("annotations", {}).get("rabbitmq.com/operator-connection-uri")
    if uri:
        parts = urlsplit(uri if "://" in uri else f"http://{uri}")
        return parts.port or (443 if parts.scheme == "https" else 80), None
    if broker_tls(cluster):
        return 15671, ("TLS is on and no rabbitmq.com/operator-connection-uri: the Topology Operator would use "
                       "https on 15671 and must trust a certificate naming the in-cluster Service")
    return 15672, None


def cloudnative_pg(cluster: Obj) -> list[Pod]:
    """CloudNativePG 1.28.1, pkg/specs/pods.go: labels cnpg.io/cluster, cnpg.io/podRole=instance,
    cnpg.io/instanceRole (primary|replica), role, app.kubernetes.io/name=postgresql; container ports
    postgresql 5432, metrics 9187, status 8000."""
    name = cluster["metadata"]["name"]
    pods = []
    for role in ("primary", "replica"):
        labels = {"cnpg.io/cluster": name, "cnpg.io/podRole": "instance", "cnpg.io/instanceRole": role,
                  "role": role, "app.kubernetes.io/name": "postgresql", "app.kubernetes.io/instance": name}
        pods.append(Pod(f"{name}-{role}", labels, {"postgresql": 5432, "metrics": 9187, "status": 8000}))
    return pods


def opensearch(cluster: Obj) -> list[Pod]:
    """OpenSearch Kubernetes operator 2.8.0, pkg/builders/cluster.go and pkg/helpers/constants.go.

    Node pool pods: opster.io/opensearch-cluster=<cluster>, opster.io/opensearch-nodepool=<component>; ports
    http (httpPort) and transport 9300. The bootstrap pod (NewBootstrapPod): the cluster label only. The
    security-config Job (NewSecurityconfigUpdateJob, named <cluster>-securityconfig-update): its pod template
    has no labels, so only the Job controller's batch.kubernetes.io/job-name and job-name (Kubernetes 1.27+).
    """
    name = cluster["metadata"]["name"]
    http = cluster["spec"]["general"].get("httpPort", 9200)
    ports = {"http": http, "transport": 9300}
    pods = [Pod(f"{name}-{pool['component']}", {"opster.io/opensearch-cluster": name,
                                                 "opster.io/opensearch-nodepool": pool["component"]}, ports)
            for pool in cluster["spec"]["nodePools"]]
    pods.append(Pod(f"{name}-bootstrap", {"opster.io/opensearch-cluster": name}, ports))
    job = f"{name}-securityconfig-update"
    pods.append(Pod(job, {JOB_NAME: job, "job-name": job}, {}))
    return pods


def operator_secrets(objects: list[Obj]) -> dict[str, set[str]]:
    """Secrets the operators create, with their keys.

    Topology Operator 1.17.4 controllers/user_controller.go: every User gets <user>-user-credentials with
    username and password (generated, or copied from importCredentialsSecret). Cluster Operator 2.14.0
    internal/resource/default_user_secret.go: <cluster>-default-user. OpenSearch operator 2.8.0
    (tls.http.generate): <cluster>-http-cert with ca.crt, tls.crt, tls.key."""
    secrets: dict[str, set[str]] = {}
    for obj in objects:
        name = obj["metadata"]["name"]
        if obj["kind"] == "User":
            secrets[f"{name}-user-credentials"] = {"username", "password"}
        elif obj["kind"] == "RabbitmqCluster":
            secrets[f"{name}-default-user"] = {"username", "password", "host", "port"}
        elif obj["kind"] == "OpenSearchCluster" and obj["spec"]["security"]["tls"]["http"].get("generate"):
            secrets[f"{name}-http-cert"] = {"ca.crt", "tls.crt", "tls.key"}
    return secrets


# Namespaces whose pods reach ours, each for what its operator or controller does (README.md installs them).
OPERATOR_NAMESPACES = ("ingress-nginx", "monitoring", "keda", "rabbitmq-system", "cnpg-system",
                       "opensearch-operator-system")
