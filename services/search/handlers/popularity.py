"""Popularity: each request submitted for a service counts once, from the requests service's events.

The events come in batches (Bus.consume_in_batches, gathered for up to the settings' popularity_linger_seconds): a
batch is one transaction, its events claimed in one statement, its submissions summed per service, each service's
count updated once, and the counts given to the index at once (one commit of the embedded index).
Only the service's slug is kept and logged: the event also names the citizen, which never leaves here.
"""

from collections import Counter
from dataclasses import dataclass

from services.search.handlers.deps import Deps
from shared.bus.dispatch import BatchRouter, Inbound
from shared.contracts.requests import RequestStatusChanged
from shared.db import utcnow
from shared.logging import get_logger

log = get_logger(__name__)

CONSUMER = "search.popularity"


@dataclass(frozen=True)
class Submission:
    event_id: str
    service: str


def submitted(message: Inbound[RequestStatusChanged]) -> Submission | None:
    """The submission a status change is, or None for any other status (nothing to count)."""
    event = message.event
    return Submission(message.id, event.service) if event.status == "submitted" else None


async def count_submissions(changes: list[Submission | None], deps: Deps) -> None:
    submissions = [change for change in changes if change is not None]
    if not submissions:
        return
    async with deps.uow() as uow:
        fresh = await uow.claim_many((s.event_id, CONSUMER) for s in submissions)
        added: Counter[str] = Counter()
        for submission in submissions:
            key = (submission.event_id, CONSUMER)
            if key in fresh:
                # Counted for its first copy only: an event twice in one batch is one submission.
                fresh.discard(key)
                added[submission.service] += 1
            else:
                log.info("duplicate_event_ignored", event_id=submission.event_id, service=submission.service)
        if not added:
            return
        counts = await uow.popularity.add_submissions(added, utcnow())
        # The index takes the counts before the database commits: setting a count is idempotent and never
        # lowers one, so a redelivery after a crash sets the same numbers again.
        await deps.engine.set_popularity(counts)
        await uow.commit()
    for service, submissions_now in counts.items():
        log.info("submissions_counted", service=service, counted=added[service], submissions=submissions_now)


def request_events(deps: Deps) -> BatchRouter[Submission | None]:
    """The requests service's events as this service takes them: batches of status changes, one transaction each."""
    router: BatchRouter[Submission | None] = BatchRouter(deps, count_submissions)
    router.register(RequestStatusChanged, submitted)
    return router
