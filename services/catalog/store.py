from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, MetaData, String, Table, func, select

from shared.contracts.base import Bilingual
from shared.contracts.catalog import ServiceRecord
from shared.db import UnitOfWork, UtcDateTime, inbox_table, outbox_table, utcnow

MIGRATIONS = Path(__file__).parent / "migrations"
metadata = MetaData()

ministries = Table(
    "ministries", metadata,
    Column("code", String(16), primary_key=True),
    Column("name_ar", String(200), nullable=False),
    Column("name_en", String(200), nullable=False),
    Column("api_key_hash", String(64), nullable=False, unique=True),
    Column("created_at", UtcDateTime(), nullable=False),
)

services = Table(
    "services", metadata,
    Column("slug", String(80), primary_key=True),
    Column("ministry", String(16), ForeignKey("ministries.code"), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("record", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


class Ministries:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def add(self, code: str, name: Bilingual, api_key_hash: str) -> None:
        await self._uow.connection.execute(ministries.insert().values(
            code=code, name_ar=name.ar, name_en=name.en, api_key_hash=api_key_hash, created_at=utcnow()))

    async def name_of(self, code: str) -> Bilingual | None:
        row = (await self._uow.connection.execute(
            select(ministries.c.name_ar, ministries.c.name_en).where(ministries.c.code == code))).first()
        return Bilingual(ar=row.name_ar, en=row.name_en) if row else None

    async def by_key_hash(self, key_hash: str) -> str | None:
        return (await self._uow.connection.execute(
            select(ministries.c.code).where(ministries.c.api_key_hash == key_hash))).scalar()

    async def all(self) -> list[dict[str, Any]]:
        rows = await self._uow.connection.execute(
            select(ministries.c.code, ministries.c.name_ar, ministries.c.name_en).order_by(ministries.c.code))
        return [{"code": r.code, "name": {"ar": r.name_ar, "en": r.name_en}} for r in rows]


class Services:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def get(self, slug: str) -> tuple[str, ServiceRecord] | None:
        row = (await self._uow.connection.execute(
            select(services.c.status, services.c.record).where(services.c.slug == slug))).first()
        return (row.status, ServiceRecord.model_validate(row.record)) if row else None

    async def add(self, record: ServiceRecord) -> None:
        await self._uow.connection.execute(services.insert().values(
            slug=record.slug, ministry=record.ministry, status="published", version=record.version,
            record=record.model_dump(mode="json"), updated_at=utcnow()))

    async def replace(self, record: ServiceRecord, status: str = "published") -> None:
        await self._uow.connection.execute(services.update().where(services.c.slug == record.slug).values(
            status=status, version=record.version, record=record.model_dump(mode="json"), updated_at=utcnow()))

    async def published(self, ministry: str | None, life_event: str | None, maturity: str | None,
                        limit: int, offset: int) -> tuple[int, list[ServiceRecord]]:
        query = select(services.c.record).where(services.c.status == "published")
        if ministry:
            query = query.where(services.c.ministry == ministry)
        rows = [ServiceRecord.model_validate(r.record) for r in await self._uow.connection.execute(
            query.order_by(services.c.slug))]
        # Life events and maturity live inside the JSON record; the catalogue is small enough to filter here.
        rows = [r for r in rows if (not life_event or life_event in r.life_events)
                and (not maturity or r.maturity == maturity)]
        return len(rows), rows[offset:offset + limit]

    async def count(self) -> int:
        return int((await self._uow.connection.execute(select(func.count()).select_from(services))).scalar() or 0)


class CatalogUnitOfWork(UnitOfWork):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ministries = Ministries(self)
        self.services = Services(self)
