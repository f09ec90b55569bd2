"""The AsyncAPI document ministries integrate against is valid and says exactly what the portal accepts."""

import copy
import json
import uuid
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
from shared.contracts.examples import EXAMPLES
from shared.contracts.ministries import RequestStatusUpdated
from tests.standards import Diagnostic, asyncapi_parser

DOCUMENT = asyncapi_document()


@pytest.fixture(scope="module")
def parsed() -> tuple[list[Diagnostic], list[Diagnostic]]:
    """The document as served, and the same with an operation written in AsyncAPI 2's words, in one Node run."""
    broken = copy.deepcopy(DOCUMENT)
    broken["operations"]["publishRequestStatusUpdated"]["action"] = "publish"
    served, refused = asyncapi_parser(DOCUMENT, broken)
    return served, refused


def _validator(message: str) -> jsonschema.Draft202012Validator:
    registry: Registry[Any] = Registry().with_resource(
        "urn:doc", Resource.from_contents(DOCUMENT, default_specification=DRAFT202012))
    schema = {"$ref": f"urn:doc#/components/messages/{message}/payload"}
    return jsonschema.Draft202012Validator(schema, registry=registry,
                                           format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


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


def test_the_asyncapi_parser_finds_no_error_and_no_warning_in_the_document(
        parsed: tuple[list[Diagnostic], list[Diagnostic]]) -> None:
    served, _ = parsed

    assert [d for d in served if d["severity"] in ("error", "warning")] == []
    assert DOCUMENT["asyncapi"] == "3.1.0"


def test_the_asyncapi_parser_catches_a_deliberately_broken_document(
        parsed: tuple[list[Diagnostic], list[Diagnostic]]) -> None:
    _, refused = parsed

    assert [(d["severity"], d["path"]) for d in refused] == [
        ("error", "operations/publishRequestStatusUpdated/action")]


def test_every_message_carries_an_example_that_its_own_documented_schema_accepts() -> None:
    for name, message in DOCUMENT["components"]["messages"].items():
        [example] = message["examples"]
        _validator(name).validate(example["payload"])


def test_an_example_that_drifted_from_its_schema_is_caught() -> None:
    drifted = copy.deepcopy(DOCUMENT["components"]["messages"]["DocumentIssued"]["examples"][0]["payload"])
    drifted["data"]["issued_on"] = "yesterday"
    with pytest.raises(jsonschema.ValidationError):
        _validator("DocumentIssued").validate(drifted)


def test_every_example_is_a_message_the_portal_can_read() -> None:
    for model, example in EXAMPLES.items():
        envelope = Envelope.from_body(json.dumps(example.envelope()).encode())
        assert envelope.type == model.TYPE
        assert model.model_validate(envelope.data) == example.event


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
