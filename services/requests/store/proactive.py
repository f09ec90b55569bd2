import uuid
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from services.requests.domain.renewals import Document
from services.requests.store.tables import catalogue, documents, offers, preferences
from shared.contracts.catalog import ServiceRecord
from shared.db import UnitOfWork


@dataclass(frozen=True)
class OfferRow:
    id: str
    dedupe_key: str
    citizen: str
    kind: str
    service: str
    ministry: str
    status: str
    document_id: str | None
    document_type: str
    document_number: str | None
    expires_on: date | None
    days_ahead: int | None
    life_event: str | None
    prefill: dict[str, Any]
    tracking_number: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class CitizenOffers:
    proactive: bool
    offers: list[OfferRow]
    # Each offered service as the catalogue last told of it (retired too); missing when it never did.
    services: dict[str, ServiceRecord]


# What the citizen's dashboard reads of their offers and documents on every visit, built once.
_OFFERS = select(offers).where(offers.c.citizen == bindparam("citizen")).order_by(offers.c.created_at.desc(),
                                                                                   offers.c.id)
_OFFERS_IN = _OFFERS.where(offers.c.status == bindparam("status"))
_DOCUMENTS = select(documents).where(documents.c.citizen == bindparam("citizen"))
_PROACTIVE = select(preferences.c.proactive).where(preferences.c.citizen == bindparam("citizen"))
_RECORDS = select(catalogue.c.slug, catalogue.c.record).where(
    catalogue.c.slug.in_(bindparam("slugs", expanding=True)), catalogue.c.record.is_not(None))


def _offers_of(connection: Connection, citizen: str, status: str | None) -> list[OfferRow]:
    rows = connection.execute(_OFFERS if status is None else _OFFERS_IN, {"citizen": citizen, "status": status})
    return [OfferRow(**r) for r in rows.mappings()]


def _citizen_offers(connection: Connection, *, citizen: str, status: str | None) -> CitizenOffers:
    proactive = connection.execute(_PROACTIVE, {"citizen": citizen}).scalar()
    found = _offers_of(connection, citizen, status)
    services = {}
    if found:
        for slug, record in connection.execute(_RECORDS, {"slugs": sorted({o.service for o in found})}):
            services[slug] = ServiceRecord.model_validate(record)
    return CitizenOffers(proactive is None or bool(proactive), found, services)


def _documents_and_offers(connection: Connection, *, citizen: str) -> tuple[list[Document], list[OfferRow]]:
    return ([_document(r) for r in connection.execute(_DOCUMENTS, {"citizen": citizen})],
            _offers_of(connection, citizen, None))


def _document(row: Any) -> Document:
    return Document(id=row.id, ministry=row.ministry, citizen=row.citizen, document_type=row.document_type,
                    number=row.number, issued_on=row.issued_on, expires_on=row.expires_on,
                    tracking_number=row.tracking_number)


class Documents:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def find(self, ministry: str, document_type: str, number: str) -> Document | None:
        row = (await self._uow.connection.execute(select(documents).where(
            documents.c.ministry == ministry, documents.c.document_type == document_type,
            documents.c.number == number))).first()
        return _document(row) if row else None

    async def keep(self, document: Document, at: datetime) -> tuple[Document, bool]:
        """The document as kept and whether it is new. The same ministry, type and number is one document:
        a later issue (a renewal) updates its dates."""
        connection = self._uow.connection
        known = await self.find(document.ministry, document.document_type, document.number)
        if known is None:
            try:
                async with connection.begin_nested():
                    await connection.execute(documents.insert().values(
                        id=document.id or str(uuid.uuid4()), ministry=document.ministry, citizen=document.citizen,
                        document_type=document.document_type, number=document.number,
                        issued_on=document.issued_on, expires_on=document.expires_on,
                        tracking_number=document.tracking_number, recorded_at=at))
            except IntegrityError:
                known = await self.find(document.ministry, document.document_type, document.number)
            else:
                kept = await self.find(document.ministry, document.document_type, document.number)
                assert kept is not None
                return kept, True
        assert known is not None
        if document.issued_on > known.issued_on:
            await connection.execute(update(documents).where(documents.c.id == known.id).values(
                issued_on=document.issued_on, expires_on=document.expires_on,
                tracking_number=document.tracking_number or known.tracking_number))
            refreshed = await self.find(document.ministry, document.document_type, document.number)
            assert refreshed is not None
            return refreshed, False
        return known, False

    async def with_offers(self, citizen: str) -> tuple[list[Document], list[OfferRow]]:
        """The citizen's documents and every offer made to them, in one hop to the database."""
        return await self._uow.read(partial(_documents_and_offers, citizen=citizen))

    async def expiring(self, document_type: str, until: date, limit: int) -> list[Document]:
        """Documents of this type expiring by `until` with no renewal offer for their expiry yet, whose citizen
        has not opted out."""
        offered = offers.alias("offered")
        rows = await self._uow.connection.execute(
            select(documents)
            .outerjoin(offered, and_(offered.c.document_id == documents.c.id, offered.c.kind == "renewal",
                                     offered.c.expires_on == documents.c.expires_on))
            .outerjoin(preferences, preferences.c.citizen == documents.c.citizen)
            .where(documents.c.document_type == document_type, documents.c.expires_on.is_not(None),
                   documents.c.expires_on <= until, offered.c.id.is_(None),
                   (preferences.c.proactive.is_(None)) | (preferences.c.proactive == 1))
            .order_by(documents.c.expires_on, documents.c.id).limit(limit))
        return [_document(r) for r in rows]


