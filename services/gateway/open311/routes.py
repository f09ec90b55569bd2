"""Open311 GeoReport v2 under /open311/v2/: services and definitions for anyone, service requests for the citizen
signed in (their own only). Errors are the specification's error list, with the portal's problem codes inside."""

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.gateway import handlers
from services.gateway.handlers import Deps
from services.gateway.open311 import calls, rules
from services.gateway.open311.formats import MEDIA_TYPES, Format, render
from services.gateway.open311.models import (
    Open311Created,
    Open311Discovery,
    Open311Endpoint,
    Open311Error,
    Open311Request,
    Open311Service,
    Open311ServiceDefinition,
    Open311Submission,
)
from services.gateway.problems import Throttled
from shared.auth import Identity
from shared.contracts.tracking import check_tracking_number
from shared.logging import get_logger
from shared.web import Problem

PREFIX = "/open311/v2"
JURISDICTION = "portal.gov.om"
CHANGESET = "2026-12-06T00:00:00Z"
MAX_FORM_FIELDS = 200
MAX_TRACKING_NUMBER = 40
log = get_logger(__name__)
router = APIRouter(prefix=PREFIX, tags=["Open311 GeoReport v2"])
_XML_TEXT = {"schema": {"type": "string", "description": "The same fields, as XML."}}
_XML = {"content": {"text/xml": _XML_TEXT}}
_ERROR_LIST = {"model": list[Open311Error], "content": {"text/xml": _XML_TEXT},
               "description": "The specification's error list (JSON or XML, as the path asks); the portal's problem "
                              "code opens each description."}
ERRORS: dict[int | str, dict[str, Any]] = {status: _ERROR_LIST
                                           for status in (400, 401, 403, 404, 409, 413, 415, 429, 503)}


async def get_deps(request: Request) -> Deps:
    """async: FastAPI runs a plain `def` dependency on a worker thread, a hand-over per request."""
    deps: Deps = request.app.state.deps
    return deps


D = Annotated[Deps, Depends(get_deps)]


async def caller(request: Request, deps: D) -> Identity | None:
    """A bearer token, or the same token as the password of HTTP Basic (for clients that know no other way)."""
    handlers.limit_address(request.client.host if request.client else "unknown", deps)
    return await handlers.authenticate(rules.bearer_from(request.headers.get("authorization")), deps)


# Declares the bearer scheme in the OpenAPI; the header itself is read by `caller` (Basic included).
_signed_in = HTTPBearer(auto_error=False, description="A citizen's sign-in token, as Bearer or as the password of "
                                                      "HTTP Basic.")


async def citizen(identity: Annotated[Identity | None, Depends(caller)],
                  _: Annotated[HTTPAuthorizationCredentials | None, Depends(_signed_in)]) -> Identity:
    if identity is None:
        raise Problem(401, "unauthenticated", "Sign in: service requests are a citizen's own.")
    if not identity.is_citizen:
        raise Problem(403, "forbidden", "Only citizens have service requests.")
    return identity


Anyone = Annotated[Identity | None, Depends(caller)]
Citizen = Annotated[Identity, Depends(citizen)]


async def in_jurisdiction(jurisdiction_id: str | None = None) -> None:
    if jurisdiction_id and jurisdiction_id != JURISDICTION:
        raise Problem(404, "jurisdiction-not-found", f"This endpoint serves one jurisdiction: {JURISDICTION}.")


Jurisdiction = Depends(in_jurisdiction)


def answer(format: Format, root: str, content: Any, status: int = 200) -> Response:
    return Response(render(format, root, content), status_code=status, media_type=MEDIA_TYPES[format])


@router.get("/discovery.json", response_model=Open311Discovery)
async def discovery(request: Request) -> Response:
    """Where this endpoint is and what it speaks (GeoReport v2 service discovery)."""
    url = str(request.base_url).rstrip("/") + PREFIX
    return answer("json", "discovery", Open311Discovery(
        changeset=CHANGESET, contact="Unified Government Services Portal, https://portal.gov.om",
        key_service="No key is needed to read services. Sign in as a citizen (bearer token) to submit and read "
                    "your own requests; api_key names your application.",
        endpoints=[Open311Endpoint(specification=rules.SPECIFICATION, url=url, changeset=CHANGESET,
                                   type="production", formats=["application/json", "text/xml"])]))


@router.get("/services.{format}", response_model=list[Open311Service], responses={200: _XML, **ERRORS},
            dependencies=[Jurisdiction])
async def list_services(format: Format, deps: D, _: Anyone, lang: rules.Lang = "en") -> Response:
    """Every published service: code (the slug), name, description, group (the ministry) and keywords."""
    records = await calls.catalogue(deps)
    return answer(format, "services", [rules.service_entry(record, lang) for record in records])


@router.get("/services/{service_code}.{format}", response_model=Open311ServiceDefinition,
            responses={200: _XML, **ERRORS}, dependencies=[Jurisdiction])
async def service_definition(service_code: str, format: Format, deps: D, _: Anyone, lang: rules.Lang = "en"
                             ) -> Response:
    """The service's form fields as attributes: code, datatype, required, order, description and values."""
    record = await calls.service(deps, service_code)
    return answer(format, "service_definition", rules.definition(record, lang))


async def _entries(views: list[dict[str, Any]], deps: Deps, lang: rules.Lang) -> list[Open311Request]:
    records = await calls.services_named(deps, {str(view["service"]) for view in views})
    return [rules.request_entry(view, records.get(str(view["service"])), lang) for view in views]


