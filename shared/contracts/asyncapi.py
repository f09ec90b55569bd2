"""The AsyncAPI 3.1 document of the bus, generated from the event models: what a ministry integrates against."""

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from shared.contracts.base import IntegrationEvent
from shared.contracts.catalog import ReadinessAssessed, ServicePublished, ServiceRetired, ServiceUpdated
from shared.contracts.examples import EXAMPLES
from shared.contracts.ministries import DocumentIssued, RequestStatusUpdated
from shared.contracts.notifications import DeliveryFailed
from shared.contracts.requests import (
    RenewalDue,
    RequestStalled,
    RequestStatusChanged,
    RequestSubmitted,
    SubmissionsCounted,
    SuggestionOffered,
    SurveyInvited,
)

CONTENT_TYPE = "application/cloudevents+json"
SCHEMAS = "#/components/schemas/{model}"


def _exchange(name: str) -> dict[str, Any]:
    return {"amqp": {"is": "routingKey", "exchange": {"name": name, "type": "topic", "durable": True,
                                                       "autoDelete": False, "vhost": "/"}, "bindingVersion": "0.3.0"}}


_MINISTRY = {"ministry": {"description": "The ministry's code, e.g. rop (lower-case letters and digits)."}}

# (event, channel id, address, address parameters, AMQP bindings, summary)
_CHANNELS: list[tuple[type[IntegrationEvent], str, str, dict[str, Any], dict[str, Any], str]] = [
    (RequestSubmitted, "ministryInbox", "ministry.{ministry}.inbox", _MINISTRY,
     {"amqp": {"is": "queue", "queue": {"name": "ministry.{ministry}.inbox", "durable": True, "exclusive": False,
                                        "autoDelete": False, "vhost": "/"}, "bindingVersion": "0.3.0"}},
     "A citizen's request for one of the ministry's services; the ministry's broker user may read only this queue."),
    (RequestStalled, "ministryInbox", "ministry.{ministry}.inbox", _MINISTRY,
     {"amqp": {"is": "queue", "queue": {"name": "ministry.{ministry}.inbox", "durable": True, "exclusive": False,
                                        "autoDelete": False, "vhost": "/"}, "bindingVersion": "0.3.0"}},
     "One of the ministry's requests has had no status change for longer than its expected step time (three "
     "times the service's usual time in that status, at least the portal's floor). Once per stay in a status; "
     "nothing to answer on the bus: move the request along, or look at why it waits."),
    (RequestStatusUpdated, "ministryStatus", "{ministry}.request.status_updated", _MINISTRY,
     _exchange("portal.from-ministries"),
     "The ministry moves its request along the lifecycle. Publish with your broker user as user_id; "
     "routing keys must start with your ministry code."),
    (DocumentIssued, "ministryDocument", "{ministry}.document.issued", _MINISTRY, _exchange("portal.from-ministries"),
     "The ministry issued a document to a citizen (with its expiry, if any), so the portal can offer the renewal "
     "in time. Publish with your broker user as user_id."),
    (RequestStatusChanged, "requestStatusChanged", "requests.request.status_changed", {}, _exchange("portal.events"),
     "A request's status changed (for notifications and live tracking). Also routed by "
     "`requests.request.status_changed.<tracking number>` (sender-selected, BCC): binding that key hears one "
     "request's changes alone."),
    (RenewalDue, "renewalDue", "requests.renewal.due", {}, _exchange("portal.events"),
     "A citizen's document is about to expire: the renewal is offered (once per document and expiry)."),
    (SurveyInvited, "surveyInvited", "requests.survey.invited", {}, _exchange("portal.events"),
     "A request was completed: the citizen is invited, once, to rate it."),
    (SuggestionOffered, "suggestionOffered", "requests.suggestion.offered", {}, _exchange("portal.events"),
     "A citizen who opted in completed a request most people follow with another service: they are told of it, "
     "once per suggested service."),
    (SubmissionsCounted, "submissionsCounted", "requests.submissions.counted", {}, _exchange("portal.events"),
     "How many requests each service has had so far (for search's ranking), for the services whose count moved "
     "since the last report, every few seconds; counts only, no citizen."),
    (ServicePublished, "servicePublished", "catalog.service.published", {}, _exchange("portal.events"),
     "A ministry published a service in the catalogue."),
    (ServiceUpdated, "serviceUpdated", "catalog.service.updated", {}, _exchange("portal.events"),
     "A published service changed (a new version)."),
    (ServiceRetired, "serviceRetired", "catalog.service.retired", {}, _exchange("portal.events"),
     "A service no longer takes requests."),
    (ReadinessAssessed, "readinessAssessed", "catalog.readiness.assessed", {}, _exchange("portal.events"),
     "A ministry assessed a service's readiness; carries its costs per transaction for the KPIs."),
    (DeliveryFailed, "deliveryFailed", "notifications.delivery.failed", {}, _exchange("portal.events"),
     "A channel gave up on a notification (refused, or failing after every retry); no contact details."),
]
_MINISTRY_SENDS = {"ministryStatus", "ministryDocument"}
_SEND = {"deliveryMode": 2, "mandatory": True, "userId": "ministry-{ministry}", "bindingVersion": "0.3.0"}
_RECEIVE = {"ack": True, "bindingVersion": "0.3.0"}
_MINISTRY_RECEIVES = {"ministryInbox"}

