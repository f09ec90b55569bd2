"""GET /api/v1/me/dashboard: one look at a citizen's portal; each section stands or falls on its own."""

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from services.gateway.domain import CLOSED_STATUSES, dashboard_order, merged_suggestions, suggestions_from
from services.gateway.handlers.deps import Deps
from services.gateway.handlers.upstream import read_json
from shared.auth import Identity
from shared.logging import get_logger
from shared.web import Problem

log = get_logger(__name__)
T = TypeVar("T")


async def _requests(citizen: Identity, deps: Deps) -> list[dict[str, Any]]:
    status, body = await read_json(deps, "requests", "/api/v1/requests", citizen)
    if status != 200:
        raise Problem(503, "upstream-unavailable", "Requests are unavailable.", upstream="requests")
    return dashboard_order(list(body.get("items", [])))


async def _notifications(citizen: Identity, deps: Deps) -> dict[str, Any]:
    status, body = await read_json(deps, "notifications", "/api/v1/me/notifications", citizen,
                                   params={"unread_only": "true"})
    if status != 200:
        raise Problem(503, "upstream-unavailable", "Notifications are unavailable.", upstream="notifications")
    return {"unread": body.get("unread", 0), "items": body.get("items", [])[:10]}


async def _offers(citizen: Identity, deps: Deps) -> dict[str, Any]:
    status, body = await read_json(deps, "requests", "/api/v1/me/offers", citizen)
    if status != 200:
        raise Problem(503, "upstream-unavailable", "Offers are unavailable.", upstream="requests")
    return {"proactive": bool(body.get("proactive", True)), "items": list(body.get("items", []))}


async def _documents(citizen: Identity, deps: Deps) -> list[dict[str, Any]]:
    status, body = await read_json(deps, "requests", "/api/v1/me/documents", citizen)
    if status != 200:
        raise Problem(503, "upstream-unavailable", "Documents are unavailable.", upstream="requests")
    return list(body.get("items", []))


@dataclass(frozen=True)
class Learned:
    items: list[dict[str, Any]]
    dismissed: frozenset[str]
    # Whether the citizen opted in to a notice of each suggestion; None when unknown.
    notices: bool | None = None


async def learned_suggestions(citizen: Identity, lang: str, deps: Deps, after: str | None = None) -> Learned:
    """Suggestions learned from what citizens went on to need (after one request of theirs, or any), and what the
    citizen dismissed; nothing when the requests service has nothing to give."""
    status, body = await read_json(deps, "requests", "/api/v1/me/suggestions", citizen,
                                   params={"after": after} if after else None)
    if status != 200:
        return Learned([], frozenset())
    return Learned([{"slug": i["service"], "title": i["title"].get(lang, i["title"]["en"]), "ministry": i["ministry"],
                     "kind": "learned", "because_of": i["because_of"],
                     "reason": i["reason"].get(lang, i["reason"]["en"])} for i in body.get("items", [])],
                   frozenset(body.get("dismissed", [])), body.get("notices"))


def days_left(expires_on: str | None, today: date) -> int | None:
    """Days from today to the expiry (negative once expired); None for a document that never expires."""
    if not expires_on:
        return None
    try:
        return (date.fromisoformat(expires_on[:10]) - today).days
    except ValueError:
        return None


@dataclass
class _Catalogue:
    titles: dict[str, str] = field(default_factory=dict)
    suggested: list[dict[str, Any]] = field(default_factory=list)


async def _from_catalogue(requests: list[dict[str, Any]], lang: str, deps: Deps) -> _Catalogue:
    """The titles of the services asked for, and those that usually follow their life events."""
    found = _Catalogue()
    slugs = list(dict.fromkeys(r["service"] for r in requests))[:10]
    events: list[str] = []
    for slug in slugs:
        status, service = await read_json(deps, "catalog", f"/api/v1/services/{slug}", params={"lang": lang})
        if status == 200:
            found.titles[slug] = str(service.get("title") or slug)
            events += [e for e in service.get("life_events", []) if e not in events]
    by_event: dict[str, list[str]] = {}
    listed_services: dict[str, dict[str, Any]] = {}
    for event in events[:3]:
        status, listed = await read_json(deps, "catalog", "/api/v1/services", params={"life_event": event,
                                                                                      "lang": lang})
        if status != 200:
            continue
        by_event[event] = [s["slug"] for s in listed.get("items", [])]
        listed_services |= {s["slug"]: {"slug": s["slug"], "title": s["title"], "ministry": s["ministry"],
                                        "life_event": event} for s in listed.get("items", [])}
    found.suggested = [listed_services[slug] for slug in suggestions_from(by_event, set(slugs))]
    return found


async def _section(name: str, work: Awaitable[T], unavailable: list[str], sections: list[str] | None = None,
                   section: str | None = None) -> T | None:
    try:
        return await work
    except Problem as exc:
        if exc.status < 500:
            raise
        unavailable.append(name)
        if sections is not None and section is not None:
            sections.append(section)
        log.warning("dashboard_section_unavailable", section=section or name)
        return None


async def dashboard(citizen: Identity, lang: str, deps: Deps, today: date | None = None) -> dict[str, Any]:
    """Requests (open first, overdue flagged), unread notifications, issued documents, renewal offers and
    life-event suggestions, suggested services.

    Each request carries `service_title` (null when the catalogue did not answer); each document `days_left`
    (null without an expiry). `renewals_due` holds the citizen's open offers (renewals and life events) and
    `proactive` whether they receive them (null when unknown). `unavailable` names the services that did not
    answer and `unavailable_sections` the sections left empty because of it.
    """
    today = today or datetime.now(UTC).date()
    unavailable: list[str] = []
    sections: list[str] = []
    requests, notifications, offers, documents, learned = await asyncio.gather(
        _section("requests", _requests(citizen, deps), unavailable, sections, "requests"),
        _section("notifications", _notifications(citizen, deps), unavailable, sections, "notifications"),
        _section("requests", _offers(citizen, deps), unavailable, sections, "offers"),
        _section("requests", _documents(citizen, deps), unavailable, sections, "documents"),
        _section("requests", learned_suggestions(citizen, lang, deps), unavailable))
    catalogue = None
    if requests is not None:
        catalogue = await _section("catalog", _from_catalogue(requests, lang, deps), unavailable)
    titles = catalogue.titles if catalogue else {}
    return {
        "requests": [r | {"service_title": titles.get(r["service"])} for r in requests or []],
        "open_requests": sum(1 for r in requests or [] if r.get("status") not in CLOSED_STATUSES),
        "overdue_requests": sum(1 for r in requests or [] if r.get("overdue")),
        "notifications": notifications or {"unread": 0, "items": []},
        "documents": [d | {"days_left": days_left(d.get("expires_on"), today)} for d in documents or []],
        "renewals_due": offers["items"] if offers else [],
        "renewals_due_tracked": True,
        "proactive": offers["proactive"] if offers else None,
        "suggested_services": merged_suggestions(catalogue.suggested if catalogue else [],
                                                 learned.items if learned else [],
                                                 learned.dismissed if learned else frozenset()),
        "suggestion_notices": learned.notices if learned else None,
        "unavailable": sorted(set(unavailable)),
        "unavailable_sections": sorted(sections),
    }
