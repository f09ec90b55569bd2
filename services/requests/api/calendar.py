from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from services.requests.api.common import D, Staff
from services.requests.domain.calendar import ChangeKind
from services.requests.handlers import calendar as handlers
from services.requests.store import CalendarChangeRow
from shared.contracts.base import Day, SafeText

router = APIRouter()


class HolidayView(BaseModel):
    day: date
    name_en: str
    name_ar: str
    announced: bool


class CalendarChangeView(BaseModel):
    id: str
    day: date
    kind: ChangeKind
    name_en: str
    name_ar: str
    reference: str | None
    added_by: str
    added_at: datetime
    revoked_by: str | None
    revoked_at: datetime | None


class CalendarView(BaseModel):
    year: int
    working_days: int
    holidays: list[HolidayView]
    changes: list[CalendarChangeView]


class CalendarChangeIn(BaseModel):
    day: Day
    kind: ChangeKind = Field(description="holiday: an announced day off; working_day: a published holiday "
                                         "announced as a working day (e.g. a moved Eid)")
    name_en: Annotated[SafeText, Field(min_length=2, max_length=200)]
    name_ar: Annotated[SafeText, Field(min_length=2, max_length=200)]
    reference: Annotated[SafeText | None, Field(max_length=200, description="the announcement, e.g. a decree "
                                                                            "number")] = None


class CalendarChangeResult(BaseModel):
    change: CalendarChangeView
    due_dates_moved: int


def change_view(row: CalendarChangeRow) -> CalendarChangeView:
    return CalendarChangeView(**row.__dict__)


Year = Annotated[int, Query(ge=2000, le=2100)]


@router.get("/api/v1/admin/calendar")
async def working_calendar(_: Staff, deps: D, year: Year) -> CalendarView:
    """Oman's holidays for the year as the portal counts them (published, with the announced changes), its
    number of working days, and every change announced for it, revoked ones included."""
    found = await handlers.calendar_year(year, deps)
    return CalendarView(year=found.year, working_days=found.working_days,
                        holidays=[HolidayView(**h.__dict__) for h in found.holidays],
                        changes=[change_view(c) for c in found.changes])


@router.post("/api/v1/admin/calendar/changes", status_code=201)
async def announce_change(staff: Staff, deps: D, body: CalendarChangeIn) -> CalendarChangeResult:
    """Record a government announcement; undecided requests it concerns get their due dates recounted."""
    row, moved = await handlers.announce_calendar_change(handlers.AnnounceCalendarChange(
        body.day, body.kind, body.name_en, body.name_ar, body.reference, staff.subject), deps)
    return CalendarChangeResult(change=change_view(row), due_dates_moved=moved)


@router.post("/api/v1/admin/calendar/changes/{change_id}/revoke")
async def revoke_change(staff: Staff, deps: D, change_id: Annotated[str, Path(max_length=36)]
                        ) -> CalendarChangeResult:
    row, moved = await handlers.revoke_calendar_change(change_id, staff.subject, deps)
    return CalendarChangeResult(change=change_view(row), due_dates_moved=moved)
