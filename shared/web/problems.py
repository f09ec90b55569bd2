"""RFC 9457 problem details: every error a client sees has the same machine-readable shape."""

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.logging import get_logger

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://portal.gov.om/problems/"
log = get_logger(__name__)


class Problem(Exception):
    def __init__(self, status: int, code: str, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.extensions = extensions

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.code,
            "title": HTTPStatus(self.status).phrase,
            "status": self.status,
            "detail": self.detail,
            "code": self.code,
        }
        if instance:
            body["instance"] = instance
        return body | self.extensions


def problem_response(problem: Problem, instance: str | None = None, headers: dict[str, str] | None = None
                     ) -> JSONResponse:
    return JSONResponse(problem.body(instance), status_code=problem.status, media_type=PROBLEM_JSON,
                        headers=headers)


def _field_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [
        {"field": ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")),
         "message": err.get("msg", ""), "kind": err.get("type", "")}
        for err in exc.errors()
    ]


def install_problem_handlers(app: FastAPI) -> None:
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc, request.url.path)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        problem = Problem(422, "invalid-input", "The request is not valid.", errors=_field_errors(exc))
        return problem_response(problem, request.url.path)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "-")
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).description
        return problem_response(Problem(exc.status_code, code, detail), request.url.path,
                                headers=dict(exc.headers or {}))

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled_error", path=request.url.path, exc_info=exc)
        problem = Problem(500, "internal-error", "Something went wrong on our side. Please try again.")
        return problem_response(problem, request.url.path)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
