"""Portal staff's review of the next-service patterns learned from requests: their figures, approve or switch off
(through the requests service's admin API)."""

import re

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from services.gateway.workspace.access import Refused, first, pages_of, signed_in, staff_post
from services.gateway.workspace.calls import read, write
from services.gateway.workspace.render import WorkspaceRoute, render
from services.gateway.workspace.staff import ADMINS

router = APIRouter(prefix="/workspace", route_class=WorkspaceRoute, include_in_schema=False)
SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,79}")
DECISIONS = {"approve": "approve", "switch_off": "switch-off"}


@router.get("/admin/insights")
async def patterns(request: Request) -> Response:
    pages = pages_of(request)
    who = await signed_in(request, pages, ADMINS)
    if isinstance(who, Response):
        return who
    found = await read(pages, "requests", "/api/v1/admin/insights/patterns", who)
    return render(request, pages, "insights.html", {"found": found}, who)


@router.post("/admin/insights/decide")
async def decide(request: Request) -> Response:
    posted = await staff_post(request, ADMINS)
    if isinstance(posted, Response):
        return posted
    pages, who, form = posted
    after, then, decision = first(form, "after"), first(form, "then"), DECISIONS.get(first(form, "decision"))
    if decision is None or not SLUG.fullmatch(after) or not SLUG.fullmatch(then):
        raise Refused(422, "bad_form")
    await write(pages, "requests", "POST", f"/api/v1/admin/insights/patterns/{after}/{then}/{decision}", who, None)
    return RedirectResponse(f"/workspace/admin/insights#pattern-{after}-{then}", status_code=303)
