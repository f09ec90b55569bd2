"""Every example of the AsyncAPI document, published as it is written through a real broker, reaches the queue the
portal consumes it from and is accepted by the portal's consumer (the envelope, then the event's model)."""

import json
from typing import Any

import pytest

from shared.bus import Delivery, Envelope, RawDelivery, Rejected, connect_bus
from shared.bus.dispatch import EventRouter, Inbound
from shared.bus.topology import DEAD_LETTER_QUEUE, PORTAL_QUEUES, TO_MINISTRIES, from_ministry, ministry_inbox
from shared.contracts.asyncapi import asyncapi_document
from shared.contracts.base import IntegrationEvent
from shared.contracts.examples import EXAMPLES
from tests.integration.bus.helpers import eventually

pytestmark = pytest.mark.integration
DOCUMENT = asyncapi_document()
MINISTRY = "rop"


def where_published(channel: dict[str, Any], message: str) -> tuple[str, str]:
    """The exchange and routing key a message of the channel is published with, read from the document."""
    amqp = channel["bindings"]["amqp"]
    if amqp["is"] == "queue":  # a ministry's inbox: the portal routes to it through portal.to-ministries
        event = message.removeprefix("Request").lower()
        return TO_MINISTRIES, f"{MINISTRY}.request.{event}"
    return amqp["exchange"]["name"], channel["address"].replace("{ministry}", MINISTRY)


def documented_examples() -> list[tuple[str, str, dict[str, Any]]]:
    published = []
    for channel in DOCUMENT["channels"].values():
        for ref in channel["messages"].values():
            name = ref["$ref"].rsplit("/", 1)[-1]
            exchange, routing_key = where_published(channel, name)
            message = DOCUMENT["components"]["messages"][name]
            published += [(exchange, routing_key, example["payload"]) for example in message["examples"]]
    return published


class Accepted:
    """The portal's consumer for every documented event: each delivery becomes its typed event, or is refused."""

    def __init__(self) -> None:
        self.events: list[IntegrationEvent] = []
        self.router = EventRouter(deps=None)
        for model in EXAMPLES:
            self.router.register(model, self.accept)

    async def accept(self, inbound: Inbound[Any], deps: None) -> None:
        self.events.append(inbound.event)

    async def __call__(self, delivery: Delivery) -> None:
        await self.router(delivery)


async def test_every_documented_example_is_accepted_by_the_portals_consumer_through_the_broker(
        broker_url: str) -> None:
    queues = [*PORTAL_QUEUES, from_ministry(MINISTRY), ministry_inbox(MINISTRY)]
    bus = connect_bus(broker_url, name="asyncapi-examples")
    await bus.start()
    await bus.declare(queues)
    accepted, dead_letters = Accepted(), list[RawDelivery]()
    for queue in queues:
        if queue is not DEAD_LETTER_QUEUE:
            await bus.consume(queue, accepted)

    async def dead(message: RawDelivery) -> None:
        dead_letters.append(message)

    await bus.consume_raw(DEAD_LETTER_QUEUE, dead)
    examples = documented_examples()
    assert len(examples) == len(EXAMPLES) == len(DOCUMENT["components"]["messages"])

    for exchange, routing_key, payload in examples:
        await bus.publish_raw(json.dumps(payload).encode(), exchange, routing_key)

    async def all_arrived() -> bool:
        return len({type(e) for e in accepted.events}) == len(EXAMPLES)

    await eventually(all_arrived, within=20)
    assert {type(event): event for event in accepted.events} == {m: e.event for m, e in EXAMPLES.items()}
    assert dead_letters == []
    await bus.close()


async def test_an_example_that_no_longer_fits_its_event_is_refused_by_the_consumer() -> None:
    payload = json.loads(json.dumps(DOCUMENT["components"]["messages"]["RequestStatusUpdated"]["examples"][0]
                                    ["payload"]))
    payload["data"]["status"] = "teleported"
    delivery = Delivery(Envelope.from_body(json.dumps(payload).encode()), "rop.request.status_updated",
                        "requests.from.rop")
    with pytest.raises(Rejected, match="bad payload"):
        await Accepted()(delivery)
