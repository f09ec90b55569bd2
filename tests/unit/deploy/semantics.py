"""Checks that read the rendered manifests for what they mean, not their shape: every selector finds what the
overlay or a pinned operator (operators.py) creates, every needed connection is allowed and no other, KEDA
watches queues that exist with credentials that exist, disruptions stay possible, no secret sits in plain sight.
Each check returns the problems it found, so the mutation tests can prove it reports what it should."""

from __future__ import annotations

import re
from collections.abc import Iterator
from ipaddress import ip_network
from itertools import product
from typing import Any
from urllib.parse import urlsplit

from tests.unit.deploy import operators
from tests.unit.deploy.operators import OPERATOR_NAMESPACES, Labels, Obj, Pod, Service

OUTSIDE = "outside"
DNS_PORT = 53
NODELOCAL_DNS = "169.254.20.10/32"
SECRETISH_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|PRIVATE|_KEY$|CREDENTIAL", re.IGNORECASE)
URL_WITH_CREDENTIALS = re.compile(r"://(?!\$\([A-Z_]+\):\$\([A-Z_]+\)@)[^/\s:@]+:[^/\s@]+@")
DB_SERVICES = ("catalog", "search", "requests", "notifications", "gateway")
# Who calls whom inside the namespace, from design.md and the code: the gateway calls the four services and
# the broker (live tracking); requests, its workers and notifications read the catalogue; every process with
# data uses the broker and PostgreSQL; the migration Jobs only PostgreSQL; search uses OpenSearch; the
# onboarding Job calls the gateway; engines talk within themselves.
DESIGNED: set[tuple[str, str, int]] = {
    *{("gateway", service, 8080) for service in ("catalog", "search", "requests", "notifications")},
    ("gateway", "portal-broker-server", 5672),
    *{(client, "catalog", 8080) for client in ("requests", "requests-worker", "notifications")},
    *{(client, "portal-broker-server", 5672) for client in (*DB_SERVICES, "requests-worker")},
    *{(client, f"portal-db-{role}", 5432) for client in (*DB_SERVICES, "requests-worker", "migrate")
      for role in ("primary", "replica")},
    ("ministry-onboarding", "gateway", 8080),
    ("ns:ingress-nginx", "gateway", 8080),
    ("portal-broker-server", "portal-broker-server", 4369), ("portal-broker-server", "portal-broker-server", 25672),
    *{(f"portal-db-{a}", f"portal-db-{b}", port) for a in ("primary", "replica") for b in ("primary", "replica")
      for port in (5432, 8000)},
    *{("ns:cnpg-system", f"portal-db-{role}", port) for role in ("primary", "replica") for port in (8000, 5432)},
    ("search", "portal-search-nodes", 9200),
    *{(a, b, port) for a in ("portal-search-nodes", "portal-search-bootstrap")
      for b in ("portal-search-nodes", "portal-search-bootstrap") for port in (9200, 9300)},
    ("portal-search-securityconfig-update", "portal-search-nodes", 9200),
    ("portal-search-securityconfig-update", "portal-search-bootstrap", 9200),
    *{("ns:opensearch-operator-system", pod, 9200) for pod in ("portal-search-nodes", "portal-search-bootstrap")},
    (OUTSIDE, "portal-broker-server", 5671),
}
# The ways out of the cluster each process needs, and on which ports.
NEEDED_OUTSIDE: dict[str, set[int]] = {
    "gateway": {443}, "notifications": {587, 465, 443}, "portal-db-primary": {443, 6443},
    "portal-db-replica": {443, 6443},
}


def of_kind(objects: list[Obj], kind: str) -> list[Obj]:
    return [obj for obj in objects if obj["kind"] == kind]


def name_of(obj: Obj) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def selects(selector: dict[str, Any] | None, labels: Labels) -> bool:
    if selector is None:
        return False
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        if (operator == "In" and labels.get(key) not in values) or (operator == "NotIn" and labels.get(key) in values) \
                or (operator == "Exists" and key not in labels) or (operator == "DoesNotExist" and key in labels):
            return False
    return True


