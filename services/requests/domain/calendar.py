"""Oman's working days: Sunday to Thursday in Muscat, less the public holidays (the `holidays` package,
Hijri-calendar ones included) and with the government's announced changes on top (an extra holiday, a moved
Eid, a holiday made a working day). Everything that counts working days counts them here.

The public holidays of TABLE_YEARS are read from oman_holidays.json, the `holidays` package's own list written
out by `portal calendar holidays-table` (a unit test holds the two equal year by year): the package loads every
country's rules and the Hijri tables, 9 MB of the serving process, for some fifteen days a year. A year outside
the table is asked of the package itself, as before (it is then loaded); the table is regenerated when the package
is upgraded, and widened before its last year comes near.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Literal

from shared.clock import MUSCAT, local_day

# Oman's weekend is Friday and Saturday.
WEEKEND = frozenset({4, 5})
ChangeKind = Literal["holiday", "working_day"]


@dataclass(frozen=True)
class CalendarChange:
    """A day the government announced as a holiday, or as a working day despite the published calendar."""

    day: date
    kind: ChangeKind
    name_en: str
    name_ar: str


@dataclass(frozen=True)
class Holiday:
    day: date
    name_en: str
    name_ar: str
    announced: bool


TABLE = Path(__file__).with_name("oman_holidays.json")
# (English name, Arabic name) by day, as the package names them (names of two holidays on one day joined by "; ").
Names = dict[date, tuple[str, str]]


@dataclass(frozen=True)
class HolidayTable:
    first_year: int
    last_year: int
    days: Names


@cache
def kept_table() -> HolidayTable:
    kept = json.loads(TABLE.read_text(encoding="utf-8"))
    return HolidayTable(kept["first_year"], kept["last_year"],
                        {date.fromisoformat(day): (en, ar) for day, (en, ar) in kept["holidays"].items()})


def package_holidays(year: int) -> Names:
    """The year's public holidays as the `holidays` package computes them (loading it): the table's source, and
    the answer for a year outside it."""
    from holidays.countries.oman import Oman  # only outside the table, and where the table is made

    english, arabic = Oman(years=year, language="en_US"), Oman(years=year, language="ar")
    return {day: (name, arabic.get(day, name)) for day, name in sorted(english.items())}


@cache
def public_holidays(year: int) -> Names:
    table = kept_table()
    if table.first_year <= year <= table.last_year:
        return {day: names for day, names in table.days.items() if day.year == year}
    return package_holidays(year)


def is_public_holiday(day: date) -> bool:
    return day in public_holidays(day.year)


class WorkingCalendar:
    def __init__(self, changes: Iterable[CalendarChange] = ()) -> None:
        self.changes = {change.day: change for change in changes}

    def is_working_day(self, day: date) -> bool:
        change = self.changes.get(day)
        if change is not None:
            return change.kind == "working_day"
        return day.weekday() not in WEEKEND and not is_public_holiday(day)

    def holidays(self, year: int) -> list[Holiday]:
        """The year's public holidays as published, with the announced changes applied."""
        days = {day: Holiday(day, en, ar, announced=False) for day, (en, ar) in public_holidays(year).items()}
        for day, change in self.changes.items():
            if day.year != year:
                continue
            if change.kind == "holiday":
                days[day] = Holiday(day, change.name_en, change.name_ar, announced=True)
            else:
                days.pop(day, None)
        return [days[day] for day in sorted(days)]

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same Muscat time of day on the `days`-th working day after `start`'s day."""
        local = start.astimezone(MUSCAT)
        day, remaining = local.date(), days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return datetime.combine(day, local.timetz()).astimezone(UTC)

    def working_days_between(self, start: datetime, end: datetime) -> int:
        """How many working days come after `start`'s day up to and including `end`'s day (Muscat)."""
        first, last = local_day(start), local_day(end)
        return sum(self.is_working_day(first + timedelta(days=n)) for n in range(1, (last - first).days + 1))

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """The part of [start, end) that falls on working days."""
        if end <= start:
            return 0.0
        total, cursor = 0.0, start.astimezone(MUSCAT)
        finish = end.astimezone(MUSCAT)
        while cursor < finish:
            next_midnight = datetime.combine(cursor.date() + timedelta(days=1), time(), MUSCAT)
            until = min(next_midnight, finish)
            if self.is_working_day(cursor.date()):
                total += (until - cursor).total_seconds()
            cursor = until
        return total

    def add_working_seconds(self, start: datetime, seconds: float) -> datetime:
        """The moment `seconds` of working time after `start` (time on non-working days does not count)."""
        cursor, remaining = start.astimezone(MUSCAT), seconds
        while True:
            next_midnight = datetime.combine(cursor.date() + timedelta(days=1), time(), MUSCAT)
            if self.is_working_day(cursor.date()):
                available = (next_midnight - cursor).total_seconds()
                if remaining <= available:
                    return (cursor + timedelta(seconds=remaining)).astimezone(UTC)
                remaining -= available
            cursor = next_midnight


def recount_due(before: WorkingCalendar, after: WorkingCalendar, submitted_at: datetime, due_on: datetime
                ) -> datetime:
    """An open request's due date once the calendar changes: the same number of working days from submission."""
    return after.add_working_days(submitted_at, before.working_days_between(submitted_at, due_on))
