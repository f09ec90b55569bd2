"""What the gateway keeps: a short-lived cache of API-key look-ups, and the sessions signed out before they expired.

A signed-out session's token stays revoked until the token itself expires, then its row is of no use and is
dropped. Only a hash of the token is kept: a row never lets anyone sign in.
"""

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import Column, MetaData, String, Table, bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.caching import KeptFor
from shared.db import UtcDateTime
from shared.db.engine import READ_ONLY, writing

MIGRATIONS = Path(__file__).parent / "migrations"
metadata = MetaData()
revoked_sessions = Table(
    "revoked_sessions", metadata,
    Column("token_id", String(64), primary_key=True),
    Column("expires_at", UtcDateTime(), nullable=False, index=True),
)


class ApiKeyCache:
    def __init__(self, ttl_seconds: float = 60.0, max_entries: int = 10_000) -> None:
        # A key the catalogue does not know is kept too (ministry None): a flood of bad keys costs one look-up each.
        self._entries: KeptFor[str, tuple[str | None]] = KeptFor(ttl_seconds, most=max_entries)

    @staticmethod
    def _key(api_key: str) -> str:
        return hashlib.sha256(api_key.encode()).hexdigest()

    def get(self, api_key: str) -> tuple[bool, str | None]:
        entry = self._entries.get(self._key(api_key))
        return (False, None) if entry is None else (True, entry[0])

    def put(self, api_key: str, ministry: str | None) -> None:
        self._entries.put(self._key(api_key), (ministry,))


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SignedOutSessions(Protocol):
    async def revoke(self, token: str, expires_at: datetime) -> None: ...

    async def is_revoked(self, token: str) -> bool: ...


class LocalSignedOutSessions:
    """This process's memory: enough for one replica (`make run`), never for several."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self._revoked: dict[str, datetime] = {}
        self._max = max_entries

    async def revoke(self, token: str, expires_at: datetime) -> None:
        now = datetime.now(UTC)
        if len(self._revoked) >= self._max:
            self._revoked = {k: v for k, v in self._revoked.items() if v > now}
        self._revoked[token_id(token)] = expires_at

    async def is_revoked(self, token: str) -> bool:
        expires_at = self._revoked.get(token_id(token))
        return expires_at is not None and expires_at > datetime.now(UTC)


# Built once: building the statement and its cache key on every request cost ~80 µs.
_IS_REVOKED = select(revoked_sessions.c.token_id).where(revoked_sessions.c.token_id == bindparam("token_id"))


class SqlSignedOutSessions:
    """Shared by every replica through one database: a sign-out on one is seen by the next request on any."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def revoke(self, token: str, expires_at: datetime) -> None:
        insert = postgresql_insert if self._engine.dialect.name == "postgresql" else sqlite_insert
        now = datetime.now(UTC)
        async with writing(self._engine), self._engine.begin() as connection:
            await connection.execute(insert(revoked_sessions).values(token_id=token_id(token), expires_at=expires_at)
                                     .on_conflict_do_nothing(index_elements=["token_id"]))
            await connection.execute(delete(revoked_sessions).where(revoked_sessions.c.expires_at < now))

    async def is_revoked(self, token: str) -> bool:
        """One primary-key look-up on a pooled connection, asked on every request: a read, so on SQLite it never
        takes the write lock (a plain BEGIN, not the writers' BEGIN IMMEDIATE) nor queues behind a sign-out."""
        async with self._engine.connect() as connection:
            await connection.execution_options(**{READ_ONLY: True})
            found = await connection.scalar(_IS_REVOKED, {"token_id": token_id(token)})
        return found is not None


class RecentlyAskedSignedOutSessions:
    """The shared sign-outs, asked at most once per token every `fresh_seconds`: each request asking the database
    was the gateway's largest cost per submission. A sign-out through this replica is refused here at once; one
    through another replica is refused here within `fresh_seconds`."""

    def __init__(self, shared: SignedOutSessions, fresh_seconds: float, clock: Callable[[], float] = time.monotonic,
                 max_entries: int = 100_000) -> None:
        self._shared = shared
        self._answers: KeptFor[str, bool] = KeptFor(fresh_seconds, most=max_entries, clock=clock)

    async def revoke(self, token: str, expires_at: datetime) -> None:
        self._answers.put(token_id(token), True)
        await self._shared.revoke(token, expires_at)

    async def is_revoked(self, token: str) -> bool:
        key = token_id(token)
        revoked = self._answers.get(key)
        if revoked is None:
            revoked = await self._shared.is_revoked(token)
            self._answers.put(key, revoked)
        return revoked
