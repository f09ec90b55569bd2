"""Each service's submissions so far, reported to search (it ranks services by them) every few seconds: one event
for every service whose total moved, where search once took every status change of every request to count them."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from services.requests.handlers.deps import Deps
from shared.bus.topology import EVENTS
from shared.contracts.requests import SubmissionsCounted
from shared.logging import get_logger

log = get_logger(__name__)

# The rollups' days are the requests' UTC dates: a day back covers a request made just before midnight.
LOOK_BACK = timedelta(days=1)


@dataclass
class Reported:
    """What this process reported last: each service's total, and the day from which services count as active.
    Before its first report, every service is (a new process, or search's index rebuilt, needs every total)."""

    totals: dict[str, int] = field(default_factory=dict)
    since: date | None = None


async def report_submission_counts(deps: Deps, reported: Reported) -> int:
    """The totals that moved since the last report, published (through the outbox); how many services moved."""
    now = deps.clock()
    async with deps.uow() as uow:
        totals = await uow.kpi_rollups.submissions(reported.since)
        moved = {service: total for service, total in sorted(totals.items()) if reported.totals.get(service) != total}
        if moved:
            await uow.publish(SubmissionsCounted(submissions=moved, counted_at=now), exchange=EVENTS,
                              routing_key="requests.submissions.counted", subject="submissions")
            await uow.commit()
    reported.totals.update(moved)
    reported.since = (now - LOOK_BACK).date()
    if moved:
        log.info("submission_counts_reported", services=len(moved))
    return len(moved)
