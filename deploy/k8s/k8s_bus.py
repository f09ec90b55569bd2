"""The broker's topology as the Messaging Topology Operator's resources, derived from shared/bus/topology.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from k8s_topology import bus

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


@dataclass(frozen=True)
class Ministry:
    code: str
    name_en: str
    name_ar: str


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
        if spec.unbound:
            # Its bindings changed: the topology operator never changes a Binding's spec, so the new ones are new
            # objects, named for their keys (the old object is deleted on upgrade, its binding with it).
            binding_name = f"{name}-{k8s_name(binding.routing_key)}"
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
    # The RabbitMQ user name (bus.ministry_broker_user(code, VHOST)) is the `username` of this Secret, created
    # by the operator (README); the objects are named for Kubernetes, which allows no `@`.
    user = f"ministry-{code}"
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
