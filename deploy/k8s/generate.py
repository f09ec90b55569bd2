"""Write the manifests that follow from a list, because kustomize cannot loop.

Two sources, one generator:
- shared/bus/topology.py (the code's own exchanges and queues) -> base/bus-topology.yaml: the exchanges,
  the portal's quorum queues with exactly the arguments the services declare (RabbitMQ refuses a queue
  redeclared with other arguments), their bindings, and each service's broker user and permissions.
- deploy/k8s/ministries.txt (one line per ministry) -> components/ministries/<code>.yaml (that ministry's
  queues, bindings, broker user, permission and topic permission) and components/ministry-workers/<code>.yaml
  (its requests worker Deployment and the KEDA ScaledObject on requests.from.<code>), plus both components'
  kustomization.yaml.

Usage, from the repository root:
  .venv/bin/python deploy/k8s/generate.py            write the files
  .venv/bin/python deploy/k8s/generate.py --check    exit 1 if any file is stale (the unit tests run this)
  .venv/bin/python deploy/k8s/generate.py onboard-job CODE --image IMAGE | kubectl apply -f -
                                                     print the onboarding Job of a listed ministry
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from shared.bus import topology as bus  # noqa: E402 - the repository root must be importable first

MINISTRIES_FILE = HERE / "ministries.txt"
BUS_TOPOLOGY_FILE = HERE / "base" / "bus-topology.yaml"
MINISTRIES_DIR = HERE / "components" / "ministries"
WORKERS_DIR = HERE / "components" / "ministry-workers"
# Hand-written files that live beside the generated ones in the workers component.
WORKERS_STATIC = ("common.yaml", "requests-api-patch.yaml")

NAMESPACE = "gov-portal"
VHOST = "portal"
CLUSTER_REF = {"name": "portal-broker"}
TOPOLOGY_API = "rabbitmq.com/v1beta1"
SERVICES = ("catalog", "search", "requests", "notifications")
# Which exchanges each service publishes to (its outbox events and, for requests, the ministries' inboxes
# and dead-letter replays, which go through the default exchange straight to the original queue).
PUBLISHES: dict[str, tuple[str, ...]] = {
    "catalog": (bus.EVENTS,),
    "search": (),
    "requests": (bus.EVENTS, bus.TO_MINISTRIES, "amq.default"),
    "notifications": (bus.EVENTS,),
}
# A portal queue is consumed by the service its name starts with; the dead-letter desk is the requests
# service's.
SPECIAL_OWNERS = {bus.DEAD_LETTERS: "requests"}
ANY_CODE = "[a-z0-9]+"  # what shared.bus.topology.valid_ministry_code accepts

# Per-ministry workers apply a ministry's events one at a time to keep their order (shared/bus/rabbit.py):
# a second replica on the same queue would reorder them. KEDA therefore scales each worker between zero
# (an idle ministry costs nothing) and one, on the depth of that ministry's own queue.
WORKER_MIN_REPLICAS = 0
WORKER_MAX_REPLICAS = 1
WORKER_QUEUE_TARGET = "20"
KEDA_AUTH = "portal-broker-keda"
BROKER_MANAGEMENT = f"http://portal-broker.{NAMESPACE}.svc:15672/"


@dataclass(frozen=True)
class Ministry:
    code: str
    name_en: str
    name_ar: str


class ListError(ValueError):
    pass


def read_ministries(path: Path = MINISTRIES_FILE) -> list[Ministry]:
    ministries: list[Ministry] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != 3 or not all(parts):
            raise ListError(f"{path.name}:{number}: expected 'code | English name | Arabic name'")
        code, name_en, name_ar = parts
        if not bus.valid_ministry_code(code):
            raise ListError(f"{path.name}:{number}: {code!r} is not a ministry code (2-16 lowercase a-z, 0-9)")
        if any(m.code == code for m in ministries):
            raise ListError(f"{path.name}:{number}: {code} is listed twice")
        ministries.append(Ministry(code, name_en, name_ar))
    return ministries


def k8s_name(amqp_name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", amqp_name.lower()).strip("-")


def labels(component: str, **extra: str) -> dict[str, str]:
    return {"app.kubernetes.io/part-of": "gov-portal", "app.kubernetes.io/component": component, **extra}


def topology_object(kind: str, name: str, component: str, spec: dict[str, Any], **extra: str) -> dict[str, Any]:
    return {"apiVersion": TOPOLOGY_API, "kind": kind,
            "metadata": {"name": name, "labels": labels(component, **extra)},
            "spec": {**spec, "rabbitmqClusterReference": dict(CLUSTER_REF)}}


def exchange(name: str) -> dict[str, Any]:
    return topology_object("Exchange", k8s_name(name), "bus-topology",
                           {"name": name, "vhost": VHOST, "type": "topic", "durable": True, "autoDelete": False})


def queue_and_bindings(spec: bus.QueueSpec, component: str, **extra: str) -> list[dict[str, Any]]:
    if spec.exclusive:
        raise ValueError(f"{spec.name} is exclusive: a process declares it for itself, not the operator")
    arguments = spec.arguments()
    queue_type = arguments.pop("x-queue-type")
    name = k8s_name(spec.name)
    docs = [topology_object("Queue", name, component,
                            {"name": spec.name, "vhost": VHOST, "type": queue_type, "durable": True,
                             "autoDelete": False, "arguments": arguments}, **extra)]
    for index, binding in enumerate(spec.bindings, start=1):
        binding_name = name if len(spec.bindings) == 1 else f"{name}-{index}"
        docs.append(topology_object("Binding", binding_name, component,
                                    {"vhost": VHOST, "source": binding.exchange, "destination": spec.name,
                                     "destinationType": "queue", "routingKey": binding.routing_key}, **extra))
    return docs


def alternation(patterns: list[str]) -> str:
    return "^(" + "|".join(sorted(set(patterns))) + ")$"


def queue_owner(name: str) -> str:
    return SPECIAL_OWNERS.get(name, name.split(".", 1)[0])


def service_permissions(service: str) -> dict[str, str]:
    """What shared.runtime and the service's own code do on the broker, and nothing more.

    Every service declares all four exchanges and all the portal's queues at start (Runtime.start) and binds
    them: configure on those, write on the queues and read on the exchanges (binding needs both). It
    publishes to its own exchanges and dead-letters with a reason to portal.dead-letters (same name as the
    queue, so the queue's write covers it), and reads only the queues it consumes.
    """
    exchanges = [re.escape(name) for name in bus.EXCHANGES]
    queues = [re.escape(spec.name) for spec in bus.PORTAL_QUEUES]
    consumed = [re.escape(spec.name) for spec in bus.PORTAL_QUEUES if queue_owner(spec.name) == service]
    ministry_queues: list[str] = []
    if service == "requests":
        # It declares and binds each ministry's inbox and status queue, and consumes the status queues.
        ministry_queues = [rf"ministry\.{ANY_CODE}\.inbox", rf"requests\.from\.{ANY_CODE}"]
        consumed.append(rf"requests\.from\.{ANY_CODE}")
    return {
        "configure": alternation(exchanges + queues + ministry_queues),
        "write": alternation(queues + ministry_queues + [re.escape(name) for name in PUBLISHES[service]]),
        "read": alternation(exchanges + consumed),
    }


def bus_topology() -> list[dict[str, Any]]:
    docs = [exchange(name) for name in bus.EXCHANGES]
    for spec in bus.PORTAL_QUEUES:
        owner = queue_owner(spec.name)
        if owner not in SERVICES:
            raise ValueError(f"no service consumes {spec.name}: add it to SPECIAL_OWNERS")
        docs.extend(queue_and_bindings(spec, "bus-topology"))
    for service in SERVICES:
        user = f"portal-{service}"
        # No importCredentialsSecret: the operator generates <user>-user-credentials (URL-safe password),
        # which the service's Deployment reads.
        docs.append(topology_object("User", user, "bus-topology", {}))
        docs.append(topology_object("Permission", user, "bus-topology",
                                    {"vhost": VHOST, "userReference": {"name": user},
                                     "permissions": service_permissions(service)}))
    docs.append(topology_object("User", "portal-gateway", "bus-topology", {}))
    docs.append(topology_object("Permission", "portal-gateway", "bus-topology",
                                {"vhost": VHOST, "userReference": {"name": "portal-gateway"},
                                 "permissions": gateway_permissions()}))
    return docs


def gateway_permissions() -> dict[str, str]:
    """Live tracking: each gateway replica declares the exchanges (bus.declare) and its own exclusive queue
    `gateway.live.<12 hex>`, binds it to portal.events (write on the queue, read on the exchange) and consumes
    it. It publishes nothing."""
    exchanges = [re.escape(name) for name in bus.EXCHANGES]
    live = r"gateway\.live\.[0-9a-f]{12}"
    return {"configure": alternation([*exchanges, live]), "write": alternation([live]),
            "read": alternation([re.escape(bus.EVENTS), live])}


def ministry_topology(ministry: Ministry) -> list[dict[str, Any]]:
    code = ministry.code
    user = bus.ministry_broker_user(code)
    extra = {"portal.gov.om/ministry": code}
    docs = queue_and_bindings(bus.ministry_inbox(code), "ministry-bus", **extra)
    docs += queue_and_bindings(bus.from_ministry(code), "ministry-bus", **extra)
    # The same rights shared/bus/admin.py grants outside Kubernetes: read its inbox, publish only on
    # portal.from-ministries and only routing keys that start with its own code.
    docs.append(topology_object("User", user, "ministry-bus",
                                {"importCredentialsSecret": {"name": f"{user}-broker"}}, **extra))
    docs.append(topology_object("Permission", user, "ministry-bus", {
        "vhost": VHOST, "userReference": {"name": user},
        "permissions": {"configure": "^$", "write": f"^{re.escape(bus.FROM_MINISTRIES)}$",
                        "read": f"^{re.escape(f'ministry.{code}.inbox')}$"}}, **extra))
    docs.append(topology_object("TopicPermission", user, "ministry-bus", {
        "vhost": VHOST, "userReference": {"name": user},
        "permissions": {"exchange": bus.FROM_MINISTRIES, "write": f"^{re.escape(code)}\\.", "read": ".*"}},
        **extra))
    return docs


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
                    "--name-ar", ministry.name_ar, "--no-broker-user"],
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


def component(resources: list[str], patches: tuple[str, ...] = ()) -> dict[str, Any]:
    doc: dict[str, Any] = {"apiVersion": "kustomize.config.k8s.io/v1alpha1", "kind": "Component",
                           "resources": resources}
    if patches:
        doc["patches"] = [{"path": path} for path in patches]
    return doc


class _Dumper(yaml.SafeDumper):
    """Block style with sequences indented under their key, as yamllint expects."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        return True  # no &anchors: each manifest reads on its own


def render(docs: list[dict[str, Any]], source: str) -> str:
    header = f"# GENERATED by deploy/k8s/generate.py from {source}: edit that and rerun, never this file.\n"
    body = yaml.dump_all(docs, Dumper=_Dumper, sort_keys=False, allow_unicode=True, explicit_start=True,
                         width=120, default_flow_style=False)
    return header + body


def expected_files(ministries: list[Ministry]) -> dict[Path, str]:
    files = {BUS_TOPOLOGY_FILE: render(bus_topology(), "shared/bus/topology.py")}
    source = "deploy/k8s/ministries.txt"
    for ministry in ministries:
        files[MINISTRIES_DIR / f"{ministry.code}.yaml"] = render(ministry_topology(ministry), source)
        files[WORKERS_DIR / f"{ministry.code}.yaml"] = render(
            [worker_deployment(ministry), worker_scaled_object(ministry)], source)
    codes = [f"{m.code}.yaml" for m in ministries]
    files[MINISTRIES_DIR / "kustomization.yaml"] = render([component(codes)], source)
    files[WORKERS_DIR / "kustomization.yaml"] = render(
        [component(["common.yaml", *codes], ("requests-api-patch.yaml",))], source)
    return files


def stray_files(expected: dict[Path, str]) -> list[Path]:
    """Generated files of ministries no longer listed."""
    stray = []
    for folder in (MINISTRIES_DIR, WORKERS_DIR):
        for path in sorted(folder.glob("*.yaml")):
            if path not in expected and path.name not in WORKERS_STATIC:
                stray.append(path)
    return stray


def write(check: bool) -> int:
    expected = expected_files(read_ministries())
    stale = [path for path, text in expected.items()
             if not path.exists() or path.read_text(encoding="utf-8") != text]
    stray = stray_files(expected)
    if check:
        for path in stale + stray:
            sys.stderr.write(f"stale: {path.relative_to(REPO)}\n")
        if stale or stray:
            sys.stderr.write("run: .venv/bin/python deploy/k8s/generate.py\n")
        return 1 if stale or stray else 0
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(expected[path], encoding="utf-8")
        sys.stdout.write(f"wrote {path.relative_to(REPO)}\n")
    for path in stray:
        path.unlink()
        sys.stdout.write(f"removed {path.relative_to(REPO)}\n")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail if a generated file is stale; write nothing")
    commands = parser.add_subparsers(dest="command")
    job = commands.add_parser("onboard-job", help="print the onboarding Job of a ministry in ministries.txt")
    job.add_argument("code")
    job.add_argument("--image", required=True,
                     help="the image the portal runs, e.g. registry.example/gov-portal@sha256:...")
    args = parser.parse_args(argv)
    try:
        if args.command == "onboard-job":
            found = [m for m in read_ministries() if m.code == args.code]
            if not found:
                sys.stderr.write(f"{args.code} is not in deploy/k8s/ministries.txt: add its line first\n")
                return 2
            sys.stdout.write(render([onboarding_job(found[0], args.image)], "deploy/k8s/ministries.txt"))
            return 0
        return write(check=args.check)
    except ListError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2


if __name__ == "__main__":
    sys.exit(main())
