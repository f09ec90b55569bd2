"""One request's pages: follow it live, answer the ministry when it asks for more, rate the service once."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from services.gateway import handlers
from services.gateway.ui.common import (
    P,
    check_csrf,
    find_service,
    first,
    my_request,
    posted_form,
    sign_in_first,
)
from services.gateway.ui.forms import read_answers, upstream_errors
from services.gateway.ui.pages import PageProblem, Pages, lang_of
from shared.auth import Identity
from shared.web import Problem

request_router = APIRouter(include_in_schema=False)
MAX_NOTE = 2000
MAX_COMMENT = 1000
SCORES = ("1", "2", "3", "4", "5")


def fields_to_correct(found: dict[str, Any], service: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The form fields the ministry asked to be answered again, in the form's order."""
    if found.get("status") != "action_required" or service is None:
        return []
    asked = set(found.get("fields_to_correct") or [])
    return [spec for spec in service.get("form", []) if spec["name"] in asked]


async def _service_or_none(slug: str, lang: str, pages: Pages) -> dict[str, Any] | None:
    try:
        return await find_service(slug, lang, pages)
    except PageProblem:
        return None


async def _next_services(found: dict[str, Any], identity: Identity, lang: str, pages: Pages) -> list[dict[str, Any]]:
    """Once a request is completed, what most people went on to need after it; nothing when nobody answers."""
    if found.get("status") != "completed":
        return []
    try:
        return (await handlers.learned_suggestions(identity, lang, pages.deps, after=found["tracking_number"])).items
    except Problem:
        return []


def _request_page(request: Request, pages: Pages, identity: Identity, found: dict[str, Any],
                  service: dict[str, Any] | None, typed: dict[str, Any] | None = None,
                  errors: dict[str, str] | None = None, status: int = 200,
                  suggestions: list[dict[str, Any]] | None = None) -> Response:
    history = list(reversed(found.get("history") or []))
    to_correct = fields_to_correct(found, service)
    answered = dict(found.get("fields") or {})
    return pages.render(request, "request.html", {
        "request_": found, "service": service, "history": history, "to_correct": to_correct,
        "typed": typed if typed is not None else {spec["name"]: answered.get(spec["name"]) for spec in to_correct},
        "errors": errors or {}, "suggestions": suggestions or []}, status=status, identity=identity)


Form = dict[str, list[str]]


async def _citizens_request(request: Request, pages: Pages, tracking_number: str, *, posting: bool = False
                            ) -> tuple[Identity, dict[str, Any], Form] | Response:
    """The signed-in citizen, their request and, for a POST, the form with its CSRF token checked; or the way in."""
    identity = await pages.citizen(request)
    if identity is None:
        return sign_in_first(request)
    posted: Form = {}
    if posting:
        posted = await posted_form(request)
        check_csrf(request, pages, posted)
    return identity, await my_request(tracking_number, identity, pages), posted


@request_router.get("/requests/{tracking_number}")
async def request_page(tracking_number: str, request: Request, pages: P) -> Response:
    seen = await _citizens_request(request, pages, tracking_number)
    if isinstance(seen, Response):
        return seen
    identity, found, _ = seen
    lang = lang_of(request)
    service, suggestions = await asyncio.gather(_service_or_none(found["service"], lang, pages),
                                                _next_services(found, identity, lang, pages))
    return _request_page(request, pages, identity, found, service, suggestions=suggestions)


