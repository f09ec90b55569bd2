import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import Column, Integer, MetaData, String, Table, func, select

from shared.bus import Delivery
from shared.db import inbox_table, outbox_table

metadata = MetaData()
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)
effects = Table("effects", metadata, Column("id", Integer, primary_key=True), Column("event_id", String(36)))


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError("the expected outcome did not happen in time")
        await asyncio.sleep(0.05)


@dataclass
class Recorder:
    seen: list[Delivery] = field(default_factory=list)

    async def __call__(self, delivery: Delivery) -> None:
        self.seen.append(delivery)


async def count(connection_factory: Callable[[], object], table: Table) -> int:
    async with connection_factory() as connection:  # type: ignore[attr-defined]
        return int((await connection.execute(select(func.count()).select_from(table))).scalar())
