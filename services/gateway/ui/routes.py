"""The citizen's pages: find a service, apply, follow the request, the dashboard and notifications."""

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from services.gateway import handlers
from services.gateway.adapters.dev_identity import DevSignIn
from services.gateway.ui.common import (
    P,
    find_service,
    first,
    my_request,
    posted_form,
    sign_in_first,
)
from services.gateway.ui.forms import read_answers, upstream_errors
from services.gateway.ui.i18n import LIFE_EVENTS
from services.gateway.ui.offers import offers_router, with_services
from services.gateway.ui.pages import SESSION_COOKIE, PageProblem, Pages, lang_of, local_path, secure_cookies
from services.gateway.ui.performance import performance_router
from services.gateway.ui.request_pages import request_router
from shared.auth import Identity
from shared.contracts.tracking import check_tracking_number
from shared.web import Problem

ui_router = APIRouter(include_in_schema=False)
OIDC_COOKIE = "portal_oidc"


@ui_router.get("/")
async def home(request: Request, pages: P) -> Response:
    identity = await pages.citizen(request)
    return pages.render(request, "home.html", {"life_events": list(LIFE_EVENTS)}, identity=identity)


@ui_router.get("/search")
async def search(request: Request, pages: P, q: str = "", ministry: str = "", life_event: str = "",
                 maturity: str = "") -> Response:
    identity = await pages.citizen(request)
    lang = lang_of(request)
    q = q.strip()[:200]
    filters = {"ministry": ministry[:16], "life_event": life_event[:20], "maturity": maturity[:20]}
    results: dict[str, Any] | None = None
    unavailable = False
    if q or any(filters.values()):
        try:
            results = await handlers.search_services(q, lang, pages.deps, **filters)
        except Problem as exc:
            if exc.status == 429:
                raise
            unavailable = True
    return pages.render(request, "search.html", {"q": q, "filters": filters, "results": results,
                                                 "unavailable": unavailable}, identity=identity)


@ui_router.get("/services/{slug}")
async def service_page(slug: str, request: Request, pages: P) -> Response:
    identity = await pages.citizen(request)
    service = await find_service(slug, lang_of(request), pages)
    return pages.render(request, "service.html", {"service": service}, identity=identity)


def _form_page(request: Request, pages: Pages, service: dict[str, Any], identity: Identity, typed: dict[str, Any],
               errors: dict[str, str], status: int = 200, idempotency_key: str | None = None) -> Response:
    """The form carries its own Idempotency-Key: sending it twice (a double click, a retry after a timeout, the
    back button) makes one request; the key is kept while the citizen corrects mistakes on the same form."""
    return pages.render(request, "apply.html", {"service": service, "typed": typed, "errors": errors,
                                                "idempotency_key": idempotency_key or str(uuid.uuid4())},
                        status=status, identity=identity)


def _form_key(posted: dict[str, list[str]]) -> str | None:
    key = first(posted, "idempotency_key")
    return key if key and len(key) <= 64 and all(c.isalnum() or c == "-" for c in key) else None


@ui_router.get("/services/{slug}/apply")
async def application_form(slug: str, request: Request, pages: P) -> Response:
    identity = await pages.citizen(request)
    if identity is None:
        return sign_in_first(request)
    service = await find_service(slug, lang_of(request), pages)
    return _form_page(request, pages, service, identity, {}, {})


