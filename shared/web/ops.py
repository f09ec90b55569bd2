"""/healthz, /readyz and /metrics, plus the trace and metrics middleware every service runs."""

import asyncio
import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from shared.tracing import TRACEPARENT, continue_trace

ReadinessCheck = Callable[[], Awaitable[bool]]

HTTP_REQUESTS = Counter("portal_http_requests_total", "HTTP requests served",
                        ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram("portal_http_request_seconds", "HTTP request latency", ["service", "method", "route"])


class TraceAndMetricsMiddleware(BaseHTTPMiddleware):
    def __init__(self, app: object, service: str) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self.service = service

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        traceparent = continue_trace(request.headers.get(TRACEPARENT))
        started = time.perf_counter()
        response = await call_next(request)
        route = getattr(request.scope.get("route"), "path", "unmatched")
        HTTP_REQUESTS.labels(self.service, request.method, route, str(response.status_code)).inc()
        HTTP_LATENCY.labels(self.service, request.method, route).observe(time.perf_counter() - started)
        response.headers[TRACEPARENT] = traceparent
        return response


def ops_router(checks: dict[str, ReadinessCheck]) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        async def run(check: ReadinessCheck) -> bool:
            try:
                return await asyncio.wait_for(check(), timeout=2.0)
            except Exception:
                return False

        results = await asyncio.gather(*(run(c) for c in checks.values()))
        report = {name: "ok" if ok else "unavailable" for name, ok in zip(checks, results, strict=True)}
        ready = all(results)
        return JSONResponse({"status": "ready" if ready else "not_ready", "checks": report},
                            status_code=200 if ready else 503)

    @router.get("/metrics")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
