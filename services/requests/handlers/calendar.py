"""The working calendar in force (Oman's public holidays and the government's announced changes), and staff's
announcements: each one moves the due dates of the undecided requests whose working days it changes."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as clock_time

from services.requests.domain import Conflict, Invalid, NotFound
from services.requests.domain.calendar import (
    CalendarChange,
    ChangeKind,
    Holiday,
    WorkingCalendar,
    recount_due,
)
from services.requests.handlers.caching import read_calendar
from services.requests.handlers.deps import Deps
from services.requests.store import CalendarChangeRow, RequestsUnitOfWork
from shared.clock import MUSCAT
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class AnnounceCalendarChange:
    day: date
    kind: ChangeKind
    name_en: str
    name_ar: str
    reference: str | None
    by: str


@dataclass(frozen=True)
class CalendarYear:
    year: int
    holidays: list[Holiday]
    working_days: int
    changes: list[CalendarChangeRow]


async def _move_due_dates(uow: RequestsUnitOfWork, before: WorkingCalendar, day: date) -> int:
    after = await read_calendar(uow)
    start = datetime.combine(day, clock_time(), MUSCAT).astimezone(UTC)
    moved = 0
    for row in await uow.requests.undecided_across(start):
        due = recount_due(before, after, row.submitted_at, row.due_on)
        if due != row.due_on:
            await uow.requests.set_due(row.tracking_number, due)
            moved += 1
    return moved


async def announce_calendar_change(command: AnnounceCalendarChange, deps: Deps) -> tuple[CalendarChangeRow, int]:
    """The change as recorded, and how many undecided requests' due dates it moved."""
    async with deps.uow() as uow:
        before = await read_calendar(uow)
        if command.kind == "holiday" and not before.is_working_day(command.day):
            raise Invalid("calendar-already-off", f"{command.day} is already not a working day.")
        if command.kind == "working_day" and before.is_working_day(command.day):
            raise Invalid("calendar-already-working", f"{command.day} is already a working day.")
        row = await uow.calendar.add(CalendarChange(command.day, command.kind, command.name_en, command.name_ar),
                                     command.reference, command.by, deps.clock())
        moved = await _move_due_dates(uow, before, command.day)
        await uow.commit()
    deps.calendars.forget()
    log.info("calendar_change_announced", day=command.day.isoformat(), kind=command.kind, moved=moved)
    return row, moved


async def revoke_calendar_change(change_id: str, by: str, deps: Deps) -> tuple[CalendarChangeRow, int]:
    async with deps.uow() as uow:
        row = await uow.calendar.get(change_id)
        if row is None:
            raise NotFound("calendar-change-not-found", f"There is no calendar change {change_id}.")
        before = await read_calendar(uow)
        if not await uow.calendar.revoke(change_id, by, deps.clock()):
            raise Conflict("calendar-change-revoked", "This change was already revoked.")
        moved = await _move_due_dates(uow, before, row.day)
        revoked = await uow.calendar.get(change_id)
        await uow.commit()
    deps.calendars.forget()
    log.info("calendar_change_revoked", day=row.day.isoformat(), kind=row.kind, moved=moved)
    assert revoked is not None
    return revoked, moved


async def calendar_year(year: int, deps: Deps) -> CalendarYear:
    async with deps.uow(read_only=True) as uow:
        calendar = await read_calendar(uow)
        changes = await uow.calendar.all(year)
    first, last = date(year, 1, 1), date(year, 12, 31)
    working = sum(calendar.is_working_day(date.fromordinal(n)) for n in range(first.toordinal(), last.toordinal() + 1))
    return CalendarYear(year, calendar.holidays(year), working, changes)