@ui_router.post("/services/{slug}/apply")
async def submit_application(slug: str, request: Request, pages: P) -> Response:
    identity = await pages.citizen(request)
    if identity is None:
        return sign_in_first(request)
    posted = await posted_form(request)
    if not pages.csrf_ok(request, first(posted, "csrf_token")):
        raise PageProblem(403, "error", "expired_form")
    service = await find_service(slug, lang_of(request), pages)
    answers = read_answers(service.get("form", []), posted)
    key = _form_key(posted)
    if answers.errors:
        return _form_page(request, pages, service, identity, answers.typed, answers.errors, 422, key)
    extra = {"Idempotency-Key": key} if key else {}
    response = await handlers.call_upstream(pages.deps, "requests", "POST", "/api/v1/requests",
                                            json={"service": service["slug"], "fields": answers.fields},
                                            headers=handlers.signed_headers(identity, pages.deps, extra))
    if response.status_code == 201:
        tracking_number = response.json()["tracking_number"]
        return RedirectResponse(f"/requests/{tracking_number}/confirmation", status_code=303)
    if response.status_code == 422:
        errors = upstream_errors(response.json(), service.get("form", []))
        if errors:
            return _form_page(request, pages, service, identity, answers.typed, errors, 422, key)
    if response.status_code == 409 and response.json().get("code") == "idempotency-key-reused":
        raise PageProblem(409, "error", "form_already_sent")
    if response.status_code >= 500:
        raise PageProblem(503, "error", "unavailable", "requests")
    raise PageProblem(response.status_code if 400 <= response.status_code < 500 else 400, "error", "invalid")


@ui_router.get("/requests/{tracking_number}/confirmation")
async def confirmation(tracking_number: str, request: Request, pages: P) -> Response:
    identity = await pages.citizen(request)
    if identity is None:
        return sign_in_first(request)
    found = await my_request(tracking_number, identity, pages)
    return pages.render(request, "confirmation.html", {"request_": found}, identity=identity)


@ui_router.get("/track")
async def track(request: Request, pages: P, number: str | None = None) -> Response:
    identity = await pages.citizen(request)
    error: str | None = None
    if number is not None:
        canonical, mistake = check_tracking_number(number[:60])
        if mistake is None:
            return RedirectResponse(f"/requests/{canonical}", status_code=303)
        error = mistake if number.strip() else "required"
    return pages.render(request, "track.html", {"number": number or "", "error": error},
                        status=422 if error else 200, identity=identity)


@ui_router.get("/dashboard")
async def dashboard(request: Request, pages: P) -> Response:
    identity = await pages.citizen(request)
    if identity is None:
        return sign_in_first(request)
    lang = lang_of(request)
    board = await handlers.dashboard(identity, lang, pages.deps)
    offers = await with_services(board["renewals_due"], lang, pages)
    return pages.render(request, "dashboard.html", {"board": board, "offers": offers, "typed": {}, "errors": {}},
                        identity=identity)


@ui_router.get("/notifications")
async def notifications(request: Request, pages: P) -> Response:
    identity = await pages.citizen(request)
    if identity is None:
        return sign_in_first(request)
    inbox: dict[str, Any] | None = None
    try:
        status, body = await handlers.read_json(pages.deps, "notifications", "/api/v1/me/notifications", identity)
        inbox = body if status == 200 else None
    except Problem as exc:
        if exc.status == 429:
            raise
    return pages.render(request, "notifications.html", {"inbox": inbox}, identity=identity)


@ui_router.post("/notifications/read-all")
async def mark_notifications_read(request: Request, pages: P) -> Response:
    identity = await pages.citizen(request)
    if identity is None:
        return sign_in_first(request)
    posted = await posted_form(request)
    if not pages.csrf_ok(request, first(posted, "csrf_token")):
        raise PageProblem(403, "error", "expired_form")
    response = await handlers.call_upstream(pages.deps, "notifications", "POST", "/api/v1/me/notifications/read-all",
                                            headers=handlers.signed_headers(identity, pages.deps))
    if response.status_code >= 400:
        raise PageProblem(503, "error", "unavailable", "notifications")
    return RedirectResponse("/notifications", status_code=303)


@ui_router.get("/sign-in")
async def sign_in_page(request: Request, pages: P, next: str = "/dashboard") -> Response:
    return pages.render(request, "sign_in.html", {"next": local_path(next, "/dashboard"), "errors": {},
                                                  "typed": {}, "dev": pages.deps.dev_idp is not None,
                                                  "national": pages.deps.sign_in_flow is not None})


