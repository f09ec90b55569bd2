"""Due dates count Oman's working days: Sunday to Thursday in Muscat, less public holidays (Hijri ones
included) and with the government's announced changes."""

from datetime import UTC, date, datetime, timedelta

import pytest

from services.requests.domain.calendar import (
    CalendarChange,
    WorkingCalendar,
    kept_table,
    package_holidays,
    public_holidays,
    recount_due,
)

OMAN = WorkingCalendar()


def muscat(day: str, hour: int = 10) -> datetime:
    """`hour` o'clock in Muscat (UTC+4), as the UTC time the store keeps."""
    return datetime.fromisoformat(day).replace(tzinfo=UTC) + timedelta(hours=hour - 4)


@pytest.mark.parametrize(("submitted", "days", "due", "crossing"), [
    ("2026-03-18", 1, "2026-03-23", "Eid al-Fitr 2026, Thursday 19 to Sunday 22 March"),
    ("2026-05-25", 2, "2026-06-01", "Eid al-Adha 2026, Tuesday 26 to Friday 29 May"),
    ("2026-11-24", 1, "2026-11-29", "National Day 2026, Wednesday 25 and Thursday 26 November"),
    ("2027-03-07", 1, "2027-03-14", "Eid al-Fitr 2027, Monday 8 to Thursday 11 March"),
    ("2027-05-13", 1, "2027-05-19", "Eid al-Adha 2027, Saturday 15 to Tuesday 18 May"),
    ("2027-11-18", 1, "2027-11-22", "National Day 2027, Saturday 20 and Sunday 21 November"),
])
def test_a_request_due_across_a_public_holiday_is_due_on_the_next_working_day_after_it(
        submitted: str, days: int, due: str, crossing: str) -> None:
    assert OMAN.add_working_days(muscat(submitted), days) == muscat(due), crossing


def test_the_weekend_is_friday_and_saturday_and_an_ordinary_week_has_five_working_days() -> None:
    week = [date(2026, 2, 1) + timedelta(days=n) for n in range(7)]  # Sunday 1 February 2026
    assert [OMAN.is_working_day(day) for day in week] == [True] * 5 + [False] * 2


def test_the_day_is_the_day_in_muscat_not_in_utc() -> None:
    thursday_night_utc = datetime(2026, 1, 8, 22, tzinfo=UTC)  # already Friday 02:00 in Muscat
    assert OMAN.add_working_days(thursday_night_utc, 1) == datetime(2026, 1, 10, 22, tzinfo=UTC)  # Sunday 02:00


def test_an_announced_holiday_and_a_moved_eid_change_the_working_days() -> None:
    moved = WorkingCalendar([
        CalendarChange(date(2026, 3, 23), "holiday", "Eid al-Fitr (extended)", "عيد الفطر (تمديد)"),
        CalendarChange(date(2026, 3, 22), "working_day", "Eid al-Fitr moved", "نقل إجازة عيد الفطر"),
    ])
    assert moved.is_working_day(date(2026, 3, 22)) and not moved.is_working_day(date(2026, 3, 23))
    assert moved.add_working_days(muscat("2026-03-18"), 1) == muscat("2026-03-22")
    names = {h.day: (h.name_en, h.announced) for h in moved.holidays(2026)}
    assert names[date(2026, 3, 23)] == ("Eid al-Fitr (extended)", True)
    assert date(2026, 3, 22) not in names
    assert names[date(2026, 11, 25)] == ("National Day", False)


def test_a_calendar_change_keeps_a_request_s_number_of_working_days_from_submission() -> None:
    extra = WorkingCalendar([CalendarChange(date(2026, 3, 24), "holiday", "Extra day", "يوم إضافي")])
    submitted = muscat("2026-03-18")
    due = OMAN.add_working_days(submitted, 2)
    assert due == muscat("2026-03-24")
    assert recount_due(OMAN, extra, submitted, due) == muscat("2026-03-25")
    assert recount_due(extra, OMAN, submitted, muscat("2026-03-25")) == due


def test_working_time_skips_holidays_and_weekends() -> None:
    tuesday_noon = muscat("2026-11-24", 12)
    # Tuesday noon to Sunday noon: half of Tuesday, National Day Wednesday and Thursday, the weekend, half of Sunday.
    assert OMAN.working_seconds_between(tuesday_noon, muscat("2026-11-29", 12)) == 24 * 3600
    assert OMAN.add_working_seconds(tuesday_noon, 24 * 3600) == muscat("2026-11-29", 12)
    assert OMAN.add_working_seconds(tuesday_noon, 6 * 3600) == muscat("2026-11-24", 18)


def test_the_holiday_table_the_service_reads_names_the_package_s_holidays_for_every_year_it_covers() -> None:
    table = kept_table()
    assert (table.first_year, table.last_year) == (2000, 2060)
    for year in range(table.first_year, table.last_year + 1):
        assert public_holidays(year) == package_holidays(year), f"{year}: run `portal calendar holidays-table`"


def test_a_year_beyond_the_table_is_counted_from_the_holidays_package_itself() -> None:
    national_day = date(2070, 11, 20)  # a Thursday
    assert not OMAN.is_working_day(national_day)
    assert OMAN.is_working_day(national_day + timedelta(days=-1))
    assert [(h.day, h.name_en, h.name_ar) for h in OMAN.holidays(2070)] == [
        (day, en, ar) for day, (en, ar) in package_holidays(2070).items()]
