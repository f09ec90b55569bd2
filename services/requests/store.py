from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, MetaData, String, Table, Text, select, update
from sqlalchemy.exc import IntegrityError

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
    Column("record", JSON, nullable=False),
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

    async def get(self, slug: str) -> tuple[str, ServiceRecord] | None:
        row = (await self._uow.connection.execute(
            select(catalogue.c.status, catalogue.c.record).where(catalogue.c.slug == slug))).first()
        return (row.status, ServiceRecord.model_validate(row.record)) if row else None

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

    async def retire(self, slug: str, version: int) -> None:
        await self._uow.connection.execute(
            update(catalogue).where(catalogue.c.slug == slug).values(status="retired", version=version))

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


class RequestsUnitOfWork(UnitOfWork):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.catalogue = Catalogue(self)
        self.requests = Requests(self)


def now() -> datetime:
    return utcnow()
