from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from services.catalog import handlers
from services.catalog.domain import CatalogError, Conflict, Forbidden, MinistryDraft, NotFound, ServiceDraft
from services.catalog.handlers import Deps
from shared.auth import Identity, require_identity
from shared.contracts.catalog import ServiceRecord
from shared.web import Problem

router = APIRouter()
PAGE_SIZE = 50

Manager = Annotated[Identity, Depends(require_identity("ministry", "service_manager", "admin"))]
Admin = Annotated[Identity, Depends(require_identity("admin"))]
System = Annotated[Identity, Depends(require_identity("system"))]


def get_deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


D = Annotated[Deps, Depends(get_deps)]


def problem(error: CatalogError) -> Problem:
    status = 404 if isinstance(error, NotFound) else 409 if isinstance(error, Conflict) \
        else 403 if isinstance(error, Forbidden) else 400
    return Problem(status, error.code, error.detail)


class ServicePage(BaseModel):
    total: int
    page: int
    items: list[ServiceRecord]


class ApiKeyCheck(BaseModel):
    api_key: str


@router.get("/api/v1/services")
async def list_services(deps: D, ministry: str | None = None, life_event: str | None = None,
                        maturity: str | None = None, lang: str | None = None,
                        page: Annotated[int, Query(ge=1, le=10_000)] = 1) -> ServicePage:
    total, items = await handlers.list_services(deps, ministry=ministry, life_event=life_event,
                                                maturity=maturity, limit=PAGE_SIZE,
                                                offset=(page - 1) * PAGE_SIZE)
    return ServicePage(total=total, page=page, items=items)


@router.get("/api/v1/services/{slug}")
async def get_service(slug: str, deps: D) -> ServiceRecord:
    try:
        return await handlers.find_service(slug, deps)
    except CatalogError as error:
        raise problem(error) from error


@router.post("/api/v1/ministry/services", status_code=201)
async def publish_service(draft: ServiceDraft, actor: Manager, deps: D,
                          ministry: str | None = None) -> ServiceRecord:
    owner = actor.ministry if actor.role != "admin" else ministry
    if not owner:
        raise Problem(422, "ministry-required", "Portal staff name the ministry with ?ministry=CODE.")
    try:
        return await handlers.publish_service(handlers.PublishService(owner, draft, actor), deps)
    except CatalogError as error:
        raise problem(error) from error


@router.put("/api/v1/ministry/services/{slug}")
async def update_service(slug: str, draft: ServiceDraft, actor: Manager, deps: D) -> ServiceRecord:
    try:
        return await handlers.update_service(handlers.UpdateService(slug, draft, actor), deps)
    except CatalogError as error:
        raise problem(error) from error


@router.post("/api/v1/ministry/services/{slug}/retire")
async def retire_service(slug: str, actor: Manager, deps: D) -> ServiceRecord:
    try:
        return await handlers.retire_service(handlers.RetireService(slug, actor), deps)
    except CatalogError as error:
        raise problem(error) from error


@router.post("/api/v1/admin/ministries", status_code=201)
async def onboard_ministry(draft: MinistryDraft, _: Admin, deps: D) -> dict[str, Any]:
    try:
        api_key = await handlers.onboard_ministry(handlers.OnboardMinistry(draft), deps)
    except CatalogError as error:
        raise problem(error) from error
    return {"code": draft.code, "name": draft.name.model_dump(), "api_key": api_key}


@router.post("/internal/v1/api-keys/verify")
async def verify_api_key(body: ApiKeyCheck, _: System, deps: D) -> dict[str, str]:
    ministry = await handlers.identify_ministry(body.api_key, deps)
    if ministry is None:
        raise Problem(404, "unknown-api-key", "No ministry holds this API key.")
    return {"ministry": ministry}
