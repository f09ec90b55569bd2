"""Popularity: each service's submissions so far, as the requests service reports them (SubmissionsCounted).

A report carries totals, not additions: one heard twice, or after a later one, sets nothing new, since a count here
never lowers. Reports come in batches (Bus.consume_in_batches, gathered for up to the settings'
popularity_linger_seconds); a batch is one transaction, its reports claimed in one statement, and the counts given to
the index at once (one commit of the embedded index). Status changes still queued from before the upgrade (search
took every one of them then) are acked and passed over.
"""

from dataclasses import dataclass

from services.search.handlers.deps import Deps
from shared.bus.dispatch import BatchRouter, Inbound
from shared.contracts.requests import RequestStatusChanged, SubmissionsCounted
from shared.db import utcnow
from shared.logging import get_logger

log = get_logger(__name__)

CONSUMER = "search.popularity"


@dataclass(frozen=True)
class Report:
    event_id: str
    submissions: dict[str, int]


def reported(message: Inbound[SubmissionsCounted]) -> Report:
    return Report(message.id, message.event.submissions)


def left_over(_: Inbound[RequestStatusChanged]) -> None:
    return None


async def set_submission_counts(reports: list[Report | None], deps: Deps) -> None:
    fresh_reports = [report for report in reports if report is not None]
    if not fresh_reports:
        return
    async with deps.uow() as uow:
        fresh = await uow.claim_many((report.event_id, CONSUMER) for report in fresh_reports)
        totals: dict[str, int] = {}
        for report in fresh_reports:
            key = (report.event_id, CONSUMER)
            if key not in fresh:
                log.info("duplicate_event_ignored", event_id=report.event_id)
                continue
            # Applied for its first copy only: a report twice in one batch is one report.
            fresh.discard(key)
            for service, submissions in report.submissions.items():
                totals[service] = max(submissions, totals.get(service, 0))
        if not totals:
            return
        counts = await uow.popularity.raise_to(totals, utcnow())
        # The index takes the counts before the database commits: setting a count is idempotent and never
        # lowers one, so a redelivery after a crash sets the same numbers again.
        await deps.engine.set_popularity(counts)
        await uow.commit()
    log.info("submissions_counted", services=len(counts), reports=len(fresh_reports))


def request_events(deps: Deps) -> BatchRouter[Report | None]:
    """The requests service's reports as this service takes them: in batches, one transaction each."""
    router: BatchRouter[Report | None] = BatchRouter(deps, set_submission_counts)
    router.register(SubmissionsCounted, reported)
    router.register(RequestStatusChanged, left_over)
    return router
