"""Rendering a page: language, the signed-in citizen, the CSRF token, and accessible error pages."""

import html
import re
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.gateway.handlers import Deps, authenticate
from services.gateway.problems import Throttled
from services.gateway.ui import csrf
from services.gateway.ui.i18n import citizen_words, document_name
from shared import formats, i18n
from shared.auth import Identity
from shared.logging import get_logger
from shared.web import Problem, problem_response

log = get_logger(__name__)
SESSION_COOKIE = "portal_session"
LANG_COOKIE = "portal_lang"
API_PREFIXES = ("/api/", "/open-data/", "/healthz", "/readyz", "/metrics", "/asyncapi.json", "/static/")


def marks(text: str) -> Markup:
    """Search highlights: the text escaped here, whatever the search service sent, keeping only <mark>."""
    plain = str(text).replace("\x01", "").replace("\x02", "")
    plain = html.unescape(plain.replace("<mark>", "\x01").replace("</mark>", "\x02"))
    plain = re.sub(r"<[^>]*>", "", plain)
    escaped = html.escape(plain).replace("\x01", "<mark>").replace("\x02", "</mark>")
    return Markup(escaped)  # noqa: S704 - everything was escaped; only <mark> is put back


@pass_context
def local_date(context: Context, value: Any, hijri: bool = False) -> str:
    return formats.format_date(value, context["lang"], hijri=hijri)


@pass_context
def local_datetime(context: Context, value: Any) -> str:
    return formats.format_datetime(value, context["lang"])


@pass_context
def money(context: Context, value: Any, symbol: bool = True) -> str:
    return formats.format_money(value, context["lang"], symbol=symbol)


class PageProblem(Exception):
    """A page that cannot be shown: an accessible error page in the citizen's language, never a 500."""

    def __init__(self, status: int, title: str, detail: str, upstream: str | None = None) -> None:
        super().__init__(title)
        self.status, self.title, self.detail, self.upstream = status, title, detail, upstream


def lang_of(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in ("ar", "en"):
        return asked
    return "en" if request.cookies.get(LANG_COOKIE) == "en" else "ar"


def secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


def local_path(target: str | None, fallback: str = "/") -> str:
    """Only paths on this site: never `//elsewhere` or `https://elsewhere` (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target


PAGE_CSP = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'self'"


class Pages:
    def __init__(self, directory: Path, csrf_secret: bytes, deps: Deps) -> None:
        self.templates = Jinja2Templates(directory=directory)
        # Dates in Muscat's time zone and amounts in rials, in the page's language: shared.formats holds the rule.
        self.templates.env.filters.update(marks=marks, local_date=local_date, local_datetime=local_datetime,
                                          money=money)
        # The words: `_()`, `ngettext`, `{% trans %}` from the page's catalogue (services/gateway/locale).
        i18n.install(self.templates.env)
        self.templates.env.globals["document_name"] = document_name
        self.csrf_secret = csrf_secret
        self.deps = deps

    async def citizen(self, request: Request) -> Identity | None:
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            return None
        try:
            identity = await authenticate(f"Bearer {token}", self.deps)
        except Throttled:
            raise
        except Problem:
            return None
        return identity if identity is not None and identity.is_citizen else None

    def form_action(self) -> str:
        """'self', and the identity providers a sign-out form redirects to (browsers apply form-action to it)."""
        providers = [v.provider for v in (self.deps.oidc, self.deps.staff_oidc) if v is not None]
        return " ".join(["'self'", *sorted(set().union(*(p.sign_out_origins() for p in providers)))])

    def csrf_ok(self, request: Request, token: str | None) -> bool:
        return csrf.valid(self.csrf_secret, request.cookies.get(csrf.CSRF_COOKIE), token)

    def render(self, request: Request, template: str, context: dict[str, Any], *, status: int = 200,
               identity: Identity | None = None) -> HTMLResponse:
        lang = lang_of(request)
        browser_id = request.cookies.get(csrf.CSRF_COOKIE) or csrf.new_browser_id()
        other = "en" if lang == "ar" else "ar"
        switch_query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "lang"] +
                                 [("lang", other)])
        base = {"lang": lang, "dir": "rtl" if lang == "ar" else "ltr", "other_lang": other,
                "translations": citizen_words()[lang], "switch_url": f"{request.url.path}?{switch_query}",
                "csrf_token": csrf.issue(self.csrf_secret, browser_id), "identity": identity,
                "path": request.url.path, "current_url": str(request.url.path) +
                (f"?{request.url.query}" if request.url.query else "")}
        response = self.templates.TemplateResponse(request, template, base | context, status_code=status)
        secure = secure_cookies(request)
        if request.cookies.get(csrf.CSRF_COOKIE) != browser_id:
            response.set_cookie(csrf.CSRF_COOKIE, browser_id, httponly=True, secure=secure, samesite="lax",
                                max_age=csrf.LIFETIME_SECONDS)
        if request.query_params.get("lang") in ("ar", "en") and request.cookies.get(LANG_COOKIE) != lang:
            response.set_cookie(LANG_COOKIE, lang, secure=secure, samesite="lax", max_age=365 * 86400)
        response.headers["Cache-Control"] = "no-store"
        # The sign-out form redirects to the identity provider: browsers hold that redirect to form-action too.
        response.headers["Content-Security-Policy"] = PAGE_CSP.replace("form-action 'self'",
                                                                       f"form-action {self.form_action()}")
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    def error_page(self, request: Request, status: int, title: str, detail: str,
                   upstream: str | None = None, headers: dict[str, str] | None = None) -> HTMLResponse:
        response = self.render(request, "error.html", {"status": status, "title_key": title,
                                                       "detail_key": detail, "upstream": upstream}, status=status)
        response.headers.update(headers or {})
        return response

    async def on_error(self, request: Request, exc: Exception) -> Response:
        """API paths answer with problem details; pages with an accessible error page."""
        wants_page = not request.url.path.startswith(API_PREFIXES)
        if isinstance(exc, PageProblem):
            return self.error_page(request, exc.status, exc.title, exc.detail, exc.upstream)
        if isinstance(exc, Problem):
            headers = exc.headers if isinstance(exc, Throttled) else None
            if not wants_page:
                return problem_response(exc, request.url.path, headers=headers)
            if exc.status == 429:
                return self.error_page(request, 429, "error", "too_many", headers=headers)
            if exc.status >= 500:
                return self.error_page(request, exc.status, "error", "unavailable",
                                       exc.extensions.get("upstream"), headers=headers)
            return self.error_page(request, exc.status, "not_found", "not_found_detail")
        if not isinstance(exc, StarletteHTTPException):
            log.error("unhandled_error", path=request.url.path, exc_info=exc)
            if not wants_page:
                problem = Problem(500, "internal-error", "Something went wrong on our side. Please try again.")
                return problem_response(problem, request.url.path)
            return self.error_page(request, 500, "error", "unavailable")
        if not wants_page:
            code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "-")
            problem = Problem(exc.status_code, code, str(exc.detail))
            return problem_response(problem, request.url.path, headers=dict(exc.headers or {}))
        return self.error_page(request, exc.status_code, "not_found" if exc.status_code == 404 else "error",
                               "not_found_detail" if exc.status_code == 404 else "unavailable")

