"""Flagging stalled requests to their ministry (once per stay in a status) and counting them for staff."""

from datetime import datetime, timedelta

from services.requests.domain.stalls import STALLABLE, expected_step, is_stalled
from services.requests.handlers.deps import Deps
from services.requests.store import RequestRow, RequestsUnitOfWork
from shared.bus.topology import TO_MINISTRIES
from shared.contracts.requests import RequestStalled
from shared.logging import get_logger

log = get_logger(__name__)
BATCH = 500


async def flag_stalled_requests(deps: Deps, floor: timedelta) -> int:
    """Flag every request that waits past its expected step time; each flag goes to its ministry's inbox as
    RequestStalled in the same transaction. Returns how many were flagged."""
    now = deps.clock()
    flagged, after = 0, None
    while True:
        async with deps.uow() as uow:
            candidates = await uow.requests.stall_candidates(STALLABLE, now - floor, BATCH, after=after)
            calendar = await deps.calendars.current(uow)
            for row in candidates:
                typical = await deps.estimates.typical(uow, row.service, calendar)
                waited = timedelta(seconds=calendar.working_seconds_between(row.updated_at, now))
                if is_stalled(row.status, waited, typical, floor):
                    flagged += await _flag(uow, row, expected_step(row.status, typical, floor), now)
            await uow.commit()
        if len(candidates) < BATCH:
            break
        after = (candidates[-1].updated_at, candidates[-1].tracking_number)
    if flagged:
        log.info("requests_flagged_stalled", flagged=flagged)
    return flagged


async def _flag(uow: RequestsUnitOfWork, row: RequestRow, step: timedelta, now: datetime) -> int:
    if not await uow.requests.mark_stalled(row.tracking_number, row.updated_at, now):
        return 0
    await uow.publish(
        RequestStalled(tracking_number=row.tracking_number, service=row.service, ministry=row.ministry,
                       status=row.status, since=row.updated_at, expected_step_seconds=int(step.total_seconds()),
                       stalled_at=now),
        exchange=TO_MINISTRIES, routing_key=f"{row.ministry}.request.stalled", subject=row.tracking_number)
    return 1


async def stalled_requests(ministry: str | None, deps: Deps) -> list[tuple[str, str, int]]:
    async with deps.uow(read_only=True) as uow:
        return await uow.requests.stalled_counts(ministry)
