"""The ministry SDK with the in-memory bus: what a ministry's developer can rely on."""

import asyncio
from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from ministry_sdk import Backoff, IncomingRequest, MinistryClient, RequestRefused
from shared.bus import Envelope, PublishFailed
from shared.bus.memory import InMemoryBus
from shared.bus.topology import DEAD_LETTERS, TO_MINISTRIES, from_ministry, ministry_inbox
from shared.contracts.ministries import DocumentIssued
from shared.contracts.requests import Applicant, RequestSubmitted


class FlakyBroker(InMemoryBus):
    """Refuses the first publishes, as a broker does while it restarts."""

    def __init__(self, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def publish(self, envelope: Envelope, exchange: str, routing_key: str, *,
                      user_id: str | None = None, also_to: tuple[str, ...] = ()) -> None:
        if self.failures:
            self.failures -= 1
            raise PublishFailed("the broker is restarting")
        await super().publish(envelope, exchange, routing_key, user_id=user_id, also_to=also_to)


def create_submitted(tracking_number: str = "ROP-2026-000001-Q") -> Envelope:
    event = RequestSubmitted(tracking_number=tracking_number, service="renew-licence", service_version=1,
                             ministry="rop", applicant=Applicant(national_id="12345678"), fields={},
                             submitted_at=datetime.now(UTC), due_on=datetime.now(UTC))
    return Envelope(type=RequestSubmitted.TYPE, source="/requests", data=event.model_dump(mode="json"))


async def started(bus: InMemoryBus) -> MinistryClient:
    await bus.declare([ministry_inbox("rop"), from_ministry("rop")])
    client = MinistryClient("memory://unused", "rop", bus=bus, backoff=Backoff(first=0.001, longest=0.01))
    await client.start()
    return client


async def until(check: object) -> None:
    for _ in range(200):
        if check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.01)
    raise AssertionError("not reached")


async def test_a_status_published_while_the_broker_restarts_arrives_once_with_one_event_id() -> None:
    bus = FlakyBroker(failures=2)
    client = await started(bus)
    event_id = await client.update_status("ROP-2026-000001-Q", "received")
    [delivered] = await bus.drain("requests.from.rop")
    assert Envelope.from_body(delivered.body).id == event_id
    assert delivered.user_id == "ministry-rop"
    await client.close()


async def test_the_ministry_receives_each_request_typed_and_a_refused_one_goes_to_dead_letters() -> None:
    bus = InMemoryBus()
    client = await started(bus)
    received: list[str] = []

    async def handle(incoming: IncomingRequest) -> None:
        if incoming.request.tracking_number.endswith("2-K"):
            raise RequestRefused("this service closed in our system")
        received.append(incoming.request.tracking_number)

    await client.serve(handle)
    await bus.publish(create_submitted("ROP-2026-000001-Q"), TO_MINISTRIES, "rop.request.submitted")
    await bus.publish(create_submitted("ROP-2026-000002-K"), TO_MINISTRIES, "rop.request.submitted")
    await bus.publish(create_submitted("ROP-2026-000003-A"), TO_MINISTRIES, "rop.request.submitted")
    await until(lambda: len(received) == 2 and bus.queues[DEAD_LETTERS].messages.qsize() == 1)
    assert received == ["ROP-2026-000001-Q", "ROP-2026-000003-A"]
    await client.close()


async def test_a_status_is_published_under_the_ministrys_own_routing_key() -> None:
    bus = InMemoryBus()
    client = await started(bus)
    await client.update_status("ROP-2026-000001-Q", "in_review", "checking the documents")
    [delivered] = await bus.drain("requests.from.rop")
    assert delivered.routing_key == "rop.request.status_updated"
    assert Envelope.from_body(delivered.body).data["note"] == "checking the documents"
    await client.close()


async def test_an_issued_document_is_published_under_the_ministrys_key_once_however_often_the_broker_refuses(
        ) -> None:
    bus = FlakyBroker(failures=2)
    client = await started(bus)
    event_id = await client.issue_document("12345678", "driving_licence", "DL-778899", date(2026, 1, 10),
                                           date(2036, 1, 10), tracking_number="ROP-2026-000001-Q")
    [delivered] = await bus.drain("requests.from.rop")
    envelope = Envelope.from_body(delivered.body)
    assert (envelope.id, delivered.routing_key, delivered.user_id) == (event_id, "rop.document.issued",
                                                                       "ministry-rop")
    assert envelope.type == DocumentIssued.TYPE
    issued = DocumentIssued.model_validate(envelope.data)
    assert (issued.national_id, issued.number, issued.expires_on) == ("12345678", "DL-778899", date(2036, 1, 10))
    # The citizen's civil number is in the payload only, never in the envelope's subject that operators see.
    assert envelope.subject == "ROP-2026-000001-Q"
    await client.close()


async def test_a_document_the_portal_could_never_accept_is_refused_before_it_is_published() -> None:
    client = await started(InMemoryBus())
    with pytest.raises(ValidationError):
        await client.issue_document("not-an-id", "driving_licence", "DL-1", date(2026, 1, 10))
    await client.close()


async def test_a_request_for_more_names_the_fields_the_citizen_should_answer_again() -> None:
    bus = InMemoryBus()
    client = await started(bus)
    await client.update_status("ROP-2026-000001-Q", "action_required", "the photo is blurred",
                               fields_to_correct=["photo"])
    [delivered] = await bus.drain("requests.from.rop")
    assert Envelope.from_body(delivered.body).data["fields_to_correct"] == ["photo"]
    await client.close()
