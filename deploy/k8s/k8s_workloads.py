"""A ministry's requests worker, its KEDA ScaledObject and its onboarding Job."""

from __future__ import annotations

from typing import Any

from k8s_bus import NAMESPACE, VHOST, Ministry, labels

from shared.bus import topology as bus

# Per-ministry workers apply a ministry's events one at a time to keep their order (shared/bus/rabbit.py):
# a second replica on the same queue would reorder them. KEDA therefore scales each worker between zero
# (an idle ministry costs nothing) and one, on the depth of that ministry's own queue.
WORKER_MIN_REPLICAS = 0
WORKER_MAX_REPLICAS = 1
WORKER_QUEUE_TARGET = "20"
KEDA_AUTH = "portal-broker-keda"
BROKER_MANAGEMENT = f"http://portal-broker.{NAMESPACE}.svc:15672/"


def env_from(name: str, kind: str, source: str, key: str) -> dict[str, Any]:
    ref = "secretKeyRef" if kind == "secret" else "configMapKeyRef"
    return {"name": name, "valueFrom": {ref: {"name": source, "key": key}}}


def requests_env() -> list[dict[str, Any]]:
    """The requests service's environment (base/requests.yaml): workers are the same service."""
    return [
        env_from("DB_HOST", "config", "portal-config", "database_host"),
        env_from("DB_USERNAME", "secret", "requests-db", "username"),
        env_from("DB_PASSWORD", "secret", "requests-db", "password"),
        {"name": "REQUESTS_DATABASE_URL",
         "value": "postgresql+asyncpg://$(DB_USERNAME):$(DB_PASSWORD)@$(DB_HOST)/requests"},
        env_from("BROKER_ADDRESS", "config", "portal-config", "amqp_address"),
        env_from("BROKER_USERNAME", "secret", "portal-requests-user-credentials", "username"),
        env_from("BROKER_PASSWORD", "secret", "portal-requests-user-credentials", "password"),
        {"name": "REQUESTS_AMQP_URL",
         "value": "amqp://$(BROKER_USERNAME):$(BROKER_PASSWORD)@$(BROKER_ADDRESS)"},
        env_from("REQUESTS_IDENTITY_PUBLIC_KEY", "secret", "portal-identity", "public.pem"),
        env_from("REQUESTS_LOG_LEVEL", "config", "portal-config", "log_level"),
        env_from("REQUESTS_CATALOG_URL", "config", "portal-config", "catalog_url"),
    ]


def pod_security() -> dict[str, Any]:
    return {"runAsNonRoot": True, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
            "seccompProfile": {"type": "RuntimeDefault"}}


def container_security() -> dict[str, Any]:
    return {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "privileged": False,
            "capabilities": {"drop": ["ALL"]}}


# The one writable path of a read-only root filesystem: an emptyDir mounted in the container, not the host's.
TMP_MOUNT = {"name": "tmp", "mountPath": "/tmp"}  # noqa: S108


def http_probe(path: str, period: int, timeout: int, failures: int) -> dict[str, Any]:
    return {"httpGet": {"path": path, "port": "http"}, "periodSeconds": period, "timeoutSeconds": timeout,
            "failureThreshold": failures}


def worker_name(code: str) -> str:
    return f"requests-worker-{code}"


