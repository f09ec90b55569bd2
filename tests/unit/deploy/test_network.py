"""Default deny, then exactly the paths design.md draws: checked by evaluating the NetworkPolicies."""

from __future__ import annotations

from itertools import product
from typing import Any

import pytest

from tests.unit.deploy.manifests import OVERLAYS, Obj, named, of_kind

Labels = dict[str, str]

# The pods the operators create, as their operators label them.
ENGINE_PODS: dict[str, Labels] = {
    "broker": {"app.kubernetes.io/name": "portal-broker", "app.kubernetes.io/component": "rabbitmq"},
    "database": {"cnpg.io/cluster": "portal-db", "cnpg.io/instanceRole": "primary"},
    "opensearch": {"opster.io/opensearch-cluster": "portal-search", "opster.io/opensearch-nodepool": "nodes"},
    "onboarding": {"app.kubernetes.io/name": "ministry-onboarding", "app.kubernetes.io/part-of": "gov-portal"},
}
# Who calls whom inside the namespace (design.md): the gateway calls the four services, requests calls
# catalog (and notifications does, for service titles: NOTIFICATIONS_CATALOG_URL), everything with data
# uses the broker and PostgreSQL, the gateway uses the broker for live tracking and its own database for
# signed-out sessions, search uses
# OpenSearch in production, the onboarding Job calls the gateway's admin API. The engines' own clustering
# traffic stays within each engine.
CALLS = {
    ("gateway", "catalog"), ("gateway", "search"), ("gateway", "requests"), ("gateway", "notifications"),
    ("gateway", "broker"), ("gateway", "database"),
    ("requests", "catalog"), ("requests-worker", "catalog"), ("notifications", "catalog"), ("onboarding", "gateway"),
    *{(client, engine) for client in ("catalog", "search", "requests", "notifications", "requests-worker")
      for engine in ("broker", "database")},
    ("search", "opensearch"),
    ("broker", "broker"), ("database", "database"), ("opensearch", "opensearch"),
}


def selects(selector: dict[str, Any], labels: Labels) -> bool:
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator, values = expression["key"], expression["operator"], expression.get("values", [])
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def admits(peers: list[dict[str, Any]] | None, labels: Labels) -> bool:
    """Whether a rule's from/to peers include a pod of our namespace with these labels."""
    if peers is None:
        return True  # a rule without peers admits everyone
    return any("namespaceSelector" not in peer and "ipBlock" not in peer and selects(peer["podSelector"], labels)
               for peer in peers)


def allowed(policies: list[Obj], source: Labels, target: Labels) -> bool:
    def direction(pod: Labels, kind: str, peer_key: str, other: Labels) -> bool:
        governing = [p for p in policies if kind in p["spec"]["policyTypes"] and selects(p["spec"]["podSelector"], pod)]
        return any(admits(rule.get(peer_key), other) for p in governing for rule in p["spec"].get(kind.lower(), []))

    return direction(source, "Egress", "to", target) and direction(target, "Ingress", "from", source)


@pytest.fixture(scope="module", params=OVERLAYS)
def network(request: pytest.FixtureRequest, overlays: dict[str, list[Obj]]) -> tuple[str, list[Obj], dict[str, Labels]]:
    objects = overlays[request.param]
    pods = dict(ENGINE_PODS)
    for workload in of_kind(objects, "Deployment"):
        name = workload["metadata"]["name"]
        pods["requests-worker" if name.startswith("requests-worker-") else name] = \
            workload["spec"]["template"]["metadata"]["labels"]
    return request.param, of_kind(objects, "NetworkPolicy"), pods


def test_a_default_deny_policy_covers_every_pod_in_both_directions(network: tuple[str, list[Obj], Any]) -> None:
    _, policies, _ = network
    deny = [p for p in policies if p["spec"]["podSelector"] == {} and set(p["spec"]["policyTypes"]) ==
            {"Ingress", "Egress"} and not p["spec"].get("ingress") and not p["spec"].get("egress")]
    assert len(deny) == 1


def test_pods_in_the_namespace_talk_only_along_the_designed_paths(network: tuple[str, list[Obj], Any]) -> None:
    overlay, policies, pods = network
    expected = {(a, b) for a, b in CALLS if a in pods and b in pods}
    if overlay == "dev":
        expected -= {("search", "opensearch"), ("opensearch", "opensearch")}
    actual = {(a, b) for a, b in product(pods, pods) if allowed(policies, pods[a], pods[b])}
    if overlay == "dev":
        actual -= {("search", "opensearch"), ("opensearch", "opensearch")}  # no OpenSearch pods in dev
    assert actual == expected


def test_only_the_gateway_takes_traffic_from_the_ingress_controller(network: tuple[str, list[Obj], Any]) -> None:
    _, policies, pods = network
    for policy in policies:
        for rule in policy["spec"].get("ingress", []):
            from_ingress = any(peer.get("namespaceSelector", {}).get("matchLabels", {})
                               .get("kubernetes.io/metadata.name") == "ingress-nginx" for peer in rule.get("from", []))
            if from_ingress:
                chosen = {name for name, labels in pods.items() if selects(policy["spec"]["podSelector"], labels)}
                assert chosen == {"gateway"}


def test_from_outside_the_cluster_only_the_ministries_amqps_port_is_open(network: tuple[str, list[Obj], Any]) -> None:
    _, policies, pods = network
    for policy in policies:
        for rule in policy["spec"].get("ingress", []):
            if "from" not in rule or any("ipBlock" in peer for peer in rule["from"]):
                chosen = {name for name, labels in pods.items() if selects(policy["spec"]["podSelector"], labels)}
                assert chosen == {"broker"} and [p["port"] for p in rule["ports"]] == [5671], policy["metadata"]


def test_the_gateway_is_served_over_tls_from_a_referenced_certificate(overlays: dict[str, list[Obj]]) -> None:
    for objects in overlays.values():
        ingress = named(objects, "Ingress", "gateway")["spec"]
        hosts = {rule["host"] for rule in ingress["rules"]}
        (tls,) = ingress["tls"]
        assert set(tls["hosts"]) == hosts and tls["secretName"] == "portal-tls"
        backends = {path["backend"]["service"]["name"] for rule in ingress["rules"] for path in rule["http"]["paths"]}
        assert backends == {"gateway"}
