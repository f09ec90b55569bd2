"""Contact details are checked and kept in one form; quiet hours hold SMS back, Muscat time."""

from datetime import UTC, datetime, time

import pytest
from pydantic import ValidationError

from services.notifications.domain import Preferences, QuietHours
from shared.clock import MUSCAT


def test_choosing_email_or_sms_needs_the_address_or_number_to_reach() -> None:
    with pytest.raises(ValidationError, match="give an email address"):
        Preferences(lang="ar", channels=["inbox", "email"])
    with pytest.raises(ValidationError, match="give a mobile number"):
        Preferences(lang="ar", channels=["inbox", "sms"], email="aisha@example.om")


def at_muscat(hour: int, minute: int = 0, day: int = 10) -> datetime:
    return datetime(2025, 3, day, hour, minute, tzinfo=MUSCAT).astimezone(UTC)


NIGHT = QuietHours(start=time(22, 0), end=time(7, 0))


def test_quiet_hours_over_midnight_end_the_next_morning_when_they_start_in_the_evening() -> None:
    assert NIGHT.ends_after(at_muscat(23, 30)) == datetime(2025, 3, 11, 7, 0, tzinfo=MUSCAT)


def test_quiet_hours_over_midnight_end_the_same_morning_after_midnight() -> None:
    assert NIGHT.ends_after(at_muscat(3, 15)) == datetime(2025, 3, 10, 7, 0, tzinfo=MUSCAT)


def test_outside_quiet_hours_nothing_waits() -> None:
    assert NIGHT.ends_after(at_muscat(7, 0)) is None
    assert NIGHT.ends_after(at_muscat(21, 59)) is None


def test_quiet_hours_within_one_day_hold_only_between_start_and_end() -> None:
    siesta = QuietHours(start=time(13, 0), end=time(16, 0))

    assert siesta.ends_after(at_muscat(14, 0)) == datetime(2025, 3, 10, 16, 0, tzinfo=MUSCAT)
    assert siesta.ends_after(at_muscat(12, 59)) is None
    assert siesta.ends_after(at_muscat(16, 0)) is None


def test_quiet_hours_are_read_in_muscat_time_whatever_the_clock_zone() -> None:
    utc_evening = datetime(2025, 3, 10, 18, 30, tzinfo=UTC)  # 22:30 in Muscat

    assert NIGHT.ends_after(utc_evening) == datetime(2025, 3, 11, 7, 0, tzinfo=MUSCAT)


def test_quiet_hours_that_start_and_end_together_are_refused() -> None:
    with pytest.raises(ValidationError, match="different times"):
        QuietHours(start=time(22, 0), end=time(22, 0))


def test_quiet_hours_are_shown_as_hours_and_minutes() -> None:
    assert NIGHT.model_dump(mode="json") == {"start": "22:00", "end": "07:00"}


def test_notifications_keep_contact_details_as_the_forms_and_requests_do() -> None:
    kept = Preferences(lang="ar", channels=["inbox", "email", "sms"], email="Citizen@بريد.عمان",
                       phone="00968 9123 4567")
    assert (kept.email, kept.phone) == ("Citizen@بريد.عمان", "+96891234567")
