from services.requests.domain import NotFound
from services.requests.handlers.deps import Deps
from shared.bus.dispatch import Inbound
from shared.contracts.catalog import ServicePublished, ServiceRecord, ServiceRetired, ServiceUpdated
from shared.logging import get_logger

log = get_logger(__name__)
CONSUMER = "requests.catalog"


async def cache_service(message: Inbound[ServicePublished] | Inbound[ServiceUpdated], deps: Deps) -> None:
    record = message.event.service
    # Before the claim: if declaring the ministry's queues fails, the redelivery must try again.
    await deps.ministry_links.ensure(record.ministry)
    async with deps.uow() as uow:
        if not await uow.claim(message.id, CONSUMER):
            return
        known = await uow.catalogue.version_of(record.slug)
        if known is None or record.version > known:
            await uow.catalogue.put(record, "published")
        else:
            log.info("stale_service_ignored", service=record.slug, version=record.version, known=known)
        await uow.commit()
    deps.services.forget(record.slug)


async def forget_service(message: Inbound[ServiceRetired], deps: Deps) -> None:
    event = message.event
    async with deps.uow() as uow:
        if not await uow.claim(message.id, CONSUMER):
            return
        known = await uow.catalogue.version_of(event.slug)
        if known is None or event.version > known:
            await uow.catalogue.retire(event.slug, event.ministry, event.version)
            log.info("service_retired", service=event.slug, version=event.version)
        await uow.commit()
    deps.services.forget(event.slug)


async def published_service(slug: str, deps: Deps) -> ServiceRecord:
    """The service as last published; fetched from the catalogue once if no event has brought it yet."""
    kept = deps.services.get(slug)
    if kept is not None:
        return kept
    async with deps.uow(read_only=True) as uow:
        cached = await uow.catalogue.get(slug)
        known = cached is not None or await uow.catalogue.knows(slug)
    if not known:
        record = await deps.catalog.fetch(slug)
        if record is not None:
            await deps.ministry_links.ensure(record.ministry)
            async with deps.uow() as uow:
                if not await uow.catalogue.knows(slug):
                    await uow.catalogue.put(record, "published")
                    await uow.commit()
                    cached = record
                else:
                    cached = await uow.catalogue.get(slug)
    if cached is None:
        raise NotFound("service-not-found", f"No published service {slug!r} takes requests.")
    deps.services.put(cached)
    return cached
