import asyncio
import json
import uuid

import pytest

from shared.bus import Delivery, Envelope, MalformedEnvelope, PublishFailed, Rejected
from shared.bus.memory import InMemoryBus
from shared.bus.ports import REASON_HEADER
from shared.bus.topology import (
    DEAD_LETTERS,
    EVENTS,
    STATUS_CHANGED,
    Binding,
    QueueSpec,
    also_routed,
    ministry_inbox,
    topic_matches,
)
from tests.integration.bus.helpers import eventually


def test_topic_patterns_match_as_rabbitmq_does() -> None:
    assert topic_matches("catalog.service.*", "catalog.service.published")
    assert not topic_matches("catalog.service.*", "catalog.service.published.v2")
    assert topic_matches("rop.#", "rop.request.status_updated")
    assert topic_matches("rop.#", "rop")
    assert not topic_matches("rop.#", "moh.request.status_updated")


def test_every_durable_queue_is_a_quorum_queue_with_a_delivery_limit_dead_letters_and_a_bound() -> None:
    arguments = ministry_inbox("rop").arguments()
    assert arguments == {"x-queue-type": "quorum", "x-max-length": 100_000, "x-overflow": "reject-publish",
                         "x-dead-letter-exchange": DEAD_LETTERS, "x-delivery-limit": 5}


def test_an_envelope_survives_the_round_trip_as_a_structured_cloudevent() -> None:
    envelope = Envelope(type="om.portal.x.v1", source="/x", data={"name": "عائشة"}, subject="s")
    body = envelope.to_body()
    assert json.loads(body)["specversion"] == "1.0"
    assert Envelope.from_body(body) == envelope


def test_an_event_id_that_is_not_a_uuid_is_malformed() -> None:
    body = Envelope(type="t.v1", source="/x", data={}, id="not-a-uuid").to_body()
    with pytest.raises(MalformedEnvelope):
        Envelope.from_body(body)


async def test_the_in_memory_bus_refuses_what_rabbitmq_would_refuse() -> None:
    bus = InMemoryBus()
    await bus.declare([QueueSpec("q", (Binding(EVENTS, "a.#"),), max_length=1)])
    with pytest.raises(PublishFailed):
        await bus.publish(Envelope(type="t.v1", source="/x", data={}), EVENTS, "nobody.listens")
    await bus.publish(Envelope(type="t.v1", source="/x", data={}), EVENTS, "a.b")
    with pytest.raises(PublishFailed):
        await bus.publish(Envelope(type="t.v1", source="/x", data={}), EVENTS, "a.b")


def test_only_status_changes_are_also_routed_by_their_request() -> None:
    assert also_routed(STATUS_CHANGED, "ROP-2026-000042-7") == (f"{STATUS_CHANGED}.ROP-2026-000042-7",)
    assert also_routed(STATUS_CHANGED, None) == ()
    assert also_routed("requests.submissions.counted", "ROP-2026-000042-7") == ()


async def test_the_in_memory_bus_routes_by_a_messages_other_keys_once_per_queue_as_rabbitmq_does() -> None:
    bus = InMemoryBus()
    everything = QueueSpec(f"all-{uuid.uuid4()}", (Binding(EVENTS, "a.#"),))
    watcher = QueueSpec(f"watch-{uuid.uuid4()}", dead_letters=False, exclusive=True)
    seen: dict[str, list[str]] = {everything.name: [], watcher.name: []}

    def recorder(queue: str):  # type: ignore[no-untyped-def]
        async def record(delivery: Delivery) -> None:
            seen[queue].append(f"{delivery.envelope.data['n']} {delivery.routing_key}")
        return record

    await bus.consume(everything, recorder(everything.name))
    consumer = await bus.consume(watcher, recorder(watcher.name), acknowledged=False)
    await consumer.bind(EVENTS, "a.changed.X")
    await bus.publish(Envelope(type="t.v1", source="/x", data={"n": 1}), EVENTS, "a.changed", also_to=("a.changed.X",))
    await bus.publish(Envelope(type="t.v1", source="/x", data={"n": 2}), EVENTS, "a.changed", also_to=("a.changed.Y",))
    await consumer.unbind(EVENTS, "a.changed.X")
    await bus.publish(Envelope(type="t.v1", source="/x", data={"n": 3}), EVENTS, "a.changed", also_to=("a.changed.X",))

    async def all_seen() -> bool:
        return len(seen[everything.name]) == 3

    await eventually(all_seen)
    assert seen == {everything.name: ["1 a.changed", "2 a.changed", "3 a.changed"], watcher.name: ["1 a.changed"]}