@request_router.post("/requests/{tracking_number}/respond")
async def respond(tracking_number: str, request: Request, pages: P) -> Response:
    seen = await _citizens_request(request, pages, tracking_number, posting=True)
    if isinstance(seen, Response):
        return seen
    identity, found, posted = seen
    number = found["tracking_number"]
    if found.get("status") != "action_required":
        return RedirectResponse(f"/requests/{number}", status_code=303)
    service = await _service_or_none(found["service"], lang_of(request), pages)
    answers = read_answers(fields_to_correct(found, service), posted)
    note = first(posted, "note").strip()
    answers.typed["note"] = note
    if not note:
        answers.errors["note"] = "required"
    elif len(note) > MAX_NOTE:
        answers.errors["note"] = "too_long"
    if answers.errors:
        return _request_page(request, pages, identity, found, service, answers.typed, answers.errors, 422)
    response = await handlers.call_upstream(pages.deps, "requests", "POST", f"/api/v1/requests/{number}/respond",
                                            json={"note": note, "fields": answers.fields},
                                            headers=handlers.signed_headers(identity, pages.deps))
    if response.status_code == 422 and service is not None:
        errors = upstream_errors(response.json(), service.get("form", [])) or {"note": "invalid"}
        return _request_page(request, pages, identity, found, service, answers.typed, errors, 422)
    if response.status_code >= 500:
        raise PageProblem(503, "error", "unavailable", "requests")
    # Answered, or the ministry moved the request meanwhile (409): either way the page shows where it stands.
    return RedirectResponse(f"/requests/{number}", status_code=303)


def _rating_page(request: Request, pages: Pages, identity: Identity, found: dict[str, Any], *, state: str,
                 typed: dict[str, str] | None = None, errors: dict[str, str] | None = None,
                 status: int = 200) -> Response:
    return pages.render(request, "rating.html", {"request_": found, "state": state, "typed": typed or {},
                                                 "errors": errors or {}, "scores": SCORES},
                        status=status, identity=identity)


def _rating_state(found: dict[str, Any]) -> str:
    if found.get("rating"):
        return "rated"
    if found.get("status") != "completed" or found.get("survey_open") is False:
        return "not_ratable"
    return "open"


@request_router.get("/requests/{tracking_number}/rating")
async def rating_form(tracking_number: str, request: Request, pages: P) -> Response:
    seen = await _citizens_request(request, pages, tracking_number)
    if isinstance(seen, Response):
        return seen
    identity, found, _ = seen
    return _rating_page(request, pages, identity, found, state=_rating_state(found))


@request_router.post("/requests/{tracking_number}/rating")
async def rate(tracking_number: str, request: Request, pages: P) -> Response:
    seen = await _citizens_request(request, pages, tracking_number, posting=True)
    if isinstance(seen, Response):
        return seen
    identity, found, posted = seen
    score, comment = first(posted, "score"), first(posted, "comment").strip()
    errors: dict[str, str] = {}
    if score not in SCORES:
        errors["score"] = "bad_score"
    if len(comment) > MAX_COMMENT:
        errors["comment"] = "too_long"
    typed = {"score": score, "comment": comment}
    if errors:
        return _rating_page(request, pages, identity, found, state="open", typed=typed, errors=errors, status=422)
    number = found["tracking_number"]
    body: dict[str, Any] = {"score": int(score)} | ({"comment": comment} if comment else {})
    response = await handlers.call_upstream(pages.deps, "requests", "POST", f"/api/v1/requests/{number}/rating",
                                            json=body, headers=handlers.signed_headers(identity, pages.deps))
    if response.status_code == 201:
        return RedirectResponse(f"/requests/{number}/rating/thanks", status_code=303)
    if response.status_code == 409:
        code = response.json().get("code")
        state = "rated" if code == "already-rated" else "not_ratable"
        return _rating_page(request, pages, identity, found, state=state, status=409)
    if response.status_code == 422:
        return _rating_page(request, pages, identity, found, state="open", typed=typed,
                            errors={"comment": "invalid"}, status=422)
    raise PageProblem(503 if response.status_code >= 500 else 404, "error",
                      "unavailable" if response.status_code >= 500 else "not_found_request", "requests")


@request_router.get("/requests/{tracking_number}/rating/thanks")
async def rating_thanks(tracking_number: str, request: Request, pages: P) -> Response:
    seen = await _citizens_request(request, pages, tracking_number)
    if isinstance(seen, Response):
        return seen
    identity, found, _ = seen
    return _rating_page(request, pages, identity, found, state="thanks")
