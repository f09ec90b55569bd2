"""The envelope is CloudEvents 1.0 structured JSON: the cloudevents SDK reads what the bus writes and the bus
reads what the SDK writes (a ministry on another stack uses such an SDK)."""

from datetime import UTC, datetime

import pytest
from cloudevents.core.bindings.rabbitmq import RabbitMQMessage, from_structured_event, to_structured_event
from cloudevents.core.v1.event import CloudEvent

from shared.bus import Envelope, MalformedEnvelope
from shared.bus.envelope import CONTENT_TYPE

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def _envelope() -> Envelope:
    return Envelope(type="om.portal.requests.request.status_changed.v1", source="/requests", subject="ROP-2026-1",
                    data={"status": "approved", "note": "تمت الموافقة", "fields": [1, None]},
                    time=datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=UTC), traceparent=TRACEPARENT,
                    tracestate="portal=1")


def test_the_cloudevents_sdk_reads_an_envelope_the_bus_wrote() -> None:
    envelope = _envelope()
    event = from_structured_event(RabbitMQMessage(headers={}, content_type=CONTENT_TYPE, body=envelope.to_body()))
    assert (event.get_id(), event.get_type(), event.get_source(), event.get_subject()) == \
        (envelope.id, envelope.type, envelope.source, envelope.subject)
    assert event.get_time() == envelope.time
    assert event.get_data() == envelope.data
    assert event.get_attributes()["traceparent"] == TRACEPARENT


def test_the_bus_reads_an_event_the_cloudevents_sdk_wrote() -> None:
    envelope = _envelope()
    attributes = {"id": envelope.id, "source": envelope.source, "type": envelope.type, "time": envelope.time,
                  "subject": envelope.subject, "datacontenttype": "application/json", "traceparent": TRACEPARENT,
                  "tracestate": "portal=1"}
    body = to_structured_event(CloudEvent(attributes, envelope.data)).body
    assert Envelope.from_body(body) == envelope


def test_binary_data_written_as_base64_is_read_as_its_json() -> None:
    envelope = _envelope()
    attributes = {"id": envelope.id, "source": envelope.source, "type": envelope.type, "time": envelope.time,
                  "datacontenttype": "application/json"}
    body = to_structured_event(CloudEvent(attributes, b'{"status": "approved"}')).body
    assert Envelope.from_body(body).data == {"status": "approved"}


@pytest.mark.parametrize("body", [
    b"not json", b"[1, 2]", b'{"specversion": "0.3", "id": "9d2f", "source": "/x", "type": "t.v1", "data": {}}',
    b'{"specversion": "1.0", "source": "/x", "type": "t.v1", "data": {}}',
    b'{"specversion": "1.0", "id": "7d0ab8a4-8b0f-4a55-9a4f-1b1b1c1d1e1f", "source": "/x", "type": "t.v1", '
    b'"data": [1]}',
    b'{"specversion": "1.0", "id": "7d0ab8a4-8b0f-4a55-9a4f-1b1b1c1d1e1f", "source": "/x", "type": "t.v1", '
    b'"time": "yesterday", "data": {}}',
    b'{"specversion": "1.0", "id": "7d0ab8a4-8b0f-4a55-9a4f-1b1b1c1d1e1f", "source": "/x", "type": "t.v1", '
    b'"data_base64": "not base64!", "data": {}}',
])
def test_what_is_not_a_cloudevent_with_a_json_object_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedEnvelope):
        Envelope.from_body(body)


@pytest.mark.parametrize(("body", "lacking"), [
    (b'{"specversion": "1.0", "source": "/x", "type": "t.v1", "data": {}}', "no id"),
    (b'{"specversion": "1.0", "id": "7d0ab8a4-8b0f-4a55-9a4f-1b1b1c1d1e1f", "source": "", "type": 7, "data": {}}',
     "no source, type"),
])
def test_a_message_without_its_id_source_or_type_is_refused_with_a_reason_naming_what_it_lacks(
        body: bytes, lacking: str) -> None:
    with pytest.raises(MalformedEnvelope, match=lacking):
        Envelope.from_body(body)
