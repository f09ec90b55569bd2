"""The bus adapter's promises, on a real RabbitMQ broker."""

import asyncio
import contextlib
import shutil
import subprocess
import time
import uuid

import aio_pika
import pytest
from prometheus_client import REGISTRY

from shared.bus import Delivery, Envelope, PublishFailed, RawDelivery, Rejected, connect_bus
from shared.bus.ports import REASON_HEADER, dead_letter_facts
from shared.bus.rabbit.transport import CoalescingWriter
from shared.bus.topology import DEAD_LETTER_QUEUE, DEAD_LETTERS, EVENTS, Binding, QueueSpec
from shared.contracts.base import IntegrationEvent
from shared.db import OutboxRelay, UnitOfWork, engine_for
from tests.conftest import IN_CI
from tests.integration.bus.helpers import Recorder, effects, eventually, inbox, metadata, outbox

pytestmark = pytest.mark.integration
QUEUE = QueueSpec("test.events", (Binding(EVENTS, "test.#"),), delivery_limit=2)


class ThingHappened(IntegrationEvent):
    TYPE = "om.portal.test.thing_happened.v1"
    name: str


def create_envelope(name: str = "one", **data: object) -> Envelope:
    return Envelope(type=ThingHappened.TYPE, source="/tests", data={"name": name, **data})


async def started_bus(url: str):  # type: ignore[no-untyped-def]
    bus = connect_bus(url, name="test")
    await bus.start()
    await bus.declare([DEAD_LETTER_QUEUE, QUEUE])
    return bus


