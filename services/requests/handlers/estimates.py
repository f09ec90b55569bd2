"""Expected completion dates, from each service's per-state typical times, kept a while per service so that
listing requests costs no more than a dictionary look-up."""

from datetime import datetime

from services.requests.domain import OPEN_STATUSES
from services.requests.domain.calendar import WorkingCalendar
from services.requests.domain.estimates import expected_completion, typical_stays
from services.requests.store import RequestRow, RequestsUnitOfWork
from shared.caching import KeptFor


class CompletionEstimates:
    def __init__(self, keep_seconds: float = 300.0) -> None:
        self._typical: KeptFor[str, dict[str, float]] = KeptFor(keep_seconds)

    async def typical(self, uow: RequestsUnitOfWork, service: str, calendar: WorkingCalendar) -> dict[str, float]:
        typical = self._typical.get(service)
        if typical is None:
            typical = typical_stays(await uow.requests.timelines(service), calendar)
            self._typical.put(service, typical)
        return typical

    async def expected(self, uow: RequestsUnitOfWork, row: RequestRow, now: datetime, calendar: WorkingCalendar
                       ) -> datetime | None:
        if row.status not in OPEN_STATUSES:
            return None
        return expected_completion(row.status, row.updated_at, row.due_on, now,
                                   await self.typical(uow, row.service, calendar), calendar)
