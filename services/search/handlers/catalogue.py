"""The index follows the catalogue: published and updated services are indexed, retired ones removed.

The index and this service's database cannot commit together. The index is written first and the
inbox row commits after it: a crash in between redelivers the event, and the index refuses a version it
already holds, so the replay changes nothing. The other order could record the event as applied while
the index never saw it.
"""

from collections.abc import Awaitable, Callable

from services.search.domain import build_document
from services.search.handlers.deps import Deps
from shared.bus.dispatch import Inbound
from shared.contracts.catalog import ServicePublished, ServiceRecord, ServiceRetired, ServiceUpdated
from shared.logging import get_logger

log = get_logger(__name__)

CONSUMER = "search.catalog"


async def _apply(event_id: str, slug: str, version: int, deps: Deps,
                 write: Callable[[int], Awaitable[bool]]) -> bool | None:
    """Claim the event, then write with the service's submission count; None when it was seen before."""
    async with deps.uow() as uow:
        if not await uow.claim(event_id, CONSUMER):
            log.info("duplicate_event_ignored", event_id=event_id, service=slug)
            return None
        popularity = (await uow.popularity.of([slug])).get(slug, 0)
        applied = await write(popularity)
        await uow.commit()
    if not applied:
        log.info("stale_event_ignored", event_id=event_id, service=slug, version=version,
                 indexed_version=await deps.engine.version_of(slug))
    return applied


async def _index(event_id: str, record: ServiceRecord, deps: Deps) -> None:
    async def put(popularity: int) -> bool:
        return await deps.engine.put(build_document(record, popularity, deps.lexicon))

    if await _apply(event_id, record.slug, record.version, deps, put):
        log.info("service_indexed", service=record.slug, version=record.version)


async def index_service(message: Inbound[ServicePublished], deps: Deps) -> None:
    await _index(message.id, message.event.service, deps)


async def reindex_service(message: Inbound[ServiceUpdated], deps: Deps) -> None:
    await _index(message.id, message.event.service, deps)


async def remove_service(message: Inbound[ServiceRetired], deps: Deps) -> None:
    event = message.event

    async def retire(_: int) -> bool:
        return await deps.engine.retire(event.slug, event.version)

    if await _apply(message.id, event.slug, event.version, deps, retire):
        log.info("service_removed", service=event.slug, version=event.version)