def pod_template_pods(objects: list[Obj]) -> list[Pod]:
    pods = []
    for workload in [*of_kind(objects, "Deployment"), *of_kind(objects, "Job")]:
        template = workload["spec"]["template"]
        name = workload["metadata"]["name"]
        if name.startswith("requests-worker-"):
            name = "requests-worker"
        elif name.startswith("migrate-"):
            name = "migrate"
        ports = {port.get("name", str(port["containerPort"])): port["containerPort"]
                 for container in template["spec"]["containers"] for port in container.get("ports", [])}
        pods.append(Pod(name, template["metadata"]["labels"], ports))
    # The onboarding Job is made on demand (generate.py onboard-job); its pod carries these labels.
    pods.append(Pod("ministry-onboarding", {"app.kubernetes.io/name": "ministry-onboarding",
                                            "app.kubernetes.io/part-of": "gov-portal"}, {}))
    return pods


def universe(objects: list[Obj]) -> tuple[list[Pod], list[Service]]:
    pods = pod_template_pods(objects)
    services = [Service(s["metadata"]["name"], s["spec"].get("selector", {}),
                        {p.get("name", str(p["port"])): p["port"] for p in s["spec"]["ports"]},
                        s["metadata"].get("labels", {})) for s in of_kind(objects, "Service")]
    for cluster in of_kind(objects, "RabbitmqCluster"):
        broker_pods, broker_services = operators.rabbitmq(cluster)
        pods += broker_pods
        services += broker_services
    for cluster in of_kind(objects, "Cluster"):
        pods += operators.cloudnative_pg(cluster)
    for cluster in of_kind(objects, "OpenSearchCluster"):
        pods += operators.opensearch(cluster)
    return pods, services


def service_target_ports(objects: list[Obj]) -> dict[str, dict[str, Any]]:
    return {s["metadata"]["name"]: {p.get("name", str(p["port"])): p.get("targetPort", p["port"])
                                    for p in s["spec"]["ports"]} for s in of_kind(objects, "Service")}


def unresolved_selectors(objects: list[Obj]) -> list[str]:
    """Every selector selects something, and every port it names exists on what it selects."""
    pods, services = universe(objects)
    problems = []
    for policy in of_kind(objects, "NetworkPolicy"):
        selected = [pod for pod in pods if selects(policy["spec"]["podSelector"], pod.labels)]
        if policy["spec"]["podSelector"] and not selected:
            problems.append(f"{name_of(policy)}: its podSelector selects no pod")
        for rule in policy["spec"].get("ingress", []):
            for peer in rule.get("from", []):
                if "podSelector" in peer and "namespaceSelector" not in peer and \
                        not any(selects(peer["podSelector"], pod.labels) for pod in pods):
                    problems.append(f"{name_of(policy)}: an ingress peer selects no pod")
            for port in rule.get("ports", []):
                if selected and not any(pod.has_port(port["port"]) for pod in selected):
                    problems.append(f"{name_of(policy)}: no selected pod listens on {port['port']}")
        for rule in policy["spec"].get("egress", []):
            for peer in rule.get("to", []):
                if "podSelector" in peer and "namespaceSelector" not in peer:
                    targets = [pod for pod in pods if selects(peer["podSelector"], pod.labels)]
                    if not targets:
                        problems.append(f"{name_of(policy)}: an egress peer selects no pod")
                    for port in rule.get("ports", []):
                        if targets and port["port"] != DNS_PORT and not any(t.has_port(port["port"]) for t in targets):
                            problems.append(f"{name_of(policy)}: no peer pod listens on {port['port']}")
    for service in of_kind(objects, "Service"):
        targets = [pod for pod in pods if selects({"matchLabels": service["spec"].get("selector", {})}, pod.labels)]
        if not targets:
            problems.append(f"{name_of(service)}: its selector matches no pod")
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            if targets and not any(pod.has_port(target) for pod in targets):
                problems.append(f"{name_of(service)}: no pod has its target port {target}")
    for monitor in of_kind(objects, "ServiceMonitor"):
        chosen = [s for s in services if selects(monitor["spec"]["selector"], s.labels)]
        if not chosen:
            problems.append(f"{name_of(monitor)}: its selector matches no Service")
        for endpoint in monitor["spec"]["endpoints"]:
            missing = [s.name for s in chosen if endpoint["port"] not in s.ports]
            if missing:
                problems.append(f"{name_of(monitor)}: port {endpoint['port']} is not on Service {', '.join(missing)}")
    for monitor in of_kind(objects, "PodMonitor"):
        chosen = [pod for pod in pods if selects(monitor["spec"]["selector"], pod.labels)]
        if not chosen:
            problems.append(f"{name_of(monitor)}: its selector matches no pod")
        for endpoint in monitor["spec"]["podMetricsEndpoints"]:
            missing = [pod.name for pod in chosen if endpoint["port"] not in pod.ports]
            if missing:
                problems.append(f"{name_of(monitor)}: port {endpoint['port']} is not on pod {', '.join(missing)}")
    for pdb in of_kind(objects, "PodDisruptionBudget"):
        if not any(selects(pdb["spec"]["selector"], pod.labels) for pod in pods):
            problems.append(f"{name_of(pdb)}: its selector matches no pod")
    return problems


