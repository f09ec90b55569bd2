"""Popularity: each request submitted for a service counts once, from the requests service's events.

Only the service's slug is kept and logged: the event also names the citizen, which never leaves here.
"""

from services.search.handlers.deps import Deps
from shared.bus.dispatch import Inbound
from shared.contracts.requests import RequestStatusChanged
from shared.db import utcnow
from shared.logging import get_logger

log = get_logger(__name__)

CONSUMER = "search.popularity"


async def count_submission(message: Inbound[RequestStatusChanged], deps: Deps) -> None:
    event = message.event
    if event.status != "submitted":
        return
    async with deps.uow() as uow:
        if not await uow.claim(message.id, CONSUMER):
            log.info("duplicate_event_ignored", event_id=message.id, service=event.service)
            return
        submissions = await uow.popularity.add_submission(event.service, utcnow())
        # The index takes the count before the database commits: setting a count is idempotent and
        # never lowers one, so a redelivery after a crash sets the same number again.
        await deps.engine.set_popularity(event.service, submissions)
        await uow.commit()
    log.info("submission_counted", service=event.service, submissions=submissions)