async def test_the_in_memory_bus_dead_letters_rejections_and_repeated_failures() -> None:
    bus = InMemoryBus()
    queue = QueueSpec(f"q-{uuid.uuid4()}", (Binding(EVENTS, "a.#"),), delivery_limit=2)
    attempts: list[int] = []

    async def handler(delivery: Delivery) -> None:
        if delivery.envelope.data.get("poison"):
            raise Rejected("poison")
        attempts.append(delivery.delivery_count)
        raise RuntimeError("keeps failing")

    await bus.consume(queue, handler)
    await bus.publish(Envelope(type="t.v1", source="/x", data={"poison": True}), EVENTS, "a.1")
    await bus.publish(Envelope(type="t.v1", source="/x", data={}), EVENTS, "a.2")

    async def both_dead() -> bool:
        return bus.queues[DEAD_LETTERS].messages.qsize() == 2

    await eventually(both_dead)
    reasons = [d.headers[REASON_HEADER] for d in await bus.drain(DEAD_LETTERS)]
    assert reasons == ["poison", "failed 2 times: RuntimeError"]
    assert attempts == [0, 0]


async def test_the_in_memory_bus_drops_a_hint_consumed_without_acks_that_cannot_be_applied() -> None:
    bus = InMemoryBus()
    queue = QueueSpec(f"q-{uuid.uuid4()}", (Binding(EVENTS, "a.#"),), dead_letters=False, exclusive=True)
    handled: list[str] = []

    async def handler(delivery: Delivery) -> None:
        if delivery.envelope.data.get("poison"):
            raise Rejected("poison")
        handled.append(delivery.envelope.data["name"])

    await bus.consume(queue, handler, acknowledged=False)
    await bus.publish(Envelope(type="t.v1", source="/x", data={"poison": True}), EVENTS, "a.1")
    await bus.publish(Envelope(type="t.v1", source="/x", data={"name": "next"}), EVENTS, "a.2")

    async def next_handled() -> bool:
        return handled == ["next"]

    await eventually(next_handled)
    assert await bus.drain(DEAD_LETTERS) == []


async def test_deliveries_waiting_together_reach_a_batch_handler_together_in_order() -> None:
    bus = InMemoryBus()
    queue = QueueSpec("q", (Binding(EVENTS, "a.#"),))
    batches: list[list[str]] = []

    async def handler(deliveries: list[Delivery]) -> None:
        batches.append([d.envelope.data["n"] for d in deliveries])

    await bus.consume_in_batches(queue, handler)
    for n in range(5):
        await bus.publish(Envelope(type="t.v1", source="/x", data={"n": n}), EVENTS, "a.b")

    async def all_handled() -> bool:
        return sum(map(len, batches)) == 5

    await eventually(all_handled)
    assert batches == [[0, 1, 2, 3, 4]]


async def test_a_lingering_batch_handler_gets_deliveries_published_one_by_one_in_full_batches_and_the_rest_later(
        ) -> None:
    bus = InMemoryBus()
    queue = QueueSpec("q", (Binding(EVENTS, "a.#"),))
    batches: list[list[int]] = []

    async def handler(deliveries: list[Delivery]) -> None:
        batches.append([d.envelope.data["n"] for d in deliveries])

    await bus.consume_in_batches(queue, handler, prefetch=4, linger=2.0)
    for n in range(10):
        await bus.publish(Envelope(type="t.v1", source="/x", data={"n": n}), EVENTS, "a.b")
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7]]

    async def all_handled() -> bool:
        return sum(map(len, batches)) == 10

    await eventually(all_handled)
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


async def test_a_batch_with_a_rejected_delivery_applies_the_others_alone_and_dead_letters_that_one() -> None:
    bus = InMemoryBus()
    queue = QueueSpec("q", (Binding(EVENTS, "a.#"),))
    applied: list[int] = []

    async def handler(deliveries: list[Delivery]) -> None:
        if any(d.envelope.data["n"] == 2 for d in deliveries):
            raise Rejected("two is refused")
        applied.extend(d.envelope.data["n"] for d in deliveries)

    await bus.consume_in_batches(queue, handler)
    for n in range(4):
        await bus.publish(Envelope(type="t.v1", source="/x", data={"n": n}), EVENTS, "a.b")

    async def dead_lettered() -> bool:
        return len(applied) == 3 and not bus.queues["q"].messages.qsize()

    await eventually(dead_lettered)
    assert applied == [0, 1, 3]
    assert [d.headers[REASON_HEADER] for d in await bus.drain(DEAD_LETTERS)] == ["two is refused"]