# --- connections ---------------------------------------------------------------------------------------------

Peer = Pod | str  # a pod of ours, "ns:<namespace>", or OUTSIDE


def peer_admits(peer: dict[str, Any], source: Peer) -> bool:
    if isinstance(source, Pod):
        return ("namespaceSelector" not in peer and "ipBlock" not in peer
                and selects(peer.get("podSelector"), source.labels))
    if source.startswith("ns:"):
        namespace = peer.get("namespaceSelector")
        return namespace is not None and selects(namespace, {"kubernetes.io/metadata.name": source[3:]})
    return "ipBlock" in peer


def rule_admits(rule: dict[str, Any], key: str, peer: Peer, port: int) -> bool:
    ports = rule.get("ports")
    if ports and not any(p["port"] == port for p in ports):
        return False
    peers = rule.get(key)
    return peers is None or any(peer_admits(p, peer) for p in peers)


def allowed(policies: list[Obj], source: Peer, target: Pod, port: int) -> bool:
    if isinstance(source, Pod):
        governing = [p for p in policies if "Egress" in p["spec"]["policyTypes"]
                     and selects(p["spec"]["podSelector"], source.labels)]
        if not any(rule_admits(rule, "to", target, port) for p in governing for rule in p["spec"].get("egress", [])):
            return False
    governing = [p for p in policies if "Ingress" in p["spec"]["policyTypes"]
                 and selects(p["spec"]["podSelector"], target.labels)]
    return any(rule_admits(rule, "from", source, port) for p in governing for rule in p["spec"].get("ingress", []))


def needed_flows(objects: list[Obj], pods: list[Pod]) -> tuple[set[tuple[str, str, int]], list[str]]:
    """The designed paths plus what the operators, KEDA and Prometheus must reach, derived from the objects."""
    problems = []
    names = {pod.name for pod in pods}
    flows = {(a, b, port) for a, b, port in DESIGNED
             if (a in names or a.startswith("ns:") or a == OUTSIDE) and b in names}
    if not any(operators.broker_tls(c) for c in of_kind(objects, "RabbitmqCluster")):
        flows.discard((OUTSIDE, "portal-broker-server", 5671))
    for cluster in of_kind(objects, "RabbitmqCluster"):
        port, trouble = operators.topology_operator_port(cluster)
        flows.add(("ns:rabbitmq-system", "portal-broker-server", port))
        if trouble:
            problems.append(f"{name_of(cluster)}: {trouble}")
    for scaled in of_kind(objects, "ScaledObject"):
        for trigger in scaled["spec"]["triggers"]:
            host = urlsplit(trigger["metadata"]["host"])
            flows.add(("ns:keda", "portal-broker-server", host.port or 80))
    for monitor in of_kind(objects, "PodMonitor"):
        for pod in pods:
            if selects(monitor["spec"]["selector"], pod.labels):
                for endpoint in monitor["spec"]["podMetricsEndpoints"]:
                    if endpoint["port"] in pod.ports:
                        flows.add(("ns:monitoring", pod.name, pod.ports[endpoint["port"]]))
    _, services = universe(objects)
    target_ports = service_target_ports(objects)
    for monitor in of_kind(objects, "ServiceMonitor"):
        for service in services:
            if not selects(monitor["spec"]["selector"], service.labels):
                continue
            for endpoint in monitor["spec"]["endpoints"]:
                target = target_ports.get(service.name, {}).get(endpoint["port"], service.ports.get(endpoint["port"]))
                for pod in pods:
                    if target is not None and selects({"matchLabels": service.selector}, pod.labels):
                        number = target if isinstance(target, int) else pod.ports.get(target, 0)
                        flows.add(("ns:monitoring", pod.name, number))
    return flows, problems


