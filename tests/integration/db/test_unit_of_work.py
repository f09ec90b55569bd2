"""A reader sees one moment of the database, so the figures on one page always agree."""

import pytest
from sqlalchemy import func, insert, select

from shared.db import UnitOfWork, engine_for
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
