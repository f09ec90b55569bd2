"""The ministry's services: the form designer (publish as a new version) and the readiness questionnaire."""

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from services.gateway import handlers
from services.gateway.ui.i18n import citizen_words
from services.gateway.ui.pages import Pages
from services.gateway.workspace.access import (
    Refused,
    first,
    ministry_in_view,
    pages_of,
    signed_in,
    staff_post,
)
from services.gateway.workspace.calls import problem_of, read, refused_by, write
from services.gateway.workspace.designer import (
    KINDS,
    MATURITIES,
    Designed,
    apply_edit,
    catalogue_form,
    field_from_record,
    preview_fields,
    read_designed,
    service_draft,
)
from services.gateway.workspace.readiness import QUESTIONS, read_answers, typed_from
from services.gateway.workspace.render import WorkspaceRoute, render
from services.gateway.workspace.staff import DESIGN_READERS, DESIGNERS, SLUG
from shared.auth import Identity
from shared.i18n import text
from shared.logging import get_logger

router = APIRouter(prefix="/workspace", route_class=WorkspaceRoute, include_in_schema=False)
log = get_logger(__name__)


async def _managed(pages: Pages, who: Identity) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await read(pages, "catalog", "/api/v1/ministry/services", who)
    return found


async def _owned(pages: Pages, who: Identity, slug: str) -> dict[str, Any]:
    """The service if it is the staff member's ministry's (any ministry's for portal staff), else 403."""
    if len(slug) > 80 or not SLUG.match(slug):
        raise Refused(404, "not_found")
    for item in await _managed(pages, who):
        if item["slug"] == slug:
            if who.role != "admin" and item["record"]["ministry"] != who.ministry:
                raise Refused(403, "forbidden")
            return item
    raise Refused(403 if who.role != "admin" else 404, "forbidden" if who.role != "admin" else "not_found")


async def _designer_post(request: Request, slug: str
                         ) -> tuple[Pages, Identity, dict[str, Any], dict[str, list[str]]] | Response:
    """A service manager's form about one of the ministry's services, its CSRF token checked; or the way in."""
    posted = await staff_post(request, DESIGNERS)
    if isinstance(posted, Response):
        return posted
    pages, who, form = posted
    return pages, who, await _owned(pages, who, slug), form


def _latest(item: dict[str, Any]) -> dict[str, Any]:
    latest: dict[str, Any] = item.get("draft") or item["record"]
    return latest


@router.get("/services")
async def services(request: Request, ministry: str = "") -> Response:
    pages = pages_of(request)
    who = await signed_in(request, pages, DESIGN_READERS)
    if isinstance(who, Response):
        return who
    shown = ministry_in_view(who, ministry[:16])
    items = sorted((i for i in await _managed(pages, who) if shown is None or i["record"]["ministry"] == shown),
                   key=lambda i: (i["record"]["ministry"], i["slug"]))
    return render(request, pages, "services.html", {"items": items}, who)


def _designer(request: Request, pages: Pages, who: Identity, item: dict[str, Any], designed: Designed,
              status: int = 200, refused: str | None = None) -> Response:
    published = request.query_params.get("published")
    return render(request, pages, "designer.html", {
        "item": item, "latest": _latest(item), "designed": designed, "kinds": KINDS, "maturities": MATURITIES,
        "errors": designed.errors, "read_only": who.role not in DESIGNERS, "refused": refused,
        "preview": {lang: preview_fields(designed.fields, lang) for lang in ("ar", "en")},
        "optional": {lang: text(words, "optional") for lang, words in citizen_words().items()},
        "published": published if published and published.isdigit() else None,
    }, who, status=status, page_path=f"/workspace/services/{item['slug']}")


@router.get("/services/{slug}")
async def designer(slug: str, request: Request) -> Response:
    pages = pages_of(request)
    who = await signed_in(request, pages, DESIGN_READERS)
    if isinstance(who, Response):
        return who
    item = await _owned(pages, who, slug)
    latest = _latest(item)
    designed = Designed([field_from_record(f) for f in latest.get("form") or []], latest["maturity"])
    return _designer(request, pages, who, item, designed)


@router.post("/services/{slug}")
async def edit_form(slug: str, request: Request) -> Response:
    designing = await _designer_post(request, slug)
    if isinstance(designing, Response):
        return designing
    pages, who, item, form = designing
    designed = read_designed(form)
    op = first(form, "op")
    if op != "publish":
        apply_edit(designed, op)
        return _designer(request, pages, who, item, designed)
    if first(form, "latest_version") != str(item["latest_version"]):
        # Someone published since this page was opened: their version is kept, this copy shown to redo.
        return _designer(request, pages, who, item, designed, status=409, refused="changed")
    fields = catalogue_form(designed)
    if designed.errors:
        return _designer(request, pages, who, item, designed, status=422)
    body = service_draft(_latest(item), fields, designed.maturity)
    response = await write(pages, "catalog", "PUT", f"/api/v1/ministry/services/{slug}", who, body,
                           params={"publish": "true"})
    if response.status_code != 200:
        detail = str(problem_of(response).get("detail") or "")[:500]
        return _designer(request, pages, who, item, designed, status=422, refused=detail or "refused")
    version = response.json().get("version")
    log.info("workspace_form_published", service=slug, version=version)
    return RedirectResponse(f"/workspace/services/{slug}?published={version}", status_code=303)


async def _readiness_now(pages: Pages, who: Identity, slug: str) -> dict[str, Any] | None:
    status, body = await handlers.read_json(pages.deps, "catalog", f"/api/v1/ministry/services/{slug}/readiness",
                                            who)
    if status == 404:
        return None
    if status != 200:
        raise refused_by(status, "catalog")
    found: dict[str, Any] = body
    return found


def _readiness_page(request: Request, pages: Pages, who: Identity, item: dict[str, Any], current: dict[str, Any] | None,
                    typed: dict[str, str], errors: dict[str, str], status: int = 200) -> Response:
    return render(request, pages, "readiness.html", {
        "item": item, "latest": _latest(item), "current": current, "typed": typed, "errors": errors,
        "questions": QUESTIONS, "read_only": who.role not in DESIGNERS,
        "saved": request.query_params.get("saved") == "1",
    }, who, status=status)


@router.get("/services/{slug}/readiness")
async def readiness(slug: str, request: Request) -> Response:
    pages = pages_of(request)
    who = await signed_in(request, pages, DESIGN_READERS)
    if isinstance(who, Response):
        return who
    item = await _owned(pages, who, slug)
    current = await _readiness_now(pages, who, slug)
    typed = typed_from(current["answers"]) if current else {}
    return _readiness_page(request, pages, who, item, current, typed, {})


@router.post("/services/{slug}/readiness")
async def answer_readiness(slug: str, request: Request) -> Response:
    designing = await _designer_post(request, slug)
    if isinstance(designing, Response):
        return designing
    pages, who, item, form = designing
    answers, errors, typed = read_answers(form)
    if errors:
        return _readiness_page(request, pages, who, item, None, typed, errors, status=422)
    response = await write(pages, "catalog", "PUT", f"/api/v1/ministry/services/{slug}/readiness", who, answers)
    if response.status_code != 200:
        return _readiness_page(request, pages, who, item, None, typed, {"form": "refused"}, status=422)
    log.info("workspace_readiness_answered", service=slug)
    return RedirectResponse(f"/workspace/services/{slug}/readiness?saved=1", status_code=303)
