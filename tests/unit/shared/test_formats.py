"""Dates, times and fees as a reader in Oman expects them, in Arabic and English."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from shared.formats import format_date, format_datetime, format_money, hijri_date, muscat_day

LATE_EVENING_UTC = "2026-11-17T23:30:00+00:00"


def test_a_late_evening_in_utc_is_already_the_next_day_in_muscat() -> None:
    assert muscat_day(LATE_EVENING_UTC) == date(2026, 11, 18)
    assert format_date(LATE_EVENING_UTC, "en") == "18 November 2026"
    assert format_date(LATE_EVENING_UTC, "ar") == "18 نوفمبر 2026"


def test_a_time_is_shown_on_muscats_clock_in_both_languages() -> None:
    assert format_datetime(LATE_EVENING_UTC, "en") == "18 November 2026, 3:30\u202fAM"
    assert format_datetime(LATE_EVENING_UTC, "ar") == "18 نوفمبر 2026، 3:30 ص"


def test_a_time_without_a_zone_is_read_as_utc_as_the_services_store_it() -> None:
    assert format_datetime(datetime(2026, 11, 17, 23, 30), "en") == format_datetime(LATE_EVENING_UTC, "en")
    assert format_datetime("2026-11-17T23:30:00Z", "ar") == format_datetime(LATE_EVENING_UTC, "ar")


def test_eid_al_fitr_2026_is_shown_beside_its_hijri_date() -> None:
    assert format_date("2026-03-20", "en", hijri=True) == "20 March 2026 (1 Shawwal 1447 AH)"
    assert format_date(date(2026, 3, 20), "ar", hijri=True) == "20 مارس 2026 (1 شوال 1447 هـ)"


def test_the_hijri_date_is_that_of_the_muscat_day() -> None:
    # 23:30 UTC on 26 May 2026 (the Day of Arafah) is already 27 May, Eid al-Adha, in Muscat.
    assert hijri_date(datetime(2026, 5, 26, 23, 30, tzinfo=UTC), "en") == "10 Dhu al-Hijjah 1447 AH"
    assert hijri_date(date(2026, 5, 26), "en") == "9 Dhu al-Hijjah 1447 AH"


def test_a_date_beyond_the_umm_al_qura_table_is_shown_in_gregorian_alone() -> None:
    assert format_date("2099-01-01", "en", hijri=True) == "1 January 2099"


def test_digits_are_latin_in_arabic_too() -> None:
    for text in (format_date("2026-03-20", "ar", hijri=True), format_datetime(LATE_EVENING_UTC, "ar"),
                 format_money("5.5", "ar")):
        assert not any("\u0660" <= char <= "\u0669" for char in text)


def test_a_fee_is_written_in_omani_rials_with_three_decimals() -> None:
    assert format_money(Decimal("5"), "en") == "OMR\u00a05.000"
    assert format_money("12.5", "en") == "OMR\u00a012.500"
    assert format_money(1234.25, "ar") == "\u200f1,234.250\u00a0ر.ع.\u200f"


def test_an_amount_under_a_heading_that_names_the_currency_has_no_symbol() -> None:
    assert format_money("1234.5", "en", symbol=False) == "1,234.500"
    assert format_money("0.1", "ar", symbol=False) == "0.100"


@pytest.mark.parametrize("missing", [None, ""])
def test_nothing_is_written_for_a_missing_value(missing: str | None) -> None:
    assert format_date(missing, "ar") == format_datetime(missing, "en") == format_money(missing, "en") == ""


def test_text_that_is_not_a_date_or_an_amount_is_shown_as_it_came_rather_than_failing_the_page() -> None:
    assert format_date("soon", "en") == "soon"
    assert format_datetime("later", "ar") == "later"
    assert format_money("free", "en") == "free"
