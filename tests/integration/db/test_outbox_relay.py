"""The outbox relay under a burst: one request's many events never hold up another request's, and each request's
events still reach their consumers in the order they were committed."""

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import select

from shared.bus import Bus, connect_bus
from shared.bus.topology import EVENTS, STATUS_CHANGED, Binding, QueueSpec, subject_key
from shared.contracts.base import IntegrationEvent
from shared.db import OutboxRelay, UnitOfWork, engine_for
from shared.db import outbox as outbox_module
from tests.integration.bus.helpers import Recorder, eventually, inbox, metadata, outbox

pytestmark = pytest.mark.integration
QUEUE = QueueSpec("test.relay", (Binding(EVENTS, "relay.#"),))
BURST = 60


class StepTaken(IntegrationEvent):
    TYPE = "om.portal.test.step_taken.v1"
    step: int


async def commit_events(database_url: str, events: list[tuple[str, str, int]]) -> None:
    engine = engine_for(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    async with UnitOfWork(engine, outbox, inbox, "/tests") as uow:
        for subject, routing_key, step in events:
            await uow.publish(StepTaken(step=step), exchange=EVENTS, routing_key=routing_key, subject=subject)
        await uow.commit()
    await engine.dispose()


async def consuming(broker_url: str) -> tuple[Bus, Recorder]:
    """A bus with the test queue declared, and what its consumer has received."""
    bus = connect_bus(broker_url, name="test")
    await bus.start()
    await bus.declare([QUEUE])
    recorder = Recorder()
    await bus.consume(QUEUE, recorder)
    return bus, recorder


async def test_a_burst_of_one_requests_events_does_not_hold_up_another_requests_event(
        broker_url: str, database_url: str) -> None:
    # A ministry's backlog applied at once, then one event of another ministry's request committed behind it.
    await commit_events(database_url, [("ROP-2026-000001-1", "relay.rop", step) for step in range(BURST)]
                        + [("MOH-2026-000001-2", "relay.moh", 0)])
    bus, recorder = await consuming(broker_url)
    engine = engine_for(database_url)
    try:
        assert await OutboxRelay(engine, outbox, bus, "tests").publish_pending() == BURST + 1

        async def all_arrived() -> bool:
            return len(recorder.seen) == BURST + 1

        await eventually(all_arrived)
        subjects = [delivery.envelope.subject for delivery in recorder.seen]
        # It went out beside the burst's first events, not after all of them.
        assert subjects.index("MOH-2026-000001-2") < 5
        assert [d.envelope.data["step"] for d in recorder.seen if d.envelope.subject == "ROP-2026-000001-1"] == \
            list(range(BURST))
    finally:
        await bus.close()
        await engine.dispose()


async def test_a_status_change_also_reaches_a_queue_bound_to_its_request_alone(broker_url: str,
                                                                               database_url: str) -> None:
    """As a gateway replica binds the requests its citizens are watching."""
    await commit_events(database_url, [("ROP-2026-000001-1", STATUS_CHANGED, 1),
                                       ("MOH-2026-000001-2", STATUS_CHANGED, 2)])
    bus = connect_bus(broker_url, name="test")
    await bus.start()
    await bus.declare([])
    engine = engine_for(database_url)
    try:
        every, watched = Recorder(), Recorder()
        run = uuid.uuid4().hex[:8]
        await bus.consume(QueueSpec(f"test.status.{run}", (Binding(EVENTS, STATUS_CHANGED),), dead_letters=False,
                                    exclusive=True), every, acknowledged=False)
        watcher = await bus.consume(QueueSpec(f"test.watch.{run}", dead_letters=False, exclusive=True), watched,
                                    acknowledged=False)
        await watcher.bind(EVENTS, subject_key(STATUS_CHANGED, "ROP-2026-000001-1"))
        assert await OutboxRelay(engine, outbox, bus, "tests").publish_pending() == 2

        async def both_arrived() -> bool:
            return len(every.seen) == 2 and bool(watched.seen)

        await eventually(both_arrived)
        await asyncio.sleep(0.3)  # time for a second copy or the other request's change to show, were either sent
        assert [(d.envelope.subject, d.routing_key) for d in watched.seen] == [("ROP-2026-000001-1", STATUS_CHANGED)]
    finally:
        await bus.close()
        await engine.dispose()


async def test_an_event_the_broker_refuses_holds_back_only_its_own_requests_later_events(
        broker_url: str, database_url: str) -> None:
    await commit_events(database_url, [("ROP-2026-000001-1", "nobody.listens", 0),
                                       ("ROP-2026-000001-1", "relay.rop", 1),
                                       ("MOH-2026-000001-2", "relay.moh", 0)])
    bus, _ = await consuming(broker_url)
    engine = engine_for(database_url)
    try:
        assert await OutboxRelay(engine, outbox, bus, "tests").publish_pending() == 1
        async with engine.connect() as connection:
            rows = (await connection.execute(select(outbox.c.subject, outbox.c.routing_key, outbox.c.sent_at,
                                                    outbox.c.last_error).order_by(outbox.c.position))).all()
        assert [(subject, sent_at is not None) for subject, _, sent_at, _ in rows] == [
            ("ROP-2026-000001-1", False), ("ROP-2026-000001-1", False), ("MOH-2026-000001-2", True)]
        assert rows[0].last_error and "nobody.listens" in rows[0].last_error
    finally:
        await bus.close()
        await engine.dispose()


async def test_only_the_rows_the_broker_confirmed_are_marked_sent_when_a_refused_one_lies_between_them(
        broker_url: str, database_url: str) -> None:
    await commit_events(database_url, [("MOH-2026-000001-1", "relay.moh", 0),
                                       ("ROP-2026-000001-2", "nobody.listens", 0),
                                       ("MOH-2026-000002-3", "relay.moh", 0),
                                       ("ROP-2026-000001-2", "relay.rop", 1),
                                       ("MOH-2026-000003-4", "relay.moh", 0)])
    bus, _ = await consuming(broker_url)
    engine = engine_for(database_url)
    try:
        assert await OutboxRelay(engine, outbox, bus, "tests").publish_pending() == 3
        async with engine.connect() as connection:
            rows = (await connection.execute(select(outbox.c.subject, outbox.c.sent_at, outbox.c.attempts)
                                             .order_by(outbox.c.position))).all()
        assert [(subject, sent_at is not None, attempts) for subject, sent_at, attempts in rows] == [
            ("MOH-2026-000001-1", True, 1), ("ROP-2026-000001-2", False, 1), ("MOH-2026-000002-3", True, 1),
            ("ROP-2026-000001-2", False, 0), ("MOH-2026-000003-4", True, 1)]
    finally:
        await bus.close()
        await engine.dispose()


async def test_on_sqlite_rows_keep_going_out_while_the_mark_of_the_last_batch_waits_for_the_write_lock(
        broker_url: str, sqlite_url: str) -> None:
    await commit_events(sqlite_url, [(f"MOH-2026-00000{n}-1", "relay.moh", n) for n in range(4)])
    bus, recorder = await consuming(broker_url)
    engine = engine_for(sqlite_url)
    relay = OutboxRelay(engine, outbox, bus, "tests", poll_seconds=0.05, batch=2)
    # Another process's writer holds the database's write lock (a burst of them, as a ministry's backlog drains).
    other_writer = sqlite3.connect(sqlite_url.removeprefix("sqlite+aiosqlite:///"), isolation_level=None)
    other_writer.execute("BEGIN IMMEDIATE")
    try:
        relay.start()

        async def all_arrived() -> bool:
            return len(recorder.seen) == 4

        await eventually(all_arrived)
        other_writer.execute("COMMIT")

        async def all_marked() -> bool:
            async with engine.connect() as connection:
                unsent = await connection.execute(select(outbox.c.position).where(outbox.c.sent_at.is_(None)))
                return not unsent.all()

        await eventually(all_marked)
        await relay.stop()
        assert sorted(d.envelope.data["step"] for d in recorder.seen) == [0, 1, 2, 3]
    finally:
        other_writer.close()
        await relay.stop()
        await bus.close()
        await engine.dispose()


async def test_on_sqlite_a_row_marked_sent_while_the_next_batch_was_read_is_not_published_twice(
        broker_url: str, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    await commit_events(sqlite_url, [("MOH-2026-000001-1", "relay.moh", 0), ("MOH-2026-000002-2", "relay.moh", 1)])
    bus, recorder = await consuming(broker_url)
    engine = engine_for(sqlite_url)
    relay = OutboxRelay(engine, outbox, bus, "tests", poll_seconds=0.05, batch=1)
    # Another writer holds the write lock, so the first row's mark waits while the second batch is read.
    other_writer = sqlite3.connect(sqlite_url.removeprefix("sqlite+aiosqlite:///"), isolation_level=None,
                                   check_same_thread=False)
    other_writer.execute("BEGIN IMMEDIATE")
    read_rows = outbox_module._read_rows
    reads = 0

    def read_then_let_the_mark_finish(*args: Any) -> Sequence[Any]:
        nonlocal reads
        rows = read_rows(*args)
        reads += 1
        if reads == 2:
            # The snapshot has the first row unsent; its mark now commits and finishes before the read returns.
            other_writer.execute("COMMIT")
            deadline = time.monotonic() + 10
            while relay._unmarked and time.monotonic() < deadline:
                time.sleep(0.01)
        return rows

    monkeypatch.setattr(outbox_module, "_read_rows", read_then_let_the_mark_finish)
    try:
        relay.start()

        async def both_arrived() -> bool:
            return len(recorder.seen) >= 2

        await eventually(both_arrived)
        await relay.stop()
        await asyncio.sleep(0.3)
        assert sorted(d.envelope.data["step"] for d in recorder.seen) == [0, 1]
    finally:
        if other_writer.in_transaction:
            other_writer.execute("COMMIT")
        other_writer.close()
        await relay.stop()
        await bus.close()
        await engine.dispose()


async def test_commits_right_behind_the_one_that_woke_the_relay_go_out_in_its_batch(
        broker_url: str, database_url: str) -> None:
    await commit_events(database_url, [])
    bus, recorder = await consuming(broker_url)
    engine = engine_for(database_url)
    # Lingering far longer than three commits take on a loaded machine.
    relay = OutboxRelay(engine, outbox, bus, "tests", poll_seconds=30, linger_seconds=2.0)
    published: list[int] = []
    publish_batch = relay._publish_batch

    async def counted() -> int:
        published.append(await publish_batch())
        return published[-1]

    relay._publish_batch = counted  # type: ignore[method-assign]
    relay.start()
    try:
        async def started_and_idle() -> bool:
            return bool(published)

        # Its first pass, on start, drains what an earlier run left: a commit that raced it went out alone.
        await eventually(started_and_idle)
        for step in range(3):
            async with UnitOfWork(engine, outbox, inbox, "/tests", relay) as uow:
                await uow.publish(StepTaken(step=step), exchange=EVENTS, routing_key="relay.rop",
                                  subject=f"ROP-2026-00000{step}-1")
                await uow.commit()

        async def all_arrived_and_marked() -> bool:
            return len(recorder.seen) == 3 and sum(published) == 3

        await eventually(all_arrived_and_marked)
        assert [n for n in published if n] == [3]
    finally:
        await relay.stop()
        await bus.close()
        await engine.dispose()
