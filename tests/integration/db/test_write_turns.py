"""SQLite has one writer at a time: a citizen's write waits for the transaction another process has in flight,
never for the whole backlog that process is draining (a requests worker after an outage)."""

import asyncio
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from shared.db import UnitOfWork, engine_for
from tests.integration.bus.helpers import effects, eventually, inbox, metadata, outbox

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def backlog_rows(connection):  # type: ignore[no-untyped-def]
    return connection.execute(select(func.count()).select_from(effects).where(effects.c.event_id == "backlog"))


async def test_a_write_waits_for_the_other_process_s_transaction_in_flight_not_for_its_backlog(
        sqlite_url: str) -> None:
    engine = engine_for(sqlite_url)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    drainer = await asyncio.create_subprocess_exec(sys.executable, "-m", "tests.integration.db.draining", sqlite_url,
                                                   stdin=asyncio.subprocess.PIPE, cwd=ROOT)
    try:
        async def draining() -> bool:
            async with engine.connect() as connection:
                return int((await backlog_rows(connection)).scalar()) >= 3

        await eventually(draining, within=30)
        overtaken = []
        for _ in range(20):
            async with engine.connect() as connection:
                before = int((await backlog_rows(connection)).scalar())
            async with UnitOfWork(engine, outbox, inbox, "/tests") as uow:
                await uow.connection.execute(insert(effects).values(event_id="citizen"))
                overtaken.append(int((await backlog_rows(uow.connection)).scalar()) - before)
                await uow.commit()
    finally:
        assert drainer.stdin is not None
        drainer.stdin.close()
        await asyncio.wait_for(drainer.wait(), timeout=30)
        await engine.dispose()

    # The transaction in flight when it asked, and a few more when the machine is loaded (the woken waiter does not
    # always run before the other process asks again): not a backlog's worth (SQLite's busy handler let 14 to 245 by).
    assert max(overtaken) <= 8, overtaken
