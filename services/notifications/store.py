from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Row,
    String,
    Table,
    Text,
    bindparam,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifications.domain import (
    INBOX,
    PENDING,
    Attempted,
    Channel,
    Delivery,
    DeliveryStatus,
    Notification,
    Preferences,
    QuietHours,
)
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
    # What a fallback channel is rendered from later (null for notifications older than deliveries).
    Column("template_id", String(64)),
    Column("personalisation", JSON),
    Index("ix_notifications_citizen_created_at", "citizen", "created_at"),
)

preferences = Table(
    "preferences", metadata,
    Column("citizen", String(64), primary_key=True),
    Column("lang", String(2), nullable=False),
    Column("channels", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    # Contact details: personal data, read only to send a message.
    Column("email", String(254)),
    Column("phone", String(16)),
    Column("quiet_start", String(5)),
    Column("quiet_end", String(5)),
)

deliveries = Table(
    "deliveries", metadata,
    Column("id", String(36), primary_key=True),
    Column("notification_id", String(36), ForeignKey("notifications.id"), nullable=False, index=True),
    Column("citizen", String(64), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("status", String(24), nullable=False),
    # One delivery per event and channel, ever: a redelivered event or a second fallback cannot add another.
    Column("idempotency_key", String(100), nullable=False, unique=True),
    Column("lang", String(2), nullable=False),
    Column("template_id", String(64), nullable=False),
    Column("template_version", Integer, nullable=False),
    Column("subject", String(300)),
    Column("body_text", Text),
    Column("body_html", Text),
    Column("attempts", Integer, nullable=False, default=0),
    # Set while the delivery waits for an attempt, null once it is done.
    Column("next_attempt_at", UtcDateTime()),
    # A dispatcher holds a delivery while it sends it; after leased_until another may take it.
    Column("leased_until", UtcDateTime()),
    Column("lease_id", String(36)),
    Column("last_error", String(200)),
    Column("provider_reference", String(200)),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("sent_at", UtcDateTime()),
    Column("delivered_at", UtcDateTime()),
    Index("ix_deliveries_channel_next_attempt_at", "channel", "next_attempt_at"),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)

_DELIVERY_FIELDS = tuple(Delivery.model_fields)
# The statements an event's transaction runs, built once: building one and its cache key for every event cost
# more than running it (SQLite, in one hop). The inserts by dialect, for their ON CONFLICT clause.
_CLAIM = {dialect: dialect_insert(inbox).on_conflict_do_nothing().returning(inbox.c.event_id, inbox.c.consumer)
          for dialect, dialect_insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))}
_ADD_NOTIFICATIONS = notifications.insert()
_ADD_DELIVERIES = {dialect: dialect_insert(deliveries).on_conflict_do_nothing(index_elements=["idempotency_key"])
                   for dialect, dialect_insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))}
_PREFERENCES_OF = select(preferences).where(preferences.c.citizen.in_(bindparam("citizens", expanding=True)))
# A channel's deliveries due at :now, oldest due first, with the citizen's preferences; at most :limit.
_DUE = (select(deliveries, *(c.label(f"p_{c.name}") for c in preferences.c))
        .select_from(deliveries.outerjoin(preferences, preferences.c.citizen == deliveries.c.citizen))
        .where(deliveries.c.channel == bindparam("channel"), deliveries.c.status.in_(PENDING),
               deliveries.c.next_attempt_at <= bindparam("now"),
               or_(deliveries.c.leased_until.is_(None), deliveries.c.leased_until < bindparam("now")))
        .order_by(deliveries.c.next_attempt_at).limit(bindparam("limit")))
_CLAIM_DUE = _DUE.with_for_update(skip_locked=True, of=deliveries)
# What a delivery read without a lease carries (see Deliveries.due).
NO_LEASE = ""
# The inbox delivery and the first channel's are written at the same instant: the inbox reads first.
_INBOX_FIRST = case((deliveries.c.channel == INBOX, 0), else_=1)


async def _insert_new(connection: AsyncConnection, table: Table, rows: list[dict[str, Any]], key: str) -> int:
    """Insert rows, skipping any whose `key` is already taken; return how many went in."""
    if not rows:
        return 0
    dialect_insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    result = await connection.execute(dialect_insert(table).values(rows).on_conflict_do_nothing(index_elements=[key]))
    return int(result.rowcount)


