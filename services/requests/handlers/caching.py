import asyncio
import time
from collections.abc import Hashable

from services.requests.domain.calendar import WorkingCalendar
from services.requests.store import RequestsUnitOfWork


class KeptFor:
    """Values kept a while by key: what anyone may ask for often is computed at most once per period."""

    def __init__(self, seconds: float = 60.0, most: int = 1000) -> None:
        self._seconds, self._most = seconds, most
        self._kept: dict[Hashable, tuple[float, object]] = {}
        # What is not kept is computed one at a time: a burst of different periods queues, it does not pile up.
        self.computing = asyncio.Lock()

    def get(self, key: Hashable) -> object | None:
        kept = self._kept.get(key)
        return kept[1] if kept is not None and time.monotonic() - kept[0] < self._seconds else None

    def put(self, key: Hashable, value: object) -> None:
        if len(self._kept) >= self._most:
            self._kept.clear()
        self._kept[key] = (time.monotonic(), value)


class Calendars:
    """The calendar read from the store at most every `keep_seconds`: another process sees an announcement
    within that time, this one at once."""

    def __init__(self, keep_seconds: float = 60.0) -> None:
        self._keep = keep_seconds
        self._kept: tuple[float, WorkingCalendar] | None = None

    async def current(self, uow: RequestsUnitOfWork) -> WorkingCalendar:
        if self._kept is not None and time.monotonic() - self._kept[0] < self._keep:
            return self._kept[1]
        calendar = await read_calendar(uow)
        self._kept = (time.monotonic(), calendar)
        return calendar

    def forget(self) -> None:
        self._kept = None


async def read_calendar(uow: RequestsUnitOfWork) -> WorkingCalendar:
    return WorkingCalendar(row.change for row in await uow.calendar.in_force())
