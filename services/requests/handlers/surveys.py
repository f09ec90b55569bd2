"""Satisfaction: a completed request takes exactly one rating from its citizen."""

from dataclasses import dataclass

from services.requests.domain import Conflict, NotFound, parse_tracking_number
from services.requests.handlers.deps import Deps
from shared.auth import Identity
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class RateRequest:
    tracking_number: str
    citizen: Identity
    score: int
    comment: str | None = None


async def rate_request(command: RateRequest, deps: Deps) -> str:
    tracking_number = parse_tracking_number(command.tracking_number)
    async with deps.uow() as uow:
        row = await uow.requests.get(tracking_number, for_update=True)
        if row is None or row.citizen != command.citizen.subject:
            raise NotFound("request-not-found", f"You have no request {tracking_number}.")
        if row.status != "completed":
            raise Conflict("not-completed", "A request is rated once it is completed.")
        if not await uow.ratings.add(tracking_number, row.service, row.ministry, command.score,
                                     command.comment or None, deps.clock()):
            raise Conflict("already-rated", "You already rated this request.")
        await uow.commit()
    log.info("request_rated", service=row.service, score=command.score)
    return tracking_number
