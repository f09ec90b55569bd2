"""Oman's one time zone (no daylight saving), the portal's clock: what "today" is for a due date, a quiet hour,
an assessment or a date on a page."""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

MUSCAT = ZoneInfo("Asia/Muscat")


def in_muscat(at: datetime) -> datetime:
    """An instant on Muscat's clock (a naive instant is read as UTC, as the stores keep it)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(MUSCAT)


def local_day(at: datetime) -> date:
    return in_muscat(at).date()
