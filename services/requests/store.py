from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from services.requests.domain import AWAITING_DECISION
from shared.contracts.catalog import ServiceRecord
from shared.db import UnitOfWork, UtcDateTime, inbox_table, outbox_table, utcnow

MIGRATIONS = Path(__file__).parent / "migrations"
metadata = MetaData()

catalogue = Table(
    "catalogue", metadata,
    Column("slug", String(80), primary_key=True),
    Column("ministry", String(16), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    # None for a retirement seen before the service itself: the tombstone keeps a late publish out.
    Column("record", JSON),
)

requests = Table(
    "requests", metadata,
    Column("tracking_number", String(40), primary_key=True),
    Column("service", String(80), nullable=False),
    Column("service_version", Integer, nullable=False),
    Column("ministry", String(16), nullable=False, index=True),
    Column("citizen", String(20), nullable=False, index=True),
    Column("citizen_name", String(200)),
    Column("lang", String(2), nullable=False),
    Column("status", String(20), nullable=False),
    Column("fields", JSON, nullable=False),
    Column("submitted_at", UtcDateTime(), nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("due_on", UtcDateTime(), nullable=False),
    Index("ix_requests_ministry_status_due", "ministry", "status", "due_on"),
)

history = Table(
    "request_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("tracking_number", String(40), ForeignKey("requests.tracking_number"), nullable=False, index=True),
    Column("status", String(20), nullable=False),
    Column("previous_status", String(20)),
    Column("actor", String(100), nullable=False),
    Column("note", Text),
    Column("at", UtcDateTime(), nullable=False),
    Column("applied", Integer, nullable=False, default=1),
    Column("event_id", String(36)),
)

sequences = Table(
    "tracking_sequences", metadata,
    Column("ministry", String(16), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("last", Integer, nullable=False),
)

dead_letters = Table(
    "dead_letters", metadata,
    Column("id", String(36), primary_key=True),
    Column("queue", String(255), nullable=False, index=True),
    Column("routing_key", String(255), nullable=False),
    Column("reason", Text, nullable=False),
    Column("sender", String(100)),
    Column("message_id", String(100)),
    Column("event_type", String(200)),
    Column("subject", String(200)),
    Column("body", LargeBinary, nullable=False),
    Column("headers", JSON, nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("status", String(12), nullable=False, index=True),
    Column("resolved_at", UtcDateTime()),
    Column("resolved_by", String(100)),
    Column("resolution_note", Text),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


@dataclass(frozen=True)
class RequestRow:
    tracking_number: str
    service: str
    service_version: int
    ministry: str
    citizen: str
    citizen_name: str | None
    lang: str
    status: str
    fields: dict[str, Any]
    submitted_at: datetime
    updated_at: datetime
    due_on: datetime


@dataclass(frozen=True)
class HistoryRow:
    status: str
    previous_status: str | None
    actor: str
    note: str | None
    at: datetime
    applied: bool


class Catalogue:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def get(self, slug: str) -> ServiceRecord | None:
        """The service if it is published and takes requests."""
        row = (await self._uow.connection.execute(
            select(catalogue.c.status, catalogue.c.record).where(catalogue.c.slug == slug))).first()
        if row is None or row.status != "published" or row.record is None:
            return None
        return ServiceRecord.model_validate(row.record)

    async def knows(self, slug: str) -> bool:
        return await self.version_of(slug) is not None

    async def version_of(self, slug: str) -> int | None:
        return (await self._uow.connection.execute(
            select(catalogue.c.version).where(catalogue.c.slug == slug))).scalar()

    async def put(self, record: ServiceRecord, status: str) -> None:
        values = {"ministry": record.ministry, "version": record.version, "status": status,
                  "record": record.model_dump(mode="json")}
        newer = update(catalogue).where(catalogue.c.slug == record.slug, catalogue.c.version < record.version)
        done = await self._uow.connection.execute(newer.values(**values))
        if done.rowcount:
            return
        try:
            async with self._uow.connection.begin_nested():
                await self._uow.connection.execute(catalogue.insert().values(slug=record.slug, **values))
        except IntegrityError:
            # Cached meanwhile by a concurrent submission or event; the version guard above kept the newest.
            await self._uow.connection.execute(newer.values(**values))

    async def retire(self, slug: str, ministry: str, version: int) -> None:
        done = await self._uow.connection.execute(
            update(catalogue).where(catalogue.c.slug == slug).values(status="retired", version=version))
        if not done.rowcount:
            await self._uow.connection.execute(catalogue.insert().values(
                slug=slug, ministry=ministry, version=version, status="retired", record=None))

    async def ministries(self) -> list[str]:
        rows = await self._uow.connection.execute(select(catalogue.c.ministry).distinct())
        return sorted(r.ministry for r in rows)


class Requests:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def next_sequence(self, ministry: str, year: int) -> int:
        connection = self._uow.connection
        bumped = await connection.execute(
            update(sequences).where(sequences.c.ministry == ministry, sequences.c.year == year)
            .values(last=sequences.c.last + 1).returning(sequences.c.last))
        value = bumped.scalar()
        if value is not None:
            return int(value)
        try:
            async with connection.begin_nested():
                await connection.execute(sequences.insert().values(ministry=ministry, year=year, last=1))
            return 1
        except IntegrityError:
            # Another submission started this ministry's year at the same moment: take the next number.
            return await self.next_sequence(ministry, year)

    async def add(self, row: RequestRow, actor: str) -> None:
        await self._uow.connection.execute(requests.insert().values(**row.__dict__))
        await self.record(row.tracking_number, row.status, None, actor, None, row.submitted_at, True, None)

    async def get(self, tracking_number: str, *, for_update: bool = False) -> RequestRow | None:
        query = select(requests).where(requests.c.tracking_number == tracking_number)
        if for_update:
            query = query.with_for_update()
        row = (await self._uow.connection.execute(query)).mappings().first()
        return RequestRow(**row) if row else None

    async def set_status(self, tracking_number: str, status: str, at: datetime,
                         fields: dict[str, Any] | None = None) -> None:
        values: dict[str, Any] = {"status": status, "updated_at": at}
        if fields is not None:
            values["fields"] = fields
        await self._uow.connection.execute(
            update(requests).where(requests.c.tracking_number == tracking_number).values(**values))

    async def record(self, tracking_number: str, status: str, previous: str | None, actor: str,
                     note: str | None, at: datetime, applied: bool, event_id: str | None) -> None:
        await self._uow.connection.execute(history.insert().values(
            tracking_number=tracking_number, status=status, previous_status=previous, actor=actor, note=note,
            at=at, applied=int(applied), event_id=event_id))

    async def history(self, tracking_number: str) -> list[HistoryRow]:
        rows = await self._uow.connection.execute(
            select(history).where(history.c.tracking_number == tracking_number).order_by(history.c.id))
        return [HistoryRow(r.status, r.previous_status, r.actor, r.note, r.at, bool(r.applied)) for r in rows]

    async def of_citizen(self, citizen: str, limit: int, offset: int) -> list[RequestRow]:
        rows = await self._uow.connection.execute(
            select(requests).where(requests.c.citizen == citizen)
            .order_by(requests.c.submitted_at.desc()).limit(limit).offset(offset))
        return [RequestRow(**r) for r in rows.mappings()]


    async def overdue_counts(self, at: datetime, ministry: str | None = None) -> list[tuple[str, str, int]]:
        """(ministry, service, undecided requests past their due date), largest first."""
        query = (select(requests.c.ministry, requests.c.service, func.count().label("n"))
                 .where(requests.c.status.in_(sorted(AWAITING_DECISION)), requests.c.due_on < at)
                 .group_by(requests.c.ministry, requests.c.service))
        if ministry is not None:
            query = query.where(requests.c.ministry == ministry)
        rows = await self._uow.connection.execute(query)
        return sorted(((r.ministry, r.service, int(r.n)) for r in rows), key=lambda t: (-t[2], t[0], t[1]))

    async def of_ministry(self, ministry: str, *, status: str | None, service: str | None, overdue_at: datetime | None,
                          limit: int, offset: int) -> tuple[int, list[RequestRow]]:
        """The ministry's requests, those due first; with overdue_at, only undecided ones past their due date."""
        conditions = [requests.c.ministry == ministry]
        if status is not None:
            conditions.append(requests.c.status == status)
        if service is not None:
            conditions.append(requests.c.service == service)
        if overdue_at is not None:
            conditions += [requests.c.status.in_(sorted(AWAITING_DECISION)), requests.c.due_on < overdue_at]
        connection = self._uow.connection
        total = (await connection.execute(select(func.count()).select_from(requests).where(*conditions))).scalar()
        rows = await connection.execute(select(requests).where(*conditions)
                                        .order_by(requests.c.due_on, requests.c.tracking_number)
                                        .limit(limit).offset(offset))
        return int(total or 0), [RequestRow(**r) for r in rows.mappings()]


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


class RequestsUnitOfWork(UnitOfWork):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.catalogue = Catalogue(self)
        self.requests = Requests(self)
        self.dead_letters = DeadLetters(self)


def now() -> datetime:
    return utcnow()
