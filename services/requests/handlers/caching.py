import asyncio
from collections.abc import Hashable

from services.requests.domain.calendar import WorkingCalendar
from services.requests.store import RequestsUnitOfWork
from shared.caching import KeptFor
from shared.contracts.catalog import ServiceRecord
from shared.db import UnitOfWorkFactory


class KeptReports(KeptFor[Hashable, object]):
    """Public performance reports by period and filter."""

    def __init__(self, seconds: float = 60.0) -> None:
        super().__init__(seconds)
        # What is not kept is computed one at a time: a burst of different periods queues, it does not pile up.
        self.computing = asyncio.Lock()


class PublishedServices:
    """The services that take requests, as last read from the store, each for `keep_seconds`: every submission
    needs its service's form, and reading and validating the record cost more than the rest of its checks. This
    process forgets one as soon as it applies a change to it; another replica sees the change within that time."""

    def __init__(self, keep_seconds: float = 5.0, most: int = 10_000) -> None:
        self._kept: KeptFor[str, ServiceRecord] = KeptFor(keep_seconds, most=most)

    def get(self, slug: str) -> ServiceRecord | None:
        return self._kept.get(slug)

    def put(self, record: ServiceRecord) -> None:
        self._kept.put(record.slug, record)

    def forget(self, slug: str) -> None:
        self._kept.forget(slug)


class Calendars:
    """The calendar read from the store at most every `keep_seconds`: another process sees an announcement
    within that time, this one at once."""

    def __init__(self, keep_seconds: float = 60.0) -> None:
        self._kept: KeptFor[str, WorkingCalendar] = KeptFor(keep_seconds, most=1)

    async def current(self, uow: RequestsUnitOfWork) -> WorkingCalendar:
        calendar = self._kept.get("in force")
        if calendar is None:
            calendar = await read_calendar(uow)
            self._kept.put("in force", calendar)
        return calendar

    async def kept(self, open_unit: UnitOfWorkFactory[RequestsUnitOfWork]) -> WorkingCalendar:
        """The calendar, read in a unit of work of its own only when not kept."""
        calendar = self._kept.get("in force")
        if calendar is None:
            async with open_unit(read_only=True) as uow:
                calendar = await self.current(uow)
        return calendar

    def forget(self) -> None:
        self._kept.forget()


async def read_calendar(uow: RequestsUnitOfWork) -> WorkingCalendar:
    return WorkingCalendar(row.change for row in await uow.calendar.in_force())