@ui_router.get("/sign-in/national-id")
async def national_sign_in(request: Request, pages: P, next: str = "/dashboard") -> Response:
    """Off to the national identity provider (authorisation code + PKCE); it sends the citizen back to
    /sign-in/callback."""
    flow = pages.deps.sign_in_flow
    if flow is None:
        raise PageProblem(404, "not_found", "not_found_detail")
    try:
        where, sealed = await flow.start(local_path(next, "/dashboard"), lang_of(request))
    except Problem as exc:
        raise PageProblem(exc.status, "error", "unavailable", exc.extensions.get("upstream")) from exc
    response = RedirectResponse(where, status_code=303)
    # SameSite=Lax: the cookie must come back on the provider's top-level redirect to the callback.
    response.set_cookie(OIDC_COOKIE, sealed, httponly=True, secure=secure_cookies(request), samesite="lax",
                        max_age=600, path="/sign-in")
    return response


@ui_router.get("/sign-in/callback")
async def national_sign_in_callback(request: Request, pages: P, code: str = "", state: str = "",
                                    error: str = "", iss: str | None = None) -> Response:
    flow = pages.deps.sign_in_flow
    if flow is None:
        raise PageProblem(404, "not_found", "not_found_detail")
    if error or not code:
        raise PageProblem(401, "error", "sign_in_failed")
    try:
        signed_in = await flow.finish(code[:2000], state[:200], request.cookies.get(OIDC_COOKIE),
                                      iss[:2000] if iss is not None else None)
        # A token the provider signed may still name no civil number: say so now, not at the next page.
        await handlers.authenticate(f"Bearer {signed_in.id_token}", pages.deps)
    except Problem as exc:
        raise PageProblem(exc.status, "error", "sign_in_failed", exc.extensions.get("upstream")) from exc
    response = RedirectResponse(local_path(signed_in.next, "/dashboard"), status_code=303)
    secure = secure_cookies(request)
    response.delete_cookie(OIDC_COOKIE, path="/sign-in", httponly=True, secure=secure, samesite="lax")
    response.set_cookie(SESSION_COOKIE, signed_in.id_token, httponly=True, secure=secure, samesite="lax",
                        max_age=signed_in.max_age)
    return response


@ui_router.post("/sign-in")
async def sign_in(request: Request, pages: P) -> Response:
    if pages.deps.dev_idp is None:
        raise PageProblem(404, "not_found", "not_found_detail")
    posted = await posted_form(request)
    if not pages.csrf_ok(request, first(posted, "csrf_token")):
        raise PageProblem(403, "error", "expired_form")
    target = local_path(first(posted, "next"), "/dashboard")
    national_id = first(posted, "national_id").strip().translate(str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789"))
    name = first(posted, "name").strip()
    errors: dict[str, str] = {}
    if not national_id:
        errors["national_id"] = "required"
    elif not (national_id.isascii() and national_id.isdigit() and 6 <= len(national_id) <= 10):
        errors["national_id"] = "bad_national_id"
    if not name:
        errors["name"] = "required"
    elif len(name) > 200:
        errors["name"] = "too_long"
    if errors:
        return pages.render(request, "sign_in.html", {"next": target, "errors": errors, "dev": True,
                                                      "typed": {"national_id": national_id, "name": name}},
                            status=422)
    lang = lang_of(request)
    token = handlers.issue_dev_token(DevSignIn(national_id=national_id, name=name,
                                               lang="en" if lang == "en" else "ar"), pages.deps)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, secure=secure_cookies(request), samesite="lax",
                        max_age=8 * 3600)
    return response


@ui_router.post("/sign-out")
async def sign_out(request: Request, pages: P) -> Response:
    posted = await posted_form(request)
    if not pages.csrf_ok(request, first(posted, "csrf_token")):
        raise PageProblem(403, "error", "expired_form")
    token = request.cookies.get(SESSION_COOKIE)
    await handlers.sign_out(token, pages.deps)
    flow = pages.deps.sign_in_flow
    provider_logout = None
    if token and flow is not None and pages.deps.oidc is not None and handlers.issued_by(token, pages.deps.oidc.issuer):
        provider_logout = await flow.end_session_url(token)
    response = RedirectResponse(provider_logout or "/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, secure=secure_cookies(request), samesite="lax")
    return response


# Included on the app side by side, not under ui_router: FastAPI matches a request again at each level of nesting.
ui_routers = (ui_router, offers_router, request_router, performance_router)
