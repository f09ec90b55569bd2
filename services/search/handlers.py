from dataclasses import dataclass

from services.search.domain import Document, SearchQuery, SearchResults, build_document, is_newer
from services.search.store import SearchUnitOfWork
from shared.bus.dispatch import EventRouter, Inbound
from shared.contracts.catalog import ServicePublished, ServiceRecord, ServiceRetired, ServiceUpdated
from shared.db import UnitOfWorkFactory
from shared.logging import get_logger

log = get_logger(__name__)

CONSUMER = "search.catalog"


@dataclass(frozen=True)
class Deps:
    uow: UnitOfWorkFactory[SearchUnitOfWork]


async def _index(event_id: str, record: ServiceRecord, deps: Deps) -> None:
    document = build_document(record)
    async with deps.uow() as uow:
        if not await uow.claim(event_id, CONSUMER):
            log.info("duplicate_event_ignored", event_id=event_id, service=record.slug)
            return
        indexed = await uow.index.version_of(record.slug)
        if not is_newer(record.version, indexed):
            await uow.commit()
            log.info("stale_event_ignored", event_id=event_id, service=record.slug, version=record.version,
                     indexed_version=indexed)
            return
        await uow.index.put(document)
        await uow.commit()
    log.info("service_indexed", service=record.slug, version=record.version)


async def index_service(message: Inbound[ServicePublished], deps: Deps) -> None:
    await _index(message.id, message.event.service, deps)


async def reindex_service(message: Inbound[ServiceUpdated], deps: Deps) -> None:
    await _index(message.id, message.event.service, deps)


async def remove_service(message: Inbound[ServiceRetired], deps: Deps) -> None:
    event = message.event
    async with deps.uow() as uow:
        if not await uow.claim(message.id, CONSUMER):
            log.info("duplicate_event_ignored", event_id=message.id, service=event.slug)
            return
        indexed = await uow.index.version_of(event.slug)
        if not is_newer(event.version, indexed):
            await uow.commit()
            log.info("stale_event_ignored", event_id=message.id, service=event.slug, version=event.version,
                     indexed_version=indexed)
            return
        await uow.index.remove(event.slug, event.version)
        await uow.commit()
    log.info("service_removed", service=event.slug, version=event.version)


async def search_services(query: SearchQuery, deps: Deps) -> SearchResults:
    async with deps.uow(read_only=True) as uow:
        return await uow.index.search(query)


async def suggest_services(text: str, deps: Deps) -> list[Document]:
    async with deps.uow(read_only=True) as uow:
        return await uow.index.suggest(text)


def register(router: EventRouter) -> None:
    router.register(ServicePublished, index_service)
    router.register(ServiceUpdated, reindex_service)
    router.register(ServiceRetired, remove_service)
