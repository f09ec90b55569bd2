import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sse_starlette import EventSourceResponse, ServerSentEvent

from services.gateway import handlers
from services.gateway.adapters.dev_identity import DevSignIn
from services.gateway.domain import limit_kind, route_for
from services.gateway.handlers import Deps
from services.gateway.ui.pages import SESSION_COOKIE
from shared.auth import Identity
from shared.contracts.tracking import check_tracking_number
from shared.web import Problem

router = APIRouter()
FORWARDED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


async def get_deps(request: Request) -> Deps:
    """async: FastAPI runs a plain `def` dependency on a worker thread, a hand-over per request."""
    deps: Deps = request.app.state.deps
    return deps


D = Annotated[Deps, Depends(get_deps)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def route_limit(request: Request) -> None:
    """Every route, pages and API alike: the per-route bucket of the few routes scripts hammer (domain.LIMIT_KINDS);
    per caller, so one citizen's script never slows another citizen behind the same carrier address."""
    kind = limit_kind(request.method, request.url.path)
    if kind is None:
        return
    credential = request.headers.get("authorization") or request.cookies.get(SESSION_COOKIE)
    caller = f"credential:{credential}" if credential and kind != "sign_in" else f"address:{client_address(request)}"
    handlers.limit_route(kind, caller, request.app.state.deps)


# Declared so that the public OpenAPI document marks the operations that read a caller; the header itself is read
# below (a missing or malformed one is ours to answer, as a problem document).
BearerToken = Annotated[HTTPAuthorizationCredentials | None, Depends(HTTPBearer(auto_error=False,
                                                                                scheme_name="bearer"))]


async def caller(request: Request, deps: D, _: BearerToken) -> Identity | None:
    """Who is calling, after the per-address limit: a bearer token, or the web UI's session cookie."""
    handlers.limit_address(client_address(request), deps)
    authorization = request.headers.get("authorization")
    if not authorization and request.cookies.get(SESSION_COOKIE):
        authorization = f"Bearer {request.cookies[SESSION_COOKIE]}"
    return await handlers.authenticate(authorization, deps)


async def bearer_caller(request: Request, deps: Deps) -> Identity | None:
    handlers.limit_address(client_address(request), deps)
    return await handlers.authenticate(request.headers.get("authorization"), deps)


async def citizen(identity: Annotated[Identity | None, Depends(caller)]) -> Identity:
    if identity is None:
        raise Problem(401, "unauthenticated", "Sign in to continue.")
    if not identity.is_citizen:
        raise Problem(403, "forbidden", "Only citizens have requests to follow.")
    return identity


Citizen = Annotated[Identity, Depends(citizen)]


@router.post("/api/v1/auth/dev-token")
async def dev_token(sign_in: DevSignIn, deps: D, request: Request) -> dict[str, Any]:
    handlers.limit_address(client_address(request), deps)
    token = handlers.issue_dev_token(sign_in, deps)
    return {"access_token": token, "token_type": "Bearer", "expires_in": 8 * 3600}


@router.get("/openapi.json", include_in_schema=False)
async def openapi(request: Request, deps: D) -> JSONResponse:
    """Every public operation, assembled from the services' own documents (see handlers.contract)."""
    return JSONResponse(await handlers.public_openapi(request.app.state.contract, deps))


@router.get("/asyncapi.json")
async def asyncapi(deps: D) -> dict[str, Any]:
    """The bus contract a ministry integrates against (AsyncAPI 3.0), generated from the event models."""
    return deps.bus_contract


@router.get("/api/v1/me/dashboard")
async def my_dashboard(who: Citizen, deps: D, lang: str = "ar") -> dict[str, Any]:
    """Requests (open first, overdue flagged, with their expected completion), unread notifications, issued
    documents (with `days_left`), renewal offers and life-event suggestions (`renewals_due`, from
    /api/v1/me/offers; `proactive` says whether the citizen receives them) and suggested services.

    Each section degrades on its own: `unavailable` names the services that did not answer and
    `unavailable_sections` the sections left empty because of it.
    """
    return await handlers.dashboard(who, "en" if lang == "en" else "ar", deps)


@router.get("/api/v1/requests/{tracking_number}/events", response_class=EventSourceResponse, responses={
    200: {"description": "Server-sent events named `status`", "content": {"text/event-stream": {
        "schema": {"type": "string"}}}}})
async def request_events(tracking_number: str, who: Citizen, deps: D, request: Request) -> EventSourceResponse:
    """Server-sent events: the request's state now, then each status change as the ministry makes it."""
    number, mistake = check_tracking_number(tracking_number)
    if mistake is not None:
        raise Problem(422, f"tracking-number-{mistake}", "This is not a valid tracking number.")
    updates = handlers.live_updates(number, who, deps)
    first = await anext(updates)  # ownership is checked here, before the stream opens

    async def stream() -> AsyncIterator[ServerSentEvent]:
        try:
            yield ServerSentEvent(json.dumps(first, ensure_ascii=False), event="status")
            async for update in updates:
                if await request.is_disconnected():
                    break
                if update is None:
                    yield ServerSentEvent(comment="keep-alive")
                    continue
                yield ServerSentEvent(json.dumps(update, ensure_ascii=False), event="status")
        finally:
            await updates.aclose()  # the page is gone: stop watching on this replica

    return EventSourceResponse(stream(), ping=15, headers={"Cache-Control": "no-store"})


async def forward(request: Request) -> Response:
    """/api/v1/{rest:path} (FORWARDED_METHODS) and GET /open-data/{rest:path}, routes of the app itself (app.py)."""
    # Its route limit, deps and caller are read here, not declared as dependencies: FastAPI solved that tree (the
    # limit, deps, the caller, its bearer scheme) anew for every forwarded call, and the bearer scheme only marks
    # operations in the OpenAPI document, which this route is not in.
    await route_limit(request)
    deps: Deps = request.app.state.deps
    identity = await bearer_caller(request, deps)
    route = route_for(request.url.path, request.scope.get("raw_path", b"").decode("latin-1"))
    if route is None:
        raise Problem(404, "not-found", "There is no such API path.")
    result = await handlers.forward(route, request.method, request.url.path, request.url.query,
                                    dict(request.headers), await request.body(), identity, deps)
    return Response(result.body, status_code=result.status, headers=result.headers)
