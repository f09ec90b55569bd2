from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.templating import Jinja2Templates

from services.gateway.api import router
from services.gateway.config import Settings
from services.gateway.domain import Upstream
from services.gateway.handlers import Deps, DevIdentityProvider, OidcVerifier, upstream_ready
from services.gateway.store import ApiKeyCache
from shared.auth import IdentitySigner
from shared.contracts.asyncapi import asyncapi_document
from shared.logging import configure_logging, get_logger
from shared.web import ReadinessCheck, install_plumbing

SERVICE = "gateway"
log = get_logger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(SERVICE, settings.log_level)
    bases: dict[Upstream, str] = {"catalog": settings.catalog_url, "search": settings.search_url,
                                  "requests": settings.requests_url, "notifications": settings.notifications_url}
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    timeout = httpx.Timeout(settings.upstream_timeout_seconds, connect=2.0)
    upstreams = {name: httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout)
                 for name, url in bases.items()}
    oidc = None
    if settings.oidc_issuer and settings.oidc_audience and settings.oidc_jwks_url:
        oidc = OidcVerifier(settings.oidc_issuer, settings.oidc_audience, settings.oidc_jwks_url)
    deps = Deps(signer=IdentitySigner(settings.identity_private_key), upstreams=upstreams,
                api_keys=ApiKeyCache(), dev_idp=DevIdentityProvider() if settings.dev_auth else None, oidc=oidc,
                max_body_bytes=settings.max_body_bytes, bus_contract=asyncapi_document(settings.broker_public_host))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if deps.dev_idp is not None:
            log.warning("development_sign_in_enabled")
        yield
        for client in upstreams.values():
            await client.aclose()

    def check(client: httpx.AsyncClient) -> ReadinessCheck:
        return lambda: upstream_ready(client)

    app = FastAPI(title="Unified Government Services Portal", lifespan=lifespan)
    app.state.deps = deps
    app.state.templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
    install_plumbing(app, SERVICE, {name: check(client) for name, client in upstreams.items()})
    app.include_router(router)
    return app
