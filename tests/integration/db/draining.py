"""Another process writing to a SQLite file until its standard input closes: draining a backlog as a requests worker
does after an outage (writers in turn, back to back, each holding the write lock a while), or holding one
transaction open all along ("hold", a process stopped mid-transaction; it prints "holding" once it holds it)."""

import asyncio
import sys

from sqlalchemy import insert, text

from shared.db import UnitOfWork, engine_for
from tests.integration.bus.helpers import effects, inbox, outbox

WRITERS = 8
HOLD_SECONDS = 0.03


async def drain(url: str, closed: "asyncio.Future[str]") -> None:
    engine = engine_for(url)

    async def write() -> None:
        while not closed.done():
            async with UnitOfWork(engine, outbox, inbox, "/backlog") as uow:
                await uow.connection.execute(insert(effects).values(event_id="backlog"))
                await asyncio.sleep(HOLD_SECONDS)
                await uow.commit()

    await asyncio.gather(*(write() for _ in range(WRITERS)))
    await engine.dispose()


async def hold(url: str, closed: "asyncio.Future[str]") -> None:
    engine = engine_for(url)
    async with UnitOfWork(engine, outbox, inbox, "/holder") as uow:
        await uow.connection.execute(text("SELECT 1"))  # BEGIN IMMEDIATE: SQLite's write lock, until the end
        print("holding", flush=True)
        await closed
    await engine.dispose()


async def main(url: str, mode: str) -> None:
    closed = asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await (hold if mode == "hold" else drain)(url, closed)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "drain"))
