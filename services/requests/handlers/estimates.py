"""Expected completion dates, from each service's per-state typical times, kept a while per service so that
listing requests costs no more than a dictionary look-up."""

import time
from datetime import datetime

from services.requests.domain import OPEN_STATUSES
from services.requests.domain.calendar import WorkingCalendar
from services.requests.domain.estimates import expected_completion, typical_stays
from services.requests.store import RequestRow, RequestsUnitOfWork


class CompletionEstimates:
    def __init__(self, keep_seconds: float = 300.0) -> None:
        self._keep = keep_seconds
        self._typical: dict[str, tuple[float, dict[str, float]]] = {}

    async def typical(self, uow: RequestsUnitOfWork, service: str, calendar: WorkingCalendar) -> dict[str, float]:
        kept = self._typical.get(service)
        if kept is not None and time.monotonic() - kept[0] < self._keep:
            return kept[1]
        typical = typical_stays(await uow.requests.timelines(service), calendar)
        self._typical[service] = (time.monotonic(), typical)
        return typical

    async def expected(self, uow: RequestsUnitOfWork, row: RequestRow, now: datetime, calendar: WorkingCalendar
                       ) -> datetime | None:
        if row.status not in OPEN_STATUSES:
            return None
        return expected_completion(row.status, row.updated_at, row.due_on, now,
                                   await self.typical(uow, row.service, calendar), calendar)
