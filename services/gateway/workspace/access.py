"""The signed-in staff member: the workspace's own session cookie (or a bearer token), never a citizen."""

import re
from collections.abc import Iterable
from urllib.parse import parse_qs, quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from services.gateway import handlers
from services.gateway.problems import Throttled
from services.gateway.ui.pages import SESSION_COOKIE, Pages
from services.gateway.workspace.staff import READERS, may_see
from shared.auth import Identity
from shared.web import Problem

STAFF_COOKIE = "portal_staff"
COOKIE_PATH = "/workspace"
MAX_FORM_BYTES = 256_000
MAX_FORM_FIELDS = 1_200


def pages_of(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    handlers.limit_address(request.client.host if request.client else "unknown", pages.deps)
    return pages


class Refused(Exception):
    """A workspace page that cannot be shown: rendered by the workspace's routes in the staff's language."""

    def __init__(self, status: int, key: str, upstream: str | None = None) -> None:
        super().__init__(key)
        self.status, self.key, self.upstream = status, key, upstream


def forbidden() -> Refused:
    return Refused(403, "forbidden")


def _credentials(request: Request) -> Iterable[str]:
    scheme, _, token = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and token:
        yield token
    for cookie in (STAFF_COOKIE, SESSION_COOKIE):
        if request.cookies.get(cookie):
            yield request.cookies[cookie]


async def staff_identity(request: Request, pages: Pages) -> Identity | None:
    """The staff member signed in, None when nobody is; a citizen or a ministry's API key is refused (403)."""
    refused = False
    for token in _credentials(request):
        try:
            identity = await handlers.authenticate(f"Bearer {token}", pages.deps)
        except Throttled:
            raise
        except Problem:
            continue
        if identity is None:
            continue
        if identity.role in READERS:
            return identity
        refused = True
    if refused:
        raise forbidden()
    return None


def sign_in_first(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method != "GET":
        target = request.url.path.rsplit("/", 1)[0] if request.url.path.count("/") > 2 else "/workspace/"
    return RedirectResponse(f"/workspace/sign-in?next={quote(target, safe='')}", status_code=303)


async def signed_in(request: Request, pages: Pages, roles: frozenset[str]) -> Identity | Response:
    """The staff member if their role is one of `roles`; a redirect to sign in; 403 for anyone else."""
    identity = await staff_identity(request, pages)
    if identity is None:
        return sign_in_first(request)
    if identity.role not in roles:
        raise forbidden()
    return identity


async def staff_post(request: Request, roles: frozenset[str]
                     ) -> tuple[Pages, Identity, dict[str, list[str]]] | Response:
    """A form posted by a staff member whose role is one of `roles`, its CSRF token checked; or the way in."""
    pages = pages_of(request)
    who = await signed_in(request, pages, roles)
    if isinstance(who, Response):
        return who
    return pages, who, await posted_form(request, pages)


def ensure_ministry(identity: Identity, ministry: str) -> None:
    """Before any upstream call: staff of one ministry never reach another's requests or services."""
    if not may_see(identity.role, identity.ministry, ministry):
        raise forbidden()


MINISTRY_CODE = re.compile(r"[a-z][a-z0-9]{1,15}")


def ministry_in_view(identity: Identity, asked: str | None) -> str | None:
    """The ministry a page shows: the staff member's own; portal staff choose any (read-only)."""
    if identity.role == "admin":
        if asked and not MINISTRY_CODE.fullmatch(asked):
            raise Refused(404, "not_found")
        return asked or None
    if asked and asked != identity.ministry:
        raise forbidden()
    return identity.ministry


async def posted_form(request: Request, pages: Pages) -> dict[str, list[str]]:
    """A urlencoded form, bounded, with its CSRF token checked."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise Refused(415, "bad_form")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise Refused(413, "bad_form")
    try:
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Refused(400, "bad_form") from exc
    if not pages.csrf_ok(request, first(form, "csrf_token")):
        raise Refused(403, "expired_form")
    return form


def first(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name)
    return values[0].strip() if values else ""