@router.get("/requests.{format}", response_model=list[Open311Request], responses={200: _XML, **ERRORS},
            dependencies=[Jurisdiction])
async def list_requests(format: Format, who: Citizen, deps: D, service_request_id: str | None = None,
                        service_code: str | None = None, start_date: str | None = None, end_date: str | None = None,
                        status: str | None = None, lang: rules.Lang = "en") -> Response:
    """The signed-in citizen's requests: by service_request_id (comma-separated, overriding the rest), or by
    service_code, status (open, closed) and requested date (the last 90 days unless given; at most 90 days,
    at most 1,000 requests, newest first)."""
    query = rules.request_query(service_request_id, service_code, start_date, end_date, status, datetime.now(UTC))
    chosen = rules.select(await calls.my_requests(who, deps), query)
    return answer(format, "service_requests", await _entries([dict(view) for view in chosen], deps, lang))


@router.get("/requests/{service_request_id}.{format}", response_model=list[Open311Request],
            responses={200: _XML, **ERRORS}, dependencies=[Jurisdiction])
async def get_request(service_request_id: str, format: Format, who: Citizen, deps: D, lang: rules.Lang = "en"
                      ) -> Response:
    """One of the citizen's requests (another's is not found), with the latest status note."""
    number, mistake = check_tracking_number(service_request_id[:MAX_TRACKING_NUMBER])
    if mistake is not None or len(service_request_id) > MAX_TRACKING_NUMBER:
        raise Problem(400, f"tracking-number-{mistake}", "This is not a valid tracking number.")
    view = await calls.my_request(who, deps, number)
    return answer(format, "service_requests", await _entries([view], deps, lang))


async def _posted(request: Request, deps: Deps) -> dict[str, list[str]]:
    """The form the client posted (urlencoded), over any parameters it put in the address."""
    body = await request.body()
    if len(body) > deps.max_body_bytes:
        raise Problem(413, "body-too-large", f"Requests are limited to {deps.max_body_bytes} bytes.")
    if body and not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise Problem(415, "unsupported-media-type", "Post the request as application/x-www-form-urlencoded.")
    try:
        posted = parse_qs(request.url.query, max_num_fields=MAX_FORM_FIELDS)
        posted |= parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
    except (UnicodeDecodeError, ValueError) as exc:
        raise Problem(400, "invalid-form", "The form cannot be read.") from exc
    return posted


@router.post("/requests.{format}", response_model=list[Open311Created], status_code=201,
             responses={201: _XML, **ERRORS}, openapi_extra={"requestBody": {"required": True, "content": {
                 "application/x-www-form-urlencoded": {"schema": Open311Submission.model_json_schema(),
                                                       "encoding": {"attribute": {"style": "deepObject",
                                                                                  "explode": True}}}}}})
async def create_request(format: Format, who: Citizen, deps: D, request: Request) -> Response:
    """Submit a request for the signed-in citizen: service_code and attribute[code]=value for each form field
    (api_key names the client application). Answers with the tracking number as service_request_id. Name,
    email, phone and location parameters are ignored: the citizen is the one signed in. With an Idempotency-Key,
    a retried post returns the first answer instead of filing a second request."""
    posted = await _posted(request, deps)
    await in_jurisdiction(next(iter(posted.get("jurisdiction_id", [])), None))
    code = (posted.get("service_code") or [""])[0].strip()
    if not code:
        raise Problem(400, "service-code-required", "Name the service with service_code.")
    record = await calls.service(deps, code)
    fields = rules.submitted_fields(record, rules.posted_attributes(posted))
    created = await calls.submit(who, deps, record.slug, fields, request.headers.get("idempotency-key"))
    log.info("open311_request_submitted", service=record.slug, client=bool(posted.get("api_key")))
    return answer(format, "service_requests", [Open311Created(service_request_id=created["tracking_number"])],
                  status=201)


ErrorHandler = Callable[[Request, Exception], Awaitable[Response]]


def _problem_of(exc: Exception) -> Problem:
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, RequestValidationError):
        errors = [{"field": ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "path", "body")),
                   "message": error.get("msg", "is not valid")} for error in exc.errors()]
        return Problem(400, "invalid-input", "The request is not valid.", errors=errors)
    if isinstance(exc, StarletteHTTPException):
        return Problem(exc.status_code, "not-found" if exc.status_code == 404 else "http-error", str(exc.detail))
    log.error("unhandled_error", path=PREFIX, exc_info=exc)
    return Problem(500, "internal-error", "Something went wrong on our side. Please try again.")


def open311_errors(fallback: ErrorHandler) -> ErrorHandler:
    """Errors under /open311/ as the specification's error list (in the format asked for); elsewhere unchanged."""
    async def on_error(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith(PREFIX + "/"):
            return await fallback(request, exc)
        problem = _problem_of(exc)
        format_: Format = "xml" if request.url.path.endswith(".xml") else "json"
        entries = [Open311Error(code=status, description=description) for status, description in
                   rules.error_entries(problem.status, problem.code, problem.detail, problem.extensions.get("errors"))]
        headers = dict(problem.headers) if isinstance(problem, Throttled) else {}
        if problem.status == 401:
            headers["WWW-Authenticate"] = 'Bearer realm="open311"'
        return Response(render(format_, "errors", entries), status_code=problem.status,
                        media_type=MEDIA_TYPES[format_], headers=headers)

    return on_error
