from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

from services.requests.api import router
from services.requests.clients import HttpCatalog, MinistryQueues
from services.requests.config import Settings
from services.requests.handlers import Deps, register_catalogue, register_ministry
from services.requests.store import MIGRATIONS, RequestsUnitOfWork, metadata
from shared.auth import IdentityVerifier
from shared.bus.dispatch import EventRouter
from shared.bus.topology import REQUESTS_CATALOG
from shared.logging import configure_logging
from shared.runtime import Runtime
from shared.web import install_plumbing

SERVICE = "requests"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(SERVICE, settings.log_level)
    runtime = Runtime(SERVICE, settings, metadata, MIGRATIONS)
    catalog_http = httpx.AsyncClient(base_url=settings.catalog_url, timeout=httpx.Timeout(5.0, connect=2.0))
    ministries = MinistryQueues(runtime.bus, runtime.consume, settings.ministries)
    deps = Deps(uow=lambda: runtime.unit_of_work(RequestsUnitOfWork), catalog=HttpCatalog(catalog_http),
                ministry_links=ministries)
    ministry_router = EventRouter(deps)
    register_ministry(ministry_router)
    ministries.handler = ministry_router
    catalogue_router = EventRouter(deps)
    register_catalogue(catalogue_router)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        async with deps.uow() as uow:
            known = await uow.catalogue.ministries()
        for ministry in known:
            await ministries.ensure(ministry)
        await runtime.consume(REQUESTS_CATALOG, catalogue_router)
        yield
        await runtime.stop()
        await catalog_http.aclose()

    app = FastAPI(title="Requests service", lifespan=lifespan)
    app.state.deps = deps
    app.state.identity_verifier = IdentityVerifier(settings.identity_public_key)
    app.state.runtime = runtime
    app.state.ministries = ministries
    install_plumbing(app, SERVICE, runtime.readiness())
    app.include_router(router)
    return app
