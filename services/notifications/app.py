from fastapi import FastAPI

from services.notifications import handlers
from services.notifications.api import router
from services.notifications.config import Settings
from services.notifications.handlers import Deps
from services.notifications.store import MIGRATIONS, NotificationsUnitOfWork, metadata
from shared.bus.dispatch import EventRouter
from shared.bus.topology import NOTIFICATIONS_REQUESTS
from shared.logging import configure_logging
from shared.runtime import Runtime

SERVICE = "notifications"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(SERVICE, settings.log_level)
    runtime = Runtime(SERVICE, settings, metadata, MIGRATIONS)
    deps = Deps(uow=runtime.unit_of_work(NotificationsUnitOfWork))
    request_events = EventRouter(deps)
    handlers.register(request_events)

    async def started() -> None:
        await runtime.consume(NOTIFICATIONS_REQUESTS, request_events)

    return runtime.create_app("Notifications service", router, deps, started=started)
