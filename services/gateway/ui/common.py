"""What the citizen's pages share: reading a posted form, the signed-in check, a service, one of my requests."""

from typing import Annotated, Any
from urllib.parse import parse_qs, quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from services.gateway import handlers
from services.gateway.ui.pages import PageProblem, Pages
from shared.auth import Identity
from shared.contracts.tracking import check_tracking_number
from shared.web import Problem

MAX_FORM_BYTES = 64_000
MAX_FORM_FIELDS = 200
SLUG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


async def posted_form(request: Request) -> dict[str, list[str]]:
    """A form the browser posted (urlencoded; python-multipart is not a dependency), bounded in size."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise PageProblem(415, "error", "invalid")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise PageProblem(413, "error", "too_long")
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError) as exc:
        raise PageProblem(400, "error", "invalid") from exc


def first(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name)
    return values[0] if values else ""


def get_pages(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    handlers.limit_address(request.client.host if request.client else "unknown", pages.deps)
    return pages


P = Annotated[Pages, Depends(get_pages)]


def checked_slug(slug: str) -> str:
    if not slug or len(slug) > 80 or not set(slug) <= SLUG_CHARS:
        raise PageProblem(404, "not_found", "not_found_detail")
    return slug


def sign_in_first(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/sign-in?next={quote(target, safe='')}", status_code=303)


async def find_service(slug: str, lang: str, pages: Pages) -> dict[str, Any]:
    status, service = await handlers.read_json(pages.deps, "catalog", f"/api/v1/services/{checked_slug(slug)}",
                                               params={"lang": lang})
    if status == 404:
        raise PageProblem(404, "not_found", "not_found_detail")
    if status != 200:
        raise PageProblem(503, "error", "unavailable", "catalog")
    found: dict[str, Any] = service
    return found


async def my_request(number: str, identity: Identity, pages: Pages) -> dict[str, Any]:
    canonical, mistake = check_tracking_number(number)
    if mistake is not None:
        raise PageProblem(422, "error", mistake)
    try:
        return await handlers.owned_request(canonical, identity, pages.deps)
    except Problem as exc:
        if exc.status >= 500:
            raise PageProblem(503, "error", "unavailable", "requests") from exc
        raise PageProblem(404, "not_found", "not_found_request") from exc


def check_csrf(request: Request, pages: Pages, form: dict[str, list[str]]) -> None:
    if not pages.csrf_ok(request, first(form, "csrf_token")):
        raise PageProblem(403, "error", "expired_form")