def _preferences_of(row: Any, prefix: str = "") -> Preferences:
    start, end = getattr(row, f"{prefix}quiet_start"), getattr(row, f"{prefix}quiet_end")
    # Not validated again: put() stored what Preferences had validated and normalised, and checking an address
    # (email-validator, phonenumbers) each time a delivery is queued or sent was a fifth of an e-mail's CPU.
    return Preferences.model_construct(
        lang=getattr(row, f"{prefix}lang"), channels=getattr(row, f"{prefix}channels"),
        email=getattr(row, f"{prefix}email"), phone=getattr(row, f"{prefix}phone"),
        quiet_hours=QuietHours(start=time.fromisoformat(start), end=time.fromisoformat(end)) if start and end
        else None)


@dataclass(frozen=True)
class DeliveryState:
    """What the citizen sees of one delivery: never the address it went to."""

    notification_id: str
    channel: Channel
    status: DeliveryStatus
    updated_at: datetime


@dataclass(frozen=True)
class Claimed:
    """A due delivery this dispatcher now holds, with the citizen's current preferences (None if never saved)."""

    delivery: Delivery
    preferences: Preferences | None
    lease_id: str


class Notifications:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def add(self, *new: Notification) -> None:
        rows = [notification.model_dump() for notification in new]
        if rows:
            await self._uow.connection.execute(_ADD_NOTIFICATIONS, rows)

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

    async def by_id(self, notification_id: str) -> Notification | None:
        row = (await self._uow.connection.execute(select(notifications).where(
            notifications.c.id == notification_id))).first()
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


class Deliveries:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def add(self, *new: Delivery) -> int:
        """Add deliveries; one whose idempotency key exists already is skipped. Returns how many were added."""
        rows = [d.model_dump() for d in new]
        return await _insert_new(self._uow.connection, deliveries, rows, "idempotency_key")

    async def add_batch(self, new: list[Delivery]) -> None:
        """As add, in one statement run for every row (its SQL compiled once, whatever the count); how many
        went in is not told."""
        if not new:
            return
        connection = self._uow.connection
        await connection.execute(_ADD_DELIVERIES[connection.dialect.name], [d.model_dump() for d in new])

    async def of_notifications(self, ids: list[str]) -> list[DeliveryState]:
        if not ids:
            return []
        t = deliveries
        rows = await self._uow.connection.execute(
            select(t.c.notification_id, t.c.channel, t.c.status, t.c.updated_at)
            .where(t.c.notification_id.in_(ids)).order_by(t.c.created_at, _INBOX_FIRST, t.c.id))
        return [DeliveryState(r.notification_id, r.channel, r.status, r.updated_at) for r in rows]

    async def of_notification(self, notification_id: str) -> list[Delivery]:
        rows = await self._uow.connection.execute(select(deliveries).where(
            deliveries.c.notification_id == notification_id).order_by(deliveries.c.created_at, _INBOX_FIRST))
        return [self._delivery(row) for row in rows]

    def _claimed(self, rows: Sequence[Row[Any]], lease_id: str) -> list[Claimed]:
        return [Claimed(self._delivery(row), _preferences_of(row, "p_") if row.p_citizen else None, lease_id)
                for row in rows]

    async def due(self, channel: Channel, now: datetime, limit: int) -> list[Claimed]:
        """Up to `limit` due deliveries on one channel, oldest due first, read without taking them: for a
        database only this process dispatches from (SQLite). In one hop (UnitOfWork.read): each channel's
        dispatcher asks every second, mostly to find nothing."""
        rows = await self._uow.read(lambda connection: connection.execute(
            _DUE, {"channel": channel, "now": now, "limit": limit}).all())
        return self._claimed(rows, NO_LEASE)

    async def claim_due(self, channel: Channel, now: datetime, limit: int, lease_until: datetime,
                        lease_id: str) -> list[Claimed]:
        """Take up to `limit` due deliveries on one channel, oldest due first, until `lease_until`: several
        replicas may dispatch at once, and each delivery is taken by one of them."""
        t = deliveries
        rows = (await self._uow.connection.execute(_CLAIM_DUE, {"channel": channel, "now": now, "limit": limit})).all()
        if rows:
            await self._uow.connection.execute(update(t).where(t.c.id.in_([row.id for row in rows])).values(
                leased_until=lease_until, lease_id=lease_id))
        return self._claimed(rows, lease_id)

    async def record(self, lease_id: str, attempts: list[tuple[str, Attempted]], now: datetime) -> set[str]:
        """Write the outcomes of attempts on deliveries taken under one lease; returns the ids of those this
        dispatcher still held (the others' outcomes are not written). One query finds them (locking them on
        PostgreSQL) and one statement, run for each, writes them: a statement per delivery was a fifth of an
        e-mail's CPU."""
        t = deliveries
        held_by_us = t.c.lease_id.is_(None) if lease_id == NO_LEASE else t.c.lease_id == lease_id
        connection = self._uow.connection
        held = set((await connection.execute(select(t.c.id).where(
            t.c.id.in_([delivery_id for delivery_id, _ in attempts]), held_by_us).with_for_update())).scalars())
        rows = [{"b_id": delivery_id, "b_status": attempted.status, "b_attempts": attempted.attempts,
                 "b_next_attempt_at": attempted.next_attempt_at,
                 "b_last_error": attempted.last_error[:200] if attempted.last_error else None,
                 "b_provider_reference": attempted.provider_reference, "b_sent_at": attempted.sent_at,
                 "b_delivered_at": attempted.delivered_at}
                for delivery_id, attempted in attempts if delivery_id in held]
        if rows:
            await connection.execute(update(t).where(t.c.id == bindparam("b_id")).values(
                status=bindparam("b_status"), attempts=bindparam("b_attempts"),
                next_attempt_at=bindparam("b_next_attempt_at"), last_error=bindparam("b_last_error"),
                provider_reference=bindparam("b_provider_reference"), sent_at=bindparam("b_sent_at"),
                delivered_at=bindparam("b_delivered_at"), updated_at=now, leased_until=None, lease_id=None), rows)
        return held

    async def counts(self) -> list[tuple[str, str, int]]:
        """(channel, status, how many) over all deliveries, for operators."""
        t = deliveries
        rows = await self._uow.connection.execute(
            select(t.c.channel, t.c.status, func.count()).group_by(t.c.channel, t.c.status))
        return [(row[0], row[1], int(row[2])) for row in rows]

    @staticmethod
    def _delivery(row: Row[Any]) -> Delivery:
        mapping = row._mapping
        return Delivery.model_validate({name: mapping[name] for name in _DELIVERY_FIELDS})


