"""Forwarding a caller's request to the service behind the route, and the reads the pages and dashboard make."""

from dataclasses import dataclass
from typing import Any

from services.gateway.adapters.upstream import call_upstream, signed_headers, unavailable
from services.gateway.domain import Route, Upstream, unsafe_body
from services.gateway.handlers.deps import Deps
from shared.auth import IDENTITY_HEADER, Identity
from shared.web import Problem

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade", "host",
              "content-length", "authorization", IDENTITY_HEADER, "cookie"}

KEPT_HEADERS = ("content-type", "retry-after", "location", "allow")


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
    kept = {k: v for k, v in response.headers.items() if k.lower() in KEPT_HEADERS}
    return Forwarded(response.status_code, kept, response.content)


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
