from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from services.catalog.domain import (
    Conflict,
    MinistryDraft,
    NotFound,
    OnboardingProgress,
    ReadinessAnswers,
    ReadinessScore,
    ServiceDraft,
    build_record,
    digitisation_date,
    ensure_can_manage,
    ensure_editable,
    hash_api_key,
    new_api_key,
    onboarding_progress,
    score_readiness,
)
from services.catalog.store import CatalogUnitOfWork, StoredService
from shared.auth import Identity
from shared.bus.topology import EVENTS
from shared.clock import MUSCAT
from shared.contracts.base import Bilingual
from shared.contracts.catalog import (
    ReadinessAssessed,
    ServicePublished,
    ServiceRecord,
    ServiceRetired,
    ServiceUpdated,
)
from shared.db import UnitOfWorkFactory
from shared.logging import get_logger

log = get_logger(__name__)


def today_in_oman() -> date:
    return datetime.now(MUSCAT).date()


@dataclass(frozen=True)
class Deps:
    uow: UnitOfWorkFactory[CatalogUnitOfWork]
    public_url: str = "http://localhost:8000"
    today: Callable[[], date] = field(default=today_in_oman)


@dataclass(frozen=True)
class OnboardMinistry:
    draft: MinistryDraft


@dataclass(frozen=True)
class CreateService:
    ministry: str
    draft: ServiceDraft
    actor: Identity
    publish: bool = True


@dataclass(frozen=True)
class UpdateService:
    slug: str
    draft: ServiceDraft
    actor: Identity
    publish: bool = True


@dataclass(frozen=True)
class PublishDraft:
    slug: str
    actor: Identity


@dataclass(frozen=True)
class RetireService:
    slug: str
    actor: Identity


@dataclass(frozen=True)
class AssessReadiness:
    slug: str
    answers: ReadinessAnswers
    actor: Identity


def _label(actor: Identity) -> str:
    return f"{actor.role}:{actor.ministry or actor.subject}"


async def onboard_ministry(command: OnboardMinistry, deps: Deps) -> str:
    api_key = new_api_key()
    async with deps.uow() as uow:
        if await uow.ministries.name_of(command.draft.code):
            raise Conflict("ministry-exists", f"The ministry {command.draft.code!r} is already onboarded.")
        await uow.ministries.add(command.draft.code, command.draft.name, hash_api_key(api_key),
                                 workspace=command.draft.workspace)
        await uow.commit()
    log.info("ministry_onboarded", ministry=command.draft.code)
    return api_key


async def _go_live(uow: CatalogUnitOfWork, first_time: bool, record: ServiceRecord, actor: Identity) -> None:
    await uow.services.keep_version(record, "published", _label(actor))
    event = ServicePublished(service=record) if first_time else ServiceUpdated(service=record)
    await uow.publish(event, exchange=EVENTS, subject=record.slug,
                      routing_key="catalog.service.published" if first_time else "catalog.service.updated")
    log.info("service_published", service=record.slug, version=record.version)


async def _managed(uow: CatalogUnitOfWork, slug: str, actor: Identity) -> StoredService:
    stored = await uow.services.get(slug)
    if stored is None:
        raise NotFound("service-not-found", f"No service {slug!r}.")
    ensure_can_manage(actor.ministry, actor.role == "admin", stored.record.ministry)
    return stored


async def create_service(command: CreateService, deps: Deps) -> StoredService:
    ensure_can_manage(command.actor.ministry, command.actor.role == "admin", command.ministry)
    async with deps.uow() as uow:
        ministry_name = await uow.ministries.name_of(command.ministry)
        if ministry_name is None:
            raise NotFound("ministry-not-found", f"No ministry {command.ministry!r} is onboarded.")
        if await uow.services.get(command.draft.slug):
            raise Conflict("service-exists", f"A service with the slug {command.draft.slug!r} already exists.")
        record = build_record(command.draft, command.ministry, ministry_name, version=1)
        await uow.services.add(record, "published" if command.publish else "draft")
        if command.publish:
            await _go_live(uow, True, record, command.actor)
        else:
            await uow.services.keep_version(record, "draft", _label(command.actor))
        await uow.commit()
    return StoredService("published" if command.publish else "draft", record, None)


async def update_service(command: UpdateService, deps: Deps) -> StoredService:
    if command.draft.slug != command.slug:
        raise Conflict("slug-mismatch", "The slug in the body must match the slug in the path.")
    async with deps.uow() as uow:
        stored = await _managed(uow, command.slug, command.actor)
        ensure_editable(stored.status, command.slug)
        live = stored.record if stored.status == "published" else None
        record = build_record(command.draft, stored.record.ministry, stored.record.ministry_name,
                              stored.latest_version + 1,
                              digitisation_date(live, command.draft.maturity, deps.today()))
        if command.publish:
            updated = StoredService("published", record, None)
            await _go_live(uow, stored.status == "draft", record, command.actor)
        else:
            # A published service's live version stays online until the new draft is published.
            updated = StoredService("draft", record, None) if stored.status == "draft" \
                else StoredService(stored.status, stored.record, record)
            await uow.services.keep_version(record, "draft", _label(command.actor))
        await uow.services.put(command.slug, updated.status, updated.record, updated.draft)
        await uow.commit()
    return updated


