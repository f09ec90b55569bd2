"""The Hijri seasons that move demand, as Gregorian days: Ramadan and the two Eids move about eleven days a year.

The dates come from the `holidays` package's Islamic lunar calendar (tabulated, the one Oman's own holiday list
uses), so the seasons and the working calendar agree."""

from datetime import date, timedelta
from functools import cache

from holidays.calendars.islamic import _IslamicLunar

RAMADAN_DAYS = 29


@cache
def ramadan(year: int) -> frozenset[date]:
    """The days of Ramadan that begin in this Gregorian year (29, the last day's sighting being uncertain)."""
    starts = [d for d, _ in _IslamicLunar().ramadan_beginning_dates(year)]
    return frozenset(start + timedelta(days=i) for start in starts for i in range(RAMADAN_DAYS))


@cache
def eids(year: int) -> frozenset[date]:
    """Eid al-Fitr and Eid al-Adha with the two days after each (the public holidays' span)."""
    lunar = _IslamicLunar()
    firsts = [d for d, _ in lunar.eid_al_fitr_dates(year)] + [d for d, _ in lunar.eid_al_adha_dates(year)]
    return frozenset(first + timedelta(days=i) for first in firsts for i in range(3))


def is_ramadan(day: date) -> bool:
    return day in ramadan(day.year)


def is_eid(day: date) -> bool:
    return day in eids(day.year)


def before_eid(day: date, days: int = 14) -> bool:
    """The fortnight before an Eid: travel and family paperwork peak."""
    return any(day + timedelta(days=i) in eids((day + timedelta(days=i)).year) for i in range(1, days + 1))