async def test_a_published_event_is_confirmed_and_consumed_with_its_trace(broker_url: str) -> None:
    bus = await started_bus(broker_url)
    recorder = Recorder()
    await bus.consume(QUEUE, recorder)
    envelope = Envelope(type=ThingHappened.TYPE, source="/tests", data={"name": "x"},
                        traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01")
    await bus.publish(envelope, EVENTS, "test.thing")

    async def arrived() -> bool:
        return len(recorder.seen) == 1

    await eventually(arrived)
    assert recorder.seen[0].envelope.id == envelope.id
    assert recorder.seen[0].envelope.traceparent == envelope.traceparent
    await bus.close()


async def test_a_published_event_is_a_persistent_cloudevent_carrying_its_id_type_and_trace(broker_url: str) -> None:
    bus = await started_bus(broker_url)
    envelope = Envelope(type=ThingHappened.TYPE, source="/tests", data={"name": "x"},
                        traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01")
    await bus.publish(envelope, EVENTS, "test.thing")
    async with await aio_pika.connect(broker_url) as connection:
        queue = await (await connection.channel()).get_queue(QUEUE.name, ensure=False)
        message = await queue.get(no_ack=True, timeout=5)
    assert message is not None
    assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
    assert (message.content_type, message.message_id, message.type) == (
        "application/cloudevents+json", envelope.id, ThingHappened.TYPE)
    # Its trace (under a producer span of its own when this process records the trace).
    assert str(message.headers["traceparent"]).split("-")[1] == "a" * 32
    assert Envelope.from_body(message.body) == envelope
    await bus.close()


async def test_an_event_nobody_listens_for_is_refused_not_silently_dropped(broker_url: str) -> None:
    bus = await started_bus(broker_url)
    with pytest.raises(PublishFailed):
        await bus.publish(create_envelope(), EVENTS, "nobody.listens")
    await bus.close()


async def test_a_burst_published_at_once_leaves_in_few_sends_each_event_confirmed_or_refused_on_its_own(
        broker_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    sends: list[int] = []
    flush = CoalescingWriter.flush

    def counted(writer: CoalescingWriter) -> None:
        if writer._pending:
            sends.append(len(writer._pending))
        flush(writer)

    monkeypatch.setattr(CoalescingWriter, "flush", counted)
    bus = await started_bus(broker_url)
    recorder = Recorder()
    await bus.consume(QUEUE, recorder)
    sends.clear()
    # Within aiormq's write queue (ten frames): a publisher beyond it waits for the queue, so for a send of its own.
    burst = [create_envelope(f"n{n}") for n in range(8)]
    outcomes = await asyncio.gather(*(bus.publish(envelope, EVENTS, "test.thing") for envelope in burst),
                                    bus.publish(create_envelope("lost"), EVENTS, "nobody.listens"),
                                    return_exceptions=True)
    assert outcomes[:-1] == [None] * len(burst)
    assert isinstance(outcomes[-1], PublishFailed)

    async def arrived() -> bool:
        return len(recorder.seen) == len(burst)

    await eventually(arrived)
    assert sorted(d.envelope.id for d in recorder.seen) == sorted(envelope.id for envelope in burst)
    assert max(sends) == len(burst) + 1
    await bus.close()


async def test_an_event_also_routed_by_its_subject_reaches_a_queue_bound_to_that_subject_and_no_queue_twice(
        broker_url: str) -> None:
    """As a gateway replica hears the status changes of the requests its citizens watch, and of no others."""
    bus = await started_bus(broker_url)
    everything, watching = Recorder(), Recorder()
    await bus.consume(QUEUE, everything)  # `test.#` takes both of each event's keys
    watcher = await bus.consume(QueueSpec(f"test.watch.{uuid.uuid4().hex[:8]}", dead_letters=False, exclusive=True),
                                watching, acknowledged=False)
    await watcher.bind(EVENTS, "test.changed.A-1")
    await bus.publish(create_envelope("watched"), EVENTS, "test.changed", also_to=("test.changed.A-1",))
    await bus.publish(create_envelope("unwatched"), EVENTS, "test.changed", also_to=("test.changed.B-2",))

    async def arrived() -> bool:
        return len(everything.seen) == 2 and len(watching.seen) == 1

    await eventually(arrived)
    await asyncio.sleep(0.3)
    assert [seen.envelope.data["name"] for seen in everything.seen] == ["watched", "unwatched"]
    assert [(seen.envelope.data["name"], seen.routing_key) for seen in watching.seen] == [("watched", "test.changed")]
    assert not any("BCC" in seen.headers for seen in everything.seen + watching.seen)  # the broker took it off

    await watcher.unbind(EVENTS, "test.changed.A-1")
    await bus.publish(create_envelope("after"), EVENTS, "test.changed", also_to=("test.changed.A-1",))

    async def all_three() -> bool:
        return len(everything.seen) == 3

    await eventually(all_three)
    await asyncio.sleep(0.3)
    assert len(watching.seen) == 1
    await bus.close()


async def test_a_full_queue_refuses_new_messages_instead_of_dropping_old_ones(broker_url: str) -> None:
    bus = await started_bus(broker_url)
    tiny = QueueSpec("test.tiny", (Binding(EVENTS, "tiny.#"),), max_length=2)
    await bus.declare([tiny])
    accepted = 0
    # Quorum queues apply max-length once the log has caught up, so a few may slip past the limit.
    with pytest.raises(PublishFailed):
        for n in range(50):
            await bus.publish(create_envelope(str(n)), EVENTS, "tiny.a")
            accepted += 1
    assert 2 <= accepted < 10
    await bus.close()


async def test_a_queue_declared_without_a_binding_it_had_stops_taking_those_messages_and_takes_the_new_ones(
        broker_url: str) -> None:
    bus = await started_bus(broker_url)
    await bus.declare([QueueSpec("test.moved", (Binding(EVENTS, "moved.old"),))])
    after = QueueSpec("test.moved", (Binding(EVENTS, "moved.new"),), unbound=(Binding(EVENTS, "moved.old"),))
    await bus.declare([after])
    # A second declaration unbinds a binding that is already gone: the broker takes it as done.
    await bus.declare([after])

    with pytest.raises(PublishFailed):
        await bus.publish(create_envelope("old"), EVENTS, "moved.old")
    await bus.publish(create_envelope("new"), EVENTS, "moved.new")

    assert [Envelope.from_body(d.body).data["name"] for d in await bus.drain("test.moved")] == ["new"]
    await bus.close()


async def test_a_bad_payload_goes_to_dead_letters_with_its_reason_and_the_consumer_keeps_going(
        broker_url: str) -> None:
    bus = await started_bus(broker_url)
    handled: list[str] = []

    async def handler(delivery: Delivery) -> None:
        if "name" not in delivery.envelope.data:
            raise Rejected("bad payload: name is missing")
        handled.append(delivery.envelope.data["name"])

    await bus.consume(QUEUE, handler)
    await bus.publish_raw(b"this is not a cloud event", EVENTS, "test.garbage")
    await bus.publish(Envelope(type=ThingHappened.TYPE, source="/tests", data={"nom": 1}), EVENTS, "test.bad")
    await bus.publish(create_envelope("good"), EVENTS, "test.good")

    async def good_one_handled() -> bool:
        return handled == ["good"]

    await eventually(good_one_handled)
    dead = await bus.drain(DEAD_LETTERS)
    reasons = sorted(str(d.headers[REASON_HEADER]) for d in dead)
    assert len(dead) == 2
    assert reasons[0] == "bad payload: name is missing"
    assert "not a CloudEvents" in reasons[1]
    assert {d.headers["x-portal-origin-queue"] for d in dead} == {"test.events"}
    await bus.close()


async def test_a_burst_acked_in_runs_is_not_delivered_again_and_its_rejected_message_is_a_dead_letter(
        broker_url: str) -> None:
    bus = await started_bus(broker_url)
    handled: list[str] = []

    async def handler(delivery: Delivery) -> None:
        await asyncio.sleep(0)  # the rest of the burst waits behind this one, so acks are held back in runs
        if delivery.envelope.data["name"] == "17":
            raise Rejected("seventeen is refused")
        handled.append(delivery.envelope.data["name"])

    consumer = await bus.consume(QUEUE, handler)
    for n in range(60):
        await bus.publish(create_envelope(str(n)), EVENTS, "test.burst")

    async def all_handled() -> bool:
        return len(handled) == 59

    await eventually(all_handled)
    await consumer.cancel()
    again = Recorder()
    await bus.consume(QUEUE, again)
    await asyncio.sleep(1.0)
    assert again.seen == []
    assert handled == [str(n) for n in range(60) if n != 17]
    assert [str(d.headers[REASON_HEADER]) for d in await bus.drain(DEAD_LETTERS)] == ["seventeen is refused"]
    await bus.close()


async def test_a_burst_consumed_in_batches_is_applied_once_in_order_and_its_rejected_message_is_a_dead_letter(
        broker_url: str) -> None:
    bus = await started_bus(broker_url)
    batches: list[list[str]] = []

    async def handler(deliveries: list[Delivery]) -> None:
        names = [d.envelope.data["name"] for d in deliveries]
        await asyncio.sleep(0.01)  # a commit: the next deliveries gather meanwhile
        if "17" in names:
            raise Rejected("seventeen is refused")
        batches.append(names)

    consumer = await bus.consume_in_batches(QUEUE, handler)
    for n in range(60):
        await bus.publish(create_envelope(str(n)), EVENTS, "test.burst")

    async def all_applied() -> bool:
        return sum(map(len, batches)) == 59

    await eventually(all_applied)
    await consumer.cancel()
    again = Recorder()
    await bus.consume(QUEUE, again)
    await asyncio.sleep(1.0)
    assert again.seen == []
    assert [name for batch in batches for name in batch] == [str(n) for n in range(60) if n != 17]
    assert max(map(len, batches)) > 1
    assert [str(d.headers[REASON_HEADER]) for d in await bus.drain(DEAD_LETTERS)] == ["seventeen is refused"]
    await bus.close()


async def test_messages_published_one_by_one_reach_a_lingering_batch_handler_in_few_full_batches_each_once(
        broker_url: str) -> None:
    bus = await started_bus(broker_url)
    batches: list[list[str]] = []

    async def handler(deliveries: list[Delivery]) -> None:
        batches.append([d.envelope.data["name"] for d in deliveries])

    consumer = await bus.consume_in_batches(QUEUE, handler, prefetch=8, linger=5.0)
    started = time.monotonic()
    for n in range(20):
        await bus.publish(create_envelope(str(n)), EVENTS, "test.linger")
        await asyncio.sleep(0.01)

    async def all_applied() -> bool:
        return sum(map(len, batches)) == 20

    await eventually(all_applied, within=20)
    # Full batches go at once; only the last, short one waits out its linger.
    assert [len(batch) for batch in batches] == [8, 8, 4]
    assert 5.0 <= time.monotonic() - started < 10.0
    await consumer.cancel()
    again = Recorder()
    await bus.consume(QUEUE, again)
    await asyncio.sleep(1.0)
    assert again.seen == []
    assert [name for batch in batches for name in batch] == [str(n) for n in range(20)]
    await bus.close()


async def test_a_message_that_keeps_failing_is_dead_lettered_with_its_reason_after_bounded_retries(
        broker_url: str) -> None:
    bus = await started_bus(broker_url)
    attempts: list[int] = []

    async def always_fails(delivery: Delivery) -> None:
        attempts.append(delivery.delivery_count)
        raise RuntimeError("the database is down")

    await bus.consume(QUEUE, always_fails)
    await bus.publish(create_envelope(), EVENTS, "test.fails")
    dead: list[str] = []

    async def dead_lettered() -> bool:
        dead.extend(str(d.headers[REASON_HEADER]) for d in await bus.drain(DEAD_LETTERS))
        return len(dead) == 1

    await eventually(dead_lettered, within=20)
    assert len(attempts) == QUEUE.delivery_limit
    assert dead == [f"failed {QUEUE.delivery_limit} times: RuntimeError"]
    await bus.close()


async def test_a_message_that_fails_once_is_not_overtaken_by_the_ones_behind_it(broker_url: str) -> None:
    bus = await started_bus(broker_url)
    applied: list[str] = []
    failed_once: set[str] = set()

    async def flaky(delivery: Delivery) -> None:
        name = delivery.envelope.data["name"]
        if name == "1" and name not in failed_once:
            failed_once.add(name)
            raise ConnectionError("the database blinked")
        applied.append(name)

    for n in ("1", "2", "3"):
        await bus.publish(create_envelope(n), EVENTS, "test.ordered")
    await bus.consume(QUEUE, flaky)

    async def all_applied() -> bool:
        return len(applied) == 3

    await eventually(all_applied)
    assert applied == ["1", "2", "3"]
    await bus.close()


async def test_the_outbox_publishes_what_was_committed_before_a_crash(broker_url: str,
                                                                      database_url: str) -> None:
    engine = engine_for(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    async with UnitOfWork(engine, outbox, inbox, "/tests") as uow:
        await uow.publish(ThingHappened(name="committed"), exchange=EVENTS,
                          routing_key="test.committed")
        await uow.commit()
    await engine.dispose()  # the process dies here: committed, never published

    restarted = engine_for(database_url)
    bus = await started_bus(broker_url)
    recorder = Recorder()
    await bus.consume(QUEUE, recorder)
    relay = OutboxRelay(restarted, outbox, bus, "tests", poll_seconds=0.1)
    relay.start()

    async def published() -> bool:
        return len(recorder.seen) == 1

    await eventually(published)
    assert recorder.seen[0].envelope.data == {"name": "committed"}
    # The consumer can have it before the relay has the broker's confirm: on SQLite (no row locks) a second
    # publisher asked meanwhile would send it again. Once the relay has stopped, it is marked sent.
    await relay.stop()
    assert await relay.publish_pending() == 0
    await bus.close()
    await restarted.dispose()


async def test_a_rolled_back_change_publishes_nothing(broker_url: str, sqlite_url: str) -> None:
    engine = engine_for(sqlite_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    async with UnitOfWork(engine, outbox, inbox, "/tests") as uow:
        await uow.publish(ThingHappened(name="never"), exchange=EVENTS,
                          routing_key="test.never")
    bus = await started_bus(broker_url)
    assert await OutboxRelay(engine, outbox, bus, "tests").publish_pending() == 0
    await bus.close()
    await engine.dispose()


async def test_a_redelivered_event_is_applied_once(broker_url: str, database_url: str) -> None:
    engine = engine_for(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    crashed_once: list[str] = []

    async def apply(delivery: Delivery) -> None:
        async with UnitOfWork(engine, outbox, inbox, "/tests") as uow:
            if not await uow.claim(delivery.envelope.id, "tests.apply"):
                return
            await uow.connection.execute(effects.insert().values(event_id=delivery.envelope.id))
            await uow.commit()
        if not crashed_once:
            crashed_once.append(delivery.envelope.id)
            raise ConnectionError("died after commit, before the ack")

    bus = await started_bus(broker_url)
    await bus.consume(QUEUE, apply)
    envelope = create_envelope("once")
    await bus.publish(envelope, EVENTS, "test.once")
    await bus.publish(envelope, EVENTS, "test.once")  # a producer's retry after a lost confirm

    async def both_handled() -> bool:
        async with engine.connect() as connection:
            rows = (await connection.execute(inbox.select())).all()
        return len(rows) == 1 and len(crashed_once) == 1

    await eventually(both_handled)
    await asyncio.sleep(0.5)
    async with engine.connect() as connection:
        applied = (await connection.execute(effects.select())).all()
    assert [row.event_id for row in applied] == [envelope.id]
    await bus.close()
    await engine.dispose()


async def test_the_consumers_reconnect_after_the_broker_closes_all_connections(broker_url: str) -> None:
    """A replica's own queue of hints (exclusive, consumed without acks, as the gateway's live updates) is declared,
    bound and consumed again with the connection, as the durable queue's consumer is."""
    rabbitmqctl = shutil.which("rabbitmqctl")
    if rabbitmqctl is None:
        if IN_CI:
            pytest.fail("rabbitmqctl is needed to close the broker's connections")
        pytest.skip("rabbitmqctl is not installed")
    bus = await started_bus(broker_url)
    recorder, hints = Recorder(), Recorder()
    await bus.consume(QUEUE, recorder)
    await bus.consume(QueueSpec(f"test.hints.{uuid.uuid4().hex[:8]}", (Binding(EVENTS, "test.#"),),
                                dead_letters=False, exclusive=True), hints, acknowledged=False)
    await bus.publish(create_envelope("before"), EVENTS, "test.before")

    async def got_before() -> bool:
        return len(recorder.seen) == len(hints.seen) == 1

    await eventually(got_before)
    await asyncio.to_thread(subprocess.run, [rabbitmqctl, "close_all_connections", "test: reconnect"],
                            check=True, capture_output=True, timeout=60)

    async def hinted_after_reconnecting() -> bool:
        # The publisher may be back before the hints' queue is declared again: what it publishes meanwhile reaches
        # only the durable queue, so it publishes again until the hints' consumer has one too.
        with contextlib.suppress(PublishFailed):
            await bus.publish(create_envelope("after"), EVENTS, "test.after")
        await asyncio.sleep(0.5)
        return any(hint.envelope.data["name"] == "after" for hint in hints.seen)

    await eventually(hinted_after_reconnecting, within=30)

    async def consumed_after() -> bool:
        return any(seen.envelope.data["name"] == "after" for seen in recorder.seen)

    await eventually(consumed_after, within=30)
    assert await bus.is_ready()
    await bus.close()


async def test_a_message_whose_consumer_keeps_dying_is_dead_lettered_by_the_broker_with_the_reason(
        broker_url: str) -> None:
    bus = await started_bus(broker_url)
    await bus.publish(create_envelope("crashes-the-consumer"), EVENTS, "test.crash")
    connection = await aio_pika.connect(broker_url)
    for _ in range(QUEUE.delivery_limit + 1):
        # A consumer process that dies while holding the message: the broker takes it back unacknowledged.
        channel = await connection.channel()
        queue = await channel.get_queue(QUEUE.name, ensure=False)
        taken = await queue.get(no_ack=False, fail=False, timeout=5)
        await channel.close()
        if taken is None:
            break
    await connection.close()
    dead: list[RawDelivery] = []

    async def dead_lettered() -> bool:
        dead.extend(await bus.drain(DEAD_LETTERS))
        return len(dead) == 1

    await eventually(dead_lettered)
    facts = dead_letter_facts(dead[0])
    assert facts.queue == QUEUE.name
    assert facts.routing_key == "test.crash"
    assert facts.reason.startswith("broker: delivered")
    await bus.close()


async def test_a_replayed_dead_letter_reaches_only_its_own_queue_with_its_routing_key(broker_url: str) -> None:
    bus = await started_bus(broker_url)
    other = QueueSpec("test.other", (Binding(EVENTS, "test.#"),))
    await bus.declare([other])
    recorder = Recorder()
    await bus.consume(QUEUE, recorder)
    dead = RawDelivery(create_envelope("again").to_body(), "test.replayed", {}, user_id="ministry-rop")
    await bus.replay(dead, QUEUE.name, replay_of="letter-1")

    async def delivered() -> bool:
        return len(recorder.seen) == 1

    await eventually(delivered)
    [delivery] = recorder.seen
    assert delivery.routing_key == "test.replayed"
    assert delivery.user_id == "ministry-rop"
    assert await bus.drain(other.name) == []
    await bus.close()


async def test_hints_consumed_without_acks_are_each_handled_once_and_a_bad_one_is_dropped_not_dead_lettered(
        broker_url: str) -> None:
    bus = await started_bus(broker_url)
    hints = QueueSpec("test.hints", (Binding(EVENTS, "test.hint.*"),), dead_letters=False, exclusive=True)
    handled: list[str] = []

    async def handler(delivery: Delivery) -> None:
        if "name" not in delivery.envelope.data:
            raise Rejected("bad payload: name is missing")
        handled.append(delivery.envelope.data["name"])

    consumer = await bus.consume(hints, handler, acknowledged=False)
    await bus.publish(Envelope(type=ThingHappened.TYPE, source="/tests", data={"nom": 1}), EVENTS, "test.hint.bad")
    for name in ("first", "second"):
        await bus.publish(create_envelope(name), EVENTS, "test.hint.good")

    async def both_handled() -> bool:
        return handled == ["first", "second"]

    await eventually(both_handled)
    await consumer.cancel()
    again = Recorder()
    await bus.consume(hints, again)
    await asyncio.sleep(0.5)
    assert again.seen == []
    assert await bus.drain(DEAD_LETTERS) == []
    await bus.close()


async def test_hints_piling_up_behind_a_slow_handler_keep_only_the_newest_as_a_drop_head_queue_would(
        broker_url: str) -> None:
    bus = await started_bus(broker_url)
    name = f"test.hints.{uuid.uuid4().hex[:8]}"
    hints = QueueSpec(name, (Binding(EVENTS, "test.slow.*"),), dead_letters=False, exclusive=True)
    release = asyncio.Event()
    handled: list[str] = []

    async def handler(delivery: Delivery) -> None:
        handled.append(delivery.envelope.data["name"])
        await release.wait()

    await bus.consume(hints, handler, prefetch=4, acknowledged=False)
    await bus.publish(create_envelope("0"), EVENTS, "test.slow.hint")

    async def first_in_hand() -> bool:
        return handled == ["0"]

    await eventually(first_in_hand)
    for n in range(1, 11):
        await bus.publish(create_envelope(str(n)), EVENTS, "test.slow.hint")

    async def six_dropped() -> bool:
        return REGISTRY.get_sample_value("portal_bus_hints_dropped_total", {"queue": name}) == 6

    await eventually(six_dropped)
    release.set()

    async def newest_handled() -> bool:
        return handled == ["0", "7", "8", "9", "10"]

    await eventually(newest_handled)
    await bus.close()
