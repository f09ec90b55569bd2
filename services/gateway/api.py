from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from services.gateway import handlers
from services.gateway.domain import route_for
from services.gateway.handlers import Deps, DevSignIn
from shared.web import Problem

router = APIRouter()
FORWARDED_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def get_deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


D = Annotated[Deps, Depends(get_deps)]


@router.post("/api/v1/auth/dev-token")
async def dev_token(sign_in: DevSignIn, deps: D) -> dict[str, Any]:
    token = handlers.issue_dev_token(sign_in, deps)
    return {"access_token": token, "token_type": "Bearer", "expires_in": 8 * 3600}


@router.get("/asyncapi.json")
async def asyncapi(deps: D) -> dict[str, Any]:
    """The bus contract a ministry integrates against (AsyncAPI 3.0), generated from the event models."""
    return deps.bus_contract


@router.api_route("/api/v1/{rest:path}", methods=FORWARDED_METHODS, include_in_schema=False)
@router.get("/open-data/{rest:path}", include_in_schema=False)
async def forward(request: Request, deps: D) -> Response:
    route = route_for(request.url.path, request.scope.get("raw_path", b"").decode("latin-1"))
    if route is None:
        raise Problem(404, "not-found", "There is no such API path.")
    identity = await handlers.authenticate(request.headers.get("authorization"), deps)
    result = await handlers.forward(route, request.method, request.url.path, request.url.query,
                                    dict(request.headers), await request.body(), identity, deps)
    return Response(result.body, status_code=result.status, headers=result.headers)


def templates(request: Request) -> Jinja2Templates:
    found: Jinja2Templates = request.app.state.templates
    return found


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def home(request: Request, deps: D, q: str = "", lang: str = "ar") -> Response:
    lang = "en" if lang == "en" else "ar"
    results: dict[str, Any] | None = None
    unavailable = False
    if q.strip():
        try:
            results = await handlers.search_services(q.strip()[:200], lang, deps)
        except Problem:
            unavailable = True
    return templates(request).TemplateResponse(request, "home.html", {"lang": lang, "q": q, "results": results,
                                                                      "unavailable": unavailable})
