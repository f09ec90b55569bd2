import functools
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import Connection, Executable, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.requests.store.tables import idempotency_keys
from shared.db import UnitOfWork


@dataclass(frozen=True)
class KeptAnswer:
    fingerprint: str
    created_at: datetime
    status_code: int | None
    response: dict[str, Any] | None


# Built once, as the submission's other statements (see Requests): built per submission they cost more than SQLite
# running them.
_ANSWER = (update(idempotency_keys).where(idempotency_keys.c.citizen == bindparam("of_citizen"),
                                          idempotency_keys.c.key == bindparam("of_key"))
           .values(status_code=bindparam("status_code"), response=bindparam("response")))


@functools.cache
def _take(dialect: str) -> Executable:
    upsert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    return upsert(idempotency_keys).on_conflict_do_nothing()


class IdempotencyKeys:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def take(self, citizen: str, key: str, fingerprint: str, at: datetime) -> bool:
        """Hold the key for this transaction; False when another submission holds or held it.

        On PostgreSQL a concurrent holder makes this wait until it commits or rolls back, so the loser reads
        the winner's answer; SQLite serialises writers, so it never sees a holder in flight.
        """
        connection = self._uow.connection
        done = await connection.execute(_take(connection.dialect.name), {
            "citizen": citizen, "key": key, "fingerprint": fingerprint, "created_at": at})
        return bool(done.rowcount)

    async def get(self, citizen: str, key: str) -> KeptAnswer | None:
        """In one hop to the driver (UnitOfWork.read): a read-only unit of work need not be entered for it."""
        return await self._uow.read(partial(_kept, citizen=citizen, key=key))

    async def answer(self, citizen: str, key: str, status_code: int, response: dict[str, Any]) -> None:
        await self._uow.connection.execute(_ANSWER, {"of_citizen": citizen, "of_key": key,
                                                     "status_code": status_code, "response": response})

    async def forget(self, citizen: str, key: str) -> None:
        await self._uow.connection.execute(delete(idempotency_keys).where(
            idempotency_keys.c.citizen == citizen, idempotency_keys.c.key == key))

    async def forget_older_than(self, before: datetime) -> int:
        done = await self._uow.connection.execute(delete(idempotency_keys).where(
            idempotency_keys.c.created_at < before))
        return int(done.rowcount or 0)


def _kept(connection: Connection, citizen: str, key: str) -> KeptAnswer | None:
    row = connection.execute(select(idempotency_keys).where(
        idempotency_keys.c.citizen == citizen, idempotency_keys.c.key == key)).first()
    return KeptAnswer(row.fingerprint, row.created_at, row.status_code, row.response) if row else None
