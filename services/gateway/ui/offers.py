"""The dashboard's proactive part: submit a renewal or a suggested service in one step, dismiss it, opt out; set a
suggested service aside."""

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from services.gateway import handlers
from services.gateway.ui.common import (
    P,
    check_csrf,
    checked_slug,
    find_service,
    first,
    posted_form,
    sign_in_first,
)
from services.gateway.ui.forms import read_answers, upstream_errors
from services.gateway.ui.pages import PageProblem, Pages, lang_of
from shared.auth import Identity
from shared.contracts.tracking import check_tracking_number
from shared.web import Problem

offers_router = APIRouter(include_in_schema=False)
OFFER_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")
MAX_OFFERS_SHOWN = 10
Form = dict[str, list[str]]


def checked_offer_id(offer_id: str) -> str:
    if not offer_id or len(offer_id) > 64 or not set(offer_id) <= OFFER_ID_CHARS:
        raise PageProblem(404, "not_found", "not_found_detail")
    return offer_id


def missing_specs(offer: dict[str, Any], service: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The form fields the citizen still has to answer: only those the offer could not fill in."""
    missing = set(offer.get("missing_fields") or [])
    if not missing or service is None:
        return []
    return [spec for spec in service.get("form", []) if spec["name"] in missing]


async def with_services(offers: list[dict[str, Any]], lang: str, pages: Pages) -> list[dict[str, Any]]:
    """Each offer with its service (title, form) from the catalogue, or None when it does not answer."""
    async def one(offer: dict[str, Any]) -> dict[str, Any]:
        try:
            service: dict[str, Any] | None = await find_service(offer["service"], lang, pages)
        except (PageProblem, Problem):
            service = None
        return offer | {"service_record": service, "missing_specs": missing_specs(offer, service)}

    return list(await asyncio.gather(*(one(o) for o in offers[:MAX_OFFERS_SHOWN])))


async def _offer(offer_id: str, identity: Identity, pages: Pages) -> dict[str, Any]:
    status, body = await handlers.read_json(pages.deps, "requests", "/api/v1/me/offers", identity,
                                            params={"status": "all"})
    if status != 200:
        raise PageProblem(503, "error", "unavailable", "requests")
    for offer in body.get("items", []):
        if offer.get("id") == offer_id:
            found: dict[str, Any] = offer
            return found
    raise PageProblem(404, "not_found", "offer_gone")


def _offer_page(request: Request, pages: Pages, identity: Identity, offer: dict[str, Any],
                typed: dict[str, Any], errors: dict[str, str], status: int = 200) -> Response:
    return pages.render(request, "offer.html", {"offer": offer, "typed": typed, "errors": errors}, status=status,
                        identity=identity)


@offers_router.get("/offers/{offer_id}")
async def offer_page(offer_id: str, request: Request, pages: P) -> Response:
    identity = await pages.citizen(request)
    if identity is None:
        return sign_in_first(request)
    offer = await _offer(checked_offer_id(offer_id), identity, pages)
    [shown] = await with_services([offer], lang_of(request), pages)
    return _offer_page(request, pages, identity, shown, dict(offer.get("prefill") or {}), {})


@offers_router.post("/offers/{offer_id}/submit")
async def submit_offer(offer_id: str, request: Request, pages: P) -> Response:
    identity = await pages.citizen(request)
    if identity is None:
        return sign_in_first(request)
    posted = await posted_form(request)
    check_csrf(request, pages, posted)
    offer = await _offer(checked_offer_id(offer_id), identity, pages)
    if offer.get("status") == "submitted" and offer.get("tracking_number"):
        return RedirectResponse(f"/requests/{offer['tracking_number']}", status_code=303)
    if offer.get("status") != "open":
        raise PageProblem(409, "error", "offer_gone")
    [shown] = await with_services([offer], lang_of(request), pages)
    answers = read_answers(shown["missing_specs"], posted)
    if answers.errors:
        return _offer_page(request, pages, identity, shown, answers.typed, answers.errors, 422)
    response = await handlers.call_upstream(pages.deps, "requests", "POST", f"/api/v1/me/offers/{offer_id}/submit",
                                            json={"fields": answers.fields},
                                            headers=handlers.signed_headers(identity, pages.deps))
    body = response.json() if response.headers.get("content-type", "").endswith("json") else {}
    if response.status_code == 201:
        return RedirectResponse(f"/requests/{body['tracking_number']}/confirmation", status_code=303)
    if response.status_code == 409 and body.get("tracking_number"):
        return RedirectResponse(f"/requests/{body['tracking_number']}", status_code=303)
    if response.status_code == 422:
        form = (shown["service_record"] or {}).get("form", [])
        errors = upstream_errors(body, form)
        if errors:
            # The prefill no longer satisfies the form (it changed): ask for what it names, filled in as far as
            # it goes.
            shown["missing_specs"] = [s for s in form if s["name"] in errors or s in shown["missing_specs"]]
            typed = dict(offer.get("prefill") or {}) | answers.typed
            return _offer_page(request, pages, identity, shown, typed, errors, 422)
    if response.status_code >= 500:
        raise PageProblem(503, "error", "unavailable", "requests")
    raise PageProblem(409 if response.status_code == 409 else 400, "error", "offer_gone")


async def _dismiss(request: Request, pages: Pages, path: str, gone: str) -> Form | Response:
    """The citizen's dismissal, form token checked, sent to the requests service; its form, or the way in."""
    identity = await pages.citizen(request)
    if identity is None:
        return sign_in_first(request)
    posted = await posted_form(request)
    check_csrf(request, pages, posted)
    response = await handlers.call_upstream(pages.deps, "requests", "POST", path,
                                            headers=handlers.signed_headers(identity, pages.deps))
    if response.status_code >= 500:
        raise PageProblem(503, "error", "unavailable", "requests")
    if response.status_code >= 400:
        raise PageProblem(404, "not_found", gone)
    return posted


@offers_router.post("/offers/{offer_id}/dismiss")
async def dismiss_offer(offer_id: str, request: Request, pages: P) -> Response:
    done = await _dismiss(request, pages, f"/api/v1/me/offers/{checked_offer_id(offer_id)}/dismiss", "offer_gone")
    return done if isinstance(done, Response) else RedirectResponse("/dashboard#offers", status_code=303)


@offers_router.post("/suggestions/{slug}/dismiss")
async def dismiss_suggestion(slug: str, request: Request, pages: P) -> Response:
    """Never suggest this service again; back to where the citizen saw it (the dashboard, or their request)."""
    done = await _dismiss(request, pages, f"/api/v1/me/suggestions/{checked_slug(slug)}/dismiss",
                          "not_found_detail")
    if isinstance(done, Response):
        return done
    tracking_number, mistake = check_tracking_number(first(done, "from") or "")
    if mistake is None:
        return RedirectResponse(f"/requests/{tracking_number}#suggestions", status_code=303)
    return RedirectResponse("/dashboard#suggested", status_code=303)


async def _set_choice(request: Request, pages: Pages, path: str, back: str) -> Response:
    """The citizen's on/off choice (the posted `enabled`), form token checked, kept by the requests service."""
    identity = await pages.citizen(request)
    if identity is None:
        return sign_in_first(request)
    posted = await posted_form(request)
    check_csrf(request, pages, posted)
    response = await handlers.call_upstream(pages.deps, "requests", "PUT", path,
                                            json={"enabled": first(posted, "enabled") == "true"},
                                            headers=handlers.signed_headers(identity, pages.deps))
    if response.status_code >= 400:
        raise PageProblem(503, "error", "unavailable", "requests")
    return RedirectResponse(back, status_code=303)


@offers_router.post("/dashboard/proactive")
async def set_proactive(request: Request, pages: P) -> Response:
    return await _set_choice(request, pages, "/api/v1/me/proactive", "/dashboard#offers")


@offers_router.post("/dashboard/suggestion-notices")
async def set_suggestion_notices(request: Request, pages: P) -> Response:
    """Opt in to (or out of) a notice, once per suggestion, of a service the citizen may need next."""
    return await _set_choice(request, pages, "/api/v1/me/suggestions/notices", "/dashboard#suggested")
