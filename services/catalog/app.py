from fastapi import FastAPI

from services.catalog.api import problem, router
from services.catalog.config import Settings
from services.catalog.domain import CatalogError
from services.catalog.handlers import Deps
from services.catalog.store import MIGRATIONS, CatalogUnitOfWork, metadata
from shared.logging import configure_logging
from shared.runtime import Runtime

SERVICE = "catalog"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(SERVICE, settings.log_level)
    runtime = Runtime(SERVICE, settings, metadata, MIGRATIONS)
    deps = Deps(uow=runtime.unit_of_work(CatalogUnitOfWork), public_url=settings.public_url)
    return runtime.create_app("Catalogue service", router, deps, domain_errors=(CatalogError, problem))