class Offers:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def add(self, row: OfferRow) -> bool:
        """False when an offer with the same key exists (another replica or a redelivery made it)."""
        connection = self._uow.connection
        if (await connection.execute(select(offers.c.id).where(offers.c.dedupe_key == row.dedupe_key))).first():
            return False
        try:
            async with connection.begin_nested():
                await connection.execute(offers.insert().values(**row.__dict__))
        except IntegrityError:
            return False
        return True

    async def get(self, id_: str, *, for_update: bool = False) -> OfferRow | None:
        query = select(offers).where(offers.c.id == id_)
        if for_update:
            query = query.with_for_update()
        row = (await self._uow.connection.execute(query)).mappings().first()
        return OfferRow(**row) if row else None

    async def of_citizen(self, citizen: str, status: str | None) -> CitizenOffers:
        """The citizen's offers (only those in `status`, when given), newest first, with whether they want them
        and the services offered, in one hop to the database."""
        return await self._uow.read(partial(_citizen_offers, citizen=citizen, status=status))

    async def set_status(self, id_: str, status: str, at: datetime, tracking_number: str | None = None) -> None:
        values: dict[str, Any] = {"status": status, "updated_at": at}
        if tracking_number is not None:
            values["tracking_number"] = tracking_number
        await self._uow.connection.execute(update(offers).where(offers.c.id == id_).values(**values))

    async def withdraw_superseded(self, document_id: str, expires_on: date | None, at: datetime) -> int:
        """Open renewal offers for an expiry the document no longer has (it was renewed elsewhere)."""
        # In SQL nothing equals NULL: a document that no longer expires withdraws every open renewal.
        superseded = offers.c.expires_on.is_not(None) if expires_on is None else offers.c.expires_on != expires_on
        done = await self._uow.connection.execute(update(offers).where(
            offers.c.document_id == document_id, offers.c.kind == "renewal",
            offers.c.status.in_(("open", "withdrawn")), superseded).values(status="dismissed", updated_at=at))
        return int(done.rowcount or 0)

    async def withdraw_open(self, citizen: str, at: datetime) -> int:
        """Opting out sets the open offers aside (withdrawn), to come back if the citizen opts in again."""
        done = await self._uow.connection.execute(update(offers).where(
            offers.c.citizen == citizen, offers.c.status == "open").values(status="withdrawn", updated_at=at))
        return int(done.rowcount or 0)

    async def restore_withdrawn(self, citizen: str, at: datetime) -> int:
        done = await self._uow.connection.execute(update(offers).where(
            offers.c.citizen == citizen, offers.c.status == "withdrawn").values(status="open", updated_at=at))
        return int(done.rowcount or 0)


class Preferences:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def proactive(self, citizen: str) -> bool:
        value = (await self._uow.connection.execute(
            select(preferences.c.proactive).where(preferences.c.citizen == citizen))).scalar()
        return value is None or bool(value)

    async def set_proactive(self, citizen: str, enabled: bool, at: datetime) -> None:
        await self._set(citizen, at, proactive=int(enabled))

    async def suggestion_notices(self, citizen: str) -> bool:
        value = (await self._uow.connection.execute(
            select(preferences.c.suggestion_notices).where(preferences.c.citizen == citizen))).scalar()
        return bool(value)

    async def set_suggestion_notices(self, citizen: str, enabled: bool, at: datetime) -> None:
        await self._set(citizen, at, suggestion_notices=int(enabled))

    async def _set(self, citizen: str, at: datetime, **values: int) -> None:
        connection = self._uow.connection
        done = await connection.execute(update(preferences).where(preferences.c.citizen == citizen)
                                        .values(updated_at=at, **values))
        if done.rowcount:
            return
        try:
            async with connection.begin_nested():
                # A new row keeps the other preference at its default (proactive offers on).
                await connection.execute(preferences.insert().values(
                    {"citizen": citizen, "proactive": 1, "updated_at": at} | values))
        except IntegrityError:
            await connection.execute(update(preferences).where(preferences.c.citizen == citizen)
                                     .values(updated_at=at, **values))
