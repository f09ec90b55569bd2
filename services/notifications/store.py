from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, Index, MetaData, String, Table, Text, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.notifications.domain import Notification, Preferences
from shared.db import UnitOfWork, UtcDateTime, inbox_table, outbox_table

MIGRATIONS = Path(__file__).parent / "migrations"
metadata = MetaData()

notifications = Table(
    "notifications", metadata,
    Column("id", String(36), primary_key=True),
    Column("citizen", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("lang", String(2), nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("link", String(300), nullable=False),
    Column("tracking_number", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("read_at", UtcDateTime()),
    Column("event_id", String(36), nullable=False),
    # One notification per event and channel, even if two consumers race past the inbox check.
    Column("idempotency_key", String(100), nullable=False, unique=True),
    Index("ix_notifications_citizen_created_at", "citizen", "created_at"),
)

preferences = Table(
    "preferences", metadata,
    Column("citizen", String(64), primary_key=True),
    Column("lang", String(2), nullable=False),
    Column("channels", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


class Notifications:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def add(self, notification: Notification) -> None:
        await self._uow.connection.execute(notifications.insert().values(**notification.model_dump()))

    async def page(self, citizen: str, unread_only: bool, limit: int, offset: int
                   ) -> tuple[int, int, list[Notification]]:
        """(total matching, unread, one page newest first) for one citizen."""
        mine = notifications.c.citizen == citizen
        unread = notifications.c.read_at.is_(None)
        connection = self._uow.connection
        unread_count = int((await connection.execute(
            select(func.count()).select_from(notifications).where(mine, unread))).scalar() or 0)
        query = select(notifications).where(mine)
        if unread_only:
            query = query.where(unread)
            total = unread_count
        else:
            total = int((await connection.execute(
                select(func.count()).select_from(notifications).where(mine))).scalar() or 0)
        rows = await connection.execute(query.order_by(notifications.c.created_at.desc(),
                                                       notifications.c.id.desc()).limit(limit).offset(offset))
        return total, unread_count, [Notification.model_validate(dict(row._mapping)) for row in rows]

    async def get(self, citizen: str, notification_id: str) -> Notification | None:
        row = (await self._uow.connection.execute(select(notifications).where(
            notifications.c.id == notification_id, notifications.c.citizen == citizen))).first()
        return Notification.model_validate(dict(row._mapping)) if row else None

    async def mark_read(self, citizen: str, notification_id: str, now: datetime) -> None:
        # Reading twice keeps the first time it was read.
        await self._uow.connection.execute(update(notifications).where(
            notifications.c.id == notification_id, notifications.c.citizen == citizen,
            notifications.c.read_at.is_(None)).values(read_at=now))

    async def mark_all_read(self, citizen: str, now: datetime) -> int:
        result = await self._uow.connection.execute(update(notifications).where(
            notifications.c.citizen == citizen, notifications.c.read_at.is_(None)).values(read_at=now))
        return int(result.rowcount)


class PreferencesStore:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def get(self, citizen: str) -> Preferences | None:
        row = (await self._uow.connection.execute(select(preferences.c.lang, preferences.c.channels).where(
            preferences.c.citizen == citizen))).first()
        return Preferences(lang=row.lang, channels=row.channels) if row else None

    async def put(self, citizen: str, chosen: Preferences, now: datetime) -> None:
        values = {"lang": chosen.lang, "channels": list(chosen.channels), "updated_at": now}
        # An upsert, so two saves at once for the same citizen never collide on the primary key.
        if self._uow.connection.dialect.name == "postgresql":
            pg = postgresql_insert(preferences).values(citizen=citizen, **values)
            await self._uow.connection.execute(pg.on_conflict_do_update(
                index_elements=[preferences.c.citizen], set_=values))
        else:
            lite = sqlite_insert(preferences).values(citizen=citizen, **values)
            await self._uow.connection.execute(lite.on_conflict_do_update(
                index_elements=[preferences.c.citizen], set_=values))


class NotificationsUnitOfWork(UnitOfWork):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.notifications = Notifications(self)
        self.preferences = PreferencesStore(self)