def flow_problems(objects: list[Obj]) -> list[str]:
    """Every needed connection is allowed, and no other connection between known parties is."""
    pods, _ = universe(objects)
    policies = of_kind(objects, "NetworkPolicy")
    needed, problems = needed_flows(objects, pods)
    by_name = {pod.name: pod for pod in pods}
    for source, target, port in sorted(needed):
        peer: Peer = by_name.get(source, source)
        if not allowed(policies, peer, by_name[target], port):
            problems.append(f"needed but blocked: {source} -> {target}:{port}")
    sources: list[Peer] = [*pods, *(f"ns:{ns}" for ns in OPERATOR_NAMESPACES), OUTSIDE]
    for source, target in product(sources, pods):
        for port in sorted({*target.ports.values(), *target.unnamed}):
            key = (source.name if isinstance(source, Pod) else source, target.name, port)
            if key not in needed and allowed(policies, source, target, port):
                problems.append(f"allowed but not needed: {key[0]} -> {key[1]}:{port}")
    return problems


def egress_problems(objects: list[Obj]) -> list[str]:
    """Leaving the cluster: only to named addresses, only for what needs it, on its ports; DNS also through
    NodeLocal DNSCache."""
    pods, _ = universe(objects)
    problems = []
    dns_ok = False
    for policy in of_kind(objects, "NetworkPolicy"):
        chosen = [pod for pod in pods if selects(policy["spec"]["podSelector"], pod.labels)]
        for rule in policy["spec"].get("egress", []):
            blocks = [peer["ipBlock"]["cidr"] for peer in rule.get("to", []) if "ipBlock" in peer]
            ports = {p["port"] for p in rule.get("ports", [])}
            if not blocks:
                continue
            if ports == {DNS_PORT} and NODELOCAL_DNS in blocks:
                dns_ok = dns_ok or policy["spec"]["podSelector"] == {}
                continue
            for cidr in blocks:
                if ip_network(cidr).prefixlen == 0:
                    problems.append(f"{name_of(policy)}: egress to every address ({cidr})")
            if not ports:
                problems.append(f"{name_of(policy)}: egress to {blocks} on every port")
            for pod in chosen:
                extra = ports - NEEDED_OUTSIDE.get(pod.name, set())
                if extra:
                    problems.append(f"{name_of(policy)}: {pod.name} may leave the cluster on {sorted(extra)}")
    if not dns_ok:
        problems.append(f"no DNS rule for every pod admits NodeLocal DNSCache ({NODELOCAL_DNS})")
    return problems


# --- KEDA, disruption budgets, secrets, pod security ----------------------------------------------------------

