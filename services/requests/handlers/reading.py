"""What citizens and ministries read of their requests: no state changes here."""

from services.requests.domain import OPEN_STATUSES, NotFound, parse_tracking_number
from services.requests.handlers.deps import Deps
from services.requests.handlers.lifecycle import RequestInfo
from shared.auth import Identity


async def my_requests(citizen: Identity, deps: Deps, limit: int = 50, offset: int = 0) -> list[RequestInfo]:
    now = deps.clock()
    # Not entered: each read opens what it needs (on SQLite, one hop and no connection of the event loop's), and
    # the calendar and the services' typical times are read only when their kept copies have expired.
    uow = deps.uow(read_only=True)
    page = await uow.requests.of_citizen(citizen.subject, limit, offset)
    calendar = await deps.calendars.current(uow)
    infos = [RequestInfo(r, rating=rating, expected_completion=await deps.estimates.expected(uow, r, now, calendar))
             for r, rating in page]
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
