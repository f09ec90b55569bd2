"""The public OpenAPI document, assembled at start-up from the services' own and kept fresh while running."""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.gateway.adapters.upstream import call_upstream, unavailable
from services.gateway.contract import assemble
from services.gateway.domain import Upstream
from services.gateway.handlers.deps import Deps
from shared.logging import get_logger

log = get_logger(__name__)


@dataclass
class PublicContract:
    """The last document every service answered for; rebuilt after `refresh_seconds` (a service deployed anew
    may have added operations), keeping the last good one while a service does not answer."""

    own: Callable[[], dict[str, Any]]
    title: str
    version: str
    oidc_discovery_url: str | None = None
    refresh_seconds: float = 300.0
    document: dict[str, Any] | None = None
    built_at: float = 0.0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)


async def public_openapi(contract: PublicContract, deps: Deps) -> dict[str, Any]:
    now = deps.clock()
    if contract.document is not None and now - contract.built_at < contract.refresh_seconds:
        return contract.document
    async with contract._lock:
        if contract.document is not None and deps.clock() - contract.built_at < contract.refresh_seconds:
            return contract.document
        try:
            services: dict[str, dict[str, Any]] = {name: await _service_document(deps, name)
                                                   for name in deps.upstreams}
        except Exception:
            if contract.document is not None:
                log.warning("public_openapi_kept", reason="a service did not answer")
                return contract.document
            raise
        contract.document = assemble(contract.own(), services, title=contract.title, version=contract.version,
                                     oidc_discovery_url=contract.oidc_discovery_url)
        contract.built_at = deps.clock()
        log.info("public_openapi_assembled", operations=sum(len(p) for p in contract.document["paths"].values()))
        return contract.document


async def _service_document(deps: Deps, name: Upstream) -> dict[str, Any]:
    response = await call_upstream(deps, name, "GET", "/openapi.json")
    if response.status_code != 200:
        raise unavailable(name)
    try:
        document: dict[str, Any] = response.json()
    except ValueError as exc:
        raise unavailable(name) from exc
    return document