async def publish_draft(command: PublishDraft, deps: Deps) -> StoredService:
    async with deps.uow() as uow:
        stored = await _managed(uow, command.slug, command.actor)
        ensure_editable(stored.status, command.slug)
        pending = stored.draft or (stored.record if stored.status == "draft" else None)
        if pending is None:
            raise Conflict("nothing-to-publish", f"The service {command.slug!r} has no unpublished draft.")
        live = stored.record if stored.status == "published" else None
        pending = pending.model_copy(update={"digitised_on": digitisation_date(live, pending.maturity,
                                                                               deps.today())})
        await uow.services.put(command.slug, "published", pending, None)
        await _go_live(uow, stored.status == "draft", pending, command.actor)
        await uow.commit()
    return StoredService("published", pending, None)


async def retire_service(command: RetireService, deps: Deps) -> StoredService:
    async with deps.uow() as uow:
        stored = await _managed(uow, command.slug, command.actor)
        ensure_editable(stored.status, command.slug)
        retired = stored.record.model_copy(update={"version": stored.latest_version + 1})
        await uow.services.put(command.slug, "retired", retired, None)
        await uow.services.keep_version(retired, "retired", _label(command.actor))
        await uow.publish(ServiceRetired(slug=retired.slug, ministry=retired.ministry, version=retired.version),
                          exchange=EVENTS, routing_key="catalog.service.retired", subject=retired.slug)
        await uow.commit()
    log.info("service_retired", service=command.slug)
    return StoredService("retired", retired, None)


async def assess_readiness(command: AssessReadiness, deps: Deps) -> tuple[ReadinessAnswers, ReadinessScore]:
    async with deps.uow() as uow:
        stored = await _managed(uow, command.slug, command.actor)
        latest = stored.draft or stored.record
        score = score_readiness(command.answers, latest.maturity, latest.life_events, latest.audience)
        await uow.assessments.put(command.slug, command.answers.model_dump(mode="json"),
                                  score.model_dump(mode="json"), score.priority, _label(command.actor))
        await uow.publish(ReadinessAssessed(
            slug=command.slug, ministry=stored.record.ministry, maturity=stored.record.maturity,
            volume_per_year=command.answers.volume_per_year, manual_cost_omr=command.answers.manual_cost_omr,
            digital_cost_omr=command.answers.digital_cost_omr, assessed_at=datetime.now(MUSCAT)),
            exchange=EVENTS, routing_key="catalog.readiness.assessed", subject=command.slug)
        await uow.commit()
    log.info("readiness_assessed", service=command.slug, priority=score.priority)
    return command.answers, score


async def readiness_of(slug: str, actor: Identity, deps: Deps) -> dict[str, Any]:
    async with deps.uow(read_only=True) as uow:
        await _managed(uow, slug, actor)
        found = await uow.assessments.get(slug)
    if found is None:
        raise NotFound("not-assessed", f"The service {slug!r} has no readiness assessment yet.")
    return found


async def rank_services(deps: Deps, ministry: str | None = None) -> list[tuple[dict[str, Any], ServiceRecord, str]]:
    async with deps.uow(read_only=True) as uow:
        return await uow.assessments.ranked(ministry)


async def onboarding(deps: Deps) -> list[OnboardingProgress]:
    async with deps.uow(read_only=True) as uow:
        ministries = await uow.ministries.all()
        services = await uow.services.of_ministry(None)
        assessed = await uow.assessments.slugs()
    return onboarding_progress(((m["code"], Bilingual.model_validate(m["name"]), m["workspace"]) for m in ministries),
                               ((s.status, s.record) for s in services), assessed)


async def services_of(actor: Identity, deps: Deps) -> list[StoredService]:
    async with deps.uow(read_only=True) as uow:
        return await uow.services.of_ministry(None if actor.role == "admin" else actor.ministry)


async def managed_service(slug: str, actor: Identity, deps: Deps) -> tuple[StoredService, list[dict[str, Any]]]:
    async with deps.uow(read_only=True) as uow:
        stored = await _managed(uow, slug, actor)
        return stored, await uow.services.versions(slug)


async def identify_ministry(api_key: str, deps: Deps) -> str | None:
    async with deps.uow(read_only=True) as uow:
        return await uow.ministries.by_key_hash(hash_api_key(api_key))


async def find_service(slug: str, deps: Deps) -> ServiceRecord:
    async with deps.uow(read_only=True) as uow:
        found = await uow.services.get(slug)
    if found is None or found.status != "published":
        raise NotFound("service-not-found", f"No published service {slug!r}.")
    return found.record


async def list_services(deps: Deps, *, ministry: str | None = None, life_event: str | None = None,
                        maturity: str | None = None, audience: str | None = None, limit: int = 50, offset: int = 0
                        ) -> tuple[int, list[ServiceRecord]]:
    async with deps.uow(read_only=True) as uow:
        return await uow.services.published(ministry, life_event, maturity, audience, limit, offset)


async def published_catalogue(deps: Deps) -> list[ServiceRecord]:
    async with deps.uow(read_only=True) as uow:
        _, records = await uow.services.published(None, None, None, None, limit=1_000_000, offset=0)
    return records