def keda_problems(objects: list[Obj]) -> list[str]:
    problems = []
    queues = {(q["spec"]["vhost"], q["spec"]["name"]) for q in of_kind(objects, "Queue")}
    deployments = {d["metadata"]["name"] for d in of_kind(objects, "Deployment")}
    auths = {a["metadata"]["name"]: a for a in of_kind(objects, "TriggerAuthentication")}
    secrets = operators.operator_secrets(objects)
    for scaled in of_kind(objects, "ScaledObject"):
        if scaled["spec"]["scaleTargetRef"]["name"] not in deployments:
            problems.append(f"{name_of(scaled)}: scales a Deployment that does not exist")
        for trigger in scaled["spec"]["triggers"]:
            meta = trigger["metadata"]
            if (meta.get("vhostName", "/"), meta.get("queueName")) not in queues:
                problems.append(f"{name_of(scaled)}: queue {meta.get('queueName')} is not in the generated topology")
            auth = auths.get(trigger.get("authenticationRef", {}).get("name", ""))
            if auth is None:
                problems.append(f"{name_of(scaled)}: its TriggerAuthentication does not exist")
                continue
            for ref in auth["spec"].get("secretTargetRef", []):
                if ref["key"] not in secrets.get(ref["name"], set()):
                    problems.append(f"{name_of(auth)}: {ref['name']}/{ref['key']} is no Secret an operator creates")
    return problems


def replicas_of(objects: list[Obj], deployment: str) -> int:
    for hpa in of_kind(objects, "HorizontalPodAutoscaler"):
        if hpa["spec"]["scaleTargetRef"]["name"] == deployment:
            return int(hpa["spec"].get("minReplicas", 1))
    found = [d for d in of_kind(objects, "Deployment") if d["metadata"]["name"] == deployment]
    return int(found[0]["spec"].get("replicas", 1)) if found else 1


def disruption_problems(objects: list[Obj]) -> list[str]:
    problems = []
    for pdb in of_kind(objects, "PodDisruptionBudget"):
        spec = pdb["spec"]
        targets = [d["metadata"]["name"] for d in of_kind(objects, "Deployment")
                   if selects(spec["selector"], d["spec"]["template"]["metadata"]["labels"])]
        replicas = sum(replicas_of(objects, name) for name in targets) or 1
        if "maxUnavailable" in spec:
            allows = int(str(spec["maxUnavailable"]).rstrip("%")) > 0
        else:
            minimum = str(spec["minAvailable"])
            allows = int(minimum.rstrip("%")) < (100 if "%" in minimum else replicas)
        if not allows:
            problems.append(f"{name_of(pdb)}: allows no disruption, so a node drain never finishes")
    for cluster in of_kind(objects, "OpenSearchCluster"):
        for pool in cluster["spec"]["nodePools"]:
            if pool.get("pdb", {}).get("enable") and pool["pdb"].get("maxUnavailable", 1) < 1:
                problems.append(f"{name_of(cluster)}: node pool {pool['component']} allows no disruption")
    return problems


def walk(value: Any) -> Iterator[Any]:
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def plaintext_secret_problems(objects: list[Obj]) -> list[str]:
    problems = []
    for obj in objects:
        if obj["kind"] == "Secret":
            problems.append(f"{name_of(obj)}: a Secret in the manifests")
        for node in walk(obj):
            if isinstance(node, dict) and isinstance(node.get("name"), str) and isinstance(node.get("value"), str):
                if SECRETISH_NAME.search(node["name"]):
                    problems.append(f"{name_of(obj)}: {node['name']} is set in plain text")
                if URL_WITH_CREDENTIALS.search(node["value"]):
                    problems.append(f"{name_of(obj)}: {node['name']} carries credentials in its URL")
    return problems


def container_security_problems(objects: list[Obj]) -> list[str]:
    problems = []
    for workload in [*of_kind(objects, "Deployment"), *of_kind(objects, "Job")]:
        spec = workload["spec"]["template"]["spec"]
        pod = spec.get("securityContext", {})
        for container in [*spec.get("initContainers", []), *spec["containers"]]:
            context = container.get("securityContext", {})
            where = f"{name_of(workload)} container {container['name']}"
            if context.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: allowPrivilegeEscalation is not false")
            if (context.get("seccompProfile") or pod.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
                problems.append(f"{where}: seccomp is not RuntimeDefault")
            if not (context.get("runAsUser") or pod.get("runAsUser")):
                problems.append(f"{where}: no non-zero runAsUser")
            if "ALL" not in context.get("capabilities", {}).get("drop", []):
                problems.append(f"{where}: capabilities are not all dropped")
            if context.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: the root filesystem is writable")
    return problems


RESTRICTED_CONTAINER = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}


