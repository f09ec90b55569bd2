from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.search import handlers
from services.search.api import router
from services.search.config import Settings
from services.search.handlers import Deps
from services.search.store import MIGRATIONS, SearchUnitOfWork, metadata
from shared.auth import IdentityVerifier
from shared.bus.dispatch import EventRouter
from shared.bus.topology import SEARCH_CATALOG
from shared.logging import configure_logging
from shared.runtime import Runtime
from shared.web import install_plumbing

SERVICE = "search"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(SERVICE, settings.log_level)
    runtime = Runtime(SERVICE, settings, metadata, MIGRATIONS)
    deps = Deps(uow=lambda: runtime.unit_of_work(SearchUnitOfWork))
    catalog_events = EventRouter(deps)
    handlers.register(catalog_events)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        await runtime.consume(SEARCH_CATALOG, catalog_events)
        yield
        await runtime.stop()

    app = FastAPI(title="Search service", lifespan=lifespan)
    app.state.deps = deps
    app.state.identity_verifier = IdentityVerifier(settings.identity_public_key)
    app.state.runtime = runtime
    install_plumbing(app, SERVICE, runtime.readiness())
    app.include_router(router)
    return app
