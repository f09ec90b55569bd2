from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Float, ForeignKey, Integer, MetaData, String, Table, false, select

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
    Column("workspace", Boolean, nullable=False, server_default=false()),
)

services = Table(
    "services", metadata,
    Column("slug", String(80), primary_key=True),
    Column("ministry", String(16), ForeignKey("ministries.code"), nullable=False, index=True),
    Column("status", String(16), nullable=False),
    Column("version", Integer, nullable=False),
    Column("record", JSON, nullable=False),
    Column("updated_at", UtcDateTime(), nullable=False),
    Column("draft", JSON),
)

service_versions = Table(
    "service_versions", metadata,
    Column("slug", String(80), ForeignKey("services.slug"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("state", String(16), nullable=False),
    Column("record", JSON, nullable=False),
    Column("saved_at", UtcDateTime(), nullable=False),
    Column("saved_by", String(100), nullable=False),
)

readiness = Table(
    "readiness", metadata,
    Column("slug", String(80), ForeignKey("services.slug"), primary_key=True),
    Column("answers", JSON, nullable=False),
    Column("score", JSON, nullable=False),
    Column("priority", Float, nullable=False, index=True),
    Column("assessed_at", UtcDateTime(), nullable=False),
    Column("assessed_by", String(100), nullable=False),
)

outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


class Ministries:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def add(self, code: str, name: Bilingual, api_key_hash: str, *, workspace: bool = False) -> None:
        await self._uow.connection.execute(ministries.insert().values(
            code=code, name_ar=name.ar, name_en=name.en, api_key_hash=api_key_hash, created_at=utcnow(),
            workspace=workspace))

    async def name_of(self, code: str) -> Bilingual | None:
        row = (await self._uow.connection.execute(
            select(ministries.c.name_ar, ministries.c.name_en).where(ministries.c.code == code))).first()
        return Bilingual(ar=row.name_ar, en=row.name_en) if row else None

    async def by_key_hash(self, key_hash: str) -> str | None:
        return (await self._uow.connection.execute(
            select(ministries.c.code).where(ministries.c.api_key_hash == key_hash))).scalar()

    async def all(self) -> list[dict[str, Any]]:
        rows = await self._uow.connection.execute(
            select(ministries.c.code, ministries.c.name_ar, ministries.c.name_en, ministries.c.workspace)
            .order_by(ministries.c.code))
        return [{"code": r.code, "name": {"ar": r.name_ar, "en": r.name_en}, "workspace": r.workspace}
                for r in rows]


@dataclass(frozen=True)
class StoredService:
    status: str
    record: ServiceRecord
    draft: ServiceRecord | None

    @property
    def latest_version(self) -> int:
        return max(self.record.version, self.draft.version if self.draft else 0)


class Services:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def get(self, slug: str) -> StoredService | None:
        row = (await self._uow.connection.execute(
            select(services.c.status, services.c.record, services.c.draft).where(services.c.slug == slug))).first()
        if row is None:
            return None
        draft = ServiceRecord.model_validate(row.draft) if row.draft else None
        return StoredService(row.status, ServiceRecord.model_validate(row.record), draft)

    async def add(self, record: ServiceRecord, status: str) -> None:
        await self._uow.connection.execute(services.insert().values(
            slug=record.slug, ministry=record.ministry, status=status, version=record.version,
            record=record.model_dump(mode="json"), updated_at=utcnow()))

    async def put(self, slug: str, status: str, record: ServiceRecord, draft: ServiceRecord | None) -> None:
        await self._uow.connection.execute(services.update().where(services.c.slug == slug).values(
            status=status, version=record.version, record=record.model_dump(mode="json"),
            draft=draft.model_dump(mode="json") if draft else None, updated_at=utcnow()))

    async def keep_version(self, record: ServiceRecord, state: str, actor: str) -> None:
        """Record a version; publishing a saved draft moves that same version to `published`."""
        values = {"state": state, "record": record.model_dump(mode="json"), "saved_at": utcnow(), "saved_by": actor}
        t = service_versions
        done = await self._uow.connection.execute(
            t.update().where(t.c.slug == record.slug, t.c.version == record.version).values(**values))
        if done.rowcount == 0:
            await self._uow.connection.execute(t.insert().values(slug=record.slug, version=record.version, **values))

    async def versions(self, slug: str) -> list[dict[str, Any]]:
        rows = await self._uow.connection.execute(
            select(service_versions.c.version, service_versions.c.state, service_versions.c.saved_at,
                   service_versions.c.saved_by).where(service_versions.c.slug == slug)
            .order_by(service_versions.c.version))
        return [dict(r._mapping) for r in rows]

    async def published(self, ministry: str | None, life_event: str | None, maturity: str | None,
                        audience: str | None, limit: int, offset: int) -> tuple[int, list[ServiceRecord]]:
        query = select(services.c.record).where(services.c.status == "published")
        if ministry:
            query = query.where(services.c.ministry == ministry)
        rows = [ServiceRecord.model_validate(r.record) for r in await self._uow.connection.execute(
            query.order_by(services.c.slug))]
        # Life events, maturity and audience live inside the JSON record; the catalogue is small enough
        # (thousands of services) to filter here rather than index each list in SQL.
        rows = [r for r in rows if (not life_event or life_event in r.life_events)
                and (not maturity or r.maturity == maturity) and (not audience or audience in r.audience)]
        return len(rows), rows[offset:offset + limit]

    async def of_ministry(self, ministry: str | None) -> list[StoredService]:
        query = select(services.c.status, services.c.record, services.c.draft).order_by(services.c.slug)
        if ministry:
            query = query.where(services.c.ministry == ministry)
        return [StoredService(r.status, ServiceRecord.model_validate(r.record),
                              ServiceRecord.model_validate(r.draft) if r.draft else None)
                for r in await self._uow.connection.execute(query)]


class Assessments:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def put(self, slug: str, answers: dict[str, Any], score: dict[str, Any], priority: float,
                  actor: str) -> None:
        values = {"answers": answers, "score": score, "priority": priority, "assessed_at": utcnow(),
                  "assessed_by": actor}
        done = await self._uow.connection.execute(readiness.update().where(readiness.c.slug == slug).values(**values))
        if done.rowcount == 0:
            await self._uow.connection.execute(readiness.insert().values(slug=slug, **values))

    async def get(self, slug: str) -> dict[str, Any] | None:
        row = (await self._uow.connection.execute(select(readiness).where(readiness.c.slug == slug))).first()
        return dict(row._mapping) if row else None

    async def slugs(self) -> set[str]:
        return set((await self._uow.connection.execute(select(readiness.c.slug))).scalars())

    async def ranked(self, ministry: str | None) -> list[tuple[dict[str, Any], ServiceRecord, str]]:
        query = select(readiness, services.c.record, services.c.status).join(
            services, services.c.slug == readiness.c.slug).order_by(readiness.c.priority.desc(), readiness.c.slug)
        if ministry:
            query = query.where(services.c.ministry == ministry)
        return [(dict(r._mapping), ServiceRecord.model_validate(r.record), r.status)
                for r in await self._uow.connection.execute(query)]


class CatalogUnitOfWork(UnitOfWork):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ministries = Ministries(self)
        self.services = Services(self)
        self.assessments = Assessments(self)
