"""One request as the ministry sees it, and the officer's actions on it (each a form, POST-redirect-GET)."""

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from services.gateway.ui.pages import Pages, lang_of
from services.gateway.workspace.access import Refused, ensure_ministry, first, pages_of, signed_in, staff_post
from services.gateway.workspace.calls import problem_of, read, write
from services.gateway.workspace.forms import StatusChange, read_status_change, status_body
from services.gateway.workspace.render import WorkspaceRoute, render
from services.gateway.workspace.staff import MOVERS, READERS, actions_for, ministry_of_tracking_number, status_steps
from shared.auth import Identity
from shared.contracts.tracking import check_tracking_number
from shared.logging import get_logger

router = APIRouter(prefix="/workspace", route_class=WorkspaceRoute, include_in_schema=False)
log = get_logger(__name__)
DONE = ("assigned", "released", "start_review", "ask_info", "approve", "reject", "complete")


def _number(tracking_number: str, identity: Identity) -> str:
    canonical, mistake = check_tracking_number(tracking_number[:60])
    if mistake is not None:
        raise Refused(404, "not_found")
    ensure_ministry(identity, ministry_of_tracking_number(canonical))
    return canonical


async def _service(pages: Pages, slug: str, lang: str) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = await read(pages, "catalog", f"/api/v1/services/{slug}", None, {"lang": lang})
    except Refused:
        return None
    return found


async def _page(request: Request, pages: Pages, who: Identity, number: str, *, status: int = 200,
                conflict: str | None = None, change: StatusChange | None = None) -> Response:
    found = await read(pages, "requests", f"/api/v1/requests/{number}", who)
    ensure_ministry(who, str(found.get("ministry", "")))
    service = await _service(pages, found["service"], lang_of(request))
    assignee: dict[str, Any] | None = found.get("assignee") or None
    done = request.query_params.get("done")
    return render(request, pages, "request.html", {
        "request_": found, "service": service, "form": (service or {}).get("form") or [],
        "history": list(reversed(found.get("history") or [])), "assignee": assignee,
        "mine": assignee is not None and assignee.get("id") == who.subject,
        "actions": actions_for(found.get("moves") or []),
        "conflict": conflict, "errors": change.errors if change else {},
        "typed": change.typed if change else {}, "failed_action": change.action if change else None,
        "done": done if done in DONE else None,
    }, who, status=status, page_path=f"/workspace/requests/{number}")


@router.get("/requests/{tracking_number}")
async def request_page(tracking_number: str, request: Request) -> Response:
    pages = pages_of(request)
    who = await signed_in(request, pages, READERS)
    if isinstance(who, Response):
        return who
    return await _page(request, pages, who, _number(tracking_number, who))


@router.post("/requests/{tracking_number}/assign")
async def assign(tracking_number: str, request: Request) -> Response:
    posted = await staff_post(request, MOVERS)
    if isinstance(posted, Response):
        return posted
    pages, who, form = posted
    number = _number(tracking_number, who)
    release = first(form, "assignee") == "none"
    expected = first(form, "expected_assignee") or None
    response = await write(pages, "requests", "POST", f"/api/v1/ministry/requests/{number}/assign", who,
                           {"assignee": None if release else "me", "expected_assignee": expected})
    if response.status_code == 409:
        return await _page(request, pages, who, number, status=409, conflict="assignment_changed")
    if response.status_code >= 400:
        return await _page(request, pages, who, number, status=422, conflict="refused")
    log.info("workspace_request_assigned", ministry=who.ministry, released=release)
    return RedirectResponse(f"/workspace/requests/{number}?done={'released' if release else 'assigned'}",
                            status_code=303)


@router.post("/requests/{tracking_number}/status")
async def change_status(tracking_number: str, request: Request) -> Response:
    posted = await staff_post(request, MOVERS)
    if isinstance(posted, Response):
        return posted
    pages, who, form = posted
    number = _number(tracking_number, who)
    form_fields: list[str] = []
    if first(form, "action") == "ask_info":
        found = await read(pages, "requests", f"/api/v1/requests/{number}", who)
        service = await _service(pages, found["service"], lang_of(request))
        form_fields = [f["name"] for f in (service or {}).get("form") or []]
    change = read_status_change(form, form_fields)
    if change.errors:
        return await _page(request, pages, who, number, status=422, change=change)
    assert change.action is not None
    for expected, target in status_steps(change.action, change.expected_status):
        response = await write(pages, "requests", "POST", f"/api/v1/ministry/requests/{number}/status", who,
                               status_body(change, target, expected))
        if response.status_code == 409:
            # Someone else acted first: show the request as it is now, change nothing.
            return await _page(request, pages, who, number, status=409, conflict="status_changed")
        if response.status_code == 422:
            code = problem_of(response).get("code")
            change.errors["note" if code == "note-required" else "action"] = \
                "reason_required" if code == "note-required" else "refused"
            return await _page(request, pages, who, number, status=422, change=change)
        if response.status_code >= 400:
            return await _page(request, pages, who, number, status=422, conflict="refused")
        if problem_of(response).get("outcome") == "stale":
            return await _page(request, pages, who, number, status=409, conflict="status_changed")
    log.info("workspace_status_changed", ministry=who.ministry, action=change.action)
    return RedirectResponse(f"/workspace/requests/{number}?done={change.action}", status_code=303)
