"""A reader sees one moment of the database, so the figures on one page always agree; a read run in one go sees
what was committed before it (and, in a writing unit of work, that unit's own rows), and never writes."""

import asyncio
import time
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from shared.contracts.base import IntegrationEvent
from shared.db import UnitOfWork, dispose, engine_for
from shared.db.engine import writer_for
from tests.integration.bus.helpers import effects, inbox, metadata, outbox

pytestmark = pytest.mark.integration


async def test_a_read_only_unit_of_work_sees_one_snapshot_while_others_commit(postgres_url: str) -> None:
    engine = engine_for(postgres_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    try:
        async with UnitOfWork(engine, outbox, inbox, "/tests", read_only=True) as reader:
            before = (await reader.connection.execute(select(func.count()).select_from(effects))).scalar()
            async with engine.begin() as writer:
                await writer.execute(insert(effects).values(event_id="written-meanwhile"))
            after = (await reader.connection.execute(select(func.count()).select_from(effects))).scalar()
        assert before == after == 0
        async with UnitOfWork(engine, outbox, inbox, "/tests", read_only=True) as later:
            assert (await later.connection.execute(select(func.count()).select_from(effects))).scalar() == 1
    finally:
        await engine.dispose()


def count_effects(connection: Connection) -> int:
    return int(connection.execute(select(func.count()).select_from(effects)).scalar_one())


async def test_a_read_sees_every_commit_before_it_and_a_writer_s_read_sees_its_own_uncommitted_rows(
        database_url: str) -> None:
    engine = engine_for(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    try:
        assert await UnitOfWork(engine, outbox, inbox, "/tests", read_only=True).read(count_effects) == 0
        async with engine.begin() as writer:
            await writer.execute(insert(effects).values(event_id="committed"))
        assert await UnitOfWork(engine, outbox, inbox, "/tests", read_only=True).read(count_effects) == 1
        async with UnitOfWork(engine, outbox, inbox, "/tests") as uow:
            await uow.connection.execute(insert(effects).values(event_id="not-yet-committed"))
            assert await uow.read(count_effects) == 2
        async with UnitOfWork(engine, outbox, inbox, "/tests", read_only=True) as reader:
            assert await reader.read(count_effects) == 1
    finally:
        await dispose(engine)


async def test_a_read_only_read_on_sqlite_cannot_write(sqlite_url: str) -> None:
    engine = engine_for(sqlite_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    try:
        with pytest.raises(OperationalError, match="readonly"):
            await UnitOfWork(engine, outbox, inbox, "/tests", read_only=True).read(
                lambda connection: connection.execute(insert(effects).values(event_id="sneaked-in")))
        async with engine.connect() as connection:
            assert await connection.run_sync(count_effects) == 0
    finally:
        await dispose(engine)


class EffectMade(IntegrationEvent):
    TYPE = "om.portal.test.effect_made.v1"
    event_id: str


async def make_effect(uow: UnitOfWork) -> str:
    await uow.connection.execute(insert(effects).values(event_id="made-in-one-hop"))
    await uow.publish(EffectMade(event_id="made-in-one-hop"), exchange="portal.events", routing_key="tests.effect")
    async with uow.savepoint():
        await uow.connection.execute(insert(effects).values(event_id="kept-in-its-savepoint"))
    await uow.commit()
    return "done"


async def test_work_run_in_one_hop_commits_its_rows_with_its_events_and_on_sqlite_makes_no_trip_through_aiosqlite(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = engine_for(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    hops: list[object] = []
    to_aiosqlite: Any = aiosqlite.Connection._execute

    async def counted(connection: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        hops.append(fn)
        return await to_aiosqlite(connection, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    try:
        async with UnitOfWork(engine, outbox, inbox, "/tests", deadline=asyncio.get_running_loop().time() + 10
                              ).in_one_hop() as uow:
            assert await uow.run(make_effect) == "done"
        # Each statement, BEGIN and COMMIT were a trip to aiosqlite's thread and back: none is left.
        assert hops == []
        async with engine.connect() as connection:
            assert await connection.run_sync(count_effects) == 2
            assert (await connection.execute(select(func.count()).select_from(outbox))).scalar() == 1
    finally:
        await dispose(engine)


async def undo_then_make_effect(uow: UnitOfWork) -> str:
    await uow.connection.execute(insert(effects).values(event_id="undone"))
    await uow.publish(EffectMade(event_id="undone"), exchange="portal.events", routing_key="tests.effect")
    await uow.rollback()
    return await make_effect(uow)


@pytest.mark.parametrize("one_hop", [True, False])
async def test_a_unit_of_work_rolled_back_stays_open_and_commits_only_what_it_wrote_and_published_after(
        database_url: str, one_hop: bool) -> None:
    engine = engine_for(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    try:
        uow = UnitOfWork(engine, outbox, inbox, "/tests", deadline=asyncio.get_running_loop().time() + 10)
        async with uow.in_one_hop() if one_hop else uow:
            assert await uow.run(undo_then_make_effect) == "done"
        async with engine.connect() as connection:
            made = (await connection.execute(select(effects.c.event_id).order_by(effects.c.event_id))).scalars()
            assert list(made) == ["kept-in-its-savepoint", "made-in-one-hop"]
            assert (await connection.execute(select(func.count()).select_from(outbox))).scalar() == 1
            if engine.dialect.name == "postgresql":
                # The deadline's lock timeout holds in the transaction begun afresh.
                async with UnitOfWork(engine, outbox, inbox, "/tests",
                                      deadline=asyncio.get_running_loop().time() + 10) as again:
                    await again.rollback()
                    timeout = (await again.connection.execute(text("SHOW lock_timeout"))).scalar()
                    assert timeout != "0"
    finally:
        await dispose(engine)


async def test_on_sqlite_a_commit_made_in_one_hop_is_as_durable_as_one_made_through_the_async_engine(
        sqlite_url: str) -> None:
    engine = engine_for(sqlite_url)
    writer = writer_for(engine)
    assert writer is not None
    try:
        async with engine.connect() as connection:
            settings = [(await connection.execute(text(f"PRAGMA {name}"))).scalar()
                        for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")]
        with writer.connect() as connection:
            assert [connection.execute(text(f"PRAGMA {name}")).scalar()
                    for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")] == settings
        assert settings[0] == "wal"
    finally:
        await dispose(engine)


async def test_on_sqlite_work_run_in_one_hop_whose_task_is_cancelled_is_not_committed(sqlite_url: str) -> None:
    engine = engine_for(sqlite_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    writer = writer_for(engine)
    assert writer is not None

    def slow_disk(*_: Any) -> None:
        time.sleep(0.3)

    event.listen(writer, "before_cursor_execute", slow_disk)
    try:
        async def write() -> None:
            async with UnitOfWork(engine, outbox, inbox, "/tests").in_one_hop() as uow:
                await uow.run(make_effect)

        writing = asyncio.create_task(write())
        await asyncio.sleep(0.1)
        writing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await writing
        event.remove(writer, "before_cursor_execute", slow_disk)
        async with engine.connect() as connection:
            # The service stopping mid-write: its callers were told it failed, and it was not made after all.
            assert await connection.run_sync(count_effects) == 0
    finally:
        await dispose(engine)


async def test_a_batch_of_events_is_claimed_in_one_statement_each_event_once_and_a_redelivered_one_not_again(
        database_url: str) -> None:
    engine = engine_for(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    statements: list[str] = []

    def counted(*args: Any) -> None:
        statements.append(args[2])

    try:
        async with UnitOfWork(engine, outbox, inbox, "/tests") as uow:
            assert await uow.claim("first", "search.popularity")
            await uow.commit()
        event.listen(engine.sync_engine, "before_cursor_execute", counted)
        async with UnitOfWork(engine, outbox, inbox, "/tests") as uow:
            claimed = await uow.claim_many([("first", "search.popularity"), ("second", "search.popularity"),
                                            ("second", "search.popularity"), ("second", "notifications.status")])
            await uow.commit()
        event.remove(engine.sync_engine, "before_cursor_execute", counted)
        assert claimed == {("second", "search.popularity"), ("second", "notifications.status")}
        assert len([s for s in statements if s.lstrip().upper().startswith("INSERT")]) == 1
        async with UnitOfWork(engine, outbox, inbox, "/tests") as uow:
            assert await uow.claim_many([("second", "search.popularity")]) == set()
            assert await uow.claim_many([]) == set()
        async with engine.connect() as connection:
            assert (await connection.execute(select(func.count()).select_from(inbox))).scalar() == 3
    finally:
        await dispose(engine)
