"""The AsyncAPI document ministries integrate against is valid and says exactly what the portal accepts."""

import json
import uuid
import warnings
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from shared.bus import Envelope
from shared.contracts import catalog, ministries, notifications, requests
from shared.contracts.asyncapi import asyncapi_document
from shared.contracts.base import IntegrationEvent
from shared.contracts.ministries import RequestStatusUpdated

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from asyncapi3 import AsyncAPI3

DOCUMENT = asyncapi_document()


def _validator(message: str) -> jsonschema.Draft202012Validator:
    registry: Registry[Any] = Registry().with_resource(
        "urn:doc", Resource.from_contents(DOCUMENT, default_specification=DRAFT202012))
    schema = {"$ref": f"urn:doc#/components/messages/{message}/payload"}
    return jsonschema.Draft202012Validator(schema, registry=registry)


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "$ref"] + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _resolve(pointer: str) -> Any:
    node: Any = DOCUMENT
    for part in pointer.removeprefix("#/").split("/"):
        node = node[part]
    return node


def test_the_document_is_valid_asyncapi_3() -> None:
    parsed = AsyncAPI3.model_validate(DOCUMENT)
    assert parsed.asyncapi == "3.0.0"


def test_every_reference_in_the_document_resolves() -> None:
    for ref in _refs(DOCUMENT):
        assert _resolve(ref) is not None, ref


def test_every_integration_event_of_the_contracts_is_documented() -> None:
    events = {m.__name__ for module in (catalog, ministries, notifications, requests) for m in vars(module).values()
              if isinstance(m, type) and issubclass(m, IntegrationEvent) and m is not IntegrationEvent}
    assert events == set(DOCUMENT["components"]["messages"])


def test_a_ministry_publishes_status_on_its_own_routing_keys_with_its_broker_user() -> None:
    operation = DOCUMENT["operations"]["publishRequestStatusUpdated"]
    assert operation["action"] == "send"
    assert _resolve(operation["channel"]["$ref"])["address"] == "{ministry}.request.status_updated"
    assert operation["bindings"]["amqp"]["userId"] == "ministry-{ministry}"


def test_a_status_event_as_the_sdk_publishes_it_matches_the_documented_message() -> None:
    event = RequestStatusUpdated(tracking_number="ROP-2026-000001-Q", status="received", occurred_at=datetime.now(UTC))
    envelope = Envelope(type=RequestStatusUpdated.TYPE, source="/ministries/rop", subject=event.tracking_number,
                        data=event.model_dump(mode="json"), id=str(uuid.uuid4()))
    _validator("RequestStatusUpdated").validate(json.loads(envelope.to_body()))


def test_a_status_the_lifecycle_does_not_know_is_refused_by_the_documented_schema() -> None:
    envelope = Envelope(type=RequestStatusUpdated.TYPE, source="/ministries/rop",
                        data={"tracking_number": "ROP-2026-000001-Q", "status": "teleported",
                              "occurred_at": datetime.now(UTC).isoformat()})
    with pytest.raises(jsonschema.ValidationError):
        _validator("RequestStatusUpdated").validate(json.loads(envelope.to_body()))
