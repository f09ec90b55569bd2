import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from services.requests.domain.calendar import CalendarChange, ChangeKind
from services.requests.store.tables import calendar_changes
from shared.db import UnitOfWork


@dataclass(frozen=True)
class CalendarChangeRow:
    id: str
    day: date
    kind: ChangeKind
    name_en: str
    name_ar: str
    reference: str | None
    added_by: str
    added_at: datetime
    revoked_by: str | None = None
    revoked_at: datetime | None = None

    @property
    def change(self) -> CalendarChange:
        return CalendarChange(self.day, self.kind, self.name_en, self.name_ar)


def _in_force(connection: Connection) -> list[CalendarChangeRow]:
    rows = connection.execute(select(calendar_changes).where(
        calendar_changes.c.revoked_at.is_(None)).order_by(calendar_changes.c.added_at, calendar_changes.c.id))
    return [CalendarChangeRow(**row._mapping) for row in rows]


class CalendarChanges:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def in_force(self) -> list[CalendarChangeRow]:
        """The changes not revoked, the latest for each day last (so it wins)."""
        return await self._uow.read(_in_force)

    async def all(self, year: int | None = None) -> list[CalendarChangeRow]:
        query = select(calendar_changes).order_by(calendar_changes.c.day, calendar_changes.c.added_at)
        if year is not None:
            query = query.where(calendar_changes.c.day.between(date(year, 1, 1), date(year, 12, 31)))
        return [CalendarChangeRow(**row._mapping) for row in await self._uow.connection.execute(query)]

    async def get(self, change_id: str) -> CalendarChangeRow | None:
        row = (await self._uow.connection.execute(
            select(calendar_changes).where(calendar_changes.c.id == change_id))).first()
        return CalendarChangeRow(**row._mapping) if row else None

    async def add(self, change: CalendarChange, reference: str | None, by: str, at: datetime) -> CalendarChangeRow:
        row = CalendarChangeRow(id=str(uuid.uuid4()), day=change.day, kind=change.kind, name_en=change.name_en,
                                name_ar=change.name_ar, reference=reference, added_by=by, added_at=at)
        await self._uow.connection.execute(calendar_changes.insert().values(**row.__dict__))
        return row

    async def revoke(self, change_id: str, by: str, at: datetime) -> bool:
        done = await self._uow.connection.execute(update(calendar_changes).where(
            calendar_changes.c.id == change_id, calendar_changes.c.revoked_at.is_(None)).values(
            revoked_by=by, revoked_at=at))
        return bool(done.rowcount)
