import json
from dataclasses import asdict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from services.catalog import handlers, opendata
from services.catalog.domain import (
    CatalogError,
    Conflict,
    Forbidden,
    MinistryDraft,
    NotFound,
    ReadinessAnswers,
    ServiceDraft,
    localise,
)
from services.catalog.handlers import Deps
from services.catalog.store import StoredService
from shared.auth import Identity, require_identity
from shared.contracts.catalog import Audience, Maturity, ServiceRecord
from shared.web import Problem
from shared.web.spreadsheet import CSV_RESPONSE, media_response

router = APIRouter()
PAGE_SIZE = 50

Manager = Annotated[Identity, Depends(require_identity("ministry", "service_manager", "admin"))]
Staff = Annotated[Identity, Depends(require_identity("ministry", "officer", "service_manager", "admin"))]
Admin = Annotated[Identity, Depends(require_identity("admin"))]
System = Annotated[Identity, Depends(require_identity("system"))]
Lang = Literal["ar", "en"]


async def get_deps(request: Request) -> Deps:
    """async: FastAPI runs a plain `def` dependency on a worker thread, a hand-over per request."""
    deps: Deps = request.app.state.deps
    return deps


D = Annotated[Deps, Depends(get_deps)]


def problem(error: Exception) -> Problem:
    assert isinstance(error, CatalogError)
    status = 404 if isinstance(error, NotFound) else 409 if isinstance(error, Conflict) \
        else 403 if isinstance(error, Forbidden) else 400
    return Problem(status, error.code, error.detail)


def shown(record: ServiceRecord, lang: Lang | None) -> dict[str, Any]:
    body = record.model_dump(mode="json")
    return localise(body, lang) | {"lang": lang} if lang else body


class ManagedService(BaseModel):
    slug: str
    status: str
    version: int
    latest_version: int
    record: ServiceRecord
    draft: ServiceRecord | None
    versions: list[dict[str, Any]] | None = None


def managed(stored: StoredService, versions: list[dict[str, Any]] | None = None) -> ManagedService:
    return ManagedService(slug=stored.record.slug, status=stored.status, version=stored.record.version,
                          latest_version=stored.latest_version, record=stored.record, draft=stored.draft,
                          versions=versions)


class ApiKeyCheck(BaseModel):
    api_key: str


