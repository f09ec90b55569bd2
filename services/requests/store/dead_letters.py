from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from services.requests.store.tables import dead_letters
from shared.db import UnitOfWork


@dataclass(frozen=True)
class DeadLetterRow:
    id: str
    queue: str
    routing_key: str
    reason: str
    sender: str | None
    message_id: str | None
    event_type: str | None
    subject: str | None
    body: bytes
    headers: dict[str, Any]
    received_at: datetime
    status: str
    resolved_at: datetime | None
    resolved_by: str | None
    resolution_note: str | None


class DeadLetters:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def add(self, row: DeadLetterRow) -> bool:
        """False when this dead letter is already kept (a redelivery)."""
        connection = self._uow.connection
        if (await connection.execute(select(dead_letters.c.id).where(dead_letters.c.id == row.id))).first():
            return False
        await connection.execute(dead_letters.insert().values(**row.__dict__))
        return True

    async def get(self, id_: str, *, for_update: bool = False) -> DeadLetterRow | None:
        query = select(dead_letters).where(dead_letters.c.id == id_)
        if for_update:
            query = query.with_for_update()
        row = (await self._uow.connection.execute(query)).mappings().first()
        return DeadLetterRow(**row) if row else None

    async def listing(self, *, queue: str | None, status: str | None, limit: int, offset: int
                      ) -> tuple[int, list[DeadLetterRow]]:
        conditions = []
        if queue is not None:
            conditions.append(dead_letters.c.queue == queue)
        if status is not None:
            conditions.append(dead_letters.c.status == status)
        connection = self._uow.connection
        total = (await connection.execute(select(func.count()).select_from(dead_letters).where(*conditions))
                 ).scalar()
        rows = await connection.execute(select(dead_letters).where(*conditions)
                                        .order_by(dead_letters.c.received_at.desc(), dead_letters.c.id)
                                        .limit(limit).offset(offset))
        return int(total or 0), [DeadLetterRow(**r) for r in rows.mappings()]

    async def pending_per_queue(self) -> dict[str, int]:
        rows = await self._uow.connection.execute(
            select(dead_letters.c.queue, func.count().label("n")).where(dead_letters.c.status == "pending")
            .group_by(dead_letters.c.queue))
        return {r.queue: int(r.n) for r in rows}

    async def pending_ids(self, queue: str, limit: int) -> list[str]:
        rows = await self._uow.connection.execute(
            select(dead_letters.c.id).where(dead_letters.c.queue == queue, dead_letters.c.status == "pending")
            .order_by(dead_letters.c.received_at, dead_letters.c.id).limit(limit))
        return [r.id for r in rows]

    async def resolve(self, id_: str, status: str, actor: str, note: str | None, at: datetime) -> None:
        await self._uow.connection.execute(update(dead_letters).where(dead_letters.c.id == id_).values(
            status=status, resolved_at=at, resolved_by=actor, resolution_note=note))
