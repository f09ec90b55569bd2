from dataclasses import dataclass

from services.catalog.domain import (
    Conflict,
    MinistryDraft,
    NotFound,
    ServiceDraft,
    build_record,
    ensure_can_manage,
    ensure_editable,
    hash_api_key,
    new_api_key,
)
from services.catalog.store import CatalogUnitOfWork
from shared.auth import Identity
from shared.bus.topology import EVENTS
from shared.contracts.catalog import ServicePublished, ServiceRecord, ServiceRetired, ServiceUpdated
from shared.db import UnitOfWorkFactory
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True)
class Deps:
    uow: UnitOfWorkFactory[CatalogUnitOfWork]


@dataclass(frozen=True)
class OnboardMinistry:
    draft: MinistryDraft


@dataclass(frozen=True)
class PublishService:
    ministry: str
    draft: ServiceDraft
    actor: Identity


@dataclass(frozen=True)
class UpdateService:
    slug: str
    draft: ServiceDraft
    actor: Identity


@dataclass(frozen=True)
class RetireService:
    slug: str
    actor: Identity


async def onboard_ministry(command: OnboardMinistry, deps: Deps) -> str:
    api_key = new_api_key()
    async with deps.uow() as uow:
        if await uow.ministries.name_of(command.draft.code):
            raise Conflict("ministry-exists", f"The ministry {command.draft.code!r} is already onboarded.")
        await uow.ministries.add(command.draft.code, command.draft.name, hash_api_key(api_key))
        await uow.commit()
    log.info("ministry_onboarded", ministry=command.draft.code)
    return api_key


async def publish_service(command: PublishService, deps: Deps) -> ServiceRecord:
    ensure_can_manage(command.actor.ministry, command.actor.role == "admin", command.ministry)
    async with deps.uow() as uow:
        ministry_name = await uow.ministries.name_of(command.ministry)
        if ministry_name is None:
            raise NotFound("ministry-not-found", f"No ministry {command.ministry!r} is onboarded.")
        if await uow.services.get(command.draft.slug):
            raise Conflict("service-exists", f"A service with the slug {command.draft.slug!r} already exists.")
        record = build_record(command.draft, command.ministry, ministry_name, version=1)
        await uow.services.add(record)
        await uow.publish(ServicePublished(service=record), exchange=EVENTS,
                          routing_key="catalog.service.published", subject=record.slug)
        await uow.commit()
    log.info("service_published", service=record.slug, ministry=record.ministry)
    return record


async def update_service(command: UpdateService, deps: Deps) -> ServiceRecord:
    if command.draft.slug != command.slug:
        raise Conflict("slug-mismatch", "The slug in the body must match the slug in the path.")
    async with deps.uow() as uow:
        current = await uow.services.get(command.slug)
        if current is None:
            raise NotFound("service-not-found", f"No service {command.slug!r}.")
        status, record = current
        ensure_can_manage(command.actor.ministry, command.actor.role == "admin", record.ministry)
        ensure_editable(status, command.slug)
        updated = build_record(command.draft, record.ministry, record.ministry_name, record.version + 1)
        await uow.services.replace(updated)
        await uow.publish(ServiceUpdated(service=updated), exchange=EVENTS,
                          routing_key="catalog.service.updated", subject=updated.slug)
        await uow.commit()
    log.info("service_updated", service=updated.slug, version=updated.version)
    return updated


async def retire_service(command: RetireService, deps: Deps) -> ServiceRecord:
    async with deps.uow() as uow:
        current = await uow.services.get(command.slug)
        if current is None:
            raise NotFound("service-not-found", f"No service {command.slug!r}.")
        status, record = current
        ensure_can_manage(command.actor.ministry, command.actor.role == "admin", record.ministry)
        ensure_editable(status, command.slug)
        retired = record.model_copy(update={"version": record.version + 1})
        await uow.services.replace(retired, status="retired")
        await uow.publish(ServiceRetired(slug=retired.slug, ministry=retired.ministry, version=retired.version),
                          exchange=EVENTS, routing_key="catalog.service.retired", subject=retired.slug)
        await uow.commit()
    log.info("service_retired", service=retired.slug)
    return retired


async def identify_ministry(api_key: str, deps: Deps) -> str | None:
    async with deps.uow(read_only=True) as uow:
        return await uow.ministries.by_key_hash(hash_api_key(api_key))


async def find_service(slug: str, deps: Deps) -> ServiceRecord:
    async with deps.uow(read_only=True) as uow:
        found = await uow.services.get(slug)
    if found is None or found[0] != "published":
        raise NotFound("service-not-found", f"No published service {slug!r}.")
    return found[1]


async def list_services(deps: Deps, *, ministry: str | None = None, life_event: str | None = None,
                        maturity: str | None = None, limit: int = 50, offset: int = 0
                        ) -> tuple[int, list[ServiceRecord]]:
    async with deps.uow(read_only=True) as uow:
        return await uow.services.published(ministry, life_event, maturity, limit, offset)