_CLOUD_EVENT: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents 1.0, structured JSON mode.",
    "required": ["specversion", "id", "source", "type", "data"],
    "properties": {
        "specversion": {"const": "1.0"},
        "id": {"type": "string", "format": "uuid", "description": "Unique per event: the idempotency key."},
        "source": {"type": "string", "description": "e.g. /ministries/rop"},
        "type": {"type": "string"},
        "subject": {"type": "string", "description": "The tracking number or service slug concerned."},
        "time": {"type": "string", "format": "date-time"},
        "datacontenttype": {"const": "application/json"},
        "traceparent": {"type": "string", "description": "W3C trace context, carried across the bus."},
    },
}


def asyncapi_document(server_host: str = "rabbitmq.portal.gov.om:5671") -> dict[str, Any]:
    models: list[type[BaseModel]] = [model for model, *_ in _CHANNELS]
    _, top = models_json_schema([(m, "validation") for m in models], ref_template=SCHEMAS)
    schemas: dict[str, Any] = dict(top.get("$defs", {})) | {"CloudEvent": _CLOUD_EVENT}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for model, channel, address, parameters, bindings, summary in _CHANNELS:
        name = model.__name__
        messages[name] = {
            "name": name, "title": name, "summary": summary, "contentType": CONTENT_TYPE,
            "payload": {"allOf": [{"$ref": "#/components/schemas/CloudEvent"}, {
                "type": "object", "properties": {"type": {"const": model.TYPE},
                                                 "data": {"$ref": SCHEMAS.format(model=name)}}}]},
            "examples": [{"name": f"{name}Example", "summary": EXAMPLES[model].summary,
                          "payload": EXAMPLES[model].envelope()}],
        }
        entry = channels.setdefault(channel, {"address": address, "messages": {}, "bindings": bindings,
                                              **({"parameters": parameters} if parameters else {})})
        entry["messages"][name] = {"$ref": f"#/components/messages/{name}"}
        if channel in _MINISTRY_SENDS:
            action, verb = "send", "publish"
        elif channel in _MINISTRY_RECEIVES:
            action, verb = "receive", "receive"
        else:
            action, verb = "receive", "observe"
        operations[f"{verb}{name}"] = {
            "action": action, "channel": {"$ref": f"#/channels/{channel}"}, "summary": summary,
            "messages": [{"$ref": f"#/channels/{channel}/messages/{name}"}],
            "bindings": {"amqp": _SEND if action == "send" else _RECEIVE},
        }
    return {
        "asyncapi": "3.1.0",
        "info": {
            "title": "Unified Government Services Portal: the bus",
            "version": "1.0.0",
            "description": "Events between the portal and ministries over RabbitMQ. Every message is a CloudEvents "
                           "1.0 JSON envelope whose `type` is versioned; a breaking change is a new version "
                           "published beside the old. Operations are written from a ministry's point of view.",
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": {"production": {"host": server_host, "protocol": "amqps", "protocolVersion": "0-9-1",
                                   "description": "Each ministry has its own broker user and credentials."}},
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
