"""CloudEvents 1.0 structured JSON envelope, through the cloudevents SDK."""

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cloudevents.core.bindings.rabbitmq import RabbitMQMessage, from_structured_event, to_structured_event
from cloudevents.core.v1.event import CloudEvent

from shared.tracing import TRACEPARENT, TRACESTATE

CONTENT_TYPE = "application/cloudevents+json"


class MalformedEnvelope(ValueError):
    pass


@dataclass(frozen=True)
class Envelope:
    type: str
    source: str
    data: dict[str, Any]
    subject: str | None = None
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=lambda: datetime.now(UTC))
    traceparent: str | None = None
    tracestate: str | None = None

    @property
    def trace_context(self) -> dict[str, str]:
        """The W3C trace context the event was recorded in (CloudEvents' distributed-tracing extension)."""
        return {k: v for k, v in ((TRACEPARENT, self.traceparent), (TRACESTATE, self.tracestate)) if v}

    def to_body(self) -> bytes:
        attributes: dict[str, Any] = {"id": self.id, "source": self.source, "type": self.type,
                                      "time": self.time, "datacontenttype": "application/json"}
        if self.subject:
            attributes["subject"] = self.subject
        if self.traceparent:
            attributes[TRACEPARENT] = self.traceparent
        if self.tracestate:
            attributes[TRACESTATE] = self.tracestate
        return to_structured_event(CloudEvent(attributes, self.data)).body

    @classmethod
    def from_body(cls, body: bytes) -> "Envelope":
        try:
            event = from_structured_event(RabbitMQMessage(headers={}, content_type=CONTENT_TYPE, body=body))
        except Exception as exc:
            raise MalformedEnvelope(f"not a CloudEvents 1.0 structured JSON message: {exc}") from exc
        data = event.get_data()
        if isinstance(data, bytes | str):
            try:
                data = json.loads(data)
            except ValueError as exc:
                raise MalformedEnvelope("the event data is not JSON") from exc
        if not isinstance(data, dict):
            raise MalformedEnvelope("the event data must be a JSON object")
        try:
            uuid.UUID(event.get_id())
        except ValueError as exc:
            raise MalformedEnvelope("the event id must be a UUID (it is the idempotency key)") from exc
        time = event.get_time() or datetime.now(UTC)
        attributes = event.get_attributes()
        return cls(type=event.get_type(), source=event.get_source(), data=data, subject=event.get_subject(),
                   id=event.get_id(), time=time, traceparent=attributes.get(TRACEPARENT),
                   tracestate=attributes.get(TRACESTATE))
