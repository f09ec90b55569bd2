"""/healthz, /readyz and /metrics, plus the trace and metrics middleware every service runs."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.applications import Starlette
from starlette.requests import Request as StarletteRequest
from starlette.responses import Response as StarletteResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


_TRACEPARENT = TRACEPARENT.encode()


def set_header(message: Message, name: bytes, value: bytes) -> None:
    """Starlette's MutableHeaders(scope=message)[name] = value (`name` in lower case): the first header of that name
    takes the value in place, any other is dropped, else it is appended. In one pass, without the Headers object and
    its copy of the list, since every response start goes through here once or twice."""
    headers = list(message.get("headers", ()))
    for index, (key, _) in enumerate(headers):
        if key == name:
            headers[index] = (name, value)
            headers[index + 1:] = [header for header in headers[index + 1:] if header[0] != name]
            break
    else:
        headers.append((name, value))
    message["headers"] = headers


class TraceAndMetricsMiddleware:
    """Counts and times every request, and answers with its traceparent. Plain ASGI: Starlette's
    BaseHTTPMiddleware runs each request through an extra task and memory streams, which cost more than the
    /healthz route itself."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service
        # The labelled counter and histogram by method, route and status: prometheus_client looks a child up under
        # a lock, twice a request otherwise. Routes are templates and statuses few, so the dict stays small.
        self._children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_traced(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                traceparent = current_traceparent()
                if traceparent:
                    set_header(message, _TRACEPARENT, traceparent.encode("latin-1"))
            await send(message)

        try:
            await self.app(scope, receive, send_traced)
        finally:
            key = (scope["method"], getattr(scope.get("route"), "path", "unmatched"), status)
            children = self._children.get(key)
            if children is None:
                method, route, _ = key
                children = self._children[key] = (HTTP_REQUESTS.labels(self.service, method, route, str(status)),
                                                  HTTP_LATENCY.labels(self.service, method, route))
            counted, timed = children
            counted.inc()
            timed.observe(time.perf_counter() - started)


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
