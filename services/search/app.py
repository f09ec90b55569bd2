from fastapi import FastAPI

from services.search import handlers
from services.search.api import router
from services.search.config import Settings
from services.search.handlers import Deps
from services.search.store import MIGRATIONS, SearchUnitOfWork, metadata
from shared.bus.dispatch import EventRouter
from shared.bus.topology import SEARCH_CATALOG
from shared.logging import configure_logging
from shared.runtime import Runtime

SERVICE = "search"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(SERVICE, settings.log_level)
    runtime = Runtime(SERVICE, settings, metadata, MIGRATIONS)
    deps = Deps(uow=runtime.unit_of_work(SearchUnitOfWork))
    catalog_events = EventRouter(deps)
    handlers.register(catalog_events)

    async def started() -> None:
        await runtime.consume(SEARCH_CATALOG, catalog_events)

    return runtime.create_app("Search service", router, deps, started=started)