def operator_pod_security_problems(objects: list[Obj]) -> list[str]:
    """The namespace enforces restricted Pod Security, so the operators' pods must be shaped to meet it."""
    problems = []
    for namespace in of_kind(objects, "Namespace"):
        if namespace["metadata"].get("labels", {}).get("pod-security.kubernetes.io/enforce") != "restricted":
            problems.append(f"{name_of(namespace)}: restricted Pod Security is not enforced")
    for cluster in of_kind(objects, "RabbitmqCluster"):
        template = cluster["spec"].get("override", {}).get("statefulSet", {}).get("spec", {}) \
            .get("template", {}).get("spec", {})
        pod = template.get("securityContext", {})
        if not (pod.get("runAsNonRoot") and pod.get("seccompProfile", {}).get("type") == "RuntimeDefault"):
            problems.append(f"{name_of(cluster)}: its pods (Cluster Operator defaults) are not restricted")
        for kind, names in (("containers", {"rabbitmq"}), ("initContainers", {"setup-container"})):
            shaped = {c["name"] for c in template.get(kind, [])
                      if RESTRICTED_CONTAINER.items() <= c.get("securityContext", {}).items()}
            if not names <= shaped:
                problems.append(f"{name_of(cluster)}: {kind} {sorted(names - shaped)} are not restricted")
    for cluster in of_kind(objects, "OpenSearchCluster"):
        general = cluster["spec"]["general"]
        if general.get("setVMMaxMapCount"):
            problems.append(f"{name_of(cluster)}: setVMMaxMapCount runs a privileged init container")
        if not RESTRICTED_CONTAINER.items() <= general.get("securityContext", {}).items() or \
                not general.get("podSecurityContext", {}).get("runAsNonRoot"):
            problems.append(f"{name_of(cluster)}: its pods are not restricted")
    return problems


# --- the defects that are about one object's meaning ----------------------------------------------------

def spread_problems(objects: list[Obj]) -> list[str]:
    problems = []
    for deployment in of_kind(objects, "Deployment"):
        name = deployment["metadata"]["name"]
        spec = deployment["spec"]["template"]["spec"]
        spread = spec.get("topologySpreadConstraints") or spec.get("affinity", {}).get("podAntiAffinity")
        if (replicas_of(objects, name) >= 2 or name in DB_SERVICES) and not spread:
            problems.append(f"{name_of(deployment)}: its replicas may all land on one node")
    for cluster in of_kind(objects, "OpenSearchCluster"):
        for pool in cluster["spec"]["nodePools"]:
            required = pool.get("affinity", {}).get("podAntiAffinity", {}) \
                .get("requiredDuringSchedulingIgnoredDuringExecution", [])
            if not any(term.get("topologyKey") == "kubernetes.io/hostname" for term in required):
                problems.append(f"{name_of(cluster)}: node pool {pool['component']} has no anti-affinity per host")
    return problems


def migration_problems(objects: list[Obj]) -> list[str]:
    problems = []
    jobs = {tuple(c["command"]): c for j in of_kind(objects, "Job")
            for c in j["spec"]["template"]["spec"]["containers"]}
    for deployment in of_kind(objects, "Deployment"):
        name = deployment["metadata"]["name"]
        service = "requests" if name.startswith("requests-worker-") else name
        env = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["containers"][0].get("env", [])}
        if f"{service.upper()}_DATABASE_URL" not in env:
            continue
        if env.get(f"{service.upper()}_MIGRATE_ON_START", {}).get("value") != "false":
            problems.append(f"{name_of(deployment)}: migrates at start, under its startup probe")
        job = jobs.get(("portal", "migrate", service))
        if job is None:
            problems.append(f"{name_of(deployment)}: no pre-deploy Job runs `portal migrate {service}`")
            continue
        job_env = {v["name"]: v for v in job.get("env", [])}
        url = f"{service.upper()}_DATABASE_URL"
        if job_env.get(url) != env.get(url):
            problems.append(f"{name_of(deployment)}: its migration Job migrates another database")
    return problems


