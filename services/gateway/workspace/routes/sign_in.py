"""Staff sign-in: the identity provider in production; the seeded staff and a free form in development."""

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from services.gateway import handlers
from services.gateway.adapters.dev_identity import DevSignIn
from services.gateway.domain import STAFF_ROLES
from services.gateway.ui.pages import lang_of, secure_cookies
from services.gateway.workspace.access import COOKIE_PATH, STAFF_COOKIE, Refused, first, pages_of, posted_form
from services.gateway.workspace.render import WorkspaceRoute, render
from services.gateway.workspace.staff import DEV_STAFF, MINISTRY_CODE
from shared.web import Problem

router = APIRouter(prefix="/workspace", route_class=WorkspaceRoute, include_in_schema=False)
ROLES = ("officer", "service_manager", "admin")
STAFF_FLOW_COOKIE = "portal_staff_sign_in"
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")


def workspace_path(target: str | None) -> str:
    """Only workspace pages: never somewhere else on the site or off it (no open redirects)."""
    if not target or not target.startswith("/workspace") or target.startswith("//") or "\\" in target:
        return "/workspace/"
    return target


def _page(request: Request, next_: str, errors: dict[str, str], typed: dict[str, str], status: int = 200
          ) -> Response:
    pages = pages_of(request)
    return render(request, pages, "sign_in.html", {
        "next": next_, "errors": errors, "typed": typed, "dev": pages.deps.dev_idp is not None,
        "national": pages.deps.staff_sign_in_flow is not None, "dev_staff": list(enumerate(DEV_STAFF)), "roles": ROLES,
    }, None, status=status)


@router.get("/sign-in")
async def sign_in_page(request: Request, next: str = "/workspace/") -> Response:
    return _page(request, workspace_path(next), {}, {})


@router.get("/sign-in/idp")
async def provider_sign_in(request: Request, next: str = "/workspace/") -> Response:
    """Off to the staff identity provider (authorisation code + PKCE); it sends them back to the callback."""
    pages = pages_of(request)
    flow = pages.deps.staff_sign_in_flow
    if flow is None:
        return _page(request, "/workspace/", {}, {}, status=404)
    try:
        where, sealed = await flow.start(workspace_path(next), lang_of(request))
    except Problem as exc:
        raise Refused(exc.status, "unavailable", exc.extensions.get("upstream")) from exc
    response = RedirectResponse(where, status_code=303)
    response.set_cookie(STAFF_FLOW_COOKIE, sealed, httponly=True, secure=secure_cookies(request), samesite="lax",
                        max_age=600, path="/workspace/sign-in")
    return response


@router.get("/sign-in/callback")
async def provider_sign_in_callback(request: Request, code: str = "", state: str = "", error: str = "",
                                    iss: str | None = None) -> Response:
    pages = pages_of(request)
    flow = pages.deps.staff_sign_in_flow
    if flow is None:
        return _page(request, "/workspace/", {}, {}, status=404)
    if error or not code:
        raise Refused(401, "sign_in_failed")
    try:
        signed_in = await flow.finish(code[:2000], state[:200], request.cookies.get(STAFF_FLOW_COOKIE),
                                      iss[:2000] if iss is not None else None)
        staff = await handlers.authenticate(f"Bearer {signed_in.id_token}", pages.deps)
    except Problem as exc:
        raise Refused(403 if exc.status == 401 else exc.status, "sign_in_failed", exc.extensions.get("upstream")
                      ) from exc
    if staff is None or staff.role not in STAFF_ROLES:
        raise Refused(403, "forbidden")
    response = RedirectResponse(workspace_path(signed_in.next), status_code=303)
    secure = secure_cookies(request)
    response.delete_cookie(STAFF_FLOW_COOKIE, path="/workspace/sign-in", httponly=True, secure=secure, samesite="lax")
    response.set_cookie(STAFF_COOKIE, signed_in.id_token, httponly=True, secure=secure, samesite="lax",
                        max_age=signed_in.max_age, path=COOKIE_PATH)
    return response


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    pages = pages_of(request)
    if pages.deps.dev_idp is None:
        return _page(request, "/workspace/", {}, {}, status=404)
    form = await posted_form(request, pages)
    next_ = workspace_path(first(form, "next"))
    quick = first(form, "staff")
    errors: dict[str, str] = {}
    if quick:
        if not quick.isdigit() or int(quick) >= len(DEV_STAFF):
            return _page(request, next_, {"staff": "invalid"}, {}, status=422)
        chosen = DEV_STAFF[int(quick)]
        national_id, name, ministry = chosen.national_id, chosen.name, chosen.ministry or ""
        role: str = chosen.role
    else:
        national_id = first(form, "national_id").translate(_DIGITS)
        name, role, ministry = first(form, "name"), first(form, "role"), first(form, "ministry").lower()
        if not (national_id.isascii() and national_id.isdigit() and 6 <= len(national_id) <= 10):
            errors["national_id"] = "bad_national_id" if national_id else "required"
        if not name:
            errors["name"] = "required"
        elif len(name) > 200:
            errors["name"] = "too_long"
        if role not in ROLES:
            errors["role"] = "bad_choice"
        if role in ("officer", "service_manager") and not MINISTRY_CODE.match(ministry):
            errors["ministry"] = "required" if not ministry else "invalid"
    if errors:
        typed = {"national_id": national_id, "name": name, "role": role, "ministry": ministry}
        return _page(request, next_, errors, typed, status=422)
    token = handlers.issue_dev_token(DevSignIn.model_validate({
        "national_id": national_id, "name": name, "lang": "en" if lang_of(request) == "en" else "ar",
        "role": role, "ministry": ministry if role != "admin" else None}), pages.deps)
    if role == "admin" and next_ == "/workspace/":
        next_ = "/workspace/admin/onboarding"
    response = RedirectResponse(next_, status_code=303)
    response.set_cookie(STAFF_COOKIE, token, httponly=True, secure=secure_cookies(request), samesite="lax",
                        max_age=8 * 3600, path=COOKIE_PATH)
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    pages = pages_of(request)
    await posted_form(request, pages)
    token = request.cookies.get(STAFF_COOKIE)
    await handlers.sign_out(token, pages.deps)
    flow, staff = pages.deps.staff_sign_in_flow, pages.deps.staff_oidc
    provider_logout = None
    if token and flow is not None and staff is not None and handlers.issued_by(token, staff.issuer):
        provider_logout = await flow.end_session_url(token)
    response = RedirectResponse(provider_logout or "/workspace/sign-in", status_code=303)
    response.delete_cookie(STAFF_COOKIE, path=COOKIE_PATH, httponly=True, secure=secure_cookies(request),
                           samesite="lax")
    return response