def worker_deployment(ministry: Ministry) -> dict[str, Any]:
    name = worker_name(ministry.code)
    selector = {"app.kubernetes.io/name": "requests-worker", "app.kubernetes.io/instance": name}
    pod_labels = {**selector, **labels("requests-worker", **{"portal.gov.om/ministry": ministry.code})}
    env = [
        *requests_env(),
        # The API Deployment keeps the dead-letter desk and the catalogue cache; a worker consumes only
        # its ministry's status queue.
        {"name": "REQUESTS_DEAD_LETTER_DESK", "value": "false"},
        {"name": "REQUESTS_CONSUME_CATALOGUE", "value": "false"},
    ]
    container = {
        "name": "requests-worker",
        "image": "gov-portal",
        "imagePullPolicy": "IfNotPresent",
        # All interfaces: the kubelet probes the pod's address (the command's default host is 127.0.0.1).
        "command": ["portal", "requests-worker", "--ministries", ministry.code, "--host", "0.0.0.0", "--port", "8080"],
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "env": env,
        "securityContext": container_security(),
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "384Mi"}},
        "startupProbe": http_probe("/healthz", 5, 2, 12),
        "readinessProbe": http_probe("/readyz", 10, 3, 3),
        "livenessProbe": http_probe("/healthz", 20, 2, 3),
        "volumeMounts": [dict(TMP_MOUNT)],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": pod_labels},
        "spec": {
            # No replicas: the ScaledObject owns the count.
            "revisionHistoryLimit": 5,
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1}},
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": pod_labels,
                             "annotations": {"prometheus.io/scrape": "true", "prometheus.io/port": "8080",
                                             "prometheus.io/path": "/metrics"}},
                "spec": {
                    "serviceAccountName": "requests-worker",
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "securityContext": pod_security(),
                    "containers": [container],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "256Mi"}}],
                },
            },
        },
    }


def worker_scaled_object(ministry: Ministry) -> dict[str, Any]:
    name = worker_name(ministry.code)
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": name, "labels": labels("requests-worker", **{"portal.gov.om/ministry": ministry.code})},
        "spec": {
            "scaleTargetRef": {"name": name},
            "minReplicaCount": WORKER_MIN_REPLICAS,
            "maxReplicaCount": WORKER_MAX_REPLICAS,
            "pollingInterval": 10,
            "cooldownPeriod": 300,
            # If KEDA cannot read the queue, keep one worker rather than none.
            "fallback": {"failureThreshold": 3, "replicas": 1},
            "triggers": [{
                "type": "rabbitmq",
                "metadata": {
                    # The management API counts ready and unacknowledged messages; the credentials (a
                    # monitoring-only user) come from the TriggerAuthentication, so the host holds none.
                    "protocol": "http",
                    "host": BROKER_MANAGEMENT,
                    "vhostName": VHOST,
                    "queueName": bus.from_ministry(ministry.code).name,
                    "mode": "QueueLength",
                    "value": WORKER_QUEUE_TARGET,
                    "activationValue": "0",
                },
                "authenticationRef": {"name": KEDA_AUTH},
            }],
        },
    }


def onboarding_job(ministry: Ministry, image: str) -> dict[str, Any]:
    pod_labels = {"app.kubernetes.io/name": "ministry-onboarding",
                  **labels("ministry-onboarding", **{"portal.gov.om/ministry": ministry.code})}
    container = {
        "name": "onboard",
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        # The broker user, its permissions and its queues are the Topology Operator's (components/ministries):
        # the Job only creates the catalogue entry and the API key, through the gateway.
        "command": ["portal", "ministry", "onboard", ministry.code, "--name-en", ministry.name_en,
                    "--name-ar", ministry.name_ar, "--no-broker-user", "--vhost", VHOST],
        "env": [env_from("PORTAL_GATEWAY_URL", "config", "portal-config", "gateway_url"),
                env_from("PORTAL_ADMIN_TOKEN", "secret", "portal-admin-token", "token")],
        "securityContext": container_security(),
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        "volumeMounts": [dict(TMP_MOUNT)],
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": f"onboard-ministry-{ministry.code}", "namespace": NAMESPACE, "labels": pod_labels},
        "spec": {
            # Onboarding is not idempotent (a second run is refused with 409): never retry on our own.
            "backoffLimit": 0,
            "activeDeadlineSeconds": 300,
            # The log holds the ministry's API key once: read it, store it, and let the pod go.
            "ttlSecondsAfterFinished": 3600,
            "template": {
                "metadata": {"labels": pod_labels,
                             # Keep the one-time API key out of the log pipeline (Fluent Bit's opt-out).
                             "annotations": {"fluentbit.io/exclude": "true"}},
                "spec": {
                    "restartPolicy": "Never",
                    "serviceAccountName": "ministry-onboarding",
                    "automountServiceAccountToken": False,
                    "enableServiceLinks": False,
                    "securityContext": pod_security(),
                    "containers": [container],
                    "volumes": [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}],
                },
            },
        },
    }
