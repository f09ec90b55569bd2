"""The broker the Topology Operator declares is the one the code declares, and each user gets only its share."""

from __future__ import annotations

import re

import pytest

from shared.bus.topology import DEAD_LETTERS, EXCHANGES, PORTAL_QUEUES, from_ministry, ministry_inbox
from tests.unit.deploy.manifests import DB_SERVICES, OVERLAYS, Obj, named, of_kind

# What each service consumes: the queues named after it, and the dead-letter desk for requests.
CONSUMES = {
    "catalog": set(),
    "search": {q.name for q in PORTAL_QUEUES if q.name.startswith("search.")},
    "requests": {q.name for q in PORTAL_QUEUES if q.name.startswith("requests.")} | {DEAD_LETTERS},
    "notifications": {q.name for q in PORTAL_QUEUES if q.name.startswith("notifications.")},
}


def rights(objects: list[Obj], user: str) -> dict[str, re.Pattern[str]]:
    permissions = named(objects, "Permission", user)["spec"]["permissions"]
    return {kind: re.compile(pattern) for kind, pattern in permissions.items()}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_exchange_of_the_design_is_a_durable_topic_exchange(
        overlay: str, overlays: dict[str, list[Obj]]) -> None:
    exchanges = {e["spec"]["name"]: e["spec"] for e in of_kind(overlays[overlay], "Exchange")}
    assert set(exchanges) == set(EXCHANGES)
    for spec in exchanges.values():
        assert (spec["type"], spec["durable"], spec["autoDelete"], spec["vhost"]) == ("topic", True, False, "portal")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_portal_queue_is_declared_with_exactly_the_arguments_the_services_declare(
        overlay: str, overlays: dict[str, list[Obj]]) -> None:
    # RabbitMQ refuses a redeclaration with other arguments: any drift would stop the services at start.
    objects = overlays[overlay]
    queues = {q["spec"]["name"]: q["spec"] for q in of_kind(objects, "Queue")}
    bindings = {(b["spec"]["source"], b["spec"]["destination"], b["spec"]["routingKey"])
                for b in of_kind(objects, "Binding")}
    for spec in PORTAL_QUEUES:
        declared = queues[spec.name]
        assert declared["durable"] is True and declared["vhost"] == "portal"
        assert {**declared["arguments"], "x-queue-type": declared["type"]} == spec.arguments(), spec.name
        for binding in spec.bindings:
            assert (binding.exchange, spec.name, binding.routing_key) in bindings, spec.name


def test_every_quorum_queue_dead_letters_at_least_once_with_leaders_spread(production: list[Obj]) -> None:
    (policy,) = of_kind(production, "Policy")
    assert policy["spec"]["applyTo"] == "quorum_queues"
    assert re.fullmatch(policy["spec"]["pattern"], "requests.from.rop")
    assert policy["spec"]["definition"]["dead-letter-strategy"] == "at-least-once"
    # at-least-once dead-lettering needs reject-publish overflow, which every portal queue declares.
    assert all(q.arguments()["x-overflow"] == "reject-publish" for q in PORTAL_QUEUES if q.dead_letters)


@pytest.mark.parametrize("service", DB_SERVICES)
def test_a_service_may_declare_and_bind_everything_the_runtime_declares(
        service: str, production: list[Obj]) -> None:
    allowed = rights(production, f"portal-{service}")
    for name in EXCHANGES:
        assert allowed["configure"].fullmatch(name) and allowed["read"].fullmatch(name), name
    for spec in PORTAL_QUEUES:
        assert allowed["configure"].fullmatch(spec.name) and allowed["write"].fullmatch(spec.name), spec.name
    assert allowed["write"].fullmatch(DEAD_LETTERS), "dead-lettering with a reason publishes there"


@pytest.mark.parametrize("service", DB_SERVICES)
def test_a_service_reads_only_the_queues_it_consumes(service: str, production: list[Obj]) -> None:
    allowed = rights(production, f"portal-{service}")
    everything = {q.name for q in PORTAL_QUEUES} | {ministry_inbox("rop").name, from_ministry("rop").name}
    readable = {name for name in everything if allowed["read"].fullmatch(name)}
    expected = CONSUMES[service] | ({from_ministry("rop").name} if service == "requests" else set())
    # Every service binds the dead-letter queue (Runtime.start declares all portal queues), which needs read
    # on the exchange portal.dead-letters; RabbitMQ checks that name for queues too, so the same-named queue
    # comes along. Renaming the queue in shared/bus/topology.py would remove the overlap.
    assert readable - {DEAD_LETTERS} == expected - {DEAD_LETTERS}


def test_only_the_requests_service_touches_the_ministries_queues(production: list[Obj]) -> None:
    for service in DB_SERVICES:
        allowed = rights(production, f"portal-{service}")
        for queue in (ministry_inbox("moh").name, from_ministry("moh").name):
            assert bool(allowed["configure"].fullmatch(queue)) == (service == "requests"), (service, queue)
        assert bool(allowed["write"].fullmatch("portal.to-ministries")) == (service == "requests"), service


def test_keda_sees_queue_depths_and_may_touch_no_message(production: list[Obj]) -> None:
    keda = named(production, "User", "portal-keda")
    assert keda["spec"]["tags"] == ["monitoring"]
    assert named(production, "Permission", "portal-keda")["spec"]["permissions"] == {
        "configure": "^$", "write": "^$", "read": "^$"}
    auth = named(production, "TriggerAuthentication", "portal-broker-keda")["spec"]["secretTargetRef"]
    assert {ref["name"] for ref in auth} == {"portal-keda-user-credentials"}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_connects_as_its_own_broker_user(overlay: str, overlays: dict[str, list[Obj]]) -> None:
    objects = overlays[overlay]
    for service in DB_SERVICES:
        named(objects, "User", f"portal-{service}")
        deployment = named(objects, "Deployment", service)
        env = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        for key in ("username", "password"):
            ref = env[f"BROKER_{key.upper()}"]["valueFrom"]["secretKeyRef"]
            assert ref == {"name": f"portal-{service}-user-credentials", "key": key}
        assert env[f"{service.upper()}_AMQP_URL"]["value"] == (
            "amqp://$(BROKER_USERNAME):$(BROKER_PASSWORD)@$(BROKER_ADDRESS)")
