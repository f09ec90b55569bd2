"""The catalogue's services as the requests service caches them (from the catalogue's events)."""

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from services.requests.store.tables import catalogue
from shared.contracts.catalog import ServiceRecord
from shared.db import UnitOfWork


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

    async def record(self, slug: str) -> ServiceRecord | None:
        """The service as last known, even retired: past requests still answer to its form."""
        row = (await self._uow.connection.execute(
            select(catalogue.c.record).where(catalogue.c.slug == slug))).first()
        return ServiceRecord.model_validate(row.record) if row is not None and row.record is not None else None

    async def all_records(self) -> list[ServiceRecord]:
        rows = await self._uow.connection.execute(
            select(catalogue.c.record).where(catalogue.c.record.is_not(None)).order_by(catalogue.c.slug))
        return [ServiceRecord.model_validate(r.record) for r in rows]

    async def of_ministry(self, ministry: str) -> list[ServiceRecord]:
        """Every service the ministry has had, retired too: it still owns the documents they issued."""
        rows = await self._uow.connection.execute(
            select(catalogue.c.record).where(catalogue.c.ministry == ministry, catalogue.c.record.is_not(None)))
        return [ServiceRecord.model_validate(r.record) for r in rows]

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
