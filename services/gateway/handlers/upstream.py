"""Calls to the services behind the gateway: pooled clients, a breaker per upstream, retries only for reads."""

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from services.gateway.domain import Route, Upstream, unsafe_body
from services.gateway.handlers.auth import Throttled
from services.gateway.handlers.deps import Deps
from shared.auth import IDENTITY_HEADER, Identity
from shared.logging import get_logger
from shared.tracing import TRACEPARENT, outgoing_traceparent
from shared.web import Problem

log = get_logger(__name__)
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host",
              "content-length", "authorization", IDENTITY_HEADER, "cookie"}
IDEMPOTENT = ("GET", "HEAD")
# Answers that say the upstream itself is in trouble (not the caller): they count against its breaker.
UPSTREAM_TROUBLE = (502, 503, 504)


def unavailable(upstream: str, retry_after: float | None = None) -> Problem:
    detail = f"The {upstream} service is unavailable; the rest of the portal still works."
    if retry_after is not None:
        return Throttled(503, "upstream-unavailable", detail, retry_after, upstream=upstream)
    return Problem(503, "upstream-unavailable", detail, upstream=upstream)


async def call_upstream(deps: Deps, upstream: Upstream, method: str, path: str, *, params: Any = None,
                        headers: dict[str, str] | None = None, content: bytes | None = None,
                        json: Any = None) -> httpx.Response:
    """One call through the upstream's breaker; reads are retried on transport errors, writes never are."""
    breaker = deps.breaker(upstream)
    if not breaker.allow(deps.clock()):
        raise unavailable(upstream, breaker.retry_after(deps.clock()))
    client = deps.upstreams[upstream]
    attempts = 3 if method in IDEMPOTENT else 1
    for attempt in range(1, attempts + 1):
        try:
            response = await client.request(method, path, params=params, headers=headers, content=content,
                                            json=json)
        except httpx.TransportError as exc:
            # A write might have landed before the connection broke: only reads are tried again.
            if attempt == attempts:
                breaker.failed(deps.clock())
                log.warning("upstream_unavailable", upstream=upstream, error=type(exc).__name__,
                            breaker=breaker.state)
                raise unavailable(upstream) from exc
            await asyncio.sleep(0.05 * 2 ** attempt)
            continue
        if response.status_code in UPSTREAM_TROUBLE:
            breaker.failed(deps.clock())
        else:
            breaker.succeeded()
        return response
    raise unavailable(upstream)  # pragma: no cover - the loop always returns or raises


def signed_headers(identity: Identity | None, deps: Deps, extra: dict[str, str] | None = None) -> dict[str, str]:
    headers = dict(extra or {})
    headers[TRACEPARENT] = outgoing_traceparent()
    if identity is not None:
        headers[IDENTITY_HEADER] = deps.signer.sign(identity)
    return headers


@dataclass(frozen=True)
class Forwarded:
    status: int
    headers: dict[str, str]
    body: bytes


async def forward(route: Route, method: str, path: str, query: str, headers: dict[str, str], body: bytes,
                  identity: Identity | None, deps: Deps) -> Forwarded:
    if route.access == "signed_in" and identity is None:
        raise Problem(401, "unauthenticated", "Sign in to continue.")
    if len(body) > deps.max_body_bytes:
        raise Problem(413, "body-too-large", f"Requests are limited to {deps.max_body_bytes} bytes.")
    if unsafe_body(body) or "\x00" in query or "%00" in query:
        raise Problem(422, "invalid-text", "Text may not contain NUL characters or unpaired surrogates.")
    outgoing = signed_headers(identity, deps, {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP})
    response = await call_upstream(deps, route.upstream, method, path, params=query or None, headers=outgoing,
                                   content=body)
    kept = {k: v for k, v in response.headers.items() if k.lower() in ("content-type", "retry-after", "location")}
    return Forwarded(response.status_code, kept, response.content)


async def upstream_ready(client: httpx.AsyncClient) -> bool:
    response = await client.get("/readyz", timeout=2.0)
    return response.status_code == 200


async def read_json(deps: Deps, upstream: Upstream, path: str, identity: Identity | None = None,
                    params: dict[str, Any] | None = None) -> tuple[int, Any]:
    """A read for the UI and the dashboard: the status and the decoded body (problems included)."""
    response = await call_upstream(deps, upstream, "GET", path, params=params,
                                   headers=signed_headers(identity, deps))
    try:
        return response.status_code, response.json()
    except ValueError as exc:
        raise unavailable(upstream) from exc


async def search_services(q: str, lang: str, deps: Deps, **filters: str) -> dict[str, Any]:
    params = {"q": q, "lang": lang} | {k: v for k, v in filters.items() if v}
    status, body = await read_json(deps, "search", "/api/v1/search", params=params)
    if 400 <= status < 500 and status != 429:
        # A query the search service will not run (an unknown filter, say) finds nothing; it is not an outage.
        return {"total": 0, "page": 1, "hits": [], "facets": {"ministry": {}, "life_event": {}, "maturity": {}},
                "suggestion": None}
    if status != 200:
        raise Problem(503, "upstream-unavailable", "Search is unavailable right now.", upstream="search")
    found: dict[str, Any] = body
    return found
