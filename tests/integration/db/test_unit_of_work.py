"""A reader sees one moment of the database, so the figures on one page always agree; a read run in one go sees
what was committed before it (and, in a writing unit of work, that unit's own rows), and never writes."""

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from shared.db import UnitOfWork, dispose, engine_for
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
