"""The request queue: the ministry's requests, filtered, due first, with counts and pages."""

import asyncio
import math
import time
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from services.gateway.ui.pages import Pages
from services.gateway.workspace.access import Refused, ministry_in_view, pages_of, signed_in
from services.gateway.workspace.calls import read
from services.gateway.workspace.render import WorkspaceRoute, render
from services.gateway.workspace.staff import READERS
from shared.auth import Identity
from shared.contracts.tracking import check_tracking_number
from shared.web import Problem

router = APIRouter(prefix="/workspace", route_class=WorkspaceRoute, include_in_schema=False)
PAGE_SIZE = 50
STATUSES = ("submitted", "received", "in_review", "action_required", "approved", "rejected", "completed",
            "cancelled")
ASSIGNED = ("me", "none")
TITLES_SECONDS = 60.0


async def service_titles(request: Request, pages: Pages, identity: Identity, ministry: str) -> dict[str, Any]:
    """The ministry's service titles by slug, kept a minute per replica: the queue is read far more often
    than a service is renamed. A catalogue outage only costs the titles (slugs are shown instead)."""
    cache: dict[str, tuple[float, dict[str, Any]]] | None = getattr(request.app.state, "workspace_titles", None)
    if cache is None:
        cache = request.app.state.workspace_titles = {}
    kept = cache.get(ministry)
    now = time.monotonic()
    if kept is not None and kept[0] > now:
        return kept[1]
    try:
        managed = await read(pages, "catalog", "/api/v1/ministry/services", identity)
    except (Refused, Problem) as exc:
        if isinstance(exc, Problem) and exc.status == 429:
            raise
        return {}
    titles = {item["slug"]: (item.get("draft") or item["record"])["title"] for item in managed
              if (item.get("record") or {}).get("ministry") == ministry}
    cache[ministry] = (now + TITLES_SECONDS, titles)
    return titles


def _filters(status: str, service: str, overdue: str, assigned: str, page: int, stalled: str = "") -> dict[str, Any]:
    return {"status": status if status in STATUSES else "", "service": service[:80],
            "overdue": overdue in ("1", "true", "on"), "assigned": assigned if assigned in ASSIGNED else "",
            "stalled": stalled in ("1", "true", "on"), "page": max(1, min(page, 10_000))}


def upstream_params(filters: dict[str, Any], ministry: str, identity: Identity) -> dict[str, Any]:
    params: dict[str, Any] = {"page": filters["page"]}
    if filters["status"]:
        params["status"] = filters["status"]
    if filters["service"]:
        params["service"] = filters["service"]
    if filters["overdue"]:
        params["overdue"] = "true"
    if filters.get("stalled"):
        params["stalled"] = "true"
    if filters["assigned"]:
        params["assigned"] = filters["assigned"]
    if identity.role == "admin":
        params["ministry"] = ministry
    return params


@router.get("/")
async def queue(request: Request, status: str = "", service: str = "", overdue: str = "", assigned: str = "",
                page: int = 1, ministry: str = "", stalled: str = "") -> Response:
    pages = pages_of(request)
    who = await signed_in(request, pages, READERS)
    if isinstance(who, Response):
        return who
    shown = ministry_in_view(who, ministry[:16])
    if shown is None:
        return render(request, pages, "choose_ministry.html", {}, who)
    filters = _filters(status, service, overdue, assigned, page, stalled)
    found, titles = await asyncio.gather(
        read(pages, "requests", "/api/v1/ministry/requests", who, upstream_params(filters, shown, who)),
        service_titles(request, pages, who, shown))
    total = int(found.get("total", 0))
    # Counts stop at the limit (the requests service's count_limit): past it the page count is unknown, so
    # pagination offers the next page while this one is full.
    count_limit = found.get("count_limit")
    capped = count_limit is not None and total >= count_limit
    pages_total = None if capped else max(1, math.ceil(total / PAGE_SIZE))
    query = {k: v for k, v in {"status": filters["status"], "service": filters["service"],
                               "overdue": "1" if filters["overdue"] else "", "assigned": filters["assigned"],
                               "stalled": "1" if filters["stalled"] else "",
                               "ministry": shown if who.role == "admin" else ""}.items() if v}
    return render(request, pages, "queue.html", {
        "ministry": shown, "filters": filters, "found": found, "counts": found.get("counts") or {},
        "titles": titles, "statuses": STATUSES, "count_limit": count_limit,
        "page": filters["page"], "pages_total": pages_total, "more": len(found.get("items") or []) >= PAGE_SIZE,
        "link": lambda changes: queue_link(query, changes),
    }, who)


@router.get("/find")
async def find_request(request: Request, number: str = "") -> Response:
    """A request by its tracking number, typed (a plain GET form, no JavaScript)."""
    pages = pages_of(request)
    who = await signed_in(request, pages, READERS)
    if isinstance(who, Response):
        return who
    if not number.strip():
        return render(request, pages, "choose_ministry.html", {}, who)
    canonical, mistake = check_tracking_number(number[:60])
    if mistake is not None:
        return render(request, pages, "choose_ministry.html", {"number": number[:60], "mistake": mistake}, who,
                      status=422)
    return RedirectResponse(f"/workspace/requests/{canonical}", status_code=303)


def queue_link(query: dict[str, Any], changes: dict[str, Any]) -> str:
    merged = {k: v for k, v in (query | changes).items() if v}
    return "/workspace/" + (f"?{urlencode(merged)}" if merged else "")