def backup_problems(objects: list[Obj]) -> list[str]:
    problems = []
    stores = {s["metadata"]["name"] for s in of_kind(objects, "ObjectStore")}
    for cluster in of_kind(objects, "Cluster"):
        archivers = [p for p in cluster["spec"].get("plugins", []) if p.get("isWALArchiver")]
        if not archivers:
            problems.append(f"{name_of(cluster)}: no WAL archiving, so no point-in-time recovery")
        for plugin in archivers:
            if plugin.get("parameters", {}).get("barmanObjectName") not in stores:
                problems.append(f"{name_of(cluster)}: archives into an ObjectStore that does not exist")
        scheduled = [b for b in of_kind(objects, "ScheduledBackup")
                     if b["spec"]["cluster"]["name"] == cluster["metadata"]["name"]]
        if not scheduled:
            problems.append(f"{name_of(cluster)}: no ScheduledBackup takes base backups")
        for backup in scheduled:
            if backup["spec"].get("method") != "plugin" or not archivers or \
                    backup["spec"].get("pluginConfiguration", {}).get("name") != archivers[0]["name"]:
                problems.append(f"{name_of(backup)}: does not back up through the archiving plugin")
    return problems


def recovery_problems(restore: list[Obj]) -> list[str]:
    """The restore overlay recovers from the folder production archives into and archives into a new one."""
    (cluster,) = of_kind(restore, "Cluster")
    recovery = cluster["spec"].get("bootstrap", {}).get("recovery")
    if not recovery:
        return ["the restore overlay does not bootstrap from a backup"]
    source = next((c for c in cluster["spec"].get("externalClusters", []) if c["name"] == recovery.get("source")), None)
    archiver = next((p for p in cluster["spec"].get("plugins", []) if p.get("isWALArchiver")), None)
    if source is None or archiver is None:
        return ["the restore overlay names no source or no archive"]
    problems = []
    stores = {s["metadata"]["name"] for s in of_kind(restore, "ObjectStore")}
    if source["plugin"]["parameters"]["barmanObjectName"] not in stores:
        problems.append("the recovery source is not an ObjectStore of the overlay")
    if source["plugin"]["parameters"].get("serverName") == archiver["parameters"].get("serverName"):
        problems.append("the restored cluster would archive over the history it was restored from")
    return problems


def public_metrics_problems(objects: list[Obj]) -> list[str]:
    """What the Ingress reaches never serves /metrics: the gateway serves them on its metrics port only."""
    problems = []
    gateway = next(d for d in of_kind(objects, "Deployment") if d["metadata"]["name"] == "gateway")
    container = gateway["spec"]["template"]["spec"]["containers"][0]
    ports = {p.get("name"): p["containerPort"] for p in container.get("ports", [])}
    command = container["command"]
    if "--metrics-port" not in command or int(command[command.index("--metrics-port") + 1]) != ports.get("metrics"):
        problems.append("Deployment/gateway: no --metrics-port matching its metrics port, so /metrics is public")
    services = {s["metadata"]["name"]: s for s in of_kind(objects, "Service")}
    for ingress in of_kind(objects, "Ingress"):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                wanted = backend["port"]
                port = next(p for p in services[backend["name"]]["spec"]["ports"]
                            if p.get("name") == wanted.get("name") or p["port"] == wanted.get("number"))
                target = port.get("targetPort", port["port"])
                if target in ("metrics", ports.get("metrics")):
                    problems.append(f"{name_of(ingress)}: routes to the gateway's metrics port")
    return problems


CHECKS = (unresolved_selectors, flow_problems, egress_problems, keda_problems, disruption_problems,
          plaintext_secret_problems, container_security_problems, operator_pod_security_problems,
          spread_problems, migration_problems, public_metrics_problems)


def all_problems(objects: list[Obj], *, production: bool) -> list[str]:
    found = [problem for check in CHECKS for problem in check(objects)]
    return found + (backup_problems(objects) if production else [])
