from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.notifications import handlers
from services.notifications.api import router
from services.notifications.config import Settings
from services.notifications.handlers import Deps
from services.notifications.store import MIGRATIONS, NotificationsUnitOfWork, metadata
from shared.auth import IdentityVerifier
from shared.bus.dispatch import EventRouter
from shared.bus.topology import NOTIFICATIONS_REQUESTS
from shared.logging import configure_logging
from shared.runtime import Runtime
from shared.web import install_plumbing

SERVICE = "notifications"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(SERVICE, settings.log_level)
    runtime = Runtime(SERVICE, settings, metadata, MIGRATIONS)
    deps = Deps(uow=lambda: runtime.unit_of_work(NotificationsUnitOfWork))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        events = EventRouter(deps)
        handlers.register(events)
        await runtime.consume(NOTIFICATIONS_REQUESTS, events)
        yield
        await runtime.stop()

    app = FastAPI(title="Notifications service", lifespan=lifespan)
    app.state.deps = deps
    app.state.identity_verifier = IdentityVerifier(settings.identity_public_key)
    app.state.runtime = runtime
    install_plumbing(app, SERVICE, runtime.readiness())
    app.include_router(router)
    return app
