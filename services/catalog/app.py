from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.catalog.api import router
from services.catalog.config import Settings
from services.catalog.handlers import Deps
from services.catalog.store import MIGRATIONS, CatalogUnitOfWork, metadata
from shared.auth import IdentityVerifier
from shared.logging import configure_logging
from shared.runtime import Runtime
from shared.web import install_plumbing

SERVICE = "catalog"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(SERVICE, settings.log_level)
    runtime = Runtime(SERVICE, settings, metadata, MIGRATIONS)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        yield
        await runtime.stop()

    app = FastAPI(title="Catalogue service", lifespan=lifespan)
    app.state.deps = Deps(uow=lambda: runtime.unit_of_work(CatalogUnitOfWork))
    app.state.identity_verifier = IdentityVerifier(settings.identity_public_key)
    app.state.runtime = runtime
    install_plumbing(app, SERVICE, runtime.readiness())
    app.include_router(router)
    return app