class PreferencesStore:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def get(self, citizen: str) -> Preferences | None:
        row = (await self._uow.connection.execute(select(preferences).where(
            preferences.c.citizen == citizen))).first()
        return _preferences_of(row) if row else None

    async def get_many(self, citizens: set[str]) -> dict[str, Preferences]:
        if not citizens:
            return {}
        rows = await self._uow.connection.execute(_PREFERENCES_OF, {"citizens": list(citizens)})
        return {row.citizen: _preferences_of(row) for row in rows}

    async def put(self, citizen: str, chosen: Preferences, now: datetime) -> None:
        quiet = chosen.quiet_hours
        values = {"lang": chosen.lang, "channels": list(chosen.channels), "updated_at": now, "email": chosen.email,
                  "phone": chosen.phone, "quiet_start": quiet.start.strftime("%H:%M") if quiet else None,
                  "quiet_end": quiet.end.strftime("%H:%M") if quiet else None}
        # An upsert, so two saves at once for the same citizen never collide on the primary key.
        if self._uow.connection.dialect.name == "postgresql":
            pg = postgresql_insert(preferences).values(citizen=citizen, **values)
            await self._uow.connection.execute(pg.on_conflict_do_update(
                index_elements=[preferences.c.citizen], set_=values))
        else:
            lite = sqlite_insert(preferences).values(citizen=citizen, **values)
            await self._uow.connection.execute(lite.on_conflict_do_update(
                index_elements=[preferences.c.citizen], set_=values))


class HandledEvents:
    """The inbox table, for a batch of events at once (UnitOfWork.claim takes one)."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def claim(self, keys: Sequence[tuple[str, str]], now: datetime) -> set[tuple[str, str]]:
        """Record that each consumer applies each event, (event id, consumer); returns those it had not before
        (the others are redeliveries). One statement for the batch: one per event was the largest piece of the
        CPU an event cost."""
        rows = [{"event_id": event_id, "consumer": consumer, "processed_at": now}
                for event_id, consumer in dict.fromkeys(keys)]
        if not rows:
            return set()
        connection = self._uow.connection
        claimed = await connection.execute(_CLAIM[connection.dialect.name], rows)
        return {(row.event_id, row.consumer) for row in claimed}


class NotificationsUnitOfWork(UnitOfWork):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.handled = HandledEvents(self)
        self.notifications = Notifications(self)
        self.deliveries = Deliveries(self)
        self.preferences = PreferencesStore(self)
