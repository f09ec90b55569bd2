"""The one place engines are created: SQLite (embedded default) or PostgreSQL, both async."""

import asyncio
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from sqlalchemy import Engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine

from shared.tracing import ChildSpansOnly, tracing_enabled

READ_ONLY = "portal_read_only"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def engine_for(url: str) -> AsyncEngine:
    """An async engine; SQL parameters (citizens' data) never appear in its error messages."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = _create_async_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection: Any, _: Any) -> None:
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(connection: Any) -> None:
            # A writer takes the write lock at BEGIN, so two writers never deadlock upgrading a read lock;
            # a reader does not, so reads never queue behind writes (WAL gives it a snapshot).
            read_only = connection.get_execution_options().get(READ_ONLY, False)
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
        return _traced(engine)
    return _traced(_create_async_engine(url, pool_size=10, max_overflow=10, pool_pre_ping=True,
                                        hide_parameters=True))


def _traced(engine: AsyncEngine) -> AsyncEngine:
    if not tracing_enabled():
        return engine
    # The instrumentation listens to the engine's cursor events, which SQLAlchemy 2.1 keeps as they were. Its
    # statement and connect spans are recorded in sampled traces only: made for every statement of every
    # request, they were most of tracing's cost on the submission path.
    SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, enable_commenter=False, skip_dep_check=True,
                                        tracer_provider=ChildSpansOnly(trace.get_tracer_provider()))
    return engine


_WRITERS: "weakref.WeakKeyDictionary[Engine, asyncio.Lock]" = weakref.WeakKeyDictionary()


@asynccontextmanager
async def writing(engine: AsyncEngine) -> AsyncIterator[None]:
    """SQLite takes one writer at a time: this process's writers queue here, in turn, rather than in
    SQLite's busy handler, which sleeps up to 100 ms between tries and made every write wait ~20 ms."""
    if engine.dialect.name != "sqlite":
        yield
        return
    lock = _WRITERS.setdefault(engine.sync_engine, asyncio.Lock())
    async with lock:
        yield


async def database_answers(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return True