@router.get("/api/v1/services")
async def list_services(deps: D, ministry: str | None = None, life_event: str | None = None,
                        maturity: Maturity | None = None, audience: Audience | None = None, lang: Lang | None = None,
                        page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> dict[str, Any]:
    total, items = await handlers.list_services(deps, ministry=ministry, life_event=life_event,
                                                maturity=maturity, audience=audience, limit=PAGE_SIZE,
                                                offset=(page - 1) * PAGE_SIZE)
    return {"total": total, "page": page, "items": [shown(r, lang) for r in items]}


@router.get("/api/v1/services/{slug}")
async def get_service(slug: str, deps: D, lang: Lang | None = None) -> dict[str, Any]:
    return shown(await handlers.find_service(slug, deps), lang)


@router.get("/api/v1/ministry/services")
async def my_services(actor: Staff, deps: D) -> list[ManagedService]:
    return [managed(s) for s in await handlers.services_of(actor, deps)]


@router.post("/api/v1/ministry/services", status_code=201)
async def create_service(draft: ServiceDraft, actor: Manager, deps: D, ministry: str | None = None,
                         publish: bool = True) -> ManagedService:
    owner = actor.ministry if actor.role != "admin" else ministry
    if not owner:
        raise Problem(422, "ministry-required", "Portal staff name the ministry with ?ministry=CODE.")
    return managed(await handlers.create_service(handlers.CreateService(owner, draft, actor, publish), deps))


@router.get("/api/v1/ministry/services/{slug}")
async def managed_service(slug: str, actor: Staff, deps: D) -> ManagedService:
    stored, versions = await handlers.managed_service(slug, actor, deps)
    return managed(stored, versions)


@router.put("/api/v1/ministry/services/{slug}")
async def update_service(slug: str, draft: ServiceDraft, actor: Manager, deps: D,
                         publish: bool = True) -> ManagedService:
    return managed(await handlers.update_service(handlers.UpdateService(slug, draft, actor, publish), deps))


@router.post("/api/v1/ministry/services/{slug}/publish")
async def publish_draft(slug: str, actor: Manager, deps: D) -> ManagedService:
    return managed(await handlers.publish_draft(handlers.PublishDraft(slug, actor), deps))


@router.post("/api/v1/ministry/services/{slug}/retire")
async def retire_service(slug: str, actor: Manager, deps: D) -> ManagedService:
    return managed(await handlers.retire_service(handlers.RetireService(slug, actor), deps))


@router.put("/api/v1/ministry/services/{slug}/readiness")
async def assess_readiness(slug: str, answers: ReadinessAnswers, actor: Manager, deps: D) -> dict[str, Any]:
    kept, score = await handlers.assess_readiness(handlers.AssessReadiness(slug, answers, actor), deps)
    return {"slug": slug, "answers": kept.model_dump(mode="json"), "score": score.model_dump(mode="json")}


@router.get("/api/v1/ministry/services/{slug}/readiness")
async def readiness(slug: str, actor: Staff, deps: D) -> dict[str, Any]:
    found = await handlers.readiness_of(slug, actor, deps)
    return {"slug": slug, "answers": found["answers"], "score": found["score"],
            "assessed_at": found["assessed_at"], "assessed_by": found["assessed_by"]}


@router.get("/api/v1/admin/readiness")
async def prioritised_services(_: Admin, deps: D, ministry: str | None = None) -> dict[str, Any]:
    ranked = await handlers.rank_services(deps, ministry)
    return {"items": [{"rank": n, "slug": record.slug, "title": record.title.model_dump(),
                       "ministry": record.ministry, "maturity": record.maturity, "status": status,
                       "priority": row["priority"], "score": row["score"]}
                      for n, (row, record, status) in enumerate(ranked, start=1)]}


@router.get("/api/v1/admin/onboarding")
async def onboarding_progress(_: Admin, deps: D) -> dict[str, Any]:
    """Each ministry's progress: services described, assessed, published, digitised, and by maturity."""
    return {"ministries": [asdict(p) | {"name": p.name.model_dump()} for p in await handlers.onboarding(deps)]}


@router.post("/api/v1/admin/ministries", status_code=201)
async def onboard_ministry(draft: MinistryDraft, _: Admin, deps: D) -> dict[str, Any]:
    api_key = await handlers.onboard_ministry(handlers.OnboardMinistry(draft), deps)
    return {"code": draft.code, "name": draft.name.model_dump(), "workspace": draft.workspace, "api_key": api_key}


@router.get("/open-data/catalogue.jsonld", response_class=Response, responses=media_response(
    "application/ld+json", "The catalogue as DCAT-AP / CPSV-AP JSON-LD", {"type": "object"}))
async def catalogue_jsonld(deps: D) -> Response:
    document = opendata.catalogue_jsonld(await handlers.published_catalogue(deps), deps.public_url)
    return Response(json.dumps(document, ensure_ascii=False), media_type="application/ld+json")


@router.get("/open-data/catalogue.csv", response_class=Response, responses=CSV_RESPONSE)
async def catalogue_csv(deps: D) -> Response:
    # The byte-order mark lets spreadsheet programs read the Arabic as UTF-8.
    text = "\ufeff" + opendata.catalogue_csv(await handlers.published_catalogue(deps))
    return Response(text.encode(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="catalogue.csv"'})


@router.post("/internal/v1/api-keys/verify")
async def verify_api_key(body: ApiKeyCheck, _: System, deps: D) -> dict[str, str]:
    ministry = await handlers.identify_ministry(body.api_key, deps)
    if ministry is None:
        raise Problem(404, "unknown-api-key", "No ministry holds this API key.")
    return {"ministry": ministry}
