"""What every service runs in its lifespan: migrations, engine, bus, topology, outbox relay, consumers."""

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TypeVar

from fastapi import APIRouter, FastAPI, Request, Response
from sqlalchemy import MetaData, Table
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.auth import IdentityVerifier
from shared.bus import BatchHandler, Bus, Consumer, Handler, connect_bus
from shared.bus.ports import RawHandler
from shared.bus.topology import PORTAL_QUEUES, QueueSpec
from shared.config import ServiceSettings
from shared.db import DatabaseBusy, OutboxRelay, UnitOfWork, UnitOfWorkFactory, database_answers, dispose, engine_for
from shared.db.migrate import upgrade
from shared.logging import get_logger
from shared.web import NO_FASTAPI_TELEMETRY, Problem, Readiness, ReadinessCheck, install_plumbing, problem_response

log = get_logger(__name__)
U = TypeVar("U", bound=UnitOfWork)


class Runtime:
    def __init__(self, service: str, settings: ServiceSettings, metadata: MetaData, migrations: Path) -> None:
        self.service, self.settings = service, settings
        self._metadata, self._migrations = metadata, migrations
        self.engine: AsyncEngine = engine_for(settings.database_url)
        self.bus: Bus = connect_bus(settings.amqp_url, name=service)
        self.relay = OutboxRelay(self.engine, self.table("outbox"), self.bus, service,
                                 poll_seconds=settings.outbox_poll_seconds,
                                 linger_seconds=settings.outbox_linger_seconds)
        self._consumers: list[Consumer] = []

    def table(self, name: str) -> Table:
        return self._metadata.tables[name]

    def unit_of_work(self, kind: type[U]) -> UnitOfWorkFactory[U]:
        def open_unit(*, read_only: bool = False, deadline: float | None = None) -> U:
            return kind(self.engine, self.table("outbox"), self.table("inbox"), f"/{self.service}", self.relay,
                        read_only=read_only, deadline=deadline)

        return open_unit

    async def start(self, queues: Sequence[QueueSpec] = ()) -> None:
        if self.settings.migrate_on_start:
            await upgrade(self._migrations, self.settings.database_url)
        else:
            log.info("migrations_left_to_the_deploy_job")
        await self.bus.start()
        await self.bus.declare([*PORTAL_QUEUES, *queues])
        if self.settings.outbox_relay:
            self.relay.start()
        log.info("service_started", bus=type(self.bus).__name__)

    async def consume(self, queue: QueueSpec, handler: Handler) -> None:
        self._consumers.append(await self.bus.consume(queue, handler, prefetch=self.settings.prefetch))

    async def consume_in_batches(self, queue: QueueSpec, handler: BatchHandler, *, prefetch: int | None = None,
                                 linger: float = 0.0) -> None:
        """prefetch: the most deliveries a batch holds, if not the service's prefetch setting."""
        self._consumers.append(await self.bus.consume_in_batches(queue, handler,
                                                                 prefetch=prefetch or self.settings.prefetch,
                                                                 linger=linger))

    async def consume_raw(self, queue: QueueSpec, handler: RawHandler) -> None:
        self._consumers.append(await self.bus.consume_raw(queue, handler, prefetch=self.settings.prefetch))

    async def stop(self) -> None:
        for consumer in self._consumers:
            await consumer.cancel()
        await self.relay.stop()
        await self.bus.close()
        await dispose(self.engine)

    def readiness(self) -> Readiness:
        """Every route needs the database; the broker only carries events, which the outbox keeps meanwhile."""
        return Readiness(required={"database": lambda: database_answers(self.engine)},
                         dependencies={"bus": self.bus.is_ready}, detail={"bus_writes": self.bus.writes.report})

    def create_app(self, title: str, routers: APIRouter | Sequence[APIRouter], deps: object, *,
                   started: Callable[[], Awaitable[None]] | None = None,
                   stopping: Callable[[], Awaitable[None]] | None = None,
                   domain_errors: tuple[type[Exception], Callable[[Exception], Problem]] | None = None,
                   dependencies: dict[str, ReadinessCheck] | None = None) -> FastAPI:
        """The service's FastAPI app: nothing connects until its lifespan starts. `dependencies` are the
        service's own (its search engine, say): reported by /readyz, answered per route. Several `routers` are
        included side by side, each on the app itself: FastAPI 0.137+ keeps an included router as a node it matches
        a request against at every level (walking the tree below for changes each time), a cost per request."""

        @asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            await self.start()
            if started is not None:
                await started()
            yield
            if stopping is not None:
                await stopping()
            await self.stop()

        app = FastAPI(title=title, lifespan=lifespan, telemetry=NO_FASTAPI_TELEMETRY)
        app.state.deps = deps
        app.state.identity_verifier = IdentityVerifier(self.settings.identity_public_key)
        app.state.runtime = self
        readiness = self.readiness()
        install_plumbing(app, self.service, Readiness(readiness.required, readiness.dependencies | (dependencies or {}),
                                                      readiness.detail))
        if domain_errors is not None:
            error_type, to_problem = domain_errors

            async def on_domain_error(request: Request, exc: Exception) -> Response:
                return problem_response(to_problem(exc), request.url.path)

            app.add_exception_handler(error_type, on_domain_error)

        async def on_busy(request: Request, exc: Exception) -> Response:
            log.warning("database_busy", path=request.url.path)
            return problem_response(Problem(503, "busy", "We are busy right now and nothing was saved; please try "
                                            "again in a moment."), request.url.path,
                                    headers={"Retry-After": str(DatabaseBusy.RETRY_AFTER_SECONDS)})

        app.add_exception_handler(DatabaseBusy, on_busy)
        for router in [routers] if isinstance(routers, APIRouter) else routers:
            app.include_router(router)
        return app
