"""The workspace's calls to the services behind the gateway, always as the signed-in staff member."""

from typing import Any

from services.gateway import handlers
from services.gateway.adapters.http1 import UpstreamResponse
from services.gateway.domain import Upstream
from services.gateway.ui.pages import Pages
from services.gateway.workspace.access import Refused
from shared.auth import Identity


def refused_by(status: int, upstream: str) -> Refused:
    if status in (401, 403):
        return Refused(403, "forbidden")
    if status == 404:
        return Refused(404, "not_found")
    if status == 429:
        return Refused(429, "too_many")
    return Refused(503, "unavailable", upstream)


async def read(pages: Pages, upstream: Upstream, path: str, identity: Identity | None,
               params: dict[str, Any] | None = None) -> Any:
    status, body = await handlers.read_json(pages.deps, upstream, path, identity, params)
    if status != 200:
        raise refused_by(status, upstream)
    return body


async def write(pages: Pages, upstream: Upstream, method: str, path: str, identity: Identity, body: Any,
                params: dict[str, Any] | None = None) -> UpstreamResponse:
    response = await handlers.call_upstream(pages.deps, upstream, method, path, json=body, params=params,
                                            headers=handlers.signed_headers(identity, pages.deps))
    if response.status_code in (401, 403, 404, 429) or response.status_code >= 500:
        raise refused_by(response.status_code, upstream)
    return response


def problem_of(response: UpstreamResponse) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
