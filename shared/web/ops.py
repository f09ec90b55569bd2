"""/healthz, /readyz and /metrics, plus the trace and metrics middleware every service runs."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request as StarletteRequest
from starlette.responses import Response as StarletteResponse
from starlette.routing import Route

from shared.tracing import TRACEPARENT, current_traceparent

ReadinessCheck = Callable[[], Awaitable[bool]]
Detail = Callable[[], dict[str, Any]]

DEPENDENCY_UP = Gauge("portal_dependency_up", "Whether a dependency answered the last readiness probe (1) or not (0)",
                      ["service", "dependency"])


@dataclass(frozen=True)
class Readiness:
    """Readiness is "this process can serve its own routes". `required`: without it no route can be served.
    `dependencies`: reported as detail and metrics, never taking the pod out of service, because their routes
    answer 503 naming them while every other route still works."""

    required: dict[str, ReadinessCheck] = field(default_factory=dict)
    dependencies: dict[str, ReadinessCheck] = field(default_factory=dict)
    detail: dict[str, Detail] = field(default_factory=dict)

HTTP_REQUESTS = Counter("portal_http_requests_total", "HTTP requests served",
                        ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram("portal_http_request_seconds", "HTTP request latency", ["service", "method", "route"])


class TraceAndMetricsMiddleware(BaseHTTPMiddleware):
    def __init__(self, app: object, service: str) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.service = service

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        HTTP_REQUESTS.labels(self.service, request.method, route, str(response.status_code)).inc()
        HTTP_LATENCY.labels(self.service, request.method, route).observe(time.perf_counter() - started)
        traceparent = current_traceparent()
        if traceparent:
            response.headers[TRACEPARENT] = traceparent
        return response


async def _answers(check: ReadinessCheck) -> bool:
    try:
        return await asyncio.wait_for(check(), timeout=2.0)
    except Exception:
        return False


def metrics_response() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


def metrics_app() -> Starlette:
    """/metrics alone, for a port of its own: what a public process (the gateway) serves to Prometheus only."""

    async def metrics(_: StarletteRequest) -> StarletteResponse:
        return metrics_response()

    return Starlette(routes=[Route("/metrics", metrics)])


def ops_router(service: str, readiness: Readiness, *, metrics: bool = True) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    checks = readiness.required | readiness.dependencies

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        results = dict(zip(checks, await asyncio.gather(*(_answers(c) for c in checks.values())), strict=True))
        for name, ok in results.items():
            DEPENDENCY_UP.labels(service, name).set(1 if ok else 0)
        ready = all(results[name] for name in readiness.required)
        body: dict[str, Any] = {"status": "ready" if ready else "not_ready",
                                "checks": {name: "ok" if ok else "unavailable" for name, ok in results.items()},
                                "required": sorted(readiness.required)}
        if readiness.detail:
            body["detail"] = {name: report() for name, report in readiness.detail.items()}
        return JSONResponse(body, status_code=200 if ready else 503)

    if metrics:
        router.add_api_route("/metrics", metrics_response, methods=["GET"])
    return router
