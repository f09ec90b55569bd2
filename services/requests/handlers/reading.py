"""What citizens and ministries read of their requests: no state changes here."""

from services.requests.domain import OPEN_STATUSES, NotFound, parse_tracking_number
from services.requests.handlers.deps import Deps
from services.requests.handlers.lifecycle import RequestInfo
from shared.auth import Identity


async def my_requests(citizen: Identity, deps: Deps, limit: int = 50, offset: int = 0) -> list[RequestInfo]:
    now = deps.clock()
    async with deps.uow(read_only=True) as uow:
        rows = await uow.requests.of_citizen(citizen.subject, limit, offset)
        rated = await uow.ratings.of_requests([r.tracking_number for r in rows])
        calendar = await deps.calendars.current(uow)
        infos = [RequestInfo(r, rating=rated.get(r.tracking_number),
                             expected_completion=await deps.estimates.expected(uow, r, now, calendar)) for r in rows]
    return sorted(infos, key=lambda i: (i.row.status not in OPEN_STATUSES, -i.row.submitted_at.timestamp()))


async def request_detail(tracking_number: str, viewer: Identity, deps: Deps) -> RequestInfo:
    canonical = parse_tracking_number(tracking_number)
    async with deps.uow(read_only=True) as uow:
        row = await uow.requests.get(canonical)
        visible = row is not None and (row.citizen == viewer.subject if viewer.is_citizen
                                       else viewer.acts_for(row.ministry))
        if row is None or not visible:
            raise NotFound("request-not-found", f"You have no request {canonical}.")
        return RequestInfo(row, await uow.requests.history(canonical), await uow.ratings.of_request(canonical),
                           await deps.estimates.expected(uow, row, deps.clock(),
                                                       await deps.calendars.current(uow)))


async def overdue_requests(ministry: str | None, deps: Deps) -> list[tuple[str, str, int]]:
    async with deps.uow(read_only=True) as uow:
        return await uow.requests.overdue_counts(deps.clock(), ministry)
